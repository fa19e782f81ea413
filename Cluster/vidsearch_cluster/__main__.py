"""python3 -m vidsearch_cluster index FOOTAGE... --index MAIN [options]"""
import argparse
import os
import shutil
import sys

from . import binary
from .driver import Driver

EXAMPLES = """
examples:
  ray start --head                       # on one machine; `ray start --address=HEAD:6379` on the others
  python3 -m vidsearch_cluster index /shared/footage --index /shared/index --model /opt/vidsearch/model
  python3 -m vidsearch_cluster index /shared/footage --index /shared/index --ship /shared/vidsearch-dist \\
      --vidsearch bin/vidsearch --model model       # binary and model sent to every node by Ray
  python3 -m vidsearch_cluster index ~/footage --index ~/index --address local   # one machine, same path

Running it again is incremental: files the main index holds unchanged are not sent anywhere.
exit status: 0 done, 1 some files failed (the rest was indexed), 2 usage error,
3 index, model or cluster error (nothing merged that was not whole).
"""


def parse(argv):
    parser = argparse.ArgumentParser(prog="python3 -m vidsearch_cluster",
                                     description="Index a video archive with vidsearch on a Ray cluster.",
                                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("index", help="index footage on the cluster into one index",
                            description="List the files, send what the main index lacks to the cluster in shares of "
                                        "nearly equal duration, merge the shards the nodes build into the main index.",
                            epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", help="video files or folders, at the same path on every node (shared storage)")
    p.add_argument("--index", required=True, help="the main index (created if needed), on the head")
    p.add_argument("--model", default=os.environ.get("VIDSEARCH_MODEL"),
                   help="model folder, at the same path on every node (default: $VIDSEARCH_MODEL, else vidsearch's own default)")
    p.add_argument("--vidsearch", default=os.environ.get("VIDSEARCH_BIN") or shutil.which("vidsearch") or "vidsearch",
                   help="the vidsearch binary, at the same path on every node (default: $VIDSEARCH_BIN, else `vidsearch` on PATH)")
    p.add_argument("--ship", help="a folder Ray sends to every node (its runtime environment); "
                                  "relative --vidsearch and --model paths are read inside it")
    p.add_argument("--address", default=os.environ.get("RAY_ADDRESS", "auto"),
                   help="Ray cluster: auto (the running one), HOST:PORT, or local (start one here). Default: $RAY_ADDRESS or auto")
    p.add_argument("--workers", default="auto", help="tasks at once: auto (cluster CPUs / --cpus-per-task) or a number")
    p.add_argument("--cpus-per-task", type=int, default=2, help="CPUs each vidsearch process uses (its threads). Default 2")
    p.add_argument("--shares", type=int, help="how many parts the work is cut into (default 4 per worker: a lost node loses little)")
    p.add_argument("--retries", type=int, default=2, help="times a failed or lost share is tried again. Default 2")
    p.add_argument("--staging", help="shared folder where finished shards wait to be merged (default: INDEX.staging)")
    p.add_argument("--local-dir", help="node-local folder for shards being built (default: the node's temp folder)")
    p.add_argument("--ext", help="extensions taken from folders, comma separated (as vidsearch index --ext)")
    p.add_argument("--segment-length", type=float, help="segment length in seconds (as vidsearch index)")
    p.add_argument("--segment-stride", type=float, help="seconds between segment starts (as vidsearch index)")
    p.add_argument("--json", action="store_true", help="JSON events on standard output, one per line")
    p.add_argument("--verbose", action="store_true", help="a line for every file, not only the failures")
    options = parser.parse_args(argv)

    if options.cpus_per_task < 1 or options.retries < 0 or (options.shares is not None and options.shares < 1):
        parser.error("--cpus-per-task and --shares are at least 1, --retries at least 0")
    if options.workers != "auto" and not (options.workers.isdigit() and int(options.workers) >= 1):
        parser.error(f"--workers is auto or a whole number, not {options.workers!r}")
    if options.ship and not os.path.isdir(options.ship):
        parser.error(f"--ship {options.ship}: not a folder")
    options.index = os.path.abspath(options.index)
    if options.ship:
        options.ship = os.path.abspath(options.ship)
    else:
        # Without a shipped folder every node reads the same absolute paths.
        options.vidsearch = os.path.abspath(options.vidsearch) if os.sep in options.vidsearch else options.vidsearch
        options.model = os.path.abspath(options.model) if options.model else None
    if options.staging:
        options.staging = os.path.abspath(options.staging)
    local_binary = options.vidsearch if os.path.isabs(options.vidsearch) or not options.ship else os.path.join(options.ship, options.vidsearch)
    if not (os.path.isfile(local_binary) and os.access(local_binary, os.X_OK)):
        parser.error(f"--vidsearch {local_binary}: no such executable on this machine (build it: swift build -c release)")
    options.index_arguments = []
    for flag, value in (("--segment-length", options.segment_length), ("--segment-stride", options.segment_stride)):
        if value is not None:
            options.index_arguments += [flag, str(value)]
    return options


def main(argv=None):
    options = parse(sys.argv[1:] if argv is None else argv)
    try:
        return Driver(options).run()
    except binary.VidsearchError as error:
        print(f"vidsearch_cluster: {error}", file=sys.stderr)
        return binary.USAGE if error.status == binary.USAGE else binary.INDEX_OR_MODEL
    except KeyboardInterrupt:
        print("vidsearch_cluster: interrupted; finished shards stay in the staging folder and are merged by the next run",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
