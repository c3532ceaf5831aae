"""TairDoc keys among the others: WRONGTYPE both ways, native keyspace commands on a
document (one native hash each), MULTI/EXEC and pipelines byte for byte, RESP3."""

from __future__ import annotations

import time

import redis

from tairproxy.resp import encode_command
from tests.helpers import RawClient
from tests.replies import NIL, OK, QUEUED, WRONGTYPE, arity, bulk, bulks, i

DOC = '{"a":1,"s":"x","arr":[1,2]}'


def _encode(*args) -> bytes:
    return encode_command([a if isinstance(a, bytes) else str(a).encode() for a in args])


def test_wrongtype_both_ways(raw):
    assert raw("JSON.SET", "d", ".", DOC) == OK
    others = {
        "plain": ("SET", "plain", "v"),
        "list": ("RPUSH", "list", "x"),
        "hash": ("HSET", "hash", "f", "v"),
        "exstr": ("EXSET", "exstr", "v"),
        "exhash": ("EXHSET", "exhash", "f", "v"),
        "exzset": ("EXZADD", "exzset", "1", "m"),
        "gis": ("GIS.ADD", "gis", "p", "POINT(1 1)"),
        "bloom": ("BF.ADD", "bloom", "x"),
    }
    for key, setup in others.items():
        raw(*setup)
        for cmd in (("JSON.GET", key), ("JSON.SET", key, ".", "1"), ("JSON.TYPE", key), ("JSON.DEL", key),
                    ("JSON.ARRAPPEND", key, ".", "1"), ("JSON.INCRBY", key, "1"), ("JSON.STRLEN", key),
                    ("JSON.ARRPOP", key, ".")):
            assert raw(*cmd) == WRONGTYPE, (key, cmd)
        assert raw("JSON.MGET", key, "d", ".") == b"*2\r\n" + NIL + bulk(DOC)  # MGET: nil, not an error
    for cmd in (("GET", "d"), ("APPEND", "d", "x"), ("INCR", "d"), ("LLEN", "d"), ("EXGET", "d"),
                ("EXHGET", "d", "f"), ("EXZSCORE", "d", "m"), ("GIS.GETALL", "d"), ("BF.EXISTS", "d", "x")):
        assert raw(*cmd) == WRONGTYPE, cmd
    assert raw("JSON.GET", "d") == bulk(DOC)


def test_type_scan_del(raw, r):
    raw("JSON.SET", "d1", ".", DOC)
    raw("JSON.SET", "d2", ".", "[]")
    raw("SET", "s", "v")
    assert raw("TYPE", "d1") == b"+tair-json\r\n"
    assert raw("TYPE", "d2") == b"+tair-json\r\n"
    assert raw("TYPE", "s") == b"+string\r\n"
    assert sorted(r.scan_iter()) == [b"d1", b"d2", b"s"]
    # SCAN's TYPE filter agrees with TYPE: a document is a tair-json, not a hash.
    assert sorted(r.scan_iter(_type="tair-json")) == [b"d1", b"d2"]
    assert sorted(r.scan_iter(_type="hash")) == []
    assert raw("EXISTS", "d1", "d2", "x") == i(2)
    assert raw("DEL", "d1") == i(1)
    assert raw("UNLINK", "d2") == i(1)
    assert raw("JSON.GET", "d1") == NIL


def test_expire_ttl_persist_and_writes_keep_the_ttl(raw):
    raw("JSON.SET", "d", ".", DOC)
    assert raw("PEXPIRE", "d", "100000") == i(1)
    for cmd in (("JSON.SET", "d", "/new", "1"), ("JSON.SET", "d", ".", "[1,2]"), ("JSON.ARRPOP", "d", "."),
                ("JSON.ARRAPPEND", "d", ".", "3"), ("JSON.NUMINCRBY", "d", "/0", "1")):
        raw(*cmd)
        assert 0 < int(raw("PTTL", "d")[1:-2]) <= 100000, cmd
    assert raw("PERSIST", "d") == i(1)
    assert raw("TTL", "d") == i(-1)
    assert raw("PEXPIRE", "d", "50") == i(1)
    time.sleep(0.12)
    assert raw("JSON.GET", "d") == NIL
    assert raw("JSON.ARRLEN", "d") == i(-1)
    assert raw("JSON.SET", "d", "/x", "2") == b"-ERR new objects must be created at the root\r\n"


def test_rename_copy_dump_restore(raw, r):
    raw("JSON.SET", "a", ".", DOC)
    assert raw("RENAME", "a", "b") == OK
    assert raw("JSON.GET", "b", "/arr") == bulk("[1,2]")
    assert raw("COPY", "b", "c") == i(1)  # the module refuses COPY; one native key copies as is
    assert raw("JSON.SET", "c", "/a", "2") == OK
    assert raw("JSON.MGET", "b", "c", "/a") == bulks("1", "2")
    dump = r.dump("b")
    assert r.restore("restored", 0, dump) == b"OK"
    assert raw("JSON.GET", "restored") == bulk(DOC)
    assert raw("TYPE", "restored") == b"+tair-json\r\n"
    assert raw("SET", "b", "plain") == OK  # SET overwrites a document
    assert raw("JSON.GET", "b") == WRONGTYPE


