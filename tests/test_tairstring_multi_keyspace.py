"""TairString inside MULTI/EXEC and pipelines (byte-exact), and native keyspace commands on
TairString keys (each one native key, so DEL/EXPIRE/RENAME/COPY/DUMP/SCAN need no proxy code).
"""

from __future__ import annotations

import redis

from tests.helpers import RawClient
from tests.tairstring_replies import (
    INT64_MAX,
    INT64_MIN,
    NIL,
    NOT_INT,
    OK,
    STALE,
    SYNTAX,
    WRONGTYPE,
    arity,
    bulk,
    cas_failed,
    cas_ok,
    exget,
    i,
    incr_ver,
)

QUEUED = b"+QUEUED\r\n"


def test_multi_exec_byte_exact(raw):
    batch = [
        (["EXSET", "k", "v", "WITHVERSION"], i(1)),
        (["EXSET", "k", "v", "bogus"], SYNTAX),  # an argument error: at its place in EXEC
        (["EXSET", "k"], arity("exset")),  # module arity: an EXEC-time error, no EXECABORT
        (["EXGET", "k", "WITHFLAGS", "x"], arity("exget")),
        (["EXGET", "k", "WITHFLAGS"], exget("v", 1, 0)),
        (["EXCAS", "k", "w", "1"], cas_ok(2)),
        (["EXCAS", "k", "x", "1"], cas_failed("w", 2)),
        (["EXCAS", "missing", "x", "1"], i(-1)),
        (["EXINCRBY", "k", "1"], NOT_INT),
        (["EXSET", "k", "z", "VER", "1"], STALE),
        (["SET", "s", "1"], OK),
        (["EXGET", "s"], WRONGTYPE),
        (["GET", "k"], WRONGTYPE),
        (["EXSET", "big", "v", "ABS", str(INT64_MAX), "WITHVERSION"], i(INT64_MAX)),
        (["EXINCRBY", "big", "1", "WITHVERSION"], NOT_INT),
        (["EXSET", "big", "7", "WITHVERSION"], i(INT64_MIN)),
        (["EXINCRBY", "big", "1", "WITHVERSION"], incr_ver(8, INT64_MIN + 1)),
        (["EXGET", "big"], exget("8", INT64_MIN + 1)),
        (["EXGET", "missing"], NIL),
        (["EXSET", "missing", "v", "XX"], NIL),
        (["EXINCRBYFLOAT", "f", "10.1"], bulk("10.1")),
        (["EXAPPEND", "k", "!"], i(3)),
        (["EXPREPEND", "k", "<", "NX"], NIL),
        (["EXGAE", "k", "EX", "100"], exget("w!", 3, 0)),
        (["EXSETVER", "k", "0"], SYNTAX),
        (["EXCAD", "k", "3"], i(1)),
        (["CAS", "s", "1", "2"], i(1)),
        (["CAD", "s", "2"], i(1)),
        (["TYPE", "big"], b"+exstrtype\r\n"),
    ]
    assert raw("MULTI") == OK
    for cmd, _ in batch:
        assert raw(*cmd) == QUEUED, cmd
    expected = b"*%d\r\n" % len(batch) + b"".join(reply for _, reply in batch)
    assert raw("EXEC") == expected


def test_multi_pipelined_in_one_write(raw):
    cmds = [["MULTI"], ["EXSET", "k", "v"], ["EXSET", "k"], ["EXINCRBY", "n", "5", "WITHVERSION"], ["EXEC"]]
    raw.send_raw(b"".join(_encode(c) for c in cmds))
    assert [raw.read() for _ in cmds] == [
        OK, QUEUED, QUEUED, QUEUED, b"*3\r\n" + OK + arity("exset") + incr_ver(5, 1),
    ]


