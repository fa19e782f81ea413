#!/usr/bin/env python3
"""Retrieval quality of a model on freshly rendered synthetic clips, through the real path.

Renders a held-out set with a new seed (every one of the 120 classes, the held-out
combinations included) with Tools/synthetic_clips.py, indexes it with `vidsearch index`
(decode, ingest, store), runs all 120 captions with `vidsearch search`, and reports
text->video R@1, R@5, R@10 (a hit is any clip of the query's caption) for the seen and the
held-out combinations, and direction accuracy: for left/right and up/down queries, whether
the best-ranked clip moving along that axis moves the queried way.

Needs numpy and the ffmpeg tool (development time). Usage:
  Benchmarks/eval_demo.py [--binary .build/release/vidsearch] [--model Models/xclip-demo]
                          [--clips-per-class 2] [--seed 777] [--json]
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tools"))
import synthetic_clips as sc  # noqa: E402

PAIRS = {"moving left": "moving right", "moving right": "moving left", "moving up": "moving down", "moving down": "moving up"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build/release/vidsearch"))
    parser.add_argument("--model", default=str(ROOT / "Models/xclip-demo"))
    parser.add_argument("--clips-per-class", type=int, default=2)
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--work", default=None, help="keep clips and index here")
    parser.add_argument("--extra", nargs="*", default=[], help="extra flags for vidsearch search (e.g. --no-rerank)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()

    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="vidsearch-eval-"))
    clips = work / "clips"
    classes = sc.classes()
    seen, held = sc.split_classes()
    held = set(held)
    if not (clips / "labels.jsonl").exists():
        clips.mkdir(parents=True, exist_ok=True)
        with open(clips / "labels.jsonl", "w") as labels:
            for i in range(len(classes) * args.clips_per_class):
                cls = classes[i % len(classes)]
                clip = sc.make_clip(args.seed, i, cls)
                name = f"clip-{i:05d}.mp4"
                clip.write(str(clips / name))
                labels.write(json.dumps({"file": name, "caption": sc.caption(*cls), "motion": cls[2]}) + "\n")
                print(f"\rrendered {i + 1}", end="", file=sys.stderr)
        print(file=sys.stderr)
    truth = {}
    for line in open(clips / "labels.jsonl"):
        row = json.loads(line)
        truth[str((clips / row["file"]).resolve())] = row

    index = work / "index"
    subprocess.run([args.binary, "index", str(clips), "--index", str(index), "--model", args.model, "--json"],
                   check=False, stdout=subprocess.DEVNULL)
    captions = [sc.caption(*c) for c in classes]
    queries = work / "queries.txt"
    queries.write_text("\n".join(captions) + "\n")
    out = subprocess.run([args.binary, "search", "--queries", str(queries), "--index", str(index), "--model", args.model,
                          "--json", "-k", "60", *args.extra], check=True, capture_output=True, text=True).stdout
    ranked = {c: [] for c in captions}
    for line in out.splitlines():
        hit = json.loads(line)
        path = str(pathlib.Path(hit["path"]).resolve())
        if path not in ranked[hit["query"]]:
            ranked[hit["query"]].append(path)  # distinct clips in rank order

    def recall(group, k):
        hits = [any(truth[p]["caption"] == c for p in ranked[c][:k]) for c in group]
        return sum(hits) / max(len(hits), 1)

    seen_caps = [sc.caption(*c) for c in classes if c not in held]
    held_caps = [sc.caption(*c) for c in classes if c in held]
    direction = []
    for cls in classes:
        motion = cls[2]
        if motion in PAIRS:
            q = sc.caption(*cls)
            for p in ranked[q]:
                if truth[p]["motion"] in (motion, PAIRS[motion]):
                    direction.append(truth[p]["motion"] == motion)
                    break
    figures = {
        "seen.R@1": recall(seen_caps, 1), "seen.R@5": recall(seen_caps, 5), "seen.R@10": recall(seen_caps, 10),
        "heldout.R@1": recall(held_caps, 1), "heldout.R@5": recall(held_caps, 5), "heldout.R@10": recall(held_caps, 10),
        "direction_accuracy": sum(direction) / max(len(direction), 1),
        "clips": len(truth), "queries": len(captions),
    }
    if args.json:
        print(json.dumps(figures))
    elif args.markdown:
        command = "Benchmarks/eval_demo.py " + " ".join(sys.argv[1:])
        print(f"{figures['clips']} fresh clips (seed {args.seed}, {args.clips_per_class} per class, all 120 classes), "
              f"{figures['queries']} caption queries; rerun with `{command}`.\n")
        print("| figure | seen combinations | held-out combinations |\n|---|---|---|")
        for k in ["R@1", "R@5", "R@10"]:
            print(f"| text->video {k} | {figures['seen.' + k]:.3f} | {figures['heldout.' + k]:.3f} |")
        print(f"\nDirection accuracy (left vs right, up vs down): {figures['direction_accuracy']:.3f}")
    else:
        for k, v in figures.items():
            print(f"{k:22} {v:.3f}" if isinstance(v, float) else f"{k:22} {v}")
    print(f"work folder: {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
