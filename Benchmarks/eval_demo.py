#!/usr/bin/env python3
"""Retrieval quality of a model on freshly rendered clips, through the product's real path.

Renders an evaluation set with a seed no training run uses (every one of the 120 classes, the
held-out combinations included), in the project's style (Tools/synthetic_clips.py) or the
second, deliberately different one (Tools/synthetic_clips_b.py, never trained on); indexes it
with `vidsearch index` (FFmpeg decoding, segments, ingest, LMDB, FAISS); runs all 120 captions
with `vidsearch search`, with the video-specific prompt rerank and without it (--no-rerank);
and reports, for each:
  R@1, R@5, R@10   caption -> clip, for seen and for held-out combinations (a hit is any clip
                   of the query's caption; clips ranked by their best segment)
  direction        for each left/right/up/down caption, among the clips of its color and shape
                   that move on its axis (its own and its mirror caption's), is the best-ranked
                   one moving its way (chance 0.5); split into pairs whose two captions are both
                   seen and pairs with a held-out member

Needs numpy and the ffmpeg tool (development time). Usage:
  Benchmarks/eval_demo.py [--binary .build/release/vidsearch] [--model Models/xclip-demo]
                          [--style a|b] [--clips-per-class 2] [--seed 777] [--no-cuts] [--json|--markdown]
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
from multiprocessing import Pool

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tools"))
import synthetic_clips as sc  # noqa: E402
import synthetic_clips_b as scb  # noqa: E402
from retrieval_figures import retrieval_figures  # noqa: E402

def render(job):
    style, seed, i, cls, folder = job
    clip = (scb if style == "b" else sc).make_clip(seed, i, cls)
    name = f"clip-{i:05d}." + (clip.container if style == "b" else "mp4")
    clip.write(str(pathlib.Path(folder) / name))
    return {"file": name, "caption": sc.caption(*cls), "color": cls[0], "shape": cls[1], "motion": cls[2]}


def figures(ranked, truth, held):
    """ranked: caption -> clip paths best first; truth: path -> label row."""
    by_class = {c: ranked[sc.caption(*c)] for c in sc.classes()}
    return retrieval_figures(by_class, lambda path: (truth[path]["color"], truth[path]["shape"], truth[path]["motion"]), held)


def reworded(cls):
    """The caption said another way than the training template ("a red circle moving left")."""
    color, shape, motion = cls
    return f"the {shape} is {color} and is {motion}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build/release/vidsearch"))
    parser.add_argument("--model", default=str(ROOT / "Models/xclip-demo"))
    parser.add_argument("--style", choices=["a", "b"], default="a", help="a: the project's renderer; b: the second style")
    parser.add_argument("--clips-per-class", type=int, default=2)
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--work", default=None, help="keep clips and index here (clips are reused when present)")
    parser.add_argument("--render-only", action="store_true", help="render the clips into --work and stop")
    parser.add_argument("--no-cuts", action="store_true", help="index with fixed windows (vidsearch index --no-cuts), "
                        "to compare with shot-aware segments on clips that have no cuts")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()

    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="vidsearch-eval-"))
    clips = work / f"clips-{args.style}-{args.seed}-{args.clips_per_class}"
    classes = sc.classes()
    _, held = sc.split_classes()
    held = set(held)
    if not (clips / "labels.jsonl").exists():
        clips.mkdir(parents=True, exist_ok=True)
        jobs = [(args.style, args.seed, i, classes[i % len(classes)], str(clips)) for i in range(len(classes) * args.clips_per_class)]
        with Pool(2) as pool:
            rows = pool.map(render, jobs, chunksize=4)
        with open(clips / "labels.jsonl.tmp", "w") as labels:
            for row in rows:
                labels.write(json.dumps(row) + "\n")
        (clips / "labels.jsonl.tmp").rename(clips / "labels.jsonl")
    if args.render_only:
        print(f"rendered {clips}", file=sys.stderr)
        return
    truth = {}
    for line in open(clips / "labels.jsonl"):
        row = json.loads(line)
        truth[str((clips / row["file"]).resolve())] = row

    index = work / f"index-{args.style}-{args.seed}-{pathlib.Path(args.model).resolve().name}{'-no-cuts' if args.no_cuts else ''}"
    done = subprocess.run([args.binary, "index", str(clips), "--index", str(index), "--model", args.model, "--json",
                           *(["--no-cuts"] if args.no_cuts else [])], capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: some clips failed, reported below; anything else: nothing to measure
        sys.exit(f"eval_demo: vidsearch index exited {done.returncode}: {done.stderr.strip()[-500:]}")
    listed = subprocess.run([args.binary, "list", "--index", str(index), "--json"], check=True, capture_output=True, text=True).stdout
    indexed = {str(pathlib.Path(json.loads(line)["path"]).resolve()) for line in listed.splitlines() if line.startswith("{")}
    rendered = len(truth)
    truth = {p: row for p, row in truth.items() if p in indexed}  # the figures are over the clips the index holds
    if len(truth) < rendered:
        print(f"eval_demo: {rendered - len(truth)} of {rendered} rendered clips are not in the index", file=sys.stderr)
    captions = [sc.caption(*c) for c in classes]
    asked = {sc.caption(*c): sc.caption(*c) for c in classes} | {reworded(c): sc.caption(*c) for c in classes}
    queries = work / "queries.txt"
    queries.write_text("\n".join(asked) + "\n")
    results = {}
    for form, extra in [("rerank", []), ("first_stage", ["--no-rerank"])]:
        out = subprocess.run([args.binary, "search", "--queries", str(queries), "--index", str(index), "--model", args.model,
                              "--json", "-k", "2000", "--candidates", "2000", *extra], check=True, capture_output=True, text=True).stdout
        ranked = {"template": {c: [] for c in captions}, "reworded": {c: [] for c in captions}}
        for line in out.splitlines():
            hit = json.loads(line)
            path = str(pathlib.Path(hit["path"]).resolve())
            target = ranked["template" if hit["query"] in captions else "reworded"][asked[hit["query"]]]
            if path in truth and path not in target:
                target.append(path)  # distinct clips in rank order
        results[form] = figures(ranked["template"], truth, held)
        results[form + ".reworded"] = figures(ranked["reworded"], truth, held)
    results["clips"] = len(truth)
    results["rendered"] = rendered
    results["style"] = args.style
    results["seed"] = args.seed

    if args.json:
        print(json.dumps(results))
    elif args.markdown:
        shown, skip = [], False
        for a in sys.argv[1:]:  # the work folder is this machine's; the clips are rendered anew without it
            if skip or a == "--markdown":
                skip = False
                continue
            if a == "--work":
                skip = True
                continue
            shown.append(a)
        command = " ".join(["Benchmarks/eval_demo.py"] + shown)
        style = "the project's renderer" if args.style == "a" else "the second rendering style (never trained on)"
        print(f"{results['clips']} fresh clips in {style} (seed {args.seed}, {args.clips_per_class} per class, all 120 classes), "
              f"120 caption queries through `vidsearch index` and `vidsearch search`; rerun with `{command} --markdown`.\n")
        print("| figure | with rerank | first stage only | reworded, rerank | reworded, first stage |\n|---|---|---|---|---|")
        for group in ["seen", "heldout"]:
            for k in ["R@1", "R@5", "R@10"]:
                key = f"{group}.{k}"
                cells = [f"{results[f][key]:.3f} ({results[f][key + '.misses']} missed)"
                         for f in ["rerank", "first_stage", "rerank.reworded", "first_stage.reworded"]]
                print(f"| {group} combinations {k} | " + " | ".join(cells) + " |")
        for kind, text in [("seen", "pairs of seen captions"), ("mixed", "pairs with a held-out caption")]:
            n = results["rerank"][f"direction.{kind}.pairs"]
            cells = [f"{results[f][f'direction.{kind}']:.3f}" for f in ["rerank", "first_stage", "rerank.reworded", "first_stage.reworded"]]
            print(f"| direction, {text} ({n}) | " + " | ".join(cells) + " |")
    else:
        for form in ["rerank", "first_stage", "rerank.reworded", "first_stage.reworded"]:
            print(form)
            for k, v in results[form].items():
                print(f"  {k:24} {v:.3f}" if isinstance(v, float) else f"  {k:24} {v}")
    print(f"work folder: {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
