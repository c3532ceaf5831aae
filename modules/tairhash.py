"""TairHash: hashes whose fields carry a version and their own TTL (EXHSET, EXHGET, ...).

The truth is tair-opensource/TairHash (src/tairhash.c, tests/tairhash.tcl, CMDDOC.md).
Each handler checks arguments in the module's order: errors Tair reports before it
looks at the key (arity, and for a few commands their numeric arguments) are raised
here; errors it reports after its type check are passed to Lua as the first
argument ("deferred") so WRONGTYPE still wins. Storage: see tairhash.lua.
"""

from __future__ import annotations

from tairproxy.dispatch import Call, Command, CommandError, wrong_arity
from tairproxy.modules import errors
from tairproxy.modules.args import parse_int64, text, wrap_int64

LUA_FILE = "tairhash.lua"
# The module this family stands in for, as its RedisModule_Init registers it (MODULE LIST, INFO).
EMULATES = ("tairhash", 1)

SYNTAX = errors.SYNTAX
NOT_INTEGER = "ERR value is not an integer"
INT_MIN_MAX = "ERR min or max is specified, but value is not an integer"
MIN_MAX = "ERR min value is bigger than max value"
ULONG_MAX = (1 << 64) - 1

_EXPIRES = frozenset({b"ex", b"exat", b"px", b"pxat"})
_VERSIONS = frozenset({b"ver", b"abs", b"gt"})


class _Options:
    """What Tair's per-command option loop collected (values still raw)."""

    __slots__ = ("nxxx", "expire", "expire_value", "keepttl", "vermode", "version", "min", "max")

    def __init__(self) -> None:
        self.nxxx = b""
        self.expire = b""
        self.expire_value = b""
        self.keepttl = False
        self.vermode = b""
        self.version = b""
        self.min: bytes | None = None
        self.max: bytes | None = None


def _scan_options(args: list[bytes], start: int, nxxx: bool, bounds: bool) -> _Options:
    """The option loop of EXHSET (nxxx) and EXHINCRBY/EXHINCRBYFLOAT (bounds).

    As in the C source: case-insensitive; NX/XX exclude each other; one of
    EX/EXAT/PX/PXAT, not with KEEPTTL; one kind of VER/ABS/GT (repeating the same
    kind keeps the last); MIN/MAX may repeat; a keyword without its value is an error.
    """
    o = _Options()
    i, n = start, len(args)
    while i < n:
        word = args[i].lower()
        has_next = i + 1 < n
        if nxxx and word == b"nx" and o.nxxx != b"XX":
            o.nxxx = b"NX"
        elif nxxx and word == b"xx" and o.nxxx != b"NX":
            o.nxxx = b"XX"
        elif word in _EXPIRES and not o.expire and not o.keepttl and has_next:
            o.expire, o.expire_value = word, args[i + 1]
            i += 1
        elif word in _VERSIONS and o.vermode in (b"", word.upper()) and has_next:
            o.vermode, o.version = word.upper(), args[i + 1]
            i += 1
        elif bounds and word == b"min" and has_next:
            o.min = args[i + 1]
            i += 1
        elif bounds and word == b"max" and has_next:
            o.max = args[i + 1]
            i += 1
        elif word == b"keepttl" and not o.expire:
            o.keepttl = True
        else:
            raise CommandError(SYNTAX)
        i += 1
    return o


def _expire_args(o: _Options) -> tuple[bytes, bytes]:
    """(mode, ms) for Lua: '' drops the field's TTL, KEEPTTL, PX relative, PXAT absolute.

    A time of 0 means "expire now" (Tair stores absolute 1 ms); a negative or non-integer
    time is a syntax error. Seconds become milliseconds as the module's C does (wrapping past
    int64); Lua adds the clock the same way and decides what a wrapped expiry means.
    """
    if not o.expire:
        return (b"KEEPTTL" if o.keepttl else b""), b""
    n = parse_int64(o.expire_value)
    if n is None or n < 0:
        raise CommandError(SYNTAX)
    if n == 0:
        return b"PXAT", b"1"
    ms = wrap_int64(n * 1000) if o.expire in (b"ex", b"exat") else n
    return (b"PXAT" if o.expire.endswith(b"at") else b"PX"), text(ms)


