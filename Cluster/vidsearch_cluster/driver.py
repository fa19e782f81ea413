"""The head's side of a distributed run: plan, share out, retry, merge."""
import fcntl
import glob
import json
import os
import shutil
import sys
import time
import uuid

from . import binary
from .plan import Plan, partition
from .progress import Progress


def why(error):
    """One line that says why a task failed: the task's own exception when it raised one."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, Exception):
        error = cause
    text = " ".join(str(error).split())
    text = text if len(text) <= 400 else text[:400] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Driver:
    def __init__(self, options):
        self.o = options
        self.events = sys.stdout
        if options.json:
            # Events alone on standard output: whatever else writes there (Ray's own messages) goes to stderr.
            sys.stdout.flush()
            self.events = os.fdopen(os.dup(1), "w")
            os.dup2(2, 1)
        self.failed = 0
        self.partial = 0

    # Output: JSON events on stdout with --json, lines for people on stderr otherwise.
    def event(self, obj, line=None):
        if self.o.json:
            print(json.dumps(obj, sort_keys=True), file=self.events, flush=True)
        elif line:
            print(line, file=sys.stderr, flush=True)

    def local(self, path):
        """A path as the head reads it (inside the shipped folder when it is relative)."""
        return path if os.path.isabs(path) or not self.o.ship else os.path.join(self.o.ship, path)

    def report_file(self, result):
        if result.get("status") == "failed":
            self.failed += 1
        if result.get("partial"):
            self.partial += 1
        line = None
        if result.get("status") == "failed":
            line = f"FAILED   {result['path']}: {result.get('error', 'unknown error')}"
        elif self.o.verbose:
            line = f"{result.get('status', '?'):8} {result['path']}"
        self.event(dict(result, event="file"), line)

    def run(self):
        o = self.o
        staging = o.staging or o.index.rstrip("/") + ".staging"
        os.makedirs(staging, exist_ok=True)
        lock = open(os.path.join(staging, ".driver.lock"), "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(self.fatal(f"another vidsearch_cluster run is using {staging} (its .driver.lock is held)"))
        for stale in glob.glob(os.path.join(staging, ".incoming-*")):
            shutil.rmtree(stale, ignore_errors=True)  # a copy cut short by a lost node or a killed driver

        # Shards a killed run finished but did not merge are merged first: their work is kept.
        leftovers = sorted(glob.glob(os.path.join(staging, "share-*")))
        if leftovers:
            self.event({"event": "leftovers", "shards": len(leftovers)}, f"merging {len(leftovers)} shard(s) an earlier run left in {staging}")
            self.merge(leftovers)

        plan = Plan.make(self.local(o.vidsearch), o.paths, o.index, o.ext)
        self.event({"event": "plan", "encode": len(plan.encode), "seconds": round(plan.seconds, 3), "skip": len(plan.skip),
                    "move": len(plan.move), "fail": len(plan.fail)},
                   f"{len(plan.encode)} file(s) to encode ({plan.seconds / 3600:.2f} h of video), {len(plan.skip)} unchanged, "
                   f"{len(plan.move)} moved, {len(plan.fail)} unreadable")
        for failure in plan.fail:
            self.report_file({"path": failure["path"], "status": "failed", "error": failure.get("error", "unreadable")})
        if plan.move:
            # A moved file keeps its segments: the main index is told on the head, nothing is encoded.
            arguments = ["index", "--json", "--index", o.index, "--files-from", "-"] + self.model_arguments()
            _, objects, _ = binary.run(self.local(o.vidsearch), arguments, stdin="".join(p + "\n" for p in plan.move))
            for obj in objects:
                if not obj.get("summary"):
                    self.report_file(obj)
        if plan.encode:
            self.encode(plan, staging)
            self.merge(sorted(glob.glob(os.path.join(staging, "share-*"))))
        summary = {"summary": True, "encoded": len(plan.encode), "skipped": len(plan.skip), "moved": len(plan.move),
                   "failed": self.failed}
        self.event(summary, f"done: {len(plan.encode)} encoded on the cluster, {len(plan.skip)} unchanged, "
                            f"{len(plan.move)} moved, {self.failed} failed")
        return binary.SOME_FAILED if self.failed or self.partial else binary.OK

    def model_arguments(self):
        return ["--model", self.local(self.o.model)] if self.o.model else []

    def fatal(self, message):
        print(f"vidsearch_cluster: {message}", file=sys.stderr)
        return binary.INDEX_OR_MODEL

    def encode(self, plan, staging):
        import ray
        from ray.util.queue import Empty, Queue
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from .task import index_share

        o = self.o
        self.connect(ray)
        cpus = sum(n["Resources"].get("CPU", 0) for n in ray.nodes() if n["Alive"])
        workers = max(1, int(cpus // o.cpus_per_task)) if o.workers == "auto" else int(o.workers)
        shares = partition(plan.encode, o.shares or 4 * workers)
        run_id = uuid.uuid4().hex[:8]
        # The queue lives on the driver's node: a lost worker node must not take it along.
        here = ray.get_runtime_context().get_node_id()
        queue = Queue(actor_options={"num_cpus": 0, "scheduling_strategy": NodeAffinitySchedulingStrategy(here, soft=False)})
        self.event({"event": "shares", "shares": len(shares), "workers": workers, "cpus": cpus},
                   f"{len(shares)} share(s) over {workers} worker(s) ({cpus:g} CPUs in the cluster)")

        index_arguments = (["--ext", o.ext] if o.ext else []) + o.index_arguments

        def submit(number, attempt):
            job = {"share": number, "attempt": attempt, "run": run_id, "files": [p for p, _ in shares[number]],
                   "vidsearch": o.vidsearch, "model": o.model, "staging": os.path.abspath(staging), "queue": queue,
                   "threads": o.cpus_per_task, "local_dir": o.local_dir, "index_arguments": index_arguments}
            return index_share.options(num_cpus=o.cpus_per_task).remote(job)

        progress = Progress(len(plan.encode), plan.seconds, self.event)
        running = {submit(i, 1): (i, 1) for i in range(len(shares))}
        while running:
            ready, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
            while True:
                try:
                    message = queue.get_nowait()
                except Empty:
                    break
                if message.get("event") == "progress":
                    progress.file_done(message["share"], message["attempt"], message.get("duration"))
                    self.event(message)
            for ref in ready:
                number, attempt = running.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as error:  # a lost node, a crashed worker, vidsearch refusing
                    progress.attempt_lost(number, attempt)
                    reason = why(error)
                    if attempt <= o.retries:
                        self.event({"event": "retry", "share": number, "attempt": attempt, "error": reason},
                                   f"share {number} attempt {attempt} failed ({reason}); trying again")
                        running[submit(number, attempt + 1)] = (number, attempt + 1)
                    else:
                        for path, _ in shares[number]:
                            self.report_file({"path": path, "status": "failed",
                                              "error": f"its share failed {attempt} times on the cluster: {reason}"})
                    continue
                for r in result["results"]:
                    self.report_file(r)
                self.event({"event": "share", "share": number, "attempt": attempt, "node": result["node"],
                            "seconds": round(result["seconds"], 3), "files": len(result["results"])})
            progress.tick()
        progress.tick(force=True)
        try:
            queue.shutdown()
        except Exception:
            pass

    def connect(self, ray):
        o = self.o
        # The nodes need only Ray: this package travels with the job; binary and model too with --ship.
        runtime_env = {"py_modules": [os.path.dirname(os.path.abspath(__file__))]}
        if o.ship:
            runtime_env["working_dir"] = o.ship
        try:
            if o.address == "local":
                ray.init(runtime_env=runtime_env, log_to_driver=False, include_dashboard=False)
            else:
                ray.init(address=o.address, runtime_env=runtime_env, log_to_driver=False)
        except ConnectionError as error:
            raise SystemExit(self.fatal(f"no Ray cluster at {o.address} ({error}); start one with `ray start --head`, "
                                        "or pass --address local to run on this machine alone"))

    def merge(self, shards):
        if not shards:
            return
        o = self.o
        _, objects, _ = binary.run(self.local(o.vidsearch), ["merge", "--json", "--index", o.index] + shards)
        summary = next((x for x in objects if x.get("summary")), {})
        counts = {k: summary.get(k, 0) for k in ("added", "replaced", "moved", "kept", "skipped")}
        self.event(dict(counts, event="merge", shards=len(shards)),
                   f"merged {len(shards)} shard(s) into {o.index}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        # Merged shards go only after the merge committed: a run killed before this line merges them again, harmlessly.
        for shard in shards:
            shutil.rmtree(shard, ignore_errors=True)
