"""TairGis geometry: Tair's WKT/GeoJSON reader and WKT printer, its bounds and "center",
and its spherical helpers.

The truth is tair-opensource/TairGis src/spatial: geom.c (the WKT grammar and printer),
grisu3.c (how a coordinate is printed), geom_json.c (GeoJSON geometries), geom_levels.c
(the "center" used for distances) and geoutil.c (a sphere of radius 6372797.560856 m).
Replies keep Tair's visible quirks: rings print back as given (unclosed ones too),
`POINT EMPTY` is POINT(0 0), 0.5 prints as ".5" and 0.25 as "2.5e-1". Any coordinate
strtod reads is kept (out of lon/lat range, infinite, NaN), as the module keeps it. The
relations between geometries are in tairgis_relations.
"""

from __future__ import annotations

import json
import math
import re
import struct

POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, COLLECTION = range(1, 8)
_NAMES = {
    POINT: b"POINT",
    LINESTRING: b"LINESTRING",
    POLYGON: b"POLYGON",
    MULTIPOINT: b"MULTIPOINT",
    MULTILINESTRING: b"MULTILINESTRING",
    MULTIPOLYGON: b"MULTIPOLYGON",
    COLLECTION: b"GEOMETRYCOLLECTION",
}

INVALID = "ERR invalid geometry"


class InvalidGeometry(Exception):
    """A geometry Tair's reader refuses (or raw WKB, which we refuse)."""

    def __init__(self):
        self.message = INVALID
        super().__init__(self.message)


class Geom:
    """One parsed geometry as Tair holds it: kind, Z/M flags and nested coordinate tuples.

    data: POINT → coord; LINESTRING/MULTIPOINT → [coord]; POLYGON/MULTILINESTRING →
    [[coord]]; MULTIPOLYGON → [[[coord]]]; GEOMETRYCOLLECTION → [Geom]. A coord holds
    x, y, then z and/or m when the geometry has them.
    """

    __slots__ = ("kind", "z", "m", "data")

    def __init__(self, kind: int, z: bool, m: bool, data):
        self.kind, self.z, self.m, self.data = kind, z, m, data

    # ----- Tair's text ---------------------------------------------------

    def wkt(self) -> bytes:
        """geomEncodeWKT: no spaces, "()" for empty series, " M" only for M without Z."""
        head = _NAMES[self.kind] + (b" M" if self.m and not self.z else b"")
        kind, data = self.kind, self.data
        if kind == POINT:
            return head + b"(" + _coord_text(data) + b")"
        if not data:
            return head + b"()"
        if kind in (LINESTRING, MULTIPOINT):
            return head + b"(" + _coords_text(data) + b")"
        if kind in (POLYGON, MULTILINESTRING):
            return head + b"(" + b",".join(_ring_text(r) for r in data) + b")"
        if kind == MULTIPOLYGON:
            return head + b"(" + b",".join(_polygon_text(p) for p in data) + b")"
        return head + b"(" + b",".join(g.wkt() for g in data) + b")"

    # ----- Tair's bounds and center (geom_levels.c) -----------------------

    def bounds(self) -> tuple[float, float, float, float]:
        """geomBounds: polygons use their outer ring; an empty part counts as (0 0); boxes
        grow only where a comparison holds, so NaN never replaces a value it follows."""
        kind, data = self.kind, self.data
        if kind == POINT:
            return data[0], data[1], data[0], data[1]
        if kind in (LINESTRING, MULTIPOINT):
            return _coords_bounds(data)
        if kind == POLYGON:
            return _coords_bounds(data[0]) if data else _ZERO_RECT
        if kind == MULTILINESTRING:
            return _union([_coords_bounds(r) for r in data])
        if kind == MULTIPOLYGON:
            return _union([_coords_bounds(p[0]) if p else _ZERO_RECT for p in data])
        return _union([g.bounds() for g in data])

    def center(self) -> tuple[float, float]:
        """geomCenter: a point is itself, anything else the middle of its bounds."""
        if self.kind == POINT:
            return self.data[0], self.data[1]
        minx, miny, maxx, maxy = self.bounds()
        return (maxx - minx) / 2 + minx, (maxy - miny) / 2 + miny


