"""`tairproxy` command line: embedded Valkey by default, or --upstream."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import shutil
import signal
import ssl
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path

from tairproxy.cluster import ClusterMap
from tairproxy.context import Limits
from tairproxy.embedded import DataDirInUse, EmbeddedValkey, describe_exit
from tairproxy.limits import client_capacity, raise_fd_limit
from tairproxy.logs import setup_logging
from tairproxy.observe import Observer
from tairproxy.options import UsageError, parse_args
from tairproxy.server import UpstreamUnsuitable, prepare_upstream, server_tls_context, start_proxy
from tairproxy.stats import report_stats
from tairproxy.upstream import UpstreamAddress
from tairproxy.workers import EXIT_STARTUP, Supervisor

log = logging.getLogger("tairproxy")

EMBEDDED_POLL = 0.2  # seconds between checks that the embedded server is still alive
GC_YOUNG_THRESHOLD = 20_000  # allocations between young collections (Python: 700)


class StartupError(RuntimeError):
    """The proxy cannot start; the message is the one-line reason."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["migrate"]:
        from tairproxy.migrate import main as migrate

        return migrate(argv[1:])
    try:
        args = parse_args(argv)
    except UsageError as exc:
        print(f"tairproxy: {exc}", file=sys.stderr)
        return 2
    setup_logging(args.log_level, args.log_format)
    raise_fd_limit()  # before the embedded server starts: it inherits the limit
    embedded = None
    upstream = args.upstream
    if not upstream:
        embedded = EmbeddedValkey(args.data_dir, port=args.valkey_port)
        try:
            embedded.start(timeout=args.valkey_start_timeout)
        except DataDirInUse as exc:
            log.error("%s", exc)
            return 1
        except Exception as exc:
            log.error("cannot start embedded valkey-server: %s", exc)
            return 1
        upstream = embedded.url
    try:
        if args.workers > 1:
            return _run_workers(args, upstream, embedded)
        return _run(_serve(args, upstream, embedded))
    except KeyboardInterrupt:
        return 0
    except StartupError as exc:
        log.error("%s", exc)
        return 1
    finally:
        if embedded is not None:
            embedded.stop()


