"""``python -m tairproxy.healthcheck``: one command through the proxy; exit 0 when healthy.

For container HEALTHCHECKs (the image has no valkey-cli). It reads the proxy's own
``TAIRPROXY_PORT``, ``TAIRPROXY_BIND`` and ``TAIRPROXY_TLS_CERT_FILE`` (or ``--host``/``--port``/
``--tls``), so it needs no configuration of its own. Healthy means the proxy answered and so
did Valkey and the Lua library behind it. PING would prove nothing: the proxy answers it
itself. It sends TYPE of a reserved name, which runs the library's tp_type: any status
reply, or ``-NOAUTH`` from a Valkey that wants a password (it is up), is healthy.
"""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import sys

HEALTHY = (b"+", b"-NOAUTH")
PROBE = b"*2\r\n$4\r\nTYPE\r\n$22\r\n__tairproxy:health__:0\r\n"


def check(host: str, port: int, tls: bool = False, timeout: float = 3.0) -> str | None:
    """None when healthy, else why not (one line)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            sock = raw
            if tls:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False  # our own loopback listener
                ctx.verify_mode = ssl.CERT_NONE
                sock = ctx.wrap_socket(raw, server_hostname=host)
            sock.sendall(PROBE)
            reply = b""
            while b"\r\n" not in reply:
                chunk = sock.recv(512)
                if not chunk:
                    break
                reply += chunk
    except OSError as exc:
        return f"cannot reach {host}:{port}: {exc}"
    line = reply.split(b"\r\n", 1)[0]
    if line.startswith(HEALTHY):
        return None
    return f"{host}:{port} answered {line.decode(errors='replace') or 'nothing'}"


def _default_host() -> str:
    first = (os.environ.get("TAIRPROXY_BIND") or "127.0.0.1").split()[0]
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "*": "127.0.0.1"}.get(first, first)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tairproxy.healthcheck", description=__doc__.splitlines()[0])
    p.add_argument("--host", default=_default_host(), help="proxy address (default: from TAIRPROXY_BIND)")
    p.add_argument("--port", type=int, default=int(os.environ.get("TAIRPROXY_PORT") or 6380),
                   help="proxy port (default: TAIRPROXY_PORT or 6380)")
    p.add_argument("--tls", action="store_true", default=bool(os.environ.get("TAIRPROXY_TLS_CERT_FILE")),
                   help="speak TLS (default: when TAIRPROXY_TLS_CERT_FILE is set)")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    args = p.parse_args(argv)
    problem = check(args.host, args.port, args.tls, args.timeout)
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