def _version_args(o: _Options) -> tuple[bytes, bytes]:
    """(mode, version): VER n >= 0 (0 = no check); ABS and GT need n >= 1."""
    if not o.vermode:
        return b"", b""
    n = parse_int64(o.version)
    if n is None or n < 0 or (n == 0 and o.vermode != b"VER"):
        raise CommandError(SYNTAX)
    return o.vermode, text(n)


def _arity(name: str) -> CommandError:
    return CommandError(wrong_arity(name).decode())


# ---------------------------------------------------------------- writes


def exhset(args: list[bytes]) -> Call:
    if len(args) == 4:  # no options: tp_exhset reads the arguments left out as ''
        return Call("tp_exhset", [args[1]], [b"", args[2], args[3]])
    deferred = b""
    expire = version = (b"", b"")
    nxxx = b""
    try:
        o = _scan_options(args, 4, nxxx=True, bounds=False)
        expire = _expire_args(o)
        version = _version_args(o)
        nxxx = o.nxxx
    except CommandError as exc:
        deferred = exc.message.encode()
    return Call("tp_exhset", [args[1]], [deferred, args[2], args[3], nxxx, *version, *expire])


def exhsetnx(args: list[bytes]) -> Call:
    return Call("tp_exhsetnx", [args[1]], [args[2], args[3]])


def exhmset(args: list[bytes]) -> Call:
    if len(args) % 2:
        raise _arity("exhmset")
    return Call("tp_exhmset", [args[1]], args[2:])


def exhmsetwithopts(args: list[bytes]) -> Call:
    if (len(args) - 2) % 4:
        raise _arity("exhmsetwithopts")
    quads = args[2:]
    for i in range(3, len(quads), 4):
        # The module computes now + seconds * 1000 in int64; Lua adds the clock.
        n = parse_int64(quads[i])
        quads[i] = b"" if n is None or n < 0 else text(wrap_int64(n * 1000))
    return Call("tp_exhmsetwithopts", [args[1]], quads)


def _exhexpire(name: str, unit_ms: int, absolute: bool):
    """EXHPEXPIREAT / EXHPEXPIRE / EXHEXPIREAT / EXHEXPIRE: all checked before the key.

    Tair's option loop looks at argv[4] only, so the one accepted form is exactly
    `VER|ABS|GT n` after the time.
    """

    def handler(args: list[bytes]) -> Call:
        if not 4 <= len(args) <= 7:
            raise _arity(name)
        n = parse_int64(args[3])
        if n is None or n < 0:
            raise CommandError(SYNTAX)
        o = _Options()
        if len(args) > 4:
            if len(args) != 6 or args[4].lower() not in _VERSIONS:
                raise CommandError(SYNTAX)
            o.vermode, o.version = args[4].upper(), args[5]
        version = _version_args(o)
        if n == 0:
            mode, ms = b"PXAT", 1
        else:
            mode, ms = (b"PXAT" if absolute else b"PX"), wrap_int64(n * unit_ms)
        return Call("tp_exhexpire", [args[1]], [args[2], *version, mode, text(ms)])

    return handler


def exhpersist(args: list[bytes]) -> Call:
    return Call("tp_exhpersist", [args[1]], [args[2]])


def exhsetver(args: list[bytes]) -> Call:
    n = parse_int64(args[3])
    if n is None or n <= 0:
        raise CommandError(SYNTAX)
    return Call("tp_exhsetver", [args[1]], [args[2], text(n)])


def _incr_options(args: list[bytes]) -> tuple[_Options, tuple[bytes, bytes], tuple[bytes, bytes]]:
    o = _scan_options(args, 4, nxxx=False, bounds=True)
    return o, _expire_args(o), _version_args(o)


