"""TairGis: named points, lines and polygons per key, with CONTAINS / WITHIN / INTERSECTS
and radius searches (GIS.ADD, GIS.SEARCH, ...), plus the GIS* spellings our users' design
documents use (GISADD with a GeoJSON Feature, GISCONTAINS, GISINTERSECTS, GISWITHIN).

The truth is tair-opensource/TairGis (README.md, tests/tairgis.tcl, src/tairgis.c and
src/spatial.c for the option scanner, the checks and their order, and the reply shapes).

Writes are one FCALL each (tp_gis_add, tp_gis_del). Spatial reads never move the whole
key per call: each proxy keeps an STRtree index per key, validated by the key's version
stamp, which every write replaces in the same Lua call. A read sends the stamp of the
index it holds; Lua answers just the stamp while it matches, else the key's data to
rebuild from, all in the one round trip; the reply is then computed here (Call.transform)
with shapely. Because a stamp identifies one state of one key (server TIME, a counter and
randomness hashed), any number of proxies, and any database, stay correct.

Tair reports option errors only after its type check (a missing key answers an empty
array whatever the options), so the option scan runs in the transform, in Tair's order.
"""

from __future__ import annotations

import math
import re
import struct
import threading
from collections import OrderedDict
from functools import cmp_to_key

import numpy as np
import shapely

from tairproxy.dispatch import Call, Command, CommandError, wrong_arity
from tairproxy.modules.args import parse_int64
from tairproxy.modules.tairgis_geometry import (
    INVALID,
    POINT,
    STRTOD,
    Geom,
    InvalidGeometry,
    circle_polygon,
    distance,
    json_geometry,
    load_json,
    parse_geometry,
    radius_bounds,
    strtod_value,
)
from tairproxy.resp import Error

LUA_FILE = "tairgis.lua"
# The module this family stands in for, as its RedisModule_Init registers it (MODULE LIST, INFO).
EMULATES = ("exgistype", 1)

RESERVED_FIELD = b"\0gis"
SEQ_END = 16  # marker byte + 15 seq digits
_META = struct.Struct("<Bdd")  # Tair kind, center x, center y

# Search types of exgsearchInner: what a stored geometry must be to the query one.
CONTAINS, WITHIN, INTERSECTS = "contains", "within", "intersects"
# STRtree.query(query, predicate) tests predicate(query, stored).
_TREE_PREDICATE = {CONTAINS: "covered_by", WITHIN: "covers", INTERSECTS: "intersects"}
_PAIR_PREDICATE = {CONTAINS: shapely.covers, WITHIN: shapely.covered_by, INTERSECTS: shapely.intersects}

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
    """Valkey's string2d (RedisModule_StringToDouble): all of it a strtod number, no
    leading space, no NaN, no overflow, no underflow to zero."""
    if not raw or raw[0] in b" \t\n\v\f\r":
        return None
    m = STRTOD.match(raw)
    if m is None or m.end() != len(raw):
        return None
    value = strtod_value(m.group(1))
    body = m.group(1).lower().lstrip(b"+-")
    if math.isnan(value) or (math.isinf(value) and not body.startswith(b"inf")):
        return None
    if value == 0:
        mantissa = body[2:].split(b"p")[0] if body.startswith(b"0x") else body.split(b"e")[0]
        if mantissa.strip(b"0.") != b"":
            return None  # strtod's ERANGE: a non-zero number too small for a double
    return value


# ---------------------------------------------------------------------------
# What GIS.ADD stores per member: Tair's text, then the binary the index is built from.


def encode_member(geom: Geom) -> bytes:
    geom.check(lonlat=True)
    shape = geom.shape()
    cx, cy = geom.center()
    return geom.wkt() + b"\0" + _META.pack(geom.kind, cx, cy) + shapely.to_wkb(shape, output_dimension=2)