def _tune_gc() -> None:
    """The hot path makes no reference cycles, so Python's cyclic collector only finds work in
    what start-up built (modules, the command table) and in objects that live a few
    milliseconds (a command waiting for its reply). Start-up's objects are set aside for good
    and young collections run less often, so requests rarely survive into an old generation
    whose full collections would walk the whole heap (measured: ~10% of proxy CPU)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _run(coro: Coroutine) -> int:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def _run_workers(args: argparse.Namespace, upstream: str, embedded: EmbeddedValkey | None) -> int:
    """Check the upstream and load the library once, then fork the workers; the parent only
    supervises (and owns the embedded server)."""
    address = _address(args, upstream)
    # A plain asyncio loop in the parent: no event loop of the parent survives into the children.
    try:
        asyncio.run(_startup_checks(address))
    except StartupError as exc:
        log.error("%s", exc)
        return 1

    metrics = snapshots = None
    if args.metrics_port:
        # Workers cannot share one metrics port: the parent serves the sum of their snapshots.
        from tairproxy.metrics import WorkerSnapshots

        snapshots = WorkerSnapshots(Path(tempfile.mkdtemp(prefix="tairproxy-metrics-")))
        try:
            metrics = _serve_metrics(args, snapshots.take)
        except StartupError as exc:
            shutil.rmtree(snapshots.directory, ignore_errors=True)
            log.error("%s", exc)
            return 1

    def serve(index: int, replacement: bool) -> int:
        if metrics is not None:
            metrics.close_in_child()
        try:
            return _run(_serve(args, upstream, embedded, worker=index, announce=index == 1 and not replacement,
                               metrics_dir=snapshots.directory if snapshots else None))
        except StartupError as exc:
            log.error("%s", exc)
            return EXIT_STARTUP

    try:
        return Supervisor(args.workers, serve, embedded, on_exit=snapshots.retire if snapshots else None).run()
    finally:
        if metrics is not None:
            metrics.close()
            shutil.rmtree(snapshots.directory, ignore_errors=True)


def _serve_metrics(args: argparse.Namespace, take: Callable[[], dict]):
    from tairproxy.metrics import MetricsServer

    try:
        metrics = MetricsServer(args.bind.split(), args.metrics_port, take)
    except OSError as exc:
        raise StartupError(f"cannot serve metrics on {args.bind} port {args.metrics_port}: {exc}") from None
    for host, port in metrics.addresses:
        log.info("metrics at http://%s:%d/metrics", host, port,
                 extra={"fields": {"metrics_host": host, "metrics_port": port}})
    return metrics


async def _startup_checks(address: UpstreamAddress) -> None:
    try:
        await prepare_upstream(address)
    except (UpstreamUnsuitable, RuntimeError, OSError, TimeoutError) as exc:
        raise StartupError(str(exc) or type(exc).__name__) from None


def _address(args: argparse.Namespace, upstream: str) -> UpstreamAddress:
    return UpstreamAddress.parse(upstream, tls_ca_file=args.tls_ca_cert_file)


async def _serve(
    args: argparse.Namespace,
    upstream: str,
    embedded: EmbeddedValkey | None,
    worker: int = 0,
    announce: bool = True,
    metrics_dir: Path | None = None,
) -> int:
    address = _address(args, upstream)
    from tairproxy.modules.tairgis import set_cache_size

    set_cache_size(args.gis_cache_mb)
    # Stop signals are the loop's from the first moment: one that comes during start-up stops
    # the start (a worker replaced just before a shutdown must not miss it).
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    proxies: list = []  # the proxy once started, for SIGUSR1's state dump
    loop.add_signal_handler(signal.SIGUSR1, lambda: [p.ctx.dump_state() for p in proxies])
    # A forked worker starts with them held (workers.py): one that came meanwhile arrives now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if not worker:
        await _startup_checks(address)
    starting = asyncio.ensure_future(start_proxy(
        address, bind=args.bind, port=args.port, max_bulk=args.max_bulk_len, reuse_port=bool(worker),
        shared_connections=args.upstream_connections,
        limits=Limits(client_output=args.client_output_limit, max_clients=client_capacity()),
        cluster=ClusterMap.parse(args.cluster_map, args.cluster_port_offset), check=False,
        tls=server_tls_context(args.tls_cert_file, args.tls_key_file),
        observer=Observer(args.slowlog_ms) if args.metrics_port or args.slowlog_ms else None,
    ))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait([starting, stopping], return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        return 0
    stopping.cancel()
    try:
        proxy = starting.result()
        proxies.append(proxy)
    except (ValueError, ssl.SSLError) as exc:
        raise StartupError(str(exc)) from None
    except OSError as exc:
        raise StartupError(f"cannot listen on {args.bind} port {args.port}: {exc}") from None
    _tune_gc()
    if announce:
        workers = f" ({args.workers} workers)" if args.workers > 1 else ""
        for host, port in proxy.addresses:
            log.info("tairproxy listening on %s:%d%s", host, port, workers,
                     extra={"fields": {"host": host, "port": port, "workers": args.workers}})
        if embedded is not None:
            log.info("embedded valkey-server at %s, data in %s", embedded.url, embedded.data_dir,
                     extra={"fields": {"valkey": embedded.url, "data_dir": str(embedded.data_dir)}})
        else:
            log.info("fronting %s", address)
    exit_code = 0

    def fail() -> None:
        nonlocal exit_code
        exit_code = 1
        stop.set()

    metrics = None
    if args.metrics_port and not worker:
        from tairproxy.metrics import loop_snapshot

        try:
            metrics = _serve_metrics(args, loop_snapshot(proxy.ctx, loop))
        except StartupError:
            await proxy.close()
            raise
    tasks = []
    if metrics_dir is not None:
        from tairproxy.metrics import write_snapshots

        tasks.append(asyncio.create_task(write_snapshots(proxy.ctx, metrics_dir)))
    if args.stats_interval:
        tasks.append(asyncio.create_task(report_stats(proxy.stats, args.stats_interval)))
    if embedded is not None and not worker:  # under --workers the parent watches the server
        tasks.append(asyncio.create_task(_watch_embedded(embedded, fail)))
    await stop.wait()
    for task in tasks:
        task.cancel()
    if announce or exit_code:
        log.info("shutting down")
    await proxy.close()
    if metrics is not None:
        metrics.close()
    return exit_code


async def _watch_embedded(embedded: EmbeddedValkey, on_exit: Callable[[], None]) -> None:
    """The embedded server died (kill -9, OOM, SHUTDOWN): say so and stop, so that whatever
    supervises tairproxy restarts both instead of a proxy answering errors forever."""
    while (code := embedded.exited()) is None:
        await asyncio.sleep(EMBEDDED_POLL)
    log.error("embedded valkey-server stopped (%s): tairproxy exits so that its supervisor can "
              "restart it (see %s)", describe_exit(code), embedded.log_file,
              extra={"fields": {"valkey_exit": describe_exit(code)}})
    on_exit()
