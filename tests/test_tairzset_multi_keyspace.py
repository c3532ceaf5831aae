"""TairZset inside MULTI/EXEC and pipelines (byte-exact), and native keyspace commands on TairZset
keys (one native sorted set each, so DEL/EXPIRE/RENAME/COPY/DUMP/SCAN need no proxy code)."""

from __future__ import annotations

import time

import redis

from tairproxy.resp import encode_command
from tests.tairzset_replies import (
    EMPTY,
    NIL,
    NOT_VALID,
    OK,
    QUEUED,
    SYNTAX,
    WRONGTYPE,
    arity,
    arr,
    bulk,
    bulks,
    i,
)


def test_multi_exec_byte_exact(raw):
    batch = [
        (["EXZADD", "z", "1", "a", "2#", "b"], NOT_VALID),  # an argument error: at its place in EXEC
        (["EXZADD", "z", "1", "a", "2", "b", "-0", "c"], i(3)),
        (["EXZADD", "z"], arity("exzadd")),  # module arity: an EXEC-time error, no EXECABORT
        (["EXZINCRBY", "z", "0.1", "a"], bulk("1.1000000000000001")),
        (["EXZRANGE", "z", "0", "-1", "WITHSCORES"], bulks("c", "-0", "a", "1.1000000000000001", "b", "2")),
        (["EXZRANGE", "z", "0", "-1", "BOGUS"], SYNTAX),
        (["EXZRANK", "z", "b", "WITHSCORE"], arr(i(2), bulk("2"))),
        (["EXZSCORE", "nosuch", "a"], NIL),
        (["SET", "s", "1"], OK),
        (["EXZCARD", "s"], WRONGTYPE),
        (["ZCARD", "z"], i(6)),  # native commands see the encoding: two members per element
        (["EXZUNIONSTORE", "u", "2", "z", "z"], i(3)),
        (["EXZPOPMAX", "u", "2"], bulks("b", "4", "a", "2.2000000000000002")),
        # A blocking module command inside a transaction is refused at EXEC, as by the module.
        (["EXBZPOPMIN", "empty", "5"], b"-ERR Blocking module command called from transaction\r\n"),
        (["EXBZPOPMIN", "u", "5"], b"-ERR Blocking module command called from transaction\r\n"),
        (["EXZSCAN", "z", "0", "MATCH", "b"], arr(bulk("0"), bulks("b", "2"))),
        (["TYPE", "z"], b"+tairzset_\r\n"),
        (["EXISTS", "u"], i(1)),
    ]
    assert raw("MULTI") == OK
    for cmd, _ in batch:
        assert raw(*cmd) == QUEUED, cmd
    expected = b"*%d\r\n" % len(batch) + b"".join(reply for _, reply in batch)
    assert raw("EXEC") == expected


def test_multi_discard_and_watch(raw, proxy):
    raw("EXZADD", "z", "1", "a")
    assert raw("WATCH", "z") == OK
    other = redis.Redis(port=proxy.port)
    other.execute_command("EXZADD", "z", "2", "a")
    assert raw("MULTI") == OK
    assert raw("EXZADD", "z", "3", "a") == QUEUED
    assert raw("EXEC") == b"*-1\r\n"  # the watched key changed
    assert raw("MULTI") == OK
    assert raw("EXZADD", "z", "4", "a") == QUEUED
    assert raw("DISCARD") == OK
    assert raw("EXZSCORE", "z", "a") == bulk("2")


def test_pipelined_in_one_write(raw):
    cmds = [
        ["EXZADD", "z", "3", "c", "1", "a"], ["EXZADD", "z", "x", "y"], ["MULTI"], ["EXZADD", "z", "2", "b"],
        ["EXZRANGE", "z", "0", "-1"], ["EXEC"], ["EXZREVRANK", "z", "a"], ["PING"],
    ]
    raw.send_raw(b"".join(encode_command([c.encode() for c in cmd]) for cmd in cmds))
    assert [raw.read() for _ in cmds] == [
        i(2), NOT_VALID, OK, QUEUED, QUEUED, arr(i(1), bulks("a", "b", "c")), i(2), b"+PONG\r\n",
    ]


def test_redis_py_pipelines(r):
    for transaction in (True, False):
        r.delete("z")
        pipe = r.pipeline(transaction=transaction)
        pipe.execute_command("EXZADD", "z", "1#1", "a", "2#0", "b")
        pipe.execute_command("EXZRANGEBYSCORE", "z", "(1#1", "+inf#+inf", "WITHSCORES")
        pipe.execute_command("EXZADD", "z", "1", "c")
        pipe.execute_command("EXZCOUNT", "z", "-inf#-inf", "inf#inf")
        result = pipe.execute(raise_on_error=False)
        assert result[:2] == [2, [b"b", b"2#0"]]
        assert isinstance(result[2], redis.ResponseError) and "score is not a valid format" in str(result[2])
        assert result[3] == 2


