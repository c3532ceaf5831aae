"""Argument parsers shared by the Tair families, with Tair's exact acceptance rules."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from tairproxy.dispatch import CommandError
from tairproxy.modules import errors

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
_STRICT_INT = re.compile(rb"-?(?:0|[1-9][0-9]*)\Z")


def parse_int64(raw: bytes) -> int | None:
    """Valkey's string2ll: no '+', spaces, leading zeros or '-0'; None when invalid."""
    if not _STRICT_INT.match(raw) or raw == b"-0":
        return None
    value = int(raw)
    return value if INT64_MIN <= value <= INT64_MAX else None


_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_HEX = re.compile(rb"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?\Z")
_INFINITY = re.compile(rb"[+-]?(?:inf|infinity)\Z", re.IGNORECASE)


def parse_double(raw: bytes, allow_hex: bool = True) -> float | None:
    """A strtod-based string2d (TairZset's m_string2d, cJSON's numbers): the whole text must
    be one number, finite unless written as inf/infinity, and neither overflowing nor
    underflowing to zero; no NaN. ``allow_hex=False`` is Valkey 9's own string2d behind
    RedisModule_StringToDouble, which refuses hex."""
    if raw.isdigit() and len(raw) < 300:  # the common case, plain digits: no regex
        return float(raw)
    if _DECIMAL.match(raw):
        value = float(raw)
        if value == 0:
            mantissa = re.split(rb"[eE]", raw)[0]
            return None if any(c in b"123456789" for c in mantissa) else value  # ERANGE underflow
        return None if math.isinf(value) else value  # ERANGE overflow
    if _INFINITY.match(raw):
        return -math.inf if raw[:1] == b"-" else math.inf
    if allow_hex and _HEX.match(raw):
        body = raw.lstrip(b"+-")
        try:
            value = float.fromhex(body.decode())
        except OverflowError:
            return None  # ERANGE overflow
        if value == 0 and any(c not in b"0." for c in re.split(rb"[pP]", body[2:])[0]):
            return None  # ERANGE underflow
        return -value if raw[:1] == b"-" else value
    return None


def parse_valkey_double(raw: bytes) -> float | None:
    return parse_double(raw, allow_hex=False)


def text(n: int) -> bytes:
    return b"%d" % n


# Keywords that take a value, and pure flags, of Tair's parseAndGetExFlags.
VALUE_OPTIONS = frozenset({"EX", "EXAT", "PX", "PXAT", "VER", "ABS", "FLAGS", "DEF", "MIN", "MAX"})
FLAG_OPTIONS = frozenset({"NX", "XX", "KEEPTTL", "NONEGATIVE", "WITHVERSION"})
EXPIRE_OPTIONS = ("EX", "EXAT", "PX", "PXAT")


@dataclass
class ExOptions:
    """Options as given (values still raw text); validation of values is per command."""

    nxxx: str = ""
    expire: str = ""
    expire_value: bytes = b""
    keepttl: bool = False
    vermode: str = ""
    version: bytes = b""
    flags: bytes | None = None
    default: bytes | None = None
    min: bytes | None = None
    max: bytes | None = None
    nonegative: bool = False
    withversion: bool = False


def parse_ex_options(args: list[bytes], start: int, accepted: frozenset[str]) -> ExOptions:
    """Tair's option scan: any order, case-insensitive, each option once, conflicts are syntax errors."""
    opts = ExOptions()
    i, n = start, len(args)
    while i < n:
        word = args[i].upper().decode(errors="replace")
        if word not in accepted or (word in VALUE_OPTIONS and i + 1 >= n):
            raise CommandError(errors.SYNTAX)
        if word in ("NX", "XX"):
            if opts.nxxx and opts.nxxx != word:
                raise CommandError(errors.SYNTAX)
            opts.nxxx = word
        elif word == "KEEPTTL":
            if opts.expire:
                raise CommandError(errors.SYNTAX)
            opts.keepttl = True
        elif word == "NONEGATIVE":
            opts.nonegative = True
        elif word == "WITHVERSION":
            opts.withversion = True
        else:
            value = args[i + 1]
            i += 1
            if word in EXPIRE_OPTIONS:
                if opts.expire or opts.keepttl:
                    raise CommandError(errors.SYNTAX)
                opts.expire, opts.expire_value = word, value
            elif word in ("VER", "ABS"):
                if opts.vermode:
                    raise CommandError(errors.SYNTAX)
                opts.vermode, opts.version = word, value
            else:
                attr = {"FLAGS": "flags", "DEF": "default", "MIN": "min", "MAX": "max"}[word]
                if getattr(opts, attr) is not None:
                    raise CommandError(errors.SYNTAX)
                setattr(opts, attr, value)
        i += 1
    return opts


def wrap_int64(n: int) -> int:
    """n as C's signed 64-bit arithmetic leaves it (two's complement wrap-around)."""
    return (n + (1 << 63)) % (1 << 64) - (1 << 63)


def expire_args(opts: ExOptions) -> tuple[bytes, bytes] | None:
    """(mode, milliseconds) for the Lua side: PX relative, PXAT absolute, KEEPTTL, or '' (drop TTL).

    None when the value is not a positive int64, which Tair reports as a syntax error. Seconds
    become milliseconds as TairString's C does (`expire *= 1000`, wrapping past int64); what a
    wrapped or overflowing time then does is apply_expire's business (common.lua).
    """
    if not opts.expire:
        return (b"KEEPTTL" if opts.keepttl else b""), b""
    n = parse_int64(opts.expire_value)
    if n is None or n <= 0:
        return None
    ms = wrap_int64(n * 1000) if opts.expire in ("EX", "EXAT") else n
    return (b"PXAT" if opts.expire.endswith("AT") else b"PX"), text(ms)


def version_args(opts: ExOptions) -> tuple[bytes, bytes] | None:
    """(mode, version) with VER/ABS as a non-negative int64; None when invalid (a syntax error)."""
    if not opts.vermode:
        return b"", b""
    n = parse_int64(opts.version)
    if n is None or n < 0:
        return None
    return opts.vermode.encode(), text(n)

