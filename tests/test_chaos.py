"""Chaos under load: 200 clients (tests/chaos_workload.py) through a real proxy process in
front of a real valkey-server (AOF, ``appendfsync always``), while the test, in turn,
restarts Valkey (kill -9), runs FUNCTION FLUSH, CLIENT KILLs the proxy's upstream
connections, stops Valkey for 2 s (SIGSTOP, SIGCONT) and fills two slow readers' buffers
(one on a shared connection, which is cut at its output limit, one pinned, which is
flow-controlled and gets every reply once it reads).

It holds when no client waited longer than its timeout, no client saw an unclear error or
a reply that was not its own, only pinned sessions lost their connection, every
acknowledged write is there after a last kill -9 and restart of Valkey, and the proxy's
resident memory stayed under ``MEMORY_BOUND``.

The short form runs by default; the 60-second form runs with ``pytest -m chaos_long``.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
import time

import pytest
import redis

from tairproxy.embedded import EmbeddedValkey
from tairproxy.resp import encode_command
from tests.chaos_workload import TIMEOUT, Tally, run_workload, verify_acknowledged
from tests.cli_harness import ProxyProcess
from tests.helpers import rss
from tests.replies import bulk

SHORT_SECONDS = 12
LONG_SECONDS = 60
CLIENT_OUTPUT_LIMIT = 8 * 1024 * 1024
BLOB = b"b" * (1024 * 1024)
BLOB_KEY = b"chaos:blob"
SLOW_GETS = 40  # 40 MB of replies a slow reader leaves unread
# The proxy's resident memory, whatever happens (README, Reliability): ~52 MB idle, plus at
# most a client output limit per slow reader, with room to spare.
MEMORY_BOUND = 100 * 1024 * 1024
# A slow reader's trouble never reaches the other clients: their waits stay far below TIMEOUT.
SLOW_READER_WAIT_BOUND = 2.0


class RssSampler(threading.Thread):
    """The proxy's resident memory every 50 ms."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            try:
                self.peak = max(self.peak, rss(self.pid))
            except (OSError, LookupError):
                return


class Workload(threading.Thread):
    """The clients, on an event loop of their own."""

    def __init__(self, port: int, tally: Tally):
        super().__init__(daemon=True)
        self.port = port
        self.tally = tally
        self.started = threading.Event()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        self.started.set()
        await run_workload(self.port, self.tally, self.stop_event)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.join(3 * TIMEOUT)
        assert not self.is_alive(), "a client never came back"


class Chaos:
    """The faults, one after the other; each leaves a line in ``log``."""

    def __init__(self, valkey: EmbeddedValkey, proxy: ProxyProcess, port: int, tally: Tally):
        self.valkey = valkey
        self.tally = tally
        self.proxy = proxy
        self.port = port
        self.log: list[str] = []
        self.killed = 0
        self.cut = 0

    def restart_valkey(self) -> None:
        t0 = time.monotonic()
        self.valkey.process.kill()
        self.valkey.process.wait()
        self.valkey.stop()
        self.valkey.start()
        self.log.append(f"Valkey killed (-9) and restarted in {time.monotonic() - t0:.2f} s")

    def flush_functions(self) -> None:
        with redis.Redis.from_url(self.valkey.url) as c:
            c.execute_command("FUNCTION", "FLUSH")
        self.log.append("FUNCTION FLUSH")

    def kill_upstream_connections(self) -> None:
        # Only the proxy and this control connection talk to this Valkey.
        with redis.Redis.from_url(self.valkey.url) as c:
            me = c.client_id()
            ids = [int(client["id"]) for client in c.client_list() if int(client["id"]) != me]
            for client_id in ids:
                c.execute_command("CLIENT", "KILL", "ID", client_id)
        self.killed += len(ids)
        self.log.append(f"CLIENT KILL of the proxy's {len(ids)} upstream connections")

    def pause_valkey(self) -> None:
        self.valkey.process.send_signal(signal.SIGSTOP)
        time.sleep(2)
        self.valkey.process.send_signal(signal.SIGCONT)
        self.log.append("Valkey stopped for 2 s (SIGSTOP, SIGCONT)")

    def fill_slow_readers(self) -> None:
        gets = encode_command([b"GET", BLOB_KEY]) * SLOW_GETS
        # On a shared connection: buffered up to the output limit, then cut.
        cut_before = len(self.proxy.lines_with("bytes of replies unread"))
        shared = socket.socket()
        shared.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
        shared.connect(("127.0.0.1", self.port))
        shared.sendall(gets)
        self.proxy.wait_for("bytes of replies unread", timeout=15, count=cut_before + 1)
        shared.close()
        self.cut += 1
        # Pinned: the proxy stops reading its upstream connection instead of buffering.
        pinned = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        pinned.sendall(encode_command([b"CLIENT", b"NO-EVICT", b"off"]) + gets)
        time.sleep(2)
        want = b"+OK\r\n" + bulk(BLOB) * SLOW_GETS
        got = bytearray()
        while len(got) < len(want):
            chunk = pinned.recv(1 << 20)
            assert chunk, "the pinned slow reader was disconnected"
            got += chunk
        pinned.close()
        assert got == want, "the pinned slow reader's replies differ"
        self.log.append(f"slow readers: shared one cut at {CLIENT_OUTPUT_LIMIT >> 20} MB unread, "
                        f"pinned one got all {SLOW_GETS} MB once it read")

    @property
    def events(self):
        return (("restart", self.restart_valkey), ("function flush", self.flush_functions),
                ("client kill", self.kill_upstream_connections), ("sigstop", self.pause_valkey),
                ("slow readers", self.fill_slow_readers))

    def run(self, seconds: float, gap: float = 1.0) -> None:
        """Every fault once at least, in turn, with ``gap`` seconds of plain load before each,
        for ``seconds`` in all."""
        start = time.monotonic()
        i = 0
        while i < len(self.events) or time.monotonic() - start < seconds:
            time.sleep(gap)
            # The clients' waits are told apart by the fault that came last.
            self.tally.phase, event = self.events[i % len(self.events)]
            event()
            i += 1


