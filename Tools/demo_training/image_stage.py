"""Stage 1: the vision transformer trained as an image model on single frames."""

import time

import numpy as np
import torch
import torch.nn.functional as F

import synthetic_clips as sc
from .config import FRAMES, SIZE, WIDTH, autocast, image_config
from .data import to_pixels
from .training import Stage, cosine_schedule, fmt, log, rate


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
