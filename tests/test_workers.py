"""--workers N: a worker that dies is logged and replaced; the other workers' clients notice nothing."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from tairproxy.embedded import free_port
from tests.cli_harness import ProxyProcess, lock_holders


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _serving_pid(client: socket.socket, candidates: list[int]) -> int:
    """The worker holding the server side of this client's connection (from /proc)."""
    client_port = client.getsockname()[1]
    server_port = client.getpeername()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            inode = fields[9]
    assert inode is not None
    for pid in candidates:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except FileNotFoundError:
                continue
    raise AssertionError("no worker holds the connection")


def _ping(s: socket.socket) -> bytes:
    try:
        s.sendall(b"PING\r\n")
        return s.recv(64)
    except OSError:
        return b""


def test_a_killed_worker_is_logged_and_replaced_without_touching_other_clients(tmp_path):
    data = tmp_path / "data"
    p = ProxyProcess("--data-dir", data, "--port", free_port(), "--workers", "2", "--stats-interval", "0").start()
    clients: list[socket.socket] = []
    try:
        port = p.port
        _, server_pid = lock_holders(data)
        workers = [pid for pid in _children(p.proc.pid) if pid != server_pid]
        assert len(workers) == 2
        # Enough clients that both workers serve some (SO_REUSEPORT hashes connections).
        owner: dict[int, list[socket.socket]] = {pid: [] for pid in workers}
        while min(len(v) for v in owner.values()) < 2:
            s = socket.create_connection(("127.0.0.1", port))
            assert _ping(s) == b"+PONG\r\n"
            clients.append(s)
            owner[_serving_pid(s, workers)].append(s)
            assert len(clients) < 200
        victim, survivor = workers
        os.kill(victim, signal.SIGKILL)
        line = p.wait_for("died after")
        assert "ERROR main worker w" in line and f"(pid {victim}) died after" in line
        assert "killed by signal SIGKILL; starting a replacement" in line
        for s in owner[survivor]:
            assert _ping(s) == b"+PONG\r\n"  # same connection, unaffected
        for s in owner[victim]:
            assert _ping(s) == b""  # those connections died with their worker
        p.wait_for("started (pid")
        replacement = [pid for pid in _children(p.proc.pid) if pid not in (server_pid, survivor)]
        assert len(replacement) == 1 and replacement[0] != victim
        # New clients reach both workers again; shutdown stays prompt.
        fresh = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
        assert all(_ping(s) == b"+PONG\r\n" for s in fresh)
        clients += fresh
        t0 = time.monotonic()
        p.signal(signal.SIGTERM)
        assert p.wait() == 0
        assert time.monotonic() - t0 < 1.5, p.log()
    finally:
        for s in clients:
            s.close()
        p.stop()


def test_workers_stop_when_the_embedded_server_dies(tmp_path):
    data = tmp_path / "data"
    p = ProxyProcess("--data-dir", data, "--port", free_port(), "--workers", "2", "--stats-interval", "0").start()
    try:
        p.wait_for("listening on")
        _, server_pid = lock_holders(data)
        os.kill(server_pid, signal.SIGKILL)
        assert p.wait(10) == 1
    finally:
        p.stop()
    assert len(p.lines_with("embedded valkey-server stopped (killed by signal SIGKILL)")) == 1


def test_a_worker_that_cannot_start_stops_the_proxy(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))  # no SO_REUSEPORT: the workers cannot share it
    busy.listen()
    port = busy.getsockname()[1]
    p = ProxyProcess("--data-dir", tmp_path / "data", "--port", port, "--workers", "2").start()
    try:
        assert p.wait(15) == 1
    finally:
        p.stop()
        busy.close()
    assert p.lines_with(f"cannot listen on 127.0.0.1 port {port}")
    assert p.lines_with("could not start: stopping tairproxy")
    assert "Traceback" not in p.log()
