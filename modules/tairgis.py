"""TairGis: named points, lines and polygons per key, with CONTAINS / WITHIN / INTERSECTS
and radius searches (GIS.ADD, GIS.SEARCH, ...), plus the GIS* spellings our users' design
documents use (GISADD with a GeoJSON Feature, GISCONTAINS, GISINTERSECTS, GISWITHIN).

The truth is tair-opensource/TairGis (README.md, tests/tairgis.tcl, src/tairgis.c and
src/spatial.c for the option scanner, the checks and their order, and the reply shapes).

Writes are one FCALL each (tp_gis_add, tp_gis_del). Spatial reads never move the whole
key per call: each proxy keeps an index per (database, key) (tairgis_index), validated
by the key's version stamp, which every write replaces in the same Lua call. A read sends
the stamp of the index it holds; Lua answers just the stamp while it matches, else the
key's data to rebuild from, all in the one round trip; the reply is then computed here
(Call.transform): the index finds the members whose bounds overlap the query's box, as
the module's R-tree does, and the module's own relations decide (tairgis_relations).
Because a stamp identifies one state of one key (server TIME, a counter and randomness
hashed), any number of proxies stay correct.

Tair reports option errors only after its type check (a missing key answers an empty
array whatever the options), so the option scan runs in the transform, in Tair's order.
"""

from __future__ import annotations

import math
import re

import numpy as np

from tairproxy.dispatch import Call, Command, CommandError, wrong_arity
from tairproxy.modules.args import parse_int64
from tairproxy.modules.tairgis_geometry import (
    INVALID,
    POINT,
    POLYGON,
    STRTOD,
    InvalidGeometry,
    circle_ring,
    distance,
    json_geometry,
    load_json,
    parse_geometry,
    radius_bounds,
    strtod_value,
)
from tairproxy.modules.tairgis_index import GisIndex, IndexCache, encode_member
from tairproxy.modules.tairgis_relations import (
    EX_CONTAINS,
    EX_INTERSECTS,
    INTERSECTS,
    RELATIONS,
    WITHIN,
    Part,
    Ring,
    point_query,
    points_inside,
    polygon_map,
    within,
)
from tairproxy.resp import Encoded, Error

LUA_FILE = "tairgis.lua"
# The module this family stands in for, as its RedisModule_Init registers it (MODULE LIST, INFO).
EMULATES = ("exgistype", 1)

NEED_RADIUS = "ERR need longitude, latitude, meters, unit"
NEED_LONGITUDE = "ERR need numeric longitude"
NEED_LATITUDE = "ERR need numeric latitude"
NEED_METERS = "ERR need numeric meters"
BAD_UNIT = "ERR unsupported unit provided. please use m, km, ft, mi"
BAD_LONLAT = "ERR invalid longitude/latitude pair"
NEED_GEOMETRY = "ERR need geometry"
NEED_MEMBER = "ERR need member, meters, unit"
MEMBER_NOT_FOUND = "ERR member not found"
MEMBER_NOT_POINT = "ERR member must be point"
COUNT_NEEDED = "ERR count need number"
COUNT_NOT_NUMBER = "ERR count must be number"
COUNT_NOT_POSITIVE = "ERR count must be > 0"
LIMIT_NEEDED = "ERR limit need number"
LIMIT_NOT_NUMBER = "ERR limit must be number"
LIMIT_NOT_POSITIVE = "ERR limit must be > 0"
# GISADD (our users' spelling, not Tair's): where the member name comes from.
FEATURE_NEEDED = "ERR GISADD needs a GeoJSON Feature"
FEATURE_NAME_NEEDED = "ERR GeoJSON Feature needs properties.id or properties.name"
FEATURE_NAME_TYPE = "ERR GeoJSON Feature properties.id or properties.name must be a string or an integer"

_UNITS = {b"M": 1.0, b"KM": 1000.0, b"FT": 0.3048, b"MI": 1609.34}