def exhincrby(args: list[bytes]) -> Call:
    deferred = ""
    expire = version = (b"", b"")
    low = high = b""
    try:
        if parse_int64(args[3]) is None:
            raise CommandError(NOT_INTEGER)
        o, expire, version = _incr_options(args)
        lo = parse_int64(o.min) if o.min is not None else 0
        hi = parse_int64(o.max) if o.max is not None else 0
        if lo is None or hi is None:
            raise CommandError(INT_MIN_MAX)
        if o.min is not None and o.max is not None and hi < lo:
            raise CommandError(MIN_MAX)
        low, high = o.min or b"", o.max or b""
    except CommandError as exc:
        deferred = exc.message
    return Call(
        "tp_exhincrby",
        [args[1]],
        [deferred.encode(), args[2], args[3], *version, *expire, low, high],
    )


def exhincrbyfloat(args: list[bytes]) -> Call:
    # The increment and MIN/MAX are long doubles, parsed in Lua; the option errors
    # in between are found here.
    deferred = b""
    expire = version = (b"", b"")
    o = _Options()
    try:
        o, expire, version = _incr_options(args)
    except CommandError as exc:
        deferred = exc.message.encode()
    return Call(
        "tp_exhincrbyfloat",
        [args[1]],
        [
            deferred, args[2], args[3], *version, *expire,
            o.min or b"", o.max or b"",
            b"1" if o.min is not None else b"0", b"1" if o.max is not None else b"0",
        ],
    )


def exhdel(args: list[bytes]) -> Call:
    return Call("tp_exhdel", [args[1]], args[2:])


def exhdelwithver(args: list[bytes]) -> Call:
    if len(args) < 4 or len(args) % 2:
        raise _arity("exhdelwithver")
    return Call("tp_exhdelwithver", [args[1]], args[2:])


# ---------------------------------------------------------------- reads


def _field_read(function: str):
    def handler(args: list[bytes]) -> Call:
        return Call(function, [args[1]], [args[2]], readonly=True)

    return handler


def _mget(withver: bytes):
    def handler(args: list[bytes]) -> Call:
        return Call("tp_exhmget", [args[1]], [withver, *args[2:]], readonly=True)

    return handler


def _ttl(ms: bytes):
    def handler(args: list[bytes]) -> Call:
        return Call("tp_exhttl", [args[1]], [args[2], ms], readonly=True)

    return handler


def exhlen(args: list[bytes]) -> Call:
    if len(args) > 3:
        raise _arity("exhlen")
    if len(args) == 3 and args[2].lower() != b"noexp":
        raise CommandError(SYNTAX)
    return Call("tp_exhlen", [args[1]], [b"1" if len(args) == 3 else b"0"], readonly=True)


def exhkeys(args: list[bytes]) -> Call:
    return Call("tp_exhkeys", [args[1]], [], readonly=True)


def _getall(mode: bytes):
    def handler(args: list[bytes]) -> Call:
        return Call("tp_exhgetall", [args[1]], [mode], readonly=True)

    return handler


def _scan_cursor(raw: bytes) -> int | None:
    """Tair parses the cursor with strtoul: no leading space, an optional sign
    (a '-' wraps modulo 2^64), digits to the end (a NUL ends the C string; an
    empty string is 0); None when invalid or beyond 2^64-1."""
    raw = raw.split(b"\0", 1)[0]
    if not raw:
        return 0
    if raw[:1] in b" \t\n\v\f\r":
        return None
    neg = raw[:1] == b"-"
    digits = raw[1:] if raw[:1] in (b"-", b"+") else raw
    if not digits or not digits.isdigit():
        return None
    n = int(digits)
    if n > ULONG_MAX:
        return None
    return (-n) % (1 << 64) if neg else n


def exhscan(args: list[bytes]) -> Call:
    if len(args) > 7:
        raise _arity("exhscan")
    deferred = b""
    cursor = _scan_cursor(args[2])
    pattern, count = None, 10
    if cursor is None:
        deferred, cursor = SYNTAX.encode(), 0
    else:
        i = 3
        while i < len(args):
            word = args[i].lower()
            if word == b"match" and i + 1 < len(args):
                pattern = args[i + 1]
            elif word == b"count" and i + 1 < len(args):
                n = parse_int64(args[i + 1])
                if n is None:
                    deferred = SYNTAX.encode()
                    break
                count = n
            else:
                deferred = SYNTAX.encode()
                break
            i += 2
    return Call(
        "tp_exhscan",
        [args[1]],
        [
            deferred, text(cursor), text(cursor % (1 << 32)), b"1" if pattern is not None else b"0",
            pattern or b"", text(count),
        ],
        readonly=True,
    )


