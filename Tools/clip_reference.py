#!/usr/bin/env python3
"""A CLIP checkpoint with random weights and a reference dump of one forward pass, made by
transformers' own CLIPModel, for the parity checks of vidsearch's CLIP family (CLIP-mean).
Development only: the product never runs Python.

  Tools/clip_reference.py OUT_DIR --shape tiny        # the test fixture (Tests/XCLIPTests/Fixtures/clip-tiny)
  Tools/clip_reference.py OUT_DIR --shape tiny --act gelu   # io-gelu.safetensors: the same weights with LAION's gelu
  Tools/clip_reference.py /tmp/b32 --shape B/32       # openai/clip-vit-base-patch32's shapes, then:
  vidsearch model check --model /tmp/b32 --reference /tmp/b32/io.safetensors

OUT_DIR gets config.json, model.safetensors (f16 for tiny, which keeps the fixture small; the
reference runs in f32 on the same rounded values; tiny also gets the same weights as
pytorch_model.bin, written by torch.save) and io.safetensors in the xclip-tiny format:
input.pixel_values [videos, frames, 3, size, size], input.input_ids [texts, 77], and
out.vision_last_hidden_state, out.vision_pooled (every frame), out.frame_embeds (the projected
class token of each frame), out.video_features (the mean of each video's normalized frame
embeddings), out.video_embeds, out.text_features, out.text_embeds (normalized), and the logits.
Every parameter is randomized, layer norms too, so that a tensor a loader skips is caught.
"""
import argparse
import json
import pathlib

import torch
from safetensors.torch import save_file
from transformers import CLIPConfig, CLIPModel

SHAPES = {
    # vision: width, layers, heads, patch, image; text: width, layers, heads; projection
    "tiny": dict(vision=(64, 2, 4, 16, 64), text=(64, 2, 4), projection=32, frames=8),
    "B/32": dict(vision=(768, 12, 12, 32, 224), text=(512, 12, 8), projection=512, frames=8),
    "B/16": dict(vision=(768, 12, 12, 16, 224), text=(512, 12, 8), projection=512, frames=8),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    parser.add_argument("--seed", type=int, default=31)
    parser.add_argument("--act", choices=["quick_gelu", "gelu"], default="quick_gelu",
                        help="the activation (gelu: LAION's checkpoints); with gelu only io-gelu.safetensors is written, the weights being the same")
    args = parser.parse_args()
    shape = SHAPES[args.shape]
    (vw, vl, vh, patch, image), (tw, tl, th) = shape["vision"], shape["text"]
    config = CLIPConfig(
        vision_config=dict(hidden_size=vw, intermediate_size=4 * vw, num_hidden_layers=vl, num_attention_heads=vh,
                           patch_size=patch, image_size=image, hidden_act=args.act),
        text_config=dict(hidden_size=tw, intermediate_size=4 * tw, num_hidden_layers=tl, num_attention_heads=th,
                         vocab_size=49408, max_position_embeddings=77, hidden_act=args.act,
                         bos_token_id=49406, eos_token_id=49407, pad_token_id=0),
        projection_dim=shape["projection"])
    torch.manual_seed(args.seed)
    model = CLIPModel(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "logit_scale":
                p.fill_(2.6592)
            elif name.endswith("norm.weight") or name.endswith("layrnorm.weight") or name.endswith("layernorm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.02 * torch.randn_like(p) if p.dim() > 1 else 0.05 * torch.randn_like(p))
        half = args.shape == "tiny"
        if half:  # stored in f16: the reference sees the same rounded values
            for p in model.parameters():
                p.copy_(p.half().float())

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gelu = args.act == "gelu"
    state = {k: (v.half() if half else v).contiguous() for k, v in model.state_dict().items() if "position_ids" not in k}
    if gelu:
        dump(model, shape, image, args, out / "io-gelu.safetensors")
        print(f"wrote {out / 'io-gelu.safetensors'}")
        return
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    if half:  # the same weights as torch.save writes them, for the pytorch_model.bin reader
        torch.save(state, out / "pytorch_model.bin")
    written = json.loads(config.to_json_string())
    written["architectures"] = ["CLIPModel"]
    (out / "config.json").write_text(json.dumps(written, indent=2, sort_keys=True))

    dump(model, shape, image, args, out / "io.safetensors")
    print(f"wrote {out}: CLIP {args.shape}, {sum(p.numel() for p in model.parameters())} parameters")


def dump(model, shape, image, args, path):
    """One forward pass of transformers' CLIPModel on seeded inputs, in the xclip-tiny format."""
    videos, frames = 2, shape["frames"]
    generator = torch.Generator().manual_seed(args.seed + 1)
    pixels = torch.randn(videos, frames, 3, image, image, generator=generator)
    texts = [[49406, 320, 1929, 49407], [49406, 320, 2368, 6446, 15566, 49407], [49406, 539, 49407]]
    ids = torch.zeros(len(texts), 77, dtype=torch.int64)
    mask = torch.zeros(len(texts), 77, dtype=torch.int64)
    for i, row in enumerate(texts):
        ids[i, :len(row)] = torch.tensor(row)
        mask[i, :len(row)] = 1
    with torch.no_grad():
        flat = pixels.reshape(videos * frames, 3, image, image)
        vision = model.vision_model(pixel_values=flat)
        frame_embeds = model.visual_projection(vision.pooler_output)
        normed = frame_embeds / frame_embeds.norm(dim=-1, keepdim=True)
        video_features = normed.reshape(videos, frames, -1).mean(dim=1)
        text_out = model.text_model(input_ids=ids, attention_mask=mask)
        text_features = model.text_projection(text_out.pooler_output)
        video_embeds = video_features / video_features.norm(dim=-1, keepdim=True)
        text_embeds = text_features / text_features.norm(dim=-1, keepdim=True)
        logits_per_video = model.logit_scale.exp() * video_embeds @ text_embeds.t()
    outputs = {
        "input.pixel_values": pixels,
        "input.input_ids": ids.to(torch.int32),
        "input.attention_mask": mask.to(torch.int32),
        "out.vision_last_hidden_state": vision.last_hidden_state,
        "out.vision_pooled": vision.pooler_output,
        "out.frame_embeds": frame_embeds,
        "out.video_features": video_features,
        "out.video_embeds": video_embeds,
        "out.text_features": text_features,
        "out.text_embeds": text_embeds,
        "out.logits_per_video": logits_per_video,
        "out.logits_per_text": logits_per_video.t(),
    }
    save_file({k: v.contiguous() for k, v in outputs.items()}, str(path))


if __name__ == "__main__":
    main()
