#!/usr/bin/env python3
"""Ray's overhead on this machine: the cluster driver against the single-machine path, same files,
same two cores, in one run. Two cores cannot show a speed-up; what this measures is what the
driver costs (Ray, planning, one vidsearch process and one shard per share, the merge).

Usage: Benchmarks/cluster_overhead.py [--binary .build/release/vidsearch] [--markdown]
(needs Ray: .build-cluster/venv/bin/python, made by scripts/test)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def host():
    model, flags = "unknown CPU", set()
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name") and model == "unknown CPU":
            model = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = set(line.split(":", 1)[1].split())
    shown = "+".join(f for f in ("avx2", "fma", "avx512f", "avx512_bf16") if f in flags)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB, flags {shown}"


def timed(command, **kwargs):
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.exit(f"{command[0]} exited {done.returncode}: {done.stderr[-2000:]}")
    return time.perf_counter() - start, done


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "vidsearch"))
    parser.add_argument("--loops", type=int, default=20, help="each sample clip played this many times in a row")
    parser.add_argument("--markdown", action="store_true")
    o = parser.parse_args()
    import ray
    from ray.cluster_utils import Cluster

    binary = os.path.abspath(o.binary)
    model = os.path.join(ROOT, "Models", "xclip-demo")
    samples = os.path.join(ROOT, "Samples", "demo-clips")
    tmp = tempfile.mkdtemp(prefix="vidsearch-cluster-bench-")
    try:
        footage = os.path.join(tmp, "footage")
        os.makedirs(footage)
        for i, name in enumerate(sorted(n for n in os.listdir(samples) if n.endswith(".mp4"))):
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", str(o.loops - 1), "-i", os.path.join(samples, name),
                            "-c", "copy", "-metadata", f"comment=loop {i}", os.path.join(footage, f"long-{i:02d}.mp4")], check=True)
        options = ["--model", model, "--segment-stride", "0.5"]
        single_seconds, _ = timed([binary, "index", footage, "--index", os.path.join(tmp, "single"), *options])
        listed = subprocess.run([binary, "list", "--json", "--index", os.path.join(tmp, "single")], capture_output=True, text=True).stdout
        videos = [json.loads(line) for line in listed.splitlines() if line.startswith("{")]
        segments = sum(v["segments"] for v in videos)
        seconds_of_video = sum(v["duration"] for v in videos)

        # One node holding both cores (the head), so both runs have the same CPUs.
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": os.cpu_count()})
        try:
            env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "Cluster"))
            ray_seconds, run = timed([sys.executable, "-m", "vidsearch_cluster", "index", footage, "--index", os.path.join(tmp, "main"),
                                      "--vidsearch", binary, "--address", cluster.address, "--cpus-per-task", str(os.cpu_count()),
                                      "--json", *options], env=env)
        finally:
            cluster.shutdown()
        events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        shares = sum(1 for e in events if e.get("event") == "share")
        task_seconds = sum(e["seconds"] for e in events if e.get("event") == "share")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rows = [
        ("cluster.single_machine", f"{seconds_of_video / single_seconds:.4g}", "video-s/s", "",
         f"vidsearch index, {len(videos)} files, {seconds_of_video:.0f} s of video, {segments} segments (demo model, stride 0.5 s): {single_seconds:.1f} s"),
        ("cluster.ray_local", f"{seconds_of_video / ray_seconds:.4g}", "video-s/s", f"{single_seconds / ray_seconds:.2f}x single",
         f"vidsearch_cluster on a one-node Ray cluster with the same {os.cpu_count()} cores: {ray_seconds:.1f} s in all, "
         f"{shares} shares taking {task_seconds:.1f} s inside their tasks, the rest Ray, planning and the merge"),
        ("cluster.overhead", f"{ray_seconds - single_seconds:.3g}", "s", f"{ray_seconds / single_seconds:.2f}x",
         "distributed run time over the single-machine run of the same files; two cores cannot show a speed-up, only this cost"),
    ]
    if o.markdown:
        print(f"Measured on {host()}, in one run.")
        print("Rerun with: `.build-cluster/venv/bin/python Benchmarks/cluster_overhead.py --markdown`")
        print()
        print("| figure | value | unit | ratio | note |")
        print("|---|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        for row in rows:
            print("  ".join(row))


if __name__ == "__main__":
    main()
