"""TairString: versioned strings (EXSET, EXGET, EXCAS, ...) plus CAS/CAD on plain strings.

The truth is tair-opensource/TairString (src/tairstring.c, tests/tairstring.tcl).
Each handler checks arguments in the module's order: errors Tair reports before
looking at the key are raised here; errors it reports after its type check are
passed to Lua as the first argument ("deferred") so WRONGTYPE still wins.
"""

from __future__ import annotations

from tairproxy.dispatch import Call, Command, CommandError, wrong_arity
from tairproxy.modules import errors
from tairproxy.modules.args import (
    INT64_MAX,
    ExOptions,
    expire_args,
    parse_ex_options,
    parse_int64,
    text,
    version_args,
)

LUA_FILE = "tairstring.lua"
# The module this family stands in for, as its RedisModule_Init registers it (MODULE LIST, INFO).
EMULATES = ("exstrtype", 1)

NOT_INTEGER = "ERR value is not an integer"
MIN_MAX = "ERR min or max is specified, but not valid"
VERSION_NOT_INTEGER = "ERR version should be integer"
UINT32_MAX = (1 << 32) - 1

EXPIRES = frozenset({"EX", "EXAT", "PX", "PXAT"})
EXSET_OPTIONS = EXPIRES | {"NX", "XX", "KEEPTTL", "VER", "ABS", "FLAGS", "WITHVERSION"}
EXINCRBY_OPTIONS = EXPIRES | {"NX", "XX", "KEEPTTL", "VER", "ABS", "WITHVERSION", "DEF", "NONEGATIVE", "MIN", "MAX"}
EXINCRBYFLOAT_OPTIONS = EXPIRES | {"NX", "XX", "KEEPTTL", "VER", "ABS", "MIN", "MAX"}
EXCAS_OPTIONS = EXPIRES | {"KEEPTTL"}
EXAPPEND_OPTIONS = frozenset({"NX", "XX", "VER", "ABS"})


def _flag(on: bool) -> bytes:
    return b"1" if on else b"0"


def _expire_and_version(opts: ExOptions) -> tuple[bytes, bytes, bytes, bytes]:
    expire = expire_args(opts)
    version = version_args(opts)
    if expire is None or version is None:
        raise CommandError(errors.SYNTAX)
    return (*expire, *version)


def exset(args: list[bytes]) -> Call:
    if len(args) == 3:  # no options, the common form: no option scan, the value alone
        return Call("tp_exset", [args[1]], [args[2]])
    return _exset_with_options(args)


def _exset_with_options(args: list[bytes]) -> Call:
    opts = parse_ex_options(args, 3, EXSET_OPTIONS)
    expmode, expms, vermode, verval = _expire_and_version(opts)
    flags = b""
    if opts.flags is not None:
        n = parse_int64(opts.flags)
        if n is None or not 0 <= n <= UINT32_MAX:
            raise CommandError(errors.SYNTAX)
        flags = text(n)
    return Call(
        "tp_exset",
        [args[1]],
        [args[2], opts.nxxx.encode(), vermode, verval, expmode, expms, flags, _flag(opts.withversion)],
    )


# What tp_exset reads for the arguments the plain form leaves out; the option scan must
# make the same of no options (tests/test_tairstring_commands.py checks it).
EXSET_OMITTED = (b"", b"", b"", b"", b"", b"", b"0")


def exget(args: list[bytes]) -> Call:
    if len(args) > 3:
        raise CommandError(wrong_arity("exget").decode())
    if len(args) == 3 and args[2].lower() != b"withflags":
        raise CommandError(errors.SYNTAX)
    return Call("tp_exget", [args[1]], [b"1"] if len(args) == 3 else [], readonly=True)


def exsetver(args: list[bytes]) -> Call:
    n = parse_int64(args[2])
    deferred = errors.SYNTAX if n is None or n <= 0 else ""
    return Call("tp_exsetver", [args[1]], [deferred.encode(), args[2]])


