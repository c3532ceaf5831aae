"""The proxy-side index of a TairGis key, and the per-proxy cache of indexes.

A key is stored as one native hash (see tairgis.lua): each member's value is a mark byte,
its 15-digit iteration sequence, the WKT Tair prints, a NUL and a fixed binary record
(META: the module's kind, "center" and bounds of the geometry, computed once by GIS.ADD).
An index is built from one HGETALL of the key with a handful of vectorised numpy passes:
the raw bytes are kept as they came and sliced on demand, and geometries are parsed only
when a query has to test them exactly (then kept, within a budget).

Candidates are found as the module's R-tree finds them — every member whose bounds overlap
the query's box, with its comparisons (so a NaN bound overlaps everything) — through a
uniform grid of cells; the exact relation is decided afterwards (tairgis_relations).

The cache holds indexes by (database, key), least recently used first out, within a byte
budget; a key whose index is being fetched is fetched once, however many queries wait.
"""

from __future__ import annotations

import math
import struct
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict

import numpy as np

from tairproxy.modules.tairgis_geometry import Geom, InvalidGeometry, parse_geometry
from tairproxy.modules.tairgis_relations import Part, stored_polygon_map

RESERVED_FIELD = b"\0gis"
SEQ_END = 16  # mark byte + 15 sequence digits
VALUE_MARK = 0x1E  # values written with META; 0x1D: an earlier layout (WKT, then WKB)
META = struct.Struct("<B6d")  # kind, center x, y, bounds min x, min y, max x, max y
_META_DTYPE = np.dtype([("kind", "u1"), ("cx", "<f8"), ("cy", "<f8"), ("minx", "<f8"),
                        ("miny", "<f8"), ("maxx", "<f8"), ("maxy", "<f8")])
_POWERS = 10 ** np.arange(14, -1, -1, dtype=np.int64)


def _int_array(values) -> array:
    return array("q", values.astype(np.int64).tobytes())


def _float_array(values) -> array:
    return array("d", np.ascontiguousarray(values, dtype=np.float64).tobytes())


def encode_member(geom: Geom) -> bytes:
    """What GIS.ADD stores after the mark and sequence: Tair's text, then META."""
    cx, cy = geom.center()
    return geom.wkt() + b"\0" + META.pack(geom.kind, cx, cy, *geom.bounds())


def member_record(geom: Geom) -> tuple:
    return (geom.kind, *geom.center(), *geom.bounds())


# Per member: 6 int64 offsets/lengths + kind + 6 doubles, plus list/array slack.
_MEMBER_OVERHEAD = 120
_GRID_MAX_CELLS_PER_MEMBER = 16
_CELL_RANGE = 1 << 30