class GisIndex:
    """One key's members in Tair's iteration order, with an STRtree built on first use."""

    __slots__ = ("stamp", "names", "wkts", "wkbs", "kinds", "cx", "cy", "_tree", "_geoms",
                 "_by_name", "_sorted", "size")

    def __init__(self, stamp: bytes, data: list[bytes]):
        self.stamp = stamp
        rows = []
        for i in range(0, len(data), 2):
            field = data[i]
            if field == RESERVED_FIELD:
                continue
            value = data[i + 1]
            nul = value.index(b"\0", SEQ_END)
            name = field[1:] if field[:1] == b"\0" else field
            rows.append((int(value[1:SEQ_END]), name, value, nul))
        rows.sort(key=lambda r: r[0])
        self.names = [r[1] for r in rows]
        self.wkts = [r[2][SEQ_END : r[3]] for r in rows]
        metas = [_META.unpack_from(r[2], r[3] + 1) for r in rows]
        self.wkbs = [r[2][r[3] + 1 + _META.size :] for r in rows]
        self.kinds = np.array([m[0] for m in metas], dtype=np.int8)
        self.cx = [m[1] for m in metas]
        self.cy = [m[2] for m in metas]
        self.size = len(rows)
        self._tree = self._geoms = self._by_name = self._sorted = None

    @property
    def geoms(self):
        if self._geoms is None:
            self._geoms = shapely.from_wkb(self.wkbs) if self.wkbs else np.array([], dtype=object)
        return self._geoms

    @property
    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return self._tree

    def position(self, name: bytes) -> int | None:
        if self._by_name is None:
            self._by_name = {n: i for i, n in enumerate(self.names)}
        return self._by_name.get(name)

    def sorted_positions(self) -> list[int]:
        """GIS.GETALL's order: Tair's dict iterates names as sorted byte strings."""
        if self._sorted is None:
            self._sorted = sorted(range(self.size), key=self.names.__getitem__)
        return self._sorted


class IndexCache:
    """Per-proxy LRU of GisIndex by key name (a stamp check guards every use)."""

    def __init__(self, max_keys: int = 256, max_members: int = 2_000_000):
        self.max_keys = max_keys
        self.max_members = max_members
        self._entries: OrderedDict[bytes, GisIndex] = OrderedDict()
        self._members = 0
        self._lock = threading.Lock()

    def get(self, key: bytes) -> GisIndex | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: bytes, index: GisIndex) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._members -= old.size
            self._entries[key] = index
            self._members += index.size
            while len(self._entries) > 1 and (
                len(self._entries) > self.max_keys or self._members > self.max_members
            ):
                _, dropped = self._entries.popitem(last=False)
                self._members -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._members = 0

    def __len__(self) -> int:
        return len(self._entries)


CACHE = IndexCache()


# The common query, "POINT (x y)" with plain decimals: read without the full grammar.
_WS = rb"[ \t\r\v\n\f]*"
_DECIMAL = rb"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
_SIMPLE_POINT = re.compile(
    _WS + rb"[pP][oO][iI][nN][tT]" + _WS + rb"\(" + _WS + _DECIMAL + rb"[ \t\r\v\n\f]+" + _DECIMAL + _WS + rb"\)" + _WS
    + rb"\Z"
)


class _QueryShapes:
    """Parsed query geometries by argument text (a query repeats its geometry often)."""

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self._parsed: dict[bytes, tuple] = {}

    def get(self, raw: bytes) -> tuple:
        found = self._parsed.get(raw)
        if found is None:
            simple = _SIMPLE_POINT.match(raw)
            x = y = math.nan
            if simple is not None:
                x, y = float(simple.group(1)), float(simple.group(2))
            if math.isfinite(x) and math.isfinite(y):
                found = (Geom(POINT, False, False, (x, y)), shapely.Point(x, y), None)
            else:
                try:
                    geom = parse_geometry(raw)
                    geom.check(lonlat=False)
                    found = (geom, geom.shape(), None)
                except InvalidGeometry as exc:
                    found = (None, None, exc.message)
            if len(self._parsed) >= self.limit:
                self._parsed.clear()
            self._parsed[raw] = found
        return found


QUERY_SHAPES = _QueryShapes()


# ---------------------------------------------------------------------------
# Reads: one FCALL_RO of tp_gis_read; the reply is made here from the index.


def _read_call(keys: list[bytes], answer) -> Call:
    """The call for a read of `keys`; answer(indexes) makes the reply (an index is None
    for a missing key) once each index is known to be current."""
    held = [CACHE.get(k) for k in keys]
    stamps = [h.stamp if h is not None else b"" for h in held]

    def transform(reply):
        indexes = []
        for key, item, index in zip(keys, reply, held, strict=True):
            if isinstance(item, list):
                if not item:
                    index = None
                else:
                    current = CACHE.get(key)
                    if current is not None and current.stamp == item[0]:
                        index = current  # a concurrent read already rebuilt this state
                    else:
                        index = GisIndex(item[0], item[1])
                        CACHE.put(key, index)
            indexes.append(index)
        return answer(indexes)

    return Call("tp_gis_read", list(keys), stamps, readonly=True, transform=transform)


