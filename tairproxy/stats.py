"""A periodic one-line summary of what the proxy did, at INFO level.

The numbers come from a provider the proxy core supplies: a callable returning a flat dict.
Names ending in ``_total`` are monotonically growing counters (``commands_total``,
``errors_total``): the line shows how many happened in the interval and the rate per second.
Every other name is a gauge shown as it is now (``clients``, ``pinned``). For example
``{"clients": 12, "commands_total": 34250, "errors_total": 3}`` every 10 s gives

    stats (last 10 s): clients 12, commands 3425 (342.5/s), errors 0 (0.0/s)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

log = logging.getLogger("tairproxy.stats")

StatsProvider = Callable[[], Mapping[str, float]]
TOTAL = "_total"


class StatsLine:
    """Turns successive snapshots of a provider into log lines (no timer: see ``report_stats``)."""

    def __init__(self, provider: StatsProvider):
        self.provider = provider
        self._last: Mapping[str, float] = {}
        self._last_time = time.monotonic()

    def start(self) -> None:
        """The baseline the first line's counts are measured from."""
        self._last = dict(self.provider())
        self._last_time = time.monotonic()

    def line(self) -> tuple[str, dict[str, float]]:
        """(text, fields) for the interval since the previous call."""
        now = time.monotonic()
        current = dict(self.provider())
        elapsed = max(now - self._last_time, 1e-9)
        parts: list[str] = []
        fields: dict[str, float] = {}
        for name, value in current.items():
            if name.endswith(TOTAL):
                short = name[: -len(TOTAL)]
                delta = value - self._last.get(name, 0)
                rate = delta / elapsed
                parts.append(f"{short} {_number(delta)} ({rate:.1f}/s)")
                fields[short] = delta
                fields[short + "_per_s"] = round(rate, 3)
            else:
                parts.append(f"{name} {_number(value)}")
                fields[name] = value
        fields["interval_s"] = round(elapsed, 3)
        self._last, self._last_time = current, now
        return f"stats (last {elapsed:.0f} s): " + ", ".join(parts), fields

    def log(self) -> None:
        try:
            text, fields = self.line()
        except Exception:  # a provider bug must not stop the proxy, nor the next line
            log.exception("stats provider failed")
            return
        log.info("%s", text, extra={"fields": {"stats": fields}})


async def report_stats(provider: StatsProvider, interval: float) -> None:
    """Log one stats line every ``interval`` seconds until cancelled."""
    stats = StatsLine(provider)
    stats.start()
    while True:
        await asyncio.sleep(interval)
        stats.log()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