class GisIndex:
    """One key's members in Tair's iteration order.

    Built from tp_gis_read's answer: the lengths of HGETALL's items (uint32, little-endian)
    and the items concatenated, so the raw bytes stay one object and every per-member
    field is found with array arithmetic."""

    @classmethod
    def from_reply(cls, reply: list[bytes]) -> GisIndex:
        """tp_gis_read's data: the stamp, then runs of (lengths, items)."""
        return cls(reply[0], b"".join(reply[1::2]), b"".join(reply[2::2]))

    def __init__(self, stamp: bytes, lengths: bytes, blob: bytes):
        self.stamp = stamp
        self._blob = blob
        lens = np.frombuffer(lengths, dtype="<u4").astype(np.int64)
        ends = np.cumsum(lens)
        starts = ends - lens
        raw = np.frombuffer(blob, dtype=np.uint8)
        name_lo, name_hi = starts[0::2], ends[0::2]
        val_lo, val_hi = starts[1::2], ends[1::2]
        # Drop the reserved field: four bytes, "\0gis".
        reserved = np.flatnonzero(name_hi - name_lo == len(RESERVED_FIELD))
        for r in reserved.tolist():
            if blob[name_lo[r] : name_hi[r]] == RESERVED_FIELD:
                keep = np.arange(len(name_lo)) != r
                name_lo, name_hi, val_lo, val_hi = name_lo[keep], name_hi[keep], val_lo[keep], val_hi[keep]
                break
        n = len(name_lo)
        self.size = n
        if n:
            # Names starting with NUL are stored with one more NUL in front.
            first = raw[np.minimum(name_lo, len(raw) - 1)]
            name_lo = name_lo + ((name_hi > name_lo) & (first == 0))
            seq = (raw[val_lo[:, None] + np.arange(1, SEQ_END)].astype(np.int64) - 48) @ _POWERS
            meta = np.empty(n, dtype=_META_DTYPE)
            current = raw[val_lo] == VALUE_MARK
            wkt_hi = val_hi - META.size - 1
            if current.all():
                meta[:] = raw[val_hi[:, None] - META.size + np.arange(META.size)].reshape(-1).view(_META_DTYPE)
            else:
                self._older_rows(current, meta, val_lo, val_hi, wkt_hi)
        else:
            seq = np.zeros(0, dtype=np.int64)
            meta = np.zeros(0, dtype=_META_DTYPE)
            wkt_hi = val_hi
        order = np.argsort(seq, kind="stable")
        meta = meta[order]
        # What queries read one member at a time lives in array.array and bytes (indexing
        # gives plain ints and floats, much cheaper than numpy scalars); the bounds, which
        # are compared in bulk, stay numpy arrays.
        self.name_lo, self.name_hi = _int_array(name_lo[order]), _int_array(name_hi[order])
        self.wkt_lo, self.wkt_hi = _int_array(val_lo[order] + SEQ_END), _int_array(wkt_hi[order])
        self.kind = meta["kind"].tobytes()
        self.cx, self.cy = _float_array(meta["cx"]), _float_array(meta["cy"])
        self.minx, self.miny = np.ascontiguousarray(meta["minx"]), np.ascontiguousarray(meta["miny"])
        self.maxx, self.maxy = np.ascontiguousarray(meta["maxx"]), np.ascontiguousarray(meta["maxy"])
        self._grid: _Grid | None = None
        self.parsed: dict[int, list[Part]] = {}  # position -> polygon map, see parts()
        self._parts_bytes = 0
        self._cache: IndexCache | None = None  # told when this index grows or shrinks
        self._names: list[bytes] | None = None
        self._by_name: dict[bytes, int] | None = None
        self._sorted: list[int] | None = None
        self.base_bytes = len(blob) + n * _MEMBER_OVERHEAD + 200

    def _older_rows(self, current, meta, val_lo, val_hi, wkt_hi) -> None:
        """Rows stored before META existed: their record is worked out from the WKT."""
        blob = self._blob
        for i in np.flatnonzero(~current).tolist():
            lo, hi = int(val_lo[i]), int(val_hi[i])
            nul = blob.index(b"\0", lo + SEQ_END, hi)
            wkt_hi[i] = nul
            try:
                meta[i] = member_record(parse_geometry(blob[lo + SEQ_END : nul]))
            except InvalidGeometry:
                meta[i] = (0, *[math.nan] * 6)

    # ----- members ----------------------------------------------------------------

    def name(self, pos: int) -> bytes:
        return self._blob[self.name_lo[pos] : self.name_hi[pos]]

    def wkt(self, pos: int) -> bytes:
        return self._blob[self.wkt_lo[pos] : self.wkt_hi[pos]]

    def names(self) -> list[bytes]:
        if self._names is None:
            blob = self._blob
            self._names = [blob[a:b] for a, b in zip(self.name_lo, self.name_hi, strict=True)]
        return self._names

    def kinds(self):
        """Every member's kind, as an array."""
        return np.frombuffer(self.kind, dtype=np.uint8)

    def position(self, name: bytes) -> int | None:
        if self._by_name is None:
            self._by_name = {n: i for i, n in enumerate(self.names())}
        return self._by_name.get(name)

    def sorted_positions(self) -> list[int]:
        """GIS.GETALL's order: the module's dict iterates names as sorted byte strings."""
        if self._sorted is None:
            self._sorted = sorted(range(self.size), key=self.names().__getitem__)
        return self._sorted

    def parts(self, pos: int) -> list[Part]:
        """The member's polygon map, parsed on first use and kept while the parsed
        geometries stay within a budget (sixteen times the raw data, at least 16 MB; the
        cache counts them against its own limit)."""
        found = self.parsed.get(pos)
        if found is None:
            text = self.wkt(pos)
            found = stored_polygon_map(text)
            cost = 200 + 12 * len(text)  # tuples of two floats per ~20 bytes of text
            before = self._parts_bytes
            if before + cost > max(16 * self.base_bytes, 16 << 20):
                self.parsed.clear()
                self._parts_bytes = 0
            self.parsed[pos] = found
            self._parts_bytes += cost
            self._grew(self._parts_bytes - before)
        return found

    def _grew(self, delta: int) -> None:
        cache = self._cache
        if cache is not None and delta:
            cache.grew(self, delta)

    @property
    def nbytes(self) -> int:
        """What this index takes: the raw data and arrays, its grid, parsed geometries."""
        grid = self._grid.nbytes if self._grid is not None else 0
        return self.base_bytes + grid + self._parts_bytes

    # ----- candidates -------------------------------------------------------------

    def candidates(self, minx: float, miny: float, maxx: float, maxy: float) -> list[int]:
        """Positions (ascending) of the members whose bounds overlap the box, as the
        module's R-tree overlap test decides it."""
        grid = self._grid
        if grid is None:
            if self.size == 0:
                return []
            grid = self._grid = _Grid(self)
            self._grew(grid.nbytes)
        if minx == maxx and miny == maxy and minx - minx == 0.0 and miny - miny == 0.0 and grid.cell:
            return grid.point(minx, miny)
        return grid.query(minx, miny, maxx, maxy)


