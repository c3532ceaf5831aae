"""TairGis inside MULTI/EXEC and pipelines (byte-exact), native keyspace commands on GIS
keys (one native hash each), and the per-proxy index staying correct: several proxies,
several databases, RESTORE/COPY/RENAME, RESP3.
"""

from __future__ import annotations

import struct
import time

import redis

from tairproxy.modules import tairgis
from tairproxy.resp import encode_command
from tests.helpers import ProxyThread, RawClient
from tests.tairgis_replies import EMPTY, INVALID, NIL, OK, WRONGTYPE, arity, err, found, i, strings

QUEUED = b"+QUEUED\r\n"
SQUARE = "POLYGON((0 0,10 0,10 10,0 10))"


def _encode(*args) -> bytes:
    return encode_command([a if isinstance(a, bytes) else str(a).encode() for a in args])


def test_multi_exec_byte_exact(raw):
    batch = [
        (["GIS.ADD", "k", "sq", SQUARE], i(1)),
        (["GIS.CONTAINS", "k", "POINT(5 5)"], found(1, "sq", "POLYGON((0 0,10 0,10 10,0 10))")),
        (["GIS.ADD", "k", "pt", "POINT(5 5)"], i(1)),  # the next read sees this write
        (["GIS.CONTAINS", "k", "POINT(5 5)", "WITHOUTWKT"], found(2, "sq", "pt")),
        (["GIS.ADD", "k", "x"], arity("gis.add")),  # module arity: an EXEC-time error
        (["GIS.ADD", "k", "x", "BOGUS"], INVALID),
        (["GIS.SEARCH", "k", "POINT(5 5)", "COUNT", "0"], err("ERR count must be > 0")),
        (["GIS.GETALL", "k", "WITHOUTWKT"], strings("pt", "sq")),
        (["GIS.GETALL", "none"], NIL),
        (["GIS.WITHIN", "none", "POINT(1 1)"], EMPTY),
        (["GIS.DEL", "k", "pt"], OK),
        (["GIS.GET", "k", "pt"], NIL),
        (["GIS.INTERSECTS", "k", "LINESTRING(-1 5,1 5)", "WITHOUTWKT"], found(1, "sq")),
        (["SET", "s", "v"], OK),
        (["GIS.SEARCH", "s", "POINT(1 1)"], WRONGTYPE),
        (["TYPE", "k"], b"+exgistype\r\n"),
    ]
    assert raw("MULTI") == OK
    for cmd, _ in batch:
        assert raw(*cmd) == QUEUED, cmd
    assert raw("EXEC") == b"*%d\r\n" % len(batch) + b"".join(reply for _, reply in batch)


def test_multi_pipelined_in_one_write(raw):
    cmds = [["MULTI"], ["GIS.ADD", "k", "a", "POINT(1 1)"], ["GIS.SEARCH", "k", "RADIUS", "1", "1", "1", "m",
            "WITHOUTWKT"], ["EXEC"]]
    raw.send_raw(b"".join(_encode(*c) for c in cmds))
    assert [raw.read() for _ in cmds] == [OK, QUEUED, QUEUED, b"*2\r\n" + i(1) + found(1, "a")]


def test_multi_discard_and_watch(raw, proxy):
    assert raw("GIS.ADD", "k", "a", "POINT(1 1)") == i(1)
    assert raw("WATCH", "k") == OK
    other = RawClient(proxy.port)
    try:
        assert other("GIS.ADD", "k", "b", "POINT(1 1)") == i(1)
    finally:
        other.close()
    assert raw("MULTI") == OK
    assert raw("GIS.DEL", "k", "a") == QUEUED
    assert raw("EXEC") == b"*-1\r\n"
    assert raw("MULTI") == OK
    assert raw("GIS.DEL", "k", "a") == QUEUED
    assert raw("DISCARD") == OK
    assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(2, "a", "b")


def test_pipeline_without_multi_keeps_order(raw):
    cmds = [
        ["GIS.ADD", "k", "a", SQUARE],
        ["GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT"],
        ["GIS.ADD", "k"],
        ["PING"],
        ["GIS.ADD", "k", "b", "POINT(1 1)"],
        ["GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT"],
        ["GET", "k"],
        ["GIS.GETALL", "k", "WITHOUTWKT"],
        ["GIS.DEL", "k", "a"],
        ["GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT"],
    ]
    raw.send_raw(b"".join(_encode(*c) for c in cmds))
    assert [raw.read() for _ in cmds] == [
        i(1), found(1, "a"), arity("gis.add"), b"+PONG\r\n", i(1), found(2, "a", "b"), WRONGTYPE,
        strings("a", "b"), OK, found(1, "b"),
    ]


