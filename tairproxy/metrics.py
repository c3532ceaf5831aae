"""Prometheus metrics at ``http://<bind>:<--metrics-port>/metrics``, from tairproxy.observe.

prometheus_client formats and serves them (its HTTP server runs on a thread of its own). The
proxy's numbers are plain ints owned by its event loop, so a scrape does not read them from
the HTTP thread: it asks the loop for a ``snapshot`` and turns that into metric families.

Under ``--workers N`` the workers cannot share one metrics port (a scrape would reach one
worker at random), so the parent serves it: every worker writes its snapshot to a file once a
second and the parent adds them up. Totals are therefore up to a second old there. When a
worker dies its counters and histograms stay in the totals (they never go back), its gauges go.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from prometheus_client import start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.utils import floatToGoString

from tairproxy.context import ProxyContext
from tairproxy.observe import BATCH_BUCKETS, LATENCY_BUCKETS, snapshot

log = logging.getLogger(__name__)

SNAPSHOT_TIMEOUT = 5.0  # a scrape waits this long for a busy event loop
WORKER_SYNC = 1.0  # seconds between a worker's snapshot files
PASSTHROUGH = "passthrough"  # the `command` label of every command that is not a Tair command

Snapshot = dict
_GAUGES = {
    "clients": "Client connections.",
    "pinned_clients": "Client connections holding an upstream connection of their own.",
    "upstream_connections": "Connections to Valkey (shared and pinned).",
}
_COUNTERS = {
    "batches": ("tairproxy_batches", "FCALLs sent carrying more than one Tair call."),
    "library_reloads": ("tairproxy_library_reloads", "Lua library loads after it went missing."),
    "failed_commands": ("tairproxy_upstream_failed_commands",
                        "Commands answered with an upstream error instead of Valkey's reply."),
    "slow_commands": ("tairproxy_slow_commands", "Tair commands slower than --slowlog-ms."),
}


def metric_families(snap: Snapshot) -> Iterator[Metric]:
    """The Prometheus view of one snapshot (or of the sum of the workers')."""
    counters = snap["counters"]
    commands = CounterMetricFamily(
        "tairproxy_commands", "Commands received, per Tair command; every other command counts as "
        f"command=\"{PASSTHROUGH}\".", labels=["command"])
    for name, count in sorted(snap.get("commands", {}).items()):
        commands.add_metric([name.lower()], count)
    commands.add_metric([PASSTHROUGH], counters.get("passthrough_commands", 0))
    yield commands
    errors = CounterMetricFamily(
        "tairproxy_upstream_errors", "Upstream connections that could not be made (kind=connect) "
        "or were closed by Valkey or the network (kind=lost).", labels=["kind"])
    errors.add_metric(["connect"], counters.get("connect_errors", 0))
    errors.add_metric(["lost"], counters.get("connections_lost", 0))
    yield errors
    for key, (name, doc) in _COUNTERS.items():
        if key in counters:
            yield CounterMetricFamily(name, doc, value=counters[key])
    for key, doc in _GAUGES.items():
        yield GaugeMetricFamily(f"tairproxy_{key}", doc, value=snap["gauges"].get(key, 0))
    if "latency" in snap:
        latency = HistogramMetricFamily(
            "tairproxy_command_duration_seconds", "Time from a Tair command's arrival to its reply "
            "leaving for the client, per Tair family.", labels=["family"])
        for family, h in sorted(snap["latency"].items()):
            latency.add_metric([family], _cumulative(LATENCY_BUCKETS, h["buckets"]), h["sum"])
        yield latency
    if "batch_sizes" in snap:
        h = snap["batch_sizes"]
        yield HistogramMetricFamily(
            "tairproxy_batch_size", "Tair calls per FCALL sent to Valkey (1 = not batched).",
            buckets=_cumulative(BATCH_BUCKETS, h["buckets"]), sum_value=h["sum"])


def _cumulative(bounds: Iterable[float], counts: list[int]) -> list[tuple[str, float]]:
    out, total = [], 0
    for bound, count in zip([*bounds, float("inf")], counts, strict=True):
        total += count
        out.append((floatToGoString(bound), total))  # as prometheus_client's own histograms
    return out


class SnapshotCollector(Collector):
    def __init__(self, take: Callable[[], Snapshot]):
        self.take = take

    def collect(self) -> Iterator[Metric]:
        yield from metric_families(self.take())

    def describe(self) -> list[Metric]:
        return []  # nothing to take at registration


def loop_snapshot(ctx: ProxyContext, loop: asyncio.AbstractEventLoop) -> Callable[[], Snapshot]:
    """Snapshots of ``ctx`` taken on its event loop, for a scrape on the HTTP thread."""

    def take() -> Snapshot:
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(snapshot(ctx))
            except BaseException as exc:  # reported to the scrape, not lost on the loop
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(SNAPSHOT_TIMEOUT)

    return take


class MetricsServer:
    """prometheus_client's HTTP server on each address, serving one collector."""

    def __init__(self, hosts: list[str], port: int, take: Callable[[], Snapshot]):
        registry = CollectorRegistry(auto_describe=False)
        registry.register(SnapshotCollector(take))
        self.servers = []
        try:
            for host in hosts:
                self.servers.append(start_http_server(port, host, registry)[0])
        except BaseException:
            self.close()
            raise

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [s.server_address[:2] for s in self.servers]

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.servers = []

    def close_in_child(self) -> None:
        """A forked worker's copy: release the listening sockets, leave the parent's thread be."""
        for server in self.servers:
            server.socket.close()
        self.servers = []


# ----- --workers: the workers' snapshots, added up by the parent ----------------------------

async def write_snapshots(ctx: ProxyContext, directory: Path, interval: float = WORKER_SYNC) -> None:
    """A worker's side: its snapshot in ``directory/<pid>.json``, renewed every ``interval``."""
    path = directory / f"{os.getpid()}.json"
    partial = directory / f".{os.getpid()}.json.tmp"
    while True:
        try:
            partial.write_text(json.dumps(snapshot(ctx)))
            os.replace(partial, path)
        except OSError as exc:
            log.warning("cannot write metrics for the parent: %s", exc)
        await asyncio.sleep(interval)


class WorkerSnapshots:
    """The parent's side: the sum of the live workers' snapshots and of those that exited."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.retired: Snapshot = _empty()
        self._lock = threading.Lock()  # scrapes (HTTP thread) vs retire (supervisor)

    def take(self) -> Snapshot:
        with self._lock:
            total = _add(_empty(), self.retired, gauges=False)
            for path in self.directory.glob("*.json"):
                snap = _read(path)
                if snap is not None:
                    total = _add(total, snap, gauges=True)
            return total

    def retire(self, pid: int) -> None:
        """Worker ``pid`` exited: keep its counts, drop its gauges and its file."""
        path = self.directory / f"{pid}.json"
        with self._lock:
            snap = _read(path)
            if snap is not None:
                self.retired = _add(self.retired, snap, gauges=False)
            path.unlink(missing_ok=True)


def _read(path: Path) -> Snapshot | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # gone, or being replaced: the next scrape sees it


def _empty() -> Snapshot:
    return {"gauges": dict.fromkeys(_GAUGES, 0), "counters": {}}


def _add(total: Snapshot, snap: Snapshot, gauges: bool) -> Snapshot:
    out = json.loads(json.dumps(total))
    if gauges:
        for key, value in snap.get("gauges", {}).items():
            out["gauges"][key] = out["gauges"].get(key, 0) + value
    for key, value in snap.get("counters", {}).items():
        out["counters"][key] = out["counters"].get(key, 0) + value
    if "commands" in snap:
        commands = out.setdefault("commands", {})
        for key, value in snap["commands"].items():
            commands[key] = commands.get(key, 0) + value
    if "latency" in snap:
        latency = out.setdefault("latency", {})
        for family, h in snap["latency"].items():
            latency[family] = _add_histogram(latency.get(family), h)
    if "batch_sizes" in snap:
        out["batch_sizes"] = _add_histogram(out.get("batch_sizes"), snap["batch_sizes"])
    return out


def _add_histogram(a: dict | None, b: dict) -> dict:
    if a is None:
        return {"buckets": list(b["buckets"]), "sum": b["sum"]}
    return {"buckets": [x + y for x, y in zip(a["buckets"], b["buckets"], strict=True)], "sum": a["sum"] + b["sum"]}
