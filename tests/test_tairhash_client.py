"""TairHash through the real `tair` client (tair-py 1.3.7): sync, asyncio and pipeline(),
mirroring tair-py's tests/test_tairhash.py; then MULTI/EXEC byte for byte and the keyspace
commands (DEL, EXPIRE, RENAME, COPY, DUMP/RESTORE, TYPE, SCAN, MOVE) on TairHash keys.
"""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from redis.exceptions import ResponseError
from tair.tairhash import ExhscanResult, FieldValueItem, ValueVersionItem

from tests.tairhash_replies import (
    NIL,
    OK,
    STALE,
    SYNTAX,
    WRONGTYPE,
    arity,
    arr,
    bulk,
    i,
    scan,
    stored,
    withver,
)

QUEUED = b"+QUEUED\r\n"


def key() -> str:
    return "k-" + uuid.uuid4().hex


def server_now(client) -> datetime.datetime:
    sec, usec = client.time()
    return datetime.datetime.fromtimestamp(sec + usec / 1e6)


# ----------------------------------------------------------------- sync client


def test_exhset_exhget(tair_client):
    t, k = tair_client, key()
    assert t.exhset(k, "f", "v1") == 1
    assert t.exhget(k, "f") == b"v1"
    assert t.exhset(k, "f", "v2") == 0
    assert t.exhget(k, "f") == b"v2"
    assert t.exhget(k, "nope") is None
    assert t.exhset(k, "f", "v", xx=True) == 0
    assert t.exhset(k, "g", "v", xx=True) == -1
    assert t.exhset(k, "f", "v", nx=True) == -1
    assert t.exhset(k, "f", "v", abs=10) == 0
    assert t.exhset(k, "f", "v", ver=10) == 0
    with pytest.raises(ResponseError, match="update version is stale"):
        t.exhset(k, "f", "v", ver=100)
    assert t.exhver(k, "f") == 11


def test_exhset_expiry_options(tair_client):
    t, k = tair_client, key()
    assert t.exhset(k, "a", "v", ex=10) == 1
    assert 0 < t.exhttl(k, "a") <= 10
    assert t.exhset(k, "b", "v", ex=datetime.timedelta(seconds=10)) == 1
    assert 0 < t.exhttl(k, "b") <= 10
    assert t.exhset(k, "c", "v", px=10000) == 1
    assert 0 < t.exhpttl(k, "c") <= 10000
    assert t.exhset(k, "d", "v", px=datetime.timedelta(milliseconds=10000)) == 1
    assert 0 < t.exhpttl(k, "d") <= 10000
    now = server_now(t)
    assert t.exhset(k, "e", "v", exat=now + datetime.timedelta(seconds=10)) == 1
    assert 0 < t.exhttl(k, "e") <= 11
    assert t.exhset(k, "f", "v", pxat=now + datetime.timedelta(seconds=10)) == 1
    assert 0 < t.exhpttl(k, "f") <= 11000
    assert t.exhset(k, "f", "v2", keepttl=True) == 0
    assert 0 < t.exhpttl(k, "f") <= 11000
    assert t.exhset(k, "f", "v3") == 0
    assert t.exhpttl(k, "f") == -1


