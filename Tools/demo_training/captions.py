"""Captions: the classes' words and their paraphrases, and the tokenizer."""

import importlib.util
import pathlib

import torch

import synthetic_clips as sc
from .config import ROOT


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
