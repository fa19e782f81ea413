#!/usr/bin/env python3
"""Hub-shaped checkpoints for every family in the README's table, and transformers' reference
vectors for them, for Tests/CLITests/HubCheckpointTests.swift. Development only.

For each repository it writes Tests/CLITests/Fixtures/hub/ORG--NAME/:
  config.json               as the hub has it (openai's legacy transformers-4.16 layout, with
                            text_config_dict/vision_config_dict for the L/14s), or as transformers
                            writes it for that shape (LAION, X-CLIP); every tower at its real
                            width, heads, patch and image size, with 2 layers instead of 12 or 24
                            except openai/clip-vit-base-patch32, which is whole
  preprocessor_config.json  as the hub has it (CLIP's: resample 3, BICUBIC; X-CLIP's: 2)
  weights.json              the state dict's names, shapes, dtype and the fill rule of each
                            tensor: the test writes model.safetensors from it (the weights are a
                            function of the name, below), so no weights are committed
  expected.json             transformers' vectors: the photo's segment, each video segment's,
                            the query's text embedding and each reference score
and the tokenizer file sets in Tests/CLITests/Fixtures/hub/tokenizers/: `openai` (vocab.json on one
line, merges.txt, tokenizer.json, the hub's tokenizer_config.json and special_tokens_map.json) and
`saved` (vocab.json and merges.txt as transformers' slow tokenizer saves them, no tokenizer.json).

The weights: for a tensor named N with n values, value i is made from
z = splitmix64(fnv1a64(N) + i) (64-bit wrapping):
  rule "weight": ((z >> 53) - 1024) / 32768      (uniform in [-1/32, 1/32), step 2^-15)
  rule "norm":   1 + ((z >> 56) - 128) / 1024      (layer-norm scales, in [0.875, 1.125))
  rule "const":  the value given (logit_scale)
Every value is exact in f16 and f32, so a repository stored in either holds the same model.

The reference runs each repository's own files through transformers (from_pretrained on the
folder: the config, the PIL image processor, the tokenizer), on the frames the vidsearch binary
samples (read from `vidsearch export`) as FFmpeg's CLI decodes them to RGB24 with the decoder's
scaler flags.

Usage: VIDSEARCH_BIN=.build/release/vidsearch Tools/hub_reference.py [REPO ...]
"""
import gzip
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.numpy import save_file

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests/CLITests/Fixtures/hub"
MEDIA = ROOT / "Tests/CLITests/Fixtures/media"
# openai/clip-vit-base-patch32's config.json, byte for byte as the hub serves it: written by hand, never by this tool.
VERBATIM = FIXTURES / "openai--clip-vit-base-patch32/config.json"
QUERY = "a cat sitting on a rocket"
CLIP_MEAN, CLIP_STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]

# family, (vision width, layers, heads, patch, image), (text width, layers, heads), projection, frames, style, dtype
REPOS = {
    "openai/clip-vit-base-patch32": ("clip", (768, 12, 12, 32, 224), (512, 12, 8), 512, 8, "openai", "F32"),
    "openai/clip-vit-base-patch16": ("clip", (768, 2, 12, 16, 224), (512, 2, 8), 512, 8, "openai", "F32"),
    "openai/clip-vit-large-patch14": ("clip", (1024, 2, 16, 14, 224), (768, 2, 12), 768, 8, "openai-dict", "F32"),
    "openai/clip-vit-large-patch14-336": ("clip", (1024, 2, 16, 14, 336), (768, 2, 12), 768, 8, "openai-dict", "F16"),
    "laion/CLIP-ViT-B-32-laion2B-s34B-b79K": ("clip-gelu", (768, 2, 12, 32, 224), (512, 2, 8), 512, 8, "written", "F32"),
    "microsoft/xclip-base-patch32": ("xclip", (768, 2, 12, 32, 224), (512, 2, 8), 512, 8, "written", "F32"),
    "microsoft/xclip-base-patch16-zero-shot": ("xclip", (768, 2, 12, 16, 224), (512, 2, 8), 512, 32, "written", "F16"),
}

MASK = (1 << 64) - 1


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return h


