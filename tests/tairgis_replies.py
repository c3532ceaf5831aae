"""Byte-exact RESP2 replies of the TairGis module (texts from src/tairgis.c, spatial.c, util.c)."""

from __future__ import annotations

from tests.replies import EMPTY, NIL, OK, WRONGTYPE, arity, arr, bulk, i  # noqa: F401 (re-exported for the tests)

INVALID = b"-ERR invalid geometry\r\n"


def err(text: str) -> bytes:
    return b"-" + text.encode() + b"\r\n"


def strings(*items: str | bytes) -> bytes:
    """An array of bulk strings (GIS.GETALL)."""
    return arr(*(bulk(s) for s in items))


def found(count: int, *items: str | bytes) -> bytes:
    """A search reply: [count, [flat items]]."""
    return arr(i(count), strings(*items))
