"""What Valkey answers a client that has not authenticated, for Tair commands too; request
size limits; the client capacity."""

from __future__ import annotations

import pytest
import redis

from tairproxy.context import Limits
from tairproxy.embedded import EmbeddedValkey
from tairproxy.modules import tair_commands
from tests.helpers import ProxyThread, RawClient

NOAUTH = b"-NOAUTH Authentication required.\r\n"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    server = EmbeddedValkey(tmp_path_factory.mktemp("secured"), extra=["--requirepass", "s3cret"])
    server.start()
    url = server.url.replace("redis://", "redis://:s3cret@")
    p = ProxyThread(url).start()
    yield p
    p.stop()
    server.stop()


def test_every_tair_command_answers_noauth_and_keeps_the_connection(secured):
    c = RawClient(secured.port)
    for cmd in tair_commands():
        assert c(cmd.name, "k", "1", "2") == NOAUTH, cmd.name
    assert c("GET", "k") == NOAUTH  # Valkey's own answer
    assert c("AUTH", "s3cret") == b"+OK\r\n"
    assert c("EXSET", "k", "v") == b"+OK\r\n"
    assert c("EXGET", "k") == b"*2\r\n$1\r\nv\r\n:1\r\n"


def test_hello_with_auth_authenticates(secured):
    c = RawClient(secured.port)
    assert c("EXGET", "k") == NOAUTH
    assert c("HELLO", "2", "AUTH", "default", "s3cret").startswith(b"*")
    assert c("EXSET", "h", "v") == b"+OK\r\n"


def test_unauthenticated_size_limits_are_valkeys(secured):
    c = RawClient(secured.port)
    c.send("EXHMSET", "h", *([b"f", b"v"] * 5))  # 12 arguments
    assert c.read() == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    assert c.closed()
    c = RawClient(secured.port)
    c.send("EXSET", "k", b"x" * 16385)
    assert c.read() == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    assert c.closed()
    c = RawClient(secured.port)
    c.send("MSET", *([b"k", b"v"] * 6))  # pass-through: Valkey judges it itself
    assert c.read() == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    assert c.closed()


def test_redis_py_with_a_password_works(secured):
    client = redis.Redis(port=secured.port, password="s3cret")
    assert client.execute_command("EXSET", "rp", "v") == b"OK"
    assert client.get("missing") is None


def test_max_bulk_len_holds_for_complete_commands(valkey_url, direct):
    p = ProxyThread(valkey_url, max_bulk=10).start()
    try:
        c = RawClient(p.port)
        c.send("SET", "k", "x" * 20)  # arrives whole, in one read
        assert c.read() == b"-ERR Protocol error: invalid bulk length\r\n"
        assert c.closed()
        assert direct.get("k") is None
        ok = RawClient(p.port)
        assert ok("SET", "k", "x" * 10) == b"+OK\r\n"
        ok.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$11\r\nxxxxxxxxxxx\r\n*1\r\n$4\r\nPING\r\n")
        assert ok.read() == b"-ERR Protocol error: invalid bulk length\r\n"
    finally:
        p.stop()


def test_clients_over_capacity_get_valkeys_error(valkey_url, direct):
    p = ProxyThread(valkey_url, limits=Limits(max_clients=4)).start()
    try:
        clients = [RawClient(p.port) for _ in range(4)]
        assert all(c("PING") == b"+PONG\r\n" for c in clients)
        extra = RawClient(p.port)
        assert extra.read() == b"-ERR max number of clients reached\r\n"
        assert extra.closed()
        # A pinned client holds two descriptors: it counts twice.
        assert clients[0]("SELECT", "1") == b"+OK\r\n"
        clients[1].close()
        clients[2].close()
        import time

        time.sleep(0.2)
        assert RawClient(p.port)("PING") == b"+PONG\r\n"
    finally:
        p.stop()
