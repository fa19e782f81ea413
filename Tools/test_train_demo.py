#!/usr/bin/env python3
"""Fast tests of the training code (seconds; development time: torch, transformers, numpy,
pillow and the ffmpeg tool). Run: python3 Tools/test_train_demo.py"""
import pathlib
import sys
import unittest

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import synthetic_clips as sc  # noqa: E402
from demo_training import captions  # noqa: E402
from demo_training import config  # noqa: E402
from demo_training import data  # noqa: E402
from demo_training import text_stage  # noqa: E402
from demo_training import video_stage  # noqa: E402

ALL = set(sc.classes())


def sample(cls, index=0, strength=0.0):
    return data.render_sample((4242, index, cls, strength, "eval"))


def centroid(frame, rgb):
    """Mean position (x, y in 0..1) of the pixels close to the object's color."""
    d = np.abs(frame.astype(np.float32) - np.array(rgb, dtype=np.float32)).sum(axis=2)
    ys, xs = np.nonzero(d < 90)
    return xs.mean() / frame.shape[1], ys.mean() / frame.shape[0], len(xs)


class AugmentationTests(unittest.TestCase):
    def test_mirrored_left_mover_is_a_right_mover(self):
        cls = ("red", "square", "moving left")
        frames, track = sample(cls)
        self.assertLess(centroid(frames[-1], sc.RGB["red"])[0], centroid(frames[0], sc.RGB["red"])[0])
        self.assertLess(track[-1, 0], track[0, 0])
        rng = np.random.default_rng(0)
        for _ in range(200):  # draw until hflip alone was applied (bounded: a broken augment fails, not hangs)
            f, t, new = data.augment(frames, track, cls, rng, ALL)
            if new[2] == "moving right" and not np.array_equal(f, frames[::-1]):
                break
        else:
            self.fail("200 draws never applied the horizontal flip alone")
        self.assertEqual(new, ("red", "square", "moving right"))
        self.assertGreater(centroid(f[-1], sc.RGB["red"])[0], centroid(f[0], sc.RGB["red"])[0], "the pixels move right too")
        self.assertGreater(t[-1, 0], t[0, 0])

    def test_reversed_grower_is_a_shrinker(self):
        cls = ("yellow", "circle", "growing")
        frames, track = sample(cls, 1)
        self.assertGreater(centroid(frames[-1], sc.RGB["yellow"])[2], centroid(frames[0], sc.RGB["yellow"])[2])
        reversed_, t = frames[::-1], track[::-1]
        self.assertEqual(data.relabel(cls, "reverse"), ("yellow", "circle", "shrinking"))
        self.assertLess(centroid(reversed_[-1], sc.RGB["yellow"])[2], centroid(reversed_[0], sc.RGB["yellow"])[2])
        self.assertLess(t[-1, 2], t[0, 2])

    def test_augmentation_never_makes_a_held_out_class(self):
        seen, held = sc.split_classes()
        rng = np.random.default_rng(3)
        frames, track = np.zeros((8, 4, 4, 3), np.uint8), np.zeros((8, 4), np.float32)
        for cls in seen:
            for _ in range(20):
                self.assertIn(data.augment(frames, track, cls, rng, set(seen))[2], set(seen))


class LoadingTests(unittest.TestCase):
    def test_stage_one_tensors_load_with_only_the_message_tensors_new(self):
        from transformers import CLIPVisionModel
        image = CLIPVisionModel(config.image_config())
        state = image.state_dict()
        model = video_stage.video_model("full", state, None)  # asserts: nothing unexpected, only message tensors missing
        mine = model.vision_model.state_dict()
        for name, value in state.items():
            key = name.replace("vision_model.", "", 1).replace("pre_layrnorm", "pre_layernorm")
            self.assertTrue(torch.equal(mine[key], value), key)
        new = [k for k in mine if k.replace("pre_layernorm", "pre_layrnorm") not in
               {n.replace("vision_model.", "", 1) for n in state}]
        self.assertTrue(new and all(".message_" in k for k in new), new)
        # Zero messages: the prompt generator's output projections start at zero too.
        layer = model.prompts_generator.decoder[0]
        self.assertEqual(layer.mlp[3].weight.abs().sum().item(), 0)


class DirectionProbeTests(unittest.TestCase):
    """The bundled model: mirroring or reversing a clip flips its preference between a
    caption and its mirror caption."""

    @classmethod
    def setUpClass(cls):
        from transformers import XCLIPModel
        cls.model = XCLIPModel.from_pretrained(config.ROOT / "Models/xclip-demo", dtype=torch.float32).eval()
        cls.tokens = captions.Tokens()

    def preference(self, frames, a, b):
        with torch.no_grad():
            pooled, _ = video_stage.tower_features(self.model, data.to_pixels(frames[None]))
            video = F.normalize(video_stage.video_embeds(self.model, "full", pooled), dim=-1)
            text = F.normalize(text_stage.text_features(self.model, self.tokens, [a, b]), dim=-1)
            s = (video @ text.t())[0]
        return (s[0] - s[1]).item()

    def test_mirror_and_reverse_flip_the_preference(self):
        checks = [(("green", "triangle", "moving left"), "moving right", lambda f: f[:, :, ::-1]),
                  (("blue", "circle", "moving up"), "moving down", lambda f: f[:, ::-1]),
                  (("white", "square", "moving right"), "moving left", lambda f: f[::-1])]
        flipped = 0
        for i, (cls, other, transform) in enumerate(checks):
            frames, _ = sample(cls, 10 + i)
            a, b = sc.caption(*cls), sc.caption(cls[0], cls[1], other)
            before = self.preference(frames, a, b)
            after = self.preference(np.ascontiguousarray(transform(frames)), a, b)
            flipped += before > 0 > after
        self.assertEqual(flipped, len(checks))


if __name__ == "__main__":
    unittest.main()
