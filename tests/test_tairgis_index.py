"""The proxy-side index of a TairGis key and the cache of indexes: built from what
tp_gis_read sends, candidates exactly as the module's R-tree overlap test picks them (NaN
bounds overlap everything, an inverted box still meets the members spanning it), and a
cache by (database, key) sized in bytes, least recently used out first."""

from __future__ import annotations

import math
import random
import struct

import numpy as np
import pytest

from tairproxy.cli import parse_args
from tairproxy.modules import tairgis
from tairproxy.modules.tairgis_geometry import parse_geometry
from tairproxy.modules.tairgis_index import RESERVED_FIELD, GisIndex, IndexCache, encode_member
from tests.tairgis_replies import OK, found, i


def lengths(items: list[bytes]) -> bytes:
    return struct.pack(f"<{len(items)}I", *map(len, items))


def index_of(members: list[tuple[bytes, str]], stamp: bytes = b"s", mark: bytes = b"\x1e") -> GisIndex:
    """An index as tp_gis_read's reply would build it (HGETALL order shuffled)."""
    items = [RESERVED_FIELD, b"\x1dgis:1:1:stamp"]
    for seq, (name, wkt) in enumerate(members, start=1):
        field = b"\0" + name if name[:1] == b"\0" else name
        items += [field, mark + b"%015d" % seq + encode_member(parse_geometry(wkt.encode()))]
    pairs = [items[k : k + 2] for k in range(0, len(items), 2)]
    random.Random(len(items)).shuffle(pairs)
    flat = [x for p in pairs for x in p]
    return GisIndex(stamp, lengths(flat), b"".join(flat))


def test_index_reads_members_in_sequence_order():
    idx = index_of([(b"b", "POINT(1 2)"), (b"\0a", "POLYGON((0 0,1 0,1 1))"), (b"", "LINESTRING(5 5,6 7)")])
    assert idx.size == 3
    assert [idx.name(p) for p in range(3)] == [b"b", b"\0a", b""]
    assert [idx.wkt(p) for p in range(3)] == [b"POINT(1 2)", b"POLYGON((0 0,1 0,1 1))", b"LINESTRING(5 5,6 7)"]
    assert idx.position(b"\0a") == 1 and idx.position(b"a") is None
    assert idx.sorted_positions() == [2, 1, 0]
    assert (float(idx.minx[2]), float(idx.maxy[2])) == (5.0, 7.0)
    assert GisIndex(b"s", b"", b"").size == 0


def test_index_reads_values_written_before_the_bounds_record():
    # An earlier layout kept WKT, NUL, kind and center, then a WKB: worked out from the WKT.
    old = b"\x1d%015d" % 1 + b"POLYGON((0 0,4 0,4 4))\0" + struct.pack("<Bdd", 3, 2, 2) + b"\x01wkb..."
    items = [b"old", old]
    idx = GisIndex(b"s", lengths(items), b"".join(items))
    assert idx.wkt(0) == b"POLYGON((0 0,4 0,4 4))"
    assert idx.candidates(3, 1, 3, 1) == [0] and idx.candidates(5, 5, 6, 6) == []


def _scan(idx: GisIndex, box) -> list[int]:
    minx, miny, maxx, maxy = box
    keep = ~((minx > idx.maxx) | (idx.minx > maxx) | (miny > idx.maxy) | (idx.miny > maxy))
    return np.flatnonzero(keep).tolist()


def test_candidates_are_the_rtree_overlap_test():
    rng = random.Random(7)
    members = []
    for n in range(3000):
        x, y = rng.uniform(-50, 50), rng.uniform(-50, 50)
        w, h = rng.choice([0, 0.1, 1, 5, 40]), rng.choice([0, 0.1, 1, 5])
        members.append((b"m%d" % n, f"POLYGON(({x} {y},{x + w} {y},{x + w} {y + h},{x} {y + h}))"))
    members += [(b"nan", "POINT(nan 3)"), (b"inf", "LINESTRING(0 0,inf 1)"), (b"huge", "POINT(1e300 1e300)")]
    idx = index_of(members)
    boxes = [(rng.uniform(-60, 60), rng.uniform(-60, 60)) for _ in range(300)]
    boxes = [(x, y, x + rng.choice([0, 0.5, 3, 20]), y + rng.choice([0, 0.5, 3, 20])) for x, y in boxes]
    boxes += [(3, 3, -3, -3), (10, -5, -10, 5), (math.nan, 0, math.nan, 0), (-math.inf, -1, math.inf, 1),
              (0, 0, 1e300, 1e300), (-1e308, -1e308, 1e308, 1e308), (500, 500, 600, 600)]
    for box in boxes:
        assert idx.candidates(*box) == _scan(idx, box), box
    nan = idx.position(b"nan")
    assert nan in idx.candidates(-1, 2, 1, 4)  # its NaN x compares false: only y decides


