#!/usr/bin/env python3
"""Trains the bundled demo X-CLIP on synthetic action clips, in stages that learn on two CPU
cores, and exports it in the Hugging Face layout (Models/xclip-demo) with a reference dump for
`vidsearch model check`.

Development time only: needs torch, transformers, numpy, pillow, safetensors, clip-anytorch (the
original CLIP tokenizer) and the ffmpeg command-line tool. Seeded: the same command on the same
torch build and thread count gives the same model, as long as no --minutes cap cuts a stage short
(each stage prints when its cap stopped it).

The recipe follows the paper's route: X-CLIP expands a *pretrained image model*.
  data      samples rendered by Tools/synthetic_clips.py with a random "camera" (brightness,
            contrast, gamma, background level, object size and aspect, frame rate, shake,
            compression) through a real libx264 round trip, resized as the product does (PIL).
  image     stage 1: the vision transformer trained as an image model (CLIPVisionModel, same
            config) on single frames from many clips: heads for color, shape, the object's
            position and size, and whether it is visible; flips, 90-degree turns, photometric
            jitter on top.
  text      the text tower pretrained on attribute heads (color, shape, motion from the
            caption, paraphrases included), so captions of one length do not start with one
            embedding.
  cache     the stage-1 tower, loaded into XCLIPModel's vision tower (only the message-token
            tensors are new, zero-initialised), run once over every sample and its horizontal and
            vertical mirrors; time reversal is a reordering of the cached frames.
  video     stage 2 on the cached features: visual projection, MIT, text tower, prompt
            generator. Scored with the plain cosine first; the prompt generator switched in later
            with its two output projections zero-initialised (so at the switch the prompted text
            is (1 + alpha) x text: the text is not drowned); both scores stay in the loss, since
            the index ranks by the plain cosine and the rerank by the prompted one.
  finetune  end to end on frames with the tower unlocked at a low learning rate (the message
            tokens learn cross-frame communication here).
Held-out combinations (20%, synthetic_clips.split_classes) are never trained, not even as
negatives or through flips and reversal.

Ablation (the paper's Table 6 in miniature), each variant from the same image and text stages,
same data and the same video/finetune budget:
  clip-mean    frames averaged, no message tokens, no MIT, no prompt
  cross-frame  + cross-frame communication
  mit          + multi-frame integration transformer
  full         + video-specific prompt (the exported model)

Usage:
  Tools/train_demo.py                       # every stage, then export to Models/xclip-demo
  Tools/train_demo.py --resume              # continue a stopped run from its checkpoints
  Tools/train_demo.py --variant mit --video-steps 1500 --finetune-minutes 4 --out /tmp/ablation-mit
"""
import argparse
import copy
import importlib.util
import json
import math
import os
import pathlib
import subprocess
import sys
import time
from multiprocessing import Pool

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import synthetic_clips as sc  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
SIZE = 64
PATCH = 8
FRAMES = 8
WIDTH = 128
ATTRIBUTES = {"color": sc.COLORS, "shape": sc.SHAPES, "motion": sc.MOTIONS}
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
VARIANTS = ["clip-mean", "cross-frame", "mit", "full"]


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------

def demo_config():
    from transformers import XCLIPConfig
    return XCLIPConfig(
        projection_dim=WIDTH, prompt_layers=2, prompt_num_attention_heads=4, prompt_alpha=0.1,
        text_config=dict(hidden_size=WIDTH, intermediate_size=4 * WIDTH, num_hidden_layers=2, num_attention_heads=4,
                         max_position_embeddings=77, vocab_size=49408),
        vision_config=dict(hidden_size=WIDTH, intermediate_size=4 * WIDTH, num_hidden_layers=4, num_attention_heads=4,
                           image_size=SIZE, patch_size=PATCH, num_frames=FRAMES, mit_hidden_size=WIDTH,
                           mit_intermediate_size=4 * WIDTH, mit_num_hidden_layers=1, mit_num_attention_heads=4),
    )


def image_config():
    """The stage-1 image model: CLIP's vision transformer with the video model's vision config."""
    from transformers import CLIPVisionConfig
    v = demo_config().vision_config
    return CLIPVisionConfig(hidden_size=v.hidden_size, intermediate_size=v.intermediate_size,
                            num_hidden_layers=v.num_hidden_layers, num_attention_heads=v.num_attention_heads,
                            image_size=v.image_size, patch_size=v.patch_size, hidden_act=v.hidden_act,
                            layer_norm_eps=v.layer_norm_eps)


def autocast(precision):
    """bf16 autocast where the CPU multiplies bf16 natively (f32 accumulation), else f32."""
    if precision == "auto":
        flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
        precision = "bf16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "f32"
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


# ---------------------------------------------------------------------------------------------
# Captions
# ---------------------------------------------------------------------------------------------

SHAPE_WORDS = {"circle": ["ball", "disc", "dot", "round shape"], "square": ["box", "block", "square shape"],
               "triangle": ["triangle shape"]}
MOTION_WORDS = {
    "moving left": ["going left", "going to the left", "heading left", "moves left", "moving to the left"],
    "moving right": ["going right", "going to the right", "heading right", "moves right", "moving to the right"],
    "moving up": ["going up", "rising", "heading up", "moves up", "moving upward"],
    "moving down": ["going down", "falling", "heading down", "moves down", "moving downward"],
    "growing": ["getting bigger", "expanding", "grows"],
    "shrinking": ["getting smaller", "contracting", "shrinks"],
    "blinking": ["flashing", "flickering", "blinks"],
    "standing still": ["not moving", "staying still", "resting", "still"],
}