def _word(arg: bytes) -> bytes:
    """An option word as Tair's strcasecmp sees it (a C string: it ends at a NUL)."""
    return arg.split(b"\0", 1)[0].upper()


def string2d(raw: bytes) -> float | None:
    """RedisModule_StringToDouble on Valkey 9 (fast_float): all of it one decimal number or
    inf/infinity, an optional sign, no leading space, no hex, no NaN, no overflow, no
    underflow to zero."""
    if not raw or raw[0] in b" \t\n\v\f\r":
        return None
    m = STRTOD.match(raw)
    if m is None or m.end() != len(raw):
        return None
    body = m.group(1).lower().lstrip(b"+-")
    if body.startswith(b"0x") or len(m.group(1)) - len(body) > 1:
        return None
    value = strtod_value(m.group(1))
    if math.isnan(value) or (math.isinf(value) and not body.startswith(b"inf")):
        return None
    if value == 0 and body.split(b"e")[0].strip(b"0.") != b"":
        return None  # a non-zero number too small for a double
    return value


# ---------------------------------------------------------------------------
# The cache of indexes (one per proxy process).

CACHE = IndexCache()


def set_cache_size(megabytes: int) -> None:
    """--gis-cache-mb: how much memory the indexes of this proxy process may take."""
    CACHE.resize(max(1, megabytes) << 20)


# The common query, "POINT (x y)" with plain decimals: read without the full grammar.
_WS = rb"[ \t\r\v\n\f]*"
_DECIMAL = rb"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
_SIMPLE_POINT = re.compile(
    _WS + rb"[pP][oO][iI][nN][tT]" + _WS + rb"\(" + _WS + _DECIMAL + rb"[ \t\r\v\n\f]+" + _DECIMAL + _WS + rb"\)" + _WS
    + rb"\Z"
)


def _simple_point(raw: bytes) -> tuple[float, float] | None:
    """"POINT (x y)" (what most queries are), read without the full grammar: float()
    reads what strtod reads here, except "_" digit separators (strtod stops at one);
    anything else (Z, hex, nan(...), other spellings) goes to the full reader."""
    if raw[:5] in (b"POINT", b"point") and raw[-1:] == b")":
        head, paren, body = raw[5:-1].partition(b"(")
        if paren and not head.strip() and b"_" not in body:
            coords = body.split()
            if len(coords) == 2:
                try:
                    return float(coords[0]), float(coords[1])
                except ValueError:
                    pass
    simple = _SIMPLE_POINT.match(raw)
    if simple is not None:
        return float(simple.group(1)), float(simple.group(2))
    return None


# A query geometry as exgsearchInner uses it: its polygon map and its R-tree box.
_Query = tuple[list[Part], tuple[float, float, float, float]]


class _QueryGeometries:
    """Parsed query geometries by argument text (a query repeats its geometry often)."""

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self._parsed: dict[bytes, _Query | None] = {}

    def get(self, raw: bytes) -> _Query | None:
        """The query, or None where the module answers "ERR invalid geometry"."""
        point = _simple_point(raw)
        if point is not None:  # cheaper to read again than to keep
            x, y = point
            return [(POINT, [point], [])], (x, y, x, y)
        found = self._parsed.get(raw, self)
        if found is not self:
            return found
        try:
            geom = parse_geometry(raw)
            found = polygon_map(geom), geom.bounds()
        except InvalidGeometry:
            found = None
        if len(self._parsed) >= self.limit:
            self._parsed.clear()
        self._parsed[raw] = found
        return found


QUERY_GEOMETRIES = _QueryGeometries()


# ---------------------------------------------------------------------------
# Reads: one FCALL_RO of tp_gis_read; the reply is made here from the index.