def _overlap_mask(index: GisIndex, rows, minx: float, miny: float, maxx: float, maxy: float):
    """The R-tree's overlap(): no comparison proves the boxes apart."""
    return ~(
        (minx > index.maxx[rows]) | (index.minx[rows] > maxx) | (miny > index.maxy[rows]) | (index.miny[rows] > maxy)
    )


# One (member, bounds) entry of a cell, packed: read back with struct.iter_unpack.
_ENTRY = struct.Struct("<q4d")
_ENTRY_DTYPE = np.dtype([("pos", "<i8"), ("minx", "<f8"), ("miny", "<f8"), ("maxx", "<f8"), ("maxy", "<f8")])
_MAX_CELLS_LOOKED_UP = 64


class _Grid:
    """Members bucketed by the square cells their bounds cover: sorted cell keys, and per
    cell its members with their bounds packed, so a small query is a bisection and a
    short loop. Members whose bounds are not finite or cover many cells are kept apart
    and tested by every query."""

    def __init__(self, index: GisIndex):
        self.index = index
        minx, miny, maxx, maxy = index.minx, index.miny, index.maxx, index.maxy
        finite = np.isfinite(minx) & np.isfinite(miny) & np.isfinite(maxx) & np.isfinite(maxy)
        rows = np.flatnonzero(finite)
        always = np.flatnonzero(~finite)
        self.cell = 0.0
        self.ox = self.oy = 0.0
        self.keys = array("q")
        self.starts = array("q", [0])
        self.entries = b""
        if len(rows):
            self.ox, self.oy = float(minx[rows].min()), float(miny[rows].min())
            span = max(float(maxx[rows].max()) - self.ox, float(maxy[rows].max()) - self.oy)
            typical = float(np.median(np.maximum(maxx[rows] - minx[rows], maxy[rows] - miny[rows])))
            cell = max(typical, span / math.sqrt(len(rows)))
            self.cell = cell if cell > 0 and math.isfinite(cell) else 1.0
            x0, x1 = self._cells(minx[rows], self.ox), self._cells(maxx[rows], self.ox)
            y0, y1 = self._cells(miny[rows], self.oy), self._cells(maxy[rows], self.oy)
            height = y1 - y0 + 1
            count = (x1 - x0 + 1) * height
            ok = (count <= _GRID_MAX_CELLS_PER_MEMBER) & (x1 < _CELL_RANGE) & (y1 < _CELL_RANGE)
            always = np.sort(np.concatenate([always, rows[~ok]]))
            rows, x0, y0, height, count = rows[ok], x0[ok], y0[ok], height[ok], count[ok].astype(np.int64)
            # One entry per (member, covered cell).
            rep = np.repeat(np.arange(len(rows)), count)
            k = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
            keys = (x0[rep] + k // height[rep]).astype(np.int64) * _CELL_RANGE + (y0[rep] + k % height[rep]).astype(
                np.int64)
            members = rows[rep]
            order = np.lexsort((members, keys))
            keys, members = keys[order], members[order]
            unique, first = np.unique(keys, return_index=True)
            self.keys = array("q", unique.tolist())
            self.starts = array("q", first.tolist() + [len(keys)])
            self.entries = self._pack(members)
        self.always = always
        self.always_entries = self._pack(always)
        self.nbytes = len(self.entries) + len(self.always_entries) + 16 * len(self.keys) + 200

    def _pack(self, members) -> bytes:
        index = self.index
        packed = np.empty(len(members), dtype=_ENTRY_DTYPE)
        packed["pos"] = members
        for f in ("minx", "miny", "maxx", "maxy"):
            packed[f] = getattr(index, f)[members]
        return packed.tobytes()

    def _cells(self, values, origin: float):
        return np.floor((values - origin) / self.cell)

    def query(self, minx: float, miny: float, maxx: float, maxy: float) -> list[int]:
        cell = self.cell
        if minx == maxx and miny == maxy and minx - minx == 0.0 and miny - miny == 0.0 and cell:
            return self.point(minx, miny)
        if not cell or not (
            math.isfinite(minx) and math.isfinite(miny) and math.isfinite(maxx) and math.isfinite(maxy)
        ):
            return self._scan(minx, miny, maxx, maxy)
        # An inverted box still overlaps the members spanning it: take the cells between.
        xa, xb = sorted((self._cell(minx, self.ox), self._cell(maxx, self.ox)))
        ya, yb = sorted((self._cell(miny, self.oy), self._cell(maxy, self.oy)))
        xa, ya = max(xa, 0), max(ya, 0)
        xb, yb = min(xb, _CELL_RANGE - 1), min(yb, _CELL_RANGE - 1)
        if xa <= xb and ya <= yb and (xb - xa + 1) * (yb - ya + 1) > _MAX_CELLS_LOOKED_UP:
            return self._scan(minx, miny, maxx, maxy)
        keys, starts, entries, size = self.keys, self.starts, self.entries, _ENTRY.size
        found: list[int] = []
        cells = 0
        for x in range(xa, xb + 1):
            for y in range(ya, yb + 1):
                key = x * _CELL_RANGE + y
                at = bisect_left(keys, key)
                if at < len(keys) and keys[at] == key:
                    cells += 1
                    for pos, a, b, c, d in _ENTRY.iter_unpack(entries[starts[at] * size : starts[at + 1] * size]):
                        if not (minx > c or a > maxx or miny > d or b > maxy):
                            found.append(pos)
        if self.always_entries:
            cells += 1
            for pos, a, b, c, d in _ENTRY.iter_unpack(self.always_entries):
                if not (minx > c or a > maxx or miny > d or b > maxy):
                    found.append(pos)
        # One cell's members come sorted; from several, a member may come more than once.
        return sorted(set(found)) if cells > 1 else found

    def point(self, x: float, y: float) -> list[int]:
        """A finite point's box: one cell, whose members come sorted."""
        cell, keys = self.cell, self.keys
        fx, fy = (x - self.ox) / cell, (y - self.oy) / cell
        found: list[int] = []
        if 0.0 <= fx < _CELL_RANGE and 0.0 <= fy < _CELL_RANGE:
            key = int(fx) * _CELL_RANGE + int(fy)
            at = bisect_left(keys, key)
            if at < len(keys) and keys[at] == key:
                size = _ENTRY.size
                for pos, a, b, c, d in _ENTRY.iter_unpack(self.entries[self.starts[at] * size :
                                                                       self.starts[at + 1] * size]):
                    if not (x > c or a > x or y > d or b > y):
                        found.append(pos)
        if self.always_entries:
            for pos, a, b, c, d in _ENTRY.iter_unpack(self.always_entries):
                if not (x > c or a > x or y > d or b > y):
                    found.append(pos)
            if len(found) > 1:
                found.sort()
        return found

    def _cell(self, value: float, origin: float) -> int:
        """The cell of a finite coordinate, clamped to the grid's range (a difference of two
        huge coordinates can overflow to infinity)."""
        f = (value - origin) / self.cell
        return math.floor(min(max(f, -1.0), float(_CELL_RANGE)))

    def _scan(self, minx: float, miny: float, maxx: float, maxy: float) -> list[int]:
        every = np.arange(self.index.size)
        return every[_overlap_mask(self.index, every, minx, miny, maxx, maxy)].tolist()


