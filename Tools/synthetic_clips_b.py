#!/usr/bin/env python3
"""A second, deliberately different renderer of the demo's action clips, for evaluation only
(the demo model never trains on it): does the model hold up on footage that another camera,
another scene and another encoder made?

Same domain and captions as Tools/synthetic_clips.py ("a {color} {shape} {motion}", the same
120 classes and held-out split); everything else differs:
  objects     anti-aliased (4x supersampled) with a darker outline and shading, other tints of
              the named colors, triangles turned to any angle, sizes and aspects of their own
  backgrounds photo-like: smooth noise with texture, vignetting, bright and dark scenes, a slow
              change of exposure over the clip
  motion      eased in and out, starting late and ending early, paths a little off the axis,
              blinking with other rhythms, growth that is not linear
  camera      other frame sizes (240p to 360p, 4:3 and 16:9), 15 to 30 fps, 3 to 7 s, a little
              shake, grainier noise
  encoding    MPEG-4 Part 2 or H.264 with other settings, in MP4 or MKV

Usage:
  Tools/synthetic_clips_b.py OUT_DIR --count 240 --seed 11 [--classes all|seen|heldout]
writes OUT_DIR/clip-00000.{mp4,mkv} ... and OUT_DIR/labels.jsonl (as synthetic_clips.py does).
"""
import argparse
import math
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthetic_clips as sc  # noqa: E402

TINTS = {"red": [(200, 30, 60), (230, 60, 30), (180, 20, 20)],
         "green": [(60, 200, 90), (30, 140, 40), (110, 190, 40)],
         "blue": [(30, 90, 230), (60, 60, 200), (20, 120, 210)],
         "yellow": [(250, 230, 60), (230, 200, 20), (255, 240, 120)],
         "white": [(250, 250, 250), (235, 235, 240), (255, 250, 235)]}
SIZES = [(320, 240), (426, 240), (480, 360), (640, 360), (360, 270), (400, 300)]


def ease(s):
    return 0.5 - 0.5 * math.cos(math.pi * min(max(s, 0.0), 1.0))


def smooth_noise(rng, h, w, cells):
    grid = rng.uniform(0, 1, size=(cells + 1, cells + 1))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gy, gx = yy / h * cells, xx / w * cells
    y0, x0 = np.floor(gy).astype(int), np.floor(gx).astype(int)
    fy, fx = gy - y0, gx - x0
    fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)
    a = grid[y0, x0] * (1 - fx) + grid[y0, np.minimum(x0 + 1, cells)] * fx
    b = grid[np.minimum(y0 + 1, cells), x0] * (1 - fx) + grid[np.minimum(y0 + 1, cells), np.minimum(x0 + 1, cells)] * fx
    return a * (1 - fy) + b * fy


