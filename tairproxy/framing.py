"""Where commands and replies begin and end: the per-command work of the proxy's hot path.

The C module ``tairproxy._speedups`` does it when it was built (pip builds it where a compiler
is available); otherwise the same functions run in Python, with the same results, slower.
``tests/test_framing.py`` checks that the two agree.
"""

from __future__ import annotations

from tairproxy.resp import ProtocolError, scan_command, scan_frames

# status of scan_commands: what stopped it
MORE = 0  # the rest is an incomplete command (or nothing)
NOT_CANONICAL = 1  # inline, another RESP type, a malformed length: the exact scanner decides
TOO_BIG = 2  # a bulk longer than the limit


def py_scan_commands(buf: bytes | bytearray, pos: int, max_bulk: int) -> tuple[list[tuple[int, bytes]], int]:
    out: list[tuple[int, bytes]] = []
    size = len(buf)
    while pos < size:
        if buf[pos] != 42:  # '*'
            return out, NOT_CANONICAL
        try:
            end, args = scan_command(buf, pos, max_bulk)
        except ProtocolError:
            return out, NOT_CANONICAL
        if end < 0:
            return out, MORE
        if not args or not _canonical(buf, pos, end, args):
            return out, NOT_CANONICAL
        if any(len(a) > max_bulk for a in args):
            return out, TOO_BIG
        out.append((end, args[0].lower() if len(args[0]) <= 64 else b""))
        pos = end
    return out, MORE


def _canonical(buf: bytes | bytearray, pos: int, end: int, args: list[bytes]) -> bool:
    expected = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    return buf[pos:end] == expected


def py_parse_command(buf: bytes | bytearray, pos: int) -> list[bytes]:
    end, args = scan_command(buf, pos, 1 << 62)
    if end < 0 or args is None:
        raise ValueError("not a complete canonical command")
    return args


def py_scan_replies(buf: bytes | bytearray, pos: int, n: int, stop: bytes) -> tuple[int, int]:
    count = 0
    size = len(buf)
    while count < n and pos < size:
        if stop and buf[pos] in stop:
            break
        try:
            end, todo, skip = scan_frames(buf, pos, 1, 0)
        except ProtocolError:
            raise ValueError("unparsable reply") from None
        if todo or skip:
            break
        pos = end
        count += 1
    return pos, count


try:
    from tairproxy._speedups import parse_command, scan_commands, scan_replies

    ACCELERATED = True
except ImportError:  # no compiler where it was installed: the Python versions
    scan_commands, parse_command, scan_replies = py_scan_commands, py_parse_command, py_scan_replies
    ACCELERATED = False
