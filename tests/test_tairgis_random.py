"""Randomised check of the indexed queries: thousands of random polygons (some with holes,
some with unclosed rings), lines and points in one key; CONTAINS / WITHIN / INTERSECTS /
SEARCH (GEOM and RADIUS) through the proxy must answer exactly what brute force over every
member with shapely answers (member order: insertion order, as the key is past one
R-tree leaf)."""

from __future__ import annotations

import math
import random

import numpy as np
import shapely

from tairproxy.modules.tairgis_geometry import circle_polygon, distance, radius_bounds
from tests.tairgis_polygons import add_commands, zone_center

SEED = 20240611


def _star(rng: random.Random, cx: float, cy: float, r: float, n: int) -> list[tuple[float, float]]:
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    return [(round(cx + r * rng.uniform(0.5, 1) * math.cos(a), 4), round(cy + r * rng.uniform(0.5, 1) * math.sin(a), 4))
            for a in angles]


def _ring_text(pts) -> str:
    return "(" + ",".join(f"{x!r} {y!r}" for x, y in pts) + ")"


def _build(rng: random.Random):
    """Members as (name, wkt sent, reference shapely geometry)."""
    members = []
    for n in range(3000):
        cx, cy = rng.uniform(-20, 20), rng.uniform(-20, 20)
        r = rng.uniform(0.05, 1.5)
        shell = _star(rng, cx, cy, r, rng.randint(3, 12))
        if len(set(shell)) < 3 or not shapely.Polygon(shell).is_valid:
            continue
        holes = []
        if n % 5 == 0:
            hole = _star(rng, cx, cy, r * 0.3, 4)
            if shapely.Polygon(shell).contains(shapely.Polygon(hole)) and shapely.Polygon(hole).is_valid:
                holes.append(hole)
        ref = shapely.Polygon(shell, holes)
        if not ref.is_valid:
            continue
        rings = [shell + ([shell[0]] if n % 2 else []) for shell in [shell]] + [h + [h[0]] for h in holes]
        members.append((f"poly{n}", "POLYGON(" + ",".join(_ring_text(r) for r in rings) + ")", ref))
    for n in range(1000):
        x, y = round(rng.uniform(-20, 20), 3), round(rng.uniform(-20, 20), 3)
        members.append((f"pt{n}", f"POINT({x!r} {y!r})", shapely.Point(x, y)))
    for n in range(500):
        x, y = rng.uniform(-20, 20), rng.uniform(-20, 20)
        pts = [(round(x + rng.uniform(-1, 1), 3), round(y + rng.uniform(-1, 1), 3)) for _ in range(rng.randint(2, 4))]
        if len(set(pts)) < 2:
            continue
        members.append((f"line{n}", "LINESTRING" + _ring_text(pts), shapely.LineString(pts)))
    return members


def _queries(rng: random.Random, members):
    """(wkt, shapely) query geometries: random points, member vertices, small shapes."""
    out = []
    for _ in range(250):
        x, y = round(rng.uniform(-20, 20), 3), round(rng.uniform(-20, 20), 3)
        out.append((f"POINT({x!r} {y!r})", shapely.Point(x, y)))
    for _, _, ref in rng.sample(members, 100):
        x, y = (float(v) for v in shapely.get_coordinates(ref)[0])
        out.append((f"POINT({x!r} {y!r})", shapely.Point(x, y)))  # on a vertex: boundary cases
    for _ in range(80):
        shell = _star(rng, rng.uniform(-20, 20), rng.uniform(-20, 20), rng.uniform(0.1, 4), rng.randint(3, 8))
        if len(set(shell)) >= 3 and shapely.Polygon(shell).is_valid:
            out.append(("POLYGON(" + _ring_text(shell + [shell[0]]) + ")", shapely.Polygon(shell)))
    for _ in range(60):
        pts = [(round(rng.uniform(-20, 20), 3), round(rng.uniform(-20, 20), 3)) for _ in range(2)]
        if pts[0] != pts[1]:
            out.append(("LINESTRING" + _ring_text(pts), shapely.LineString(pts)))
    return out


def _names(reply) -> list[bytes]:
    return list(reply[1]) if reply else []


def test_indexed_queries_match_brute_force(r):
    rng = random.Random(SEED)
    members = _build(rng)
    for start in range(0, len(members), 500):
        chunk = members[start : start + 500]
        assert r.execute_command("GIS.ADD", "rnd", *[x for name, wkt, _ in chunk for x in (name, wkt)]) == len(chunk)
    names = [m[0].encode() for m in members]
    refs = np.array([m[2] for m in members])
    shapely.prepare(refs)
    is_point = [m[2].geom_type == "Point" for m in members]
    points_xy = [(m[2].x, m[2].y) if is_point[j] else None for j, m in enumerate(members)]
    bounds = shapely.bounds(refs)

    pipe_size = 50
    queries = _queries(rng, members)
    checks = 0
    for start in range(0, len(queries), pipe_size):
        batch = queries[start : start + pipe_size]
        pipe = r.pipeline(transaction=False)
        for wkt, _ in batch:
            pipe.execute_command("GIS.CONTAINS", "rnd", wkt, "WITHOUTWKT")
            pipe.execute_command("GIS.WITHIN", "rnd", wkt, "WITHOUTWKT")
            pipe.execute_command("GIS.INTERSECTS", "rnd", wkt, "WITHOUTWKT")
            pipe.execute_command("GIS.SEARCH", "rnd", "GEOM", wkt, "WITHOUTWKT")
        replies = pipe.execute()
        for k, (wkt, q) in enumerate(batch):
            expected = {
                "contains": shapely.covers(refs, q),
                "within": shapely.covered_by(refs, q),
                "intersects": shapely.intersects(refs, q),
            }
            got = replies[4 * k : 4 * k + 4]
            for reply, kind in zip(got, ("contains", "within", "intersects", "intersects"), strict=True):
                want = [names[j] for j in np.flatnonzero(expected[kind])]
                assert _names(reply) == want, (kind, wkt)
                assert (reply[0] if reply else 0) == len(want)
                checks += 1

    # RADIUS: points by Tair's haversine (inside Tair's search box), others against its 12-gon.
    for _ in range(60):
        lon, lat = round(rng.uniform(-20, 20), 2), round(rng.uniform(-20, 20), 2)
        km = rng.uniform(10, 300)
        reply = r.execute_command("GIS.SEARCH", "rnd", "RADIUS", lon, lat, km, "km", "WITHOUTWKT")
        minx, miny, maxx, maxy = radius_bounds(lon, lat, km * 1000)
        circle = circle_polygon(lon, lat, km * 1000)
        in_box = ~((bounds[:, 0] > maxx) | (bounds[:, 2] < minx) | (bounds[:, 1] > maxy) | (bounds[:, 3] < miny))
        want = []
        for j in np.flatnonzero(in_box).tolist():
            if is_point[j]:
                ok = distance(points_xy[j][1], points_xy[j][0], lat, lon) <= km * 1000
            else:
                ok = refs[j].intersects(circle)
            if ok:
                want.append(names[j])
        assert _names(reply) == want, (lon, lat, km)
        checks += 1
    assert checks > 2000


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
