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
from collections import OrderedDict

import numpy as np

from tairproxy.modules.tairgis_geometry import POINT, Geom, InvalidGeometry, parse_geometry
from tairproxy.modules.tairgis_relations import Part, polygon_map

RESERVED_FIELD = b"\0gis"
SEQ_END = 16  # mark byte + 15 sequence digits
VALUE_MARK = 0x1E  # values written with META; 0x1D: an earlier layout (WKT, then WKB)
META = struct.Struct("<B6d")  # kind, center x, y, bounds min x, min y, max x, max y
_META_DTYPE = np.dtype([("kind", "u1"), ("cx", "<f8"), ("cy", "<f8"), ("minx", "<f8"),
                        ("miny", "<f8"), ("maxx", "<f8"), ("maxy", "<f8")])
_POWERS = 10 ** np.arange(14, -1, -1, dtype=np.int64)


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

    Built from tp_gis_read's answer: the lengths of HGETALL's items (decimal text) and the
    items concatenated, so the raw bytes stay one object and every per-member field is
    found with array arithmetic."""

    def __init__(self, stamp: bytes, lengths: bytes, blob: bytes):
        self.stamp = stamp
        self._blob = blob
        lens = np.fromstring(lengths, dtype=np.int64, sep=" ") if lengths else np.zeros(0, dtype=np.int64)
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
        self.name_lo, self.name_hi = name_lo[order], name_hi[order]
        self.wkt_lo, self.wkt_hi = val_lo[order] + SEQ_END, wkt_hi[order]
        meta = meta[order]
        self.kind = meta["kind"]
        self.cx, self.cy = meta["cx"], meta["cy"]
        self.minx, self.miny, self.maxx, self.maxy = meta["minx"], meta["miny"], meta["maxx"], meta["maxy"]
        self._grid: _Grid | None = None
        self._parts: dict[int, list[Part]] = {}
        self._parts_bytes = 0
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
            self._names = [blob[a:b] for a, b in zip(self.name_lo.tolist(), self.name_hi.tolist(), strict=True)]
        return self._names

    def position(self, name: bytes) -> int | None:
        if self._by_name is None:
            self._by_name = {n: i for i, n in enumerate(self.names())}
        return self._by_name.get(name)

    def sorted_positions(self) -> list[int]:
        """GIS.GETALL's order: the module's dict iterates names as sorted byte strings."""
        if self._sorted is None:
            self._sorted = sorted(range(self.size), key=self.names().__getitem__)
        return self._sorted

    def is_point(self, pos: int) -> bool:
        return self.kind[pos] == POINT

    def parts(self, pos: int) -> list[Part]:
        """The member's polygon map, parsed on first use and kept within a budget."""
        found = self._parts.get(pos)
        if found is None:
            text = self.wkt(pos)
            found = polygon_map(parse_geometry(text))
            cost = 64 + 4 * len(text)
            if self._parts_bytes + cost > max(self.base_bytes, 1 << 20):
                self._parts.clear()
                self._parts_bytes = 0
            self._parts[pos] = found
            self._parts_bytes += cost
        return found

    @property
    def nbytes(self) -> int:
        """What this index may take: its base, and as much again for parsed geometries."""
        return 2 * self.base_bytes if self.base_bytes > (1 << 20) else self.base_bytes + (1 << 20)

    # ----- candidates -------------------------------------------------------------

    def candidates(self, minx: float, miny: float, maxx: float, maxy: float) -> list[int]:
        """Positions (ascending) of the members whose bounds overlap the box, as the
        module's R-tree overlap test decides it."""
        if self.size == 0:
            return []
        if self._grid is None:
            self._grid = _Grid(self)
        return self._grid.query(minx, miny, maxx, maxy)


def _overlap_mask(index: GisIndex, rows, minx: float, miny: float, maxx: float, maxy: float):
    """The R-tree's overlap(): no comparison proves the boxes apart."""
    return ~(
        (minx > index.maxx[rows]) | (index.minx[rows] > maxx) | (miny > index.maxy[rows]) | (index.miny[rows] > maxy)
    )


