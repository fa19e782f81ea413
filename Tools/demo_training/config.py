"""The demo model's shape, its preprocessing constants, the ablation variants and the precision."""

import os
import pathlib

import numpy as np
import torch

import synthetic_clips as sc


ROOT = pathlib.Path(__file__).resolve().parent.parent.parent  # the repository
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