def test_cache_is_per_database_and_key_and_sized_in_bytes():
    one = index_of([(b"a", "POINT(1 1)")])
    cache = IndexCache(max_bytes=3 * one.nbytes + 10)
    for n in range(5):
        cache.put((0, b"k%d" % n), index_of([(b"a", "POINT(1 1)")]))
    assert len(cache) == 3 and cache.get((0, b"k0")) is None and cache.get((0, b"k4")) is not None
    assert cache.get((0, b"k2")) is not None  # now the most recently used
    cache.put((1, b"k4"), one)  # same name, another database: another entry
    assert cache.get((0, b"k3")) is None and cache.get((0, b"k2")) is not None
    assert cache.get((1, b"k4")) is one and cache.get((0, b"k4")) is not one
    assert cache.bytes <= cache.max_bytes
    big = index_of([(b"m%d" % n, "POINT(1 1)") for n in range(2000)])
    cache.put((0, b"big"), big)  # larger than the whole budget: it stays, alone
    assert len(cache) == 1 and cache.get((0, b"big")) is big
    cache.resize(1 << 30)
    cache.put((0, b"x"), one)
    assert len(cache) == 2
    cache.drop((0, b"x"))
    assert len(cache) == 1 and cache.get((0, b"x")) is None


def test_gis_cache_mb_flag(monkeypatch):
    from tairproxy.modules.tairgis_index import DEFAULT_CACHE_MB

    assert parse_args([]).gis_cache_mb == DEFAULT_CACHE_MB
    assert parse_args(["--gis-cache-mb", "64"]).gis_cache_mb == 64
    monkeypatch.setenv("TAIRPROXY_GIS_CACHE_MB", "32")
    assert parse_args([]).gis_cache_mb == 32
    before = tairgis.CACHE.max_bytes
    try:
        tairgis.set_cache_size(64)
        assert tairgis.CACHE.max_bytes == 64 << 20
    finally:
        tairgis.CACHE.resize(before)


def test_alternating_databases_keep_both_indexes(raw):
    assert raw("GIS.ADD", "k", "db0", "POINT(1 1)") == i(1)
    assert raw("SELECT", "1") == OK
    try:
        assert raw("GIS.ADD", "k", "db1", "POINT(1 1)") == i(1)
        assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(1, "db1")
        assert raw("SELECT", "0") == OK
        assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(1, "db0")
        held = tairgis.CACHE.get((0, b"k")), tairgis.CACHE.get((1, b"k"))
        assert None not in held and held[0].stamp != held[1].stamp
        for _ in range(3):
            assert raw("SELECT", "1") == OK
            assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(1, "db1")
            assert raw("SELECT", "0") == OK
            assert raw("GIS.CONTAINS", "k", "POINT(1 1)", "WITHOUTWKT") == found(1, "db0")
        # neither was fetched again
        assert (tairgis.CACHE.get((0, b"k")), tairgis.CACHE.get((1, b"k"))) == held
    finally:
        assert raw("SELECT", "1") == OK
        raw("FLUSHDB")
        assert raw("SELECT", "0") == OK


@pytest.mark.parametrize("n", [1, 40])
def test_a_missing_key_forgets_its_index(raw, n):
    assert raw("GIS.ADD", "gone", *[x for k in range(n) for x in (f"p{k}", "POINT(1 1)")]) == i(n)
    assert raw("GIS.CONTAINS", "gone", "POINT(1 1)")[:5] == b"*2\r\n:"
    assert tairgis.CACHE.get((0, b"gone")) is not None
    assert raw("DEL", "gone") == i(1)
    assert raw("GIS.CONTAINS", "gone", "POINT(1 1)") == b"*0\r\n"
    assert tairgis.CACHE.get((0, b"gone")) is None


def test_cache_counts_what_indexes_grow_by():
    polygons = index_of([(b"p%d" % n, "POLYGON((0 0,1 0,1 1,0 0))") for n in range(50)])
    point = index_of([(b"a", "POINT(1 1)")])
    cache = IndexCache(max_bytes=polygons.nbytes + point.nbytes + 1000)
    cache.put((0, b"point"), point)
    cache.put((0, b"polygons"), polygons)
    before = cache.bytes
    assert before == polygons.nbytes + point.nbytes
    assert len(polygons.candidates(0, 0, 1, 1)) == 50  # builds its grid
    for n in range(50):
        polygons.parts(n)  # parses each geometry once
    assert cache.bytes == polygons.nbytes > before
    assert cache.get((0, b"point")) is None  # the least recently used made room
    cache.drop((0, b"polygons"))
    polygons.parts(0)
    assert cache.bytes == 0 and len(cache) == 0
