"""TairGis's own spatial relations, decision for decision.

TairGis does not answer CONTAINS / WITHIN / INTERSECTS / SEARCH with DE-9IM predicates: it
flattens both geometries into a "polygon map" (src/spatial/geom_polymap.c) and applies its
own tests per pair of parts (geom.c: pointWithin, lineContains, polygonExIntersects, ...)
built on a ray-casting point-in-ring test (polyraycast.c, polyinside.c) and a segment
intersection test (polyintersects.c). Those tests have quirks the answers depend on, and
they are reproduced here on purpose:

- a line's segments are walked from its second vertex, and its last vertex is joined back
  to the first (so the first segment is skipped and a closing segment is added);
- in GIS.SEARCH (plain intersects) a line is reduced to its vertices compared with
  themselves, so a line never intersects a polygon and meets a line or point only where
  they coincide exactly;
- a part of a type a test does not handle ends the whole test with "no match";
- a point lying on an outer ring counts as inside, on a hole's ring as not in the hole;
- holes are only tested for strict containment of the other polygon;
- a MULTIPOLYGON of a single polygon is read with the layout of a plain polygon, so it is a
  part of an unhandled type whose "points" are the bytes of its rings read as doubles.

Every comparison is an IEEE double comparison in the module's order, so NaN and infinite
coordinates behave as they do there. The functions are pure: parsing and testing can run in
any thread.
"""

from __future__ import annotations

import struct

import numpy as np

from tairproxy.modules.tairgis_geometry import (
    COLLECTION,
    LINESTRING,
    MULTILINESTRING,
    MULTIPOINT,
    MULTIPOLYGON,
    POINT,
    POLYGON,
    Geom,
    parse_geometry,
)

# A polygon map: a list of parts (type, points, holes); points are (x, y) tuples, holes a
# list of rings. A part of type UNKNOWN (an empty polygon inside a MULTIPOLYGON) or
# MULTIPOLYGON (the single-polygon quirk) is not handled by any test.
UNKNOWN = 0
Part = tuple[int, list, list]

# Search types of exgsearchInner.
WITHIN, INTERSECTS, EX_CONTAINS, EX_INTERSECTS = 1, 2, 3, 4


# ---------------------------------------------------------------------------
# Building the polygon map.


def polygon_map(g: Geom) -> list[Part]:
    """geomNewPolyMap: the parts TairGis tests, in its order."""
    kind, data = g.kind, g.data
    if kind == POINT:
        return [(POINT, [(data[0], data[1])], [])]
    if kind == LINESTRING:
        return [(LINESTRING, _xy(data), [])]
    if kind == POLYGON:
        if not data:
            return [(POLYGON, [], [])]
        return [(POLYGON, _xy(data[0]), [_xy(r) for r in data[1:]])]
    if kind == MULTIPOINT:
        return [(POINT, [(c[0], c[1])], []) for c in data]
    if kind == MULTILINESTRING:
        return [(LINESTRING, _xy(line), []) for line in data]
    if kind == MULTIPOLYGON:
        if len(data) <= 1:
            return [(MULTIPOLYGON, _misread_polygon(g), [])]
        return [(POLYGON, _xy(p[0]), [_xy(r) for r in p[1:]]) if p else (UNKNOWN, [], []) for p in data]
    parts: list[Part] = []
    for member in _flatten(g):
        parts += polygon_map(member)
    return parts


class Ring(list):
    """A ring or line: (x, y) tuples, with its edges as (ax, ay, bx, by) tuples or, once it
    is long enough for the vectorised tests, as arrays (built on first use, kept with the
    parsed geometry)."""

    __slots__ = ("_edges", "_tuples")

    def edge_tuples(self) -> list[tuple[float, float, float, float]]:
        try:
            return self._tuples
        except AttributeError:
            self._tuples = _edge_tuples(self)
            return self._tuples

    def edges(self) -> tuple:
        """Edge i runs from point i to point i + 1, the last one back to the first."""
        try:
            return self._edges
        except AttributeError:
            xy = np.array(self, dtype=np.float64).reshape(-1, 2)
            ax, ay = xy[:, 0], xy[:, 1]
            self._edges = (ax, ay, np.roll(ax, -1), np.roll(ay, -1))
            return self._edges


