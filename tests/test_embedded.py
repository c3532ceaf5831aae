"""The embedded mode cannot lose data: a locked data directory, start-up that waits for a long
load, and a proxy that exits loudly when its valkey-server dies."""

from __future__ import annotations

import logging
import os
import signal
import stat
import sys
import time

import pytest
import redis

from tairproxy.embedded import DataDirInUse, EmbeddedValkey, free_port
from tests.cli_harness import ProxyProcess, lock_holders


def test_a_second_proxy_on_the_same_data_directory_is_refused(tmp_path):
    data = tmp_path / "data"
    first = ProxyProcess("--data-dir", data, "--port", free_port(), "--stats-interval", "0").start()
    second = None
    try:
        client = redis.Redis(port=first.port)
        assert client.execute_command("EXSET", "acked", "1") == b"OK"
        second = ProxyProcess("--data-dir", data, "--port", free_port()).start()
        assert second.wait() == 1
        errors = second.lines_with(" ERROR ")
        assert len(errors) == 1 and errors[0].endswith(f"data directory {data} is in use by pid {first.proc.pid}")
        assert "Traceback" not in second.log()
        # The first one never noticed.
        assert client.execute_command("EXSET", "acked", "2") == b"OK"
        first.signal()
        assert first.wait() == 0
        # Free again once the first proxy (and its server) are gone.
        third = ProxyProcess("--data-dir", data, "--port", free_port()).start()
        try:
            assert redis.Redis(port=third.port).execute_command("EXGET", "acked") == [b"2", 2]
        finally:
            third.signal()
            third.wait()
    finally:
        first.stop()
        if second:
            second.stop()


def test_the_lock_is_held_until_the_server_of_a_killed_proxy_is_gone(tmp_path):
    data = tmp_path / "data"
    server = EmbeddedValkey(data)
    server.start()
    try:
        assert lock_holders(data) == (os.getpid(), server.process.pid)
        with pytest.raises(DataDirInUse, match=f"in use by pid {os.getpid()}$"):
            EmbeddedValkey(data).start()
        # The server holds the lock too (inherited): a proxy gone without stopping it must not
        # let another server append to the same AOF.
        fds = os.listdir(f"/proc/{server.process.pid}/fd")
        assert any(os.readlink(f"/proc/{server.process.pid}/fd/{fd}").endswith("tairproxy.lock") for fd in fds)
    finally:
        server.stop()
    again = EmbeddedValkey(data)
    again.start()
    again.stop()


def _loaded_dataset(path, keys: int) -> None:
    """A data directory whose AOF base is an RDB of ``keys`` keys."""
    server = EmbeddedValkey(path, extra=["--enable-debug-command", "yes"])
    server.start()
    try:
        c = redis.Redis(port=server.port)
        c.execute_command("DEBUG", "POPULATE", keys)
        c.bgrewriteaof()
        while c.info("persistence")["aof_rewrite_in_progress"] or c.info("persistence")["aof_rewrite_scheduled"]:
            time.sleep(0.05)
    finally:
        server.stop()


def test_start_waits_while_valkey_loads_and_logs_progress(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="tairproxy.embedded")
    _loaded_dataset(tmp_path / "data", 20000)
    # Valkey's own test knob: slow each key's load, and serve clients while loading.
    server = EmbeddedValkey(tmp_path / "data", extra=["--key-load-delay", "50",
                                                      "--loading-process-events-interval-bytes", "1024"])
    t0 = time.monotonic()
    server.start(timeout=0.5, progress_every=0.2)  # the timeout is for a server that never answers
    took = time.monotonic() - t0
    try:
        assert redis.Redis(port=server.port).dbsize() == 20000  # no LOADING error: it is ready
    finally:
        server.stop()
    progress = [r.getMessage() for r in caplog.records if "loading its data" in r.getMessage()]
    assert took > 0.5 and len(progress) >= 2, (took, progress)
    assert all("% (" in m and " of " in m for m in progress)


NEVER_ANSWERS = """#!{python}
import socket, sys, time
port = int(sys.argv[sys.argv.index("--port") + 1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen()
conns = []
while True:
    conns.append(s.accept())  # and never answer
"""


def test_a_server_that_never_answers_fails_start_up_after_the_timeout(tmp_path):
    stub = tmp_path / "valkey-server"
    stub.write_text(NEVER_ANSWERS.format(python=sys.executable))
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    p = ProxyProcess("--data-dir", tmp_path / "data", "--valkey-start-timeout", "1",
                     env={"VALKEY_SERVER": str(stub)}).start()
    try:
        assert p.wait(15) == 1
    finally:
        p.stop()
    (error,) = p.lines_with(" ERROR ")
    assert "cannot start embedded valkey-server: valkey-server did not answer on port" in error
    assert error.endswith(f"within 1 s (see {tmp_path / 'data' / 'valkey.log'})")
    assert "Traceback" not in p.log()


def test_the_proxy_exits_non_zero_when_its_valkey_server_is_killed(tmp_path):
    data = tmp_path / "data"
    p = ProxyProcess("--data-dir", data, "--port", free_port(), "--stats-interval", "0").start()
    try:
        assert redis.Redis(port=p.port).ping()
        _, server_pid = lock_holders(data)
        os.kill(server_pid, signal.SIGKILL)
        t0 = time.monotonic()
        assert p.wait(10) == 1
        assert time.monotonic() - t0 < 3
    finally:
        p.stop()
    (error,) = p.lines_with(" ERROR ")
    assert "embedded valkey-server stopped (killed by signal SIGKILL): tairproxy exits" in error