def paraphrase(cls, rng, p_canonical):
    """The class caption, or (with probability 1 - p_canonical) a rewording of it."""
    color, shape, motion = cls
    if rng.random() < p_canonical:
        return sc.caption(color, shape, motion)
    s = shape if rng.random() < 0.5 else str(rng.choice(SHAPE_WORDS[shape]))
    m = motion if rng.random() < 0.5 else str(rng.choice(MOTION_WORDS[motion]))
    article = "a" if rng.random() < 0.7 else "the"
    return f"{article} {color} {s} {m}"


def simple_tokenizer():
    """The original CLIP tokenizer, loaded by path (importing the clip package pulls in torchvision)."""
    spec = importlib.util.find_spec("clip")
    path = pathlib.Path(spec.submodule_search_locations[0]) / "simple_tokenizer.py"
    module_spec = importlib.util.spec_from_file_location("simple_tokenizer", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.SimpleTokenizer(str(ROOT / "Models/xclip-demo/bpe_simple_vocab_16e6.txt.gz"))


class Tokens:
    """Caption -> (ids, mask), cached: the same few hundred captions come back every step."""

    def __init__(self):
        self.tokenizer = simple_tokenizer()
        self.cache = {}

    def __call__(self, texts):
        ids = []
        for t in texts:
            if t not in self.cache:
                self.cache[t] = [49406] + self.tokenizer.encode(t)[:75] + [49407]
            ids.append(self.cache[t])
        length = max(len(i) for i in ids)
        padded = torch.zeros(len(ids), length, dtype=torch.long)
        mask = torch.zeros(len(ids), length, dtype=torch.long)
        for row, i in enumerate(ids):
            padded[row, : len(i)] = torch.tensor(i)
            mask[row, : len(i)] = 1
        return padded, mask


# ---------------------------------------------------------------------------------------------
# Data: rendering with a random camera
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Logging, checkpoints, schedules
# ---------------------------------------------------------------------------------------------

def log(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Stage:
    """A stage's step loop with a time cap, checkpoints every few minutes and resume."""

    def __init__(self, name, work, steps, minutes, checkpoint_minutes, resume):
        self.name, self.work, self.steps, self.minutes = name, work, steps, minutes
        self.checkpoint_minutes = checkpoint_minutes
        self.path = work / f"{name}.ckpt"
        self.done_path = work / f"{name}.done.pt"
        self.resume = resume
        self.start = time.time()
        self.last_checkpoint = self.start
        self.step = 0

    def finished(self):
        return self.resume and self.done_path.exists()

    def restore(self, modules, optimizer, rng):
        if self.resume and self.path.exists():
            state = torch.load(self.path, weights_only=False)
            for name, m in modules.items():
                m.load_state_dict(state["modules"][name])
            optimizer.load_state_dict(state["optimizer"])
            rng.bit_generator.state = state["rng"]
            torch.set_rng_state(state["torch_rng"])
            self.step = state["step"]
            log(f"{self.name}: resumed at step {self.step}")

    def save(self, modules, optimizer, rng, force=False):
        if not force and time.time() - self.last_checkpoint < 60 * self.checkpoint_minutes:
            return
        state = {"modules": {n: m.state_dict() for n, m in modules.items()}, "optimizer": optimizer.state_dict(),
                 "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "step": self.step}
        tmp = self.path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path)
        self.last_checkpoint = time.time()

    def running(self):
        if self.step >= self.steps:
            return False
        if self.minutes and time.time() - self.start > 60 * self.minutes:
            log(f"{self.name}: the {self.minutes}-minute cap stopped it at step {self.step} of {self.steps}")
            return False
        return True

    def finish(self, modules, extra=None):
        torch.save({"modules": {n: m.state_dict() for n, m in modules.items()}, "steps": self.step, **(extra or {})},
                   self.done_path)

    def load_done(self):
        return torch.load(self.done_path, weights_only=False)


def cosine_schedule(optimizer, steps, warmup_fraction=0.05):
    warmup = max(1, int(steps * warmup_fraction))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))


def rate(samples, seconds):
    return samples / max(seconds, 1e-9)


# ---------------------------------------------------------------------------------------------
# Stage 1: the image model
# ---------------------------------------------------------------------------------------------

class ImageHeads(torch.nn.Module):
    def __init__(self, width=WIDTH):
        super().__init__()
        self.color = torch.nn.Linear(width, len(sc.COLORS))
        self.shape = torch.nn.Linear(width, len(sc.SHAPES))
        self.box = torch.nn.Linear(width, 3)
        self.visible = torch.nn.Linear(width, 1)

    def loss(self, pooled, color, shape, track):
        visible = track[:, 3]
        w = visible / visible.sum().clamp(min=1)
        ce = lambda head, target: (F.cross_entropy(head(pooled).float(), target, reduction="none") * w).sum()  # noqa: E731
        box = ((self.box(pooled).float() - track[:, :3]) ** 2).sum(1)
        return (ce(self.color, color) + ce(self.shape, shape) + 20 * (box * w).sum()
                + F.binary_cross_entropy_with_logits(self.visible(pooled).float()[:, 0], visible))


def turn_frames(x, track, rng):
    """Random flips and 90-degree turns of a batch of frames [B, H, W, 3] with their tracks."""
    track = track.copy()
    if rng.random() < 0.5:
        x = x[:, :, ::-1]
        track[:, 0] = 1 - track[:, 0]
    if rng.random() < 0.5:
        x = x[:, ::-1]
        track[:, 1] = 1 - track[:, 1]
    if rng.random() < 0.5:  # transpose: x <-> y
        x = x.transpose(0, 2, 1, 3)
        track[:, [0, 1]] = track[:, [1, 0]]
    return np.ascontiguousarray(x), track