def test_expire_family(tair_client):
    t, k, missing = tair_client, key(), key()
    now = server_now(t)
    pxat = int(time.mktime((now + datetime.timedelta(seconds=10)).timetuple())) * 1000
    assert t.exhset(k, "f", "v", abs=10) == 1
    assert t.exhpexpireat(k, "f", pxat, ver=10) == 1
    assert 0 < t.exhpttl(k, "f") <= 10000
    with pytest.raises(ResponseError):
        t.exhpexpireat(k, "f", pxat, ver=100)
    assert t.exhpexpireat(missing, "f", pxat) == 0
    assert t.exhpexpire(k, "f", 10000, abs=20) == 1
    assert t.exhver(k, "f") == 20
    assert t.exhexpireat(k, "f", pxat // 1000, ver=20) == 1
    assert 0 < t.exhttl(k, "f") <= 10
    assert t.exhexpire(k, "f", 10, abs=30) == 1
    assert t.exhver(k, "f") == 30
    assert t.exhexpire(missing, "f", 10) == 0
    assert t.exhsetver(k, "f", 40) == 1
    assert t.exhget(k, "f") == b"v"
    assert t.exhver(k, "f") == 40


def test_incr_commands(tair_client):
    t, k = tair_client, key()
    assert t.exhset(k, "n", 10) == 1
    assert t.exhincrby(k, "n", 20) == 30
    assert t.exhget(k, "n") == b"30"
    assert t.exhincrby(k, "n", 1, ex=10) == 31
    assert 0 < t.exhttl(k, "n") <= 10
    assert t.exhincrby(k, "n", 1, keepttl=True) == 32
    assert 0 < t.exhttl(k, "n") <= 10
    assert t.exhincrby(k, "n", 1, px=datetime.timedelta(seconds=5), ver=4) == 33
    assert 0 < t.exhpttl(k, "n") <= 5000
    assert t.exhincrby(k, "n", 1, abs=100, minval=0, maxval=100) == 34
    assert t.exhver(k, "n") == 100
    with pytest.raises(ResponseError, match="increment or decrement would overflow"):
        t.exhincrby(k, "n", 100, maxval=100)
    with pytest.raises(ResponseError, match="update version is stale"):
        t.exhincrby(k, "n", 1, ver=7)
    assert t.exhincrbyfloat(k, "x", 1.5) == 1.5
    assert t.exhincrbyfloat(k, "x", 0.25, ex=10, minval=0.0, maxval=2.0) == 1.75
    with pytest.raises(ResponseError, match="value is not an float"):
        t.exhincrbyfloat(k, "x", "abc")
    with pytest.raises(ResponseError, match="increment or decrement would overflow"):
        t.exhincrbyfloat(k, "x", 1, maxval=2.0)


def test_multi_field_readers(tair_client):
    t, k, missing = tair_client, key(), key()
    assert t.exhmset(k, {"f1": "v1", "f2": "v2"}) is True
    assert t.exhget(k, "f1") == b"v1"
    assert t.exhgetwithver(k, "f1") == ValueVersionItem(b"v1", 1)
    assert t.exhgetwithver(k, "nope") is None
    assert t.exhmget(k, ["f1", "nope", "f2"]) == [b"v1", None, b"v2"]
    assert t.exhmgetwithver(k, ["f1", "nope"]) == [ValueVersionItem(b"v1", 1), None]
    assert t.exhlen(k) == 2
    assert t.exhlen(k, noexp=True) == 2
    assert t.exhlen(missing) == 0
    assert t.exhexists(k, "f1") == 1
    assert t.exhexists(missing, "f1") == 0
    assert t.exhstrlen(k, "f1") == 2
    assert t.exhstrlen(k, "nope") == 0
    assert sorted(t.exhkeys(k)) == [b"f1", b"f2"]
    assert sorted(t.exhvals(k)) == [b"v1", b"v2"]
    assert t.exhvals(missing) == []
    assert sorted(t.exhgetall(k)) == [FieldValueItem(b"f1", b"v1"), FieldValueItem(b"f2", b"v2")]
    assert t.exhgetall(missing) == []
    result = t.execute_command("EXHSCAN", k, 0, "MATCH", "f1")
    assert result == ExhscanResult(b"0", [FieldValueItem(b"f1", b"v1")])
    assert t.execute_command("EXHSCAN", missing, 0) == ExhscanResult(b"0", [])
    assert t.exhdel(k, ["f1", "f2", "f3"]) == 2
    assert t.exists(k) == 0


def test_wrongtype_both_ways(tair_client):
    t, k, plain = tair_client, key(), key()
    t.hset(plain, "f", "v")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        t.exhget(plain, "f")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        t.exhset(plain, "f", "v")
    assert t.exhset(k, "f", "v") == 1
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        t.get(k)
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        t.exget(k)
    assert t.type(k) == b"tairhash-"


# ----------------------------------------------------------------- pipeline() and asyncio


def test_pipeline_transaction_with_errors(tair_client):
    t, k = tair_client, key()
    assert t.exhset(k, "f", "v") == 1
    pipe = t.pipeline()
    pipe.exhset(k, "f", "w", ver=99)
    pipe.exhget(k, "f")
    pipe.execute_command("EXHSET", k, "f")
    results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], ResponseError) and "stale" in str(results[0])
    assert results[1] == b"v"
    assert isinstance(results[2], ResponseError) and "wrong number of arguments" in str(results[2])


