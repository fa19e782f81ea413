"""The Ray task: one share of the files, indexed on whichever node runs it."""
import errno
import os
import shutil
import socket
import tempfile
import time
import uuid

import ray

from . import binary


def _resolve(path):
    # Relative paths name files inside the shipped runtime environment (the task's working
    # folder on every node); absolute ones are preinstalled at the same place on every node.
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)


def _publish(shard, staging, name):
    """Copies a finished shard into the shared staging folder; it appears there whole or not at all."""
    incoming = os.path.join(staging, f".incoming-{name}-{uuid.uuid4().hex[:8]}")
    shutil.copytree(shard, incoming, ignore=shutil.ignore_patterns("writer.lock"))
    for folder, _, files in os.walk(incoming):
        for f in files:
            descriptor = os.open(os.path.join(folder, f), os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
    final = os.path.join(staging, name)
    try:
        os.rename(incoming, final)
    except OSError as error:
        shutil.rmtree(incoming, ignore_errors=True)
        # Only a finished shard already in the way means another attempt at this share finished
        # first (a node thought lost came back): it holds the same videos; keep that one. Any
        # other error (permissions, a full disk, a vanished staging folder) fails this share.
        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not os.path.isdir(final):
            raise
    return final


@ray.remote(max_retries=0)
def index_share(job):
    """Indexes `job["files"]` into a node-local shard with the unchanged single-machine path,
    then publishes it to `job["staging"]`. Progress goes to `job["queue"]` file by file."""
    node = ray.get_runtime_context().get_node_id()
    queue = job["queue"]
    started = time.time()

    def tell(event):
        # Fire and forget: Queue.put would block in ray.get, and a task blocked in ray.get lends
        # its CPUs back to Ray, which then starts a second task on cores this one is using.
        try:
            queue.actor.put_nowait.remote(dict(event, share=job["share"], attempt=job["attempt"], node=node))
        except Exception:
            pass  # progress is best effort; the result below is what counts

    local_root = job.get("local_dir") or tempfile.gettempdir()
    os.makedirs(local_root, exist_ok=True)
    work = tempfile.mkdtemp(prefix=f"vidsearch-share-{job['share']}-", dir=local_root)
    try:
        shard = os.path.join(work, "index")
        env = dict(os.environ, VIDSEARCH_THREADS=str(job["threads"]))
        arguments = ["index", "--json", "--index", shard, "--files-from", "-"]
        if job.get("model"):
            arguments += ["--model", _resolve(job["model"])]
        arguments += job.get("index_arguments", [])
        tell({"event": "started", "files": len(job["files"]), "host": socket.gethostname()})
        results = []

        def on_line(obj):
            if not obj.get("summary"):
                results.append(obj)
                tell({"event": "progress", "path": obj.get("path"), "status": obj.get("status"),
                      "duration": obj.get("duration", 0)})

        status, _, stderr = binary.run(_resolve(job["vidsearch"]), arguments,
                                       stdin="".join(p + "\n" for p in job["files"]), on_line=on_line, env=env)
        published = None
        if any(r.get("status") == "indexed" for r in results):
            published = _publish(shard, job["staging"], f"share-{job['run']}-{job['share']:05d}")
        return {"share": job["share"], "attempt": job["attempt"], "node": node, "status": status,
                "results": results, "shard": published, "seconds": time.time() - started}
    finally:
        shutil.rmtree(work, ignore_errors=True)
