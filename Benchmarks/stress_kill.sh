#!/usr/bin/env bash
# Kills `vidsearch index` with SIGKILL at random moments, N times in a row (default 200), and
# checks after every kill that `vidsearch verify` passes; then lets one run finish and checks
# that nothing is duplicated (every clip indexed once, segment count as expected).
# Usage: Benchmarks/stress_kill.sh [N] [binary] [model]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-200}
bin=${2:-.build/release/vidsearch}
model=${3:-Models/xclip-demo}
work=$(mktemp -d /tmp/vidsearch-stress-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/clips"
for i in $(seq 0 7); do
  ffmpeg -hide_banner -loglevel error -f lavfi -i "testsrc=s=160x120:r=10:d=9" \
    -vf "hue=h=$((i * 45))" -c:v libx264 -pix_fmt yuv420p "$work/clips/clip$i.mp4"
done
index="$work/index"
for round in $(seq 1 "$rounds"); do
  "$bin" index "$work/clips" --index "$index" --model "$model" --batch 1 >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(( RANDOM % 900 + 50 ))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -e "$index/lmdb/data.mdb" ]; then
    if ! "$bin" verify --index "$index" >"$work/verify.txt" 2>&1; then
      echo "verify failed after kill $round:"; cat "$work/verify.txt"; exit 1
    fi
  fi
  # Now and then remove a video, so kills also land in runs that re-add it.
  if [ $((round % 25)) -eq 0 ]; then "$bin" remove "$work/clips/clip$((round % 8)).mp4" --index "$index" >/dev/null 2>&1 || true; fi
  printf '\r%d/%d kills, verify ok' "$round" "$rounds"
done
echo
"$bin" index "$work/clips" --index "$index" --model "$model" >/dev/null 2>&1
videos=$("$bin" list --json --index "$index" | wc -l)
segments=$("$bin" stats --json --index "$index" | sed 's/.*"segments":\([0-9]*\).*/\1/')
"$bin" verify --index "$index"
[ "$videos" -eq 8 ] && [ "$segments" -eq 24 ] || { echo "expected 8 videos and 24 segments, found $videos and $segments"; exit 1; }
echo "$rounds kills survived: 8 videos, 24 segments, verify ok"
