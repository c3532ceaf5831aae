"""The core's support for blocking Tair commands: re-poll a function with backoff while it answers nil."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import redis

from tairproxy.dispatch import Call, Command, CommandTable
from tairproxy.modules import all_commands
from tairproxy.resp import encode_command
from tests.helpers import ProxyThread, RawClient

TEST_LIBRARY = """#!lua name=tptest
server.register_function('tp_test_pop', function(keys) return server.call('LPOP', keys[1]) end)
"""


def _blocking_pop(args: list[bytes]) -> Call:
    return Call("tp_test_pop", [args[1]], [], block=float(args[2]))


@pytest.fixture
def blocking_proxy(valkey_url, direct):
    direct.function_load(TEST_LIBRARY, replace=True)
    table = CommandTable([*all_commands(), Command("TESTBPOP", 3, _blocking_pop)])
    p = ProxyThread(valkey_url, table=table).start()
    yield p
    p.stop()
    direct.function_delete("tptest")


def test_times_out_with_nil_after_the_timeout(blocking_proxy):
    c = RawClient(blocking_proxy.port)
    t0 = time.monotonic()
    assert c("TESTBPOP", "q", "0.3") == b"$-1\r\n"
    assert 0.29 <= time.monotonic() - t0 < 1.0


def test_wakes_up_when_data_arrives_and_keeps_reply_order(blocking_proxy, direct):
    c = RawClient(blocking_proxy.port)

    def push_later():
        time.sleep(0.25)
        direct.rpush("q", "job")

    threading.Thread(target=push_later).start()
    t0 = time.monotonic()
    c.send("TESTBPOP", "q", "5")
    c.send("PING")  # pipelined behind the blocking command: answered after it
    assert c.read() == b"$3\r\njob\r\n"
    assert c.read() == b"+PONG\r\n"
    assert 0.2 <= time.monotonic() - t0 < 1.5


def test_zero_timeout_waits_until_data(blocking_proxy, direct):
    client = redis.Redis(port=blocking_proxy.port)
    threading.Timer(0.3, lambda: direct.rpush("q0", "x")).start()
    assert client.execute_command("TESTBPOP", "q0", "0") == b"x"


def test_inside_multi_it_is_refused_at_exec_as_the_module_does(blocking_proxy):
    c = RawClient(blocking_proxy.port)
    assert c("MULTI") == b"+OK\r\n"
    assert c("TESTBPOP", "none", "5") == b"+QUEUED\r\n"
    assert c("SET", "after", "1") == b"+QUEUED\r\n"
    t0 = time.monotonic()
    assert c("EXEC") == b"*2\r\n-ERR Blocking module command called from transaction\r\n+OK\r\n"
    assert time.monotonic() - t0 < 0.5


def test_client_gone_while_blocked_leaves_proxy_healthy(blocking_proxy):
    c = RawClient(blocking_proxy.port)
    c.send("TESTBPOP", "gone", "2")
    time.sleep(0.1)
    c.close()
    other = RawClient(blocking_proxy.port)
    assert other("PING") == b"+PONG\r\n"


def test_blocked_clients_are_served_in_arrival_order(proxy, direct):
    """EXBZPOPMIN waiters on one key: the first to arrive gets the first element."""
    first, second = RawClient(proxy.port), RawClient(proxy.port)
    first.send("EXBZPOPMIN", "fifo", "5")
    time.sleep(0.05)
    second.send("EXBZPOPMIN", "fifo", "5")
    time.sleep(0.3)  # both wait; their polls back off
    writer = RawClient(proxy.port)
    t0 = time.monotonic()
    assert writer("EXZADD", "fifo", "1", "a") == b":1\r\n"
    assert first.read() == b"*3\r\n$4\r\nfifo\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert time.monotonic() - t0 < 0.05  # a write through the proxy wakes the waiter at once
    assert writer("EXZADD", "fifo", "2", "b") == b":1\r\n"
    assert second.read() == b"*3\r\n$4\r\nfifo\r\n$1\r\nb\r\n$1\r\n2\r\n"


def test_a_waiter_never_times_out_with_its_element_available(proxy, direct):
    """Written behind the proxy's back (straight to Valkey): polling finds it before the timeout."""
    waiter = RawClient(proxy.port)
    waiter.send("EXBZPOPMAX", "behind", "0.6")
    time.sleep(0.35)
    other = RawClient(proxy.port)
    assert other("EXZADD", "behind", "3", "c") == b":1\r\n"
    assert waiter.read() == b"*3\r\n$6\r\nbehind\r\n$1\r\nc\r\n$1\r\n3\r\n"


