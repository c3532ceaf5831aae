"""`tairproxy` command line: embedded Valkey by default, or --upstream."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys

from tairproxy.cluster import ClusterMap
from tairproxy.embedded import EmbeddedValkey
from tairproxy.server import UpstreamUnsuitable, server_tls_context, start_proxy
from tairproxy.upstream import UpstreamAddress

DEFAULT_MAX_BULK = 512 * 1024 * 1024  # Valkey's proto-max-bulk-len default


def _env(name: str, default: str | None) -> str | None:
    return os.environ.get("TAIRPROXY_" + name, default)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="tairproxy",
        description="Tair extension commands (TairString, TairHash, ...) on stock Valkey. "
        "Every flag can also be set as TAIRPROXY_<FLAG> in the environment.",
    )
    p.add_argument("--upstream", default=_env("UPSTREAM", None),
                   help="Valkey to front, e.g. redis://host:6379, rediss://..., unix:///path "
                        "(default: start an embedded valkey-server)")
    p.add_argument("--bind", default=_env("BIND", "127.0.0.1"),
                   help="addresses to listen on, space-separated like valkey-server's bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=int(_env("PORT", "6380")), help="port to listen on (default 6380)")
    p.add_argument("--data-dir", default=_env("DATA_DIR", "./tairproxy-data"),
                   help="embedded Valkey's data directory (default ./tairproxy-data)")
    p.add_argument("--valkey-port", type=int, default=int(_env("VALKEY_PORT", "0")),
                   help="embedded Valkey's port (default: a free port)")
    p.add_argument("--max-bulk-len", type=int, default=int(_env("MAX_BULK_LEN", str(DEFAULT_MAX_BULK))),
                   help="largest bulk string accepted from clients (default 512MB, as Valkey's proto-max-bulk-len)")
    p.add_argument("--tls-cert-file", default=_env("TLS_CERT_FILE", None),
                   help="serve clients over TLS with this certificate (PEM)")
    p.add_argument("--tls-key-file", default=_env("TLS_KEY_FILE", None), help="private key of --tls-cert-file")
    p.add_argument("--tls-ca-cert-file", default=_env("TLS_CA_CERT_FILE", None),
                   help="CA to verify a rediss:// upstream with (default: the system's CAs)")
    p.add_argument("--cluster-map", default=_env("CLUSTER_MAP", None),
                   help="cluster sidecar mode: node_host:port=proxy_host:port,... so clients only see proxies")
    p.add_argument("--cluster-port-offset", type=int,
                   default=int(_env("CLUSTER_PORT_OFFSET", "0")) or None,
                   help="cluster sidecar mode: proxy port = node port + N on the same host")
    p.add_argument("--workers", type=int, default=int(_env("WORKERS", "1")),
                   help="proxy processes sharing the port with SO_REUSEPORT (default 1); the proxy is "
                        "stateless, so more workers only add CPU")
    p.add_argument("--gis-cache-mb", type=int, default=_env("GIS_CACHE_MB", None),
                   help="memory for the TairGis indexes of each proxy process, least recently used "
                        "keys out first (default 512)")
    p.add_argument("--log-level", default=_env("LOG_LEVEL", "INFO"))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.gis_cache_mb is not None:
        from tairproxy.modules.tairgis import set_cache_size

        set_cache_size(args.gis_cache_mb)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    embedded = None
    upstream = args.upstream
    if not upstream:
        embedded = EmbeddedValkey(args.data_dir, port=args.valkey_port)
        try:
            embedded.start()
        except Exception as exc:
            print(f"tairproxy: cannot start embedded valkey-server: {exc}", file=sys.stderr)
            return 1
        upstream = embedded.url
    try:
        if args.workers > 1:
            return _run_workers(args, upstream, embedded)
        return asyncio.run(_serve(args, upstream, embedded))
    except KeyboardInterrupt:
        return 0
    finally:
        if embedded is not None:
            embedded.stop()


def _run_workers(args: argparse.Namespace, upstream: str, embedded: EmbeddedValkey | None) -> int:
    """Fork workers that share the listening port; the parent only supervises (and owns Valkey)."""
    children: list[int] = []
    for i in range(args.workers):
        pid = os.fork()
        if pid == 0:
            # Until the worker's loop installs its own handler, SIGTERM must still end it cleanly.
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            code = 1
            try:
                code = asyncio.run(_serve(args, upstream, embedded, reuse_port=True, announce=i == 0))
            except KeyboardInterrupt:
                code = 0
            finally:
                os._exit(code)
        children.append(pid)

    def forward(signum, frame):
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    status = 0
    for _ in children:
        pid, code = os.wait()
        if os.waitstatus_to_exitcode(code) != 0 and status == 0:
            status = 1
            forward(None, None)  # one worker failed (e.g. port in use): stop the others too
    return status


async def _serve(
    args: argparse.Namespace,
    upstream: str,
    embedded: EmbeddedValkey | None,
    reuse_port: bool = False,
    announce: bool = True,
) -> int:
    try:
        cluster = ClusterMap.parse(args.cluster_map, args.cluster_port_offset)
        proxy = await start_proxy(
            UpstreamAddress.parse(upstream, tls_ca_file=args.tls_ca_cert_file),
            bind=args.bind, port=args.port, max_bulk=args.max_bulk_len, reuse_port=reuse_port,
            cluster=cluster, tls=server_tls_context(args.tls_cert_file, args.tls_key_file),
        )
    except (UpstreamUnsuitable, ValueError, ssl.SSLError) as exc:
        print(f"tairproxy: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"tairproxy: cannot listen on {args.bind} port {args.port}: {exc}", file=sys.stderr)
        return 1
    if announce:
        workers = f" ({args.workers} workers)" if args.workers > 1 else ""
        for host, port in proxy.addresses:
            print(f"tairproxy listening on {host}:{port}{workers}", flush=True)
        if embedded is not None:
            print(f"embedded valkey-server at {embedded.url}, data in {embedded.data_dir}", flush=True)
        else:
            print(f"fronting {UpstreamAddress.parse(upstream)}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if announce:
        print("tairproxy: shutting down", flush=True)
    await proxy.close()
    return 0