def jitter(pixels, generator):
    """Per-frame photometric jitter on normalized pixels [B, 3, H, W]: gain, offset, noise."""
    b = pixels.shape[0]
    gain = torch.exp(torch.empty(b, 1, 1, 1).uniform_(-0.25, 0.25, generator=generator))
    offset = torch.empty(b, 1, 1, 1).uniform_(-0.3, 0.3, generator=generator)
    tint = torch.empty(b, 3, 1, 1).uniform_(-0.08, 0.08, generator=generator)
    noise = torch.randn(pixels.shape, generator=generator) * torch.empty(b, 1, 1, 1).uniform_(0, 0.08, generator=generator)
    return pixels * gain + offset + tint + noise


def frame_labels(classes_):
    color = torch.tensor([sc.COLORS.index(c[0]) for c in classes_])
    shape = torch.tensor([sc.SHAPES.index(c[1]) for c in classes_])
    return color, shape


def image_eval(model, heads, frames, tracks, classes_, ctx):
    """Held-out frames: color and shape accuracy on visible frames, mean position error."""
    x = frames.reshape(-1, SIZE, SIZE, 3)
    t = tracks.reshape(-1, 4)
    cls = [c for c in classes_ for _ in range(FRAMES)]
    color, shape = frame_labels(cls)
    outs = []
    with torch.no_grad(), ctx:
        for i in range(0, len(x), 512):
            outs.append(model(pixel_values=to_pixels(x[i:i + 512])).pooler_output.float())
    pooled = torch.cat(outs)
    vis = torch.from_numpy(t[:, 3]) > 0.5
    acc = lambda head, target: (head(pooled).argmax(1) == target)[vis].float().mean().item()  # noqa: E731
    err = (heads.box(pooled)[:, :2] - torch.from_numpy(t[:, :2])).norm(dim=1)[vis].mean().item()
    return {"color": acc(heads.color, color), "shape": acc(heads.shape, shape), "position_error": err}


def stage_image(args, work, data, eval_data):
    from transformers import CLIPVisionModel
    stage = Stage("image", work, args.image_steps, args.image_minutes, args.checkpoint_minutes, args.resume)
    if stage.finished():
        return stage.load_done()["modules"]["vision"]
    torch.manual_seed(args.seed + 1)
    model = CLIPVisionModel(image_config())
    heads = ImageHeads()
    modules = {"vision": model, "heads": heads}
    params = list(model.parameters()) + list(heads.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.image_lr, weight_decay=0.05)
    schedule = cosine_schedule(optimizer, args.image_steps)
    rng = np.random.default_rng(args.seed + 1)
    generator = torch.Generator().manual_seed(args.seed + 1)
    stage.restore(modules, optimizer, rng)
    for _ in range(stage.step):
        schedule.step()
    frames, tracks, classes_ = data
    n = len(frames)
    ctx = autocast(args.precision)
    model.train()
    tick, latest = time.time(), {}
    while stage.running():
        sample = rng.integers(0, n, size=args.image_batch)
        which = rng.integers(0, FRAMES, size=args.image_batch)
        x, t = turn_frames(frames[sample, which], tracks[sample, which], rng)
        color, shape = frame_labels([classes_[i] for i in sample])
        pixels = jitter(to_pixels(x), generator)
        with ctx:
            pooled = model(pixel_values=pixels).pooler_output
            loss = heads.loss(pooled, color, shape, torch.from_numpy(t))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        stage.step += 1
        if stage.step % args.eval_every == 0 or stage.step == args.image_steps:
            model.eval()
            latest = image_eval(model, heads, *eval_data, ctx)
            model.train()
        if stage.step % 25 == 0:
            elapsed = time.time() - tick
            log(f"image step {stage.step}/{args.image_steps} loss {loss.item():.3f} "
                f"{rate(25 * args.image_batch, elapsed):.0f} frames/s eval {fmt(latest)}")
            tick = time.time()
        stage.save(modules, optimizer, rng)
    model.eval()
    final = image_eval(model, heads, *eval_data, ctx)
    log(f"image done after {stage.step} steps: held-out frames {fmt(final)}")
    stage.finish(modules, {"eval": final})
    return model.state_dict()


def fmt(d):
    return " ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in d.items())


# ---------------------------------------------------------------------------------------------
# Text pretraining
# ---------------------------------------------------------------------------------------------

class AttributeHeads(torch.nn.Module):
    """color, shape, motion from an embedding of projection width (text or video)."""

    def __init__(self, width=WIDTH):
        super().__init__()
        self.heads = torch.nn.ModuleDict({k: torch.nn.Linear(width, len(v)) for k, v in ATTRIBUTES.items()})

    def loss(self, embeds, classes_):
        x = 10 * F.normalize(embeds.float(), dim=-1)
        return sum(F.cross_entropy(self.heads[k](x), torch.tensor([ATTRIBUTES[k].index(c[i]) for c in classes_]))
                   for i, k in enumerate(ATTRIBUTES))

    def accuracy(self, embeds, classes_, key):
        x = 10 * F.normalize(embeds.float(), dim=-1)
        i = list(ATTRIBUTES).index(key)
        target = torch.tensor([ATTRIBUTES[key].index(c[i]) for c in classes_])
        return (self.heads[key](x).argmax(1) == target).float().mean().item()


