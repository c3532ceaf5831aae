"""RESP wire format: finding frame boundaries, parsing replies, encoding.

This module knows bytes only. Scanners return the end offset of one complete
frame (or -1 when more data is needed) so pass-through traffic can be
forwarded as the exact bytes the peer sent, never re-encoded.
"""

from __future__ import annotations

import re

CRLF = b"\r\n"
_STAR = 42  # '*'
_DOLLAR = 36  # '$'

# Valkey's own limit on inline commands (PROTO_INLINE_MAX_SIZE).
INLINE_MAX = 64 * 1024
# Valkey refuses multibulk lengths above this (1024*1024*1024 - 1 in networking.c is INT_MAX-ish;
# we only need a sanity bound so a hostile header cannot make us allocate).
MULTIBULK_MAX = 1024 * 1024 * 1024


class ProtocolError(Exception):
    """The stream cannot be resynchronised; the message is sent as -ERR Protocol error: ..."""


class Status(bytes):
    """A simple-string (+) reply, distinct from a bulk string."""


class Error(bytes):
    """An error (-) reply."""


class Push(list):
    """A RESP3 out-of-band push (>) frame."""


class Double(float):
    """A RESP3 double (,) reply."""


class Encoded(bytes):
    """A reply already encoded, the same in RESP2 and RESP3 (arrays, bulk strings and
    integers): a reply reshaper that builds the bytes itself skips the generic encoder."""


class Verbatim(bytes):
    """A RESP3 verbatim string (=, e.g. INFO's text): its bytes, and its 3-letter format."""

    fmt = b"txt"

    @classmethod
    def like(cls, original: object, data: bytes) -> bytes:
        """``data`` as the same kind of reply as ``original`` (verbatim stays verbatim)."""
        if not isinstance(original, Verbatim):
            return data
        out = cls(data)
        out.fmt = original.fmt
        return out


NIL_BULK = b"$-1\r\n"


def scan_command(buf: bytearray, pos: int, max_bulk: int) -> tuple[int, list[bytes] | None]:
    """Find one client command starting at ``pos``.

    Returns ``(end, args)``; ``end == -1`` when the command is incomplete.
    ``args`` is None for an empty inline line (Valkey ignores those).
    """
    if buf[pos] != _STAR:
        return _scan_inline(buf, pos)
    nl = buf.find(CRLF, pos)
    if nl < 0:
        if len(buf) - pos > INLINE_MAX:
            raise ProtocolError("too big mbulk count string")
        return -1, None
    count = _strict_int(buf[pos + 1 : nl])
    if count is None:
        raise ProtocolError("invalid multibulk length")
    if count > MULTIBULK_MAX:
        raise ProtocolError("invalid multibulk length")
    p = nl + 2
    if count <= 0:
        return p, None
    args = []
    size = len(buf)
    for _ in range(count):
        if p >= size:
            return -1, None
        if buf[p] != _DOLLAR:
            raise ProtocolError(f"expected '$', got '{chr(buf[p])}'")
        nl = buf.find(CRLF, p)
        if nl < 0:
            if size - p > INLINE_MAX:
                raise ProtocolError("too big bulk count string")
            return -1, None
        length = _strict_int(buf[p + 1 : nl])
        if length is None:
            raise ProtocolError("invalid bulk length")
        if length < 0 or length > max_bulk:
            raise ProtocolError("invalid bulk length")
        start = nl + 2
        p = start + length + 2
        if p > size:
            return -1, None
        args.append(bytes(buf[start : p - 2]))
    return p, args


_STRICT_INT = re.compile(rb"-?(?:0|[1-9][0-9]{0,18})\Z")


def _strict_int(text: bytes | bytearray) -> int | None:
    """A length as Valkey's string2ll reads it: no sign but '-', no spaces, no leading zeros."""
    return int(text) if _STRICT_INT.match(text) else None


def _scan_inline(buf: bytearray, pos: int) -> tuple[int, list[bytes] | None]:
    nl = buf.find(b"\n", pos)
    if nl < 0:
        if len(buf) - pos > INLINE_MAX:
            raise ProtocolError("too big inline request")
        return -1, None
    line = bytes(buf[pos:nl]).rstrip(b"\r")
    args = split_inline(line)
    return nl + 1, args or None


