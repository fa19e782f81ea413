"""The text tower pretrained on attribute heads, so captions of one length do not start with one embedding."""

import time

import numpy as np
import torch
import torch.nn.functional as F

import synthetic_clips as sc
from .config import ATTRIBUTES, WIDTH
from .captions import paraphrase
from .training import Stage, log
from .training import fmt


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