def test_pipeline_results(tair_client):
    t, k = tair_client, key()
    pipe = t.pipeline()
    pipe.exhset(k, "f", "v", ex=100)
    pipe.exhmset(k, {"a": "1"})
    pipe.exhincrbyfloat(k, "x", 2.5)
    pipe.exhgetwithver(k, "f")
    pipe.exhmgetwithver(k, ["f", "nope"])
    pipe.exhttl(k, "f")
    pipe.exhgetall(k)
    res = pipe.execute()
    assert res[:6] == [1, True, 2.5, ValueVersionItem(b"v", 1), [ValueVersionItem(b"v", 1), None], 100]
    assert sorted(res[6]) == [FieldValueItem(b"a", b"1"), FieldValueItem(b"f", b"v"), FieldValueItem(b"x", b"2.5")]
    pipe = t.pipeline(transaction=False)
    pipe.exhincrby(k, "n", 5)
    pipe.exhver(k, "n")
    pipe.exhdel(k, ["n"])
    assert pipe.execute() == [5, 1, 1]


async def test_asyncio_client(proxy, direct):
    from tair.asyncio import Tair

    t = Tair(port=proxy.port)
    try:
        k = key()
        assert await t.exhset(k, "f", "v", px=10000) == 1
        assert await t.exhget(k, "f") == b"v"
        assert 0 < await t.exhpttl(k, "f") <= 10000
        assert await t.exhmset(k, {"a": "1", "b": "2"}) is True
        assert await t.exhincrby(k, "a", 9, maxval=10) == 10
        assert await t.exhincrbyfloat(k, "b", 0.5) == 2.5
        assert await t.exhgetwithver(k, "a") == ValueVersionItem(b"10", 2)
        assert await t.exhmgetwithver(k, ["b", "nope"]) == [ValueVersionItem(b"2.5", 2), None]
        assert await t.exhlen(k) == 3
        assert sorted(await t.exhkeys(k)) == [b"a", b"b", b"f"]
        assert await t.exhsetver(k, "a", 50) == 1
        assert await t.exhver(k, "a") == 50
        assert await t.exhexpire(k, "a", 100, ver=50) == 1
        assert await t.exhttl(k, "a") == 100
        with pytest.raises(ResponseError):
            await t.exhset(k, "a", "x", ver=1)
        async with t.pipeline() as pipe:
            pipe.exhset(k, "p", "1")
            pipe.exhincrby(k, "p", 2)
            pipe.exhgetall(k)
            res = await pipe.execute()
        assert res[:2] == [1, 3]
        assert FieldValueItem(b"p", b"3") in res[2]
        assert await t.exhdel(k, ["a", "b", "f", "p"]) == 4
        assert await t.exists(k) == 0
    finally:
        await t.close()


# ----------------------------------------------------------------- MULTI / EXEC


def test_multi_exec_byte_exact(raw):
    raw("HSET", "plain", "f", "v")
    batch = [
        (["EXHSET", "k", "f", "v", "EX", "100"], i(1)),
        (["EXHSET", "k", "f", "v", "bogus"], SYNTAX),  # an argument error: at its place in EXEC
        (["EXHSET", "k", "f"], arity("exhset")),  # module arity: an EXEC-time error, no EXECABORT
        (["EXHSETVER", "k", "f", "0"], SYNTAX),
        (["EXHGETWITHVER", "k", "f"], withver("v", 1)),
        (["EXHSET", "k", "f", "w", "VER", "5"], STALE),
        (["EXHINCRBY", "k", "n", "7"], i(7)),
        (["EXHINCRBYFLOAT", "k", "x", "0.5"], bulk("0.5")),
        (["EXHMGET", "k", "f", "nope"], arr(bulk("v"), NIL)),
        (["EXHGET", "plain", "f"], WRONGTYPE),
        (["EXHTTL", "k", "f"], i(100)),
        (["EXHSCAN", "missing", "0"], b"*2\r\n+0\r\n*0\r\n"),
        (["EXHDEL", "k", "n", "x", "nope"], i(2)),
        (["EXHLEN", "k"], i(1)),
        (["TYPE", "k"], b"+tairhash-\r\n"),
    ]
    assert raw("MULTI") == OK
    for cmd, _ in batch:
        assert raw(*cmd) == QUEUED, cmd
    expected = b"*%d\r\n" % len(batch) + b"".join(reply for _, reply in batch)
    assert raw("EXEC") == expected


