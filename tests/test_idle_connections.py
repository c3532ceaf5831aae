"""10 000 idle client connections plus 500 active ones through a real proxy process.

Each idle connection has been used once (a GET, as a pooled connection would be) and then
sits; they cost the proxy memory but no upstream connection. The proxy's resident memory
per idle connection is measured (README, Reliability), and the 500 active clients are
served correctly meanwhile.
"""

from __future__ import annotations

import asyncio
import resource
import socket
import time

import pytest
import redis

from tairproxy.embedded import EmbeddedValkey
from tairproxy.resp import encode_command
from tests.cli_harness import ProxyProcess
from tests.helpers import rss
from tests.replies import OK, bulk, i

IDLE = 10_000
ACTIVE = 500
ROUNDS = 10
# Proxy memory per idle connection that the README promises to stay under.
IDLE_BOUND = 8 * 1024
GET_MISSING = encode_command([b"GET", b"idle:missing"])


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"{IDLE + ACTIVE} client connections need {needed} file descriptors per process; "
                    f"the hard limit is {hard} (raise it with ulimit -Hn)")
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed if hard == resource.RLIM_INFINITY else hard, hard))


def _upstream_connections(url: str) -> int:
    """Valkey's clients, apart from the connection asking."""
    with redis.Redis.from_url(url) as c:
        return len(c.client_list()) - 1


def _open_idle(port: int, count: int, batch: int = 500) -> list[socket.socket]:
    """``count`` connections that each ran one GET and now sit idle."""
    socks: list[socket.socket] = []
    for start in range(0, count, batch):
        group = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(min(batch, count - start))]
        for s in group:
            s.sendall(GET_MISSING)
        for s in group:
            assert s.recv(16) == b"$-1\r\n"
        socks += group
    return socks


async def _active_client(port: int, run: int, n: int) -> int:
    """ROUNDS rounds of pass-through and Tair writes and reads of its own keys; checked replies."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    checked = 0
    try:
        for r in range(ROUNDS):
            v = b"v:%d:%d:%d" % (run, n, r)
            commands = [[b"SET", b"a:%d" % n, v], [b"GET", b"a:%d" % n], [b"EXHSET", b"h:%d:%d" % (run, n), b"f%d" % r, v],
                        [b"EXHGET", b"h:%d:%d" % (run, n), b"f%d" % r]]
            want = OK + bulk(v) + i(1) + bulk(v)
            writer.write(b"".join(encode_command(c) for c in commands))
            got = await asyncio.wait_for(reader.readexactly(len(want)), 10)
            assert got == want, (n, got)
            checked += len(commands)
    finally:
        writer.close()
    return checked


async def _run_active(port: int, run: int) -> int:
    return sum(await asyncio.gather(*(_active_client(port, run, n) for n in range(ACTIVE))))


@pytest.mark.timeout(180)
def test_ten_thousand_idle_connections_and_five_hundred_active(tmp_path):
    _raise_fd_limit(IDLE + ACTIVE + 200)
    server = EmbeddedValkey(tmp_path / "data")
    server.start()
    proxy = ProxyProcess("--upstream", server.url, "--port", "0", "--stats-interval", "0").start()
    try:
        port = proxy.port
        # Every code path warm (imports, the shared connection, buffers) before measuring.
        asyncio.run(_run_active(port, 0))
        pid = proxy.proc.pid
        before = rss(pid)
        t0 = time.monotonic()
        idle = _open_idle(port, IDLE)
        opened = time.monotonic() - t0
        time.sleep(0.5)
        per_idle = (rss(pid) - before) / IDLE
        assert _upstream_connections(server.url) <= 2, "idle clients hold upstream connections"

        t0 = time.monotonic()
        checked = asyncio.run(_run_active(port, 1))
        active_time = time.monotonic() - t0
        assert checked == ACTIVE * ROUNDS * 4
        # Active clients with no server-side state share the upstream connection too.
        assert _upstream_connections(server.url) <= 2
        # Every idle connection is still served.
        for s in idle:
            s.sendall(GET_MISSING)
        assert all(s.recv(16) == b"$-1\r\n" for s in idle)
        print(f"\n{IDLE} idle connections opened in {opened:.1f} s: proxy RSS {before / 2**20:.1f} MB -> "
              f"{(before + per_idle * IDLE) / 2**20:.1f} MB, {per_idle / 1024:.2f} KB per idle connection; "
              f"{ACTIVE} active clients: {checked} checked replies in {active_time:.1f} s beside them; "
              f"upstream connections: {_upstream_connections(server.url)}")
        assert per_idle < IDLE_BOUND
        for s in idle:
            s.close()
    finally:
        proxy.stop()
        server.stop()
