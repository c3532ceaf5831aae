"""A failure while handling one reply costs that client one error reply, never its connection,
and never misreports what ran: aborted transactions with reshaped Tair replies, and a reply
handler that raises, alone, pipelined and inside MULTI."""

from __future__ import annotations

import pytest
import redis

from tairproxy.dispatch import Call, Command, CommandTable
from tairproxy.modules import all_commands
from tests.helpers import ProxyThread, RawClient

# Every Tair command whose reply the proxy reshapes (parsed and re-encoded after Valkey answered).
RESHAPED = [
    ("GIS.GETALL", "{g}k"),
    ("GIS.GET", "{g}k", "a"),
    ("GIS.CONTAINS", "{g}k", "POLYGON ((0 0,10 0,10 10,0 10,0 0))"),
    ("GIS.WITHIN", "{g}k", "POLYGON ((0 0,10 0,10 10,0 10,0 0))"),
    ("GIS.INTERSECTS", "{g}k", "POLYGON ((0 0,10 0,10 10,0 10,0 0))"),
    ("GIS.SEARCH", "{g}k", "RADIUS", "1", "1", "100", "km"),
    ("COMMAND", "COUNT"),
]


def _abort_with(raw: RawClient, other: redis.Redis, *commands: tuple[str, ...]) -> None:
    assert raw("WATCH", "{g}k") == b"+OK\r\n"
    other.execute_command("GIS.ADD", "{g}k", "b", "POINT (2 2)")  # changes the WATCHed key
    assert raw("MULTI") == b"+OK\r\n"
    for cmd in commands:
        assert raw(*cmd) == b"+QUEUED\r\n"


@pytest.mark.parametrize("command", RESHAPED, ids=[c[0] for c in RESHAPED])
def test_aborted_exec_with_a_reshaped_reply_keeps_the_connection(raw, r, command):
    r.execute_command("GIS.ADD", "{g}k", "a", "POINT (1 1)")
    _abort_with(raw, r, command)
    assert raw("EXEC") == b"*-1\r\n"
    assert raw("PING") == b"+PONG\r\n"
    # The next transaction on the same connection runs.
    assert raw("MULTI") == b"+OK\r\n"
    assert raw(*command) == b"+QUEUED\r\n"
    reply = raw("EXEC")
    assert reply.startswith(b"*1\r\n") and b"internal error" not in reply


def test_aborted_exec_with_every_reshaped_reply_at_once_in_resp3(proxy, r):
    raw = RawClient(proxy.port)
    assert raw("HELLO", "3").startswith(b"%")
    r.execute_command("GIS.ADD", "{g}k", "a", "POINT (1 1)")
    _abort_with(raw, r, *RESHAPED)
    assert raw("EXEC") == b"_\r\n"
    assert raw("PING") == b"+PONG\r\n"
    raw.close()


def test_redis_py_transaction_helper_retries_until_it_commits(r, proxy):
    r.execute_command("GIS.ADD", "{g}k", "a", "POINT (1 1)")
    other = redis.Redis(port=proxy.port)
    attempts = []

    def body(pipe: redis.client.Pipeline) -> None:
        pipe.execute_command("GIS.GET", "{g}k", "a")  # immediate mode after WATCH
        if not attempts:
            other.execute_command("GIS.ADD", "{g}k", "c", "POINT (3 3)")
        attempts.append(1)
        pipe.multi()
        pipe.execute_command("GIS.GETALL", "{g}k", "WITHOUTWKT")
        pipe.execute_command("GIS.WITHIN", "{g}k", "POLYGON ((0 0,10 0,10 10,0 10,0 0))", "WITHOUTWKT")

    result = r.transaction(body, "{g}k")
    assert len(attempts) == 2  # the first EXEC was aborted, the helper retried on the same connection
    assert result[0] == [b"a", b"c"]
    assert result[1][0] == 2
    other.close()


def _broken_reply(value: object) -> object:
    raise ValueError("math domain error")


def _table_with_a_broken_reshaper() -> CommandTable:
    def handler(args: list[bytes]) -> Call:
        return Call("tp_version", [], [], readonly=True, transform=_broken_reply)

    return CommandTable([*all_commands(), Command("TESTBROKENREPLY", -1, handler, first_key=0, last_key=0)])


@pytest.fixture
def broken_proxy(valkey_url, direct):
    p = ProxyThread(valkey_url, table=_table_with_a_broken_reshaper()).start()
    yield p
    p.stop()


ERROR = b"-ERR tairproxy internal error while handling the reply (see the proxy log)\r\n"


def test_a_failing_reply_handler_answers_one_error(broken_proxy):
    c = RawClient(broken_proxy.port)
    assert c("TESTBROKENREPLY") == ERROR
    assert c("PING") == b"+PONG\r\n"
    other = RawClient(broken_proxy.port)
    assert other("PING") == b"+PONG\r\n"


def test_pipelined_neighbours_of_a_failing_reply_get_their_own_replies(broken_proxy):
    c = RawClient(broken_proxy.port)
    c.send_raw(
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n"
        b"*1\r\n$15\r\nTESTBROKENREPLY\r\n"
        b"*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n"
        b"*2\r\n$3\r\nGET\r\n$1\r\nx\r\n"
    )
    assert [c.read() for _ in range(4)] == [b"+OK\r\n", ERROR, b":2\r\n", b"$1\r\n2\r\n"]


def test_a_failing_reply_inside_exec_is_one_element(broken_proxy):
    c = RawClient(broken_proxy.port)
    assert c("MULTI") == b"+OK\r\n"
    assert c("SET", "x", "1") == b"+QUEUED\r\n"
    assert c("TESTBROKENREPLY") == b"+QUEUED\r\n"
    assert c("INCR", "x") == b"+QUEUED\r\n"
    assert c("EXEC") == b"*3\r\n+OK\r\n" + ERROR + b":2\r\n"
    assert c("GET", "x") == b"$1\r\n2\r\n"