class ClipB:
    def __init__(self, rng, color, shape, motion):
        self.color, self.shape, self.motion = color, shape, motion
        self.width, self.height = SIZES[int(rng.integers(len(SIZES)))]
        self.fps = int(rng.choice([24, 25, 30, 15]))
        self.duration = float(rng.uniform(3.0, 7.0))
        self.side = min(self.width, self.height)
        self.x0, self.y0 = (self.width - self.side) / 2, (self.height - self.side) / 2
        tint = np.array(TINTS[color][int(rng.integers(3))], dtype=np.float32)
        self.rgb = np.clip(tint + rng.integers(-12, 13, size=3), 0, 255)
        # Background: textured smooth noise in two colors far from the object's, a level of its own.
        a, b = sc.far_from(rng, tint, 150), sc.far_from(rng, tint, 150)
        t = smooth_noise(rng, self.height, self.width, int(rng.integers(2, 6)))[..., None]
        fine = smooth_noise(rng, self.height, self.width, int(rng.integers(12, 30)))[..., None]
        bg = a * (1 - t) + b * t
        bg = bg * (0.85 + 0.3 * fine)
        gray = bg.mean(axis=2, keepdims=True)
        bg = gray + (bg - gray) * rng.uniform(0.2, 0.6)
        level = float(rng.choice([rng.uniform(0.25, 0.5), rng.uniform(0.6, 0.9), rng.uniform(0.9, 1.15)]))
        yy, xx = np.mgrid[0:self.height, 0:self.width].astype(np.float32)
        r2 = ((xx - self.width / 2) / self.width) ** 2 + ((yy - self.height / 2) / self.height) ** 2
        self.bg = np.clip(bg * level * (1 - rng.uniform(0.2, 0.6) * r2[..., None]), 0, 255).astype(np.float32)
        self.exposure = (float(rng.uniform(-0.12, 0.12)), float(rng.uniform(0.2, 1.0)))  # drift amount, period share
        self.grain = float(rng.uniform(2, 14))
        self.shake = float(rng.uniform(0, 0.012))
        self.angle = float(rng.uniform(0, 2 * math.pi)) if shape == "triangle" else float(rng.uniform(-0.5, 0.5))
        self.aspect = float(np.exp(rng.uniform(-0.25, 0.25)))
        r = float(rng.uniform(0.07, 0.2))
        self.r0 = self.r1 = r
        self.t0, self.t1 = float(rng.uniform(0, 0.2)), float(rng.uniform(0.8, 1.0))  # motion starts late, ends early
        c = (float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7)))
        self.start = self.end = c
        if motion.startswith("moving"):
            distance = float(rng.uniform(0.3, 0.5))
            lo, hi = r + 0.03, 1 - r - 0.03
            distance = min(distance, hi - lo)
            along = float(rng.uniform(lo, hi - distance))
            across = float(rng.uniform(lo + 0.08, hi - 0.08))
            drift = float(rng.uniform(-0.08, 0.08))
            a, b = (along, along + distance)
            if motion == "moving left":
                self.start, self.end = (b, across), (a, across + drift)
            elif motion == "moving right":
                self.start, self.end = (a, across), (b, across + drift)
            elif motion == "moving up":
                self.start, self.end = (across, b), (across + drift, a)
            else:
                self.start, self.end = (across, a), (across + drift, b)
        elif motion in ("growing", "shrinking"):
            small, big = float(rng.uniform(0.04, 0.08)), float(rng.uniform(0.18, 0.25))
            self.r0, self.r1 = (small, big) if motion == "growing" else (big, small)
            c = (float(rng.uniform(big + 0.02, 1 - big - 0.02)), float(rng.uniform(big + 0.02, 1 - big - 0.02)))
            self.start = self.end = c
        self.on, self.off = float(rng.uniform(0.2, 0.6)), float(rng.uniform(0.2, 0.6))
        self.phase = float(rng.uniform(0, 1))
        self.codec = str(rng.choice(["mpeg4", "libx264"]))
        self.quality = int(rng.integers(3, 9)) if self.codec == "mpeg4" else int(rng.integers(20, 36))
        self.container = str(rng.choice(["mp4", "mkv"]))
        self.seed = int(rng.integers(0, 2**31))

    def noise(self, rng):
        """Twelve frames of sensor grain (luma plus some chroma), cycled: cheaper than fresh noise per frame."""
        if not hasattr(self, "_noise"):
            luma = rng.normal(0, self.grain, size=(12, self.height, self.width, 1)).astype(np.float32)
            self._noise = luma + rng.normal(0, self.grain / 3, size=(12, self.height, self.width, 3)).astype(np.float32)
        return self._noise

    def visible(self, t):
        if self.motion != "blinking":
            return True
        cycle = self.on + self.off
        return ((t / cycle + self.phase) % 1.0) * cycle < self.on

    def frame(self, t, rng):
        s = ease((t / self.duration - self.t0) / max(self.t1 - self.t0, 1e-6))
        cx = self.start[0] + (self.end[0] - self.start[0]) * s
        cy = self.start[1] + (self.end[1] - self.start[1]) * s
        r = self.r0 + (self.r1 - self.r0) * (s ** 1.5 if self.r1 > self.r0 else 1 - (1 - s) ** 1.5)
        img = self.bg.copy()
        if self.visible(t):
            # 4x supersampled coverage of the shape and of its outline ring, in a box around it.
            half = int(math.ceil((r * 1.6 + 0.02) * self.side)) + 2
            px, py = self.x0 + cx * self.side, self.y0 + cy * self.side
            x_lo, x_hi = max(0, int(px) - half), min(self.width, int(px) + half)
            y_lo, y_hi = max(0, int(py) - half), min(self.height, int(py) + half)
            if x_hi > x_lo and y_hi > y_lo:
                ys, xs = np.mgrid[y_lo:y_hi:0.25, x_lo:x_hi:0.25].astype(np.float32) + 0.125
                inner = sc.shape_mask(self.shape, xs, ys, px, py, r * self.side, self.angle, self.aspect)
                outer = sc.shape_mask(self.shape, xs, ys, px, py, r * self.side * 1.12 + 1, self.angle, self.aspect)
                h, w = y_hi - y_lo, x_hi - x_lo
                cover = inner.reshape(h, 4, w, 4).mean(axis=(1, 3))[..., None]
                ring = outer.reshape(h, 4, w, 4).mean(axis=(1, 3))[..., None]
                shade = 0.85 + 0.3 * (1 - (ys.reshape(h, 4, w, 4).mean(axis=(1, 3)) - (py - r * self.side)) / (2 * r * self.side + 1e-6))
                body = np.clip(self.rgb * np.clip(shade, 0.7, 1.15)[..., None], 0, 255)
                region = img[y_lo:y_hi, x_lo:x_hi]
                region[:] = region * (1 - ring) + (self.rgb * 0.45) * ring
                region[:] = region * (1 - cover) + body * cover
        drift, share = self.exposure
        img = img * (1 + drift * math.sin(2 * math.pi * t / (self.duration * share)))
        img = img + self.noise(rng)[int(t * self.fps) % 12]
        if self.shake > 0:
            dx, dy = (rng.normal(0, self.shake, size=2) * self.side).round().astype(int)
            img = np.roll(img, (dy, dx), axis=(0, 1))
        return np.clip(img, 0, 255).astype(np.uint8)

    def write(self, path):
        rng = np.random.default_rng(self.seed)
        codec = ["-c:v", "mpeg4", "-q:v", str(self.quality)] if self.codec == "mpeg4" else \
            ["-c:v", "libx264", "-preset", "medium", "-crf", str(self.quality), "-tune", "grain"]
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{self.width}x{self.height}", "-r", str(self.fps), "-i", "-", *codec, "-pix_fmt", "yuv420p", path]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
        for i in range(max(1, int(round(self.duration * self.fps)))):
            proc.stdin.write(self.frame(i / self.fps, rng).tobytes())
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg failed for {path}")


def make_clip(seed, index, cls):
    return ClipB(np.random.default_rng([seed, index, 2]), *cls)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=240)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--classes", choices=["all", "seen", "heldout"], default="all")
    args = parser.parse_args()
    seen, held = sc.split_classes()
    pool = {"all": sc.classes(), "seen": seen, "heldout": held}[args.classes]
    sc.write_clips(args.out, pool, args.count, make_clip, args.seed, style="b")


if __name__ == "__main__":
    main()