_ZERO_RECT = (0.0, 0.0, 0.0, 0.0)


def _expand(rect, x: float, y: float) -> tuple[float, float, float, float]:
    """geomRectExpand."""
    minx, miny, maxx, maxy = rect
    if x < minx:
        minx = x
    if y < miny:
        miny = y
    if x > maxx:
        maxx = x
    if y > maxy:
        maxy = y
    return minx, miny, maxx, maxy


def _coords_bounds(coords) -> tuple[float, float, float, float]:
    """level2_getBounds: the first coordinate, grown by each next one (as _expand)."""
    if not coords:
        return _ZERO_RECT
    minx = maxx = coords[0][0]
    miny = maxy = coords[0][1]
    for c in coords:
        x, y = c[0], c[1]
        if x < minx:
            minx = x
        if y < miny:
            miny = y
        if x > maxx:
            maxx = x
        if y > maxy:
            maxy = y
    return minx, miny, maxx, maxy


def _union(rects) -> tuple[float, float, float, float]:
    """The first rect grown by each other's min corner, then its max corner (geomRectUnion)."""
    if not rects:
        return _ZERO_RECT
    rect = rects[0]
    for r in rects[1:]:
        rect = _expand(_expand(rect, r[0], r[1]), r[2], r[3])
    return rect


# ---------------------------------------------------------------------------
# Reading: geomDecode (first byte decides: '{' GeoJSON, else WKT; all input stops at a
# NUL byte, as Tair reads it as a C string).

_WS = frozenset(b" \t\r\v\n\f")
_WS_BYTES = b" \t\r\v\n\f"
# What glibc's strtod consumes (after leading white space): decimal, hex, inf/infinity, nan(...).
STRTOD = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    rb"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    rb"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?))"
)


def strtod_value(token: bytes) -> float:
    """The double strtod makes of one token the STRTOD pattern matched."""
    low = token.lower()
    body = low.lstrip(b"+-")
    negative = low.startswith(b"-")
    if body.startswith(b"inf"):
        return -math.inf if negative else math.inf
    if body.startswith(b"nan"):
        bits = 0x7FF8000000000000 | _nan_payload(body[4:-1]) if body.endswith(b")") else 0x7FF8000000000000
        value = struct.unpack("<d", struct.pack("<Q", bits))[0]
        return -value if negative else value
    if body.startswith(b"0x"):
        try:
            return float.fromhex(token.decode())
        except OverflowError:
            return -math.inf if negative else math.inf
    return float(token)


def _nan_payload(chars: bytes) -> int:
    """glibc's nan(n-char-sequence): the sequence read by strtoull(base 0) becomes the
    NaN's payload when all of it is a number (0x hex, leading-0 octal, else decimal)."""
    if b"_" in chars:
        return 0  # int() would read 1_0, strtoull stops at "_"
    try:
        if chars[:2].lower() == b"0x":
            n = int(chars[2:], 16)
        elif chars[:1] == b"0" and len(chars) > 1:
            n = int(chars[1:], 8)
        else:
            n = int(chars, 10)
    except ValueError:
        return 0
    return n & 0x0007FFFFFFFFFFFF


def parse_geometry(raw: bytes) -> Geom:
    """Tair's geomDecode of one argument; raises InvalidGeometry."""
    s = raw.split(b"\0", 1)[0]
    if not s:
        raise InvalidGeometry()
    first = s[0]
    if first == 0x7B:  # '{'
        return _decode_json(s)
    if first == 0x01:
        raise InvalidGeometry()  # raw WKB: Tair copies it unchecked; we refuse it
    if first in _WS:
        rest = s.lstrip(_WS_BYTES)
        if not rest or rest[0] == 0x7B:
            raise InvalidGeometry()
    geom, _ = _decode_wkt(s, 0, leave_open=False)
    return geom


