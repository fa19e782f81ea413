#!/usr/bin/env python3
"""Trains the bundled demo X-CLIP on synthetic action clips and exports it in the
Hugging Face layout (Models/xclip-demo), with a reference dump for `vidsearch model check`.

Development time only: needs torch, transformers, numpy, safetensors, clip-anytorch (for
the original CLIP tokenizer) and the ffmpeg command-line tool. Seeded and reproducible
for a given torch build and thread count.

The paper's objective: each video against every training class caption, cross-entropy
over logit_scale * cos(video, video-prompted text). 20% of the (color, shape, motion)
combinations (synthetic_clips.split_classes) never appear in training, not even through
the flip and reversal augmentations.

Variants for the ablation (the paper's Table 6 in miniature), same data and budget:
  clip-mean    frames averaged, no message tokens, no MIT, no prompt
  cross-frame  + cross-frame communication
  mit          + multi-frame integration transformer
  full         + video-specific prompt (the exported model)

Usage:
  Tools/train_demo.py --out Models/xclip-demo [--variant full] [--clips 4800] [--steps 1500]
"""
import argparse
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
SIZE = 112
FRAMES = 8
ATTRIBUTES = {"color": sc.COLORS, "shape": sc.SHAPES, "motion": sc.MOTIONS}
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def simple_tokenizer():
    """The original CLIP tokenizer, loaded by path (importing the clip package needs torch's CUDA bits)."""
    spec = importlib.util.find_spec("clip")
    path = pathlib.Path(spec.submodule_search_locations[0]) / "simple_tokenizer.py"
    module_spec = importlib.util.spec_from_file_location("simple_tokenizer", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.SimpleTokenizer(str(ROOT / "Models/xclip-demo/bpe_simple_vocab_16e6.txt.gz"))


def tokenize(tokenizer, texts):
    ids = [[49406] + tokenizer.encode(t)[:75] + [49407] for t in texts]
    length = max(len(i) for i in ids)
    padded = torch.zeros(len(ids), length, dtype=torch.long)
    mask = torch.zeros(len(ids), length, dtype=torch.long)
    for row, i in enumerate(ids):
        padded[row, : len(i)] = torch.tensor(i)
        mask[row, : len(i)] = 1
    return padded, mask


def resize_crop(frames):
    """HF VideoMAE preprocessing at SIZE: short side to SIZE (bilinear, antialiased, rounded to
    uint8; long side truncated), centre crop. frames: uint8 [T, H, W, 3] -> uint8 [T, SIZE, SIZE, 3]."""
    t = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
    h, w = t.shape[2:]
    if h <= w:
        nh, nw = SIZE, int(SIZE * w / h)
    else:
        nh, nw = int(SIZE * h / w), SIZE
    t = F.interpolate(t, size=(nh, nw), mode="bilinear", antialias=True, align_corners=False)
    t = t.round().clamp(0, 255)
    top, left = (nh - SIZE) // 2, (nw - SIZE) // 2
    t = t[:, :, top:top + SIZE, left:left + SIZE]
    return t.permute(0, 2, 3, 1).to(torch.uint8).numpy()


def roundtrip(frames, crf):
    """Encodes the frames with libx264 and decodes them again: real compression artifacts."""
    t, h, w, _ = frames.shape
    enc = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                            "-s", f"{w}x{h}", "-r", "8", "-i", "-", "-c:v", "libx264", "-preset", "veryfast",
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


def render_sample(job):
    """One training sample: 8 frames sampled from a random window of the clip, TSN-style
    (the middle of 8 equal parts, jittered), compressed, resized and cropped."""
    seed, index, cls = job
    clip = sc.make_clip(seed, index, cls)
    rng = np.random.default_rng([seed, index, 99])
    # even widths/heights for yuv420p
    clip.width -= clip.width % 2
    clip.height -= clip.height % 2
    times = sample_times(clip, rng)
    frames = np.stack([clip.frame(t, rng) for t in times])
    frames = roundtrip(frames, clip.crf)
    return resize_crop(frames)


def sample_times(clip, rng):
    """The frame times of one training sample: 8 frames from a random window of the clip,
    TSN-style (the middle of 8 equal parts, jittered), on the clip's frame grid."""
    length = float(rng.uniform(min(clip.duration, 2.0), clip.duration))
    start = float(rng.uniform(0, clip.duration - length))
    times = [start + (k + 0.5 + rng.uniform(-0.3, 0.3)) * length / FRAMES for k in range(FRAMES)]
    return [round(t * clip.fps) / clip.fps for t in times]


def frame_targets(job):
    """Where the object is in each frame of a sample (centre x, centre y, radius, visible), in
    the coordinates of the cropped frame: the targets of the auxiliary heads. Same random
    draws as render_sample, without rendering."""
    seed, index, cls = job
    clip = sc.make_clip(seed, index, cls)
    rng = np.random.default_rng([seed, index, 99])
    rows = []
    for t in sample_times(clip, rng):
        s = min(max(t / clip.duration, 0.0), 1.0)
        rows.append([clip.start[0] + (clip.end[0] - clip.start[0]) * s, clip.start[1] + (clip.end[1] - clip.start[1]) * s,
                     clip.r0 + (clip.r1 - clip.r0) * s, 1.0 if clip.visible(t) else 0.0])
    return np.array(rows, dtype=np.float32)


AUGMENT = {  # flip or reverse, and what each does to the motion words
    "hflip": {"moving left": "moving right", "moving right": "moving left"},
    "vflip": {"moving up": "moving down", "moving down": "moving up"},
    "reverse": {"moving left": "moving right", "moving right": "moving left", "moving up": "moving down",
                "moving down": "moving up", "growing": "shrinking", "shrinking": "growing"},
}


def augment(frames, targets, cls, rng, seen_index):
    """Random flips and time reversal with the caption and the object's track changed to
    match; an augmentation that would produce a held-out combination is skipped."""
    color, shape, motion = cls
    targets = targets.copy()
    for name, swap in AUGMENT.items():
        if rng.random() < 0.5:
            new = (color, shape, swap.get(motion, motion))
            if new not in seen_index:
                continue
            if name == "hflip":
                frames = frames[:, :, ::-1]
                targets[:, 0] = 1 - targets[:, 0]
            elif name == "vflip":
                frames = frames[:, ::-1]
                targets[:, 1] = 1 - targets[:, 1]
            else:
                frames = frames[::-1]
                targets = targets[::-1].copy()
            motion = new[2]
    return frames, targets, (color, shape, motion)


def to_pixels(batch):
    x = (np.asarray(batch, dtype=np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 1, 4, 2, 3)))