def _read_call(db: int, keys: list[bytes], answer) -> Call:
    """The call for a read of `keys`; answer(indexes) makes the reply (an index is None
    for a missing key) once each index is known to be current. Per key the call carries
    the stamp of the index held, or "" to have the data sent."""
    held = [CACHE.get((db, k)) for k in keys]

    def transform(reply):
        items = [reply] if len(keys) == 1 else reply  # one key: its answer is the reply
        return answer([_current(db, k, item, h) for k, item, h in zip(keys, items, held, strict=True)])

    return Call("tp_gis_read", list(keys), [h.stamp if h is not None else b"" for h in held],
                readonly=True, transform=transform)


def _current(db: int, key: bytes, item, held: GisIndex | None) -> GisIndex | None:
    """The index a read answers from, given tp_gis_read's answer for its key: the one it
    held (the stamp came back), a new one (the data came), or None (no key)."""
    if not isinstance(item, list):
        return held
    ck = (db, key)
    if not item:
        CACHE.drop(ck)
        return None
    current = CACHE.get(ck)
    if current is not None and current.stamp == item[0]:
        return current  # a concurrent read already built this state
    index = GisIndex.from_reply(item)
    CACHE.put(ck, index)
    return index


class _Search:
    """Tair's searchContext after parseGisFlags (class attributes are the defaults: a
    query usually sets none of them)."""

    center = (0.0, 0.0)
    meters = 0.0
    to_meters = 1.0
    radius = False  # targetType RADIUS (else GEOMETRY)
    parts: list[Part] | None = None
    bounds = (0.0, 0.0, 0.0, 0.0)
    count = 0
    limit = 0
    withvalue = True
    withdist = False
    asc = False
    desc = False


def _parse_search(index: GisIndex, args: list[bytes]) -> _Search | Error:
    """parseGisFlags from argv[2], in order; unknown words are ignored, as in Tair."""
    ctx = _Search()
    i, argc = 2, len(args)
    while i < argc:
        word = _word(args[i])
        if word == b"RADIUS":
            if i >= argc - 4:
                return Error(NEED_RADIUS.encode())
            lon = string2d(args[i + 1])
            if lon is None:
                return Error(NEED_LONGITUDE.encode())
            lat = string2d(args[i + 2])
            if lat is None:
                return Error(NEED_LATITUDE.encode())
            distance = _distance(args[i + 3], args[i + 4])
            if isinstance(distance, Error):
                return distance
            meters, unit = distance
            ctx.center, ctx.to_meters = (lon, lat), unit
            if lon < -180 or lon > 180 or lat < -90 or lat > 90:
                return Error(BAD_LONLAT.encode())
            _set_radius(ctx, meters * unit)
            i += 4
        elif word == b"GEOM":
            if i == argc - 1:
                return Error(NEED_GEOMETRY.encode())
            query = QUERY_GEOMETRIES.get(args[i + 1])
            if query is None:
                return Error(INVALID.encode())
            (ctx.parts, ctx.bounds), ctx.radius = query, False
            i += 1
        elif word == b"MEMBER":
            if i >= argc - 3:
                return Error(NEED_MEMBER.encode())
            pos = index.position(args[i + 1])
            if pos is None:
                return Error(MEMBER_NOT_FOUND.encode())
            if index.kind[pos] != POINT:
                return Error(MEMBER_NOT_POINT.encode())
            distance = _distance(args[i + 2], args[i + 3])
            if isinstance(distance, Error):
                return distance
            meters, unit = distance
            ctx.to_meters = unit
            ctx.center = (index.cx[pos], index.cy[pos])
            _set_radius(ctx, meters * unit)
            i += 3
        elif word == b"WITHVALUE":
            ctx.withvalue = True
        elif word == b"WITHDIST":
            ctx.withdist = True
        elif word in (b"WITHOUTVALUE", b"WITHOUTWKT"):
            ctx.withvalue = False
        elif word in (b"COUNT", b"LIMIT"):
            is_count = word == b"COUNT"
            if i == argc - 1:
                return Error((COUNT_NEEDED if is_count else LIMIT_NEEDED).encode())
            n = parse_int64(args[i + 1])
            if n is None:
                return Error((COUNT_NOT_NUMBER if is_count else LIMIT_NOT_NUMBER).encode())
            if n <= 0:
                return Error((COUNT_NOT_POSITIVE if is_count else LIMIT_NOT_POSITIVE).encode())
            if is_count:
                ctx.count = n
            else:
                ctx.limit = n
            i += 1
        elif word == b"ASC":
            if not ctx.desc:
                ctx.asc = True
        elif word == b"DESC":
            if not ctx.asc:
                ctx.desc = True
        i += 1
    if ctx.parts is None:
        # No RADIUS / GEOM / MEMBER: argv[2] is the geometry.
        query = QUERY_GEOMETRIES.get(args[2])
        if query is None:
            return Error(INVALID.encode())
        (ctx.parts, ctx.bounds), ctx.radius = query, False
    return ctx


