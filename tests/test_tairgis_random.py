"""Randomised check of the indexed queries: thousands of random polygons (some with holes,
some with unclosed rings), lines and points in one key; CONTAINS / WITHIN / INTERSECTS /
SEARCH (GEOM and RADIUS) through the proxy must answer exactly what a scan of every member
answers: the members whose bounds the module's R-tree overlap test accepts, then the
module's relation (tairgis_relations), in insertion order (the key is past one R-tree
leaf). This checks the proxy's spatial index; the relations themselves are checked
against the module's behaviour in test_tairgis_relations."""

from __future__ import annotations

import math
import random

import numpy as np

from tairproxy.modules.tairgis_geometry import circle_ring, distance, parse_geometry, radius_bounds
from tairproxy.modules.tairgis_relations import (
    EX_CONTAINS,
    EX_INTERSECTS,
    INTERSECTS,
    RELATIONS,
    WITHIN,
    polygon_map,
)
from tests.tairgis_polygons import add_commands, zone_center

SEED = 20240611


def _star(rng: random.Random, cx: float, cy: float, r: float, n: int) -> list[tuple[float, float]]:
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    return [(round(cx + r * rng.uniform(0.5, 1) * math.cos(a), 4), round(cy + r * rng.uniform(0.5, 1) * math.sin(a), 4))
            for a in angles]


def _ring_text(pts) -> str:
    return "(" + ",".join(f"{x!r} {y!r}" for x, y in pts) + ")"


def _build(rng: random.Random):
    """Members as (name, wkt sent)."""
    members = []
    for n in range(3000):
        cx, cy = rng.uniform(-20, 20), rng.uniform(-20, 20)
        r = rng.uniform(0.05, 1.5)
        shell = _star(rng, cx, cy, r, rng.randint(3, 12))
        rings = [shell + ([shell[0]] if n % 2 else [])]
        if n % 5 == 0:
            hole = _star(rng, cx, cy, r * 0.3, 4)
            rings.append(hole + [hole[0]])
        members.append((f"poly{n}", "POLYGON(" + ",".join(_ring_text(r) for r in rings) + ")"))
    for n in range(1000):
        x, y = round(rng.uniform(-20, 20), 3), round(rng.uniform(-20, 20), 3)
        members.append((f"pt{n}", f"POINT({x!r} {y!r})"))
    for n in range(500):
        x, y = rng.uniform(-20, 20), rng.uniform(-20, 20)
        pts = [(round(x + rng.uniform(-1, 1), 3), round(y + rng.uniform(-1, 1), 3)) for _ in range(rng.randint(2, 4))]
        members.append((f"line{n}", "LINESTRING" + _ring_text(pts)))
    return members


def _queries(rng: random.Random, members):
    """Query geometries: random points, member vertices, small shapes and lines."""
    out = []
    for _ in range(150):
        x, y = round(rng.uniform(-20, 20), 3), round(rng.uniform(-20, 20), 3)
        out.append(f"POINT({x!r} {y!r})")
    for _, wkt in rng.sample(members, 60):
        x, y = parse_geometry(wkt.encode()).center() if wkt.startswith("POINT") else _first_vertex(wkt)
        out.append(f"POINT({x!r} {y!r})")  # on a vertex: boundary cases
    for _ in range(50):
        shell = _star(rng, rng.uniform(-20, 20), rng.uniform(-20, 20), rng.uniform(0.1, 4), rng.randint(3, 8))
        out.append("POLYGON(" + _ring_text(shell + [shell[0]]) + ")")
    for _ in range(40):
        pts = [(round(rng.uniform(-20, 20), 3), round(rng.uniform(-20, 20), 3)) for _ in range(2)]
        out.append("LINESTRING" + _ring_text(pts))
    return out


def _first_vertex(wkt: str) -> tuple[float, float]:
    g = parse_geometry(wkt.encode())
    first = g.data[0][0] if g.kind == 3 else g.data[0]
    return first[0], first[1]


