#!/usr/bin/env python3
"""Writes a preprocessing reference for frames smaller than the crop (the HF VideoMAE image
processor with the official X-CLIP settings, PIL underneath), in the format of
Tests/IngestTests/Fixtures/xclip-preprocess.safetensors: input.frame{i} (uint8 HxWx3) and
out.pixel_values{i} ([3, 224, 224] float32). Development time: numpy, torch, transformers, pillow.
Usage: Tools/preprocess_reference.py OUT.safetensors
"""
import sys

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import VideoMAEImageProcessor

processor = VideoMAEImageProcessor(size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}, resample=2,
                                   image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
rng = np.random.default_rng(5)
tensors = {}
for i, (h, w) in enumerate([(144, 176), (80, 100), (120, 240), (223, 300), (50, 50)]):
    yy, xx = np.mgrid[0:h, 0:w]
    frame = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)), ((xx + yy) * 7) % 256], axis=-1)
    frame = np.clip(frame + rng.integers(-40, 41, size=frame.shape), 0, 255).astype(np.uint8)
    out = processor(images=[frame], return_tensors="pt")["pixel_values"][0]
    tensors[f"input.frame{i}"] = torch.from_numpy(frame)
    tensors[f"out.pixel_values{i}"] = out.reshape(3, 224, 224).float().contiguous()
save_file(tensors, sys.argv[1])
print(f"wrote {len(tensors) // 2} frames to {sys.argv[1]}")
