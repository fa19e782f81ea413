#!/usr/bin/env python3
"""Moment localization on multi-shot videos: 40 shots of 5 to 12 s in 12 videos, hard cuts
between them, each shot one continuous action rendered fresh for its whole length (never a
looped clip: a loop would jump back and show the opposite motion), every caption in one shot of
the archive only. Style a: the project's renderer; style b: the second rendering style, which the
model never saw. For each shot's caption, `vidsearch search --per-video` must put the right video
first and its moment on the shot. The archive is indexed twice, with shot-aware segments (the
default) and with fixed 4 s windows (`--no-cuts`), and each is timed. Reports: first hit in the
right video, first hit at least half inside the shot, and the IoU of the right video's best moment
with the shot (mean, and the share >= 0.5), beside the rule before moments (every adjacent
candidate of a video merged) computed from the same search's segment hits, and how many of the
true cuts the shot-aware index stored. `--detail` lists every shot. Needs numpy and the ffmpeg tool.
Run: Benchmarks/eval_moments.py [--style a|b] [--binary B] [--markdown] [--detail]
"""
import argparse
import collections
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tools"))
import synthetic_clips as sc  # noqa: E402
import synthetic_clips_b as scb  # noqa: E402

SHOTS_PER_VIDEO = [4, 3, 3, 4, 3, 3, 4, 3, 3, 4, 3, 3]  # 40 shots in 12 videos
LENGTHS = [5.0, 8.0, 12.0, 6.0, 7.0, 10.0]  # seconds per shot, in turn: short shots and long ones
SEED = {"a": 8101, "b": 8102}  # not a seed the demo model's training rendered (Tools/train_demo.py)


def shot_classes():
    """Forty distinct (color, shape, motion) classes in a seeded order, held-out combinations
    among them: every caption is in one shot only."""
    order = np.random.default_rng(SEED["a"]).permutation(len(sc.classes()))
    return [sc.classes()[i] for i in order[:sum(SHOTS_PER_VIDEO)]]


def render_shot(style, index, cls, length, path):
    """One shot: a fresh clip of `cls` whose action lasts the shot's whole length."""
    clip = (sc if style == "a" else scb).make_clip(SEED[style], index, cls)
    clip.duration = length  # the renderers spread the motion over the clip's duration
    raw = path.with_suffix(".raw." + getattr(clip, "container", "mp4"))
    clip.write(str(raw))
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(raw), "-t", str(length),
                    "-vf", "scale=160:120,setsar=1,fps=24", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-an", str(path)], check=True)
    raw.unlink()


def build(folder, style):
    """Renders the shots and concatenates each video's; returns caption -> (video, start, end)."""
    classes = shot_classes()
    truth, index = {}, 0
    for v, count in enumerate(SHOTS_PER_VIDEO):
        parts, at = [], 0.0
        for s in range(count):
            cls = classes[index]
            length = LENGTHS[(v + s) % len(LENGTHS)]
            part = folder / f"part-{v}-{s}.mp4"
            render_shot(style, index, cls, length, part)
            parts.append(part)
            truth[sc.caption(*cls)] = (f"video-{v:02d}.mp4", at, at + length)
            at += length
            index += 1
            print(f"\rrendered {index}/{len(classes)} shots", end="", file=sys.stderr)
        listing = folder / f"list-{v}.txt"
        listing.write_text("".join(f"file '{p}'\n" for p in parts))
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
                        str(folder / "videos" / f"video-{v:02d}.mp4")], check=True)
    print(file=sys.stderr)
    return truth


def iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def merged_all(hits):
    """The rule before moments: every adjacent or overlapping hit of a video merged into one."""
    runs = []
    for h in sorted(hits, key=lambda h: h["start"]):
        if runs and h["start"] <= runs[-1]["end"] + 1e-6:
            runs[-1]["end"] = max(runs[-1]["end"], h["end"])
            runs[-1]["score"] = max(runs[-1]["score"], h["score"])
        else:
            runs.append(dict(h))
    return max(runs, key=lambda r: r["score"])


