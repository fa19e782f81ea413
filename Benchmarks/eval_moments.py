#!/usr/bin/env python3
"""Moment localization on multi-shot videos: clips cut together into shots of 5 to 12 s with hard
cuts between them, every caption in one shot of the archive only. Style a: the bundled sample
clips (the project's renderer); style b: fresh clips of the second rendering style, which the
model never saw (needs numpy). For each shot's caption, `vidsearch search --per-video` must put
the right video first and its moment on the shot. The archive is indexed twice, with shot-aware
segments (the default) and with fixed 4 s windows (`--no-cuts`), and each is timed. Reports:
first hit in the right video, first hit at least half inside the shot, and the IoU of the right
video's best moment with the shot (mean, and the share >= 0.5), beside the rule before moments
(every adjacent candidate of a video merged) computed from the same search's segment hits.
Needs the ffmpeg tool. Run: Benchmarks/eval_moments.py [--style a|b] [--binary B] [--markdown]
"""
import argparse
import collections
import json
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "Samples" / "demo-clips"
LENGTHS = [5.0, 8.0, 12.0, 6.0]  # seconds per shot, in turn: short shots and long ones


def captions_and_clips(style, folder):
    """Fifteen (caption, clip path) pairs: the first sample clip of each caption (style a), or a
    fresh clip of the second style for the same fifteen captions (style b)."""
    first = {}
    for line in open(SAMPLES / "labels.jsonl"):
        row = json.loads(line)
        first.setdefault(row["caption"], row)
    items = sorted(first.items())[:15]
    if style == "a":
        return [(caption, SAMPLES / row["file"]) for caption, row in items]
    sys.path.insert(0, str(ROOT / "Tools"))
    import synthetic_clips_b as scb  # noqa: E402
    out = []
    for i, (caption, row) in enumerate(items):
        clip = scb.make_clip(4242, i, (row["color"], row["shape"], row["motion"]))
        path = folder / f"source-{i}.{clip.container}"
        clip.write(str(path))
        out.append((caption, path))
    return out


def build(folder, style):
    """Each video: its clips scaled to 160x120 at 24 fps, each looped to its shot's length, concatenated."""
    pairs = captions_and_clips(style, folder)
    truth = {}
    for v, shots in enumerate([pairs[0:4], pairs[4:8], pairs[8:12], pairs[12:15]]):
        parts, at = [], 0.0
        for s, (caption, source) in enumerate(shots):
            length = LENGTHS[(v + s) % len(LENGTHS)]
            part = folder / f"part-{v}-{s}.mp4"
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(source), "-t", str(length),
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
    n = len(truth)
    return {"seconds": seconds,
            "right_video": sum(figures["first_hit_right_video"]) / n,
            "right_moment": sum(figures["first_hit_right_moment"]) / n,
            "iou": sum(figures["moment_iou"]) / n,
            "iou_half": sum(x >= 0.5 for x in figures["moment_iou"]) / n,
            "old_iou": sum(figures["merged_all_iou"]) / n,
            "old_iou_half": sum(x >= 0.5 for x in figures["merged_all_iou"]) / n}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build/release/vidsearch"))
    parser.add_argument("--model", default=str(ROOT / "Models/xclip-demo"))
    parser.add_argument("--style", choices=["a", "b"], default="a")
    parser.add_argument("--markdown", action="store_true")
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
    style = "the bundled sample clips (the project's renderer)" if args.style == "a" else "fresh clips of the second rendering style (never trained on)"
    if args.markdown:
        print(f"{n} shots of 5 to 12 s in 4 videos cut together from {style} (hard cuts, each caption in one shot), "
              f"segments of 4 s; rerun with `Benchmarks/eval_moments.py --style {args.style} --markdown`.\n")
        print("| figure | shot-aware segments (default) | fixed windows (--no-cuts) | fixed windows, every adjacent hit merged (the rule before moments) |")
        print("|---|---|---|---|")
        for name, a, b, before in rows:
            fmt = (lambda x: f"{x:.1f}") if name.startswith("index time") else (lambda x: f"{x:.3f}")
            print(f"| {name} | {fmt(a)} | {fmt(b)} | {'' if before is None else fmt(before)} |")
    else:
        for name, a, b, before in rows:
            print(f"{name:50} {a:8.3f} {b:8.3f}" + ("" if before is None else f"   (before moments: {before:.3f})"))


if __name__ == "__main__":
    main()
