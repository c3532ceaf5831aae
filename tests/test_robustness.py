"""Bad input, upstream failures and load: the proxy answers clearly and stays up."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import redis

from tairproxy.embedded import EmbeddedValkey, free_port
from tairproxy.resp import encode_command
from tairproxy.session import RETRY_OVERTAKEN
from tests.helpers import ProxyThread, RawClient


@pytest.fixture
def own_valkey(tmp_path):
    """A Valkey this test may kill and restart."""
    server = EmbeddedValkey(tmp_path / "data")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_proxy(own_valkey):
    p = ProxyThread(own_valkey.url).start()
    yield p
    p.stop()


def test_malformed_resp_closes_only_that_connection(proxy, r):
    bad = RawClient(proxy.port)
    good = RawClient(proxy.port)
    bad.send_raw(b"*2\r\n$3\r\nGET\r\n:12\r\n")
    assert bad.read() == b"-ERR Protocol error: expected '$', got ':'\r\n"
    assert bad.closed()
    assert good("PING") == b"+PONG\r\n"
    assert r.ping()


def test_commands_before_a_protocol_error_are_answered_first(proxy, direct):
    c = RawClient(proxy.port)
    c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$3\r\nGET\r\n*x\r\n")
    assert c.read() == b"+OK\r\n"
    assert c.read() == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert c.read() == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert c.closed()


def test_bulk_length_over_limit(valkey_url, direct):
    p = ProxyThread(valkey_url, max_bulk=1024).start()
    try:
        c = RawClient(p.port)
        c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2048\r\n")
        assert c.read() == b"-ERR Protocol error: invalid bulk length\r\n"
        assert c.closed()
        ok = RawClient(p.port)
        assert ok("SET", "k", "x" * 1000) == b"+OK\r\n"
    finally:
        p.stop()


def test_unbalanced_inline_quotes(proxy):
    c = RawClient(proxy.port)
    c.send_raw(b'SET k "abc\r\n')
    assert c.read() == b"-ERR Protocol error: unbalanced quotes in request\r\n"
    assert c.closed()


def test_upstream_unreachable_gives_prompt_error(direct):
    dead = f"redis://127.0.0.1:{free_port()}"
    p = ProxyThread(dead, check=False).start()
    try:
        c = redis.Redis(port=p.port, socket_timeout=10)
        assert c.ping()  # answered by the proxy itself
        t0 = time.monotonic()
        with pytest.raises(redis.exceptions.RedisError) as info:
            c.get("k")
        assert time.monotonic() - t0 < 5
        assert "unavailable" in str(info.value) or isinstance(info.value, redis.ConnectionError)
    finally:
        p.stop()


def test_startup_check_names_unreachable_upstream():
    from tairproxy.server import UpstreamUnsuitable

    with pytest.raises(Exception) as info:
        ProxyThread(f"redis://127.0.0.1:{free_port()}").start()
    assert isinstance(info.value, UpstreamUnsuitable)
    assert "cannot connect to upstream" in str(info.value)


def test_valkey_killed_mid_load_then_restarted(own_valkey, own_proxy):
    errors: list[float] = []
    stop = threading.Event()

    def writer(n: int) -> None:
        c = redis.Redis(port=own_proxy.port, socket_timeout=5)
        i = 0
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                c.set(f"w{n}:{i}", i)
            except redis.RedisError:
                errors.append(time.monotonic() - t0)
                time.sleep(0.05)
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    own_valkey.process.kill()
    own_valkey.process.wait()
    time.sleep(1.0)
    assert errors, "clients saw no error while Valkey was down"
    assert max(errors) < 5, "a client hung instead of failing promptly"
    own_valkey.start()
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(10)
    c = redis.Redis(port=own_proxy.port)
    assert c.set("after", "restart")
    assert c.type("after") == b"string"  # TYPE runs through the Lua library


def test_library_reloaded_after_function_flush(own_valkey, own_proxy):
    direct = redis.Redis.from_url(own_valkey.url)
    c = redis.Redis(port=own_proxy.port)
    c.set("k", "v")
    assert c.type("k") == b"string"
    direct.execute_command("FUNCTION", "FLUSH")
    # Several Tair commands in one pipeline all see the reload and run again, in order.
    pipe = c.pipeline(transaction=False)
    pipe.type("k").execute_command("EXSET", "t", "x").execute_command("EXGET", "t").type("t")
    assert pipe.execute() == [b"string", b"OK", [b"x", 1], b"exstrtype"]
    assert direct.execute_command("FUNCTION", "LIST", "LIBRARYNAME", "tairproxy")


def test_a_call_retried_after_a_reload_never_runs_after_later_commands(own_valkey, own_proxy):
    """A Tair call that found the library missing is sent again only if nothing the client
    sent after it has run meanwhile: resent, it would run after those, out of order (here
    EXSET would recreate the key that the DEL after it was meant to delete)."""
    direct = redis.Redis.from_url(own_valkey.url)
    c = RawClient(own_proxy.port)
    direct.execute_command("FUNCTION", "FLUSH")
    c.send_raw(encode_command([b"EXSET", b"k", b"v"]) + encode_command([b"DEL", b"k"])
               + encode_command([b"EXISTS", b"k"]))
    assert [c.read() for _ in range(3)] == [RETRY_OVERTAKEN, b":0\r\n", b":0\r\n"]
    assert direct.exists("k") == 0
    # Calls that all found the library missing are all sent again, in order.
    direct.execute_command("FUNCTION", "FLUSH")
    c.send_raw(encode_command([b"EXSET", b"k", b"1"]) + encode_command([b"EXGET", b"k"])
               + encode_command([b"EXSET", b"k", b"2"]))
    assert [c.read() for _ in range(3)] == [b"+OK\r\n", b"*2\r\n$1\r\n1\r\n:1\r\n", b"+OK\r\n"]


def test_thousand_concurrent_connections(proxy, direct):
    socks = []
    try:
        for _ in range(1000):
            socks.append(socket.create_connection(("127.0.0.1", proxy.port), timeout=30))
        for i, s in enumerate(socks):
            key = b"conn%d" % i
            s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\n1\r\n" % (len(key), key))
        for s in socks:
            assert s.recv(16) == b"+OK\r\n"
        assert direct.dbsize() == 1000
    finally:
        for s in socks:
            s.close()


def test_slow_reader_on_a_shared_connection_is_cut_at_its_output_limit(valkey_url, direct):
    """A client that never reads cannot stall the clients sharing its upstream connection:
    its replies are buffered up to the limit, then it is disconnected (as Valkey's
    client-output-buffer-limit does)."""
    from tairproxy.context import Limits

    p = ProxyThread(valkey_url, limits=Limits(client_output=16 * 1024 * 1024)).start()
    try:
        direct.set("blob", b"y" * (4 * 1024 * 1024))
        slow = socket.socket()
        # A small receive window set before connecting: the kernel holds little, the rest
        # is the proxy's to hold or refuse.
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", p.port))
        slow.sendall(b"*2\r\n$3\r\nGET\r\n$4\r\nblob\r\n" * 50)  # 200 MB of replies it never reads
        fast = redis.Redis(port=p.port, socket_timeout=5)
        t0 = time.monotonic()
        for i in range(100):
            assert fast.set("k", i) and fast.get("k") == str(i).encode()
        assert time.monotonic() - t0 < 5
        deadline = time.monotonic() + 10
        while len(p.server.ctx.sessions) > 1:
            assert time.monotonic() < deadline, "the slow client was never cut"
            time.sleep(0.05)
        assert fast.get("blob") == b"y" * (4 * 1024 * 1024)
        slow.close()
    finally:
        p.stop()


def test_slow_reader_on_a_pinned_connection_is_flow_controlled(proxy, direct):
    """A pinned session has its own upstream: the proxy pauses it instead of buffering."""
    direct.set("blob", b"y" * (4 * 1024 * 1024))
    slow = RawClient(proxy.port)
    assert slow("SELECT", "0") == b"+OK\r\n"
    assert slow("CLIENT", "NO-EVICT", "off") == b"+OK\r\n"  # pins the session
    for _ in range(50):
        slow.send("GET", "blob")  # 200 MB of replies the client does not read yet
    fast = redis.Redis(port=proxy.port, socket_timeout=5)
    t0 = time.monotonic()
    for _ in range(100):
        assert fast.get("blob")
    assert time.monotonic() - t0 < 5
    time.sleep(0.5)
    buffered = max(s.transport.get_write_buffer_size() for s in proxy.server.ctx.sessions)
    assert buffered < 32 * 1024 * 1024
    for _ in range(50):
        assert len(slow.read()) > 4 * 1024 * 1024


def test_library_flushed_before_a_transaction(own_valkey, own_proxy):
    direct = redis.Redis.from_url(own_valkey.url)
    c = RawClient(own_proxy.port)
    direct.execute_command("FUNCTION", "FLUSH")
    assert c("MULTI") == b"+OK\r\n"
    assert c("EXSET", "k", "v") == b"+QUEUED\r\n"
    # The transaction ran without the library: that command reports it, once.
    assert c("EXEC") == b"*1\r\n-ERR Function not found\r\n"
    deadline = time.monotonic() + 5
    while not direct.execute_command("FUNCTION", "LIST", "LIBRARYNAME", "tairproxy"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert c("MULTI") == b"+OK\r\n"
    assert c("EXSET", "k", "v") == b"+QUEUED\r\n"
    assert c("EXEC") == b"*1\r\n+OK\r\n"


def test_a_failing_handler_answers_an_error_and_keeps_the_connection(valkey_url, direct):
    from tairproxy.dispatch import Command, CommandTable
    from tairproxy.modules import all_commands

    def broken(args):
        raise RuntimeError("bug")

    table = CommandTable([*all_commands(), Command("TESTBROKEN", -1, broken)])
    p = ProxyThread(valkey_url, table=table).start()
    try:
        c = RawClient(p.port)
        assert c("TESTBROKEN") == b"-ERR tairproxy internal error in TESTBROKEN (see the proxy log)\r\n"
        assert c("PING") == b"+PONG\r\n"
    finally:
        p.stop()


@pytest.mark.parametrize("frame, error", [
    (b"*2\r\n$03\r\nGET\r\n$1\r\na\r\n", b"invalid bulk length"),
    (b"*02\r\n$3\r\nGET\r\n$1\r\na\r\n", b"invalid multibulk length"),
    (b"*2\r\n$+3\r\nGET\r\n$1\r\na\r\n", b"invalid bulk length"),
    (b"*2\r\n$3 \r\nGET\r\n$1\r\na\r\n", b"invalid bulk length"),
])
def test_lengths_are_read_as_strictly_as_valkey_reads_them(proxy, frame, error):
    """A length with a leading zero, a sign or a space never reaches a shared connection."""
    c = RawClient(proxy.port)
    assert c("SET", "k", "v") == b"+OK\r\n"
    c.send_raw(frame)
    assert c.read() == b"-ERR Protocol error: " + error + b"\r\n"
    assert c.closed()
    assert RawClient(proxy.port)("GET", "k") == b"$1\r\nv\r\n"