# ---------------------------------------------------------------------------
# The cache.

DEFAULT_CACHE_MB = 512


class IndexCache:
    """GisIndex by (database, key); least recently used out first, within max_bytes
    (the newest index stays even when it alone is larger). An index tells its cache when
    it grows (its grid, parsed geometries), so the total is kept as queries run."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_MB << 20):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, bytes], GisIndex] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[int, bytes]) -> GisIndex | None:
        # Each OrderedDict call is atomic under the GIL; an entry dropped in between is
        # merely not refreshed. Changes (which keep the total) take the lock.
        entry = self._entries.get(key)
        if entry is not None:
            try:
                self._entries.move_to_end(key)
            except KeyError:
                pass
        return entry

    def put(self, key: tuple[int, bytes], index: GisIndex) -> None:
        with self._lock:
            self._forget(self._entries.pop(key, None))
            if index._cache is not None and index._cache is not self:
                raise ValueError("an index belongs to one cache")
            self._entries[key] = index
            index._cache = self
            self._bytes += index.nbytes
            self._trim()

    def drop(self, key: tuple[int, bytes]) -> None:
        with self._lock:
            self._forget(self._entries.pop(key, None))

    def grew(self, index: GisIndex, delta: int) -> None:
        with self._lock:
            if index._cache is self:
                self._bytes += delta
                self._trim()

    def resize(self, max_bytes: int) -> None:
        with self._lock:
            self.max_bytes = max_bytes
            self._trim()

    def _forget(self, index: GisIndex | None) -> None:
        if index is not None:
            self._bytes -= index.nbytes
            index._cache = None

    def _trim(self) -> None:
        while len(self._entries) > 1 and self._bytes > self.max_bytes:
            self._forget(self._entries.popitem(last=False)[1])

    def clear(self) -> None:
        with self._lock:
            while self._entries:
                self._forget(self._entries.popitem()[1])

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)