class _Search:
    """Tair's searchContext after parseGisFlags."""

    __slots__ = ("center", "meters", "to_meters", "radius", "shape", "bounds", "count", "limit",
                 "withvalue", "withdist", "asc", "desc")

    def __init__(self):
        self.center = (0.0, 0.0)
        self.meters = 0.0
        self.to_meters = 1.0
        self.radius = False  # targetType RADIUS (else GEOMETRY)
        self.shape = None
        self.bounds = None
        self.count = 0
        self.limit = 0
        self.withvalue = True
        self.withdist = False
        self.asc = False
        self.desc = False


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
            _, shape, problem = QUERY_SHAPES.get(args[i + 1])
            if problem is not None:
                return Error(problem.encode())
            ctx.shape, ctx.radius, ctx.bounds = shape, False, None
            i += 1
        elif word == b"MEMBER":
            if i >= argc - 3:
                return Error(NEED_MEMBER.encode())
            pos = index.position(args[i + 1])
            if pos is None:
                return Error(MEMBER_NOT_FOUND.encode())
            if index.kinds[pos] != POINT:
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
    if ctx.shape is None:
        # No RADIUS / GEOM / MEMBER: argv[2] is the geometry.
        _, shape, problem = QUERY_SHAPES.get(args[2])
        if problem is not None:
            return Error(problem.encode())
        ctx.shape, ctx.radius = shape, False
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
    lon, lat = ctx.center
    ctx.meters = meters
    ctx.radius = True
    ctx.bounds = radius_bounds(lon, lat, meters)
    ctx.shape = circle_polygon(lon, lat, meters)


def _matches(index: GisIndex, ctx: _Search, search: str) -> list[int]:
    """Positions of the matching members in Tair's iteration order (LIMIT applied)."""
    if index.size == 0:
        return []
    if not ctx.radius:
        found = np.sort(index.tree.query(ctx.shape, predicate=_TREE_PREDICATE[search])).tolist()
    else:
        minx, miny, maxx, maxy = ctx.bounds
        if not (minx <= maxx and miny <= maxy):
            return []  # Tair's R-tree overlap test finds nothing in an inverted box
        candidates = np.sort(index.tree.query(shapely.box(minx, miny, maxx, maxy)))
        if not len(candidates):
            return []
        points = index.kinds[candidates] == POINT
        others = candidates[~points]
        shaped = set()
        if len(others):
            hits = _PAIR_PREDICATE[search](index.geoms[others], ctx.shape)
            shaped = set(others[hits].tolist())
        lon, lat = ctx.center
        meters = ctx.meters
        cx, cy = index.cx, index.cy
        found = []
        for pos, is_point in zip(candidates.tolist(), points.tolist(), strict=True):
            if is_point:
                if distance(cy[pos], cx[pos], lat, lon) <= meters:
                    found.append(pos)
            elif pos in shaped:
                found.append(pos)
    if ctx.limit and len(found) > ctx.limit:
        found = found[: ctx.limit]
    return found


def _distance_order(a: tuple[float, int], b: tuple[float, int]) -> int:
    """sortDistanceAsc: distances within 1e-7 compare equal."""
    if a[0] > b[0]:
        return 1
    if abs(a[0] - b[0]) < 0.0000001:
        return 0
    return -1


def _reverse_distance_order(a: tuple[float, int], b: tuple[float, int]) -> int:
    return -_distance_order(a, b)


def _search_reply(index: GisIndex, args: list[bytes], search: str):
    ctx = _parse_search(index, args)
    if isinstance(ctx, Error):
        return ctx
    found = _matches(index, ctx, search)
    if ctx.count and not (ctx.asc or ctx.desc):
        ctx.asc = True  # COUNT without ordering sorts ascending, as Tair does
    dists: list[float] | None = None
    if ctx.asc or ctx.desc or ctx.withdist:
        lon, lat = ctx.center
        pairs = [(distance(index.cy[p], index.cx[p], lat, lon) / ctx.to_meters, p) for p in found]
        if ctx.asc or ctx.desc:
            order = _distance_order if ctx.asc else _reverse_distance_order
            pairs.sort(key=cmp_to_key(order))  # stable, like glibc's merge-sort qsort
        found = [p for _, p in pairs]
        dists = [d for d, _ in pairs]
    returned = len(found) if ctx.count == 0 or len(found) < ctx.count else ctx.count
    out: list = []
    for k in range(returned):
        pos = found[k]
        out.append(index.names[pos])
        if ctx.withvalue:
            out.append(index.wkts[pos])
        if ctx.withdist:
            out.append(b"%.4f" % dists[k])
    return [returned, out]


