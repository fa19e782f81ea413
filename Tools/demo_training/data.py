"""Data: samples rendered by Tools/synthetic_clips.py with a random camera through a real libx264
round trip, resized as the product does, and their augmentations (flips, time reversal)."""

import os
import subprocess
import time
from multiprocessing import Pool

import numpy as np
import torch

import synthetic_clips as sc
from .config import FRAMES, MEAN, SIZE, STD
from .training import log


class Camera:
    """What another camera, another scene or another encoder would change; none of it is in the
    caption. Drawn per sample; applied to the clip's parameters and to the rendered frames."""

    def __init__(self, rng, strength=1.0):
        k = strength
        self.brightness = float(rng.uniform(-35, 35) * k)
        self.contrast = float(np.exp(rng.uniform(-0.35, 0.3) * k))
        self.gamma = float(np.exp(rng.uniform(-0.35, 0.35) * k))
        self.background = float(np.exp(rng.uniform(-0.6, 0.45) * k))  # darker or brighter scene
        self.size = float(np.exp(rng.uniform(-0.3, 0.3) * k))
        self.aspect = float(np.exp(rng.uniform(-0.35, 0.35) * k)) if rng.random() < 0.5 else 1.0
        self.fps = int(rng.choice([8, 10, 12, 15, 20, 24, 25, 30, 50, 60]))
        self.shake = float(rng.uniform(0, 0.02) * k) if rng.random() < 0.4 else 0.0
        self.crf = int(rng.integers(16, 40))

    def apply(self, clip):
        clip.fps = self.fps
        clip.r0, clip.r1 = clip.r0 * self.size, clip.r1 * self.size
        clip.aspect = self.aspect
        clip.bg = np.clip(clip.bg * self.background, 0, 255)
        clip.crf = self.crf

    def photometric(self, frames):
        x = frames.astype(np.float32)
        x = (x - 128) * self.contrast + 128 + self.brightness
        x = 255 * (np.clip(x, 0, 255) / 255) ** self.gamma
        return np.clip(x + 0.5, 0, 255).astype(np.uint8)


def resize_crop(frames, size=SIZE):
    """What the product's preprocessing does (VideoMAEImageProcessor): short side to `size` with
    PIL's bilinear filter (the long side truncated), centre crop. uint8 [T, H, W, 3] -> [T, size, size, 3]."""
    from PIL import Image
    out = []
    for f in frames:
        h, w = f.shape[:2]
        nh, nw = (size, int(size * w / h)) if h <= w else (int(size * h / w), size)
        img = np.asarray(Image.fromarray(f).resize((nw, nh), Image.BILINEAR))
        top, left = (nh - size) // 2, (nw - size) // 2
        out.append(img[top:top + size, left:left + size])
    return np.stack(out)


def roundtrip(frames, crf, fps):
    """Encodes the frames with libx264 and decodes them again: real compression artifacts."""
    t, h, w, _ = frames.shape
    enc = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                            "-s", f"{w}x{h}", "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "veryfast",
                            "-crf", str(crf), "-pix_fmt", "yuv420p", "-f", "matroska", "-"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    dec = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", "-", "-f", "rawvideo",
                            "-pix_fmt", "rgb24", "-"], stdin=enc.stdout, stdout=subprocess.PIPE)
    enc.stdout.close()
    enc.stdin.write(frames.tobytes())
    enc.stdin.close()
    out = dec.stdout.read()
    dec.wait()
    enc.wait()
    decoded = np.frombuffer(out, dtype=np.uint8)
    if decoded.size != frames.size:
        return frames
    return decoded.reshape(frames.shape)


def training_times(clip, rng):
    """8 frame times from a random window of the clip (1.5 s to the 4 s segment the product
    cuts, or the whole clip), TSN-style (the middle of 8 equal parts, jittered), on the frame grid."""
    length = float(rng.uniform(min(clip.duration, 1.5), min(clip.duration, 4.5)))
    start = float(rng.uniform(0, clip.duration - length))
    times = [start + (k + 0.5 + rng.uniform(-0.3, 0.3)) * length / FRAMES for k in range(FRAMES)]
    return [min(max(round(t * clip.fps) / clip.fps, 0.0), clip.duration) for t in times]


def segment_times(clip):
    """The frame times the product samples in a clip's first segment (SegmentPlan: a clip no
    longer than 4 s is one segment; 8 middles of equal parts)."""
    end = min(clip.duration, 4.0)
    return [(k + 0.5) * end / FRAMES for k in range(FRAMES)]