def _edge_tuples(ring: list) -> list[tuple[float, float, float, float]]:
    n = len(ring)
    return [(*ring[i], *ring[i + 1 if i + 1 < n else 0]) for i in range(n)]


def stored_polygon_map(text: bytes) -> list[Part]:
    """polygon_map of a stored member's text, Tair's own printing of it: the plain 2D
    POINT, LINESTRING and POLYGON forms are split and read with float() (which reads the
    printer's shortest digits exactly as strtod does); anything else (Z/M, NaN, EMPTY,
    MULTI*, collections) takes the full reader."""
    try:
        if text.startswith(b"POLYGON((") and text.endswith(b"))"):
            rings = [_flat_ring(r) for r in text[9:-2].split(b"),(")]
            return [(POLYGON, rings[0], rings[1:])]
        if text.startswith(b"LINESTRING(") and text.endswith(b")"):
            return [(LINESTRING, _flat_ring(text[11:-1]), [])]
        if text.startswith(b"POINT(") and text.endswith(b")"):
            (point,) = _flat_ring(text[6:-1])
            return [(POINT, [point], [])]
    except ValueError:
        pass
    return polygon_map(parse_geometry(text))


def _flat_ring(text: bytes) -> Ring:
    """"x y,x y,..." with exactly two numbers per coordinate, or ValueError."""
    if not text:
        return Ring()
    first = text.split(b",", 1)[0].split()
    values = text.replace(b",", b" ").split()
    if len(first) != 2 or len(values) % 2:
        raise ValueError(text)
    numbers = list(map(float, values))
    return Ring(zip(numbers[0::2], numbers[1::2], strict=True))


def _xy(coords) -> Ring:
    return Ring((c[0], c[1]) for c in coords)


def _flatten(g: Geom) -> list[Geom]:
    out = []
    for member in g.data:
        if member.kind == COLLECTION:
            out += _flatten(member)
        else:
            out.append(member)
    return out


def _misread_polygon(g: Geom) -> list[tuple[float, float]]:
    """A MULTIPOLYGON with at most one polygon takes the plain-polygon branch: its polygon
    count is read as the ring count, the first polygon's ring count as the point count, and
    the points from where the first ring's point count is stored. Only GIS.WITHIN ever
    looks at these points (the part's type matches no other test)."""
    if not g.data:
        return Ring()
    dims = 2 + g.z + g.m
    rings = g.data[0]
    raw = b"".join(
        struct.pack("<I", len(ring)) + struct.pack(f"<{len(ring) * dims}d", *(v for c in ring for v in c))
        for ring in rings
    )
    want = len(rings) * dims * 8
    raw = raw[:want].ljust(want, b"\0")  # past the end the module reads whatever follows
    values = struct.unpack(f"<{len(rings) * dims}d", raw)
    return Ring((values[i * dims], values[i * dims + 1]) for i in range(len(rings)))


# ---------------------------------------------------------------------------
# polyraycast.c / polyinside.c / polyintersects.c

RAY_OUT, RAY_LEFT, RAY_ON = 0, 1, 2


