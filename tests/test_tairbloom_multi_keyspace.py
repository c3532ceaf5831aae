"""TairBloom inside MULTI/EXEC and pipelines (byte-exact), and native keyspace commands on bloom
keys (each one native string, so DEL/EXPIRE/RENAME/COPY/DUMP/SCAN need no proxy code).
"""

from __future__ import annotations

import time

import redis

from tairproxy.resp import encode_command
from tests.tairbloom_replies import (
    ERROR_RATE_RANGE,
    ITEM_EXISTS,
    NONSCALING_FULL,
    NOT_FOUND,
    OK,
    QUEUED,
    TYPE_NAME,
    WRONGTYPE,
    arity,
    bulk,
    i,
    ints,
)


def _encode(cmd: list[str]) -> bytes:
    return encode_command([c.encode() for c in cmd])


def test_multi_exec_byte_exact(raw):
    batch = [
        (["BF.RESERVE", "k", "0.01", "2", "NONSCALING"], OK),
        (["BF.RESERVE", "k", "2", "2"], ERROR_RATE_RANGE),  # an argument error: at its place in EXEC
        (["BF.ADD", "k"], arity("BF.ADD")),  # module arity: an EXEC-time error, no EXECABORT
        (["BF.ADD", "k", "a"], i(1)),
        (["BF.MADD", "k", "b"], ints(1)),
        (["BF.ADD", "k", "c"], NONSCALING_FULL),
        (["BF.MADD", "k", "a", "b"], NONSCALING_FULL),
        (["BF.EXISTS", "k", "b"], i(1)),
        (["BF.MEXISTS", "k", "a", "z"], ints(1, 0)),
        (["BF.CARD", "k"], i(2)),
        (["BF.INFO", "k", "EXPANSION"], b"$-1\r\n"),
        (["BF.INFO", "nokey"], NOT_FOUND),
        (["BF.INSERT", "new", "ITEMS", "x"], ints(1)),
        (["TFBFRESERVE", "new", "0.1"], ITEM_EXISTS),
        (["SET", "s", "1"], OK),
        (["BF.ADD", "s", "a"], WRONGTYPE),
        (["DEL", "new"], i(1)),
        (["BF.EXISTS", "new", "x"], i(0)),
        (["TYPE", "k"], TYPE_NAME),
    ]
    assert raw("MULTI") == OK
    for cmd, _ in batch:
        assert raw(*cmd) == QUEUED, cmd
    expected = b"*%d\r\n" % len(batch) + b"".join(reply for _, reply in batch)
    assert raw("EXEC") == expected


def test_pipelined_commands_keep_their_order(raw):
    cmds = [
        ["BF.ADD", "k", "a"], ["BF.ADD", "k"], ["PING"], ["BF.MADD", "k", "a", "b"],
        ["BF.RESERVE", "k", "x", "1"], ["BF.MEXISTS", "k", "a", "b", "c"], ["GET", "k2"],
        ["BF.CARD", "k"], ["MULTI"], ["BF.ADD", "k", "c"], ["EXEC"],
    ]
    raw.send_raw(b"".join(_encode(c) for c in cmds))
    assert [raw.read() for _ in cmds] == [
        i(1), arity("BF.ADD"), b"+PONG\r\n", ints(0, 1), b"-ERR bad error rate\r\n", ints(1, 1, 0),
        b"$-1\r\n", i(2), OK, QUEUED, b"*1\r\n" + i(1),
    ]


def test_redis_py_pipelines(r):
    pipe = r.pipeline(transaction=False)
    pipe.execute_command("BF.RESERVE", "k", "0.01", "100")
    pipe.execute_command("BF.MADD", "k", "a", "b")
    pipe.execute_command("BF.ADD", "k")
    pipe.execute_command("BF.INFO", "k", "ITEMS")
    results = pipe.execute(raise_on_error=False)
    assert results[:2] == [b"OK", [1, 1]]
    assert isinstance(results[2], redis.ResponseError)
    assert str(results[2]) == "wrong number of arguments for 'BF.ADD' command"
    assert results[3] == 2
    pipe = r.pipeline(transaction=True)
    pipe.execute_command("BF.ADD", "k", "c")
    pipe.execute_command("BF.MEXISTS", "k", "a", "c", "d")
    pipe.execute_command("BF.CARD", "k")
    assert pipe.execute() == [1, [1, 1, 0], 3]


def test_watch_a_bloom_key(raw, proxy):
    from tests.helpers import RawClient

    assert raw("BF.ADD", "k", "a") == i(1)
    assert raw("WATCH", "k") == OK
    other = RawClient(proxy.port)
    try:
        assert other("BF.ADD", "k", "b") == i(1)
    finally:
        other.close()
    assert raw("MULTI") == OK
    assert raw("BF.ADD", "k", "c") == QUEUED
    assert raw("EXEC") == b"*-1\r\n"
    assert raw("BF.CARD", "k") == i(2)


