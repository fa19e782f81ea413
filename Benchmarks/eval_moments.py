#!/usr/bin/env python3
"""Moment localization on multi-shot videos: the bundled sample clips cut together, shots of 5 to
12 s with hard cuts between them, every caption in one shot of the archive only. For each shot's
caption, `vidsearch search --per-video` must put the right video first and its moment on the
shot. Reports: first hit in the right video, first hit at least half inside the shot, and the
IoU of the right video's best moment with the shot (mean, and the share >= 0.5), beside the rule
before moments (every adjacent candidate of a video merged) computed from the same search's
segment hits. Needs the ffmpeg tool. Run: Benchmarks/eval_moments.py [--binary B] [--markdown]
"""
import argparse
import collections
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "Samples" / "demo-clips"
LENGTHS = [5.0, 8.0, 12.0, 6.0]  # seconds per shot, in turn: short shots and long ones


def shots_per_video():
    """Fifteen captions, one clip each, in videos of 4, 4, 4 and 3 shots."""
    first = {}
    for line in open(SAMPLES / "labels.jsonl"):
        row = json.loads(line)
        first.setdefault(row["caption"], row["file"])
    items = sorted(first.items())
    return [items[0:4], items[4:8], items[8:12], items[12:15]]


def build(folder):
    """Each video: its clips scaled to 160x120 at 24 fps, each looped to its shot's length, concatenated."""
    truth = {}
    for v, shots in enumerate(shots_per_video()):
        parts, at = [], 0.0
        for s, (caption, file) in enumerate(shots):
            length = LENGTHS[(v + s) % len(LENGTHS)]
            part = folder / f"part-{v}-{s}.mp4"
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(SAMPLES / file), "-t", str(length),
                            "-vf", "scale=160:120,setsar=1,fps=24", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-an", str(part)], check=True)
            parts.append(part)
            truth[caption] = (f"video-{v}.mp4", at, at + length)
            at += length
        listing = folder / f"list-{v}.txt"
        listing.write_text("".join(f"file '{p}'\n" for p in parts))
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
                        str(folder / "videos" / f"video-{v}.mp4")], check=True)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build/release/vidsearch"))
    parser.add_argument("--model", default=str(ROOT / "Models/xclip-demo"))
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="vidsearch-moments-"))
    (work / "videos").mkdir()
    truth = build(work)
    index = work / "index"
    done = subprocess.run([args.binary, "index", str(work / "videos"), "--index", str(index), "--model", args.model, "--json"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"eval_moments: vidsearch index exited {done.returncode}: {done.stderr.strip()[-500:]}")
    figures = collections.defaultdict(list)
    for caption, (video, start, end) in sorted(truth.items()):
        def search(*extra):
            out = subprocess.run([args.binary, "search", caption, "--index", str(index), "--model", args.model, "--json",
                                  "-k", "1000", *extra], check=True, capture_output=True, text=True).stdout
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
    n = len(truth)
    rows = [("first hit in the right video", sum(figures["first_hit_right_video"]) / n, None),
            ("first hit at least half inside the shot", sum(figures["first_hit_right_moment"]) / n, None),
            ("IoU of the video's best moment with the shot, mean", sum(figures["moment_iou"]) / n,
             sum(figures["merged_all_iou"]) / n),
            ("share of shots with IoU >= 0.5", sum(x >= 0.5 for x in figures["moment_iou"]) / n,
             sum(x >= 0.5 for x in figures["merged_all_iou"]) / n)]
    if args.markdown:
        print(f"{n} shots of 5 to 12 s in {len(shots_per_video())} videos cut together from the sample clips (hard cuts, "
              f"each caption in one shot), segments of 4 s; rerun with `Benchmarks/eval_moments.py --markdown`.\n")
        print("| figure | moments (--per-video) | every adjacent hit merged (the rule before) |\n|---|---|---|")
        for name, value, before in rows:
            print(f"| {name} | {value:.3f} | {'' if before is None else f'{before:.3f}'} |")
    else:
        for name, value, before in rows:
            print(f"{name:50} {value:.3f}" + ("" if before is None else f"   (before: {before:.3f})"))
    subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