def raycast(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> int:
    """Where p lies for a ray cast to the right against segment a-b (Franklin's test)."""
    if ax == bx and ay == by:
        return RAY_ON if px == ax and py == ay else RAY_OUT
    if (
        ((ax <= px <= bx) or (bx <= px <= ax))
        and ((ay <= py <= by) or (by <= py <= ay))
        and (py - ay) * (bx - ax) == (px - ax) * (by - ay)
    ):
        return RAY_ON
    if ((ay > py) != (by > py)) and px < (bx - ax) * (py - ay) / (by - ay) + ax:
        return RAY_LEFT
    return RAY_OUT


# Past this many edges (or pairs of edges) the tests run on arrays: the same IEEE
# operations in the same order, so the same answers, element by element.
_VECTOR_EDGES = 48
_VECTOR_BLOCK = 1 << 20


def inside_ring(p: tuple[float, float], ring: list, on_ring: bool) -> bool:
    """insideshpext: odd number of crossings; a point on the ring answers on_ring."""
    try:
        edges = ring._tuples
    except AttributeError:
        if not isinstance(ring, Ring):
            edges = _edge_tuples(ring)
        elif len(ring) > _VECTOR_EDGES:
            return bool(_inside_ring_array(np.array([p[0]]), np.array([p[1]]), ring, on_ring)[0])
        else:
            edges = ring.edge_tuples()
    px, py = p
    inside = False
    for ax, ay, bx, by in edges:
        if (ay > py and by > py) or (ay < py and by < py):
            continue  # wholly above or below: neither on it nor crossed (NaN never skips)
        if ax == bx and ay == by:
            if px == ax and py == ay:
                return on_ring
            continue
        if (
            ((ax <= px <= bx) or (bx <= px <= ax))
            and ((ay <= py <= by) or (by <= py <= ay))
            and (py - ay) * (bx - ax) == (px - ax) * (by - ay)
        ):
            return on_ring
        if ((ay > py) != (by > py)) and px < (bx - ax) * (py - ay) / (by - ay) + ax:
            inside = not inside
    return inside


def point_inside(p: tuple[float, float], exterior: list, holes: list) -> bool:
    """polyPointInside: inside (or on) the exterior and not strictly inside a hole."""
    if not inside_ring(p, exterior, True):
        return False
    for hole in holes:
        if inside_ring(p, hole, False):
            return False
    return True


def _inside_ring_array(px, py, ring: Ring, on_ring: bool):
    """inside_ring for many points at once (arrays px, py): one answer per point."""
    ax, ay, bx, by = ring.edges()
    out = np.empty(len(px), dtype=bool)
    step = max(1, _VECTOR_BLOCK // len(ax))
    with np.errstate(all="ignore"):
        for k in range(0, len(px), step):
            x, y = px[k : k + step, None], py[k : k + step, None]
            point_edge = (ax == bx) & (ay == by)
            on = (point_edge & (x == ax) & (y == ay)) | (
                ~point_edge
                & (((ax <= x) & (x <= bx)) | ((bx <= x) & (x <= ax)))
                & (((ay <= y) & (y <= by)) | ((by <= y) & (y <= ay)))
                & ((y - ay) * (bx - ax) == (x - ax) * (by - ay))
            )
            left = ~point_edge & ((ay > y) != (by > y)) & (x < (bx - ax) * (y - ay) / (by - ay) + ax)
            out[k : k + step] = np.where(on.any(axis=1), on_ring, np.count_nonzero(left, axis=1) % 2 == 1)
    return out


def points_inside(points, exterior: list, holes: list):
    """point_inside for every point (a list of pairs or an (n, 2) array): a boolean array."""
    xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    px, py = xy[:, 0], xy[:, 1]
    inside = _inside_ring_array(px, py, _as_ring(exterior), True)
    for hole in holes:
        if inside.any():
            inside &= ~_inside_ring_array(px, py, _as_ring(hole), False)
    return inside


def _as_ring(ring: list) -> Ring:
    return ring if isinstance(ring, Ring) else Ring(ring)


def _segments_intersect_array(ax, ay, bx, by, cx, cy, dx, dy):
    """segments_intersect on broadcast arrays of segments a-b and c-d."""
    with np.errstate(all="ignore"):
        ab_down, cd_down = ay > by, cy > dy
        apart_y = np.where(ab_down, np.where(cd_down, (by > cy) | (ay < dy), (by > dy) | (ay < cy)),
                           np.where(cd_down, (ay > cy) | (by < dy), (ay > dy) | (by < cy)))
        ab_left, cd_left = ax > bx, cx > dx
        apart_x = np.where(ab_left, np.where(cd_left, (bx > cx) | (ax < dx), (bx > dx) | (ax < cx)),
                           np.where(cd_left, (ax > cx) | (bx < dx), (ax > dx) | (bx < cx)))
        cmpx, cmpy, rx, ry = cx - ax, cy - ay, bx - ax, by - ay
        cmpxr = cmpx * ry - cmpy * rx
        collinear = ((cx - ax <= 0) != (cx - bx <= 0)) | ((cy - ay <= 0) != (cy - by <= 0))
        sx, sy = dx - cx, dy - cy
        cmpxs = cmpx * sy - cmpy * sx
        rxs = rx * sy - ry * sx
        rxsr = 1 / rxs
        t, u = cmpxs * rxsr, cmpxr * rxsr
        crossing = (rxs != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
        return ~apart_y & ~apart_x & np.where(cmpxr == 0, collinear, crossing)


def _any_edges_intersect(shape: list, exterior: list) -> bool:
    """Any edge of one ring (closing edge included) meeting any edge of the other."""
    sax, say, sbx, sby = _as_ring(shape).edges()
    eax, eay, ebx, eby = _as_ring(exterior).edges()
    step = max(1, _VECTOR_BLOCK // len(eax))
    for k in range(0, len(sax), step):
        sl = slice(k, k + step)
        hit = _segments_intersect_array(sax[sl, None], say[sl, None], sbx[sl, None], sby[sl, None],
                                        eax, eay, ebx, eby)
        if hit.any():
            return True
    return False


def segments_intersect(a, b, c, d) -> bool:
    """lineintersects: bounding boxes first (without swapping), then the cross products."""
    ax, ay = a
    bx, by = b
    cx, cy = c
    dx, dy = d
    if ay > by:
        if cy > dy:
            if by > cy or ay < dy:
                return False
        elif by > dy or ay < cy:
            return False
    elif cy > dy:
        if ay > cy or by < dy:
            return False
    elif ay > dy or by < cy:
        return False
    if ax > bx:
        if cx > dx:
            if bx > cx or ax < dx:
                return False
        elif bx > dx or ax < cx:
            return False
    elif cx > dx:
        if ax > cx or bx < dx:
            return False
    elif ax > dx or bx < cx:
        return False
    cmpx = cx - ax
    cmpy = cy - ay
    rx = bx - ax
    ry = by - ay
    cmpxr = cmpx * ry - cmpy * rx
    if cmpxr == 0:
        # Collinear: they meet when c is not on the same side of a and of b.
        return ((cx - ax <= 0) != (cx - bx <= 0)) or ((cy - ay <= 0) != (cy - by <= 0))
    sx = dx - cx
    sy = dy - cy
    cmpxs = cmpx * sy - cmpy * sx
    rxs = rx * sy - ry * sx
    if rxs == 0:
        return False  # parallel
    rxsr = 1 / rxs
    t = cmpxs * rxsr
    u = cmpxr * rxsr
    return t >= 0 and t <= 1 and u >= 0 and u <= 1


def _edges(ring: list):
    n = len(ring)
    for i in range(n):
        yield ring[i], ring[i + 1] if i + 1 < n else ring[0]


def line_crosses_polygon(a, b, exterior: list, holes: list) -> bool:
    """polyLineIntersect: an end inside, or the segment crossing an exterior edge."""
    if point_inside(a, exterior, holes) or point_inside(b, exterior, holes):
        return True
    if len(exterior) > _VECTOR_EDGES:
        ex, ey, fx, fy = _as_ring(exterior).edges()
        return bool(_segments_intersect_array(a[0], a[1], b[0], b[1], ex, ey, fx, fy).any())
    return any(segments_intersect(a, b, e1, e2) for e1, e2 in _edges(exterior))


def line_inside_polygon(a, b, exterior: list, holes: list) -> bool:
    """polyLineInside: both ends inside and an even number of proper exterior crossings."""
    if not point_inside(a, exterior, holes) or not point_inside(b, exterior, holes):
        return False
    if len(exterior) > _VECTOR_EDGES:
        ring = _as_ring(exterior)
        ex, ey, fx, fy = ring.edges()
        crossing = _segments_intersect_array(a[0], a[1], b[0], b[1], ex, ey, fx, fy)
        crossing &= ~_on_edges(a, ring) & ~_on_edges(b, ring)
        return np.count_nonzero(crossing) % 2 == 0
    crossings = 0
    for e1, e2 in _edges(exterior):
        if segments_intersect(a, b, e1, e2) and (
            raycast(*a, *e1, *e2) != RAY_ON and raycast(*b, *e1, *e2) != RAY_ON
        ):
            crossings += 1
    return crossings % 2 == 0


def _on_edges(p, ring: Ring):
    """raycast(p, edge) == RAY_ON for every edge of the ring."""
    ax, ay, bx, by = ring.edges()
    x, y = p
    point_edge = (ax == bx) & (ay == by)
    with np.errstate(all="ignore"):
        return (point_edge & (x == ax) & (y == ay)) | (
            ~point_edge
            & (((ax <= x) & (x <= bx)) | ((bx <= x) & (x <= ax)))
            & (((ay <= y) & (y <= by)) | ((by <= y) & (y <= ay)))
            & ((y - ay) * (bx - ax) == (x - ax) * (by - ay))
        )


def polygon_inside(shape: list, exterior: list, holes: list) -> bool:
    """polyPolygonInside: every vertex inside, and no hole inside the shape."""
    if len(shape) > 1 and len(exterior) > _VECTOR_EDGES:
        if not points_inside(shape, exterior, holes).all():
            return False
    else:
        for p in shape:
            if not point_inside(p, exterior, holes):
                return False
    for hole in holes:
        if polygon_inside(hole, shape, []):
            return False
    return True


def _rect(ring: list) -> tuple[float, float, float, float]:
    """polyPolygonRect, including its else-if (harmless except with NaN)."""
    minx, miny = maxx, maxy = ring[0]
    for x, y in ring[1:]:
        if x < minx:
            minx = x
        elif x > maxx:
            maxx = x
        if y < miny:
            miny = y
        elif y > maxy:
            maxy = y
    return minx, miny, maxx, maxy


def _degenerate(shape: list, exterior: list, holes: list) -> bool | None:
    """The shared opening of polyPolygonIntersects/Contains for empty and one-point rings,
    or None when both have two points or more."""
    if not shape:
        return False
    if len(shape) == 1:
        if not exterior:
            return False
        if len(exterior) == 1:
            # The module compares the shape's y with itself: only x (and a NaN y) decide.
            s, e = shape[0], exterior[0]
            return s[0] == e[0] and s[1] == s[1]
        return point_inside(shape[0], exterior, holes)
    if not exterior:
        return False
    if len(exterior) == 1:
        return point_inside(exterior[0], shape, holes)
    return None


def polygons_intersect(shape: list, exterior: list, holes: list) -> bool:
    """polyPolygonIntersects(shape, exterior with holes)."""
    early = _degenerate(shape, exterior, holes)
    if early is not None:
        return early
    sminx, sminy, smaxx, smaxy = _rect(shape)
    eminx, eminy, emaxx, emaxy = _rect(exterior)
    if sminy > emaxy or smaxy < eminy or sminx > emaxx or smaxx < eminx:
        return False
    if len(shape) * len(exterior) > _VECTOR_EDGES * 8:
        if _any_edges_intersect(shape, exterior):
            return True
    else:
        for s1, s2 in _edges(shape):
            for e1, e2 in _edges(exterior):
                if segments_intersect(s1, s2, e1, e2):
                    return True
    return _nested(shape, exterior, holes)


def polygons_contain(shape: list, exterior: list, holes: list) -> bool:
    """polyPolygonContains(shape, exterior with holes): one inside the other, either way."""
    early = _degenerate(shape, exterior, holes)
    if early is not None:
        return early
    return _nested(shape, exterior, holes)


def _nested(shape: list, exterior: list, holes: list) -> bool:
    for hole in holes:
        if polygon_inside(shape, hole, []):
            return False
    return polygon_inside(shape, exterior, []) or polygon_inside(exterior, shape, [])


# ---------------------------------------------------------------------------
# geom.c: one part of the first map against every part of the second.


def _point_equals(a, m: list[Part]) -> bool:
    """pointContains."""
    for kind, pts, _ in m:
        if kind != POINT:
            return False
        if a[0] == pts[0][0] and a[1] == pts[0][1]:
            return True
    return False


def _point_within(a, m: list[Part]) -> bool:
    """pointWithin."""
    for kind, pts, holes in m:
        if kind == POINT:
            if a[0] == pts[0][0] and a[1] == pts[0][1]:
                return True
        elif kind == LINESTRING:
            for b, c in _walk(pts):
                if raycast(*a, *b, *c) == RAY_ON:
                    return True
        elif kind == POLYGON:
            if point_inside(a, pts, holes):
                return True
        else:
            return False
    return False


def _walk(pts: list):
    """A line's segments as the module walks them: from the second vertex, closing back."""
    n = len(pts)
    for j in range(1, n):
        yield pts[j], pts[j + 1] if j + 1 < n else pts[0]


def _vertex_meets(a, m: list[Part]) -> bool:
    """lineIntersects(a, a): called with a zero-length segment, it only finds a point or a
    line vertex (itself compared with itself, which the collinear test rejects) at a."""
    for kind, pts, _ in m:
        if kind == POINT:
            if raycast(*pts[0], *a, *a) == RAY_ON:
                return True
        elif kind == LINESTRING:
            for j in range(1, len(pts)):
                if segments_intersect(a, a, pts[j], pts[j]):
                    return True
        else:
            return False
    return False


def _segment_covers(a, b, m: list[Part]) -> bool:
    """lineContains."""
    for kind, pts, _ in m:
        if kind == POINT:
            if raycast(*pts[0], *a, *b) == RAY_ON:
                return True
        elif kind == LINESTRING:
            mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
            for c, d in _walk(pts):
                if (
                    raycast(*c, *a, *b) == RAY_ON
                    and raycast(*mid, *a, *b) == RAY_ON
                    and raycast(*d, *a, *b) == RAY_ON
                ):
                    return True
        else:
            return False
    return False


def _segment_meets(a, b, m: list[Part]) -> bool:
    """lineExIntersects."""
    for kind, pts, holes in m:
        if kind == POINT:
            if raycast(*pts[0], *a, *b) == RAY_ON:
                return True
        elif kind == LINESTRING:
            for c, d in _walk(pts):
                mid = ((c[0] + d[0]) / 2, (c[1] + d[1]) / 2)
                if segments_intersect(a, b, c, d) and not (
                    raycast(*c, *a, *b) == RAY_ON and raycast(*d, *a, *b) == RAY_ON and raycast(*a, *b, *mid) == RAY_ON
                ):
                    return True
        elif kind == POLYGON:
            if point_inside(a, pts, holes) or point_inside(b, pts, holes):
                return True
        else:
            return False
    return False


def _polygon_covers(polygon: list, holes: list, m: list[Part]) -> bool:
    """polygonContains."""
    for kind, pts, part_holes in m:
        if kind == POINT:
            if point_inside(pts[0], polygon, holes):
                return True
        elif kind == LINESTRING:
            for a, b in _walk(pts):
                if line_inside_polygon(a, b, polygon, holes):
                    return True
        elif kind == POLYGON:
            if polygons_contain(polygon, pts, part_holes):
                return True
        else:
            return False
    return False


def _polygon_meets(polygon: list, holes: list, m: list[Part], lines_by_segment: bool) -> bool:
    """polygonIntersects (a line's vertices only) and polygonExIntersects (its segments)."""
    for kind, pts, part_holes in m:
        if kind == POINT:
            if point_inside(pts[0], polygon, holes):
                return True
        elif kind == LINESTRING:
            if lines_by_segment:
                for a, b in _walk(pts):
                    if line_crosses_polygon(a, b, polygon, holes):
                        return True
            else:
                for j in range(1, len(pts)):
                    if point_inside(pts[j], polygon, holes):
                        return True
        elif kind == POLYGON:
            if polygons_intersect(polygon, pts, part_holes):
                return True
        else:
            return False
    return False


def intersects(m1: list[Part], m2: list[Part]) -> bool:
    """geomPolyMapIntersects (GIS.SEARCH): m1 the stored member, m2 the query."""
    for kind, pts, holes in m1:
        if kind == POINT:
            if _point_within(pts[0], m2):
                return True
        elif kind == LINESTRING:
            for j in range(1, len(pts)):
                if _vertex_meets(pts[j], m2):
                    return True
        elif kind == POLYGON:
            if _polygon_meets(pts, holes, m2, lines_by_segment=False):
                return True
        else:
            return False
    return False


def within(m1: list[Part], m2: list[Part]) -> bool:
    """geomPolyMapWithin (GIS.WITHIN): every point of every part of m1 (outer rings only,
    whatever the part's type) within m2."""
    if not m1:
        return False
    for _, pts, _ in m1:
        for p in pts:
            if not _point_within(p, m2):
                return False
    return True


def contains(m1: list[Part], m2: list[Part]) -> bool:
    """geomPolyMapContains (GIS.CONTAINS)."""
    for kind, pts, holes in m1:
        if kind == POINT:
            if _point_equals(pts[0], m2):
                return True
        elif kind == LINESTRING:
            for a, b in _walk(pts):
                if _segment_covers(a, b, m2):
                    return True
        elif kind == POLYGON:
            if _polygon_covers(pts, holes, m2):
                return True
        else:
            return False
    return False


def ex_intersects(m1: list[Part], m2: list[Part]) -> bool:
    """geomPolyMapExIntersects (GIS.INTERSECTS)."""
    for kind, pts, holes in m1:
        if kind == POINT:
            if _point_within(pts[0], m2):
                return True
        elif kind == LINESTRING:
            for a, b in _walk(pts):
                if _segment_meets(a, b, m2):
                    return True
        elif kind == POLYGON:
            if _polygon_meets(pts, holes, m2, lines_by_segment=True):
                return True
        else:
            return False
    return False


RELATIONS = {WITHIN: within, INTERSECTS: intersects, EX_CONTAINS: contains, EX_INTERSECTS: ex_intersects}


def point_query(m1: list[Part], q: tuple[float, float], search: int) -> bool:
    """RELATIONS[search](m1, the map of POINT q), spelled out for the most common query: a
    point. Against a point, CONTAINS and INTERSECTS both ask whether q is one of m1's
    points, on one of its walked segments or inside one of its polygons; plain
    intersects looks only at line vertices (from the second); WITHIN asks whether every
    point of m1 is q."""
    qx, qy = q
    if search == WITHIN:
        return bool(m1) and all(p[0] == qx and p[1] == qy for _, pts, _ in m1 for p in pts)
    for kind, pts, holes in m1:
        if kind == POINT:
            if pts[0][0] == qx and pts[0][1] == qy:
                return True
        elif kind == LINESTRING:
            if search == INTERSECTS:
                for j in range(1, len(pts)):
                    if pts[j][0] == qx and pts[j][1] == qy:
                        return True
            else:
                for a, b in _walk(pts):
                    if raycast(qx, qy, *a, *b) == RAY_ON:
                        return True
        elif kind == POLYGON:
            if point_inside(q, pts, holes):
                return True
        else:
            return False
    return False