def text_features(model, tokens, texts):
    ids, mask = tokens(texts)
    return model.text_projection(model.text_model(input_ids=ids, attention_mask=mask).pooler_output)


def stage_text(args, work, model, tokens, seen):
    stage = Stage("text", work, args.text_steps, None, args.checkpoint_minutes, args.resume)
    if stage.finished():
        return stage.load_done()["modules"]
    torch.manual_seed(args.seed + 2)
    heads = AttributeHeads()
    parts = {"text_model": model.text_model, "text_projection": model.text_projection}
    params = [p for m in parts.values() for p in m.parameters()] + list(heads.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.text_lr, weight_decay=0.05)
    rng = np.random.default_rng(args.seed + 2)
    tick = time.time()
    while stage.running():
        texts = [paraphrase(c, rng, args.canonical) for c in seen]
        loss = heads.loss(text_features(model, tokens, texts), seen)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        stage.step += 1
    with torch.no_grad():
        t = text_features(model, tokens, [sc.caption(*c) for c in seen])
        accuracy = {k: heads.accuracy(t, seen, k) for k in ATTRIBUTES}
        cos = F.normalize(t, dim=-1) @ F.normalize(t, dim=-1).t()
        off = cos[~torch.eye(len(seen), dtype=torch.bool)]
    log(f"text done after {stage.step} steps in {time.time() - tick:.0f}s: attribute accuracy {fmt(accuracy)}, "
        f"caption cosine mean {off.mean().item():.3f} max {off.max().item():.3f}")
    stage.finish(parts)
    return {k: v.state_dict() for k, v in parts.items()}


# ---------------------------------------------------------------------------------------------
# The video model on the stage-1 tower
# ---------------------------------------------------------------------------------------------

def plain_vision_layer_forward(self, hidden_states, attention_mask=None, **kwargs):
    """A vision layer without cross-frame communication (the ablation's baseline)."""
    residual = hidden_states
    hidden_states, _ = self.self_attn(hidden_states=self.layer_norm1(hidden_states), attention_mask=attention_mask)
    hidden_states = residual + hidden_states
    return hidden_states + self.mlp(self.layer_norm2(hidden_states))


def video_model(variant, image_state, text_state):
    """XCLIPModel with the stage-1 vision tower and the pretrained text tower. The message
    tokens start at zero (message_fc and the message attention's output projection), the prompt
    generator's two output projections too (so the prompted text starts as (1 + alpha) x text)."""
    from transformers import XCLIPModel
    model = XCLIPModel(demo_config())
    state = {k.replace("vision_model.", "", 1).replace("pre_layrnorm", "pre_layernorm"): v for k, v in image_state.items()}
    missing, unexpected = model.vision_model.load_state_dict(state, strict=False)
    assert not unexpected and all(".message_" in k for k in missing), (missing, unexpected)
    with torch.no_grad():
        for layer in model.vision_model.encoder.layers:
            for p in [layer.message_fc.weight, layer.message_fc.bias, layer.message_attn.out_proj.weight,
                      layer.message_attn.out_proj.bias]:
                p.zero_()
        for layer in model.prompts_generator.decoder:
            for p in [layer.cross_attn.proj.weight, layer.cross_attn.proj.bias, layer.mlp[3].weight, layer.mlp[3].bias]:
                p.zero_()
        model.prompts_visual_projection.normal_(0, WIDTH ** -0.5)
        model.logit_scale.fill_(math.log(50))
    if text_state:
        model.text_model.load_state_dict(text_state["text_model"])
        model.text_projection.load_state_dict(text_state["text_projection"])
    if variant == "clip-mean":
        for layer in model.vision_model.encoder.layers:
            layer.forward = plain_vision_layer_forward.__get__(layer)
    return model


def tower_features(model, pixels):
    """The vision tower's outputs that the rest of the model reads: per-frame pooled features
    [B, T, W] (before the visual projection) and the frame-mean of the layer-normalized patch
    tokens [B, P, W] (the prompt generator's input, before its affine and projection: both are
    linear, so the mean can be taken first)."""
    b, t = pixels.shape[:2]
    out = model.vision_model(pixel_values=pixels.flatten(0, 1))
    pooled = out.pooler_output.view(b, t, -1)
    patches = F.layer_norm(out.last_hidden_state[:, 1:].float(), (WIDTH,), eps=model.config.vision_config.layer_norm_eps)
    return pooled, patches.view(b, t, *patches.shape[1:]).mean(1)


def video_embeds(model, variant, pooled):
    frames = model.visual_projection(pooled)
    return model.mit(frames).pooler_output if variant in ("mit", "full") else frames.mean(1)


def prompt_visual(model, patch_mean):
    ln = model.prompts_visual_layernorm
    return (patch_mean * ln.weight + ln.bias) @ model.prompts_visual_projection


def video_logits(model, variant, pooled, patch_mean, text, prompt, prompt_rows=None):
    """[B, K] logit_scale * cos(video, text) for the plain text and (when `prompt`) for the
    video-prompted text, exactly as XCLIPModel.forward computes the latter; the prompted logits
    for the first `prompt_rows` videos only (the prompt generator runs once per video and
    caption: the costly part of a training step)."""
    video = video_embeds(model, variant, pooled)
    v = F.normalize(video.float(), dim=-1)
    scale = model.logit_scale.exp()
    plain = scale * v @ F.normalize(text.float(), dim=-1).t()
    if not prompt:
        return video, plain, None
    rows = v.shape[0] if prompt_rows is None else min(prompt_rows, v.shape[0])
    visual = prompt_visual(model, patch_mean[:rows].to(text.dtype))
    expanded = text.unsqueeze(0).expand(rows, -1, -1)
    prompted = expanded + model.prompts_generator(expanded, visual)
    return video, plain, scale * torch.einsum("bd,bkd->bk", v[:rows], F.normalize(prompted.float(), dim=-1))