def test_pipelined_raw(raw):
    cmds = [["EXHSET", "k", "f", str(n)] for n in range(50)] + [["EXHGETWITHVER", "k", "f"]]
    for cmd in cmds:
        raw.send(*cmd)
    replies = [raw.read() for _ in cmds]
    assert replies[0] == i(1) and replies[1:50] == [i(0)] * 49
    assert replies[50] == withver("49", 50)


# ----------------------------------------------------------------- keyspace commands


def test_del_exists_type_scan(raw, direct):
    assert raw("EXHSET", "k", "f", "v") == i(1)
    assert raw("EXISTS", "k") == i(1)
    assert raw("TYPE", "k") == b"+tairhash-\r\n"
    assert direct.scan(0, match="k", _type="hash") == (0, [b"k"])
    assert raw("DEL", "k") == i(1)
    assert raw("EXHGET", "k", "f") == NIL
    assert raw("TYPE", "k") == b"+none\r\n"


def test_key_expire(raw):
    assert raw("EXHSET", "k", "f", "v", "EX", "1000") == i(1)
    assert raw("PEXPIRE", "k", "100") == i(1)
    assert 0 < int(raw("PTTL", "k")[1:-2]) <= 100
    # Field writes of every kind leave the key's own TTL alone.
    assert raw("EXHSET", "k", "g", "v") == i(1)
    assert raw("EXHSET", "k", "g", "v", "KEEPTTL") == i(0)
    assert raw("EXHSET", "k", "g", "v", "PX", "5000") == i(0)
    assert raw("EXHMSET", "k", "h", "1") == OK
    assert raw("EXHINCRBY", "k", "n", "1") == i(1)
    assert raw("EXHDEL", "k", "h") == i(1)
    assert 0 < int(raw("PTTL", "k")[1:-2]) <= 100
    assert raw("PERSIST", "k") == i(1)
    assert raw("EXPIRE", "k", "0") == i(1)
    assert raw("EXISTS", "k") == i(0)


def test_rename_copy_move(raw, direct):
    assert raw("EXHSET", "k", "f", "v", "EX", "100", "ABS", "5") == i(1)
    assert raw("RENAME", "k", "k2") == OK
    assert raw("EXHGETWITHVER", "k2", "f") == withver("v", 5)
    assert raw("EXHTTL", "k2", "f") == i(100)
    assert raw("COPY", "k2", "k3") == i(1)
    assert raw("EXHGETWITHVER", "k3", "f") == withver("v", 5)
    assert raw("EXHTTL", "k3", "f") == i(100)
    assert raw("TYPE", "k3") == b"+tairhash-\r\n"
    assert raw("MOVE", "k3", "3") == i(1)
    assert raw("SELECT", "3") == OK
    assert raw("EXHGETWITHVER", "k3", "f") == withver("v", 5)
    assert raw("EXHSCAN", "k3", "0") == scan("0", "f", "v")
    assert raw("FLUSHDB") == OK
    assert raw("SELECT", "0") == OK


def test_dump_restore(raw, r, direct):
    assert raw("EXHSET", "k", "f", "v", "PX", "100000", "ABS", "9") == i(1)
    assert raw("EXHSET", "k", "g", "w") == i(1)
    dump = r.dump("k")
    assert raw("DEL", "k") == i(1)
    assert r.restore("k", 0, dump) in (True, b"OK")
    assert raw("EXHGETWITHVER", "k", "f") == withver("v", 9)
    assert 99000 < int(raw("EXHPTTL", "k", "f")[1:-2]) <= 100000
    assert raw("EXHTTL", "k", "g") == i(-1)
    assert direct.hget("k", "f") == stored(9, "v")