class _Grid:
    """Members bucketed by the square cells their bounds cover (a sorted array of cell
    keys with the members of each); members whose bounds are not finite or cover many
    cells are kept apart and tested by every query."""

    def __init__(self, index: GisIndex):
        self.index = index
        minx, miny, maxx, maxy = index.minx, index.miny, index.maxx, index.maxy
        finite = np.isfinite(minx) & np.isfinite(miny) & np.isfinite(maxx) & np.isfinite(maxy)
        rows = np.flatnonzero(finite)
        self.always = np.flatnonzero(~finite)
        self.cell = 0.0
        self.keys = np.zeros(0, dtype=np.int64)
        self.starts = np.zeros(1, dtype=np.int64)
        self.members = np.zeros(0, dtype=np.int64)
        if not len(rows):
            return
        self.ox, self.oy = float(minx[rows].min()), float(miny[rows].min())
        span = max(float(maxx[rows].max()) - self.ox, float(maxy[rows].max()) - self.oy)
        typical = float(np.median(np.maximum(maxx[rows] - minx[rows], maxy[rows] - miny[rows])))
        cell = max(typical, span / math.sqrt(len(rows)))
        self.cell = cell if cell > 0 and math.isfinite(cell) else 1.0
        x0, x1 = self._cells(minx[rows], self.ox), self._cells(maxx[rows], self.ox)
        y0, y1 = self._cells(miny[rows], self.oy), self._cells(maxy[rows], self.oy)
        width, height = x1 - x0 + 1, y1 - y0 + 1
        count = width * height
        ok = (count <= _GRID_MAX_CELLS_PER_MEMBER) & (x1 < _CELL_RANGE) & (y1 < _CELL_RANGE)
        self.always = np.sort(np.concatenate([self.always, rows[~ok]]))
        rows, x0, y0, height, count = rows[ok], x0[ok], y0[ok], height[ok], count[ok].astype(np.int64)
        # One entry per (member, covered cell).
        rep = np.repeat(np.arange(len(rows)), count)
        k = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
        keys = (x0[rep] + k // height[rep]).astype(np.int64) * _CELL_RANGE + (y0[rep] + k % height[rep]).astype(np.int64)
        members = rows[rep]
        order = np.lexsort((members, keys))
        keys, members = keys[order], members[order]
        self.keys, first = np.unique(keys, return_index=True)
        self.starts = np.append(first, len(keys)).astype(np.int64)
        self.members = members

    def _cells(self, values, origin: float):
        return np.floor((values - origin) / self.cell)

    def query(self, minx: float, miny: float, maxx: float, maxy: float) -> list[int]:
        index = self.index
        if not self.cell or not (
            math.isfinite(minx) and math.isfinite(miny) and math.isfinite(maxx) and math.isfinite(maxy)
        ):
            return self._scan(minx, miny, maxx, maxy)
        cell = self.cell
        # An inverted box still overlaps the members spanning it: take the cells between.
        xa, xb = sorted((math.floor((minx - self.ox) / cell), math.floor((maxx - self.ox) / cell)))
        ya, yb = sorted((math.floor((miny - self.oy) / cell), math.floor((maxy - self.oy) / cell)))
        xa, ya = max(xa, 0), max(ya, 0)
        xb, yb = min(xb, _CELL_RANGE - 1), min(yb, _CELL_RANGE - 1)
        keys = self.keys
        if xa > xb or ya > yb or not len(keys):
            found = self.members[:0]
        elif (xb - xa + 1) * (yb - ya + 1) > 64:
            return self._scan(minx, miny, maxx, maxy)
        elif xa == xb and ya == yb:
            key = xa * _CELL_RANGE + ya
            at = int(np.searchsorted(keys, key))
            found = self.members[self.starts[at] : self.starts[at + 1]] if at < len(keys) and keys[at] == key \
                else self.members[:0]
        else:
            wanted = np.array([x * _CELL_RANGE + y for x in range(xa, xb + 1) for y in range(ya, yb + 1)],
                              dtype=np.int64)
            at = np.searchsorted(keys, wanted)
            at = at[(at < len(keys)) & (keys[np.minimum(at, len(keys) - 1)] == wanted)].tolist()
            found = np.unique(np.concatenate([self.members[self.starts[a] : self.starts[a + 1]] for a in at]
                                             + [self.members[:0]]))
        if len(self.always):
            found = np.union1d(found, self.always)
        if not len(found):
            return []
        return found[_overlap_mask(index, found, minx, miny, maxx, maxy)].tolist()

    def _scan(self, minx: float, miny: float, maxx: float, maxy: float) -> list[int]:
        every = np.arange(self.index.size)
        return every[_overlap_mask(self.index, every, minx, miny, maxx, maxy)].tolist()


# ---------------------------------------------------------------------------
# The cache.

DEFAULT_CACHE_MB = 512


class IndexCache:
    """GisIndex by (database, key); least recently used out first, within max_bytes
    (the newest index stays even when it alone is larger)."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_MB << 20):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, bytes], GisIndex] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[int, bytes]) -> GisIndex | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[int, bytes], index: GisIndex) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._entries[key] = index
            self._bytes += index.nbytes
            self._trim()

    def drop(self, key: tuple[int, bytes]) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes

    def resize(self, max_bytes: int) -> None:
        with self._lock:
            self.max_bytes = max_bytes
            self._trim()

    def _trim(self) -> None:
        while len(self._entries) > 1 and self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)