def object_track(clip, times):
    """Where the object is in each frame (centre x, centre y, radius, visible), in the
    coordinates of the centre square that the crop keeps."""
    rows = []
    for t in times:
        s = min(max(t / clip.duration, 0.0), 1.0)
        rows.append([clip.start[0] + (clip.end[0] - clip.start[0]) * s, clip.start[1] + (clip.end[1] - clip.start[1]) * s,
                     clip.r0 + (clip.r1 - clip.r0) * s, 1.0 if clip.visible(t) else 0.0])
    return np.array(rows, dtype=np.float32)


def render_sample(job):
    """One sample: (frames uint8 [8, SIZE, SIZE, 3], track [8, 4]). job = (seed, index, class,
    camera strength, 'train' or 'eval'); eval samples take the product's segment times."""
    seed, index, cls, strength, kind = job
    clip = sc.make_clip(seed, index, cls)
    rng = np.random.default_rng([seed, index, 99])
    camera = Camera(rng, strength) if strength > 0 else None
    if camera:
        camera.apply(clip)
    times = training_times(clip, rng) if kind == "train" else segment_times(clip)
    track = object_track(clip, times)
    frames = []
    for k, t in enumerate(times):
        frame = clip.frame(t, rng)
        if camera and camera.shake > 0:
            dx, dy = (rng.normal(0, camera.shake, size=2) * clip.side).round().astype(int)
            frame = np.roll(frame, (dy, dx), axis=(0, 1))
            track[k, 0] += dx / clip.side
            track[k, 1] += dy / clip.side
        frames.append(frame)
    frames = np.stack(frames)
    if camera:
        frames = camera.photometric(frames)
    frames = roundtrip(frames, clip.crf, clip.fps)
    return resize_crop(frames), track


def render_set(path, jobs, label):
    """Renders (or loads) a set of samples, cached in an .npz."""
    if os.path.exists(path):
        data = np.load(path)
        if len(data["frames"]) == len(jobs):
            return data["frames"], data["tracks"]
    start = time.time()
    frames, tracks = [], []
    with Pool(2) as pool:
        for i, (f, t) in enumerate(pool.imap(render_sample, jobs, chunksize=8)):
            frames.append(f)
            tracks.append(t)
            if i % 500 == 0:
                log(f"{label}: rendered {i}/{len(jobs)} in {time.time() - start:.0f}s")
    frames, tracks = np.stack(frames), np.stack(tracks)
    tmp = str(path) + ".tmp.npz"
    np.savez(tmp, frames=frames, tracks=tracks)
    os.replace(tmp, path)
    log(f"{label}: {len(jobs)} samples in {time.time() - start:.0f}s")
    return frames, tracks


def to_pixels(frames):
    """uint8 [..., H, W, 3] -> normalized float [..., 3, H, W]."""
    x = (torch.as_tensor(np.ascontiguousarray(frames)).float() / 255.0 - torch.from_numpy(MEAN)) / torch.from_numpy(STD)
    return x.movedim(-1, -3).contiguous()


AUGMENT = {  # flip or reverse, and what each does to the motion words
    "hflip": {"moving left": "moving right", "moving right": "moving left"},
    "vflip": {"moving up": "moving down", "moving down": "moving up"},
    "reverse": {"moving left": "moving right", "moving right": "moving left", "moving up": "moving down",
                "moving down": "moving up", "growing": "shrinking", "shrinking": "growing"},
}


def relabel(cls, name):
    return (cls[0], cls[1], AUGMENT[name].get(cls[2], cls[2]))


def augment(frames, track, cls, rng, allowed):
    """Random flips and time reversal of one sample, with the caption and the object's track
    changed to match; a change that would give a class outside `allowed` is skipped."""
    track = track.copy()
    for name in AUGMENT:
        if rng.random() < 0.5:
            new = relabel(cls, name)
            if new not in allowed:
                continue
            if name == "hflip":
                frames = frames[:, :, ::-1]
                track[:, 0] = 1 - track[:, 0]
            elif name == "vflip":
                frames = frames[:, ::-1]
                track[:, 1] = 1 - track[:, 1]
            else:
                frames = frames[::-1]
                track = track[::-1].copy()
            cls = new
    return frames, track, cls