def _decode_wkt(s: bytes, p: int, leave_open: bool) -> tuple[Geom, int]:
    if p >= len(s):
        raise InvalidGeometry()
    r = _WktReader(s, p)
    r.ws()
    geom = r.geometry()
    if not leave_open:
        r.ws()
        if r.p < len(s):
            raise InvalidGeometry()
    return geom, r.p


class _WktReader:
    """geom.c's decoder state for one geometry (a collection's members get their own)."""

    __slots__ = ("s", "p", "has_z", "has_m", "empty", "x", "y", "z", "m",
                 "found_z", "found_m", "written", "must_z", "must_m")

    def __init__(self, s: bytes, p: int):
        self.s, self.p = s, p
        self.has_z = self.has_m = self.empty = False
        self.x = self.y = self.z = self.m = 0.0
        self.found_z = self.found_m = self.written = self.must_z = self.must_m = False

    def ch(self) -> int:
        return self.s[self.p] if self.p < len(self.s) else 0

    def ws(self) -> None:
        s, p, n = self.s, self.p, len(self.s)
        while p < n and s[p] in _WS:
            p += 1
        self.p = p

    def flags(self) -> tuple[bool, bool]:
        if self.written:
            return self.must_z, self.must_m
        return self.has_z, self.has_m

    def geometry(self) -> Geom:
        word = self.s[self.p : self.p + 18].upper()
        if word.startswith(b"GEOMETRYCOLLECTION"):
            self.p += 18
            return self.series(COLLECTION)
        if word.startswith(b"MULTI"):
            if word.startswith(b"MULTILINESTRING"):
                self.p += 15
                return self.series(MULTILINESTRING)
            if word.startswith(b"MULTIPOINT"):
                self.p += 10
                return self.series(MULTIPOINT)
            if word.startswith(b"MULTIPOLYGON"):
                self.p += 12
                return self.series(MULTIPOLYGON)
        elif word.startswith(b"LINESTRING"):
            self.p += 10
            return self.series(LINESTRING)
        elif word.startswith(b"POINT"):
            self.p += 5
            return self.point()
        elif word.startswith(b"POLYGON"):
            self.p += 7
            return self.series(POLYGON)
        raise InvalidGeometry()

    def head(self) -> None:
        """decodeHead: optional Z / M / ZM and EMPTY between the name and '('."""
        self.has_z = self.has_m = self.empty = False
        s = self.s
        read = 0
        while True:
            c = self.ch()
            if c in _WS or c in b"zZmM":
                self.ws()
                if s[self.p : self.p + 5].upper() == b"EMPTY":
                    if self.empty:
                        raise InvalidGeometry()
                    self.p += 5
                    self.empty = True
                elif self.ch() in b"zZ":
                    if self.has_z or self.has_m or self.empty:
                        raise InvalidGeometry()
                    self.p += 1
                    self.has_z = True
                    if self.ch() in b"mM":
                        self.p += 1
                        self.has_m = True
                elif self.ch() in b"mM":
                    if self.has_z or self.has_m or self.empty:
                        raise InvalidGeometry()
                    self.p += 1
                    self.has_m = True
            read += 1
            if (self.has_z or self.has_m) and not self.empty and read <= 2:
                continue
            break
        self.ws()
        if not self.empty and self.ch() != 0x28:
            raise InvalidGeometry()

    def number(self) -> float:
        m = STRTOD.match(self.s, self.p)
        if m is None:
            raise InvalidGeometry()
        self.p = m.end()
        return strtod_value(m.group(1))

    def numbers(self) -> None:
        """decodeNumbers: x y, then z and m when declared or simply present."""
        self.x = self.number()
        self.ws()
        self.y = self.number()
        if self.has_z:
            self.ws()
            self.z = self.number()
            self.found_z = True
        else:
            self.z = 0.0
            if self.has_m:
                self.found_z = False
            else:
                self.ws()
                if self.ch() in b"),":
                    return  # m keeps the previous coordinate's value, as in Tair
                self.z = self.number()
                self.found_z = True
        if self.has_m:
            self.ws()
            self.m = self.number()
            self.found_m = True
        else:
            self.m = 0.0
            if self.has_z:
                self.found_m = False
            else:
                self.ws()
                if self.ch() in b"),":
                    return
                self.m = self.number()
                self.found_m = True

    def coord(self) -> tuple:
        """appendCoord: the first coordinate fixes which of z and m every coordinate keeps."""
        if not self.written:
            self.must_z = self.has_z or self.found_z
            self.must_m = self.has_m or self.found_m
            self.written = True
        c = (self.x, self.y)
        if self.must_z:
            c += (self.z,)
        if self.must_m:
            c += (self.m,)
        return c

    def point(self) -> Geom:
        self.head()
        if self.empty:
            self.x = self.y = self.z = self.m = 0.0
        else:
            self.p += 1  # '('
            self.ws()
            self.numbers()
            self.ws()
            if self.ch() != 0x29:
                raise InvalidGeometry()
            self.p += 1
        coord = self.coord()
        return Geom(POINT, *self.flags(), coord)

    def series(self, kind: int) -> Geom:
        self.head()
        level = {LINESTRING: 0, MULTIPOINT: 0, POLYGON: 1, MULTILINESTRING: 1,
                 MULTIPOLYGON: 2, COLLECTION: -1}[kind]
        data = self.segment(level)
        return Geom(kind, *self.flags(), data)

    def segment(self, level: int) -> list:
        if self.empty:
            return []
        if self.ch() != 0x28:
            raise InvalidGeometry()
        self.p += 1
        self.ws()
        if self.ch() == 0x29:
            self.p += 1
            return []
        out = []
        while True:
            self.ws()
            if level < 0:
                geom, self.p = _decode_wkt(self.s, self.p, leave_open=True)
                out.append(geom)
            elif level == 0:
                self.numbers()
                out.append(self.coord())
            else:
                out.append(self.segment(level - 1))
            self.ws()
            c = self.ch()
            if c == 0x2C:
                self.p += 1
                self.ws()
            elif c == 0x29:
                self.p += 1
                return out
            else:
                raise InvalidGeometry()


