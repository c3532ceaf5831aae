"""What the proxy tells about itself: INFO's ``# Tairproxy`` section, and — with
``--metrics-port`` or ``--slowlog-ms`` — per-command counts, latencies, batch sizes and the
slow-command log.

Everything here is plain numbers owned by the event loop (an int in a dict, a bucket in a
list), updated by small hooks in session.py and pipeline.py: no locks and no allocation on
the hot path beyond Python's own ints and floats. Exporters (tairproxy.metrics) read a
``snapshot`` taken on the loop.

Latency is the time from a Tair command's arrival at the proxy to its reply leaving for the
client: parsing, queueing behind the client's earlier commands, batching, the round trip to
Valkey and Valkey's own time. Blocking commands (EXBZPOPMIN...) are not timed, and neither are
commands queued in MULTI (their reply is +QUEUED).
"""

from __future__ import annotations

import logging
import math
import os
import time
from bisect import bisect_left
from collections.abc import Iterable
from time import perf_counter
from typing import TYPE_CHECKING

from tairproxy import __version__

if TYPE_CHECKING:
    from tairproxy.context import ProxyContext
    from tairproxy.dispatch import Command
    from tairproxy.session import Slot

log = logging.getLogger("tairproxy.slowlog")

# Upper bounds (seconds) of the latency histogram's buckets; one more bucket holds the rest.
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                   1.0, 2.5, 5.0, 10.0)
# Calls per FCALL sent (1 = not batched); batching.MAX_CALLS caps it at 128. Powers of two,
# so a size's bucket is (n - 1).bit_length().
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
SHOWN_KEY = 128  # characters of a key shown in a slow-command line
OTHER_FAMILY = "other"


class Histogram:
    """Counts per bucket (the last one +Inf) and the sum of what was observed."""

    __slots__ = ("counts", "total")

    def __init__(self, buckets: int):
        self.counts = [0] * (buckets + 1)
        self.total = 0.0


class Observer:
    """Counts, latency histograms per family, batch sizes and slow commands of one proxy."""

    def __init__(self, slowlog_ms: float | None = None, commands: Iterable[Command] = ()):
        self.slow_after = slowlog_ms / 1000 if slowlog_ms else math.inf
        self.slowlog_ms = slowlog_ms
        self.commands: dict[str, int] = {}  # Tair command name → commands received
        self.latency: dict[str, Histogram] = {}  # family → its histogram
        self._latency_of: dict[str, Histogram] = {}  # command name → its family's histogram
        self.batch_sizes = [0] * (len(BATCH_BUCKETS) + 1)
        self.slow_commands = 0
        self.track(commands)

    def track(self, commands: Iterable[Command]) -> None:
        """Prepare a histogram for each family of these commands (natives are not timed)."""
        for cmd in commands:
            if not cmd.native:
                self._latency_of[cmd.name] = self._family(cmd.family or OTHER_FAMILY)

    def _family(self, family: str) -> Histogram:
        if family not in self.latency:
            self.latency[family] = Histogram(len(LATENCY_BUCKETS))
        return self.latency[family]

    def count(self, name: str) -> None:
        commands = self.commands
        commands[name] = commands.get(name, 0) + 1

    def replied(self, slot: Slot) -> None:
        """The reply of a timed Tair command is leaving for the client."""
        elapsed = perf_counter() - slot.started
        slot.started = 0.0
        self._timed(slot.name, slot.call, slot.session.client_id, elapsed)

    def replied_run(self, slot: Slot) -> None:
        """The replies of a run of Tair calls (batching.Run), all timed from its first call."""
        elapsed = perf_counter() - slot.started
        slot.started = 0.0
        run = slot.call
        for name, call in zip(run.names, run.parts, strict=True):
            self._timed(name, call, slot.session.client_id, elapsed)

    def _timed(self, name: str | None, call, client_id: int, elapsed: float) -> None:
        latency = self._latency_of.get(name) or self._family(OTHER_FAMILY)
        latency.counts[bisect_left(LATENCY_BUCKETS, elapsed)] += 1
        latency.total += elapsed
        if elapsed >= self.slow_after:
            self._slow(name, call, client_id, elapsed)

    def _slow(self, name: str | None, call, client_id: int, elapsed: float) -> None:
        self.slow_commands += 1
        keys = getattr(call, "keys", None) or []
        key = keys[0].decode("utf-8", "backslashreplace") if keys else ""
        if len(key) > SHOWN_KEY:
            key = key[:SHOWN_KEY] + "..."
        ms = elapsed * 1000
        log.warning(
            "slow command %s key %r took %.1f ms (over --slowlog-ms %g)", name, key, ms, self.slowlog_ms,
            extra={"fields": {"command": name, "key": key, "ms": round(ms, 3), "client": client_id}},
        )


def snapshot(ctx: ProxyContext) -> dict:
    """The proxy's numbers now, as plain JSON-able data (taken on the proxy's event loop)."""
    c = ctx.counters
    total = c.commands + c.local
    snap = {
        "gauges": {
            "clients": len(ctx.sessions),
            "pinned_clients": ctx.pinned_now,
            "upstream_connections": ctx.upstream_open,
        },
        "counters": {
            "passthrough_commands": total - c.tair_commands,
            "tair_commands": c.tair_commands,
            "batches": c.batches,
            "batched_calls": c.batched_calls,
            "connect_errors": c.connect_errors,
            "connections_lost": c.connections_lost,
            "failed_commands": c.failed_commands,
            "library_reloads": ctx.library.reloads,
        },
    }
    observer = ctx.observer
    if observer is not None:
        snap["commands"] = dict(observer.commands)
        snap["latency"] = {
            family: {"buckets": list(h.counts), "sum": h.total} for family, h in observer.latency.items()
        }
        # Calls sent: those of batches, and one per unbatched FCALL (the size-1 bucket).
        sizes = list(observer.batch_sizes)
        snap["batch_sizes"] = {"buckets": sizes, "sum": c.batched_calls + sizes[0]}
        snap["counters"]["slow_commands"] = observer.slow_commands
    return snap


def info_lines(ctx: ProxyContext | None) -> list[bytes]:
    """INFO's ``# Tairproxy`` section: this proxy process's own numbers (under --workers, the
    worker that holds the connection)."""
    if ctx is None:
        return []
    from tairproxy.library import library_source

    c = ctx.counters
    fields = {
        "tairproxy_version": __version__,
        "process_id": os.getpid(),
        "uptime_in_seconds": int(time.monotonic() - ctx.started),
        "connected_clients": len(ctx.sessions),
        "pinned_clients": ctx.pinned_now,
        "upstream_connections": ctx.upstream_open,
        "total_commands_processed": c.commands + c.local,
        "tair_commands_processed": c.tair_commands,
        "batches_sent": c.batches,
        "batched_calls": c.batched_calls,
        "mean_batch_size": f"{c.batched_calls / c.batches:.2f}" if c.batches else "0.00",
        "library_version": library_source()[1],
        "library_reloads": ctx.library.reloads,
        "upstream_connect_errors": c.connect_errors,
        "upstream_connections_lost": c.connections_lost,
        "upstream_failed_commands": c.failed_commands,
    }
    return [f"{name}:{value}".encode() for name, value in fields.items()]
