"""Byte-exact RESP2 replies of the TairGis module (texts from src/tairgis.c, spatial.c, util.c)."""

from __future__ import annotations

OK = b"+OK\r\n"
NIL = b"$-1\r\n"
EMPTY = b"*0\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
INVALID = b"-ERR invalid geometry\r\n"


def err(text: str) -> bytes:
    return b"-" + text.encode() + b"\r\n"


def arity(name: str) -> bytes:
    return b"-ERR wrong number of arguments for '%s' command\r\n" % name.lower().encode()


def i(n: int) -> bytes:
    return b":%d\r\n" % n


def bulk(s: str | bytes) -> bytes:
    if isinstance(s, str):
        s = s.encode()
    return b"$%d\r\n%s\r\n" % (len(s), s)


def arr(*items: bytes) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(items)


def strings(*items: str | bytes) -> bytes:
    """An array of bulk strings (GIS.GETALL)."""
    return arr(*(bulk(s) for s in items))


def found(count: int, *items: str | bytes) -> bytes:
    """A search reply: [count, [flat items]]."""
    return arr(i(count), strings(*items))
