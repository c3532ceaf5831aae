"""Byte-exact RESP2 reply builders shared by every family's tests."""

from __future__ import annotations

OK = b"+OK\r\n"
NIL = b"$-1\r\n"
EMPTY = b"*0\r\n"
QUEUED = b"+QUEUED\r\n"
SYNTAX = b"-ERR syntax error\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def arity(name: str) -> bytes:
    """Valkey's VM_WrongArity text: the lowercase registered command name."""
    return b"-ERR wrong number of arguments for '%s' command\r\n" % name.lower().encode()


def i(n: int) -> bytes:
    return b":%d\r\n" % n


def bulk(s: str | bytes) -> bytes:
    if isinstance(s, str):
        s = s.encode()
    return b"$%d\r\n%s\r\n" % (len(s), s)


def status(s: str) -> bytes:
    return b"+%s\r\n" % s.encode()


def arr(*items: bytes) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(items)


def bulks(*items: str | bytes) -> bytes:
    """An array of bulk strings."""
    return arr(*(bulk(x) for x in items))