def demo_config():
    from transformers import XCLIPConfig
    return XCLIPConfig(
        projection_dim=128, prompt_layers=2, prompt_num_attention_heads=4, prompt_alpha=0.1,
        text_config=dict(hidden_size=128, intermediate_size=512, num_hidden_layers=4, num_attention_heads=4,
                         max_position_embeddings=77, vocab_size=49408),
        vision_config=dict(hidden_size=128, intermediate_size=512, num_hidden_layers=4, num_attention_heads=4,
                           image_size=SIZE, patch_size=16, num_frames=FRAMES, mit_hidden_size=128,
                           mit_intermediate_size=512, mit_num_hidden_layers=1, mit_num_attention_heads=4),
    )


def plain_vision_layer_forward(self, hidden_states, attention_mask=None, **kwargs):
    """A vision layer without cross-frame communication (the ablation's baseline)."""
    residual = hidden_states
    hidden_states, _ = self.self_attn(hidden_states=self.layer_norm1(hidden_states), attention_mask=attention_mask)
    hidden_states = residual + hidden_states
    return hidden_states + self.mlp(self.layer_norm2(hidden_states))


def video_features(model, variant, pixel_values):
    """The video embedding as the variant defines it (MIT mean, or the plain frame mean), and
    the projected per-frame embeddings it came from."""
    b, t = pixel_values.shape[:2]
    vision = model.vision_model(pixel_values=pixel_values.flatten(0, 1))
    frames = model.visual_projection(vision.pooler_output).view(b, t, -1)
    if variant in ("mit", "full"):
        return model.mit(frames).pooler_output, frames
    return frames.mean(dim=1), frames


def scores(model, variant, pixel_values, input_ids, attention_mask):
    """logit_scale * cos(video, text) as the variant defines the video and the text, the
    normalized video embedding and the per-frame embeddings, from one forward pass."""
    if variant == "full":
        out = model(input_ids=input_ids, pixel_values=pixel_values, attention_mask=attention_mask)
        b, t = pixel_values.shape[:2]
        frames = model.visual_projection(out.vision_model_output.pooler_output).view(b, t, -1)
        return out.logits_per_video, out.video_embeds, frames
    video, frames = video_features(model, variant, pixel_values)
    video = F.normalize(video, dim=-1)
    text = model.get_text_features(input_ids=input_ids, attention_mask=attention_mask)
    text = text.pooler_output if hasattr(text, "pooler_output") else text
    return model.logit_scale.exp() * video @ F.normalize(text, dim=-1).t(), video, frames