def test_multi_queue_time_errors_abort(raw):
    """TYPE is a native command: a bad arity is a queue-time error and EXEC aborts."""
    assert raw("MULTI") == OK
    assert raw("EXSET", "k", "v") == QUEUED
    assert raw("TYPE") == arity("type")
    assert raw("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    assert raw("EXISTS", "k") == i(0)


def test_multi_discard_and_watch(raw, proxy):
    assert raw("MULTI") == OK
    assert raw("EXSET", "k", "v") == QUEUED
    assert raw("DISCARD") == OK
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXSET", "k", "v") == OK
    assert raw("WATCH", "k") == OK
    other = RawClient(proxy.port)
    try:
        assert other("EXSET", "k", "changed") == OK
    finally:
        other.close()
    assert raw("MULTI") == OK
    assert raw("EXSET", "k", "mine") == QUEUED
    assert raw("EXEC") == b"*-1\r\n"
    assert raw("EXGET", "k") == exget("changed", 2)


def test_pipeline_without_multi_keeps_order(raw):
    cmds = [
        ["EXSET", "k", "v"],
        ["EXSET", "k"],  # answered by the proxy itself
        ["PING"],
        ["EXGET", "k"],
        ["EXSET", "k", "v", "bogus"],
        ["EXINCRBY", "k", "1"],
        ["GET", "k"],
        ["EXSET", "k", "w", "ABS", str(INT64_MAX), "WITHVERSION"],
        ["EXAPPEND", "k", "x"],
        ["EXCAS", "k", "y", str(INT64_MAX)],
        ["EXGET", "k"],
    ]
    raw.send_raw(b"".join(_encode(c) for c in cmds))
    assert [raw.read() for _ in cmds] == [
        OK, arity("exset"), b"+PONG\r\n", exget("v", 1), SYNTAX, NOT_INT, WRONGTYPE, i(INT64_MAX),
        i(INT64_MIN), cas_failed("wx", INT64_MIN), exget("wx", INT64_MIN),
    ]


def test_redis_py_pipelines(r):
    pipe = r.pipeline(transaction=False)
    pipe.execute_command("EXSET", "k", "v", "WITHVERSION")
    pipe.execute_command("EXSET", "k")
    pipe.execute_command("EXGET", "k")
    pipe.execute_command("EXINCRBY", "n", "-3", "WITHVERSION")
    results = pipe.execute(raise_on_error=False)
    assert results[0] == 1
    assert isinstance(results[1], redis.ResponseError)
    assert str(results[1]) == "wrong number of arguments for 'exset' command"
    assert results[2:] == [[b"v", 1], [-3, 1]]
    pipe = r.pipeline(transaction=True)
    pipe.execute_command("EXCAS", "k", "w", "1")
    pipe.execute_command("EXGAE", "k", "PX", "100000")
    pipe.execute_command("EXCAD", "k", "2")
    assert pipe.execute() == [[b"OK", b"", 2], [b"w", 2, 0], 1]


# ----------------------------------------------------------------- keyspace commands


def test_del_exists_type_scan(raw, r):
    assert raw("EXSET", "a", "1") == OK
    assert raw("EXSET", "b", "2") == OK
    assert raw("SET", "c", "3") == OK
    assert raw("EXISTS", "a", "b", "c", "d") == i(3)
    assert raw("TYPE", "a") == b"+exstrtype\r\n"
    assert raw("TYPE", "c") == b"+string\r\n"
    assert raw("TYPE", "d") == b"+none\r\n"
    assert sorted(r.scan_iter()) == [b"a", b"b", b"c"]
    assert sorted(r.scan_iter(match="[ab]")) == [b"a", b"b"]
    assert raw("DEL", "a", "c") == i(2)
    assert raw("UNLINK", "b") == i(1)
    assert raw("EXGET", "a") == NIL
    assert raw("DBSIZE") == i(0)


def test_expire_ttl_persist(raw):
    assert raw("EXSET", "k", "v") == OK
    assert raw("TTL", "k") == i(-1)
    assert raw("EXPIRE", "k", "100") == i(1)
    assert raw("TTL", "k") == i(100)
    assert raw("EXGET", "k") == exget("v", 1)
    assert raw("PERSIST", "k") == i(1)
    assert raw("TTL", "k") == i(-1)
    assert raw("PEXPIRE", "k", "50") == i(1)
    import time

    time.sleep(0.2)
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXGET", "k") == NIL
    assert raw("TTL", "k") == i(-2)


def test_rename_and_copy(raw):
    assert raw("EXSET", "k", "v", "FLAGS", "4", "ABS", "9", "PX", "100000") == OK
    assert raw("RENAME", "k", "k2") == OK
    assert raw("EXGET", "k") == NIL
    assert raw("EXGET", "k2", "WITHFLAGS") == exget("v", 9, 4)
    assert int(raw("PTTL", "k2")[1:-2]) > 90000
    assert raw("RENAMENX", "k2", "k2") == i(0)
    assert raw("COPY", "k2", "k3") == i(1)
    assert raw("EXSET", "k3", "changed", "WITHVERSION") == i(10)
    assert raw("EXGET", "k2") == exget("v", 9)
    assert raw("EXGET", "k3", "WITHFLAGS") == exget("changed", 10, 4)
    assert raw("TYPE", "k3") == b"+exstrtype\r\n"
    assert raw("SET", "plain", "x") == OK
    assert raw("COPY", "plain", "k3", "REPLACE") == i(1)
    assert raw("EXGET", "k3") == WRONGTYPE


def test_dump_restore(raw, r):
    assert raw("EXSET", "k", b"bin\x00\r\nvalue", "ABS", str(2**53 + 1), "FLAGS", "7") == OK
    payload = r.dump("k")
    assert raw("DEL", "k") == i(1)
    assert raw("RESTORE", "k2", "0", payload) == OK
    assert raw("EXGET", "k2", "WITHFLAGS") == exget(b"bin\x00\r\nvalue", 2**53 + 1, 7)
    assert raw("RESTORE", "k2", "0", payload) == b"-BUSYKEY Target key name already exists.\r\n"
    assert raw("RESTORE", "k2", "50000", payload, "REPLACE") == OK
    assert 40000 < int(raw("PTTL", "k2")[1:-2]) <= 50000
    assert raw("EXSET", "k2", "next", "WITHVERSION") == i(2**53 + 2)


def test_move_and_select(raw):
    assert raw("EXSET", "k", "v", "ABS", "3") == OK
    assert raw("MOVE", "k", "1") == i(1)
    assert raw("EXISTS", "k") == i(0)
    assert raw("SELECT", "1") == OK
    try:
        assert raw("EXGET", "k") == exget("v", 3)
        assert raw("TYPE", "k") == b"+exstrtype\r\n"
        assert raw("DEL", "k") == i(1)
    finally:
        assert raw("SELECT", "0") == OK


def _encode(args: list[str]) -> bytes:
    from tairproxy.resp import encode_command

    return encode_command([a.encode() for a in args])
