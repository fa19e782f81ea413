"""Export in the Hugging Face layout, with the reference dump `vidsearch model check` reads."""

import copy
import json
import pathlib

import torch

from .config import MEAN, SIZE, STD
from .data import to_pixels
from .training import log


def export(model, out, tokens, frames, recipe):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = copy.deepcopy(model).eval()
    model.half().save_pretrained(out, safe_serialization=True)
    (out / "preprocessor_config.json").write_text(json.dumps({
        "image_processor_type": "VideoMAEImageProcessor", "do_resize": True, "size": {"shortest_edge": SIZE},
        "resample": 2, "do_center_crop": True, "crop_size": {"height": SIZE, "width": SIZE},
        "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "image_mean": MEAN.tolist(), "image_std": STD.tolist()}, indent=2) + "\n")
    (out / "training.json").write_text(json.dumps(recipe, indent=2) + "\n")
    write_reference(out, tokens, frames)
    log(f"exported to {out}")


def write_reference(out, tokens, frames):
    """A reference dump in the format of the xclip-tiny fixture, made by transformers from the
    exported (f16) weights read back as float32: what `vidsearch model check` compares against."""
    from safetensors.torch import save_file
    from transformers import XCLIPModel
    model = XCLIPModel.from_pretrained(out, dtype=torch.float32).eval()
    texts = ["a red circle moving left", "a white triangle blinking", "a blue square growing"]
    ids = [[49406] + tokens.tokenizer.encode(t) + [49407] for t in texts]
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
        text_features_ = model.get_text_features(input_ids=input_ids.long(), attention_mask=attention_mask.long())
        text_features_ = text_features_.pooler_output if hasattr(text_features_, "pooler_output") else text_features_
    tensors = {
        "input.pixel_values": pixel_values, "input.input_ids": input_ids, "input.attention_mask": attention_mask,
        "out.vision_last_hidden_state": vision.last_hidden_state, "out.vision_pooled": vision.pooler_output,
        "out.mit_last_hidden_state": mit.last_hidden_state, "out.mit_pooled": mit.pooler_output,
        "out.video_features": mit.pooler_output, "out.video_embeds": output.video_embeds,
        "out.text_features": text_features_, "out.text_embeds": output.text_embeds,
        "out.logits_per_video": output.logits_per_video, "out.logits_per_text": output.logits_per_text,
    }
    save_file({k: v.contiguous().clone() for k, v in tensors.items()}, str(out / "reference.safetensors"))