def test_failed_writes_leave_the_key_alone(raw, proxy):
    raw("JSON.SET", "d", ".", DOC)
    assert raw("WATCH", "d") == OK
    other = RawClient(proxy.port)
    try:
        assert other("JSON.SET", "d", "/zz", "5", "XX") == NIL
        assert other("JSON.ARRAPPEND", "d", "/s", "1") == b"-ERR node not exists or not array type\r\n"
        assert other("JSON.SET", "d", "/b", "{bad") == b"-ERR json lexer error at position 'ad'\r\n"
    finally:
        other.close()
    assert raw("MULTI") == OK
    assert raw("JSON.GET", "d") == QUEUED
    assert raw("EXEC") == b"*1\r\n" + bulk(DOC)  # nothing was written, so WATCH holds


def test_multi_exec_byte_exact(raw):
    batch = [
        (["JSON.SET", "d", ".", DOC], OK),
        (["JSON.INCRBY", "d", "/a", "4"], bulk("5")),
        (["JSON.ARRPUSH", "d", "/arr", "3", '"four"'], i(4)),
        (["JSON.SET", "d"], arity("json.set")),  # module arity: an EXEC-time error
        (["JSON.STRAPPEND", "d", "/s", "yz"], i(3)),
        (["JSON.ARRPOP", "d", "/s"], b"-ERR node not exists or not array type\r\n"),
        (["JSON.GET", "d", "$.arr[?(@ > 1)]"], b"-ERR pointer illegal or array index error or object type is not "
                                              b"array or map\r\n"),
        (["JSON.GET", "d", "$.arr[*]"], bulk('[1,2,3,"four"]')),
        (["JSON.GET", "d"], bulk('{"a":5,"s":"xyz","arr":[1,2,3,"four"]}')),
        (["JSON.MGET", "d", "e", "/a"], b"*2\r\n" + bulk("5") + NIL),
        (["TYPE", "d"], b"+tair-json\r\n"),
        (["JSON.DEL", "d"], i(1)),
        (["JSON.GET", "d"], NIL),
    ]
    assert raw("MULTI") == OK
    for cmd, _ in batch:
        assert raw(*cmd) == QUEUED, cmd
    assert raw("EXEC") == b"*%d\r\n" % len(batch) + b"".join(reply for _, reply in batch)


def test_pipeline_without_multi_keeps_order(raw):
    cmds = [
        ["JSON.SET", "d", ".", "[1]"],
        ["JSON.ARRAPPEND", "d", ".", "2"],
        ["JSON.GET", "d", "$[*]"],
        ["PING"],
        ["JSON.SET", "d"],
        ["JSON.GET", "d"],
        ["GET", "d"],
        ["JSON.ARRPOP", "d", ".", "0"],
    ]
    raw.send_raw(b"".join(_encode(*c) for c in cmds))
    assert [raw.read() for _ in cmds] == [
        OK, i(2), bulk("[1,2]"), b"+PONG\r\n", arity("json.set"), bulk("[1,2]"), WRONGTYPE, bulk("1"),
    ]


def test_redis_py_pipelines(r):
    pipe = r.pipeline(transaction=True)
    pipe.execute_command("JSON.SET", "d", ".", DOC)
    pipe.execute_command("JSON.GET", "d", "$..*")
    pipe.execute_command("JSON.TYPE", "d", "/arr")
    assert pipe.execute() == [b"OK", b'[1,2,1,"x",[1,2]]', b"array"]  # children of each descendant, post-order
    pipe = r.pipeline(transaction=False)
    pipe.execute_command("JSON.GET", "d", "/nope")
    pipe.execute_command("JSON.ARRLEN", "d", "/arr")
    results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], redis.ResponseError)
    assert results[1] == 2


def test_resp3(proxy, direct):
    client = RawClient(proxy.port)
    try:
        assert client("HELLO", "3").startswith(b"%")
        assert client("JSON.GET", "d") == b"_\r\n"
        assert client("JSON.SET", "d", ".", DOC) == OK
        assert client("JSON.GET", "d", "$.arr[*]") == bulk("[1,2]")
        assert client("JSON.TYPE", "d", "/nope") == b"_\r\n"
        assert client("JSON.MGET", "d", "e", "/a") == b"*2\r\n" + bulk("1") + b"_\r\n"
        assert client("JSON.SET", "d", "/a", "1", "NX") == b"_\r\n"
        assert client("JSON.ARRLEN", "d", "/arr") == i(2)
    finally:
        client.close()