@pytest.fixture
def chaos_valkey(tmp_path):
    server = EmbeddedValkey(tmp_path / "data", extra=["--appendfsync", "always"])
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.process.send_signal(signal.SIGCONT)
    server.stop()


@pytest.fixture
def chaos_proxy(chaos_valkey):
    proxy = ProxyProcess(
        "--upstream", chaos_valkey.url, "--port", "0", "--client-output-limit", str(CLIENT_OUTPUT_LIMIT),
        "--stats-interval", "0",
    ).start()
    proxy.wait_for("listening on")
    yield proxy
    proxy.proc.terminate()
    proxy.proc.wait(10)


def _wait_until_served(port: int) -> None:
    """A pass-through command answers again (the proxy reconnects on the next command)."""
    deadline = time.monotonic() + TIMEOUT
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        while True:
            s.sendall(encode_command([b"GET", b"chaos:nothing"]))
            if s.recv(4096) == b"$-1\r\n":
                return
            assert time.monotonic() < deadline, "the proxy did not serve again after Valkey's restart"
            time.sleep(0.1)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "seconds", [pytest.param(SHORT_SECONDS, id="short"), pytest.param(LONG_SECONDS, id="long", marks=pytest.mark.chaos_long)]
)
def test_chaos_under_load(chaos_valkey, chaos_proxy, seconds):
    with redis.Redis.from_url(chaos_valkey.url) as c:
        c.set(BLOB_KEY, BLOB)
    pid = chaos_proxy.proc.pid
    idle_rss = rss(pid)
    sampler = RssSampler(pid)
    sampler.start()
    tally = Tally(upstream=chaos_valkey.url)
    tally.on_hang = lambda: chaos_proxy.signal(signal.SIGUSR1)  # the proxy logs what each client waits for
    workload = Workload(chaos_proxy.port, tally)
    workload.start()
    workload.started.wait(10)
    chaos = Chaos(chaos_valkey, chaos_proxy, chaos_proxy.port, tally)
    t0 = time.monotonic()
    try:
        chaos.run(seconds)
        time.sleep(2)  # recovery under load
    finally:
        workload.stop()
    elapsed = time.monotonic() - t0
    sampler.done.set()
    sampler.join()

    # Acknowledged means on disk: one more kill -9, then every acknowledged write is read back.
    chaos.restart_valkey()
    _wait_until_served(chaos_proxy.port)
    missing = verify_acknowledged(chaos_proxy.port, tally.acked)

    peak = max(sampler.peak, rss(pid, "VmHWM"))
    summary = "\n".join([
        f"{elapsed:.0f} s, {tally.replies} replies checked, {len(tally.acked)} acknowledged writes, "
        f"{tally.messages} pub/sub messages",
        "longest wait for a reply, by the fault that came last: "
        + ", ".join(f"{phase} {wait:.2f} s" for phase, wait in tally.max_wait.items()),
        f"errors by kind: {dict(tally.errors)}; connections closed by the proxy: {dict(tally.closes)}",
        f"proxy RSS: {idle_rss / 2**20:.1f} MB idle, peak {peak / 2**20:.1f} MB (bound {MEMORY_BOUND >> 20} MB)",
        *chaos.log,
    ])
    print("\n" + summary)
    assert not tally.hangs, summary + "\n" + "\n".join(tally.hangs[:20]) + "\n" + "\n".join(
        line for line in chaos_proxy.lines if "state:" in line or "ERROR" in line or "Traceback" in line
        or "Exception" in line or line.startswith(" "))
    assert not tally.unexpected, summary + "\n" + "\n".join(tally.unexpected)
    assert not missing, summary + f"\n{len(missing)} acknowledged writes missing:\n" + "\n".join(missing[:20])
    shared_closed = {k: v for k, v in tally.closes.items() if not k.endswith("(pinned)")}
    assert not shared_closed, summary + "\nclients on shared connections lost their connection"
    assert peak < MEMORY_BOUND, summary
    assert tally.max_wait.get("slow readers", 0.0) < SLOW_READER_WAIT_BOUND, summary
    # The faults happened and were felt.
    assert chaos.killed > 0 and chaos.cut > 0
    assert tally.errors["upstream connection lost"] > 0, summary
    assert len(tally.acked) > 1000 and tally.messages > 100, summary
    problems = [line for line in chaos_proxy.lines if "Traceback" in line or "internal error" in line]
    assert not problems, "\n".join(problems[:20])
    assert chaos_proxy.proc.poll() is None
