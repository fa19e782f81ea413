"""Progress over the whole cluster: files, video-seconds per second, ETA."""
import sys
import time


def clock(seconds):
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Counts what the tasks report; an attempt that is lost takes its counts with it."""

    def __init__(self, files, seconds, emit):
        self.files, self.seconds = files, seconds
        self.started = time.time()
        self.by_attempt = {}  # (share, attempt) -> [files, seconds]
        self.emit = emit
        self.last_line = 0.0
        self.retries = 0

    def file_done(self, share, attempt, duration):
        counts = self.by_attempt.setdefault((share, attempt), [0, 0.0])
        counts[0] += 1
        counts[1] += duration or 0.0

    def attempt_lost(self, share, attempt):
        self.by_attempt.pop((share, attempt), None)
        self.retries += 1

    @property
    def done(self):
        return (sum(c[0] for c in self.by_attempt.values()), sum(c[1] for c in self.by_attempt.values()))

    def snapshot(self):
        files, seconds = self.done
        elapsed = time.time() - self.started
        rate = seconds / elapsed if elapsed > 0 else 0.0
        eta = (self.seconds - seconds) / rate if rate > 0 else None
        return {"event": "status", "files_done": files, "files": self.files, "video_seconds_done": round(seconds, 3),
                "video_seconds": round(self.seconds, 3), "rate": round(rate, 3), "eta": None if eta is None else round(eta, 1),
                "retries": self.retries, "elapsed": round(elapsed, 3)}

    def tick(self, force=False):
        now = time.time()
        if not force and now - self.last_line < 2.0:
            return
        self.last_line = now
        s = self.snapshot()
        eta = "?" if s["eta"] is None else clock(s["eta"])
        line = (f"files {s['files_done']}/{s['files']}, {clock(s['video_seconds_done'])} of {clock(s['video_seconds'])} video, "
                f"{s['rate']:.1f} video-s/s, ETA {eta}" + (f", {s['retries']} retried" if s["retries"] else ""))
        self.emit(s, line)
