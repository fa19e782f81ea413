#!/usr/bin/env python3
"""The paper's component analysis (its Table 6) in miniature, on the demo model's data.

Four runs of Tools/train_demo.py, each from the same stage-1 image model and text pretraining
(shared through one --work folder, as the paper's rows all start from CLIP), with the same data
and the same video-stage and finetune budget (shorter than the shipped model's):
  clip-mean    frames averaged, no message tokens, no MIT, no prompt
  cross-frame  + cross-frame communication (message tokens, learned in the finetune)
  mit          + multi-frame integration transformer
  full         + video-specific prompt
The figures are the training script's evaluation on fresh clips (the product's segment times,
all 120 classes): caption -> clip R@1 for seen and held-out combinations and direction on pairs
of seen captions; for `full` the reranked score (the prompt) and the first stage are both shown.
(Only `full` is an X-CLIP the product runs: the others change the forward pass.)

Usage (development time; torch and transformers):
  Benchmarks/ablation.py [--python PY] [--work .build-train] [--video-steps 1200] [--finetune-steps 150] [--markdown]
"""
import argparse
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VARIANTS = ["clip-mean", "cross-frame", "mit", "full"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--work", default=str(ROOT / ".build-train"))
    parser.add_argument("--video-steps", type=int, default=1200)
    parser.add_argument("--prompt-from", type=int, default=500)
    parser.add_argument("--finetune-steps", type=int, default=150)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    work = pathlib.Path(args.work)
    rows = {}
    for variant in VARIANTS:
        name = f"ablation-{variant}-{args.video_steps}-{args.finetune_steps}"
        result = work / f"result-{name}.json"
        if not result.exists():
            log = open(work / f"{name}.log", "w")  # the training's progress lines; this script prints only the table
            print(f"ablation: training {variant} (log: {log.name})", file=sys.stderr)
            subprocess.run([args.python, str(ROOT / "Tools/train_demo.py"), "--resume", "--work", str(work),
                            "--variant", variant, "--run-name", name, "--out", str(work / "ablation"),
                            "--video-steps", str(args.video_steps), "--prompt-from", str(args.prompt_from),
                            "--video-minutes", "0", "--finetune-steps", str(args.finetune_steps), "--finetune-minutes", "0"],
                           check=True, stdout=log, stderr=subprocess.STDOUT)
        rows[variant] = json.loads(result.read_text())["fresh_clip_eval"]["final"]
    budget = f"video stage {args.video_steps} steps (prompt from step {args.prompt_from} for full), finetune {args.finetune_steps} steps"
    command = "Benchmarks/ablation.py " + " ".join(a for a in sys.argv[1:] if a != "--markdown")
    if args.markdown:
        print(f"Each row from the same stage-1 image model and text pretraining, {budget}; fresh clips "
              f"(2 per class, all 120 classes) scored in the training script. Rerun: `{command} --markdown`.\n")
        print("| variant | seen R@1 | held-out R@1 | direction (seen pairs) |\n|---|---|---|---|")
        for variant in VARIANTS:
            r = rows[variant]
            print(f"| {variant} | {r['first.seen.R@1']:.3f} | {r['first.heldout.R@1']:.3f} | {r['first.direction.seen']:.3f} |")
            if variant == "full":
                print(f"| full, reranked with the prompt | {r['rerank.seen.R@1']:.3f} | {r['rerank.heldout.R@1']:.3f} | "
                      f"{r['rerank.direction.seen']:.3f} |")
    else:
        print(json.dumps({"budget": budget, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
