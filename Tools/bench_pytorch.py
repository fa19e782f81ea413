#!/usr/bin/env python3
"""The PyTorch reference timed on this machine, for `vidsearch bench` to set beside its own.

Builds transformers' XCLIPModel in the official xclip-base shapes (patch 32 and/or 16) with
seeded random weights, fp32, on N threads (default 2), and times what vidsearch times:
  segment.batch{1,4}  one 8-frame 224 px segment: vision transformer with cross-frame
                      communication, visual projection, MIT, and the prompt tokens
                      (prompts_visual_layernorm and projection over the patch tokens, frame mean)
  segment.batch4.bf16 the same under torch.autocast("cpu", dtype=torch.bfloat16)
  text.8tokens        an 8-token query through the text transformer and text projection
  rerank100           the prompt generator for one text against 100 videos' tokens
Each is the median of repeated runs after a warm-up. Prints one JSON object (seconds).

Development-time only (PyTorch is several GB); vidsearch runs it when --python names an
interpreter that has torch and transformers, and says so when it cannot.

Usage: Tools/bench_pytorch.py [--shapes B/32,B/16] [--parts model,rerank] [--threads 2]
"""
import argparse
import json
import statistics
import time


def timed(fn, repeats, warmup=1):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), (max(samples) - min(samples)) / statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="B/32,B/16")
    parser.add_argument("--parts", default="model,rerank", help="model (segments and text), rerank (B/32 only)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    import transformers
    from transformers import XCLIPConfig, XCLIPModel

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "transformers": transformers.__version__, "threads": args.threads, "figures": {}}
    for shape in args.shapes.split(","):
        config = XCLIPConfig(vision_config={"patch_size": 16 if shape == "B/16" else 32})
        model = XCLIPModel(config).eval()

        def encode_videos(pixels):
            b, t, c, h, w = pixels.shape
            vision = model.vision_model(pixel_values=pixels.reshape(-1, c, h, w))
            cls = model.visual_projection(vision[1]).view(b, t, -1)
            video = model.mit(cls)[1]
            tokens = model.prompts_visual_layernorm(vision[0][:, 1:, :]) @ model.prompts_visual_projection
            return video, tokens.view(b, t, -1, video.shape[-1]).mean(dim=1)

        ids = torch.tensor([[49406, 320, 1929, 8617, 320, 45768, 530, 49407]])
        text_tokens = torch.randn(100, 49 if shape == "B/32" else 196, config.projection_dim)
        parts = set(args.parts.split(","))
        with torch.inference_mode():
            for batch in (1, 4) if "model" in parts else ():
                pixels = torch.randn(batch, 8, 3, 224, 224)
                median, spread = timed(lambda: encode_videos(pixels), repeats=3 if shape == "B/16" else 5)
                out["figures"][f"{shape}.segment.batch{batch}"] = {"seconds": median / batch, "spread": spread}
            if "model" in parts:
                # bf16 products as PyTorch offers them: autocast (f32 weights cast per call).
                pixels = torch.randn(4, 8, 3, 224, 224)
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    median, spread = timed(lambda: encode_videos(pixels), repeats=3 if shape == "B/16" else 5)
                out["figures"][f"{shape}.segment.batch4.bf16"] = {"seconds": median / 4, "spread": spread}
            if "model" in parts:
                median, spread = timed(lambda: model.text_projection(model.text_model(input_ids=ids)[1]), repeats=20, warmup=3)
                out["figures"][f"{shape}.text.8tokens"] = {"seconds": median, "spread": spread}
            if shape == "B/32" and "rerank" in parts:
                text = torch.randn(1, 1, config.projection_dim).expand(100, -1, -1)
                median, spread = timed(lambda: model.prompts_generator(text, text_tokens), repeats=9, warmup=2)
                out["figures"]["B/32.rerank100"] = {"seconds": median, "spread": spread}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