def test_redis_py_pipelines(r):
    pipe = r.pipeline(transaction=True)
    pipe.execute_command("GIS.ADD", "k", "a", SQUARE, "b", "POINT(5 5)")
    pipe.execute_command("GIS.CONTAINS", "k", "POINT(5 5)", "WITHOUTWKT")
    pipe.execute_command("GIS.SEARCH", "k", "MEMBER", "b", "1", "km", "WITHDIST")
    assert pipe.execute() == [2, [2, [b"a", b"b"]], [2, [b"a", b"POLYGON((0 0,10 0,10 10,0 10))", b"0.0000",
                                                         b"b", b"POINT(5 5)", b"0.0000"]]]
    pipe = r.pipeline(transaction=False)
    pipe.execute_command("GIS.SEARCH", "k", "MEMBER", "zz", "1", "km")
    pipe.execute_command("GIS.GET", "k", "b")
    results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], redis.ResponseError) and str(results[0]) == "member not found"
    assert results[1] == b"POINT(5 5)"


def test_resp3(proxy, direct):
    client = RawClient(proxy.port)
    try:
        assert client("HELLO", "3").startswith(b"%")
        assert client("GIS.GETALL", "k") == b"_\r\n"
        assert client("GIS.CONTAINS", "k", "POINT(1 1)") == EMPTY
        assert client("GIS.ADD", "k", "a", "POINT(1 1)") == i(1)
        assert client("GIS.CONTAINS", "k", "POINT(1 1)") == found(1, "a", "POINT(1 1)")
        assert client("GIS.GET", "k", "zz") == b"_\r\n"
    finally:
        client.close()


# ----------------------------------------------------------------- keyspace commands


def test_del_exists_type_scan(raw, r):
    assert raw("GIS.ADD", "g1", "a", "POINT(1 1)") == i(1)
    assert raw("GIS.ADD", "g2", "a", "POINT(1 1)") == i(1)
    assert raw("SET", "s", "v") == OK
    assert raw("EXISTS", "g1", "g2", "s", "x") == i(3)
    assert raw("TYPE", "g1") == b"+exgistype\r\n"
    assert sorted(r.scan_iter()) == [b"g1", b"g2", b"s"]
    assert sorted(r.scan_iter(_type="hash")) == []  # SCAN's TYPE agrees with TYPE
    assert sorted(r.scan_iter(_type="exgistype")) == [b"g1", b"g2"]
    assert raw("DEL", "g1") == i(1)
    assert raw("UNLINK", "g2") == i(1)
    assert raw("GIS.GETALL", "g1") == NIL
    assert raw("GIS.CONTAINS", "g2", "POINT(1 1)") == EMPTY


def test_expire(raw):
    assert raw("GIS.ADD", "k", "a", "POINT(1 1)") == i(1)
    assert raw("PEXPIRE", "k", "100000") == i(1)
    assert raw("GIS.ADD", "k", "b", "POINT(1 1)") == i(1)
    assert 90000 < int(raw("PTTL", "k")[1:-2]) <= 100000  # writes keep the key's TTL
    assert raw("GIS.DEL", "k", "b") == OK
    assert int(raw("PTTL", "k")[1:-2]) > 0
    assert raw("PEXPIRE", "k", "50") == i(1)
    time.sleep(0.15)
    assert raw("EXISTS", "k") == i(0)
    assert raw("GIS.CONTAINS", "k", "POINT(1 1)") == EMPTY
    assert raw("GIS.GETALL", "k") == NIL


def test_rename_copy_and_index(raw):
    assert raw("GIS.ADD", "k", "a", SQUARE) == i(1)
    assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(1, "a")
    assert raw("RENAME", "k", "k2") == OK
    assert raw("GIS.CONTAINS", "k", "POINT(1 1)") == EMPTY
    assert raw("GIS.CONTAINS", "k2", "POINT(1 1)", "WITHOUTWKT") == found(1, "a")
    assert raw("COPY", "k2", "k3") == i(1)
    assert raw("GIS.ADD", "k3", "b", "POINT(1 1)") == i(1)
    assert raw("GIS.CONTAINS", "k2", "POINT(1 1)", "WITHOUTWKT") == found(1, "a")
    assert raw("GIS.CONTAINS", "k3", "POINT(1 1)", "WITHOUTWKT") == found(2, "a", "b")
    # a plain hash renamed over the name the index knows: WRONGTYPE, not a stale answer
    assert raw("HSET", "h", "f", "v") == i(1)
    assert raw("RENAME", "h", "k3") == OK
    assert raw("GIS.CONTAINS", "k3", "POINT(1 1)") == WRONGTYPE


def test_dump_restore(raw, r):
    assert raw("GIS.ADD", "k", "a", SQUARE, "b", "POINT(5 5)") == i(2)
    payload = r.dump("k")
    assert raw("GIS.CONTAINS", "k", "POINT(5 5)", "WITHOUTWKT") == found(2, "a", "b")
    assert raw("GIS.DEL", "k", "b") == OK
    assert raw("GIS.CONTAINS", "k", "POINT(5 5)", "WITHOUTWKT") == found(1, "a")
    assert raw("RESTORE", "k", "0", payload, "REPLACE") == OK
    assert raw("GIS.CONTAINS", "k", "POINT(5 5)", "WITHOUTWKT") == found(2, "a", "b")
    assert raw("RESTORE", "k4", "50000", payload) == OK
    assert raw("GIS.GETALL", "k4") == strings("a", "POLYGON((0 0,10 0,10 10,0 10))", "b", "POINT(5 5)")


