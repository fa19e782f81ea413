"""What is left to encode, and how it is shared out."""
import heapq

from . import binary


class Plan:
    """The head's `vidsearch index --dry-run` over the footage, against the main index."""

    def __init__(self, decisions):
        self.encode = [(d["path"], float(d.get("duration") or 0.0)) for d in decisions if d.get("action") == "encode"]
        self.move = [d["path"] for d in decisions if d.get("action") == "move"]
        self.skip = [d["path"] for d in decisions if d.get("action") == "skip"]
        self.fail = [d for d in decisions if d.get("action") == "fail"]

    @property
    def seconds(self):
        return sum(duration for _, duration in self.encode)

    @classmethod
    def make(cls, vidsearch, paths, index, extensions=None):
        arguments = ["index", "--dry-run", "--json", "--index", index, "--files-from", "-"]
        if extensions:
            arguments += ["--ext", extensions]
        _, objects, _ = binary.run(vidsearch, arguments, stdin="".join(p + "\n" for p in paths))
        return cls([o for o in objects if not o.get("summary")])


def partition(files, count):
    """Shares (path, duration) pairs into at most `count` lists of nearly equal total duration.

    Longest first, each to the lightest share (LPT): within 4/3 of the best split, and a file
    is never split. A file whose duration is unknown (0) counts as one second.
    """
    count = max(1, min(count, len(files)))
    shares = [(0.0, i, []) for i in range(count)]
    heapq.heapify(shares)
    for path, duration in sorted(files, key=lambda f: (-f[1], f[0])):
        total, i, members = heapq.heappop(shares)
        members.append((path, duration))
        heapq.heappush(shares, (total + max(duration, 1.0), i, members))
    return [sorted(members) for _, _, members in sorted(shares, key=lambda s: s[1]) if members]
