"""The core's support for blocking Tair commands: re-poll a function with backoff while it answers nil."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from tairproxy.dispatch import Call, Command, CommandTable
from tairproxy.modules import all_commands
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