def _distance(value: bytes, unit_word: bytes) -> tuple[float, float] | Error:
    """RADIUS/MEMBER's ``dist unit`` pair: (distance, meters per unit) or Tair's error for it."""
    meters = string2d(value)
    if meters is None:
        return Error(NEED_METERS.encode())
    unit = _UNITS.get(_word(unit_word))
    if unit is None:
        return Error(BAD_UNIT.encode())
    return meters, unit


def _set_radius(ctx: _Search, meters: float) -> None:
    """The R-tree box from geoutilBoundsFromLatLon and the 12-sided circle other members
    are tested against; an infinite radius makes both NaN, as in the module."""
    lon, lat = ctx.center
    ctx.meters = meters
    ctx.radius = True
    ctx.bounds = radius_bounds(lon, lat, meters)
    ctx.parts = [(POLYGON, Ring(circle_ring(lon, lat, meters)), [])]


def _matches(index: GisIndex, ctx: _Search, search: int) -> list[int]:
    """searchIterator over the R-tree's candidates: positions of the matching members in
    Tair's iteration order (LIMIT applied)."""
    relation = RELATIONS[search]
    lon, lat = ctx.center
    candidates = index.candidates(*ctx.bounds)
    batch = _points_in_query(index, ctx, search, candidates)
    found = []
    limit, radius, query = ctx.limit, ctx.radius, ctx.parts
    points_apart = radius or batch is not None
    kind = index.kind
    for pos in candidates:
        if limit and len(found) >= limit:
            break
        if points_apart and kind[pos] == POINT:
            if radius:
                ok = distance(index.cy[pos], index.cx[pos], lat, lon) <= ctx.meters
            else:
                ok = batch[pos]
        else:
            ok = relation(index.parts(pos), query)
        if ok:
            found.append(pos)
    return found


_BATCH_POINTS = 32


def _points_in_query(index: GisIndex, ctx: _Search, search: int, candidates: list[int]) -> dict | None:
    """Point members against a one-polygon query, all at once: for WITHIN, INTERSECTS and
    plain intersects a point member's test is exactly point-in-polygon with holes (and
    CONTAINS never matches a point against a polygon), so many candidates are answered
    with one vectorised pass instead of one loop each."""
    if ctx.radius or len(candidates) < _BATCH_POINTS or len(ctx.parts) != 1 or ctx.parts[0][0] != POLYGON:
        return None
    rows = np.array(candidates, dtype=np.int64)
    rows = rows[index.kinds()[rows] == POINT]
    if search == EX_CONTAINS:
        inside = np.zeros(len(rows), dtype=bool)
    else:
        _, exterior, holes = ctx.parts[0]
        xy = np.stack([np.frombuffer(index.cx)[rows], np.frombuffer(index.cy)[rows]], axis=1)
        inside = points_inside(xy, exterior, holes)
    return dict(zip(rows.tolist(), inside.tolist(), strict=True))


def _distance_order(a: float, b: float) -> int:
    """sortDistanceAsc: distances within 1e-7 compare equal (and a NaN is "less")."""
    if a > b:
        return 1
    if abs(a - b) < 0.0000001:
        return 0
    return -1