# ----------------------------------------------------------------- keyspace


def test_del_exists_type_and_scan(raw):
    raw("EXZADD", "za", "1", "a")
    raw("EXZADD", "zb", "1#2", "a")
    raw("ZADD", "plain", "1", "a")
    assert raw("EXISTS", "za", "zb", "nosuch") == i(2)
    keys = set(redis_value(raw("SCAN", "0", "TYPE", "zset", "COUNT", "100"))[1])
    assert keys == {b"plain"}  # SCAN's TYPE agrees with TYPE: TairZset keys are not zsets
    assert set(redis_value(raw("SCAN", "0", "TYPE", "tairzset_", "COUNT", "100"))[1]) == {b"za", b"zb"}
    assert raw("DEL", "za", "zb") == i(2)
    assert raw("EXZCARD", "za") == i(0) and raw("TYPE", "zb") == b"+none\r\n"


def test_ttl_is_kept_by_writes_and_expiry_removes_the_key(raw):
    raw("EXZADD", "z", "1", "a")
    assert raw("PEXPIRE", "z", "100000") == i(1)
    raw("EXZADD", "z", "2", "b")
    raw("EXZADD", "z", "5", "a")  # a score change rewrites two native members
    raw("EXZINCRBY", "z", "1", "b")
    raw("EXZREM", "z", "nosuch")
    raw("EXZPOPMIN", "z")
    assert 0 < int(raw("PTTL", "z")[1:-2]) <= 100000
    assert raw("EXZRANGE", "z", "0", "-1", "WITHSCORES") == bulks("a", "5")
    assert raw("PEXPIRE", "z", "30") == i(1)
    time.sleep(0.08)
    assert raw("EXZSCORE", "z", "a") == NIL
    assert raw("EXISTS", "z") == i(0)
    assert raw("EXZADD", "z", "1#1", "a") == i(1)  # a fresh key: any dimension
    assert raw("PTTL", "z") == i(-1)


def test_rename_copy_dump_restore_move(raw):
    raw("EXZADD", "z", "-0#1", "a", "2#2", "b")
    assert raw("RENAME", "z", "z2") == OK
    assert raw("EXZRANGE", "z2", "0", "-1", "WITHSCORES") == bulks("a", "-0#1", "b", "2#2")
    assert raw("COPY", "z2", "z3") == i(1)
    raw("EXZADD", "z3", "3#3", "c")
    assert raw("EXZCARD", "z2") == i(2) and raw("EXZCARD", "z3") == i(3)
    dump = redis_value(raw("DUMP", "z3"))
    assert raw("RESTORE", "z4", "0", dump) == OK
    assert raw("EXZRANGE", "z4", "0", "-1", "WITHSCORES") == bulks("a", "-0#1", "b", "2#2", "c", "3#3")
    assert raw("TYPE", "z4") == b"+tairzset_\r\n"
    assert raw("MOVE", "z4", "3") == i(1)
    assert raw("SELECT", "3") == OK
    assert raw("EXZRANK", "z4", "c") == i(2)
    assert raw("FLUSHDB") == OK
    assert raw("SELECT", "0") == OK


def test_unlink_and_object(raw):
    raw("EXZADD", "z", *[x for n in range(100) for x in (str(n), f"m{n}")])
    assert raw("OBJECT", "ENCODING", "z") == bulk("skiplist")
    assert raw("EXZRANK", "z", "m99") == i(99)
    assert raw("UNLINK", "z") == i(1)
    assert raw("EXZRANGE", "z", "0", "-1") == EMPTY


def redis_value(reply: bytes):
    from tairproxy.resp import parse_reply

    return parse_reply(reply)[0]


def test_resp3_replies(raw):
    assert raw("HELLO", "3").startswith(b"%")
    raw("EXZADD", "z", "1.5", "a", "-0", "b")
    assert raw("EXZSCORE", "z", "nosuch") == b"_\r\n"
    assert raw("EXZSCORE", "z", "a") == bulk("1.5")
    assert raw("EXZRANK", "z", "a", "WITHSCORE") == arr(i(1), bulk("1.5"))
    assert raw("EXZMSCORE", "z", "b", "x") == arr(bulk("-0"), b"_\r\n")
    assert raw("EXZRANGE", "z", "0", "-1", "WITHSCORES") == bulks("b", "-0", "a", "1.5")
    assert raw("EXZSCAN", "z", "0", "MATCH", "b") == arr(bulk("0"), bulks("b", "-0"))
    assert raw("EXBZPOPMIN", "nosuch", "0.05") == b"_\r\n"
