"""A deterministic layer of 10 000 polygons for scale tests and the GIS benchmark.

zone{k} (k = 100 * row + column) is a 10-vertex polygon around zone_center(k), on a 100 x 100
grid covering lon -148.5..148.5 and lat -74.25..74.25; neighbours do not touch, so
`GIS.CONTAINS key 'POINT (x y)'` with a zone's centre answers exactly that zone.

    python -m tests.tairgis_polygons --port 6380 --key tpb:gis     # load through a proxy
"""

from __future__ import annotations

import argparse
import math
import shlex
import socket

COLUMNS = ROWS = 100


def zone_center(k: int) -> tuple[float, float]:
    row, col = divmod(k, COLUMNS)
    return -148.5 + 3.0 * col, -74.25 + 1.5 * row


def zone_wkt(k: int) -> str:
    cx, cy = zone_center(k)
    pts = [(round(cx + 0.9 * math.cos(a), 6), round(cy + 0.45 * math.sin(a), 6))
           for a in (2 * math.pi * i / 10 for i in range(10))]
    return "POLYGON((" + ",".join(f"{x!r} {y!r}" for x, y in pts) + "))"


def zones(n: int = COLUMNS * ROWS) -> list[tuple[str, str]]:
    return [(f"zone{k}", zone_wkt(k)) for k in range(n)]


def add_commands(key: str, n: int = COLUMNS * ROWS, batch: int = 500) -> list[list[str]]:
    """GIS.ADD commands (argument lists) loading the first n zones."""
    pairs = zones(n)
    return [["GIS.ADD", key, *[x for pair in pairs[i : i + batch] for x in pair]] for i in range(0, n, batch)]


def setup_strings(key: str, n: int = COLUMNS * ROWS, batch: int = 500) -> tuple[str, ...]:
    """The same commands as shell-style strings (bench/bench.py's Scenario.setup)."""
    return tuple(shlex.join(cmd) for cmd in add_commands(key, n, batch))


def _encode(args: list[str]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def load(host: str, port: int, key: str, n: int = COLUMNS * ROWS) -> None:
    with socket.create_connection((host, port)) as sock:
        for cmd in add_commands(key, n):
            sock.sendall(_encode(cmd))
            reply = b""
            while not reply.endswith(b"\r\n"):
                reply += sock.recv(1024)
            if not reply.startswith(b":"):
                raise SystemExit(f"GIS.ADD failed: {reply!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6380)
    parser.add_argument("--key", default="tpb:gis")
    parser.add_argument("-n", type=int, default=COLUMNS * ROWS)
    ns = parser.parse_args()
    load(ns.host, ns.port, ns.key, ns.n)
    print(f"loaded {ns.n} polygons into {ns.key}")
