#!/usr/bin/env python3
"""Procedural action clips for the bundled demo model: one object, one caption.

Domain (kept exactly; evaluations rely on it): shapes circle, square, triangle; colors
red, green, blue, yellow, white; motions moving left/right/up/down, growing, shrinking,
blinking, standing still. 120 classes; caption "a {color} {shape} {motion}".

Everything the caption does not say is varied: object size, speed and start, background
(flat, gradients, stripes, checks, noise blobs), sensor noise, frame size, frame rate and
compression. The object moves inside the centred square of the frame, the part that a
short-side resize plus centre crop keeps. Deterministic by seed.

Usage:
  Tools/synthetic_clips.py OUT_DIR --count 240 --seed 7 [--classes all|seen|heldout]
  Tools/synthetic_clips.py Samples/demo-clips --demo --seed 7     # the bundled sample clips
writes OUT_DIR/clip-00000.mp4 ... and OUT_DIR/labels.jsonl (file, caption, color, shape,
motion, duration, fps, width, height).
"""
import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

SHAPES = ["circle", "square", "triangle"]
COLORS = ["red", "green", "blue", "yellow", "white"]
MOTIONS = ["moving left", "moving right", "moving up", "moving down",
           "growing", "shrinking", "blinking", "standing still"]
RGB = {"red": (215, 35, 35), "green": (40, 170, 50), "blue": (45, 70, 220),
       "yellow": (235, 215, 45), "white": (245, 245, 245)}
FPS_CHOICES = [10, 12, 15, 20, 24, 25, 30]


# The bundled sample clips (Samples/demo-clips): the demo's query captions three times each, their
# mirror and opposite captions as distractors, and a few others.
DEMO_SAMPLES = [(("red", "circle", "moving left"), 3), (("red", "circle", "moving right"), 3),
                (("white", "square", "growing"), 3), (("white", "square", "shrinking"), 3),
                (("blue", "triangle", "blinking"), 3), (("blue", "triangle", "standing still"), 2),
                (("yellow", "triangle", "moving right"), 3), (("yellow", "triangle", "moving left"), 3),
                (("green", "square", "growing"), 1), (("green", "triangle", "moving up"), 1),
                (("white", "circle", "standing still"), 1), (("red", "square", "blinking"), 1),
                (("blue", "square", "shrinking"), 1), (("green", "circle", "moving left"), 1),
                (("yellow", "circle", "moving down"), 1)]


def classes():
    """All 120 (color, shape, motion) triples in a fixed order."""
    return [(c, s, m) for c in COLORS for s in SHAPES for m in MOTIONS]


def caption(color, shape, motion):
    return f"a {color} {shape} {motion}"


def split_classes(seed=2024, held_out_fraction=0.2):
    """A fixed 20% of the combinations never seen in training, chosen so that every color,
    shape and motion still appears in training in other combinations."""
    rng = np.random.default_rng(seed)
    all_classes = classes()
    while True:
        order = rng.permutation(len(all_classes))
        held = set(order[: int(round(held_out_fraction * len(all_classes)))].tolist())
        seen = [all_classes[i] for i in range(len(all_classes)) if i not in held]
        if all(any(x in cls for cls in seen) for x in COLORS + SHAPES + MOTIONS):
            return seen, [all_classes[i] for i in sorted(held)]


def far_from(rng, color, min_distance=140):
    """A random background color clearly different from the object's."""
    while True:
        c = rng.integers(0, 256, size=3)
        if np.linalg.norm(c - np.array(color)) >= min_distance:
            return c.astype(np.float32)


