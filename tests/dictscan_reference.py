"""The modules' own hash-table walk, for checking EXHSCAN / EXZSCAN cursors and page sizes.

TairHash and TairZset keep entries in their own dict (dep/dict.c): SipHash-1-2 with the
all-zero seed (m_dictSetHashFunctionSeed is never called), a power-of-two table that starts
at 4 buckets and doubles when full, new entries at the head of their bucket's chain, and
m_dictScan's reverse-binary cursor. EXHSCAN/EXZSCAN call it while the cursor is not 0, the
iteration budget (count * 10) lasts and fewer than `count` list nodes were gathered.
"""

from __future__ import annotations

MASK64 = (1 << 64) - 1


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & MASK64


def siphash12(data: bytes) -> int:
    v0, v1, v2, v3 = 0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573

    def sipround() -> None:
        nonlocal v0, v1, v2, v3
        v0 = (v0 + v1) & MASK64
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & MASK64
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & MASK64
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & MASK64
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)

    full = len(data) - len(data) % 8
    for i in range(0, full, 8):
        m = int.from_bytes(data[i : i + 8], "little")
        v3 ^= m
        sipround()
        v0 ^= m
    b = (len(data) & 0xFF) << 56 | int.from_bytes(data[full:], "little")
    v3 ^= b
    sipround()
    v0 ^= b
    v2 ^= 0xFF
    sipround()
    sipround()
    return v0 ^ v1 ^ v2 ^ v3


def table_size(n: int) -> int:
    size = 4
    while size < n:
        size *= 2
    return size


def _next_cursor(v: int, size: int) -> int:
    v |= ~(size - 1) & MASK64
    v = int(f"{v:064b}"[::-1], 2)
    v = (v + 1) & MASK64
    return int(f"{v:064b}"[::-1], 2)


class Table:
    """The module's table holding `names`, inserted in that order."""

    def __init__(self, names: list[bytes]):
        self.size = table_size(len(names))
        self.buckets: dict[int, list[bytes]] = {}
        for name in names:
            self.buckets.setdefault(siphash12(name) & (self.size - 1), []).insert(0, name)

    def scan(self, cursor: int, count: int, nodes_per_entry: int) -> tuple[int, list[bytes]]:
        """One call: (next cursor, entries in reply order)."""
        out: list[bytes] = []
        steps = count * 10
        limit = count if count > 0 else float("inf")
        v = cursor
        while True:
            out += self.buckets.get(v & (self.size - 1), [])
            v = _next_cursor(v, self.size)
            if v == 0 or steps == 0 or len(out) * nodes_per_entry >= limit:
                return v, out
            steps -= 1