# ----- GeoJSON (geom_json.c: geometry objects; we also take a Feature's geometry) ---

_JSON_KINDS = {
    "Point": POINT,
    "LineString": LINESTRING,
    "Polygon": POLYGON,
    "MultiPoint": MULTIPOINT,
    "MultiLineString": MULTILINESTRING,
    "MultiPolygon": MULTIPOLYGON,
    "GeometryCollection": COLLECTION,
}
_JSON_DEPTH = {LINESTRING: 1, MULTIPOINT: 1, POLYGON: 2, MULTILINESTRING: 2, MULTIPOLYGON: 3}


def _no_constant(name):
    raise ValueError(name)


def load_json(s: bytes):
    try:
        return json.loads(s, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidGeometry() from None


def _decode_json(s: bytes) -> Geom:
    obj = load_json(s)
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        return json_geometry(obj.get("geometry"))
    return json_geometry(obj)


def json_geometry(obj) -> Geom:
    if not isinstance(obj, dict):
        raise InvalidGeometry()
    kind = _JSON_KINDS.get(obj.get("type")) if isinstance(obj.get("type"), str) else None
    if kind is None:
        raise InvalidGeometry()
    if kind == COLLECTION:
        members = obj.get("geometries")
        if not isinstance(members, list):
            raise InvalidGeometry()
        return Geom(COLLECTION, False, False, [json_geometry(g) for g in members])
    coords = obj.get("coordinates")
    if not isinstance(coords, list):
        raise InvalidGeometry()
    if kind == POINT:
        coord, dims = _json_position(coords)
        return Geom(POINT, dims > 2, dims > 3, coord)
    dims = [0]
    data = _json_nested(coords, _JSON_DEPTH[kind], dims)
    return Geom(kind, dims[0] > 2, dims[0] > 3, data)


def _json_nested(value, depth: int, dims: list) -> list:
    if not isinstance(value, list):
        raise InvalidGeometry()
    if depth == 1:
        out = []
        for pos in value:
            coord, d = _json_position(pos)
            if dims[0] == 0:
                dims[0] = d
            elif d != dims[0]:
                raise InvalidGeometry()
            out.append(coord)
        return out
    return [_json_nested(v, depth - 1, dims) for v in value]


def _json_position(value) -> tuple[tuple, int]:
    if not isinstance(value, list) or not 2 <= len(value) <= 4:
        raise InvalidGeometry()
    nums = []
    for n in value:
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            raise InvalidGeometry()
        try:
            nums.append(float(n))
        except OverflowError:
            raise InvalidGeometry() from None
    if len(nums) == 4:
        nums[3] = 0.0  # Tair's reader never stores a fourth ordinate: m is 0
    return tuple(nums), len(nums)


# ---------------------------------------------------------------------------
# Printing a coordinate: grisu3's dtoa_grisu3 as Tair uses it (shortest digits when the
# algorithm is sure of them, else "%.17g"), with its own decimal-point placement.

_M64 = (1 << 64) - 1
_SIGN = 1 << 63
_EXP_MASK = 0x7FF0000000000000
_FRACT_MASK = 0x000FFFFFFFFFFFFF
_HIDDEN = 0x0010000000000000
_TOP10 = 0xFFC0000000000000
_POW10 = (0, 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000)
# Cached powers of ten (fraction, binary exponent, decimal exponent) from 10^-348 to 10^340.
_POW_CACHE = (
    (0xFA8FD5A0081C0288, -1220, -348), (0xBAAEE17FA23EBF76, -1193, -340), (0x8B16FB203055AC76, -1166, -332),
    (0xCF42894A5DCE35EA, -1140, -324), (0x9A6BB0AA55653B2D, -1113, -316), (0xE61ACF033D1A45DF, -1087, -308),
    (0xAB70FE17C79AC6CA, -1060, -300), (0xFF77B1FCBEBCDC4F, -1034, -292), (0xBE5691EF416BD60C, -1007, -284),
    (0x8DD01FAD907FFC3C, -980, -276), (0xD3515C2831559A83, -954, -268), (0x9D71AC8FADA6C9B5, -927, -260),
    (0xEA9C227723EE8BCB, -901, -252), (0xAECC49914078536D, -874, -244), (0x823C12795DB6CE57, -847, -236),
    (0xC21094364DFB5637, -821, -228), (0x9096EA6F3848984F, -794, -220), (0xD77485CB25823AC7, -768, -212),
    (0xA086CFCD97BF97F4, -741, -204), (0xEF340A98172AACE5, -715, -196), (0xB23867FB2A35B28E, -688, -188),
    (0x84C8D4DFD2C63F3B, -661, -180), (0xC5DD44271AD3CDBA, -635, -172), (0x936B9FCEBB25C996, -608, -164),
    (0xDBAC6C247D62A584, -582, -156), (0xA3AB66580D5FDAF6, -555, -148), (0xF3E2F893DEC3F126, -529, -140),
    (0xB5B5ADA8AAFF80B8, -502, -132), (0x87625F056C7C4A8B, -475, -124), (0xC9BCFF6034C13053, -449, -116),
    (0x964E858C91BA2655, -422, -108), (0xDFF9772470297EBD, -396, -100), (0xA6DFBD9FB8E5B88F, -369, -92),
    (0xF8A95FCF88747D94, -343, -84), (0xB94470938FA89BCF, -316, -76), (0x8A08F0F8BF0F156B, -289, -68),
    (0xCDB02555653131B6, -263, -60), (0x993FE2C6D07B7FAC, -236, -52), (0xE45C10C42A2B3B06, -210, -44),
    (0xAA242499697392D3, -183, -36), (0xFD87B5F28300CA0E, -157, -28), (0xBCE5086492111AEB, -130, -20),
    (0x8CBCCC096F5088CC, -103, -12), (0xD1B71758E219652C, -77, -4), (0x9C40000000000000, -50, 4),
    (0xE8D4A51000000000, -24, 12), (0xAD78EBC5AC620000, 3, 20), (0x813F3978F8940984, 30, 28),
    (0xC097CE7BC90715B3, 56, 36), (0x8F7E32CE7BEA5C70, 83, 44), (0xD5D238A4ABE98068, 109, 52),
    (0x9F4F2726179A2245, 136, 60), (0xED63A231D4C4FB27, 162, 68), (0xB0DE65388CC8ADA8, 189, 76),
    (0x83C7088E1AAB65DB, 216, 84), (0xC45D1DF942711D9A, 242, 92), (0x924D692CA61BE758, 269, 100),
    (0xDA01EE641A708DEA, 295, 108), (0xA26DA3999AEF774A, 322, 116), (0xF209787BB47D6B85, 348, 124),
    (0xB454E4A179DD1877, 375, 132), (0x865B86925B9BC5C2, 402, 140), (0xC83553C5C8965D3D, 428, 148),
    (0x952AB45CFA97A0B3, 455, 156), (0xDE469FBD99A05FE3, 481, 164), (0xA59BC234DB398C25, 508, 172),
    (0xF6C69A72A3989F5C, 534, 180), (0xB7DCBF5354E9BECE, 561, 188), (0x88FCF317F22241E2, 588, 196),
    (0xCC20CE9BD35C78A5, 614, 204), (0x98165AF37B2153DF, 641, 212), (0xE2A0B5DC971F303A, 667, 220),
    (0xA8D9D1535CE3B396, 694, 228), (0xFB9B7CD9A4A7443C, 720, 236), (0xBB764C4CA7A44410, 747, 244),
    (0x8BAB8EEFB6409C1A, 774, 252), (0xD01FEF10A657842C, 800, 260), (0x9B10A4E5E9913129, 827, 268),
    (0xE7109BFBA19C0C9D, 853, 276), (0xAC2820D9623BF429, 880, 284), (0x80444B5E7AA7CF85, 907, 292),
    (0xBF21E44003ACDD2D, 933, 300), (0x8E679C2F5E44FF8F, 960, 308), (0xD433179D9C8CB841, 986, 316),
    (0x9E19DB92B4E31BA9, 1013, 324), (0xEB96BF6EBADF77D9, 1039, 332), (0xAF87023B9BF0EE6B, 1066, 340),
)
_LOG10_2 = 0.30102999566398114


def _normalize(f: int, e: int) -> tuple[int, int]:
    shift = 64 - f.bit_length()
    return f << shift, e - shift


def _round_weed(digits: list, wp_w: int, delta: int, rest: int, ten_kappa: int, ulp: int) -> bool:
    wp_wup = (wp_w - ulp) & _M64
    wp_wdown = (wp_w + ulp) & _M64
    while (
        rest < wp_wup
        and ((delta - rest) & _M64) >= ten_kappa
        and (((rest + ten_kappa) & _M64) < wp_wup
             or ((wp_wup - rest) & _M64) >= ((rest + ten_kappa - wp_wup) & _M64))
    ):
        digits[-1] -= 1
        rest = (rest + ten_kappa) & _M64
    if (
        rest < wp_wdown
        and ((delta - rest) & _M64) >= ten_kappa
        and (((rest + ten_kappa) & _M64) < wp_wdown
             or ((wp_wdown - rest) & _M64) > ((rest + ten_kappa - wp_wdown) & _M64))
    ):
        return False
    return (2 * ulp) & _M64 <= rest <= ((delta - 4 * ulp) & _M64)


def _grisu3(v: float) -> tuple[str, int] | None:
    """Shortest digits and decimal exponent of a positive finite double, or None when
    grisu3 cannot guarantee them (then Tair prints "%.17g")."""
    u = struct.unpack("<Q", struct.pack("<d", v))[0]
    if u & _EXP_MASK:
        f, e = (u & _FRACT_MASK) + _HIDDEN, ((u & _EXP_MASK) >> 52) - 1075
    else:
        f, e = u & _FRACT_MASK, 1 - 1075
    wf, we = _normalize(f, e)
    pf, pe = _normalize((f << 1) + 1, e - 1)
    if not (u & _FRACT_MASK) and (u & _EXP_MASK):
        mf, me = (f << 2) - 1, e - 2
    else:
        mf, me = (f << 1) - 1, e - 1
    mf = (mf << (me - pe)) & _M64
    k = math.ceil((-60 - 64 - we + 63) * _LOG10_2)
    cf, ce, mk = _POW_CACHE[(k + 347) // 8 + 1]
    # 64x64 multiply keeping the rounded upper half, exactly as grisu3's multiply().
    wf = (wf * cf + (1 << 63)) >> 64
    lowf = (mf * cf + (1 << 63)) >> 64
    highf = (pf * cf + (1 << 63)) >> 64
    e = pe + ce + 64  # every operand now shares this exponent
    unit = 1
    too_low = (lowf - unit) & _M64
    too_high = (highf + unit) & _M64
    unsafe = (too_high - too_low) & _M64
    shift = -e
    one = 1 << shift
    p1 = (too_high >> shift) & 0xFFFFFFFF
    p2 = too_high & (one - 1)
    kappa = (((64 + e + 1) * 1233) >> 12) + 1
    if p1 < _POW10[kappa]:
        kappa -= 1
    div = _POW10[kappa]
    digits: list[int] = []
    wp_w = (too_high - wf) & _M64
    while kappa > 0:
        digits.append(p1 // div)
        p1 %= div
        kappa -= 1
        rest = (p1 << shift) + p2
        if rest < unsafe:
            ok = _round_weed(digits, wp_w, unsafe, rest, div << shift, unit)
            return ("".join(map(str, digits)), kappa - mk) if ok else None
        div //= 10
    while True:
        p2 = (p2 * 10) & _M64
        unit = (unit * 10) & _M64
        unsafe = (unsafe * 10) & _M64
        digits.append(p2 >> shift)
        p2 &= one - 1
        kappa -= 1
        if p2 < unsafe:
            ok = _round_weed(digits, (wp_w * unit) & _M64, unsafe, p2, one, unit)
            return ("".join(map(str, digits)), kappa - mk) if ok else None


def format_double(v: float) -> bytes:
    """dtoa_grisu3 as Tair prints a coordinate."""
    if math.isnan(v):
        u = struct.unpack("<Q", struct.pack("<d", v))[0]
        return b"NaN(%08X%08X)" % (u >> 32, u & 0xFFFFFFFF)
    sign = ""
    if math.copysign(1.0, v) < 0:
        sign, v = "-", -v
    if v == 0:
        return (sign + "0").encode()
    if math.isinf(v):
        return (sign + "inf").encode()
    found = _grisu3(v)
    if found is None:
        return (sign + f"{v:.17g}").encode()
    s, d_exp = found
    n = len(s)
    decimals = min(-d_exp, max(1, n - 1))
    if d_exp < 0 and n > 1:
        s = s[: n - decimals] + "." + s[n - decimals :]
        d_exp += decimals
        if d_exp != 0:
            s += f"e{d_exp}"
    elif d_exp < 0 and d_exp >= -3:
        s = "." + "0" * (-d_exp - n) + s if -d_exp > n else "." + s
    elif d_exp < 0 or d_exp > 2:
        s += f"e{d_exp}"
    elif d_exp > 0:
        s += "0" * d_exp
    return (sign + s).encode()


def _coord_text(c: tuple) -> bytes:
    return b" ".join(format_double(v) for v in c)


def _coords_text(coords) -> bytes:
    return b",".join(_coord_text(c) for c in coords)


def _ring_text(ring) -> bytes:
    return b"(" + _coords_text(ring) + b")" if ring else b"()"


def _polygon_text(poly) -> bytes:
    return b"(" + b",".join(_ring_text(r) for r in poly) + b")" if poly else b"()"


# ---------------------------------------------------------------------------
# Spherical helpers (geoutil.c), operation for operation so results match to the bit.

EARTH_RADIUS = 6372797.560856
_PI = 3.14159265358979323846


# libm answers NaN where Python's math raises (sin(inf), asin(2), sqrt(-1), fmod(inf, y)),
# and it keeps a NaN argument's sign where CPython's atan2 does not: an infinite radius or
# coordinate must flow through as it does in the module, down to the sign WITHDIST prints.
# x - x of an infinity, 0/0 and the like give the processor's default NaN (negative).


def _sqrt(x: float) -> float:
    return math.sqrt(x) if not x < 0 else -math.nan


def _asin(x: float) -> float:
    return math.asin(x) if not (x > 1.0 or x < -1.0) else -math.nan


def _sin(x: float) -> float:
    return math.sin(x) if not math.isinf(x) else x - x


def _cos(x: float) -> float:
    return math.cos(x) if not math.isinf(x) else x - x


def _fmod(x: float, y: float) -> float:
    return math.fmod(x, y) if not math.isinf(x) else (x * y) / (x * y)


def _atan2(y: float, x: float) -> float:
    return x + y if math.isnan(x) or math.isnan(y) else math.atan2(y, x)


def distance(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    """geoutilDistance: haversine on Tair's sphere, in meters."""
    q1 = lat_a * _PI / 180.0
    a1 = lon_a * _PI / 180.0
    q2 = lat_b * _PI / 180.0
    a2 = lon_b * _PI / 180.0
    aq = q2 - q1
    av = a2 - a1
    a = _sin(aq / 2) * _sin(aq / 2) + _cos(q1) * _cos(q2) * _sin(av / 2) * _sin(av / 2)
    c = 2 * _atan2(_sqrt(a), _sqrt(1 - a))
    return EARTH_RADIUS * c


def destination(lat: float, lon: float, meters: float, bearing: float) -> tuple[float, float]:
    """geoutilDestinationLatLon: (lat, lon) reached going `meters` along `bearing` degrees."""
    tq = meters / EARTH_RADIUS
    z = bearing * _PI / 180.0
    q1 = lat * _PI / 180.0
    a1 = lon * _PI / 180.0
    q2 = _asin(_sin(q1) * _cos(tq) + _cos(q1) * _sin(tq) * _cos(z))
    a2 = a1 + _atan2(_sin(z) * _sin(tq) * _cos(q1), _cos(tq) - _sin(q1) * _sin(q2))
    a2 = _fmod(a2 + 3 * _PI, 2 * _PI) - _PI
    return q2 * 180.0 / _PI, a2 * 180.0 / _PI


def radius_bounds(lon: float, lat: float, meters: float) -> tuple[float, float, float, float]:
    """geoutilBoundsFromLatLon: the box Tair's R-tree is searched with for a radius."""
    n_lat, _ = destination(lat, lon, meters, 0)
    _, e_lon = destination(lat, lon, meters, 90)
    s_lat, _ = destination(lat, lon, meters, 180)
    _, w_lon = destination(lat, lon, meters, 270)
    return w_lon, s_lat, e_lon, n_lat


def circle_ring(lon: float, lat: float, meters: float) -> list[tuple[float, float]]:
    """geomNewCirclePolygon(center, meters, 12): the ring (12 points, closed) a radius
    is, for members other than points."""
    pts = []
    deg = 0.0
    while deg < 360.0:
        q, a = destination(lat, lon, meters, deg)
        pts.append((a, q))
        deg += 30.0
    pts.append(pts[0])
    return pts