def background(rng, h, w, color):
    # No shapes in the background: a blob of another color would make "the object" ambiguous.
    kind = rng.choice(["flat", "gradient", "stripes", "checks", "noise"])
    a, b = far_from(rng, color), far_from(rng, color)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "flat":
        img = np.broadcast_to(a, (h, w, 3)).copy()
    elif kind == "gradient":
        angle = rng.uniform(0, 2 * math.pi)
        t = (xx * math.cos(angle) + yy * math.sin(angle))
        t = (t - t.min()) / max(t.max() - t.min(), 1)
        img = a * (1 - t[..., None]) + b * t[..., None]
    elif kind == "stripes":
        period = rng.uniform(6, 30)
        angle = rng.uniform(0, math.pi)
        t = (np.sin((xx * math.cos(angle) + yy * math.sin(angle)) * 2 * math.pi / period) > 0).astype(np.float32)
        img = a * (1 - t[..., None]) + b * t[..., None]
    elif kind == "checks":
        size = int(rng.integers(6, 24))
        t = (((xx // size) + (yy // size)) % 2).astype(np.float32)
        img = a * (1 - t[..., None]) + b * t[..., None]
    else:
        # Smooth value noise: a coarse random grid, upsampled.
        cells = rng.uniform(0, 1, size=(int(rng.integers(3, 8)), int(rng.integers(3, 8))))
        t = np.kron(cells, np.ones((h // cells.shape[0] + 1, w // cells.shape[1] + 1)))[:h, :w].astype(np.float32)
        img = a * (1 - t[..., None]) + b * t[..., None]
    # Muted: pulled toward gray and dimmed, so the saturated object stands out whatever the pattern.
    gray = img.mean(axis=2, keepdims=True)
    img = gray + (img - gray) * rng.uniform(0.3, 0.7)
    return np.clip(img * rng.uniform(0.5, 0.9) + rng.uniform(0, 40), 0, 255)


def shape_mask(shape, xx, yy, cx, cy, r, angle, aspect=1.0):
    """aspect > 1 stretches the shape horizontally (same area)."""
    dx, dy = xx - cx, yy - cy
    if aspect != 1.0:
        dx, dy = dx / math.sqrt(aspect), dy * math.sqrt(aspect)
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    ca, sa = math.cos(angle), math.sin(angle)
    u, v = dx * ca + dy * sa, -dx * sa + dy * ca
    if shape == "square":
        half = r * 0.886  # same area as the circle
        return (np.abs(u) <= half) & (np.abs(v) <= half)
    # Triangle pointing up (before the small tilt): three half-planes.
    side = r * 2.0
    h = side * math.sqrt(3) / 2
    top, base = -2 * h / 3, h / 3
    inside = v <= base
    inside &= v >= top + np.abs(u) * (h / (side / 2))
    return inside


class Clip:
    """The parameters of one clip; frame(t) renders the frame at time t seconds."""

    def __init__(self, rng, color, shape, motion):
        self.color, self.shape, self.motion = color, shape, motion
        self.duration = float(rng.uniform(2.0, 6.0))
        self.fps = int(rng.choice(FPS_CHOICES))
        w = int(rng.integers(48, 161)) * 2
        aspect = rng.choice([1.0, 4 / 3, 16 / 9, 3 / 4, 9 / 16, rng.uniform(0.6, 1.9)])
        h = int(max(48, min(360, round(w / aspect)))) // 2 * 2
        self.width, self.height = w, h
        self.side = min(w, h)
        self.x0, self.y0 = (w - self.side) / 2, (h - self.side) / 2
        jitter = rng.integers(-25, 26, size=3)
        self.rgb = np.clip(np.array(RGB[color]) + jitter, 0, 255).astype(np.float32)
        self.bg = background(rng, h, w, RGB[color])
        self.noise = float(rng.uniform(0, 10))
        self.angle = float(rng.uniform(-0.25, 0.25))
        self.crf = int(rng.integers(18, 34))
        self.seed = int(rng.integers(0, 2**31))
        r = float(rng.uniform(0.09, 0.17))
        self.r0 = self.r1 = r
        cx, cy = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7)
        self.start = self.end = (cx, cy)
        distance = float(rng.uniform(0.3, 0.55))
        lo, hi = r + 0.03, 1 - r - 0.03
        if motion in ("moving left", "moving right", "moving up", "moving down"):
            distance = min(distance, hi - lo)
            along = float(rng.uniform(lo, hi - distance))
            across = float(rng.uniform(lo, hi))
            a, b = along, along + distance
            if motion == "moving left":
                self.start, self.end = (b, across), (a, across)
            elif motion == "moving right":
                self.start, self.end = (a, across), (b, across)
            elif motion == "moving up":
                self.start, self.end = (across, b), (across, a)
            else:
                self.start, self.end = (across, a), (across, b)
        elif motion in ("growing", "shrinking"):
            small, big = float(rng.uniform(0.05, 0.08)), float(rng.uniform(0.17, 0.24))
            self.r0, self.r1 = (small, big) if motion == "growing" else (big, small)
            c = (float(rng.uniform(big + 0.02, 1 - big - 0.02)), float(rng.uniform(big + 0.02, 1 - big - 0.02)))
            self.start = self.end = c
        self.half_period = float(rng.uniform(0.35, 0.8))
        self.phase = float(rng.uniform(0, 2 * self.half_period))
        self.jitter_seed = int(rng.integers(0, 2**31))
        self.aspect = 1.0  # a training camera may change it (Tools/train_demo.py)

    def visible(self, t):
        if self.motion != "blinking":
            return True
        return int((t + self.phase) / self.half_period) % 2 == 0

    def frame(self, t, rng):
        s = min(max(t / self.duration, 0.0), 1.0)
        cx = self.start[0] + (self.end[0] - self.start[0]) * s
        cy = self.start[1] + (self.end[1] - self.start[1]) * s
        r = self.r0 + (self.r1 - self.r0) * s
        img = self.bg.copy()
        if self.visible(t):
            yy, xx = np.mgrid[0:self.height, 0:self.width].astype(np.float32)
            mask = shape_mask(self.shape, xx, yy, self.x0 + cx * self.side, self.y0 + cy * self.side,
                              r * self.side, self.angle, self.aspect)
            img[mask] = self.rgb
        if self.noise > 0:
            img = img + rng.normal(0, self.noise, size=img.shape)
        return np.clip(img, 0, 255).astype(np.uint8)

    def frame_count(self):
        return max(1, int(round(self.duration * self.fps)))

    def write(self, path):
        """Encodes the clip with libx264 through the ffmpeg command-line tool."""
        rng = np.random.default_rng(self.seed)
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{self.width}x{self.height}", "-r", str(self.fps), "-i", "-",
               "-c:v", "libx264", "-preset", "veryfast", "-crf", str(self.crf), "-pix_fmt", "yuv420p", path]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
        for i in range(self.frame_count()):
            proc.stdin.write(self.frame(i / self.fps, rng).tobytes())
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg failed for {path}")


def make_clip(seed, index, cls):
    rng = np.random.default_rng([seed, index])
    return Clip(rng, *cls)


def write_clips(out, pool, count, make, seed, style=None):
    """Renders `count` clips into `out` (classes taken in turn from `pool`, each clip made by
    make(seed, index, class)) and their labels.jsonl; used by both renderers."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "labels.jsonl"), "w") as labels:
        for i in range(count):
            cls = pool[i % len(pool)]
            clip = make(seed, i, cls)
            name = f"clip-{i:05d}.{getattr(clip, 'container', 'mp4')}"
            clip.write(os.path.join(out, name))
            row = {"file": name, "caption": caption(*cls), "color": cls[0], "shape": cls[1], "motion": cls[2],
                   "duration": clip.duration, "fps": clip.fps, "width": clip.width, "height": clip.height}
            if style:
                row["style"] = style
            labels.write(json.dumps(row) + "\n")
            print(f"\r{i + 1}/{count}", end="", file=sys.stderr)
    print(file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--classes", choices=["all", "seen", "heldout"], default="all")
    parser.add_argument("--shuffle", action="store_true", help="take the classes in a seeded random order")
    parser.add_argument("--demo", action="store_true", help="the bundled sample set (DEMO_SAMPLES; --count is ignored)")
    args = parser.parse_args()
    seen, held = split_classes()
    pool = {"all": classes(), "seen": seen, "heldout": held}[args.classes]
    if args.demo:
        pool = [cls for cls, n in DEMO_SAMPLES for _ in range(n)]
        args.count = len(pool)
    if args.shuffle:
        pool = [pool[i] for i in np.random.default_rng(args.seed).permutation(len(pool))]
    write_clips(args.out, pool, args.count, make_clip, args.seed)


if __name__ == "__main__":
    main()
