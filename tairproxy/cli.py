"""`tairproxy` command line: embedded Valkey by default, or --upstream."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from tairproxy.embedded import EmbeddedValkey
from tairproxy.server import UpstreamUnsuitable, start_proxy

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
    p.add_argument("--log-level", default=_env("LOG_LEVEL", "INFO"))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
        return asyncio.run(_serve(args, upstream, embedded))
    except KeyboardInterrupt:
        return 0
    finally:
        if embedded is not None:
            embedded.stop()


async def _serve(args: argparse.Namespace, upstream: str, embedded: EmbeddedValkey | None) -> int:
    try:
        proxy = await start_proxy(upstream, bind=args.bind, port=args.port, max_bulk=args.max_bulk_len)
    except UpstreamUnsuitable as exc:
        print(f"tairproxy: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"tairproxy: cannot listen on {args.bind} port {args.port}: {exc}", file=sys.stderr)
        return 1
    for host, port in proxy.addresses:
        print(f"tairproxy listening on {host}:{port}", flush=True)
    if embedded is not None:
        print(f"embedded valkey-server at {embedded.url}, data in {embedded.data_dir}", flush=True)
    else:
        print(f"fronting {upstream}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("tairproxy: shutting down", flush=True)
    await proxy.close()
    return 0