def test_a_blocked_clients_next_commands_wait_for_it(proxy, direct):
    """As in Valkey: commands pipelined behind a blocking call run after it is answered."""
    c = RawClient(proxy.port)
    c.send("EXBZPOPMIN", "later", "0.3")
    c.send("EXZADD", "later", "1", "x")  # would be popped if it ran first
    assert c.read() == b"$-1\r\n"
    assert c.read() == b":1\r\n"
    assert c("EXZCARD", "later") == b":1\r\n"


def test_timed_out_and_departed_waiters_hand_over(proxy, direct):
    gone = RawClient(proxy.port)
    gone.send("EXBZPOPMIN", "handover", "5")
    short = RawClient(proxy.port)
    short.send("EXBZPOPMIN", "handover", "0.2")
    time.sleep(0.05)
    last = RawClient(proxy.port)
    last.send("EXBZPOPMIN", "handover", "5")
    gone.close()
    assert short.read() == b"$-1\r\n"
    assert RawClient(proxy.port)("EXZADD", "handover", "1", "z") == b":1\r\n"
    assert last.read() == b"*3\r\n$8\r\nhandover\r\n$1\r\nz\r\n$1\r\n1\r\n"


def test_a_timed_out_waiter_leaves_nothing_behind(proxy, direct):
    """Its last poll answered nil at the deadline: no poll is left in flight for it (one used
    to be sent by its own completion, holding the client's next commands; the chaos test
    found it)."""
    c = RawClient(proxy.port)
    assert c("EXBZPOPMIN", "stray", "0.1") == b"$-1\r\n"
    time.sleep(0.05)
    assert c("EXZADD", "stray", "1", "kept") == b":1\r\n"
    time.sleep(0.1)
    assert c("EXZCARD", "stray") == b":1\r\n"
    assert all(s.inflight == 0 for s in proxy.server.ctx.sessions if s.client_id)


def test_a_write_retried_after_a_reload_reaches_its_own_blocked_pop(valkey_url, direct):
    """EXZADD k then EXBZPOPMIN k, pipelined, the EXZADD finding the library missing. While
    the EXZADD waits for its reload, the pop (promoted when an earlier waiter times out)
    polls the reloaded library and finds nothing; the reload ends while that poll is on the
    wire. Its nil must still let the EXZADD go again, so the pop gets its element (before,
    the EXZADD was held until the pop had timed out: the chaos test saw the pop answer nil
    and the element stay stored)."""
    p = ProxyThread(valkey_url).start()
    ctx = p.server.ctx
    original = ctx.library.ensure
    armed: dict[str, int] = {}

    async def ensure(force: bool = False) -> None:
        await original(force=force)
        if "client" not in armed:
            return
        # Finish only while the pop of that client has a poll on the wire (at most 3 s).
        for _ in range(3000):
            if any(s.client_id == armed["client"] and s.blocked is not None and s.blocked.polling and s.inflight
                   for s in ctx.sessions):
                return
            await asyncio.sleep(0.001)

    ctx.library.ensure = ensure
    try:
        direct.function_flush()
        first = RawClient(p.port)
        first.send("EXBZPOPMIN", "reloaded", "0.6")  # its first poll reloads the library
        time.sleep(0.1)
        direct.function_flush()
        a = RawClient(p.port)
        armed["client"] = int(a("CLIENT", "ID")[1:-2])
        a.send_raw(encode_command([b"EXZADD", b"reloaded", b"1", b"m"]) + encode_command([b"EXBZPOPMIN", b"reloaded", b"2"]))
        assert a.read() == b":1\r\n"
        assert a.read() == b"*3\r\n$8\r\nreloaded\r\n$1\r\nm\r\n$1\r\n1\r\n"
        assert first.read() in (b"$-1\r\n", b"-ERR Function not found\r\n")
    finally:
        p.stop()
