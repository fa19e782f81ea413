#!/usr/bin/env python3
"""Trains the bundled demo X-CLIP on synthetic action clips, in stages that learn on two CPU
cores, and exports it in the Hugging Face layout (Models/xclip-demo) with a reference dump for
`vidsearch model check`.

Development time only: needs torch, transformers, numpy, pillow, safetensors, clip-anytorch (the
original CLIP tokenizer) and the ffmpeg command-line tool. Seeded: the same command on the same
torch build and thread count gives the same model, as long as no --minutes cap cuts a stage short
(each stage prints when its cap stopped it).

The recipe follows the paper's route: X-CLIP expands a *pretrained image model*.
  data      samples rendered by Tools/synthetic_clips.py with a random "camera" (brightness,
            contrast, gamma, background level, object size and aspect, frame rate, shake,
            compression) through a real libx264 round trip, resized as the product does (PIL).
  image     stage 1: the vision transformer trained as an image model (CLIPVisionModel, same
            config) on single frames from many clips: heads for color, shape, the object's
            position and size, and whether it is visible; flips, 90-degree turns, photometric
            jitter on top.
  text      the text tower pretrained on attribute heads (color, shape, motion from the
            caption, paraphrases included), so captions of one length do not start with one
            embedding.
  cache     the stage-1 tower, loaded into XCLIPModel's vision tower (only the message-token
            tensors are new, zero-initialised), run once over every sample and its horizontal and
            vertical mirrors; time reversal is a reordering of the cached frames.
  video     stage 2 on the cached features: visual projection, MIT, text tower, prompt
            generator. Scored with the plain cosine first; the prompt generator switched in later
            with its two output projections zero-initialised (so at the switch the prompted text
            is (1 + alpha) x text: the text is not drowned); both scores stay in the loss, since
            the index ranks by the plain cosine and the rerank by the prompted one.
  finetune  end to end on frames with the tower unlocked at a low learning rate (the message
            tokens learn cross-frame communication here).
Held-out combinations (20%, synthetic_clips.split_classes) are never trained, not even as
negatives or through flips and reversal.

Ablation (the paper's Table 6 in miniature), each variant from the same image and text stages,
same data and the same video/finetune budget:
  clip-mean    frames averaged, no message tokens, no MIT, no prompt
  cross-frame  + cross-frame communication
  mit          + multi-frame integration transformer
  full         + video-specific prompt (the exported model)

Usage:
  Tools/train_demo.py                       # every stage, then export to Models/xclip-demo
  Tools/train_demo.py --resume              # continue a stopped run from its checkpoints
  Tools/train_demo.py --variant mit --video-steps 1500 --finetune-minutes 4 --out /tmp/ablation-mit
"""
import argparse
import json
import os
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import synthetic_clips as sc  # noqa: E402
from demo_training.config import ROOT, VARIANTS, demo_config  # noqa: E402
from demo_training.captions import Tokens  # noqa: E402
from demo_training.data import render_set  # noqa: E402
from demo_training.training import fmt, log  # noqa: E402
from demo_training.image_stage import stage_image  # noqa: E402
from demo_training.text_stage import stage_text  # noqa: E402
from demo_training.video_stage import build_cache, stage_finetune, stage_video, video_model  # noqa: E402
from demo_training.evaluation import Evaluator  # noqa: E402
from demo_training.export import export  # noqa: E402


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "Models/xclip-demo"), help="export folder (HF layout)")
    parser.add_argument("--work", default=str(ROOT / ".build-train"), help="rendered data, caches, checkpoints")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoints in --work")
    parser.add_argument("--variant", choices=VARIANTS, default="full")
    parser.add_argument("--run-name", default=None,
                        help="names this run's video and finetune checkpoints (default: the variant), so runs with "
                             "other budgets share the image, text and cache stages in one --work folder")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--precision", choices=["auto", "bf16", "f32"], default="auto")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("TRAIN_THREADS", "2")))
    parser.add_argument("--checkpoint-minutes", type=float, default=3.0)
    parser.add_argument("--eval-every", type=int, default=500, help="steps between evaluations on fresh clips")
    # data
    parser.add_argument("--samples", type=int, default=8000, help="training samples (seen combinations only)")
    parser.add_argument("--camera", type=float, default=1.0, help="strength of the random camera (0: none)")
    parser.add_argument("--eval-per-class", type=int, default=2, help="fresh evaluation clips per class (all 120)")
    # stage 1
    parser.add_argument("--image-steps", type=int, default=1600)
    parser.add_argument("--image-minutes", type=float, default=25)
    parser.add_argument("--image-batch", type=int, default=256)
    parser.add_argument("--image-lr", type=float, default=1e-3)
    # text
    parser.add_argument("--text-steps", type=int, default=300)
    parser.add_argument("--text-lr", type=float, default=1e-3)
    parser.add_argument("--canonical", type=float, default=0.5, help="share of captions in their canonical wording")
    # stage 2
    parser.add_argument("--video-steps", type=int, default=4000)
    parser.add_argument("--video-minutes", type=float, default=15)
    parser.add_argument("--video-batch", type=int, default=128)
    parser.add_argument("--video-lr", type=float, default=1e-3)
    parser.add_argument("--prompt-from", type=int, default=1500, help="stage-2 step at which the prompt generator joins")
    parser.add_argument("--prompt-batch", type=int, default=32, help="videos of each batch scored with the prompted text")
    parser.add_argument("--text-weight", type=float, default=0.5, help="weight of the caption->video loss")
    parser.add_argument("--aux-weight", type=float, default=0.3, help="weight of the attribute heads on the video embedding")
    # finetune
    parser.add_argument("--finetune-steps", type=int, default=1000)
    parser.add_argument("--finetune-minutes", type=float, default=15)
    parser.add_argument("--finetune-batch", type=int, default=24)
    parser.add_argument("--finetune-lr", type=float, default=1e-4)
    parser.add_argument("--finetune-tower-lr", type=float, default=2e-5)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    torch.set_num_threads(args.threads)
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    seen, held = sc.split_classes()
    log(f"recipe: {vars(args)}")

    train_jobs = [(1000 + args.seed, i, seen[i % len(seen)], args.camera, "train") for i in range(args.samples)]
    frames, tracks = render_set(work / f"train-{args.seed}-{args.samples}-{args.camera}.npz", train_jobs, "train")
    classes_ = [j[2] for j in train_jobs]
    # Held-out frames for stage 1: fresh clips of seen and held-out classes with a camera.
    probe_jobs = [(3000 + args.seed, i, sc.classes()[i % 120], args.camera, "train") for i in range(240)]
    probe = render_set(work / f"probe-{args.seed}-{args.camera}.npz", probe_jobs, "probe")
    eval_jobs = [(5000 + args.seed, i, sc.classes()[i % 120], 0.0, "eval") for i in range(120 * args.eval_per_class)]
    eval_frames, _ = render_set(work / f"eval-{args.seed}-{args.eval_per_class}.npz", eval_jobs, "eval")
    tokens = Tokens()
    evaluator = Evaluator(args, eval_frames, [j[2] for j in eval_jobs], tokens, held)
    evaluate = lambda m, v: Evaluator.brief(evaluator(m, v))  # noqa: E731

    image_state = stage_image(args, work, (frames, tracks, classes_), (probe[0], probe[1], [j[2] for j in probe_jobs]))
    from transformers import XCLIPModel
    torch.manual_seed(args.seed + 2)
    text_state = stage_text(args, work, XCLIPModel(demo_config()), tokens, seen)

    torch.manual_seed(args.seed + 5)
    model = video_model(args.variant, image_state, text_state)
    for p in model.vision_model.parameters():
        p.requires_grad_(False)
    cache = build_cache(args, work, model, args.variant, frames)
    stage_video(args, work, model, args.variant, cache, classes_, seen, tokens, evaluate)
    after_video = evaluator(model, args.variant)
    log(f"after the video stage: {fmt(Evaluator.brief(after_video))}")
    for p in model.vision_model.parameters():
        p.requires_grad_(True)
    stage_finetune(args, work, model, args.variant, (frames, tracks, classes_), seen, tokens, evaluate)
    final = evaluator(model, args.variant)
    log(f"final: {fmt(Evaluator.brief(final))}")

    recipe = {"command": "Tools/train_demo.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "args": {k: v for k, v in vars(args).items() if k not in ("out", "work")},
              "fresh_clip_eval": {"after_video_stage": after_video["all"], "final": final["all"],
                                  "clips": len(eval_jobs), "note": "Python proxy on the product's segment times; "
                                  "`vidsearch bench quality` measures through the real path"}}
    (work / f"result-{args.run_name or args.variant}.json").write_text(json.dumps(recipe, indent=2) + "\n")
    if args.variant == "full":
        export(model, args.out, tokens, eval_frames[:2], recipe)
    else:
        pathlib.Path(args.out).mkdir(parents=True, exist_ok=True)
        (pathlib.Path(args.out) / f"{args.run_name or args.variant}.json").write_text(json.dumps(recipe, indent=2) + "\n")


if __name__ == "__main__":
    main()