class _Scan:
    """Every member, tested one by one as the module's search iterator does."""

    def __init__(self, members):
        geoms = [parse_geometry(wkt.encode()) for _, wkt in members]
        self.names = [name.encode() for name, _ in members]
        self.maps = [polygon_map(g) for g in geoms]
        self.points = [g.data if g.kind == 1 else None for g in geoms]
        self.bounds = np.array([g.bounds() for g in geoms])

    def overlapping(self, minx, miny, maxx, maxy) -> list[int]:
        b = self.bounds
        keep = ~((minx > b[:, 2]) | (b[:, 0] > maxx) | (miny > b[:, 3]) | (b[:, 1] > maxy))
        return np.flatnonzero(keep).tolist()

    def geometry(self, wkt: str, search: int) -> list[bytes]:
        g = parse_geometry(wkt.encode())
        query = polygon_map(g)
        relation = RELATIONS[search]
        return [self.names[j] for j in self.overlapping(*g.bounds()) if relation(self.maps[j], query)]

    def radius(self, lon, lat, meters) -> list[bytes]:
        circle = [(3, circle_ring(lon, lat, meters), [])]
        out = []
        for j in self.overlapping(*radius_bounds(lon, lat, meters)):
            p = self.points[j]
            ok = distance(p[1], p[0], lat, lon) <= meters if p else RELATIONS[INTERSECTS](self.maps[j], circle)
            if ok:
                out.append(self.names[j])
        return out


def _names(reply) -> list[bytes]:
    return list(reply[1]) if reply else []


def test_indexed_queries_match_a_scan(r):
    rng = random.Random(SEED)
    members = _build(rng)
    for start in range(0, len(members), 500):
        chunk = members[start : start + 500]
        assert r.execute_command("GIS.ADD", "rnd", *[x for m in chunk for x in m]) == len(chunk)
    scan = _Scan(members)
    commands = (("GIS.CONTAINS", EX_CONTAINS), ("GIS.WITHIN", WITHIN), ("GIS.INTERSECTS", EX_INTERSECTS),
                ("GIS.SEARCH", INTERSECTS))
    queries = _queries(rng, members)
    checks = found = 0
    for start in range(0, len(queries), 50):
        batch = queries[start : start + 50]
        pipe = r.pipeline(transaction=False)
        for wkt in batch:
            for cmd, _ in commands:
                pipe.execute_command(cmd, "rnd", wkt, "WITHOUTWKT")
        replies = iter(pipe.execute())
        for wkt in batch:
            for cmd, search in commands:
                reply = next(replies)
                want = scan.geometry(wkt, search)
                assert _names(reply) == want, (cmd, wkt)
                assert (reply[0] if reply else 0) == len(want)
                checks += 1
                found += len(want)

    for _ in range(60):
        lon, lat = round(rng.uniform(-20, 20), 2), round(rng.uniform(-20, 20), 2)
        km = rng.uniform(10, 300)
        reply = r.execute_command("GIS.SEARCH", "rnd", "RADIUS", lon, lat, km, "km", "WITHOUTWKT")
        want = scan.radius(lon, lat, float(km) * 1000)
        assert _names(reply) == want, (lon, lat, km)
        checks += 1
        found += len(want)
    assert checks > 1000 and found > 1000


def test_ten_thousand_polygons(raw):
    """The benchmark's layer: 10 000 polygons in one key, loaded 500 per GIS.ADD."""
    for cmd in add_commands("zones"):
        assert raw(*cmd) == b":500\r\n"
    assert raw("HLEN", "zones") == b":10001\r\n"
    for k in random.Random(2).sample(range(10_000), 300):
        x, y = zone_center(k)
        name = f"zone{k}".encode()
        assert raw("GIS.CONTAINS", "zones", f"POINT ({x!r} {y!r})", "WITHOUTWKT") == (
            b"*2\r\n:1\r\n*1\r\n$%d\r\n%s\r\n" % (len(name), name)
        )
    assert raw("GIS.CONTAINS", "zones", "POINT (0 0)") == b"*2\r\n:0\r\n*0\r\n"
    assert raw("GIS.SEARCH", "zones", "RADIUS", "1.5", "0.75", "10", "km", "WITHOUTWKT", "WITHDIST") == (
        b"*2\r\n:1\r\n*2\r\n$8\r\nzone5050\r\n$6\r\n0.0000\r\n"
    )
    names = raw("GIS.GETALL", "zones", "WITHOUTWKT").split(b"\r\n")[2:8:2]
    assert names == [b"zone0", b"zone1", b"zone10"]
