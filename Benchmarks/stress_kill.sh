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
# 10 s clips: windows 0-4, 4-8 and 6-10 (a tail under half a stride would stretch the last window instead).
for i in $(seq 0 7); do
  ffmpeg -hide_banner -loglevel error -f lavfi -i "testsrc=s=160x120:r=10:d=10" \
    -vf "hue=h=$((i * 45))" -c:v libx264 -pix_fmt yuv420p "$work/clips/clip$i.mp4"
done
index="$work/index"
# How long a whole run takes (model load, 8 clips, commits): kills land at random moments inside it.
start=$(date +%s%N)
"$bin" index "$work/clips" --index "$index" --model "$model" >/dev/null 2>&1
whole_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "a whole run takes ${whole_ms} ms; each round removes every clip, re-indexes and is killed inside that time"
for round in $(seq 1 "$rounds"); do
  # Every round has real work: all clips are removed first (in one committed step per clip).
  "$bin" remove "$work"/clips/*.mp4 --index "$index" >/dev/null 2>&1 || true
  "$bin" index "$work/clips" --index "$index" --model "$model" >/dev/null 2>&1 &
  pid=$!
  delay_ms=$(( RANDOM % (whole_ms * 95 / 100) + whole_ms / 50 ))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if ! "$bin" verify --index "$index" >"$work/verify.txt" 2>&1; then
    echo "verify failed after kill $round:"; cat "$work/verify.txt"; exit 1
  fi
  printf '\r%d/%d kills, verify ok (indexed when killed: %s videos)   ' "$round" "$rounds" "$("$bin" list --json --index "$index" | wc -l)"
done
echo
"$bin" index "$work/clips" --index "$index" --model "$model" >/dev/null 2>&1
videos=$("$bin" list --json --index "$index" | wc -l)
segments=$("$bin" stats --json --index "$index" | sed 's/.*"segments":\([0-9]*\).*/\1/')
"$bin" verify --index "$index"
[ "$videos" -eq 8 ] && [ "$segments" -eq 24 ] || { echo "expected 8 videos and 24 segments, found $videos and $segments"; exit 1; }
echo "$rounds kills survived: 8 videos, 24 segments, verify ok"