def auxiliary_loss(heads, video, frames, classes_, targets):
    """The training aids (heads discarded at export): color, shape and motion from the video
    embedding; the object's position, size and visibility from each frame's embedding; and
    its displacement over the sample from the video embedding. The per-frame track gives the
    vision side a dense signal about where the object is, which the multi-frame integration
    needs to tell a direction apart; the caption alone teaches that far too slowly here."""
    loss = sum(F.cross_entropy(heads[name](10 * video), torch.tensor([ATTRIBUTES[name].index(c[k]) for c in classes_]))
               for k, name in enumerate(["color", "shape", "motion"]))
    frames = 10 * F.normalize(frames, dim=-1)
    track = heads["track"](frames)  # [b, t, 4]
    loss = loss + 10 * F.mse_loss(track[..., :3], targets[..., :3]) + F.binary_cross_entropy_with_logits(track[..., 3], targets[..., 3])
    displacement = targets[:, -1, :3] - targets[:, 0, :3]
    return loss + 10 * F.mse_loss(heads["displacement"](10 * video), displacement)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "Models/xclip-demo"))
    parser.add_argument("--variant", choices=["clip-mean", "cross-frame", "mit", "full"], default="full")
    parser.add_argument("--clips", type=int, default=4800)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--attribute-steps", type=int, default=400,
                        help="warm-up steps on the attribute heads alone, before the caption objective")
    parser.add_argument("--aux-weight", type=float, default=0.3, help="weight of the auxiliary losses after the warm-up")
    parser.add_argument("--data", default="/tmp/vidsearch-train.npz", help="cache of rendered samples")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(int(os.environ.get("TRAIN_THREADS", "2")))
    seen, held = sc.split_classes()
    seen_index = {c: i for i, c in enumerate(seen)}

    # Render (or load) the training samples.
    jobs = [(1000 + args.seed, i, seen[i % len(seen)]) for i in range(args.clips)]
    if os.path.exists(args.data):
        data = np.load(args.data)["frames"]
        print(f"loaded {len(data)} samples from {args.data}", flush=True)
        if len(data) != args.clips:
            sys.exit(f"{args.data} holds {len(data)} samples, not --clips {args.clips}: pass --clips {len(data)} or delete it")
    else:
        start = time.time()
        with Pool(2) as pool:
            data = []
            for i, sample in enumerate(pool.imap(render_sample, jobs, chunksize=8)):
                data.append(sample)
                if i % 200 == 0:
                    print(f"rendered {i}/{len(jobs)} in {time.time() - start:.0f}s", flush=True)
        data = np.stack(data)
        np.savez(args.data, frames=data)
    labels = [job[2] for job in jobs]
    tracks = np.stack([frame_targets(job) for job in jobs])

    from transformers import XCLIPModel
    model = XCLIPModel(demo_config())
    if args.variant == "clip-mean":
        for layer in model.vision_model.encoder.layers:
            layer.forward = plain_vision_layer_forward.__get__(layer)
    # From scratch, the caption objective alone collapses: the text tower maps every caption to
    # one embedding (loss pinned at ln(classes), uniform logits) before the vision side carries
    # any signal. So the vision side first learns the caption's three attributes through small
    # heads on the video embedding (color, shape, motion; discarded at export); then the paper's
    # objective takes over, with the attribute loss kept at a low weight. A large initial logit
    # scale amplifies the small spread of fresh caption embeddings.
    with torch.no_grad():
        model.logit_scale.fill_(math.log(100))
    width = model.config.projection_dim
    heads = torch.nn.ModuleDict({"color": torch.nn.Linear(width, len(sc.COLORS)),
                                 "shape": torch.nn.Linear(width, len(sc.SHAPES)),
                                 "motion": torch.nn.Linear(width, len(sc.MOTIONS)),
                                 "track": torch.nn.Linear(width, 4),
                                 "displacement": torch.nn.Linear(width, 3)})
    tokenizer = simple_tokenizer()
    captions = [sc.caption(*c) for c in seen]
    input_ids, attention_mask = tokenize(tokenizer, captions)

    optimizer = torch.optim.AdamW(list(model.parameters()) + list(heads.parameters()), lr=args.lr, weight_decay=0.05)
    warmup = max(1, args.steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps)))
    rng = np.random.default_rng(args.seed)
    model.train()
    start = time.time()
    for step in range(args.steps):
        idx = rng.choice(len(data), size=args.batch, replace=False)
        frames, targets, tracks_, classes_ = [], [], [], []
        for i in idx:
            f, track, cls = augment(data[i], tracks[i], labels[i], rng, seen_index)
            frames.append(f)
            tracks_.append(track)
            targets.append(seen_index[cls])
            classes_.append(cls)
        pixels = to_pixels(frames)
        if step < args.attribute_steps:
            (video, frame_embeds), logits = video_features(model, args.variant, pixels), None
            video = F.normalize(video, dim=-1)
        else:
            logits, video, frame_embeds = scores(model, args.variant, pixels, input_ids, attention_mask)
        attribute_loss = auxiliary_loss(heads, video, frame_embeds, classes_, torch.from_numpy(np.stack(tracks_)))
        if logits is None:
            loss = attribute_loss
        else:
            loss = F.cross_entropy(logits, torch.tensor(targets)) + args.aux_weight * attribute_loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step % 25 == 0 or step == args.steps - 1:
            with torch.no_grad():
                color_acc = (heads["color"](10 * video).argmax(1) == torch.tensor([sc.COLORS.index(c[0]) for c in classes_])).float().mean().item()
                motion_acc = (heads["motion"](10 * video).argmax(1) == torch.tensor([sc.MOTIONS.index(c[2]) for c in classes_])).float().mean().item()
                shape_acc = (heads["shape"](10 * video).argmax(1) == torch.tensor([sc.SHAPES.index(c[1]) for c in classes_])).float().mean().item()
            accuracy = (logits.argmax(1) == torch.tensor(targets)).float().mean().item() if logits is not None else float("nan")
            print(f"step {step} loss {loss.item():.3f} caption-acc {accuracy:.2f} color-acc {color_acc:.2f} shape-acc {shape_acc:.2f} motion-acc {motion_acc:.2f} "
                  f"scale {model.logit_scale.exp().item():.1f} {time.time() - start:.0f}s", flush=True)

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    if args.variant != "full":
        torch.save(model.state_dict(), out / f"ablation-{args.variant}.pt")
        return
    model.half().save_pretrained(out, safe_serialization=True)
    (out / "preprocessor_config.json").write_text(json.dumps({
        "image_processor_type": "VideoMAEImageProcessor", "do_resize": True, "size": {"shortest_edge": SIZE},
        "resample": 2, "do_center_crop": True, "crop_size": {"height": SIZE, "width": SIZE},
        "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "image_mean": MEAN.tolist(), "image_std": STD.tolist()}, indent=2) + "\n")
    write_reference(out, tokenizer, data[:2])
    print(f"exported to {out}")


def write_reference(out, tokenizer, frames):
    """A reference dump in the format of the xclip-tiny fixture, made by transformers from the
    exported (f16) weights read back as float32: what `vidsearch model check` compares against."""
    from safetensors.torch import save_file
    from transformers import XCLIPModel
    model = XCLIPModel.from_pretrained(out, torch_dtype=torch.float32).eval()
    texts = ["a red circle moving left", "a white triangle blinking", "a blue square growing"]
    ids = [[49406] + tokenizer.encode(t) + [49407] for t in texts]
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
        text_features = model.get_text_features(input_ids=input_ids.long(), attention_mask=attention_mask.long())
        text_features = text_features.pooler_output if hasattr(text_features, "pooler_output") else text_features
    tensors = {
        "input.pixel_values": pixel_values, "input.input_ids": input_ids, "input.attention_mask": attention_mask,
        "out.vision_last_hidden_state": vision.last_hidden_state, "out.vision_pooled": vision.pooler_output,
        "out.mit_last_hidden_state": mit.last_hidden_state, "out.mit_pooled": mit.pooler_output,
        "out.video_features": mit.pooler_output, "out.video_embeds": output.video_embeds,
        "out.text_features": text_features, "out.text_embeds": output.text_embeds,
        "out.logits_per_video": output.logits_per_video, "out.logits_per_text": output.logits_per_text,
    }
    save_file({k: v.contiguous().clone() for k, v in tensors.items()}, str(out / "reference.safetensors"))


if __name__ == "__main__":
    main()
