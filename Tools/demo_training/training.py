"""Logging, resumable stages with checkpoints, learning-rate schedules."""

import math
import os
import time

import torch


def log(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Stage:
    """A stage's step loop with a time cap, checkpoints every few minutes and resume."""

    def __init__(self, name, work, steps, minutes, checkpoint_minutes, resume):
        self.name, self.work, self.steps, self.minutes = name, work, steps, minutes
        self.checkpoint_minutes = checkpoint_minutes
        self.path = work / f"{name}.ckpt"
        self.done_path = work / f"{name}.done.pt"
        self.resume = resume
        self.start = time.time()
        self.last_checkpoint = self.start
        self.step = 0

    def finished(self):
        return self.resume and self.done_path.exists()

    def restore(self, modules, optimizer, rng):
        if self.resume and self.path.exists():
            state = torch.load(self.path, weights_only=False)
            for name, m in modules.items():
                m.load_state_dict(state["modules"][name])
            optimizer.load_state_dict(state["optimizer"])
            rng.bit_generator.state = state["rng"]
            torch.set_rng_state(state["torch_rng"])
            self.step = state["step"]
            log(f"{self.name}: resumed at step {self.step}")

    def save(self, modules, optimizer, rng, force=False):
        if not force and time.time() - self.last_checkpoint < 60 * self.checkpoint_minutes:
            return
        state = {"modules": {n: m.state_dict() for n, m in modules.items()}, "optimizer": optimizer.state_dict(),
                 "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "step": self.step}
        tmp = self.path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path)
        self.last_checkpoint = time.time()

    def running(self):
        if self.step >= self.steps:
            return False
        if self.minutes and time.time() - self.start > 60 * self.minutes:
            log(f"{self.name}: the {self.minutes}-minute cap stopped it at step {self.step} of {self.steps}")
            return False
        return True

    def finish(self, modules, extra=None):
        torch.save({"modules": {n: m.state_dict() for n, m in modules.items()}, "steps": self.step, **(extra or {})},
                   self.done_path)

    def load_done(self):
        return torch.load(self.done_path, weights_only=False)


def cosine_schedule(optimizer, steps, warmup_fraction=0.05):
    warmup = max(1, int(steps * warmup_fraction))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))


def rate(samples, seconds):
    return samples / max(seconds, 1e-9)


def fmt(d):
    return " ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in d.items())
