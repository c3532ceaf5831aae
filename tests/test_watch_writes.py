"""A Tair write that changes nothing still counts as a write for another client's WATCH.

The modules open the key of a write command for writing before anything else, and Valkey
treats closing such a key as a change (RM_CloseKey signals it): a failed write, an NX that
finds the member, a version mismatch or a removal of nothing aborts a transaction that
WATCHes the key. Argument errors the module reports before opening the key do not. The
proxy's read commands are read-only functions (they run on replicas) and never abort one,
although TairHash opens some reads for writing (documented in the README).
"""

from __future__ import annotations

import pytest

from tests.helpers import RawClient
from tests.replies import OK, QUEUED, arr

NIL_ARRAY = b"*-1\r\n"


@pytest.fixture
def other(proxy):
    client = RawClient(proxy.port)
    yield client
    client.close()


def transaction_aborted(raw, other, key: str, *command: str | bytes) -> bool:
    """WATCH key, let another client run `command`, then MULTI/PING/EXEC: did EXEC abort?"""
    assert raw("WATCH", key) == OK
    other(*command)
    assert raw("MULTI") == OK
    assert raw("PING") == QUEUED
    reply = raw("EXEC")
    assert reply in (NIL_ARRAY, arr(b"+PONG\r\n")), reply
    return reply == NIL_ARRAY


NO_OP_WRITES = [
    # TairString
    ("s", ["EXSET", "s", "v", "VER", "999"]),          # stale version
    ("s", ["EXSET", "s", "v", "NX"]),                  # exists
    ("missing", ["EXSET", "missing", "v", "XX"]),      # no key: nothing written
    ("s", ["EXINCRBYFLOAT", "s", "1"]),                # not a float
    ("s", ["EXINCRBY", "s", "x"]),                     # deferred argument error
    ("s", ["EXCAS", "s", "w", "999"]),                 # version mismatch
    ("s", ["EXCAD", "s", "999"]),
    ("missing", ["EXCAD", "missing", "1"]),
    ("s", ["EXAPPEND", "s", "x", "NX"]),
    ("p", ["CAS", "p", "other", "new"]),               # plain string, value mismatch
    ("h", ["EXSET", "h", "v"]),                        # WRONGTYPE (a TairHash)
    # TairHash
    ("h", ["EXHPERSIST", "h", "f"]),                   # a field without TTL
    ("h", ["EXHSET", "h", "f", "v", "NX"]),
    ("h", ["EXHDEL", "h", "nosuch"]),
    ("missing", ["EXHDEL", "missing", "f"]),
    ("h", ["EXHINCRBY", "h", "f", "1"]),               # not an integer
    ("h", ["EXHSETVER", "h", "nosuch", "5"]),
    ("h", ["EXHPEXPIRE", "h", "nosuch", "100"]),
    ("h", ["EXHSET", "h", "f", "v", "VER", "99"]),
    # TairZset
    ("z", ["EXZADD", "z", "NX", "9", "a"]),
    ("z", ["EXZADD", "z", "1", "a"]),                  # same score
    ("missing", ["EXZADD", "missing", "XX", "1", "a"]),
    ("z", ["EXZREM", "z", "nosuch"]),
    ("z", ["EXZREMRANGEBYSCORE", "z", "5", "9"]),
    ("z", ["EXZREMRANGEBYRANK", "z", "9", "10"]),
    ("z", ["EXZREMRANGEBYLEX", "z", "[x", "[y"]),
    ("z", ["EXZPOPMIN", "z", "0"]),
    ("missing", ["EXZPOPMAX", "missing"]),
    ("missing", ["EXZUNIONSTORE", "missing", "1", "nosuch"]),  # empty result, nothing stored
    ("z", ["EXZUNIONSTORE", "z", "1", "z", "WEIGHTS", "0x10"]),  # option error after the keys
    ("z", ["EXZUNIONSTORE", "z", "0", "z"]),           # numkeys error, after opening the destination
    # TairBloom (valkey-bloom opens the key for writing too)
    ("b", ["BF.ADD", "b", "x"]),                       # already there
    ("b", ["BF.MADD", "b", "x", "x"]),
    ("b", ["BF.RESERVE", "b", "0.01", "100"]),         # item exists
    ("missing", ["BF.INSERT", "missing", "NOCREATE", "ITEMS", "x"]),
]


@pytest.mark.parametrize(("key", "command"), NO_OP_WRITES, ids=[" ".join(c) for _, c in NO_OP_WRITES])
def test_a_write_that_changes_nothing_aborts_watch(raw, other, key, command):
    raw("EXSET", "s", "v1")
    raw("SET", "p", "v")
    raw("EXHSET", "h", "f", "v")
    raw("EXZADD", "z", "1", "a", "2", "b")
    raw("BF.ADD", "b", "x")
    ttl_before = raw("PTTL", key)
    assert transaction_aborted(raw, other, key, *command)
    assert raw("PTTL", key) == ttl_before  # the signal leaves the key as it was


def test_the_touch_keeps_value_and_ttl(raw, other, direct):
    raw("EXHSET", "h", "f", "v")
    raw("PEXPIRE", "h", "500000")
    at = direct.execute_command("PEXPIRETIME", "h")
    before = direct.hgetall("h")
    assert transaction_aborted(raw, other, "h", "EXHPERSIST", "h", "f")
    assert direct.execute_command("PEXPIRETIME", "h") == at and direct.hgetall("h") == before
    assert transaction_aborted(raw, other, "missing", "EXZREM", "missing", "a")
    assert direct.exists("missing") == 0


@pytest.mark.parametrize("command", [
    ["EXGET", "s"], ["GET", "unrelated"], ["EXSET", "s", "v", "PX", "-1"],  # syntax: before the key
    ["EXHGET", "h", "f"], ["EXZRANGE", "z", "0", "-1"], ["EXZSCORE", "z", "a"],
    ["EXZADD", "z", "x", "a"],  # a score error comes before the module opens the key
])
def test_reads_and_early_argument_errors_do_not(raw, other, command):
    raw("EXSET", "s", "v1")
    raw("EXHSET", "h", "f", "v")
    raw("EXZADD", "z", "1", "a")
    assert not transaction_aborted(raw, other, command[1], *command)


def test_through_redis_py_transaction(proxy, direct):
    import redis

    client = redis.Redis(port=proxy.port)
    other = redis.Redis(port=proxy.port)
    client.execute_command("EXHSET", "h", "f", "v")
    attempts = []

    def body(pipe):
        pipe.execute_command("EXHGET", "h", "f")
        if not attempts:
            other.execute_command("EXHPERSIST", "h", "f")  # changes nothing, still a write
        attempts.append(1)
        pipe.multi()
        pipe.execute_command("EXHGET", "h", "f")

    assert client.transaction(body, "h") == [b"v"]
    assert len(attempts) == 2
    client.close()
    other.close()