def split_inline(line: bytes) -> list[bytes]:
    """Split an inline command the way Valkey's sdssplitargs does (quotes, escapes)."""
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\v\f":
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    raise ProtocolError("unbalanced quotes in request")
                c = line[i]
                if c == 0x5C and i + 3 < n and line[i + 1] == 0x78 and _ishex(line[i + 2 : i + 4]):
                    cur.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    cur.append({0x6E: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7}.get(line[i], line[i]))
                elif c == 0x22:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        raise ProtocolError("unbalanced quotes in request")
                    inq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            elif insq:
                if i >= n:
                    raise ProtocolError("unbalanced quotes in request")
                c = line[i]
                if c == 0x5C and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        raise ProtocolError("unbalanced quotes in request")
                    insq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \t\n\r\v\f":
                    break
                if c == 0x22:
                    inq = True
                elif c == 0x27:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        args.append(bytes(cur))


def _ishex(two: bytes) -> bool:
    return len(two) == 2 and all(c in b"0123456789abcdefABCDEF" for c in two)


# Reply type bytes whose frame is one line.
_LINE_TYPES = frozenset(b"+-:_,#(")
# Aggregates: count of child frames per announced element.
_AGG_CHILDREN = {ord("*"): 1, ord("~"): 1, ord(">"): 1, ord("%"): 2, ord("|"): 2}
# Blob types: a length line then that many bytes.
_BLOB_TYPES = frozenset(b"$!=")


def scan_reply(buf: bytearray, pos: int) -> int:
    """End offset of one complete server reply at ``pos``, or -1 if incomplete.

    A RESP3 attribute (|) is scanned together with the reply it decorates.
    """
    size = len(buf)
    todo = 1
    while todo:
        if pos >= size:
            return -1
        kind = buf[pos]
        nl = buf.find(CRLF, pos)
        if nl < 0:
            return -1
        if kind == _DOLLAR or kind in _BLOB_TYPES:
            length = int(buf[pos + 1 : nl])
            pos = nl + 2
            if length >= 0:
                pos += length + 2
                if pos > size:
                    return -1
            todo -= 1
        elif kind in _LINE_TYPES:
            pos = nl + 2
            todo -= 1
        elif kind in _AGG_CHILDREN:
            count = int(buf[pos + 1 : nl])
            pos = nl + 2
            todo -= 1
            if count > 0:
                todo += count * _AGG_CHILDREN[kind]
            if kind == 124:  # '|' attribute: the decorated reply follows
                todo += 1
        else:
            raise ProtocolError(f"unexpected reply type byte {kind!r}")
    return pos


def scan_frames(buf: bytearray, pos: int, todo: int, skip: int) -> tuple[int, int, int]:
    """Resumable scan of server replies: ``todo`` frames still to read, ``skip`` payload bytes
    (of a bulk whose header was read) still to pass.

    Returns the new ``(pos, todo, skip)``; the reply being scanned is complete when both
    counts are 0. When data runs out, ``pos`` is left at the last frame boundary reached
    (or inside a payload being skipped), so a caller may forward and drop ``buf[:pos]`` and
    resume later with the returned counts: a huge reply costs O(1) per chunk, not a rescan.
    """
    size = len(buf)
    if skip:
        if size - pos < skip:
            return size, todo, skip - (size - pos)
        pos += skip
        skip = 0
    while todo:
        if pos >= size:
            break
        kind = buf[pos]
        nl = buf.find(CRLF, pos)
        if nl < 0:
            break
        if kind == _DOLLAR or kind in _BLOB_TYPES:
            length = int(buf[pos + 1 : nl])
            todo -= 1
            pos = nl + 2
            if length >= 0:
                if size - pos < length + 2:
                    return size, todo, length + 2 - (size - pos)
                pos += length + 2
        elif kind in _LINE_TYPES:
            pos = nl + 2
            todo -= 1
        elif kind in _AGG_CHILDREN:
            count = int(buf[pos + 1 : nl])
            pos = nl + 2
            todo -= 1
            if count > 0:
                todo += count * _AGG_CHILDREN[kind]
            if kind == 124:  # '|' attribute: the decorated reply follows
                todo += 1
        else:
            raise ProtocolError(f"unexpected reply type byte {kind!r}")
    return pos, todo, 0