def exincrby(args: list[bytes]) -> Call:
    opts = parse_ex_options(args, 3, EXINCRBY_OPTIONS)
    deferred, expire, version, bounds = "", None, None, (b"", b"")
    num = parse_int64(args[2])
    default = parse_int64(opts.default) if opts.default is not None else 0
    if num is None or default is None:
        deferred = NOT_INTEGER
    else:
        expire, version = expire_args(opts), version_args(opts)
        if expire is None or version is None:
            deferred = errors.SYNTAX
        else:
            low = parse_int64(opts.min) if opts.min is not None else INT64_MAX
            high = parse_int64(opts.max) if opts.max is not None else INT64_MAX
            if low is None or high is None:
                deferred = MIN_MAX
            elif opts.min is not None and opts.max is not None and high < low:
                deferred = MIN_MAX
            else:
                bounds = (opts.min or b"", opts.max or b"")
    expire = expire or (b"", b"")
    version = version or (b"", b"")
    return Call(
        "tp_exincrby",
        [args[1]],
        [
            deferred.encode(), args[2] if num is not None else b"0",
            opts.default or b"", opts.nxxx.encode(), *version, *expire, *bounds,
            _flag(opts.nonegative), _flag(opts.withversion),
        ],
    )


def exincrbyfloat(args: list[bytes]) -> Call:
    # Tair checks the type, then the increment, and only then the options: all deferred.
    deferred = ""
    try:
        opts = parse_ex_options(args, 3, EXINCRBYFLOAT_OPTIONS)
        expmode, expms, vermode, verval = _expire_and_version(opts)
    except CommandError as exc:
        deferred, opts = exc.message, ExOptions()
        expmode = expms = vermode = verval = b""
    return Call(
        "tp_exincrbyfloat",
        [args[1]],
        [
            deferred.encode(), args[2], opts.nxxx.encode(), vermode, verval, expmode, expms,
            _float_bound(opts.min), _float_bound(opts.max),
        ],
    )


def _float_bound(raw: bytes | None) -> bytes:
    """MIN/MAX for Lua, where '' means absent; Tair's strtold reads an empty bound as 0."""
    if raw is None:
        return b""
    return raw or b"0"


def excas(args: list[bytes]) -> Call:
    opts = parse_ex_options(args, 4, EXCAS_OPTIONS)
    expiry = parse_int64(opts.expire_value) if opts.expire else 1
    if expiry is None:
        raise CommandError(errors.SYNTAX)
    version = parse_int64(args[3])
    if version is None:
        raise CommandError(VERSION_NOT_INTEGER)
    expire = expire_args(opts)
    if expire is None or version < 0:
        raise CommandError(errors.SYNTAX)
    return Call("tp_excas", [args[1]], [args[2], text(version), *expire])


def excad(args: list[bytes]) -> Call:
    version = parse_int64(args[2])
    deferred = errors.SYNTAX if version is None else ""
    # Tair compares the signed argument with the uint64 version: C converts it to uint64.
    return Call("tp_excad", [args[1]], [deferred.encode(), text((version or 0) % (1 << 64))])


def _exappend(direction: bytes):
    def handler(args: list[bytes]) -> Call:
        opts = parse_ex_options(args, 3, EXAPPEND_OPTIONS)
        version = version_args(opts)
        if version is None:
            raise CommandError(errors.SYNTAX)
        return Call("tp_exappend", [args[1]], [direction, args[2], opts.nxxx.encode(), *version])

    return handler


def exgae(args: list[bytes]) -> Call:
    opts = parse_ex_options(args, 2, EXPIRES)
    expire = expire_args(opts)
    if expire is None or not opts.expire:
        raise CommandError(errors.SYNTAX)
    return Call("tp_exgae", [args[1]], list(expire))


def cas(args: list[bytes]) -> Call:
    opts = parse_ex_options(args, 4, EXCAS_OPTIONS)
    expire = expire_args(opts)
    if expire is None:
        raise CommandError(errors.SYNTAX)
    return Call("tp_cas", [args[1]], [args[2], args[3], *expire])


def cad(args: list[bytes]) -> Call:
    return Call("tp_cad", [args[1]], [args[2]])


COMMANDS = [
    Command("EXSET", -3, exset),
    Command("EXGET", -2, exget, readonly=True),
    Command("EXSETVER", 3, exsetver),
    Command("EXINCRBY", -3, exincrby),
    Command("EXINCRBYFLOAT", -3, exincrbyfloat),
    Command("EXCAS", -4, excas),
    Command("EXCAD", 3, excad),
    Command("EXAPPEND", -3, _exappend(b"append")),
    Command("EXPREPEND", -3, _exappend(b"prepend")),
    Command("EXGAE", -4, exgae),
    Command("CAS", -4, cas),
    Command("CAD", 3, cad),
]