def splitmix64(x):
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def fill(name, shape, rule):
    n = int(np.prod(shape)) if shape else 1
    if rule.startswith("const:"):
        return np.full(shape, float(rule[6:]), np.float32)
    with np.errstate(over="ignore"):
        z = splitmix64(np.uint64(fnv1a64(name)) + np.arange(n, dtype=np.uint64))
    if rule == "norm":
        values = 1 + ((z >> np.uint64(56)).astype(np.float64) - 128) / 1024
    else:
        values = ((z >> np.uint64(53)).astype(np.float64) - 1024) / 32768
    return values.astype(np.float32).reshape(shape)


def rule_of(name, tensor):
    if name == "logit_scale":
        return "const:2.65625"
    last = name.split(".")[-2] if "." in name else name
    if tensor.dim() == 1 and name.endswith(".weight") and ("norm" in last or "ln" in last):
        return "norm"
    return "weight"


def config_for(repo, spec):
    from transformers import CLIPConfig, XCLIPConfig

    family, (vw, vl, vh, patch, image), (tw, tl, th), proj, frames, style, _ = spec
    act = "gelu" if family == "clip-gelu" else "quick_gelu"
    vision = dict(hidden_size=vw, intermediate_size=4 * vw, num_hidden_layers=vl, num_attention_heads=vh, patch_size=patch,
                  image_size=image, hidden_act=act)
    text = dict(hidden_size=tw, intermediate_size=4 * tw, num_hidden_layers=tl, num_attention_heads=th, hidden_act=act)
    if style.startswith("openai"):
        # openai's files are transformers 4.16's full dumps: the others are B/32's with their sizes.
        config = json.loads(VERBATIM.read_text())
        config["_name_or_path"] = repo
        config["projection_dim"] = proj
        for key, value in vision.items():
            config["vision_config"][key] = value
        for key, value in text.items():
            config["text_config"][key] = value
        config["vision_config"]["projection_dim"] = config["text_config"]["projection_dim"] = proj
        if style == "openai-dict":  # the L/14 files name their sizes again in *_config_dict
            config["text_config_dict"] = dict(hidden_size=tw, intermediate_size=4 * tw, num_attention_heads=th,
                                              num_hidden_layers=tl, projection_dim=proj)
            config["vision_config_dict"] = dict(hidden_size=vw, intermediate_size=4 * vw, num_attention_heads=vh,
                                                num_hidden_layers=vl, patch_size=patch, projection_dim=proj)
            if image != 224:
                config["vision_config_dict"]["image_size"] = image
            config["torch_dtype"] = "float32"
        return config
    if family == "xclip":
        vision["num_frames"] = frames
        written = XCLIPConfig(text_config=text, vision_config=vision, projection_dim=proj)
        architectures = ["XCLIPModel"]
    else:
        written = CLIPConfig(text_config=text, vision_config=vision, projection_dim=proj)
        architectures = ["CLIPModel"]
    config = json.loads(written.to_json_string())
    config["architectures"] = architectures
    config["dtype"] = "float32"
    return config


def preprocessor_for(family, image):
    if family == "xclip":
        return {"crop_size": image, "do_center_crop": True, "do_normalize": True, "do_resize": True,
                "feature_extractor_type": "VideoMAEFeatureExtractor", "image_mean": [0.485, 0.456, 0.406],
                "image_std": [0.229, 0.224, 0.225], "processor_class": "XCLIPProcessor", "resample": 2, "size": image}
    return {"crop_size": image, "do_center_crop": True, "do_normalize": True, "do_resize": True,
            "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": CLIP_MEAN, "image_std": CLIP_STD,
            "resample": 3, "size": image}