# ----------------------------------------------------------------- keyspace commands


def test_del_exists_type_scan(raw, r):
    assert raw("BF.ADD", "a", "1") == i(1)
    assert raw("BF.RESERVE", "b", "0.1", "10") == OK
    assert raw("SET", "c", "3") == OK
    assert raw("EXISTS", "a", "b", "c", "d") == i(3)
    assert raw("TYPE", "a") == TYPE_NAME
    assert raw("TYPE", "b") == TYPE_NAME
    assert raw("TYPE", "c") == b"+string\r\n"
    assert raw("TYPE", "d") == b"+none\r\n"
    assert sorted(r.scan_iter()) == [b"a", b"b", b"c"]
    assert sorted(r.scan_iter(_type="string")) == [b"c"]  # SCAN's TYPE agrees with TYPE
    assert sorted(r.scan_iter(_type="MBbloom--")) == [b"a", b"b"]
    assert raw("DEL", "a", "c") == i(2)
    assert raw("UNLINK", "b") == i(1)
    assert raw("BF.EXISTS", "a", "1") == i(0)
    assert raw("BF.INFO", "a") == NOT_FOUND
    assert raw("DBSIZE") == i(0)


def test_expire_ttl_persist(raw):
    assert raw("BF.ADD", "k", "a") == i(1)
    assert raw("TTL", "k") == i(-1)
    assert raw("EXPIRE", "k", "100") == i(1)
    assert raw("BF.MADD", "k", "b", "c") == ints(1, 1)  # adding keeps the TTL
    assert raw("TTL", "k") == i(100)
    assert raw("PERSIST", "k") == i(1)
    assert raw("TTL", "k") == i(-1)
    assert raw("PEXPIRE", "k", "30") == i(1)
    time.sleep(0.1)
    assert raw("EXISTS", "k") == i(0)
    assert raw("BF.EXISTS", "k", "a") == i(0)
    assert raw("BF.CARD", "k") == i(0)
    assert raw("BF.ADD", "k", "a") == i(1)  # a new filter
    assert raw("BF.CARD", "k") == i(1)


def test_scale_out_keeps_the_ttl(raw):
    assert raw("BF.RESERVE", "k", "0.01", "2") == OK
    assert raw("PEXPIRE", "k", "100000") == i(1)
    assert raw("BF.MADD", "k", *[f"x{n}" for n in range(20)]).startswith(b"*20\r\n")
    assert int(raw("BF.INFO", "k", "FILTERS")[1:-2]) >= 3
    assert 90000 < int(raw("PTTL", "k")[1:-2]) <= 100000


def test_rename_and_copy(raw):
    assert raw("BF.RESERVE", "k", "0.01", "10", "EXPANSION", "3") == OK
    assert raw("BF.MADD", "k", "a", "b") == ints(1, 1)
    assert raw("PEXPIRE", "k", "100000") == i(1)
    assert raw("RENAME", "k", "k2") == OK
    assert raw("BF.EXISTS", "k", "a") == i(0)
    assert raw("BF.MEXISTS", "k2", "a", "b", "c") == ints(1, 1, 0)
    assert int(raw("PTTL", "k2")[1:-2]) > 90000
    assert raw("COPY", "k2", "k3") == i(1)
    assert raw("BF.ADD", "k3", "c") == i(1)
    assert raw("BF.EXISTS", "k2", "c") == i(0)  # the copy is independent
    assert raw("BF.CARD", "k2") == i(2)
    assert raw("BF.CARD", "k3") == i(3)
    assert raw("BF.INFO", "k3", "EXPANSION") == i(3)
    assert raw("TYPE", "k3") == TYPE_NAME
    assert raw("SET", "plain", "x") == OK
    assert raw("COPY", "plain", "k3", "REPLACE") == i(1)
    assert raw("BF.ADD", "k3", "a") == WRONGTYPE


def test_dump_restore(raw, r):
    assert raw("BF.RESERVE", "k", "0.001", "5") == OK
    assert raw("BF.MADD", "k", *[f"x{n}" for n in range(30)]).startswith(b"*30\r\n")
    info = r.execute_command("BF.INFO", "k")
    payload = r.dump("k")
    assert raw("DEL", "k") == i(1)
    r.restore("k2", 0, payload)
    assert r.execute_command("BF.INFO", "k2") == info
    assert r.execute_command("BF.MEXISTS", "k2", *[f"x{n}" for n in range(30)]) == [1] * 30
    assert raw("TYPE", "k2") == TYPE_NAME
    assert raw("BF.INFO", "k2", "ERROR") == bulk("0.001")