def _info_fields(info: bytes) -> dict[bytes, bytes]:
    return dict(line.split(b":", 1) for line in info.split(b"\r\n") if b":" in line and not line.startswith(b"#"))


def _expire_info(info: object) -> bytes:
    """EXHEXPIREINFO in the module's layout, from what Valkey's own field expiry reports.

    Valkey expires hash fields itself (actively, every 1000/hz ms): the module's tuning knobs
    and per-cycle timings have no counterpart and read 0; the per-db detail lines are replaced
    by Valkey's server-wide counters.
    """
    fields = _info_fields(bytes(info))
    hz = int(fields.get(b"hz", b"10") or 10)
    head = [
        b"enable_active_expire:1",
        b"tair_hash_active_expire_period:%d" % (1000 // max(hz, 1)),
        *(b"tair_hash_%s:0" % name for name in (
            b"active_expire_keys_per_loop", b"active_expire_dbs_per_loop",
            b"active_expire_last_time_msec", b"active_expire_max_time_msec",
            b"active_expire_avg_time_msec", b"passive_expire_keys_per_loop",
        )),
    ]
    valkey = [b"%s:%s" % (k, fields.get(k, b"0")) for k in (b"expired_fields", b"expire_cycle_cpu_milliseconds")]
    return b"\r\n".join([b"", b"# Active expire statistics", *head, b"", b"# DB detail statistics", *valkey, b""])


def exhexpireinfo(args: list[bytes]) -> Call:
    return Call("", [], [], native=[b"INFO", b"server", b"stats"], transform=_expire_info)


COMMANDS = [
    Command("EXHSET", -4, exhset),
    Command("EXHSETNX", 4, exhsetnx),
    Command("EXHMSET", -2, exhmset),
    Command("EXHMSETWITHOPTS", -2, exhmsetwithopts),
    Command("EXHPEXPIREAT", -4, _exhexpire("exhpexpireat", 1, True)),
    Command("EXHPEXPIRE", -4, _exhexpire("exhpexpire", 1, False)),
    Command("EXHEXPIREAT", -4, _exhexpire("exhexpireat", 1000, True)),
    Command("EXHEXPIRE", -4, _exhexpire("exhexpire", 1000, False)),
    Command("EXHPERSIST", 3, exhpersist),
    Command("EXHSETVER", 4, exhsetver),
    Command("EXHINCRBY", -4, exhincrby),
    Command("EXHINCRBYFLOAT", -4, exhincrbyfloat),
    Command("EXHDEL", -3, exhdel),
    Command("EXHDELWITHVER", -4, exhdelwithver),
    Command("EXHGET", 3, _field_read("tp_exhget"), readonly=True),
    Command("EXHGETWITHVER", 3, _field_read("tp_exhgetwithver"), readonly=True),
    Command("EXHMGET", -3, _mget(b"0"), readonly=True),
    Command("EXHMGETWITHVER", -3, _mget(b"1"), readonly=True),
    Command("EXHPTTL", 3, _ttl(b"1"), readonly=True),
    Command("EXHTTL", 3, _ttl(b"0"), readonly=True),
    Command("EXHVER", 3, _field_read("tp_exhver"), readonly=True),
    Command("EXHEXISTS", 3, _field_read("tp_exhexists"), readonly=True),
    Command("EXHSTRLEN", 3, _field_read("tp_exhstrlen"), readonly=True),
    Command("EXHLEN", -2, exhlen, readonly=True),
    Command("EXHKEYS", 2, exhkeys, readonly=True),
    Command("EXHVALS", 2, _getall(b"vals"), readonly=True),
    Command("EXHGETALL", 2, _getall(b"all"), readonly=True),
    Command("EXHGETALLWITHVER", 2, _getall(b"allver"), readonly=True),
    Command("EXHSCAN", -3, exhscan, readonly=True),
    # Keyless; the module registers it with key positions 0,0,0.
    Command("EXHEXPIREINFO", 1, exhexpireinfo, first_key=0, last_key=0, key_step=0, readonly=True),
]
