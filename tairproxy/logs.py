"""One log format for every line the proxy writes, and helpers that keep the log readable.

Every line goes to stderr through one handler: a timestamp (UTC, ISO 8601), the level, which
process wrote it (``main``, or ``w1``, ``w2``, ... under ``--workers``) and the message — or
the same as one JSON object per line (``--log-format json``) for log shippers. Structured
numbers travel in ``extra={"fields": {...}}`` and become top-level JSON keys.

``RepeatedEvent`` and ``UpstreamHealth`` are for events that can happen thousands of times a
second (a client refused while the upstream is down): the log gets a line when something
changes and a count per window, never a line per occurrence.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time

LEVELS = ("debug", "info", "warning", "error", "critical")
FORMATS = ("text", "json")

_worker = "main"


def set_worker(name: str) -> None:
    """Name this process in every following line (``w1`` ... in a forked worker)."""
    global _worker
    _worker = name


def _timestamp(created: float) -> str:
    t = time.gmtime(created)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(created % 1 * 1000):03d}Z"


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # One event, one line: a multi-line message (asyncio's "Fatal error on transport ...")
        # is folded; only a traceback spreads over lines.
        message = record.getMessage().replace("\n", " | ")
        line = f"{_timestamp(record.created)} {record.levelname} {_worker} {message}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": _timestamp(record.created),
            "level": record.levelname,
            "worker": _worker,
            "pid": os.getpid(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def setup_logging(level: str = "info", fmt: str = "text", stream=None) -> None:
    """Route every logger (ours and asyncio's) to one stderr handler in the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


class RepeatedEvent:
    """Logs the first occurrence at once, then one summary line per ``window`` seconds while
    occurrences keep coming, e.g. "upstream down: 532 clients refused in the last 10 s".

    ``summary`` is a ``str.format`` template with ``{count}`` and ``{window}``. Call the
    object once per occurrence with the message (and %-arguments) to log when it is the first
    one after a quiet window. The summary is written by a timer on the running event loop, or,
    outside one, by the first occurrence after the window (and by ``flush``).
    """

    def __init__(self, logger: logging.Logger, summary: str, window: float = 10.0,
                 level: int = logging.WARNING):
        self.logger = logger
        self.summary = summary
        self.window = window
        self.level = level
        self.count = 0  # occurrences not logged yet
        self._window_end: float | None = None  # None: quiet, the next occurrence is logged
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if self._window_end is not None and now >= self._window_end and self._timer is None:
            self.flush()
        if self._window_end is None:
            self.logger.log(self.level, message, *args)
            self._open_window(now)
        else:
            self.count += 1

    def _open_window(self, now: float) -> None:
        self._window_end = now + self.window
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._timer = loop.call_later(self.window, self._tick)

    def _tick(self) -> None:
        self._timer = None
        had = self.count
        self.flush()
        if had:
            # Still happening: keep summing up, one line per window.
            self._open_window(time.monotonic())

    def flush(self) -> None:
        """Write the pending summary now (at shutdown, say) and start a quiet window."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.count:
            self.logger.log(self.level, self.summary.format(count=self.count, window=_seconds(self.window)),
                            extra={"fields": {"count": self.count, "window_s": self.window}})
        self.count = 0
        self._window_end = None


class UpstreamHealth:
    """One line per change of the upstream's state (up → down → up), never one per failure.

    The control connection and library loader report here; so can the client sessions'
    shared connections (``down(reason)`` on a failed connect, ``up()`` on a success).
    """

    def __init__(self, name: str, logger: logging.Logger | None = None):
        self.name = name
        self.logger = logger or logging.getLogger("tairproxy.upstream")
        self.is_up = True  # start-up only goes on once the upstream has answered
        self.since = time.monotonic()

    def down(self, reason: str) -> None:
        if self.is_up:
            self.is_up = False
            self.since = time.monotonic()
            self.logger.warning("upstream %s is down: %s", self.name, reason,
                                extra={"fields": {"upstream": self.name, "state": "down"}})

    def up(self) -> None:
        if not self.is_up:
            self.is_up = True
            outage = time.monotonic() - self.since
            self.since = time.monotonic()
            self.logger.warning("upstream %s is up again after %s s", self.name, _seconds(outage),
                                extra={"fields": {"upstream": self.name, "state": "up",
                                                  "outage_s": round(outage, 3)}})


def _seconds(value: float) -> str:
    return f"{value:.3g}"
