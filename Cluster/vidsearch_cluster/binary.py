"""Running the vidsearch binary: where it is, and its JSON-lines output."""
import json
import os
import shutil
import subprocess
import tempfile

# Exit statuses of vidsearch (and of this driver): see `vidsearch --help`.
OK, SOME_FAILED, USAGE, INDEX_OR_MODEL = 0, 1, 2, 3

# The version of the JSON lines this driver reads (Ingest/Events/EventLine.swift): every line of
# `index --json`, `index --dry-run --json` and `merge --json` carries it.
EVENT_VERSION = 1


class VidsearchError(Exception):
    """vidsearch refused or failed (exit status 2 or 3, or it could not be started)."""

    def __init__(self, command, status, stderr):
        tail = stderr.strip().splitlines()[-3:] if stderr else []
        super().__init__(f"{os.path.basename(command[0])} {command[1]} exited {status}: " + (" / ".join(tail) or "no message"))
        self.status = status


def _dying_with_parent(command):
    """The command run through util-linux's setpriv, which asks the kernel to kill it when its
    parent (the Ray worker) dies, then execs it: a vidsearch child must not outlive the worker
    that started it (when a node is lost, its half-finished shard is abandoned, never finished
    behind the driver's back). No Python runs in the forked child, as preexec_fn would in a
    multi-threaded worker, where Python documents it can deadlock before exec."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] + command if setpriv else command


def run(binary, arguments, stdin=None, on_line=None, env=None):
    """Runs `binary arguments`, returns (status, JSON objects printed, stderr).

    Statuses 0 and 1 are results (1: some inputs failed, the rest was done); others raise.
    `on_line` sees each JSON object as soon as it is printed.
    """
    command = [binary] + arguments
    # stderr goes to a file: a pipe read only at the end could fill up and stall the child.
    errors = tempfile.TemporaryFile(mode="w+")
    if not (shutil.which(binary) and os.access(shutil.which(binary), os.X_OK)):
        errors.close()
        raise VidsearchError(command, INDEX_OR_MODEL, f"cannot start {binary}: no such executable")
    try:
        process = subprocess.Popen(_dying_with_parent(command), stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    except OSError as error:
        errors.close()
        raise VidsearchError(command, INDEX_OR_MODEL, f"cannot start {binary}: {error.strerror}") from error
    if stdin is not None:
        process.stdin.write(stdin)
        process.stdin.close()
    objects = []
    for line in process.stdout:
        line = line.strip()
        if line.startswith("{"):
            obj = json.loads(line)
            if obj.get("version") != EVENT_VERSION:
                process.kill()
                process.wait()
                errors.close()
                raise VidsearchError(command, INDEX_OR_MODEL,
                                     f"it printed an event line of version {obj.get('version')}; this driver reads version {EVENT_VERSION} "
                                     f"(a vidsearch binary and driver of different releases): {line[:200]}")
            objects.append(obj)
            if on_line:
                on_line(obj)
    status = process.wait()
    errors.seek(0)
    stderr = errors.read()
    errors.close()
    if status not in (OK, SOME_FAILED):
        raise VidsearchError(command, status, stderr)
    return status, objects, stderr
