"""No back door into the proxy's Lua library: FCALL, FCALL_RO and FUNCTION as clients send them.

The library's functions trust the proxy to have checked and normalised their arguments, so a
client calling one directly (``FCALL tp_exset ...``) could store a Tair key with a broken
encoding; such a call answers exactly what Valkey answers for a function that does not exist.
The library itself cannot be deleted or replaced through the proxy; ``FUNCTION FLUSH`` stays
allowed (the proxy reloads the library when it next needs it); FUNCTION RESTORE of a dump that
holds a library of that name is refused too. Everything else — a client's own
functions and libraries — goes to Valkey unchanged. The proxy calls its functions itself, never
through this table.
"""

from __future__ import annotations

from tairproxy.dispatch import Call, Command, CommandError
from tairproxy.library import LIBRARY_NAME
from tairproxy.resp import ProtocolError, split_inline

LUA_FILE = None
# These are native commands the proxy intercepts, not Tair commands: COMMAND does not list them.
NATIVE = True

# Every function of the library is named tp_*; Valkey looks function names up case-insensitively.
INTERNAL_PREFIX = b"tp_"
FUNCTION_NOT_FOUND = "ERR Function not found"
LIBRARY_PROTECTED = (
    f"ERR tairproxy: the '{LIBRARY_NAME}' library belongs to the proxy and cannot be "
    "deleted or replaced through it (FUNCTION FLUSH is allowed: the proxy reloads it)"
)


def _native(args: list[bytes]) -> Call:
    return Call("", [], [], native=list(args))


def fcall(args: list[bytes]) -> Call:
    if args[1][:3].lower() == INTERNAL_PREFIX:
        raise CommandError(FUNCTION_NOT_FOUND)
    return _native(args)


def library_name(code: bytes) -> bytes | None:
    """The library name FUNCTION LOAD would read from the code's shebang line, as Valkey parses it."""
    if not code.startswith(b"#!"):
        return None
    end = code.find(b"\n")
    if end < 0:
        return None
    try:
        parts = split_inline(code[:end])  # Valkey splits the shebang with sdssplitargs
    except ProtocolError:
        return None
    names = [p[5:] for p in parts[1:] if p[:5].lower() == b"name="]
    return names[0] if len(names) == 1 else None


def dumped_libraries(payload: bytes) -> list[bytes]:
    """The library codes in a FUNCTION DUMP payload (RDB function records, then version and CRC).

    Raises ValueError for a payload this parser does not know; Valkey then judges it itself.
    """
    codes, pos, end = [], 0, len(payload) - 10
    try:
        while pos < end:
            if payload[pos] != RDB_OPCODE_FUNCTION2:
                raise ValueError("not a function record")
            code, pos = _rdb_string(payload, pos + 1)
            codes.append(code)
    except IndexError:
        raise ValueError("truncated payload") from None
    return codes


RDB_OPCODE_FUNCTION2 = 245
RDB_ENC_LZF = 3


def _rdb_length(data: bytes, pos: int) -> tuple[int, bool, int]:
    """(length or encoding, whether it is an encoding, next position) of an RDB length field."""
    first = data[pos]
    kind = first >> 6
    if kind == 0:
        return first & 0x3F, False, pos + 1
    if kind == 1:
        return ((first & 0x3F) << 8) | data[pos + 1], False, pos + 2
    if kind == 3:
        return first & 0x3F, True, pos + 1
    size = 4 if first == 0x80 else 8 if first == 0x81 else 0
    if not size:
        raise ValueError("bad length")
    return int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), False, pos + 1 + size


def _rdb_string(data: bytes, pos: int) -> tuple[bytes, int]:
    length, encoded, pos = _rdb_length(data, pos)
    if not encoded:
        return data[pos : pos + length], pos + length
    if length != RDB_ENC_LZF:
        size = 1 << length  # 8, 16 or 32-bit integers: never a library's code
        return b"", pos + size
    compressed, _, pos = _rdb_length(data, pos)
    plain, _, pos = _rdb_length(data, pos)
    return _lzf_decompress(data[pos : pos + compressed], plain), pos + compressed


def _lzf_decompress(data: bytes, size: int) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        ctrl = data[i]
        i += 1
        if ctrl < 32:  # a literal run of ctrl + 1 bytes
            out += data[i : i + ctrl + 1]
            i += ctrl + 1
            continue
        length = ctrl >> 5
        if length == 7:
            length += data[i]
            i += 1
        ref = len(out) - ((ctrl & 0x1F) << 8) - data[i] - 1
        i += 1
        if ref < 0:
            raise ValueError("bad back reference")
        for _ in range(length + 2):  # byte by byte: a reference may overlap what it produces
            out.append(out[ref])
            ref += 1
    if len(out) != size:
        raise ValueError("bad compressed length")
    return bytes(out)


def function(args: list[bytes]) -> Call:
    sub = args[1].lower()
    ours = LIBRARY_NAME.encode()
    if sub == b"delete" and len(args) == 3 and args[2] == ours:
        raise CommandError(LIBRARY_PROTECTED)
    # FUNCTION LOAD [REPLACE] code: anything else between is Valkey's own syntax error.
    if sub == b"load" and len(args) >= 3 and all(a.lower() == b"replace" for a in args[2:-1]):
        if library_name(args[-1]) == ours:
            raise CommandError(LIBRARY_PROTECTED)
    # FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: a dump that carries a library of our name
    # would replace ours (REPLACE, FLUSH) or install an old one after a FUNCTION FLUSH (APPEND).
    if sub == b"restore" and len(args) >= 3:
        try:
            names = [library_name(code) for code in dumped_libraries(args[2])]
        except ValueError:
            names = []
        if ours in names:
            raise CommandError(LIBRARY_PROTECTED)
    return _native(args)


COMMANDS = [
    Command("FCALL", -3, fcall, first_key=0, last_key=0, key_step=0, queue_time_arity=True),
    Command("FCALL_RO", -3, fcall, first_key=0, last_key=0, key_step=0, readonly=True, queue_time_arity=True),
    Command("FUNCTION", -2, function, first_key=0, last_key=0, key_step=0, queue_time_arity=True),
]