def contrastive_loss(logits, targets, text_weight):
    """video->caption cross-entropy over the class captions (the paper's objective), plus
    caption->video over the batch with every video of that caption a positive (retrieval is
    caption->video)."""
    loss = F.cross_entropy(logits, targets)
    if text_weight:
        positive = (targets[:, None] == torch.arange(logits.shape[1])[None]).float()  # [B, K]
        present = positive.sum(0) > 0
        log_p = F.log_softmax(logits.t()[present], dim=1)
        target = positive.t()[present] / positive.t()[present].sum(1, keepdim=True)
        loss = loss + text_weight * -(target * log_p).sum(1).mean()
    return loss


def caption_loss(plain, prompted, targets, text_weight):
    """The contrastive loss on the plain scores, plus on the prompted ones (their first rows)
    when the prompt generator is on: the index ranks by the first, the rerank by the second."""
    loss = contrastive_loss(plain, targets, text_weight)
    if prompted is not None:
        loss = loss + contrastive_loss(prompted, targets[:len(prompted)], text_weight)
    return loss


def train_step(model, optimizer, schedule, params, loss):
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    schedule.step()
    with torch.no_grad():
        model.logit_scale.clamp_(0, math.log(100))


def build_cache(args, work, model, variant, frames):
    """The frozen tower over every sample and its two mirrors: pooled [N, 3, T, W] and patch
    means [N, 3, P, W] (f16). View 0 as rendered, 1 flipped left-right, 2 flipped up-down."""
    kind = "plain" if variant == "clip-mean" else "xclip"
    path = work / f"cache-{kind}.pt"
    if path.exists():
        return torch.load(path)
    start = time.time()
    ctx = autocast(args.precision)
    n = len(frames)
    pooled = torch.zeros(n, 3, FRAMES, WIDTH, dtype=torch.float16)
    patches = torch.zeros(n, 3, (SIZE // PATCH) ** 2, WIDTH, dtype=torch.float16)
    model.eval()
    with torch.no_grad(), ctx:
        for i in range(0, n, 32):
            batch = frames[i:i + 32]
            for view, x in enumerate([batch, batch[:, :, :, ::-1], batch[:, :, ::-1]]):
                p, m = tower_features(model, to_pixels(x))
                pooled[i:i + 32, view] = p.half()
                patches[i:i + 32, view] = m.half()
            if i % 1600 == 0:
                log(f"cache ({kind}): {i}/{n} samples in {time.time() - start:.0f}s")
    cache = {"pooled": pooled, "patches": patches}
    torch.save(cache, str(path) + ".tmp")
    os.replace(str(path) + ".tmp", path)
    log(f"cache ({kind}): {n} samples x 3 views in {time.time() - start:.0f}s")
    return cache


VIEWS = {0: {}, 1: AUGMENT["hflip"], 2: AUGMENT["vflip"]}


def cached_batch(cache, classes_, rng, batch, allowed):
    """A batch from the cache: a random view (as rendered, mirrored left-right or up-down) and a
    random time reversal, each only where the relabelled class is allowed."""
    n = len(classes_)
    idx = rng.integers(0, n, size=batch)
    pooled, patches, labels = [], [], []
    for i in idx:
        cls = classes_[i]
        view = int(rng.integers(0, 3))
        if view:
            new = (cls[0], cls[1], VIEWS[view].get(cls[2], cls[2]))
            if new in allowed:
                cls = new
            else:
                view = 0
        p = cache["pooled"][i, view]
        if rng.random() < 0.5 and relabel(cls, "reverse") in allowed:
            p = p.flip(0)
            cls = relabel(cls, "reverse")
        pooled.append(p)
        patches.append(cache["patches"][i, view])
        labels.append(cls)
    return torch.stack(pooled).float(), torch.stack(patches).float(), labels


def stage_video(args, work, model, variant, cache, classes_, seen, tokens, evaluate):
    """Stage 2: everything after the tower, on cached features."""
    name = f"video-{args.run_name or variant}"
    stage = Stage(name, work, args.video_steps, args.video_minutes, args.checkpoint_minutes, args.resume)
    if stage.finished():
        state = stage.load_done()["modules"]
        model.load_state_dict(state["model"])
        return
    torch.manual_seed(args.seed + 3)
    heads = AttributeHeads()
    trained = [model.visual_projection, model.text_model, model.text_projection, model.prompts_visual_layernorm,
               model.prompts_generator]
    params = [p for m in trained for p in m.parameters()] + [model.logit_scale, model.prompts_visual_projection]
    if variant in ("mit", "full"):
        params += list(model.mit.parameters())
    optimizer = torch.optim.AdamW([{"params": params}, {"params": heads.parameters()}], lr=args.video_lr, weight_decay=0.05)
    schedule = cosine_schedule(optimizer, args.video_steps)
    rng = np.random.default_rng(args.seed + 3)
    modules = {"model": model, "heads": heads}
    stage.restore(modules, optimizer, rng)
    for _ in range(stage.step):
        schedule.step()
    allowed = set(seen)
    seen_index = {c: i for i, c in enumerate(seen)}
    ctx = autocast(args.precision)
    tick, latest = time.time(), {}
    model.train()
    while stage.running():
        pooled, patches, labels = cached_batch(cache, classes_, rng, args.video_batch, allowed)
        texts = [paraphrase(c, rng, args.canonical) for c in seen]
        text = text_features(model, tokens, texts)
        prompt = variant == "full" and stage.step >= args.prompt_from
        with ctx:
            video, plain, prompted = video_logits(model, variant, pooled, patches, text, prompt, args.prompt_batch)
        targets = torch.tensor([seen_index[c] for c in labels])
        loss = caption_loss(plain, prompted, targets, args.text_weight) + args.aux_weight * heads.loss(video, labels) \
            + 0.1 * heads.loss(text, seen)
        train_step(model, optimizer, schedule, params, loss)
        stage.step += 1
        if stage.step % args.eval_every == 0 or stage.step == args.video_steps:
            latest = evaluate(model, variant)
            model.train()
        if stage.step % 100 == 0:
            acc = (plain.argmax(1) == targets).float().mean().item()
            motion = heads.accuracy(video, labels, "motion")
            log(f"{name} step {stage.step}/{args.video_steps} loss {loss.item():.3f} caption-acc {acc:.2f} "
                f"motion-acc {motion:.2f} prompt {'on' if prompt else 'off'} "
                f"{rate(100 * args.video_batch, time.time() - tick):.0f} videos/s eval {fmt(latest)}")
            tick = time.time()
        stage.save(modules, optimizer, rng)
    stage.finish({"model": model})


def stage_finetune(args, work, model, variant, data, seen, tokens, evaluate):
    """End to end on frames, the tower unlocked at a low learning rate."""
    name = f"finetune-{args.run_name or variant}"
    stage = Stage(name, work, args.finetune_steps, args.finetune_minutes, args.checkpoint_minutes, args.resume)
    if stage.finished():
        model.load_state_dict(stage.load_done()["modules"]["model"])
        return
    if args.finetune_steps == 0:
        stage.finish({"model": model})
        return
    torch.manual_seed(args.seed + 4)
    frames, tracks, classes_ = data
    heads = AttributeHeads()
    tower = list(model.vision_model.parameters())
    tower_ids = {id(p) for p in tower}
    rest = [p for p in model.parameters() if id(p) not in tower_ids]
    optimizer = torch.optim.AdamW([{"params": tower, "lr": args.finetune_tower_lr},
                                   {"params": rest + list(heads.parameters()), "lr": args.finetune_lr}], weight_decay=0.05)
    schedule = cosine_schedule(optimizer, args.finetune_steps, warmup_fraction=0.1)
    rng = np.random.default_rng(args.seed + 4)
    modules = {"model": model, "heads": heads}
    stage.restore(modules, optimizer, rng)
    for _ in range(stage.step):
        schedule.step()
    allowed = set(seen)
    seen_index = {c: i for i, c in enumerate(seen)}
    ctx = autocast(args.precision)
    tick, latest = time.time(), {}
    model.train()
    while stage.running():
        idx = rng.integers(0, len(frames), size=args.finetune_batch)
        batch, labels = [], []
        for i in idx:
            f, _, cls = augment(frames[i], tracks[i], classes_[i], rng, allowed)
            batch.append(np.ascontiguousarray(f))
            labels.append(cls)
        texts = [paraphrase(c, rng, args.canonical) for c in seen]
        with ctx:
            pooled, patches = tower_features(model, to_pixels(np.stack(batch)))
            text = text_features(model, tokens, texts)
            video, plain, prompted = video_logits(model, variant, pooled.float(), patches, text.float(), variant == "full",
                                                  args.prompt_batch)
        targets = torch.tensor([seen_index[c] for c in labels])
        loss = caption_loss(plain, prompted, targets, args.text_weight) + args.aux_weight * heads.loss(video, labels)
        train_step(model, optimizer, schedule, list(model.parameters()), loss)
        stage.step += 1
        if stage.step % args.eval_every == 0 or stage.step == args.finetune_steps:
            latest = evaluate(model, variant)
            model.train()
        if stage.step % 20 == 0:
            acc = (plain.argmax(1) == targets).float().mean().item()
            log(f"{name} step {stage.step}/{args.finetune_steps} loss {loss.item():.3f} caption-acc {acc:.2f} "
                f"{rate(20 * args.finetune_batch, time.time() - tick):.1f} videos/s eval {fmt(latest)}")
            tick = time.time()
        stage.save(modules, optimizer, rng)
    stage.finish({"model": model})


# ---------------------------------------------------------------------------------------------
# Evaluation on fresh clips (a fast proxy of `vidsearch bench quality`, which goes through the
# product's real path)
# ---------------------------------------------------------------------------------------------

MIRROR = {"moving left": "moving right", "moving right": "moving left", "moving up": "moving down", "moving down": "moving up"}


def retrieval_figures(scores, clip_classes, held):
    """scores [C, V]: caption c against clip v, over all 120 class captions. R@1/5/10 of
    caption->clip for seen and held-out captions; direction: for each left/right/up/down caption,
    among the clips of its color and shape moving on its axis, is the best one moving its way;
    split by whether the caption and its mirror are both seen."""
    all_classes = sc.classes()
    order = scores.argsort(dim=1, descending=True)
    figures = {}
    for group, members in [("seen", [c for c in all_classes if c not in held]), ("heldout", [c for c in all_classes if c in held])]:
        for k in (1, 5, 10):
            hits = [any(clip_classes[v] == c for v in order[all_classes.index(c), :k].tolist()) for c in members]
            figures[f"{group}.R@{k}"] = sum(hits) / max(len(hits), 1)
    pairs = {"seen": [], "mixed": []}
    for c in all_classes:
        if c[2] not in MIRROR:
            continue
        mirror = (c[0], c[1], MIRROR[c[2]])
        row = all_classes.index(c)
        candidates = [v for v in range(len(clip_classes)) if clip_classes[v] in (c, mirror)]
        if not candidates:
            continue
        best = max(candidates, key=lambda v: scores[row, v].item())
        pairs["seen" if c not in held and mirror not in held else "mixed"].append(clip_classes[best] == c)
    for k, v in pairs.items():
        figures[f"direction.{k}"] = sum(v) / max(len(v), 1)
    return figures


class Evaluator:
    """Scores fresh clips (the product's segment times, no camera) against all 120 captions."""

    def __init__(self, args, frames, classes_, tokens, held):
        self.frames, self.classes, self.tokens, self.held = frames, classes_, tokens, set(held)
        self.ctx = autocast(args.precision)

    def __call__(self, model, variant, prompt=None):
        prompt = variant == "full" if prompt is None else prompt
        model.eval()
        with torch.no_grad(), self.ctx:
            pooled, patches = [], []
            for i in range(0, len(self.frames), 32):
                p, m = tower_features(model, to_pixels(self.frames[i:i + 32]))
                pooled.append(p.float())
                patches.append(m.float())
            pooled, patches = torch.cat(pooled), torch.cat(patches)
            text = text_features(model, self.tokens, [sc.caption(*c) for c in sc.classes()]).float()
        with torch.no_grad():
            _, plain, prompted = video_logits(model, variant, pooled, patches, text, prompt)
        figures = {f"first.{k}": v for k, v in retrieval_figures(plain.t(), self.classes, self.held).items()}
        if prompted is not None:
            figures.update({f"rerank.{k}": v for k, v in retrieval_figures(prompted.t(), self.classes, self.held).items()})
        return {k: v for k, v in figures.items() if k.endswith(("R@1", "direction.seen", "direction.mixed"))} | \
            {"all": figures}

    @staticmethod
    def brief(figures):
        return {k: v for k, v in figures.items() if k != "all"}


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------

def export(model, out, tokens, frames, recipe):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = copy.deepcopy(model).eval()
    model.half().save_pretrained(out, safe_serialization=True)
    (out / "preprocessor_config.json").write_text(json.dumps({
        "image_processor_type": "VideoMAEImageProcessor", "do_resize": True, "size": {"shortest_edge": SIZE},
        "resample": 2, "do_center_crop": True, "crop_size": {"height": SIZE, "width": SIZE},
        "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "image_mean": MEAN.tolist(), "image_std": STD.tolist()}, indent=2) + "\n")
    (out / "training.json").write_text(json.dumps(recipe, indent=2) + "\n")
    write_reference(out, tokens, frames)
    log(f"exported to {out}")


def write_reference(out, tokens, frames):
    """A reference dump in the format of the xclip-tiny fixture, made by transformers from the
    exported (f16) weights read back as float32: what `vidsearch model check` compares against."""
    from safetensors.torch import save_file
    from transformers import XCLIPModel
    model = XCLIPModel.from_pretrained(out, dtype=torch.float32).eval()
    texts = ["a red circle moving left", "a white triangle blinking", "a blue square growing"]
    ids = [[49406] + tokens.tokenizer.encode(t) + [49407] for t in texts]
    input_ids = torch.zeros(len(ids), 77, dtype=torch.int32)
    attention_mask = torch.zeros(len(ids), 77, dtype=torch.int32)
    for i, row in enumerate(ids):
        input_ids[i, : len(row)] = torch.tensor(row)
        attention_mask[i, : len(row)] = 1
    pixel_values = to_pixels(frames)
    with torch.no_grad():
        b, t = pixel_values.shape[:2]
        vision = model.vision_model(pixel_values=pixel_values.flatten(0, 1))
        frame_embeds = model.visual_projection(vision.pooler_output).view(b, t, -1)
        mit = model.mit(frame_embeds)
        output = model(input_ids=input_ids.long(), pixel_values=pixel_values, attention_mask=attention_mask.long())
        text_features_ = model.get_text_features(input_ids=input_ids.long(), attention_mask=attention_mask.long())
        text_features_ = text_features_.pooler_output if hasattr(text_features_, "pooler_output") else text_features_
    tensors = {
        "input.pixel_values": pixel_values, "input.input_ids": input_ids, "input.attention_mask": attention_mask,
        "out.vision_last_hidden_state": vision.last_hidden_state, "out.vision_pooled": vision.pooler_output,
        "out.mit_last_hidden_state": mit.last_hidden_state, "out.mit_pooled": mit.pooler_output,
        "out.video_features": mit.pooler_output, "out.video_embeds": output.video_embeds,
        "out.text_features": text_features_, "out.text_embeds": output.text_embeds,
        "out.logits_per_video": output.logits_per_video, "out.logits_per_text": output.logits_per_text,
    }
    save_file({k: v.contiguous().clone() for k, v in tensors.items()}, str(out / "reference.safetensors"))


# ---------------------------------------------------------------------------------------------

def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "Models/xclip-demo"), help="export folder (HF layout)")
    parser.add_argument("--work", default=str(ROOT / ".build-train"), help="rendered data, caches, checkpoints")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoints in --work")
    parser.add_argument("--variant", choices=VARIANTS, default="full")
    parser.add_argument("--run-name", default=None,
                        help="names this run's video and finetune checkpoints (default: the variant), so runs with "
                             "other budgets share the image, text and cache stages in one --work folder")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--precision", choices=["auto", "bf16", "f32"], default="auto")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("TRAIN_THREADS", "2")))
    parser.add_argument("--checkpoint-minutes", type=float, default=3.0)
    parser.add_argument("--eval-every", type=int, default=500, help="steps between evaluations on fresh clips")
    # data
    parser.add_argument("--samples", type=int, default=8000, help="training samples (seen combinations only)")
    parser.add_argument("--camera", type=float, default=1.0, help="strength of the random camera (0: none)")
    parser.add_argument("--eval-per-class", type=int, default=2, help="fresh evaluation clips per class (all 120)")
    # stage 1
    parser.add_argument("--image-steps", type=int, default=1600)
    parser.add_argument("--image-minutes", type=float, default=25)
    parser.add_argument("--image-batch", type=int, default=256)
    parser.add_argument("--image-lr", type=float, default=1e-3)
    # text
    parser.add_argument("--text-steps", type=int, default=300)
    parser.add_argument("--text-lr", type=float, default=1e-3)
    parser.add_argument("--canonical", type=float, default=0.5, help="share of captions in their canonical wording")
    # stage 2
    parser.add_argument("--video-steps", type=int, default=4000)
    parser.add_argument("--video-minutes", type=float, default=15)
    parser.add_argument("--video-batch", type=int, default=128)
    parser.add_argument("--video-lr", type=float, default=1e-3)
    parser.add_argument("--prompt-from", type=int, default=1500, help="stage-2 step at which the prompt generator joins")
    parser.add_argument("--prompt-batch", type=int, default=32, help="videos of each batch scored with the prompted text")
    parser.add_argument("--text-weight", type=float, default=0.5, help="weight of the caption->video loss")
    parser.add_argument("--aux-weight", type=float, default=0.3, help="weight of the attribute heads on the video embedding")
    # finetune
    parser.add_argument("--finetune-steps", type=int, default=1000)
    parser.add_argument("--finetune-minutes", type=float, default=15)
    parser.add_argument("--finetune-batch", type=int, default=24)
    parser.add_argument("--finetune-lr", type=float, default=1e-4)
    parser.add_argument("--finetune-tower-lr", type=float, default=2e-5)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    torch.set_num_threads(args.threads)
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    seen, held = sc.split_classes()
    log(f"recipe: {vars(args)}")

    train_jobs = [(1000 + args.seed, i, seen[i % len(seen)], args.camera, "train") for i in range(args.samples)]
    frames, tracks = render_set(work / f"train-{args.seed}-{args.samples}-{args.camera}.npz", train_jobs, "train")
    classes_ = [j[2] for j in train_jobs]
    # Held-out frames for stage 1: fresh clips of seen and held-out classes with a camera.
    probe_jobs = [(3000 + args.seed, i, sc.classes()[i % 120], args.camera, "train") for i in range(240)]
    probe = render_set(work / f"probe-{args.seed}-{args.camera}.npz", probe_jobs, "probe")
    eval_jobs = [(5000 + args.seed, i, sc.classes()[i % 120], 0.0, "eval") for i in range(120 * args.eval_per_class)]
    eval_frames, _ = render_set(work / f"eval-{args.seed}-{args.eval_per_class}.npz", eval_jobs, "eval")
    tokens = Tokens()
    evaluator = Evaluator(args, eval_frames, [j[2] for j in eval_jobs], tokens, held)
    evaluate = lambda m, v: Evaluator.brief(evaluator(m, v))  # noqa: E731

    image_state = stage_image(args, work, (frames, tracks, classes_), (probe[0], probe[1], [j[2] for j in probe_jobs]))
    from transformers import XCLIPModel
    torch.manual_seed(args.seed + 2)
    text_state = stage_text(args, work, XCLIPModel(demo_config()), tokens, seen)

    torch.manual_seed(args.seed + 5)
    model = video_model(args.variant, image_state, text_state)
    for p in model.vision_model.parameters():
        p.requires_grad_(False)
    cache = build_cache(args, work, model, args.variant, frames)
    stage_video(args, work, model, args.variant, cache, classes_, seen, tokens, evaluate)
    after_video = evaluator(model, args.variant)
    log(f"after the video stage: {fmt(Evaluator.brief(after_video))}")
    for p in model.vision_model.parameters():
        p.requires_grad_(True)
    stage_finetune(args, work, model, args.variant, (frames, tracks, classes_), seen, tokens, evaluate)
    final = evaluator(model, args.variant)
    log(f"final: {fmt(Evaluator.brief(final))}")

    recipe = {"command": "Tools/train_demo.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "args": {k: v for k, v in vars(args).items() if k not in ("out", "work")},
              "fresh_clip_eval": {"after_video_stage": after_video["all"], "final": final["all"],
                                  "clips": len(eval_jobs), "note": "Python proxy on the product's segment times; "
                                  "`vidsearch bench quality` measures through the real path"}}
    (work / f"result-{args.run_name or args.variant}.json").write_text(json.dumps(recipe, indent=2) + "\n")
    if args.variant == "full":
        export(model, args.out, tokens, eval_frames[:2], recipe)
    else:
        pathlib.Path(args.out).mkdir(parents=True, exist_ok=True)
        (pathlib.Path(args.out) / f"{args.run_name or args.variant}.json").write_text(json.dumps(recipe, indent=2) + "\n")


if __name__ == "__main__":
    main()
