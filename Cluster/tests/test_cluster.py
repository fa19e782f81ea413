"""The driver on a local three-node Ray cluster (a head and two workers, separate processes on
loopback), against the single-machine path over the same files.

Run by the README's test command: VIDSEARCH_BIN names the vidsearch binary (default: the debug
build). The cluster is stopped at the end whatever happens.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from ray.cluster_utils import Cluster

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.abspath(os.environ.get("VIDSEARCH_BIN", os.path.join(ROOT, ".build", "debug", "vidsearch")))
MODEL = os.path.join(ROOT, "Models", "xclip-demo")
SAMPLES = os.path.join(ROOT, "Samples", "demo-clips")


def vidsearch(*arguments, expect=0):
    """Runs the binary on every core (the shares run on one: a vector does not depend on it) and
    checks its exit status is the one expected."""
    done = subprocess.run([BIN, *arguments], capture_output=True, text=True)
    if expect is not None and done.returncode != expect:
        raise AssertionError(f"vidsearch {' '.join(arguments)} exited {done.returncode}, not {expect}: {done.stderr}")
    return done


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def driver(*arguments, address):
    """The driver as a user runs it, in its own process."""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "Cluster"))
    command = [sys.executable, "-m", "vidsearch_cluster", "index", *arguments, "--address", address,
               "--cpus-per-task", "1", "--json"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


class ClusterTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise unittest.SkipTest(f"no vidsearch binary at {BIN} (swift build first)")
        cls.tmp = tempfile.mkdtemp(prefix="vidsearch-cluster-")
        # Fast failure detection, so that a killed node is noticed in seconds, not half a minute.
        cls.cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 0, "_system_config": {"health_check_initial_delay_ms": 0, "health_check_period_ms": 500,
                                              "health_check_failure_threshold": 3}})
        cls.addClassCleanup(cls.cluster.shutdown)
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.workers = [cls.cluster.add_node(num_cpus=1) for _ in range(2)]
        cls.cluster.wait_for_nodes()

    def folder(self, name):
        path = os.path.join(self.tmp, name)
        os.makedirs(path)
        return path

    def assert_same_index(self, merged, single):
        """Same videos and segments, vectors within 1e-6, and the same hits for every caption."""
        a = json_lines(vidsearch("export", "--vectors", "--index", merged).stdout)
        b = json_lines(vidsearch("export", "--vectors", "--index", single).stdout)
        self.assertGreater(len(b), 0)
        self.assertEqual([(r["path"], r["start"], r["end"], r["frames"]) for r in a],
                         [(r["path"], r["start"], r["end"], r["frames"]) for r in b])
        # Bit for bit: a segment's vector does not depend on the machine's core count or on what
        # else its run held, nor a hit's score on what else a search reranks.
        for x, y in zip(a, b):
            self.assertTrue(all(v == v for v in x["embedding"]), f"{x['path']} {x['start']}: NaN")
            self.assertEqual(x["embedding"], y["embedding"], f"{x['path']} {x['start']}")
        with open(os.path.join(SAMPLES, "labels.jsonl")) as labels:
            captions = sorted({json.loads(line)["caption"] for line in labels})
        for caption in captions:
            a, b = [[(h["path"], h["start"], h["end"], h["score"]) for h in
                     json_lines(vidsearch("search", caption, "-k", "20", "--index", ix, "--model", MODEL, "--json").stdout)]
                    for ix in (merged, single)]
            self.assertGreater(len(a), 0, caption)
            self.assertEqual(a, b, caption)
        verify = vidsearch("verify", "--index", merged)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    def test_cluster_index_equals_single_machine_and_a_rerun_sends_nothing(self):
        footage = self.folder("footage")
        for name in sorted(os.listdir(SAMPLES)):
            if name.endswith(".mp4"):
                shutil.copy2(os.path.join(SAMPLES, name), footage)
        with open(os.path.join(footage, "garbage.mp4"), "wb") as f:
            f.write(os.urandom(30000))
        single = os.path.join(self.tmp, "single")
        alone = json_lines(vidsearch("index", footage, "--index", single, "--model", MODEL, "--json", expect=1).stdout)
        expected_error = next(r["error"] for r in alone if r.get("status") == "failed")

        # Binary and model reach the nodes through Ray's runtime environment.
        ship = self.folder("ship")
        os.makedirs(os.path.join(ship, "bin"))
        shutil.copy2(BIN, os.path.join(ship, "bin", "vidsearch"))
        shutil.copytree(MODEL, os.path.join(ship, "model"))
        main = os.path.join(self.tmp, "main")
        run = driver(footage, "--index", main, "--ship", ship, "--vidsearch", "bin/vidsearch", "--model", "model",
                     address=self.cluster.address)
        out, err = run.communicate(timeout=600)
        self.assertEqual(run.returncode, 1, err)  # one file failed, the rest was indexed
        events = json_lines(out)
        failures = [e for e in events if e.get("event") == "file" and e.get("status") == "failed"]
        self.assertEqual([(f["path"], f["error"]) for f in failures], [(os.path.join(footage, "garbage.mp4"), expected_error)],
                         "reported once, with the single machine's reason")
        nodes = {e["node"] for e in events if e.get("event") == "share"}
        self.assertTrue(nodes and nodes <= {w.node_id for w in self.workers}, "the workers did the work")
        self.assert_same_index(main, single)
        self.assertEqual(os.listdir(main + ".staging"), [".driver.lock"], "merged shards are cleaned up")

        # Again: only the broken file is tried, nothing else leaves the head.
        rerun = driver(footage, "--index", main, "--ship", ship, "--vidsearch", "bin/vidsearch", "--model", "model",
                       address=self.cluster.address)
        out, err = rerun.communicate(timeout=600)
        plan = next(e for e in json_lines(out) if e.get("event") == "plan")
        self.assertEqual((plan["encode"], plan["skip"]), (1, 30), err)

    def test_a_worker_node_killed_mid_run_loses_nothing(self):
        footage = self.folder("long")
        # Longer videos (the samples looped, each with its own bytes) with overlapping segments,
        # so that every share runs for seconds and a node can be lost in the middle of one.
        for i, name in enumerate(sorted(n for n in os.listdir(SAMPLES) if n.endswith(".mp4"))[:12]):
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "19", "-i", os.path.join(SAMPLES, name),
                            "-c", "copy", "-metadata", f"comment=loop {i}", os.path.join(footage, f"long-{i:02d}.mp4")], check=True)
        single = os.path.join(self.tmp, "long-single")
        vidsearch("index", footage, "--index", single, "--model", MODEL, "--segment-stride", "0.5")

        main = os.path.join(self.tmp, "long-main")
        arguments = [footage, "--index", main, "--vidsearch", BIN, "--model", MODEL, "--segment-stride", "0.5", "--shares", "4"]
        run = driver(*arguments, address=self.cluster.address)
        by_id = {w.node_id: w for w in self.workers}
        killed, events = None, []
        for line in run.stdout:
            event = json.loads(line)  # stdout carries events only
            events.append(event)
            if killed is None and event.get("event") == "progress" and event["node"] in by_id:
                killed, killed_at = event["node"], len(events)
                self.cluster.remove_node(by_id[killed], allow_graceful=False)
        err = run.stderr.read()
        status = run.wait(timeout=600)
        run.stdout.close()
        run.stderr.close()
        if killed:  # a node to replace the lost one, for what follows
            type(self).workers = [w for w in self.workers if w.node_id != killed] + [self.cluster.add_node(num_cpus=1)]
            self.cluster.wait_for_nodes()
        self.assertEqual(status, 0, err)
        self.assertIsNotNone(killed, "no share reported progress from a worker")
        retried = [e for e in events if e.get("event") == "retry"]
        self.assertGreaterEqual(len(retried), 1, "the share on the lost node was tried again")
        self.assertNotIn(killed, {e["node"] for e in events[killed_at:] if e.get("event") == "share"},
                         "the lost node finished nothing after it was lost")
        listed = json_lines(vidsearch("list", "--index", main, "--json").stdout)
        self.assertEqual(sorted(v["path"] for v in listed), sorted(os.path.join(footage, n) for n in os.listdir(footage)),
                         "every video once")
        self.assert_same_index(main, single)

        # Again: nothing is encoded.
        rerun = driver(*arguments, address=self.cluster.address)
        out, err = rerun.communicate(timeout=600)
        self.assertEqual(rerun.returncode, 0, err)
        events = json_lines(out)
        self.assertEqual(next(e for e in events if e.get("event") == "plan")["encode"], 0)
        self.assertFalse([e for e in events if e.get("event") in ("shares", "share")], "no task was run")


    def test_shards_a_killed_run_left_in_staging_are_merged_first(self):
        footage = self.folder("left")
        clips = sorted(n for n in os.listdir(SAMPLES) if n.endswith(".mp4"))[:3]
        for name in clips:
            shutil.copy2(os.path.join(SAMPLES, name), footage)
        main = os.path.join(self.tmp, "left-main")
        # A shard finished and published by a run that was killed before its merge.
        os.makedirs(main + ".staging")
        done = [os.path.join(footage, n) for n in clips[:2]]
        vidsearch("index", *done, "--index", os.path.join(main + ".staging", "share-dead0000-00000"), "--model", MODEL)
        os.makedirs(os.path.join(main + ".staging", ".incoming-share-dead0000-00001-abcd"))  # a copy cut short
        run = driver(footage, "--index", main, "--vidsearch", BIN, "--model", MODEL, address=self.cluster.address)
        out, err = run.communicate(timeout=600)
        self.assertEqual(run.returncode, 0, err)
        events = json_lines(out)
        self.assertEqual(next(e for e in events if e.get("event") == "leftovers")["shards"], 1)
        self.assertEqual(next(e for e in events if e.get("event") == "plan")["encode"], 1, "the staged files are not encoded again")
        listed = json_lines(vidsearch("list", "--index", main, "--json").stdout)
        self.assertEqual(sorted(v["path"] for v in listed), sorted(os.path.join(footage, n) for n in clips))
        self.assertEqual(os.listdir(main + ".staging"), [".driver.lock"])


class PartitionTests(unittest.TestCase):
    def test_every_file_once_and_shares_balanced_by_duration(self):
        sys.path.insert(0, os.path.join(ROOT, "Cluster"))
        from vidsearch_cluster.plan import partition
        files = [(f"/f/{i}.mp4", float(d)) for i, d in enumerate([300, 10, 10, 10, 200, 100, 100, 50, 0, 25])]
        shares = partition(files, 3)
        self.assertEqual(sorted(p for share in shares for p, _ in share), sorted(p for p, _ in files))
        totals = sorted(sum(max(d, 1.0) for _, d in share) for share in shares)
        self.assertEqual(len(shares), 3)
        self.assertLessEqual(totals[-1], 4 / 3 * max(sum(max(d, 1.0) for _, d in files) / 3, 300))  # LPT's bound
        self.assertEqual(partition(files[:2], 8), [[files[0]], [files[1]]], "never more shares than files")
        self.assertEqual(partition([], 4), [])


if __name__ == "__main__":
    unittest.main()