def parse_reply(buf: bytes | bytearray, pos: int = 0) -> tuple[object, int]:
    """Parse one complete reply (as found by scan_reply) into Python values.

    Status, Error, Push and Double keep their RESP type; maps become dicts
    with list-of-pairs semantics preserved by insertion order.
    """
    kind = buf[pos]
    nl = buf.find(CRLF, pos)
    line = bytes(buf[pos + 1 : nl])
    pos = nl + 2
    if kind == 36:  # $
        length = int(line)
        if length < 0:
            return None, pos
        return bytes(buf[pos : pos + length]), pos + length + 2
    if kind == 58:  # :
        return int(line), pos
    if kind == 43:  # +
        return Status(line), pos
    if kind == 45:  # -
        return Error(line), pos
    if kind in (42, 126, 62):  # * ~ >
        count = int(line)
        if count < 0:
            return None, pos
        items = []
        for _ in range(count):
            item, pos = parse_reply(buf, pos)
            items.append(item)
        return (Push(items) if kind == 62 else items), pos
    if kind == 37:  # %
        out = {}
        for _ in range(int(line)):
            k, pos = parse_reply(buf, pos)
            v, pos = parse_reply(buf, pos)
            out[k] = v
        return out, pos
    if kind == 95:  # _
        return None, pos
    if kind == 44:  # ,
        return Double(float(line)), pos
    if kind == 35:  # #
        return line == b"t", pos
    if kind == 40:  # (
        return int(line), pos
    if kind in (33, 61):  # ! =  (blob error / verbatim)
        length = int(line)
        data = bytes(buf[pos : pos + length])
        if kind == 33:
            return Error(data), pos + length + 2
        text = Verbatim(data[4:])
        text.fmt = data[:3]
        return text, pos + length + 2
    if kind == 124:  # | attribute: drop it, return the decorated reply
        for _ in range(2 * int(line)):
            _, pos = parse_reply(buf, pos)
        return parse_reply(buf, pos)
    raise ProtocolError(f"unexpected reply type byte {kind!r}")


_BULK_HEADERS = [b"$%d\r\n" % n for n in range(1024)]


def py_encode_command(args: list[bytes] | tuple[bytes, ...]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    headers = _BULK_HEADERS
    for a in args:
        n = len(a)
        parts += (headers[n] if n < 1024 else b"$%d\r\n" % n, a, CRLF)
    return b"".join(parts)


try:  # the C version when it was built (tairproxy/_speedups.c); tests/test_framing.py compares them
    from tairproxy._speedups import encode_command
except ImportError:
    encode_command = py_encode_command


def encode_reply(value: object, resp3: bool = False) -> bytes:
    """Encode a Python value as a reply in the client's protocol."""
    out: list[bytes] = []
    _encode(value, resp3, out)
    return b"".join(out)


def _encode(value: object, resp3: bool, out: list[bytes]) -> None:
    if type(value) is Encoded:
        out.append(value)
    elif value is None:
        out.append(b"_\r\n" if resp3 else NIL_BULK)
    elif isinstance(value, Status):
        out.append(b"+" + value + CRLF)
    elif isinstance(value, Error):
        out.append(b"-" + value + CRLF)
    elif resp3 and isinstance(value, Verbatim):
        out.append(b"=%d\r\n%s:" % (len(value) + 4, value.fmt))
        out.append(bytes(value))
        out.append(CRLF)
    elif isinstance(value, (bytes, bytearray)):
        out.append(b"$%d\r\n" % len(value))
        out.append(bytes(value))
        out.append(CRLF)
    elif isinstance(value, bool):
        out.append((b"#t\r\n" if value else b"#f\r\n") if resp3 else (b":1\r\n" if value else b":0\r\n"))
    elif isinstance(value, int):
        out.append(b":%d\r\n" % value)
    elif isinstance(value, Double):
        text = repr(float(value)).encode()
        out.append((b"," + text + CRLF) if resp3 else (b"$%d\r\n%s\r\n" % (len(text), text)))
    elif isinstance(value, str):
        _encode(value.encode(), resp3, out)
    elif isinstance(value, dict):
        if resp3:
            out.append(b"%%%d\r\n" % len(value))
        else:
            out.append(b"*%d\r\n" % (2 * len(value)))
        for k, v in value.items():
            _encode(k, resp3, out)
            _encode(v, resp3, out)
    elif isinstance(value, (list, tuple)):
        out.append((b">%d\r\n" if resp3 and isinstance(value, Push) else b"*%d\r\n") % len(value))
        for item in value:
            _encode(item, resp3, out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__}")


def error_reply(message: str | bytes) -> bytes:
    if isinstance(message, str):
        message = message.encode()
    return b"-" + message + CRLF
