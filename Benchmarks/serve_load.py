#!/usr/bin/env python3
"""A mixed load on `vidsearch serve --watch` while files are copied into the watched folder:
CLIENTS threads (default 8, more than this machine's cores) loop over searches, thumbnails,
media ranges, similar segments, videos, status and health for SECONDS (default 300) against
127.0.0.1 only. Each client's loop is bounded by the deadline and by --max-requests. Then, with
--schemathesis (and schemathesis installed: `pip install schemathesis`), schemathesis runs
docs/openapi.yaml against the same server with 4 workers and `--checks all`.

Passes (exit 0) when no request got a 5xx or a broken connection, the server is alive at the
end, and every copied file is indexed. Prints one JSON object of counts.

  Benchmarks/serve_load.py --binary .build/release/vidsearch [--seconds 300] [--clients 8] [--schemathesis]
"""
import argparse
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
QUERIES = ["a red circle moving left", "a blue square growing", "a yellow triangle", "something white shrinking", "green"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build/release/vidsearch"))
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=200_000, help="per client, a bound beside the deadline")
    parser.add_argument("--schemathesis", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="a BENCHMARKS.md table instead of the JSON line")
    args = parser.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="vidsearch-load-"))
    inbox, index = work / "inbox", work / "index"
    inbox.mkdir()
    clips = sorted((ROOT / "Samples/demo-clips").glob("clip-*.mp4"))
    for clip in clips[:4]:  # some footage before the server starts
        shutil.copy(clip, inbox / clip.name)
    subprocess.run([args.binary, "index", str(inbox), "--index", str(index)], check=True, capture_output=True)
    server = subprocess.Popen([args.binary, "serve", "--index", str(index), "--port", "0", "--watch", str(inbox), "--settle", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        base = line.split(" at ", 1)[1].strip().rstrip("/")
        assert base.startswith("http://127.0.0.1:"), line
        counts = load(base, args, inbox, clips[4:])
        if args.schemathesis:
            counts["schemathesis_exit"] = subprocess.run(
                ["schemathesis", "run", str(ROOT / "docs/openapi.yaml"), "--url", base, "--workers", "4", "--checks", "all"]).returncode
        counts["alive"] = server.poll() is None and fetch(base + "/api/health")[0] == 200
        videos = json.loads(fetch(base + "/api/stats")[1] or b"{}").get("videos")
        counts["videos"] = videos
        counts["copied"] = len(list(inbox.glob("*.mp4")))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)
    counts["seconds"], counts["clients"] = args.seconds, args.clients
    print(markdown(counts) if args.markdown else json.dumps(counts, sort_keys=True))
    ok = (counts["errors"] == 0 and counts["alive"] and counts.get("schemathesis_exit", 0) == 0
          and counts["videos"] == counts["copied"])
    sys.exit(0 if ok else 1)


def markdown(c):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "unknown CPU")
    flags = next((line.split(":", 1)[1].split() for line in open("/proc/cpuinfo") if line.startswith("flags")), [])
    isa = "+".join(f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags)
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(c["by_status"].items()))
    rows = [
        ("serve.load.requests", c["requests"], "requests", f"{c['clients']} clients for {c['seconds']:g} s: search, thumbnails, similar, media ranges, videos, status"),
        ("serve.load.rate", round(c["requests"] / c["seconds"], 1), "requests/s", "the clients together, while the watcher indexes what arrives"),
        ("serve.load.errors", c["errors"], "requests", "5xx or a broken connection; statuses: " + statuses),
        ("serve.load.files", f"{c['videos']} of {c['copied']}", "videos", "in the index at the end, of the files in the watched folder (copied in during the run)"),
        ("serve.load.alive", "yes" if c["alive"] else "NO", "", "the server answers /api/health after the run"),
    ]
    if "schemathesis_exit" in c:
        rows.append(("serve.load.schemathesis", c["schemathesis_exit"], "exit", "schemathesis on docs/openapi.yaml, 4 workers, --checks all"))
    lines = [f"Measured on {cpu}, {os.cpu_count()} cores, flags {isa}.",
             f"Rerun with: `Benchmarks/serve_load.py --seconds {c['seconds']:g} --markdown`", "",
             "| figure | value | unit | note |", "|---|---|---|---|"]
    lines += [f"| {name} | {value} | {unit} | {note} |" for name, value, unit, note in rows]
    return "\n".join(lines)


def fetch(url, headers=None, method="GET"):
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def load(base, args, inbox, later):
    deadline = time.time() + args.seconds
    lock = threading.Lock()
    counts = {"requests": 0, "errors": 0, "by_status": {}, "failures": []}

    def record(status, what):
        with lock:
            counts["requests"] += 1
            counts["by_status"][str(status)] = counts["by_status"].get(str(status), 0) + 1
            if status >= 500 or status == 0:
                counts["errors"] += 1
                if len(counts["failures"]) < 20:
                    counts["failures"].append(f"{status} {what}")

    def client(seed):
        rng = random.Random(seed)
        for _ in range(args.max_requests):
            if time.time() > deadline:
                return
            try:
                status, body = fetch(f"{base}/api/search?q={urllib.request.quote(rng.choice(QUERIES))}&k=12")
                record(status, "search")
                hits = json.loads(body).get("hits", []) if status == 200 else []
                for hit in rng.sample(hits, min(3, len(hits))):
                    record(fetch(f"{base}/api/segments/{hit['segment']}/thumbnail")[0], "thumbnail")
                if hits:
                    hit = rng.choice(hits)
                    record(fetch(f"{base}/api/similar/{hit['segment']}?k=6")[0], "similar")
                    record(fetch(f"{base}/api/videos/{hit['video']}/media", {"Range": "bytes=0-4095"})[0], "media")
                record(fetch(f"{base}/api/videos")[0], "videos")
                record(fetch(f"{base}/api/status")[0], "status")
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError) as error:
                record(0, f"{type(error).__name__}: {error}")

    def copier():
        for clip in later:  # new footage arrives while the clients run
            if time.time() > deadline - 10:
                return
            shutil.copy(clip, inbox / clip.name)
            time.sleep(max(1.0, args.seconds / (len(later) + 1)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)] + [threading.Thread(target=copier)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The watcher catches up with the last copies.
    for _ in range(60):
        stats = json.loads(fetch(f"{base}/api/stats")[1] or b"{}")
        if stats.get("videos") == len(list(inbox.glob("*.mp4"))):
            break
        time.sleep(1)
    return counts


if __name__ == "__main__":
    main()
