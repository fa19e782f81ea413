"""Evaluation on fresh clips: retrieval and direction figures, a fast proxy of
`vidsearch bench quality` (which goes through the product's real path)."""

import torch

import synthetic_clips as sc
from retrieval_figures import retrieval_figures
from .config import autocast
from .data import to_pixels
from .text_stage import text_features
from .video_stage import tower_features, video_logits


def scored_figures(scores, clip_classes, held):
    """scores [C, V]: each of the 120 class captions (sc.classes() order) against each clip."""
    order = scores.argsort(dim=1, descending=True)
    ranked = {c: order[row].tolist() for row, c in enumerate(sc.classes())}
    return retrieval_figures(ranked, lambda v: clip_classes[v], held)


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
        figures = {f"first.{k}": v for k, v in scored_figures(plain.t(), self.classes, self.held).items()}
        if prompted is not None:
            figures.update({f"rerank.{k}": v for k, v in scored_figures(prompted.t(), self.classes, self.held).items()})
        return {k: v for k, v in figures.items() if k.endswith(("R@1", "direction.seen", "direction.mixed"))} | \
            {"all": figures}

    @staticmethod
    def brief(figures):
        return {k: v for k, v in figures.items() if k != "all"}