def _searcher(search: str):
    def handler(args: list[bytes]) -> Call:
        def answer(indexes):
            index = indexes[0]
            if index is None:
                return []
            return _search_reply(index, args, search)

        return _read_call([args[1]], answer)

    return handler


def gis_getall(args: list[bytes]) -> Call:
    def answer(indexes):
        index = indexes[0]
        if index is None:
            return None
        withvalue = _getall_flags(args)
        if isinstance(withvalue, Error):
            return withvalue
        out = []
        for pos in index.sorted_positions():
            out.append(index.names[pos])
            if withvalue:
                out.append(index.wkts[pos])
        return out

    return _read_call([args[1]], answer)


def _getall_flags(args: list[bytes]) -> bool | Error:
    """GIS.GETALL runs Tair's option scanner without a search context: WITHOUTWKT and
    friends work; the errors it reports before touching that context are reproduced;
    where the module would dereference it (and crash the server) we ignore the option."""
    withvalue = True
    i, argc = 2, len(args)
    while i < argc:
        word = _word(args[i])
        if word == b"RADIUS":
            if i >= argc - 4:
                return Error(NEED_RADIUS.encode())
            if string2d(args[i + 1]) is None:
                return Error(NEED_LONGITUDE.encode())
            i += 4
        elif word == b"GEOM":
            if i == argc - 1:
                return Error(NEED_GEOMETRY.encode())
            if QUERY_SHAPES.get(args[i + 1])[2] is not None:
                return Error(INVALID.encode())
            i += 1
        elif word == b"MEMBER":
            if i >= argc - 3:
                return Error(NEED_MEMBER.encode())
            i += 3
        elif word in (b"COUNT", b"LIMIT"):
            is_count = word == b"COUNT"
            if i == argc - 1:
                return Error((COUNT_NEEDED if is_count else LIMIT_NEEDED).encode())
            if parse_int64(args[i + 1]) is None:
                return Error((COUNT_NOT_NUMBER if is_count else LIMIT_NOT_NUMBER).encode())
            i += 1
        elif word == b"WITHVALUE":
            withvalue = True
        elif word in (b"WITHOUTVALUE", b"WITHOUTWKT"):
            withvalue = False
        i += 1
    return withvalue


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


def giswithin(args: list[bytes]) -> Call:
    """GISWITHIN key geometry [options] as GIS.WITHIN; GISWITHIN zones_key points_key
    [WITHOUTWKT]: the members of points_key lying within (or on the edge of) any
    geometry of zones_key, as [count, [name, wkt, ...]]. Both keys must share a slot."""
    if _looks_like_geometry(args[2]):
        return _searcher(WITHIN)(args)
    zones_key, points_key = args[1], args[2]
    withvalue = not any(_word(a) in (b"WITHOUTWKT", b"WITHOUTVALUE") for a in args[3:])

    def answer(indexes):
        zones, points = indexes
        if zones is None or points is None or zones.size == 0 or points.size == 0:
            return []
        pairs = zones.tree.query(points.geoms, predicate="covered_by")
        found = np.unique(pairs[0]).tolist()
        out: list = []
        for pos in found:
            out.append(points.names[pos])
            if withvalue:
                out.append(points.wkts[pos])
        return [len(found), out]

    return _read_call([zones_key, points_key], answer)


COMMANDS = [
    Command("GIS.ADD", -4, gis_add),
    Command("GIS.GET", -3, gis_get, readonly=True),
    Command("GIS.GETALL", -2, gis_getall, readonly=True),
    Command("GIS.DEL", -3, gis_del),
    Command("GIS.CONTAINS", -3, _searcher(CONTAINS), readonly=True),
    Command("GIS.WITHIN", -3, _searcher(WITHIN), readonly=True),
    Command("GIS.INTERSECTS", -3, _searcher(INTERSECTS), readonly=True),
    Command("GIS.SEARCH", -3, _searcher(INTERSECTS), readonly=True),
    Command("GISADD", -3, gisadd),
    Command("GISCONTAINS", -3, _searcher(CONTAINS), readonly=True),
    Command("GISINTERSECTS", -3, _searcher(INTERSECTS), readonly=True),
    Command("GISWITHIN", -3, giswithin, readonly=True, key_finder=_giswithin_keys),
]
