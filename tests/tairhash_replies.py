"""Byte-exact RESP2 replies of the TairHash module (texts from src/tairhash.h and the server)."""

from __future__ import annotations

from tests.replies import EMPTY, NIL, OK, SYNTAX, WRONGTYPE, arity, arr, bulk, bulks, i  # noqa: F401 (re-exported for the tests)

STALE = b"-ERR update version is stale\r\n"
NOT_INT = b"-ERR value is not an integer\r\n"
NOT_FLOAT = b"-ERR value is not an float\r\n"  # Tair's typo, kept
OVERFLOW = b"-ERR increment or decrement would overflow\r\n"
INT_MIN_MAX = b"-ERR min or max is specified, but value is not an integer\r\n"
FLOAT_MIN_MAX = b"-ERR min or max is specified, but value is not a float\r\n"
MIN_MAX = b"-ERR min value is bigger than max value\r\n"

INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)


def withver(value: str | bytes, version: int) -> bytes:
    """EXHGETWITHVER / one EXHMGETWITHVER element: [value, version]."""
    return arr(bulk(value), i(version))


def scan(cursor: str | bytes, *items: str | bytes) -> bytes:
    """EXHSCAN on an existing key: the cursor is a bulk string."""
    return arr(bulk(cursor), bulks(*items))


SCAN_MISSING = b"*2\r\n+0\r\n*0\r\n"  # on a missing key the cursor is a status reply


def stored(version: int, value: str | bytes) -> bytes:
    """How a field's value sits in the native hash: marker, version, ':', value."""
    if isinstance(value, str):
        value = value.encode()
    return b"\x1f%d:%s" % (version, value)