def test_same_key_in_two_databases(raw):
    assert raw("GIS.ADD", "k", "db0", "POINT(1 1)") == i(1)
    assert raw("SELECT", "1") == OK
    try:
        assert raw("GIS.CONTAINS", "k", "POINT(1 1)") == EMPTY
        assert raw("GIS.ADD", "k", "db1", "POINT(1 1)") == i(1)
        for _ in range(2):
            assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(1, "db1")
            assert raw("SELECT", "0") == OK
            assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(1, "db0")
            assert raw("SELECT", "1") == OK
        assert raw("MOVE", "k", "2") == i(1)
        assert raw("GIS.CONTAINS", "k", "POINT(1 1)") == EMPTY
        assert raw("DEL", "k") == i(0)
        assert raw("SELECT", "2") == OK
        assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(1, "db1")
        assert raw("DEL", "k") == i(1)
    finally:
        assert raw("SELECT", "0") == OK


def test_index_survives_flushall_and_recreation(raw):
    assert raw("GIS.ADD", "k", "a", "POINT(1 1)") == i(1)
    assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(1, "a")
    assert raw("FLUSHALL") == OK
    assert raw("GIS.CONTAINS", "k", "POINT(1 1)") == EMPTY
    assert raw("GIS.ADD", "k", "b", "POINT(1 1)") == i(1)
    assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(1, "b")


# ----------------------------------------------------------------- the index protocol


def test_reads_move_only_the_stamp_once_indexed(raw, direct):
    args = []
    for n in range(300):
        args += [f"p{n}", f"POLYGON(({n % 90} 0,{n % 90 + 1} 0,{n % 90 + 1} 1,{n % 90} 1))"]
    assert raw("GIS.ADD", "big", *args) == i(300)
    assert raw("GIS.CONTAINS", "big", "POINT(0.5 0.5)", "WITHOUTWKT") == found(4, "p0", "p90", "p180", "p270")
    stamp = tairgis.CACHE.get((0, b"big")).stamp
    assert stamp == direct.hget("big", "\x00gis")
    # what the proxy sends for a query, and what Valkey answers to it: the stamp, or runs
    # of HGETALL's items as (lengths, items concatenated) (per key; one key: unwrapped)
    assert direct.fcall_ro("tp_gis_read", 1, "big", stamp) == stamp
    got_stamp, *runs = direct.fcall_ro("tp_gis_read", 1, "big", "")
    assert got_stamp == stamp and len(runs) == 2 * 4  # 602 items in runs of 200
    lengths = b"".join(runs[0::2])
    lengths = struct.unpack(f"<{len(lengths) // 4}I", lengths)
    assert len(lengths) == 2 * 301 and sum(lengths) == len(b"".join(runs[1::2]))
    assert direct.fcall_ro("tp_gis_read", 1, "none", "") == []
    assert direct.fcall_ro("tp_gis_read", 2, "none", "big", "", stamp) == [[], stamp]
    assert raw("GIS.ADD", "big", "p0", "POINT(0.5 0.5)") == i(1)
    assert direct.hget("big", "\x00gis") != stamp
    assert raw("GIS.CONTAINS", "big", "POINT(0.5 0.5)", "WITHOUTWKT") == found(4, "p90", "p180", "p270", "p0")


def test_two_proxies_see_each_others_writes(raw, valkey_url):
    second = ProxyThread(valkey_url).start()
    other = RawClient(second.port)
    try:
        assert raw("GIS.ADD", "k", "a", SQUARE) == i(1)
        assert other("GIS.CONTAINS", "k", "POINT(5 5)", "WITHOUTWKT") == found(1, "a")
        assert raw("GIS.CONTAINS", "k", "POINT(5 5)", "WITHOUTWKT") == found(1, "a")
        assert other("GIS.ADD", "k", "b", "POINT(5 5)") == i(1)
        assert raw("GIS.CONTAINS", "k", "POINT(5 5)", "WITHOUTWKT") == found(2, "a", "b")
        assert raw("GIS.DEL", "k", "a") == OK
        assert other("GIS.CONTAINS", "k", "POINT(5 5)", "WITHOUTWKT") == found(1, "b")
        assert other("GIS.GETALL", "k") == strings("b", "POINT(5 5)")
        assert raw("DEL", "k") == i(1)
        assert other("GIS.CONTAINS", "k", "POINT(5 5)") == EMPTY
        # an index that a separate proxy process would hold: only its stamp matters
        assert raw("GIS.ADD", "k", "c", "POINT(5 5)") == i(1)
        tairgis.CACHE.clear()
        assert other("GIS.SEARCH", "k", "RADIUS", "5", "5", "1", "m", "WITHOUTWKT") == found(1, "c")
        assert raw("GIS.ADD", "k", "d", "POINT(5 5)") == i(1)
        assert other("GIS.SEARCH", "k", "RADIUS", "5", "5", "1", "m", "WITHOUTWKT") == found(2, "c", "d")
    finally:
        other.close()
        second.stop()
