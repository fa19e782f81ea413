#!/usr/bin/env bash
# Writes BENCHMARKS.md from the benchmark commands; nothing in it is typed by hand.
# Usage: Benchmarks/make_benchmarks_md.sh   (needs a release build; the fresh-clip evaluation needs
# numpy; the PyTorch side-by-side needs $VIDSEARCH_PYTHON (or python3) with torch and transformers)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/vidsearch
[ -x "$bin" ] || swift build -c release --product vidsearch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" bench model --markdown "$tmp/model.md" >/dev/null
# An AVX2-only host's view of the same products: oneDNN and OpenBLAS held to AVX2 on this CPU.
DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell VIDSEARCH_NO_AVX512=1 "$bin" bench model --shapes B/32 --markdown "$tmp/model-avx2.md" >/dev/null
"$bin" bench tokenizer --markdown "$tmp/tokenizer.md" >/dev/null
"$bin" bench query --markdown "$tmp/query.md" >/dev/null
"$bin" bench index --vectors 100000 --markdown "$tmp/index100k.md" >/dev/null 2>&1
"$bin" bench index --vectors 1000000 --markdown "$tmp/index.md" >/dev/null 2>&1
"$bin" bench ingest --markdown "$tmp/ingest.md" >/dev/null
"$bin" bench cuts --markdown "$tmp/cuts.md" >/dev/null
"$bin" bench speech --markdown "$tmp/speech.md" >/dev/null
"$bin" bench serve --markdown "$tmp/serve.md" >/dev/null 2>&1 || echo "Skipped: bench serve failed (needs wrk: apt-get install wrk)." > "$tmp/serve.md"
Benchmarks/serve_load.py --binary "$bin" --seconds 300 --markdown > "$tmp/serve-load.md" 2>/dev/null || echo "the load run failed (see Benchmarks/serve_load.py)" >> "$tmp/serve-load.md"
"$bin" bench quality --markdown "$tmp/samples.md" >/dev/null
Benchmarks/eval_moments.py --binary "$bin" --markdown > "$tmp/moments.md" 2>/dev/null || echo "moment evaluation failed" > "$tmp/moments.md"
if python3 -c "import numpy" 2>/dev/null; then
  { echo; Benchmarks/eval_moments.py --binary "$bin" --style b --markdown 2>/dev/null || echo "moment evaluation (second style) failed"; } >> "$tmp/moments.md"
fi
if python3 -c "import numpy" 2>/dev/null; then
  VIDSEARCH_PRECISION=f32 Benchmarks/eval_demo.py --binary "$bin" --markdown > "$tmp/quality.md" 2>/dev/null || echo "evaluation failed" > "$tmp/quality.md"
  VIDSEARCH_PRECISION=f32 Benchmarks/eval_demo.py --binary "$bin" --style b --markdown > "$tmp/quality-b.md" 2>/dev/null || echo "evaluation failed" > "$tmp/quality-b.md"
  # The same two evaluations with the model's products in oneDNN bf16 (f32 where the CPU lacks bf16).
  for style in a b; do
    VIDSEARCH_PRECISION=bf16 Benchmarks/eval_demo.py --binary "$bin" --style $style --markdown \
      > "$tmp/quality-bf16-$style.md" 2>/dev/null || echo "evaluation failed" > "$tmp/quality-bf16-$style.md"
  done
else
  echo "Skipped: the evaluation renders clips with numpy, which is not installed." > "$tmp/quality.md"
  for f in quality-b quality-bf16-a quality-bf16-b; do cp "$tmp/quality.md" "$tmp/$f.md"; done
fi
# Ray's overhead: needs Ray, in the virtual environment scripts/test makes.
if .build-cluster/venv/bin/python -c "import ray" 2>/dev/null; then
  .build-cluster/venv/bin/python Benchmarks/cluster_overhead.py --binary "$bin" --markdown > "$tmp/cluster.md" 2>/dev/null || echo "cluster benchmark failed" > "$tmp/cluster.md"
else
  echo "Skipped: needs Ray in .build-cluster/venv (scripts/test makes it)." > "$tmp/cluster.md"
fi
# The component analysis trains four models (about 25 minutes on 2 cores): only with torch.
py="${VIDSEARCH_PYTHON:-python3}"
if "$py" -c "import torch, transformers" 2>/dev/null; then
  "$py" Benchmarks/ablation.py --python "$py" --markdown > "$tmp/ablation.md" 2>/dev/null || echo "ablation failed" > "$tmp/ablation.md"
else
  echo "Skipped: the component analysis trains models, which needs torch and transformers (\$VIDSEARCH_PYTHON)." > "$tmp/ablation.md"
fi
{
  echo "# Benchmarks"
  echo
  echo "Made by \`Benchmarks/make_benchmarks_md.sh\`; every figure below comes from the command named with it."
  echo "Speeds are ratios to this machine's sgemm rate measured in the same run (or to another form of the"
  echo "same computation run alongside), with the absolute figure beside them. Timings are medians after a warm-up."
  echo
  echo "## Model (random weights in the official B/32 and B/16 shapes)"; echo; cat "$tmp/model.md"; echo
  echo "## Model with AVX2 forced (DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell VIDSEARCH_NO_AVX512=1: the kernels an AVX2-only host runs, on this CPU)"; echo; cat "$tmp/model-avx2.md"; echo
  echo "## Tokenizer"; echo; cat "$tmp/tokenizer.md"; echo
  echo "## Query"; echo; cat "$tmp/query.md"; echo
  echo "## Index and whole queries at 100k segments"; echo; cat "$tmp/index100k.md"; echo
  echo "## Index and whole queries at 1M segments"; echo; cat "$tmp/index.md"; echo
  echo "## Ingest"; echo; cat "$tmp/ingest.md"; echo
  echo "## Cut detection and shot-aware segments"; echo; cat "$tmp/cuts.md"; echo
  echo "## Subtitles and transcripts: what is said, beside what is seen"; echo; cat "$tmp/speech.md"; echo
  echo "## Serving over HTTP (vidsearch serve, wrk)"; echo; cat "$tmp/serve.md"; echo
  echo "## Serving under a mixed load while footage arrives (serve --watch)"; echo; cat "$tmp/serve-load.md"; echo
  echo "## Distributed ingest (Ray, on this one machine)"; echo; cat "$tmp/cluster.md"; echo
  echo "## Demo model retrieval quality"; echo
  echo "### On the bundled sample clips"; echo; cat "$tmp/samples.md"; echo
  echo "### Moments in multi-shot videos (--per-video)"; echo; cat "$tmp/moments.md"; echo
  echo "### On freshly rendered clips (every class, held-out combinations; f32 products, VIDSEARCH_PRECISION=f32)"; echo; cat "$tmp/quality.md"; echo
  echo "### On clips of a second rendering style the model never saw (f32 products)"; echo; cat "$tmp/quality-b.md"; echo
  echo "### The same with oneDNN bf16 products (VIDSEARCH_PRECISION=bf16)"; echo
  echo "Project's renderer:"; echo; cat "$tmp/quality-bf16-a.md"; echo
  echo "Second style:"; echo; cat "$tmp/quality-bf16-b.md"; echo
  echo "### Component analysis (the paper's Table 6 in miniature)"; echo; cat "$tmp/ablation.md"; echo
  if [ -f Benchmarks/notes.md ]; then cat Benchmarks/notes.md; fi
} > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