def write_tokenizers():
    """The CLIP BPE as the hub's openai repos ship it, and as transformers' slow tokenizer saves it."""
    from transformers import CLIPTokenizer

    lines = gzip.open(ROOT / "Models/xclip-demo/bpe_simple_vocab_16e6.txt.gz").read().decode().split("\n")
    merges = [tuple(m.split()) for m in lines[1:49152 - 256 - 2 + 1]]
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    units = [chr(c) for c in cs]
    vocab = units + [u + "</w>" for u in units] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    encoder = {token: i for i, token in enumerate(vocab)}
    openai = FIXTURES / "tokenizers/openai"
    saved = FIXTURES / "tokenizers/saved"
    for folder in (openai, saved):
        folder.mkdir(parents=True, exist_ok=True)
    (openai / "vocab.json").write_text(json.dumps(encoder, ensure_ascii=False, separators=(",", ":")))
    (openai / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges))
    special = {"content": None, "single_word": False, "lstrip": False, "rstrip": False, "normalized": True}
    token = lambda text: dict(special, content=text)
    (openai / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": token("<|startoftext|>"), "eos_token": token("<|endoftext|>"), "unk_token": token("<|endoftext|>"),
         "pad_token": "<|endoftext|>"}))
    added = lambda text: dict(token(text), __type="AddedToken")
    (openai / "tokenizer_config.json").write_text(json.dumps(
        {"unk_token": added("<|endoftext|>"), "bos_token": added("<|startoftext|>"), "eos_token": added("<|endoftext|>"),
         "pad_token": "<|endoftext|>", "add_prefix_space": False, "errors": "replace", "do_lower_case": True,
         "name_or_path": "openai/clip-vit-base-patch32", "model_max_length": 77,
         "special_tokens_map_file": "./special_tokens_map.json", "tokenizer_class": "CLIPTokenizer"}, indent=2))
    # tokenizer.json as transformers converts the files above (its constructor's own file arguments
    # made an empty vocabulary in transformers 5); checked to give the slow files' ids.
    fast = CLIPTokenizer.from_pretrained(openai)
    assert fast("a cat sitting on a rocket")["input_ids"] == [49406, 320, 2368, 4919, 525, 320, 8383, 49407]
    with tempfile.TemporaryDirectory() as scratch:
        fast.save_pretrained(scratch)
        shutil.copy(pathlib.Path(scratch) / "tokenizer.json", openai / "tokenizer.json")
    (saved / "vocab.json").write_text(json.dumps(encoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    (saved / "merges.txt").write_text("#version: 0.2\n" + "".join(" ".join(m) + "\n" for m in merges))
    (saved / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "!", "unk_token": "<|endoftext|>"}, indent=2))
    (saved / "tokenizer_config.json").write_text(json.dumps(
        {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "!", "unk_token": "<|endoftext|>",
         "errors": "replace", "model_max_length": 77, "processor_class": "XCLIPProcessor", "tokenizer_class": "CLIPTokenizer"},
        indent=2))


def tokenizer_set(spec):
    return "saved" if spec[0] == "xclip" else "openai"