def evaluate(args, work, truth, index, extra):
    """Indexes the videos into `index` (with `extra` flags), then measures every caption's moment."""
    began = time.monotonic()
    done = subprocess.run([args.binary, "index", str(work / "videos"), "--index", str(index), "--model", args.model, "--json", *extra],
                          capture_output=True, text=True)
    seconds = time.monotonic() - began
    if done.returncode != 0:
        sys.exit(f"eval_moments: vidsearch index exited {done.returncode}: {done.stderr.strip()[-500:]}")
    figures = collections.defaultdict(list)
    for caption, (video, start, end) in sorted(truth.items()):
        def search(*more):
            out = subprocess.run([args.binary, "search", caption, "--index", str(index), "--model", args.model, "--json",
                                  "-k", "1000", *more], check=True, capture_output=True, text=True).stdout
            return [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        moments, segments = search("--per-video"), search()
        top = moments[0]
        figures["first_hit_right_video"].append(pathlib.Path(top["path"]).name == video)
        inside = max(0.0, min(top["end"], end) - max(top["start"], start)) / max(top["end"] - top["start"], 1e-9)
        figures["first_hit_right_moment"].append(pathlib.Path(top["path"]).name == video and inside >= 0.5)
        mine = [m for m in moments if pathlib.Path(m["path"]).name == video][0]
        figures["moment_iou"].append(iou((mine["start"], mine["end"]), (start, end)))
        old = merged_all([h for h in segments if pathlib.Path(h["path"]).name == video])
        figures["merged_all_iou"].append(iou((old["start"], old["end"]), (start, end)))
        figures["detail"].append(f"{caption:34} {video} {start:5.1f}-{end:5.1f}  first {pathlib.Path(top['path']).name} "
                                 f"{top['start']:5.1f}-{top['end']:5.1f}  moment {mine['start']:5.1f}-{mine['end']:5.1f} "
                                 f"IoU {figures['moment_iou'][-1]:.2f}")
    # The cuts the index stored, against the true ones (each shot's start after the first).
    starts = collections.defaultdict(list)
    for video, start, _ in truth.values():
        if start > 0:
            starts[video].append(start)
    found = {}
    listing = subprocess.run([args.binary, "list", "--index", str(index), "--json"], check=True, capture_output=True, text=True).stdout
    for line in listing.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            found[pathlib.Path(row["path"]).name] = row.get("cuts") or []
    true_cuts = sum(len(c) for c in starts.values())
    hit = sum(any(abs(f - t) <= 0.2 for f in found.get(v, [])) for v, c in starts.items() for t in c)
    right = sum(any(abs(f - t) <= 0.2 for t in starts.get(v, [])) for v, c in found.items() for f in c)
    n = len(truth)
    return {"seconds": seconds,
            "cuts": (hit, true_cuts, right, sum(len(c) for c in found.values())),
            "right_video": sum(figures["first_hit_right_video"]) / n,
            "right_moment": sum(figures["first_hit_right_moment"]) / n,
            "iou": sum(figures["moment_iou"]) / n,
            "iou_half": sum(x >= 0.5 for x in figures["moment_iou"]) / n,
            "old_iou": sum(figures["merged_all_iou"]) / n,
            "old_iou_half": sum(x >= 0.5 for x in figures["merged_all_iou"]) / n,
            "detail": figures["detail"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build/release/vidsearch"))
    parser.add_argument("--model", default=str(ROOT / "Models/xclip-demo"))
    parser.add_argument("--style", choices=["a", "b"], default="a")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--detail", action="store_true", help="also list every shot: its moment and the first hit")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="vidsearch-moments-"))
    (work / "videos").mkdir()
    try:
        truth = build(work, args.style)
        shots = evaluate(args, work, truth, work / "index-shots", [])
        fixed = evaluate(args, work, truth, work / "index-fixed", ["--no-cuts"])
    finally:
        subprocess.run(["rm", "-rf", str(work)])
    n = len(truth)
    rows = [("first hit in the right video", shots["right_video"], fixed["right_video"], None),
            ("first hit at least half inside the shot", shots["right_moment"], fixed["right_moment"], None),
            ("IoU of the video's best moment with the shot, mean", shots["iou"], fixed["iou"], fixed["old_iou"]),
            ("share of shots with IoU >= 0.5", shots["iou_half"], fixed["iou_half"], fixed["old_iou_half"]),
            ("index time, s (wall, whole archive)", shots["seconds"], fixed["seconds"], None)]
    hit, true_cuts, right, stored = shots["cuts"]
    style = "the project's renderer" if args.style == "a" else "the second rendering style (never trained on)"
    if args.detail:
        for name, figures in (("shot-aware", shots), ("fixed windows", fixed)):
            print(f"{name}:\n  " + "\n  ".join(figures["detail"]))
    if args.markdown:
        print(f"{n} shots of 5 to 12 s in {len(SHOTS_PER_VIDEO)} videos, each shot one continuous action rendered by {style} "
              f"(hard cuts, each caption in one shot), segments of 4 s; rerun with `Benchmarks/eval_moments.py --style {args.style} --markdown`.\n")
        print("| figure | shot-aware segments (default) | fixed windows (--no-cuts) | fixed windows, every adjacent hit merged (the rule before moments) |")
        print("|---|---|---|---|")
        for name, a, b, before in rows:
            fmt = (lambda x: f"{x:.1f}") if name.startswith("index time") else (lambda x: f"{x:.3f}")
            print(f"| {name} | {fmt(a)} | {fmt(b)} | {'' if before is None else fmt(before)} |")
        print(f"\nCuts stored by the shot-aware index: {hit} of {true_cuts} true cuts found within 0.2 s; {right} of {stored} stored cuts are true.")
    else:
        for name, a, b, before in rows:
            print(f"{name:50} {a:8.3f} {b:8.3f}" + ("" if before is None else f"   (before moments: {before:.3f})"))
        print(f"cuts: {hit} of {true_cuts} true cuts found within 0.2 s; {right} of {stored} stored cuts are true")


if __name__ == "__main__":
    main()
