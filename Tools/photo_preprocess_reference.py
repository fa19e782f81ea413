#!/usr/bin/env python3
"""Writes the preprocessing reference on real frames: what transformers' PIL processors make of
real photos and of frames FFmpeg decoded from real H.264 (a blocky 176x144 QCIF one included),
downscaled and upscaled, with X-CLIP's processor (VideoMAEImageProcessorPil, PIL BILINEAR) and
CLIP's (CLIPImageProcessorPil, PIL BICUBIC), each with its hub checkpoint's settings.
transformers' default backend now resizes with torchvision, which differs: the PIL path is the
one the checkpoints were trained with, and the reference.

Output (safetensors): input.frame{i} uint8 [H, W, 3]; out.bilinear{i} and out.bicubic{i} uint8
[3, 224, 224], the processor's pixel_values mapped back to the 8-bit values they were made from
((v * std + mean) * 255, checked to land within 0.01 of an integer, so nothing is lost).
Development time: numpy, torch, transformers, pillow, and the ffmpeg CLI.
Usage: Tools/photo_preprocess_reference.py MEDIA_DIR OUT.safetensors
  MEDIA_DIR holds chelsea.png, coffee.png, rocket.jpg (scikit-image's CC0/public-domain photos),
  chelsea-qcif.mp4 and coffee-720p.mp4 (Tests/CLITests/Fixtures/media/README.md says how they were made).
"""
import subprocess
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
from transformers.models.videomae.image_processing_pil_videomae import VideoMAEImageProcessorPil

XCLIP = dict(size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}, resample=2,
             image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
CLIP = dict(size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}, resample=3,
            image_mean=[0.48145466, 0.4578275, 0.40821073], image_std=[0.26862954, 0.26130258, 0.27577711])


def video_frame(path, index):
    """Frame `index` of a video as FFmpeg's CLI decodes it to RGB24."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", path], capture_output=True, text=True, check=True).stdout
    w, h = map(int, probe.strip().split(","))
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", f"select=eq(n\\,{index})", "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3).copy()


def back_to_bytes(pixel_values, settings):
    mean = np.array(settings["image_mean"], np.float64)[:, None, None]
    std = np.array(settings["image_std"], np.float64)[:, None, None]
    values = (pixel_values.astype(np.float64) * std + mean) * 255
    rounded = np.rint(values)
    assert np.abs(values - rounded).max() < 0.01, np.abs(values - rounded).max()
    return np.clip(rounded, 0, 255).astype(np.uint8)


def main():
    media, out = sys.argv[1], sys.argv[2]
    photo = lambda name: np.asarray(Image.open(f"{media}/{name}").convert("RGB"))
    frames = [
        photo("chelsea.png"),                       # 451x300: down
        photo("rocket.jpg"),                        # 640x427 JPEG: down
        video_frame(f"{media}/chelsea-qcif.mp4", 20),  # 176x144, 30 kb/s H.264: up, blocky
        video_frame(f"{media}/coffee-720p.mp4", 10),   # 1280x720 H.264: down 3.2x
        photo("coffee.png")[150:225, 250:350],      # 100x75: up 3x
        photo("chelsea.png")[40:220, 100:340],      # 240x180: up a little
    ]
    processors = {"bilinear": (VideoMAEImageProcessorPil(**XCLIP), XCLIP), "bicubic": (CLIPImageProcessorPil(**CLIP), CLIP)}
    tensors = {}
    for i, frame in enumerate(frames):
        tensors[f"input.frame{i}"] = torch.from_numpy(np.array(frame, copy=True))
        for name, (processor, settings) in processors.items():
            values = processor(images=[frame], return_tensors="np")["pixel_values"]
            values = np.asarray(values).reshape(3, 224, 224)
            tensors[f"out.{name}{i}"] = torch.from_numpy(back_to_bytes(values, settings))
    save_file(tensors, out)
    print(f"wrote {len(frames)} frames, each through both processors, to {out}")


if __name__ == "__main__":
    main()