def decoded_frames(path):
    """Every frame of a video as FFmpeg's CLI decodes it, with the product's scaler flags."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,r_frame_rate",
                            "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout.strip().split(",")
    w, h = int(probe[0]), int(probe[1])
    num, den = map(int, probe[2].split("/"))
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-sws_flags", "bilinear+accurate_rnd+full_chroma_int",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3), num / den


def build(repo, spec, vidsearch):
    from PIL import Image
    from transformers import CLIPModel, CLIPTokenizer, XCLIPModel
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
    from transformers.models.videomae.image_processing_pil_videomae import VideoMAEImageProcessorPil

    family, (vw, vl, vh, patch, image), _, _, frames_per_segment, _, dtype = spec
    out = FIXTURES / repo.replace("/", "--")
    out.mkdir(parents=True, exist_ok=True)
    if (out / "config.json") != VERBATIM:
        (out / "config.json").write_text(json.dumps(config_for(repo, spec), indent=2, sort_keys=True) + "\n")
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor_for(family, image), indent=2, sort_keys=True) + "\n")

    with tempfile.TemporaryDirectory() as scratch:
        model_dir = pathlib.Path(scratch) / "model"
        model_dir.mkdir()
        for name in ("config.json", "preprocessor_config.json"):
            shutil.copy(out / name, model_dir / name)
        for f in (FIXTURES / "tokenizers" / tokenizer_set(spec)).iterdir():
            shutil.copy(f, model_dir / f.name)
        # The state dict's names and shapes, from transformers' own model of this config.
        model_class = XCLIPModel if family == "xclip" else CLIPModel
        state = model_class(model_class.config_class.from_pretrained(model_dir)).state_dict()
        manifest = [dict(name=k, shape=list(v.shape), rule=rule_of(k, v)) for k, v in state.items() if "position_ids" not in k]
        (out / "weights.json").write_text(json.dumps(dict(dtype=dtype, tensors=manifest), indent=1) + "\n")
        arrays = {t["name"]: fill(t["name"], t["shape"], t["rule"]) for t in manifest}
        if dtype == "F16":
            arrays = {k: v.astype(np.float16) for k, v in arrays.items()}
        save_file(arrays, str(model_dir / "model.safetensors"), metadata={"format": "pt"})

        model = model_class.from_pretrained(model_dir, dtype=torch.float32).eval()
        processor_class = VideoMAEImageProcessorPil if family == "xclip" else CLIPImageProcessorPil
        processor = processor_class.from_pretrained(model_dir)
        tokenizer = CLIPTokenizer.from_pretrained(model_dir)

        # What vidsearch samples: the photo, and each segment of the video.
        index = pathlib.Path(scratch) / "index"
        photo, video = MEDIA / "chelsea.png", MEDIA / "rocket-zoom.mp4"
        subprocess.run([vidsearch, "index", str(photo), str(video), "--index", str(index), "--model", str(model_dir),
                        "--precision", "f32", "--json"], check=True, capture_output=True)
        rows = [json.loads(line) for line in subprocess.run(
            [vidsearch, "export", "--vectors", "--index", str(index)], check=True, capture_output=True, text=True).stdout.splitlines()]
        all_frames, fps = decoded_frames(video)
        photo_pixels = np.asarray(Image.open(photo).convert("RGB"))

        ids = tokenizer([QUERY], padding="max_length", max_length=77, return_tensors="pt")
        expected = dict(repo=repo, query=QUERY, segments=[])
        with torch.no_grad():
            text = model.get_text_features(input_ids=ids["input_ids"], attention_mask=ids["attention_mask"])
            text = getattr(text, "pooler_output", text)
            expected["text_embedding"] = text[0].tolist()
            for row in sorted(rows, key=lambda r: (r["path"], r["start"])):
                if row["path"].endswith(".png"):
                    frames = [photo_pixels] * frames_per_segment
                else:
                    frames = [all_frames[int(round(t * fps))] for t in row["frames"]]
                pixels = torch.tensor(np.asarray(processor(images=frames, return_tensors="np")["pixel_values"]))
                pixels = pixels.reshape(-1, 3, image, image)  # X-CLIP's processor gives [1, frames, 3, H, W]
                if family == "xclip":
                    result = model(input_ids=ids["input_ids"], attention_mask=ids["attention_mask"], pixel_values=pixels[None])
                    vector = result.video_embeds[0]
                    score = (result.logits_per_video[0, 0] / model.logit_scale.exp()).item()
                else:
                    embeds = model.get_image_features(pixel_values=pixels)
                    embeds = getattr(embeds, "pooler_output", embeds)
                    embeds = embeds / embeds.norm(dim=-1, keepdim=True)
                    vector = embeds.mean(0)
                    score = torch.nn.functional.cosine_similarity(vector, text[0], dim=0).item()
                ours = np.array(row["embedding"], np.float64)
                cosine = float(np.dot(ours, vector.numpy()) / np.linalg.norm(ours) / np.linalg.norm(vector.numpy()))
                expected["segments"].append(dict(path=pathlib.Path(row["path"]).name, start=row["start"], end=row["end"],
                                                 frames=row["frames"], embedding=vector.tolist(), score=score))
                print(f"  {repo} {pathlib.Path(row['path']).name} {row['start']:.2f}-{row['end']:.2f}: vidsearch cosine {cosine:.7f}")
        (out / "expected.json").write_text(json.dumps(expected) + "\n")


def main():
    vidsearch = os.environ.get("VIDSEARCH_BIN", str(ROOT / ".build/release/vidsearch"))
    wanted = sys.argv[1:] or list(REPOS)
    if not (FIXTURES / "tokenizers/openai/tokenizer.json").exists():
        write_tokenizers()
    from transformers import CLIPTokenizer
    for name in ("openai", "saved"):  # each set must tokenize as CLIP does
        ids = CLIPTokenizer.from_pretrained(FIXTURES / "tokenizers" / name)(QUERY)["input_ids"]
        assert ids == [49406, 320, 2368, 4919, 525, 320, 8383, 49407], (name, ids)
    for repo in wanted:
        build(repo, REPOS[repo], vidsearch)


if __name__ == "__main__":
    main()
