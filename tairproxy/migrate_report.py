"""What ``tairproxy migrate`` tells its operator: counts per type, a progress bar, a summary table."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

LOG_EVERY = 10_000  # keys between progress lines when stderr is not a terminal
BAR_WIDTH = 30
REDRAW_SECONDS = 0.2


@dataclass
class Stats:
    """Per type label: keys copied; keys skipped and failed, per reason."""

    copied: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # (label, reason) -> keys
    failed: Counter = field(default_factory=Counter)  # (label, reason) -> keys
    vanished: int = 0  # deleted or expired on the source between SCAN and reading
    seen: int = 0  # keys handled, whatever became of them

    def to_json(self) -> dict:
        return {
            "copied": dict(self.copied),
            "skipped": [[label, reason, n] for (label, reason), n in self.skipped.items()],
            "failed": [[label, reason, n] for (label, reason), n in self.failed.items()],
            "vanished": self.vanished,
            "seen": self.seen,
        }

    @classmethod
    def from_json(cls, data: dict) -> Stats:
        return cls(
            Counter(data["copied"]),
            Counter({(label, reason): n for label, reason, n in data["skipped"]}),
            Counter({(label, reason): n for label, reason, n in data["failed"]}),
            data["vanished"],
            data["seen"],
        )


def summary_table(stats: Stats, verb: str = "copied") -> str:
    labels = sorted(
        set(stats.copied) | {label for label, _ in stats.skipped} | {label for label, _ in stats.failed},
        key=lambda label: (not label.startswith("Tair"), label),
    )
    rows = [("type", verb, "skipped", "failed")]
    for label in labels:
        skipped = sum(n for (lb, _), n in stats.skipped.items() if lb == label)
        failed = sum(n for (lb, _), n in stats.failed.items() if lb == label)
        rows.append((label, f"{stats.copied[label]:,}", f"{skipped:,}", f"{failed:,}"))
    total = ("total", f"{sum(stats.copied.values()):,}", f"{sum(stats.skipped.values()):,}",
             f"{sum(stats.failed.values()):,}")
    rows.append(total)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, lines[1])
    for what, counter in (("skipped", stats.skipped), ("failed", stats.failed)):
        for (label, reason), n in sorted(counter.items()):
            lines.append(f"{what}: {n:,} {label} — {reason}")
    if stats.vanished:
        lines.append(f"vanished: {stats.vanished:,} keys were deleted or expired on the source while being read")
    return "\n".join(lines)


class Progress:
    """A bar redrawn in place on a terminal; a plain line every LOG_EVERY keys otherwise."""

    def __init__(self, total: int, done: int = 0, stream: TextIO | None = None, what: str = "keys"):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.total = total
        self.start_done = self.done = done
        self.what = what
        self.started = time.monotonic()
        self._drawn = 0.0
        self._logged = done // LOG_EVERY

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0

    def advance(self, n: int) -> None:
        self.done += n
        if self.tty:
            now = time.monotonic()
            if now - self._drawn >= REDRAW_SECONDS:
                self._drawn = now
                self.stream.write("\r" + self.line())
                self.stream.flush()
        elif self.done // LOG_EVERY > self._logged:
            self._logged = self.done // LOG_EVERY
            print("migrate: " + self.line(), file=self.stream, flush=True)

    def line(self) -> str:
        rate = self.rate()
        total = max(self.total, self.done)
        part = f"{self.done:,}/{total:,} {self.what}  {rate:,.0f} {self.what}/s"
        if self.tty and total:
            filled = int(BAR_WIDTH * self.done / total)
            part = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] " + part
        if rate > 0 and total > self.done:
            part += f"  ETA {_duration((total - self.done) / rate)}"
        return part

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r" + self.line() + "\n")
        else:
            print("migrate: " + self.line(), file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"