def _merge_sort(items: list, cmp) -> list:
    """glibc's qsort (a top-down merge sort): the module's comparator is not a total order
    (NaN distances, the 1e-7 tolerance), so only the same algorithm gives the same order."""
    n = len(items)
    if n <= 1:
        return items
    left, right = _merge_sort(items[: n // 2], cmp), _merge_sort(items[n // 2 :], cmp)
    out = []
    i = j = 0
    while i < len(left) and j < len(right):
        if cmp(left[i], right[j]) <= 0:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def _distance_text(d: float) -> bytes:
    """%.4f as glibc prints it (a NaN keeps its sign)."""
    if math.isnan(d):
        return b"-nan" if math.copysign(1.0, d) < 0 else b"nan"
    return b"%.4f" % d


def _search_reply(index: GisIndex, args: list[bytes], search: int):
    if len(args) == 3:
        # The common query: a geometry and no option (a word such as COUNT is no geometry
        # and takes the general path, which reports its error).
        query = QUERY_GEOMETRIES.get(args[2])
        if query is not None:
            (parts, bounds), out = query, []
            if len(parts) == 1 and parts[0][0] == POINT:
                q, parsed = parts[0][1][0], index.parsed
                for pos in index.candidates(*bounds):
                    if point_query(parsed.get(pos) or index.parts(pos), q, search):
                        out += (index.name(pos), index.wkt(pos))
            else:
                relation = RELATIONS[search]
                for pos in index.candidates(*bounds):
                    if relation(index.parts(pos), parts):
                        out += (index.name(pos), index.wkt(pos))
            return _encoded_search(len(out) // 2, out)
    ctx = _parse_search(index, args)
    if isinstance(ctx, Error):
        return ctx
    found = _matches(index, ctx, search)
    if ctx.count and not (ctx.asc or ctx.desc):
        ctx.asc = True  # COUNT without ordering sorts ascending, as Tair does
    dists: list[float] | None = None
    if ctx.asc or ctx.desc or ctx.withdist:
        lon, lat = ctx.center
        cx, cy = index.cx, index.cy
        pairs = [(distance(cy[p], cx[p], lat, lon) / ctx.to_meters, p) for p in found]
        if ctx.asc:
            pairs = _merge_sort(pairs, lambda a, b: _distance_order(a[0], b[0]))
        elif ctx.desc:
            pairs = _merge_sort(pairs, lambda a, b: -_distance_order(a[0], b[0]))
        found = [p for _, p in pairs]
        dists = [d for d, _ in pairs]
    returned = len(found) if ctx.count == 0 or len(found) < ctx.count else ctx.count
    out: list = []
    for k in range(returned):
        pos = found[k]
        out.append(index.name(pos))
        if ctx.withvalue:
            out.append(index.wkt(pos))
        if ctx.withdist:
            out.append(_distance_text(dists[k]))
    return _encoded_search(returned, out)


_BULK_HEADERS = [b"$%d\r\n" % n for n in range(512)]


def _encoded_search(count: int, items: list[bytes]) -> Encoded:
    """[count, [items...]] in RESP (the same in RESP2 and RESP3), built directly."""
    parts = [b"*2\r\n:%d\r\n*%d\r\n" % (count, len(items))]
    headers = _BULK_HEADERS
    for item in items:
        n = len(item)
        parts += (headers[n] if n < 512 else b"$%d\r\n" % n, item, b"\r\n")
    return Encoded(b"".join(parts))


def _searcher(search: int):
    def handler(args: list[bytes], db: int) -> Call:
        key = args[1]
        held = CACHE.get((db, key))

        def transform(reply):
            index = _current(db, key, reply, held)
            if index is None:
                return []
            return _search_reply(index, args, search)

        return Call("tp_gis_read", [key], [held.stamp if held is not None else b""], readonly=True,
                    transform=transform)

    return handler


def gis_getall(args: list[bytes], db: int) -> Call:
    def answer(indexes):
        index = indexes[0]
        if index is None:
            return None
        withvalue = _getall_flags(args)
        if isinstance(withvalue, Error):
            return withvalue
        out = []
        for pos in index.sorted_positions():
            out.append(index.name(pos))
            if withvalue:
                out.append(index.wkt(pos))
        return out

    return _read_call(db, [args[1]], answer)


def _getall_flags(args: list[bytes]) -> bool | Error:
    """GIS.GETALL runs Tair's option scanner without a search context: WITHOUTWKT and
    friends work; the errors it reports before touching that context are reproduced;
    where the module would use that context (and crash the server) we answer an error."""
    withvalue = True
    i, argc = 2, len(args)
    while i < argc:
        word = _word(args[i])
        if word == b"RADIUS":
            if i >= argc - 4:
                return Error(NEED_RADIUS.encode())
            if string2d(args[i + 1]) is None:
                return Error(NEED_LONGITUDE.encode())
            return _getall_unsupported(word)
        elif word == b"GEOM":
            if i == argc - 1:
                return Error(NEED_GEOMETRY.encode())
            if QUERY_GEOMETRIES.get(args[i + 1]) is None:
                return Error(INVALID.encode())
            return _getall_unsupported(word)
        elif word == b"MEMBER":
            if i >= argc - 3:
                return Error(NEED_MEMBER.encode())
            return _getall_unsupported(word)
        elif word in (b"COUNT", b"LIMIT"):
            is_count = word == b"COUNT"
            if i == argc - 1:
                return Error((COUNT_NEEDED if is_count else LIMIT_NEEDED).encode())
            if parse_int64(args[i + 1]) is None:
                return Error((COUNT_NOT_NUMBER if is_count else LIMIT_NOT_NUMBER).encode())
            return _getall_unsupported(word)
        elif word in (b"ASC", b"DESC"):
            return _getall_unsupported(word)
        elif word == b"WITHVALUE":
            withvalue = True
        elif word in (b"WITHOUTVALUE", b"WITHOUTWKT"):
            withvalue = False
        i += 1
    return withvalue


def _getall_unsupported(word: bytes) -> Error:
    return Error(b"ERR tairproxy: GIS.GETALL does not take %s (it stops the real module)" % word)


# ---------------------------------------------------------------------------
# Writes and direct reads.


def gis_add(args: list[bytes]) -> Call:
    if len(args) % 2 == 1 or len(args) < 4:
        raise CommandError(wrong_arity("gis.add").decode())
    # Tair stores the pairs before a bad one; we store nothing (the error wins after the type check).
    deferred = b""
    pairs: list[bytes] = []
    for i in range(2, len(args), 2):
        try:
            pairs += [args[i], encode_member(parse_geometry(args[i + 1]))]
        except InvalidGeometry as exc:
            deferred, pairs = exc.message.encode(), []
            break
    return Call("tp_gis_add", [args[1]], [deferred, *pairs])


def gis_get(args: list[bytes]) -> Call:
    return Call("tp_gis_get", [args[1]], [args[2]], readonly=True)


def gis_del(args: list[bytes]) -> Call:
    return Call("tp_gis_del", [args[1]], [args[2]])


def _feature_name(feature: dict) -> bytes:
    props = feature.get("properties")
    props = props if isinstance(props, dict) else {}
    name = props.get("id")
    if name is None:
        name = props.get("name")
    if name is None:
        raise CommandError(FEATURE_NAME_NEEDED)
    if isinstance(name, str):
        return name.encode()
    if isinstance(name, int) and not isinstance(name, bool):
        return b"%d" % name
    raise CommandError(FEATURE_NAME_TYPE)


def gisadd(args: list[bytes]) -> Call:
    """GISADD key feature [feature ...]: each GeoJSON Feature named by properties.id, else
    properties.name; answers the number of features, as GIS.ADD does."""
    deferred = b""
    pairs: list[bytes] = []
    try:
        for raw in args[2:]:
            obj = load_json(raw.split(b"\0", 1)[0])
            if not isinstance(obj, dict) or obj.get("type") != "Feature":
                raise CommandError(FEATURE_NEEDED)
            name = _feature_name(obj)
            pairs += [name, encode_member(json_geometry(obj.get("geometry")))]
    except InvalidGeometry as exc:
        deferred, pairs = exc.message.encode(), []
    except CommandError as exc:
        deferred, pairs = exc.message.encode(), []
    return Call("tp_gis_add", [args[1]], [deferred, *pairs])


# A WKT geometry: its type word, an optional dimension tag, then "(" or EMPTY; a key
# merely starting with a type word ("points", "polygons:eu") is still a key.
_WKT_START = re.compile(
    rb"(?i)(?:POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)"
    rb"\s*(?:ZM|Z|M)?\s*(?:\(|EMPTY\b)"
)


def _looks_like_geometry(arg: bytes) -> bool:
    """GISWITHIN's second argument is a geometry when it starts like WKT or is a JSON
    object; anything else (e.g. a hash-tagged key such as "{zone}points") is a key."""
    text = arg.split(b"\0", 1)[0].lstrip(b" \t\r\v\n\f")
    if _WKT_START.match(text):
        return True
    if text.startswith(b"{"):
        try:
            load_json(text)
        except InvalidGeometry:
            return False
        return True
    return False


def _giswithin_keys(args: list[bytes]) -> list[bytes]:
    """GISWITHIN key geometry → one key; GISWITHIN zones_key points_key → two."""
    return [args[1]] if _looks_like_geometry(args[2]) else [args[1], args[2]]


def giswithin(args: list[bytes], db: int) -> Call:
    """GISWITHIN key geometry [options] as GIS.WITHIN; GISWITHIN zones_key points_key
    [WITHOUTWKT]: the members of points_key lying within (or on the edge of) any
    geometry of zones_key by GIS.WITHIN's test, as [count, [name, wkt, ...]]. Both keys
    must share a slot."""
    if _looks_like_geometry(args[2]):
        return _searcher(WITHIN)(args, db)
    zones_key, points_key = args[1], args[2]
    withvalue = not any(_word(a) in (b"WITHOUTWKT", b"WITHOUTVALUE") for a in args[3:])

    def answer(indexes):
        zones, points = indexes
        if zones is None or points is None:
            return []
        out: list = []
        count = 0
        for pos in range(points.size):
            box = (float(points.minx[pos]), float(points.miny[pos]), float(points.maxx[pos]), float(points.maxy[pos]))
            if any(within(points.parts(pos), zones.parts(z)) for z in zones.candidates(*box)):
                count += 1
                out.append(points.name(pos))
                if withvalue:
                    out.append(points.wkt(pos))
        return [count, out]

    return _read_call(db, [zones_key, points_key], answer)


COMMANDS = [
    Command("GIS.ADD", -4, gis_add),
    Command("GIS.GET", -3, gis_get, readonly=True),
    Command("GIS.GETALL", -2, gis_getall, readonly=True, with_db=True),
    Command("GIS.DEL", -3, gis_del),
    Command("GIS.CONTAINS", -3, _searcher(EX_CONTAINS), readonly=True, with_db=True),
    Command("GIS.WITHIN", -3, _searcher(WITHIN), readonly=True, with_db=True),
    Command("GIS.INTERSECTS", -3, _searcher(EX_INTERSECTS), readonly=True, with_db=True),
    Command("GIS.SEARCH", -3, _searcher(INTERSECTS), readonly=True, with_db=True),
    Command("GISADD", -3, gisadd),
    Command("GISCONTAINS", -3, _searcher(EX_CONTAINS), readonly=True, with_db=True),
    Command("GISINTERSECTS", -3, _searcher(EX_INTERSECTS), readonly=True, with_db=True),
    Command("GISWITHIN", -3, giswithin, readonly=True, key_finder=_giswithin_keys, with_db=True),
]
