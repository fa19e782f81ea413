"""The video model on the stage-1 tower: the cached-feature stage (projection, MIT, text, prompt
generator) and the end-to-end finetune."""

import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from .config import FRAMES, PATCH, SIZE, WIDTH, autocast, demo_config
from .captions import paraphrase
from .data import AUGMENT, augment, relabel, to_pixels
from .training import Stage, cosine_schedule, log, rate
from .training import fmt
from .text_stage import AttributeHeads, text_features


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
