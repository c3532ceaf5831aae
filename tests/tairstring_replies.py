"""Byte-exact RESP2 replies of the TairString module (texts from tairstring.h and the server)."""

from __future__ import annotations

from tests.replies import NIL, OK, SYNTAX, WRONGTYPE, arity, arr, bulk, i  # noqa: F401 (re-exported for the tests)

STALE = b"-ERR update version is stale\r\n"
NOT_INT = b"-ERR value is not an integer\r\n"
NOT_FLOAT = b"-ERR value is not a float\r\n"
OVERFLOW = b"-ERR increment or decrement would overflow\r\n"
MIN_MAX = b"-ERR min or max is specified, but not valid\r\n"
VER_INT = b"-ERR version should be integer\r\n"
CAS_FAILED = b"+CAS_FAILED\r\n"
EMPTY_STATUS = b"+\r\n"

INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)
UINT32_MAX = (1 << 32) - 1


def exget(value: str | bytes, version: int, flags: int | None = None) -> bytes:
    """EXGET reply: [value, version] or, WITHFLAGS / EXGAE, [value, version, flags]."""
    if flags is None:
        return arr(bulk(value), i(version))
    return arr(bulk(value), i(version), i(flags))


def incr_ver(value: int, version: int) -> bytes:
    """EXINCRBY ... WITHVERSION."""
    return arr(i(value), i(version))


def cas_ok(version: int) -> bytes:
    return arr(OK, EMPTY_STATUS, i(version))


def cas_failed(value: str | bytes, version: int) -> bytes:
    return arr(CAS_FAILED, bulk(value), i(version))
