"""TairString: every command, option and error, in Tair's check order (byte-exact RESP).

The expectations come from the module's source (tair-opensource/TairString
src/tairstring.c) as summarised in the research notes: option parser rules,
per-command check order relative to WRONGTYPE, TTL and flags handling, and
64-bit versions replied through a signed cast.
"""

from __future__ import annotations

import decimal
import time

import pytest

from tests.tairstring_replies import (
    CAS_FAILED,
    INT64_MAX,
    INT64_MIN,
    MIN_MAX,
    NIL,
    NOT_FLOAT,
    NOT_INT,
    OK,
    OVERFLOW,
    STALE,
    SYNTAX,
    UINT32_MAX,
    VER_INT,
    WRONGTYPE,
    arity,
    arr,
    bulk,
    cas_failed,
    cas_ok,
    exget,
    i,
    incr_ver,
)

BAD_INTS = ["abc", "", "+1", " 1", "1 ", "01", "-0", "1.5", "1e3", "9223372036854775808"]


def _decimal_int(n: int) -> str:
    """str(n) without Python's 4300-digit conversion limit."""
    with decimal.localcontext() as ctx:
        ctx.prec = 10000
        return format(decimal.Decimal(n), "f")


def int_of(reply: bytes) -> int:
    assert reply[:1] == b":", reply
    return int(reply[1:-2])


def server_ms(raw) -> int:
    parts = raw("TIME").split(b"\r\n")
    return int(parts[2]) * 1000 + int(parts[4]) // 1000


@pytest.fixture
def typed(raw):
    """One key of each native type that is not a TairString."""
    raw("SET", "str", "10")
    raw("RPUSH", "lst", "a")
    raw("HSET", "hsh", "f", "v")
    return ("str", "lst", "hsh")


# ----------------------------------------------------------------- EXSET


def test_exset_without_options_sends_the_value_alone_and_means_no_options(raw):
    """The plain form leaves out the arguments tp_exset then reads as EXSET_OMITTED: they
    must be what the option scan makes of no options. Behaviour matches both ways: a plain
    EXSET on a key with a TTL, flags and version removes the TTL, keeps the flags, bumps
    the version, as EXSET with options that change nothing does."""
    from tairproxy.modules.tairstring import EXSET_OMITTED, _exset_with_options, exset

    assert tuple(_exset_with_options([b"EXSET", b"k", b"v"]).args[1:]) == EXSET_OMITTED
    assert exset([b"EXSET", b"k", b"v"]).args == [b"v"]
    for key, extra in (("plain", []), ("opts", ["VER", "0"])):
        assert raw("EXSET", key, "a", "FLAGS", "3", "EX", "100") == OK
        assert raw("EXSET", key, "b", *extra) == OK
        assert raw("EXGET", key, "WITHFLAGS") == exget("b", 2, 3)
        assert raw("TTL", key) == i(-1)
    assert raw("EXSET", "fresh", "v") == OK and raw("EXGET", "fresh") == exget("v", 1)


def test_exset_options_any_order_and_case(raw):
    assert raw("EXSET", "k", "v", "withVersion", "Flags", "7", "px", "10000", "nX") == i(1)
    assert raw("EXGET", "k", "WiThFlAgS") == exget("v", 1, 7)
    assert 9000 < int_of(raw("PTTL", "k")) <= 10000
    assert raw("EXSET", "k", "w", "abs", "5", "xx", "keepttl") == OK
    assert raw("EXGET", "k", "withflags") == exget("w", 5, 7)
    assert 9000 < int_of(raw("PTTL", "k")) <= 10000


@pytest.mark.parametrize(
    "opts",
    [
        ["EX"], ["PX"], ["EXAT"], ["PXAT"], ["VER"], ["ABS"], ["FLAGS"],
        ["NONEGATIVE"], ["DEF", "1"], ["MIN", "1"], ["MAX", "1"], ["WITHFLAGS"], ["bogus"],
        ["EX", "10", "KEEPTTL"], ["KEEPTTL", "EX", "10"], ["KEEPTTL", "PXAT", "10"],
        ["EX", "10", "EX", "10"], ["PX", "10", "EXAT", "10"], ["XX", "NX"],
        ["VER", "1", "VER", "1"], ["ABS", "1", "VER", "1"], ["ABS", "1", "ABS", "1"],
        ["FLAGS", "1", "FLAGS", "1"],
        ["VER", "NX"],  # a value keyword always takes the next word as its value
        ["FLAGS", "EX", "10"],
        ["EXX", "10"],  # exact-length keyword match only
    ],
)
def test_exset_syntax_errors(raw, opts):
    assert raw("EXSET", "k", "v", *opts) == SYNTAX
    assert raw("EXISTS", "k") == i(0)


@pytest.mark.parametrize("opt", ["EX", "PX", "EXAT", "PXAT", "VER", "ABS", "FLAGS"])
@pytest.mark.parametrize("bad", BAD_INTS)
def test_exset_option_values_must_be_strict_int64(raw, opt, bad):
    assert raw("EXSET", "k", "v", opt, bad) == SYNTAX


def test_exset_repeatable_tokens(raw):
    assert raw("EXSET", "k", "v", "NX", "NX", "WITHVERSION", "WITHVERSION") == i(1)
    assert raw("EXSET", "k", "v", "XX", "XX", "KEEPTTL", "KEEPTTL") == OK
    assert raw("EXGET", "k") == exget("v", 2)


def test_exset_expire_values(raw):
    for opt in ("EX", "PX", "EXAT", "PXAT"):
        for bad in ("0", "-1", str(INT64_MIN)):
            assert raw("EXSET", "k", "v", opt, bad) == SYNTAX
    now = server_ms(raw)
    assert raw("EXSET", "k", "v", "PXAT", str(now + 5000)) == OK
    assert 4000 < int_of(raw("PTTL", "k")) <= 5000
    assert raw("EXSET", "k", "v", "EXAT", str(now // 1000 + 10)) == OK
    assert 8000 < int_of(raw("PTTL", "k")) <= 10000
    # A past absolute time (> 0) is accepted and the key expires at once.
    assert raw("EXSET", "k", "v", "EXAT", "1", "WITHVERSION") == i(3)
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXSET", "k", "v", "PXAT", str(now - 1000)) == OK
    assert raw("EXGET", "k") == NIL


def test_exset_drops_ttl_unless_keepttl(raw):
    assert raw("EXSET", "k", "v", "PX", "100000") == OK
    assert raw("EXSET", "k", "v", "KEEPTTL") == OK
    assert int_of(raw("PTTL", "k")) > 90000
    assert raw("EXSET", "k", "v", "FLAGS", "1") == OK
    assert raw("PTTL", "k") == i(-1)


def test_exset_flags_range(raw):
    assert raw("EXSET", "k", "v", "FLAGS", str(UINT32_MAX)) == OK
    assert raw("EXGET", "k", "WITHFLAGS") == exget("v", 1, UINT32_MAX)
    for bad in (str(UINT32_MAX + 1), "-1", str(INT64_MAX)):
        assert raw("EXSET", "k", "v", "FLAGS", bad) == SYNTAX
    assert raw("EXGET", "k", "WITHFLAGS") == exget("v", 1, UINT32_MAX)
    assert raw("EXSET", "k", "v2") == OK  # no FLAGS: kept
    assert raw("EXGET", "k", "WITHFLAGS") == exget("v2", 2, UINT32_MAX)
    assert raw("EXSET", "k", "v3", "FLAGS", "0") == OK
    assert raw("EXGET", "k", "WITHFLAGS") == exget("v3", 3, 0)


def test_exset_ver_and_abs(raw):
    assert raw("EXSET", "k", "v", "VER", "5") == OK  # missing key: VER ignored
    assert raw("EXGET", "k") == exget("v", 1)
    assert raw("EXSET", "k", "v", "VER", "2") == STALE
    assert raw("EXSET", "k", "v", "VER", "0", "WITHVERSION") == i(2)  # 0 disables the check
    assert raw("EXSET", "k", "v", "VER", "2", "WITHVERSION") == i(3)
    assert raw("EXSET", "k", "v", "ABS", "0", "WITHVERSION") == i(0)  # ABS 0 allowed
    assert raw("EXGET", "k") == exget("v", 0)
    assert raw("EXSET", "k", "v", "WITHVERSION") == i(1)
    assert raw("EXSET", "k", "v", "ABS", "7", "XX", "WITHVERSION") == i(7)
    # ABS applies only when the write happens
    assert raw("EXSET", "k", "v", "ABS", "9", "NX") == NIL
    assert raw("EXGET", "k") == exget("v", 7)
    # a stale write changes nothing
    assert raw("EXSET", "k", "new", "VER", "1", "FLAGS", "3") == STALE
    assert raw("EXGET", "k", "WITHFLAGS") == exget("v", 7, 0)


def test_exset_binary_safe_values(raw):
    value = b"a\r\nb\x00c\xff$-1\r\n"
    assert raw("EXSET", "k", value) == OK
    assert raw("EXGET", "k") == exget(value, 1)
    assert raw("EXSET", "k", "") == OK
    assert raw("EXGET", "k") == exget("", 2)
    assert raw("EXSET", b"bin\x00key", "v") == OK
    assert raw("EXGET", b"bin\x00key") == exget("v", 1)


def test_exset_check_order(raw, typed):
    for key in typed:
        assert raw("EXSET", key, "v", "bogus") == SYNTAX  # syntax before the type
        assert raw("EXSET", key, "v", "FLAGS", "-1") == SYNTAX
        assert raw("EXSET", key, "v") == WRONGTYPE
        assert raw("EXSET", key, "v", "XX") == WRONGTYPE
        assert raw("EXSET", key, "v", "NX") == WRONGTYPE  # type before NX
        assert raw("EXSET", key, "v", "VER", "99") == WRONGTYPE  # type before stale
    assert raw("GET", "str") == bulk("10")
    assert raw("EXSET", "missing", "v", "XX") == NIL
    assert raw("EXISTS", "missing") == i(0)


# ----------------------------------------------------------------- EXGET


def test_exget(raw, typed):
    assert raw("EXGET") == arity("exget")
    assert raw("EXGET", "k", "WITHFLAGS", "x") == arity("exget")
    assert raw("EXGET", "missing") == NIL
    assert raw("EXGET", "missing", "withflags") == NIL
    assert raw("EXGET", "missing", "NX") == SYNTAX  # checked before the key
    assert raw("EXGET", "missing", "WITHFLAG") == SYNTAX
    for key in typed:
        assert raw("EXGET", key, "NX") == SYNTAX
        assert raw("EXGET", key) == WRONGTYPE
        assert raw("EXGET", key, "WITHFLAGS") == WRONGTYPE
    assert raw("EXSET", "k", "v", "PX", "100000", "FLAGS", "4") == OK
    for _ in range(3):
        assert raw("EXGET", "k") == exget("v", 1)
        assert raw("EXGET", "k", "withflags") == exget("v", 1, 4)
    assert int_of(raw("PTTL", "k")) > 90000  # EXGET touches neither version nor TTL


# ----------------------------------------------------------------- EXSETVER


def test_exsetver(raw, typed):
    assert raw("EXSETVER", "k") == arity("exsetver")
    assert raw("EXSETVER", "k", "1", "2") == arity("exsetver")
    assert raw("EXSETVER", "missing", "10") == i(0)
    assert raw("EXSETVER", "missing", "abc") == i(0)  # not validated on a missing key
    assert raw("EXISTS", "missing") == i(0)
    for key in typed:
        assert raw("EXSETVER", key, "abc") == WRONGTYPE
        assert raw("EXSETVER", key, "10") == WRONGTYPE
    assert raw("EXSET", "k", "v", "FLAGS", "9", "PX", "100000") == OK
    for bad in ["0", "-1", *BAD_INTS]:
        assert raw("EXSETVER", "k", bad) == SYNTAX
    assert raw("EXSETVER", "k", "42") == i(1)
    assert raw("EXGET", "k", "WITHFLAGS") == exget("v", 42, 9)
    assert int_of(raw("PTTL", "k")) > 90000
    assert raw("EXSET", "k", "w", "WITHVERSION") == i(43)


# ----------------------------------------------------------------- EXINCRBY


def test_exincrby_arity_and_syntax(raw):
    assert raw("EXINCRBY", "k") == arity("exincrby")
    for opts in (["FLAGS", "1"], ["WITHFLAGS"], ["bogus"], ["DEF", "1", "DEF", "2"], ["MIN"],
                 ["EX", "1", "PX", "1"], ["VER", "1", "ABS", "1"], ["NX", "XX"], ["EX", "1", "KEEPTTL"]):
        assert raw("EXINCRBY", "k", "1", *opts) == SYNTAX, opts
    assert raw("EXINCRBY", "k", "1", "NONEGATIVE", "NONEGATIVE", "WITHVERSION", "WITHVERSION") == incr_ver(1, 1)


def test_exincrby_check_order(raw, typed):
    for key in typed:
        assert raw("EXINCRBY", key, "1", "bogus") == SYNTAX  # option syntax before the type
        assert raw("EXINCRBY", key, "abc") == WRONGTYPE  # type before the increment
        assert raw("EXINCRBY", key, "1", "EX", "0") == WRONGTYPE
    assert raw("EXINCRBY", "k", "abc", "EX", "0") == NOT_INT  # increment before expire
    assert raw("EXINCRBY", "k", "1", "DEF", "x", "EX", "0") == NOT_INT  # DEF before expire
    assert raw("EXINCRBY", "k", "1", "EX", "0", "MIN", "x") == SYNTAX  # expire before MIN
    assert raw("EXINCRBY", "k", "1", "VER", "-1", "MIN", "x") == SYNTAX
    assert raw("EXINCRBY", "k", "1", "MIN", "x", "XX") == MIN_MAX  # MIN/MAX before XX
    assert raw("EXINCRBY", "k", "1", "MAX", "1.5") == MIN_MAX
    assert raw("EXINCRBY", "k", "1", "MIN", "5", "MAX", "4") == MIN_MAX
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXINCRBY", "k", "5", "MIN", "5", "MAX", "5") == i(5)  # MIN == MAX allowed
    assert raw("EXSET", "s", "12a") == OK
    assert raw("EXINCRBY", "s", "1", "NX") == NIL  # NX before the stored value check
    assert raw("EXINCRBY", "s", "1", "VER", "99") == NOT_INT  # stored value before stale
    assert raw("EXSET", "s", "12") == OK
    assert raw("EXINCRBY", "s", "1", "VER", "99") == STALE
    assert raw("EXINCRBY", "s", "1", "VER", "99", "MAX", "5") == STALE  # stale before bounds


@pytest.mark.parametrize("bad", BAD_INTS)
def test_exincrby_strict_integers(raw, bad):
    assert raw("EXINCRBY", "k", bad) == NOT_INT
    assert raw("EXINCRBY", "k", "1", "DEF", bad) == NOT_INT
    assert raw("EXINCRBY", "k", "1", "MIN", bad) == MIN_MAX
    assert raw("EXINCRBY", "k", "1", "EX", bad) == SYNTAX
    assert raw("EXSET", "k", bad) == OK
    assert raw("EXINCRBY", "k", "1") == NOT_INT
    assert raw("EXGET", "k") == exget(bad, 1)


def test_exincrby_int64_boundaries(raw):
    assert raw("EXINCRBY", "k", str(INT64_MIN)) == i(INT64_MIN)
    assert raw("EXINCRBY", "k", "-1") == OVERFLOW
    assert raw("EXINCRBY", "k", str(INT64_MAX), "WITHVERSION") == incr_ver(-1, 2)
    assert raw("EXINCRBY", "k", "1") == i(0)
    assert raw("EXINCRBY", "k", str(INT64_MAX)) == i(INT64_MAX)
    assert raw("EXINCRBY", "k", "1") == OVERFLOW
    assert raw("EXINCRBY", "k", "0") == i(INT64_MAX)
    assert raw("EXINCRBY", "k", str(INT64_MIN)) == i(-1)
    assert raw("EXGET", "k") == exget("-1", 6)
    # values beyond 2^53 are exact
    assert raw("EXSET", "k", "9007199254740993") == OK
    assert raw("EXINCRBY", "k", "2") == i(9007199254740995)
    assert raw("EXINCRBY", "k", "-9007199254740995") == i(0)
    assert raw("EXGET", "k") == exget("0", 9)


def test_exincrby_overflow_does_not_create_or_change(raw):
    assert raw("EXINCRBY", "k", "10", "MAX", "5") == OVERFLOW
    assert raw("EXINCRBY", "k", "-10", "MIN", "-5") == OVERFLOW
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXSET", "k", str(INT64_MAX), "PX", "100000") == OK
    assert raw("EXINCRBY", "k", "1") == OVERFLOW
    assert raw("EXGET", "k") == exget(str(INT64_MAX), 1)
    assert int_of(raw("PTTL", "k")) > 90000


def test_exincrby_bounds_inclusive(raw):
    assert raw("EXSET", "k", "10") == OK
    assert raw("EXINCRBY", "k", "5", "MAX", "15") == i(15)
    assert raw("EXINCRBY", "k", "-5", "MIN", "10") == i(10)
    assert raw("EXINCRBY", "k", "1", "MAX", "10") == OVERFLOW
    assert raw("EXINCRBY", "k", "-1", "MIN", "10") == OVERFLOW
    assert raw("EXINCRBY", "k", str(INT64_MAX), "MAX", str(INT64_MAX)) == OVERFLOW


def test_exincrby_def(raw):
    # DEF on a missing key is the value itself: not incremented, not bounded
    assert raw("EXINCRBY", "k", "1", "DEF", "500", "MAX", "10", "WITHVERSION") == incr_ver(500, 1)
    assert raw("EXINCRBY", "k2", "5", "DEF", str(INT64_MAX)) == i(INT64_MAX)
    # DEF is ignored on an existing key
    assert raw("EXINCRBY", "k", "1", "DEF", "0", "WITHVERSION") == incr_ver(501, 2)
    assert raw("EXINCRBY", "k3", "1", "DEF", "0") == i(0)
    # XX wins over DEF on a missing key
    assert raw("EXINCRBY", "k4", "1", "DEF", "9", "XX") == NIL
    assert raw("EXISTS", "k4") == i(0)


def test_exincrby_nonegative(raw):
    assert raw("EXINCRBY", "k", "1", "DEF", "-5", "NONEGATIVE", "WITHVERSION") == incr_ver(0, 1)
    assert raw("EXINCRBY", "k", "5") == i(5)
    # bounds are checked on the real sum, NONEGATIVE clamps afterwards
    assert raw("EXINCRBY", "k", "-10", "MIN", "-100", "NONEGATIVE") == i(0)
    assert raw("EXINCRBY", "k", "-10", "MIN", "0", "NONEGATIVE") == OVERFLOW
    assert raw("EXINCRBY", "k", "7", "NONEGATIVE") == i(7)
    assert raw("EXGET", "k") == exget("7", 4)


def test_exincrby_nx_xx_ver_abs(raw):
    assert raw("EXINCRBY", "k", "3", "XX") == NIL
    assert raw("EXINCRBY", "k", "3", "NX", "VER", "77", "WITHVERSION") == incr_ver(3, 1)
    assert raw("EXINCRBY", "k", "3", "NX") == NIL
    assert raw("EXINCRBY", "k", "3", "XX", "VER", "0", "WITHVERSION") == incr_ver(6, 2)
    assert raw("EXINCRBY", "k", "3", "ABS", "0", "WITHVERSION") == incr_ver(9, 0)
    assert raw("EXINCRBY", "k", "3", "VER", "1") == STALE
    assert raw("EXGET", "k") == exget("9", 0)


def test_exincrby_ttl_and_flags(raw):
    assert raw("EXSET", "k", "1", "FLAGS", "12", "PX", "100000") == OK
    assert raw("EXINCRBY", "k", "1", "KEEPTTL") == i(2)
    assert int_of(raw("PTTL", "k")) > 90000
    assert raw("EXINCRBY", "k", "1") == i(3)  # no expire option: TTL removed
    assert raw("PTTL", "k") == i(-1)
    assert raw("EXINCRBY", "k", "1", "EX", "100") == i(4)
    assert 99000 < int_of(raw("PTTL", "k")) <= 100000
    assert raw("EXINCRBY", "k", "1", "PXAT", str(server_ms(raw) + 50000)) == i(5)
    assert 40000 < int_of(raw("PTTL", "k")) <= 50000
    assert raw("EXGET", "k", "WITHFLAGS") == exget("5", 5, 12)  # flags kept
    assert raw("EXINCRBY", "k", "1", "EXAT", "1") == i(6)  # past: gone at once
    assert raw("EXISTS", "k") == i(0)


# ----------------------------------------------------------------- EXINCRBYFLOAT (no precision)


def test_exincrbyfloat_check_order(raw, typed):
    assert raw("EXINCRBYFLOAT", "k") == arity("exincrbyfloat")
    for key in typed:
        # the type is checked before anything else
        assert raw("EXINCRBYFLOAT", key, "abc", "bogus") == WRONGTYPE
        assert raw("EXINCRBYFLOAT", key, "1", "EX", "0") == WRONGTYPE
    assert raw("EXINCRBYFLOAT", "k", "abc", "bogus") == NOT_FLOAT  # increment before options
    assert raw("EXINCRBYFLOAT", "k", "1", "bogus") == SYNTAX
    assert raw("EXINCRBYFLOAT", "k", "1", "EX", "0", "MIN", "x") == SYNTAX  # expire before MIN
    assert raw("EXINCRBYFLOAT", "k", "1", "VER", "x", "MIN", "x") == SYNTAX
    assert raw("EXINCRBYFLOAT", "k", "1", "MIN", "x", "XX") == MIN_MAX  # MIN/MAX before XX
    assert raw("EXINCRBYFLOAT", "k", "1", "MAX", "nan") == MIN_MAX
    assert raw("EXINCRBYFLOAT", "k", "1", "MIN", "2", "MAX", "1.5") == MIN_MAX
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXSET", "s", "1.5x") == OK
    assert raw("EXINCRBYFLOAT", "s", "1", "NX") == NIL  # NX before the stored value check
    assert raw("EXINCRBYFLOAT", "s", "1", "VER", "99") == NOT_FLOAT  # stored value before stale
    assert raw("EXSET", "s", "1.5") == OK
    assert raw("EXINCRBYFLOAT", "s", "1", "VER", "99") == STALE


@pytest.mark.parametrize(
    "opts",
    [["WITHVERSION"], ["NONEGATIVE"], ["DEF", "1"], ["FLAGS", "1"], ["WITHFLAGS"], ["MIN", "1", "MIN", "2"],
     ["EX", "1", "EX", "1"], ["KEEPTTL", "PX", "1"], ["NX", "XX"], ["ABS", "1", "VER", "1"], ["MAX"]],
)
def test_exincrbyfloat_syntax_errors(raw, opts):
    assert raw("EXINCRBYFLOAT", "k", "1", *opts) == SYNTAX
    assert raw("EXISTS", "k") == i(0)


@pytest.mark.parametrize("bad", ["abc", "nan", "NaN", "-nan", " 1", "\t1", "1 ", "1x", "1e5000", "1e-5000", "0x", "--1", "1" * 5120])
def test_exincrbyfloat_not_a_float(raw, bad):
    assert raw("EXINCRBYFLOAT", "k", bad) == NOT_FLOAT
    assert raw("EXINCRBYFLOAT", "k", "1", "MIN", bad) == MIN_MAX
    assert raw("EXSET", "k", bad) == OK
    assert raw("EXINCRBYFLOAT", "k", "1") == NOT_FLOAT
    assert raw("EXGET", "k") == exget(bad, 1)


def test_exincrbyfloat_infinities(raw):
    for inf in ("inf", "-INF", "Infinity", "+inf"):
        assert raw("EXINCRBYFLOAT", "k", inf) == OVERFLOW  # accepted, then refused as a result
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXINCRBYFLOAT", "k", "1.5", "MIN", "-inf", "MAX", "inf") == bulk("1.5")
    # 2^16383 (hex float syntax) is exact and printed as its full decimal expansion
    assert raw("EXINCRBYFLOAT", "big", "0x1p16383") == bulk(_decimal_int(2**16383))
    assert raw("EXINCRBYFLOAT", "big", "0x1p16383") == OVERFLOW  # 2^16384 is inf
    assert raw("EXSET", "k", "inf") == OK
    assert raw("EXINCRBYFLOAT", "k", "1") == OVERFLOW


def test_exincrbyfloat_empty_string_is_zero(raw):
    # glibc strtold("") leaves endptr at the terminator: Tair reads "" as 0 (§0.7)
    assert raw("EXINCRBYFLOAT", "k", "") == bulk("0")
    assert raw("EXSET", "k", "") == OK
    assert raw("EXINCRBYFLOAT", "k", "2.5") == bulk("2.5")
    assert raw("EXINCRBYFLOAT", "k", "1", "MAX", "") == OVERFLOW
    assert raw("EXINCRBYFLOAT", "k", "-3", "MIN", "") == OVERFLOW
    assert raw("EXINCRBYFLOAT", "k", "-2.5", "MIN", "") == bulk("0")


def test_exincrbyfloat_options(raw):
    assert raw("EXINCRBYFLOAT", "k", "1.5", "XX") == NIL
    assert raw("EXSET", "k", "1", "FLAGS", "3", "PX", "100000") == OK
    assert raw("EXINCRBYFLOAT", "k", "0.5", "NX") == NIL
    assert raw("EXINCRBYFLOAT", "k", "0.5", "XX", "KEEPTTL", "VER", "1") == bulk("1.5")
    assert int_of(raw("PTTL", "k")) > 90000
    assert raw("EXINCRBYFLOAT", "k", "0.5", "ABS", "50") == bulk("2")
    assert raw("PTTL", "k") == i(-1)  # no expire option: TTL removed
    assert raw("EXGET", "k", "WITHFLAGS") == exget("2", 50, 3)  # flags kept
    assert raw("EXINCRBYFLOAT", "k", "1", "VER", "49") == STALE
    assert raw("EXINCRBYFLOAT", "k", "1", "VER", "0", "PX", "100000", "MAX", "3") == bulk("3")
    assert 90000 < int_of(raw("PTTL", "k")) <= 100000
    assert raw("EXINCRBYFLOAT", "k", "0.5", "MAX", "3") == OVERFLOW
    assert raw("EXINCRBYFLOAT", "k", "-0.5", "MIN", "3") == OVERFLOW
    assert raw("EXGET", "k") == exget("3", 51)


# ----------------------------------------------------------------- EXCAS


def test_excas_check_order(raw, typed):
    assert raw("EXCAS", "k", "v") == arity("excas")
    assert raw("EXCAS", "k", "v", "abc", "EX", "x") == SYNTAX  # expire value before version
    assert raw("EXCAS", "k", "v", "abc", "EX", "0") == VER_INT  # version before expire <= 0
    assert raw("EXCAS", "k", "v", "abc", "bogus") == SYNTAX  # options first
    assert raw("EXCAS", "k", "v", "1.5") == VER_INT
    assert raw("EXCAS", "k", "v", "-1") == SYNTAX
    assert raw("EXCAS", "k", "v", "1", "EX", "0") == SYNTAX
    for key in typed:
        assert raw("EXCAS", key, "v", "abc") == VER_INT  # arguments before the type
        assert raw("EXCAS", key, "v", "1") == WRONGTYPE
    assert raw("EXCAS", "missing", "v", "abc") == VER_INT
    assert raw("EXCAS", "missing", "v", "0") == i(-1)
    assert raw("EXISTS", "missing") == i(0)


@pytest.mark.parametrize(
    "opts",
    [["NX"], ["XX"], ["WITHVERSION"], ["NONEGATIVE"], ["VER", "1"], ["ABS", "1"], ["FLAGS", "1"],
     ["EX", "1", "PX", "1"], ["EX", "1", "KEEPTTL"], ["EX"]],
)
def test_excas_syntax_errors(raw, opts):
    assert raw("EXSET", "k", "v") == OK
    assert raw("EXCAS", "k", "w", "1", *opts) == SYNTAX
    assert raw("EXGET", "k") == exget("v", 1)


def test_excas_ttl_flags_and_failure(raw):
    assert raw("EXSET", "k", "v", "FLAGS", "5", "PX", "100000") == OK
    assert raw("EXCAS", "k", "w", "2") == cas_failed("v", 1)
    assert int_of(raw("PTTL", "k")) > 90000  # a failed CAS touches nothing
    assert raw("EXCAS", "k", "w", "1", "KEEPTTL") == cas_ok(2)
    assert int_of(raw("PTTL", "k")) > 90000
    assert raw("EXCAS", "k", "x", "2") == cas_ok(3)
    assert raw("PTTL", "k") == i(-1)
    assert raw("EXCAS", "k", "y", "3", "PXAT", str(server_ms(raw) + 50000)) == cas_ok(4)
    assert 40000 < int_of(raw("PTTL", "k")) <= 50000
    assert raw("EXGET", "k", "WITHFLAGS") == exget("y", 4, 5)
    assert raw("EXCAS", "k", "z", "4", "EXAT", "1") == cas_ok(5)
    assert raw("EXISTS", "k") == i(0)


def test_excas_exact_version_and_binary_value(raw):
    value = b"\x00\r\n\xff"
    assert raw("EXSET", "k", value, "ABS", "0") == OK
    assert raw("EXCAS", "k", "n", "1") == cas_failed(value, 0)
    assert raw("EXCAS", "k", value, "0") == cas_ok(1)  # no "0 means any" in EXCAS
    assert raw("EXGET", "k") == exget(value, 1)


# ----------------------------------------------------------------- EXCAD


def test_excad(raw, typed):
    assert raw("EXCAD", "k") == arity("excad")
    assert raw("EXCAD", "k", "1", "2") == arity("excad")
    assert raw("EXCAD", "missing", "abc") == SYNTAX  # version before the missing key
    assert raw("EXCAD", "missing", "-5") == i(-1)  # no < 0 check
    for key in typed:
        assert raw("EXCAD", key, "abc") == WRONGTYPE  # type before the version
        assert raw("EXCAD", key, "1") == WRONGTYPE
    assert raw("EXSET", "k", "v") == OK
    assert raw("EXCAD", "k", "abc") == SYNTAX
    assert raw("EXCAD", "k", "-1") == i(0)
    assert raw("EXCAD", "k", "0") == i(0)
    assert raw("EXCAD", "k", "1") == i(1)
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXSET", "k", "v", "ABS", "0") == OK
    assert raw("EXCAD", "k", "0") == i(1)


# ----------------------------------------------------------------- EXAPPEND / EXPREPEND


@pytest.mark.parametrize("cmd", ["EXAPPEND", "EXPREPEND"])
def test_exappend_options_and_order(raw, typed, cmd):
    assert raw(cmd, "k") == arity(cmd)
    for opts in (["EX", "10"], ["PX", "10"], ["KEEPTTL"], ["WITHVERSION"], ["NONEGATIVE"], ["FLAGS", "1"],
                 ["VER"], ["VER", "abc"], ["VER", "-1"], ["ABS", "-1"], ["NX", "XX"], ["VER", "1", "ABS", "1"]):
        assert raw(cmd, "k", "v", *opts) == SYNTAX, opts
    assert raw("EXISTS", "k") == i(0)
    for key in typed:
        assert raw(cmd, key, "v", "bogus") == SYNTAX
        assert raw(cmd, key, "v", "NX") == NIL  # NX before the type
        assert raw(cmd, key, "v", "XX") == WRONGTYPE
        assert raw(cmd, key, "v", "VER", "99") == WRONGTYPE
        assert raw(cmd, key, "v") == WRONGTYPE
    assert raw("GET", "str") == bulk("10")


@pytest.mark.parametrize("cmd", ["EXAPPEND", "EXPREPEND"])
def test_exappend_keeps_ttl_and_flags(raw, cmd):
    assert raw("EXSET", "k", "ab", "FLAGS", "8", "PX", "100000") == OK
    assert raw(cmd, "k", b"\x00\r\n") == i(2)
    assert int_of(raw("PTTL", "k")) > 90000
    expected = b"ab\x00\r\n" if cmd == "EXAPPEND" else b"\x00\r\nab"
    assert raw("EXGET", "k", "WITHFLAGS") == exget(expected, 2, 8)
    assert raw(cmd, "k", "", "ABS", "0") == i(0)
    assert raw("EXGET", "k") == exget(expected, 0)


# ----------------------------------------------------------------- EXGAE


def test_exgae(raw, typed):
    assert raw("EXGAE", "k", "EX") == arity("exgae")
    for opts in (["EX", "abc"], ["EX", "0"], ["PX", "-1"], ["NX", "1"], ["KEEPTTL", "1"], ["WITHVERSION", "1"],
                 ["EX", "10", "PX", "10"], ["EX", "10", "NX"], ["VER", "1"], ["bogus", "1"]):
        assert raw("EXGAE", "missing", *opts) == SYNTAX, opts
    assert raw("EXGAE", "missing", "EX", "10") == NIL
    assert raw("EXISTS", "missing") == i(0)
    for key in typed:
        assert raw("EXGAE", key, "EX", "0") == SYNTAX  # arguments before the type
        assert raw("EXGAE", key, "EX", "10") == WRONGTYPE
        assert raw("TTL", key) == i(-1)
    assert raw("EXSET", "k", "v", "FLAGS", "6") == OK
    assert raw("EXGAE", "k", "EX", "100") == exget("v", 1, 6)
    assert 99000 < int_of(raw("PTTL", "k")) <= 100000
    assert raw("EXGAE", "k", "pxat", str(server_ms(raw) + 50000)) == exget("v", 1, 6)
    assert 40000 < int_of(raw("PTTL", "k")) <= 50000
    assert raw("EXGAE", "k", "Px", "200000") == exget("v", 1, 6)
    assert raw("EXGET", "k", "WITHFLAGS") == exget("v", 1, 6)  # version not incremented
    assert raw("EXGAE", "k", "EXAT", "1") == exget("v", 1, 6)
    assert raw("EXISTS", "k") == i(0)


# ----------------------------------------------------------------- CAS / CAD


def test_cas_check_order(raw):
    assert raw("CAS", "k", "a") == arity("cas")
    assert raw("SET", "s", "a") == OK
    assert raw("EXSET", "e", "a") == OK
    assert raw("RPUSH", "l", "a") == i(1)
    for opts in (["NX"], ["XX"], ["VER", "1"], ["EX", "0"], ["EX", "abc"], ["EX"], ["EX", "1", "PX", "1"],
                 ["KEEPTTL", "EX", "1"], ["WITHVERSION"]):
        for key in ("s", "e", "l", "missing"):
            assert raw("CAS", key, "a", "b", *opts) == SYNTAX, (key, opts)
    assert raw("CAS", "e", "a", "b") == WRONGTYPE  # a TairString is not a plain string
    assert raw("CAS", "l", "a", "b") == WRONGTYPE
    assert raw("CAS", "missing", "a", "b") == i(-1)
    assert raw("EXISTS", "missing") == i(0)
    assert raw("CAS", "s", "A", "b") == i(0)
    assert raw("CAS", "s", "a\x00", "b") == i(0)  # byte-exact, length included
    assert raw("GET", "s") == bulk("a")


def test_cas_ttl(raw):
    assert raw("SET", "s", "a", "PX", "100000") == OK
    assert raw("CAS", "s", "x", "b") == i(0)
    assert int_of(raw("PTTL", "s")) > 90000  # failed CAS keeps everything
    # Tair replaces the string before applying options, so even KEEPTTL drops the TTL
    assert raw("CAS", "s", "a", "b", "KEEPTTL") == i(1)
    assert raw("PTTL", "s") == i(-1)
    assert raw("CAS", "s", "b", "c", "EXAT", str(server_ms(raw) // 1000 + 100)) == i(1)
    assert 98000 < int_of(raw("PTTL", "s")) <= 100000
    assert raw("CAS", "s", "c", "d") == i(1)
    assert raw("PTTL", "s") == i(-1)
    assert raw("CAS", "s", "d", "e", "PXAT", "1") == i(1)
    assert raw("EXISTS", "s") == i(0)


def test_cad(raw):
    assert raw("CAD", "k") == arity("cad")
    assert raw("CAD", "k", "a", "b") == arity("cad")
    assert raw("EXSET", "e", "a") == OK
    assert raw("HSET", "h", "f", "a") == i(1)
    assert raw("CAD", "e", "a") == WRONGTYPE
    assert raw("CAD", "h", "a") == WRONGTYPE
    assert raw("CAD", "missing", "a") == i(-1)
    assert raw("SET", "s", b"a\x00b") == OK
    assert raw("CAD", "s", "a") == i(0)
    assert raw("CAD", "s", b"a\x00b") == i(1)
    assert raw("EXISTS", "s") == i(0)


# ----------------------------------------------------------------- WRONGTYPE both ways


@pytest.mark.parametrize(
    "cmd",
    [
        ["EXSET", "{k}", "v"], ["EXGET", "{k}"], ["EXGET", "{k}", "WITHFLAGS"], ["EXSETVER", "{k}", "2"],
        ["EXINCRBY", "{k}", "1"], ["EXINCRBYFLOAT", "{k}", "1"], ["EXCAS", "{k}", "v", "1"], ["EXCAD", "{k}", "1"],
        ["EXAPPEND", "{k}", "v"], ["EXPREPEND", "{k}", "v"], ["EXGAE", "{k}", "EX", "10"],
    ],
)
@pytest.mark.parametrize("native", ["string", "list", "hash", "set", "zset", "stream"])
def test_tair_commands_on_native_keys(raw, cmd, native):
    setup = {
        "string": ["SET", "{k}", "1"], "list": ["RPUSH", "{k}", "1"], "hash": ["HSET", "{k}", "f", "1"],
        "set": ["SADD", "{k}", "1"], "zset": ["ZADD", "{k}", "1", "m"], "stream": ["XADD", "{k}", "*", "f", "1"],
    }[native]
    raw(*setup)
    assert raw(*cmd) == WRONGTYPE
    assert raw("TYPE", "{k}") == b"+%s\r\n" % native.encode()


@pytest.mark.parametrize(
    "cmd",
    [
        ["GET", "k"], ["APPEND", "k", "x"], ["INCR", "k"], ["STRLEN", "k"], ["SETRANGE", "k", "0", "x"],
        ["GETRANGE", "k", "0", "1"], ["GETDEL", "k"], ["LPUSH", "k", "x"], ["SADD", "k", "x"],
        ["ZADD", "k", "1", "x"], ["CAS", "k", "v", "w"], ["CAD", "k", "v"],
    ],
)
def test_native_commands_on_tairstring(raw, cmd):
    assert raw("EXSET", "k", "v") == OK
    assert raw(*cmd) == WRONGTYPE
    assert raw("EXGET", "k") == exget("v", 1)


def test_internal_encoding_is_a_native_hash(raw, direct):
    """Documented: a TairString is one native hash; GET straight to Valkey is WRONGTYPE too.

    Known difference: hash commands reach the internal fields (Tair answers WRONGTYPE to HGET).
    """
    assert raw("EXSET", "k", "v", "FLAGS", "3") == OK
    assert direct.type("k") == b"hash"
    import redis

    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        direct.get("k")
    assert raw("TYPE", "k") == b"+exstrtype\r\n"
    assert raw("HGET", "k", "field") == NIL
    assert raw("HLEN", "k") == i(3)  # exstr:version, exstr:value, exstr:flags


# ----------------------------------------------------------------- 64-bit versions


def test_version_int64_max_then_signed_wrap(raw, r):
    assert raw("EXSET", "k", "v", "ABS", str(INT64_MAX), "WITHVERSION") == i(INT64_MAX)
    assert raw("EXGET", "k") == exget("v", INT64_MAX)
    assert r.execute_command("EXGET", "k") == [b"v", INT64_MAX]
    # one more write: uint64 2^63, replied through Tair's signed cast
    assert raw("EXSET", "k", "w", "WITHVERSION") == i(INT64_MIN)
    assert raw("EXGET", "k", "WITHFLAGS") == exget("w", INT64_MIN, 0)
    assert raw("EXAPPEND", "k", "x") == i(INT64_MIN + 1)
    assert raw("EXGAE", "k", "EX", "100") == exget("wx", INT64_MIN + 1, 0)
    assert raw("EXCAS", "k", "y", "1") == cas_failed("wx", INT64_MIN + 1)
    assert raw("EXINCRBY", "k2", "1", "ABS", str(INT64_MAX), "WITHVERSION") == incr_ver(1, INT64_MAX)
    assert raw("EXINCRBY", "k2", "1", "WITHVERSION") == incr_ver(2, INT64_MIN)
    assert r.execute_command("EXGET", "k2") == [b"2", INT64_MIN]


def test_versions_beyond_2_53_are_exact(raw):
    big = 2**53 + 1
    assert raw("EXSET", "k", "v") == OK
    assert raw("EXSETVER", "k", str(big)) == i(1)
    assert raw("EXGET", "k") == exget("v", big)
    assert raw("EXSET", "k", "v", "VER", str(big - 1)) == STALE  # no double rounding
    assert raw("EXCAS", "k", "w", str(big - 1)) == cas_failed("v", big)
    assert raw("EXCAS", "k", "w", str(big)) == cas_ok(big + 1)
    assert raw("EXSET", "k", "x", "VER", str(big + 1), "WITHVERSION") == i(big + 2)
    assert raw("EXCAD", "k", str(big + 1)) == i(0)
    assert raw("EXCAD", "k", str(big + 2)) == i(1)


def test_excad_compares_as_uint64(raw):
    # EXCAD has no < 0 check and compares a signed argument with the uint64 version in C,
    # so -9223372036854775808 designates version 2^63.
    assert raw("EXSET", "k", "v", "ABS", str(INT64_MAX)) == OK
    assert raw("EXSET", "k", "v", "WITHVERSION") == i(INT64_MIN)
    assert raw("EXCAD", "k", str(INT64_MAX)) == i(0)
    assert raw("EXCAD", "k", str(INT64_MIN)) == i(1)
    assert raw("EXISTS", "k") == i(0)


# ----------------------------------------------------------------- RESP3


def test_resp3_replies(raw):
    assert raw("HELLO", "3").startswith(b"%")
    assert raw("EXGET", "missing") == b"_\r\n"
    assert raw("EXSET", "k", "v", "XX") == b"_\r\n"
    assert raw("EXSET", "k", "v") == OK
    assert raw("EXGET", "k", "WITHFLAGS") == exget("v", 1, 0)
    assert raw("EXCAS", "k", "w", "1") == cas_ok(2)
    assert raw("EXCAS", "k", "w", "1") == b"*3\r\n" + CAS_FAILED + bulk("w") + i(2)
    assert raw("EXSET", "k", "v", "ABS", str(INT64_MAX)) == OK
    assert raw("EXSET", "k", "v", "WITHVERSION") == i(INT64_MIN)
    assert raw("EXINCRBYFLOAT", "f", "1.5") == bulk("1.5")
    assert raw("EXAPPEND", "k", "x", "NX") == b"_\r\n"
    assert raw("EXGAE", "missing", "EX", "1") == b"_\r\n"
    assert raw("TYPE", "k") == b"+exstrtype\r\n"


def test_sleep_free_expiry_of_px(raw):
    """PX expiry really removes the key (native expiry of the hash)."""
    assert raw("EXSET", "k", "v", "PX", "50") == OK
    assert raw("EXINCRBY", "n", "1", "PX", "50") == i(1)
    time.sleep(0.2)
    assert raw("EXGET", "k") == NIL
    assert raw("EXGET", "n") == NIL
    assert raw("EXSET", "k", "v", "XX") == NIL
    assert raw("EXSET", "k", "v", "WITHVERSION") == i(1)  # versions restart after expiry


# ----------------------------------------------------------------- expire times at the int64 edges
# TairString computes `expire *= 1000` for seconds in int64 (wrapping) and hands the result to
# RedisModule_SetExpire, which refuses a negative time (the key keeps its TTL) and adds the
# clock, wrapping past int64 into an expiry Valkey treats as none while PTTL shows the time
# given. Valkey cannot hold that; the proxy stores the largest expiry there is instead.


def test_expire_values_that_overflow_int64(raw):
    # EX INT64_MAX-1: * 1000 wraps to -2000: accepted, the key keeps the TTL it had (none).
    assert raw("EXSET", "k", "v", "EX", str(INT64_MAX - 1)) == OK
    assert raw("PTTL", "k") == i(-1)
    assert raw("EXSET", "k", "v", "PX", "100000") == OK
    assert raw("EXSET", "k", "w", "EX", str(INT64_MAX - 1)) == OK
    assert 90000 < int(raw("PTTL", "k")[1:-2]) <= 100000
    # PX INT64_MAX: now + it wraps; the key never expires (here: expires at the end of int64).
    assert raw("EXSET", "k", "v", "PX", str(INT64_MAX)) == OK
    assert int(raw("PTTL", "k")[1:-2]) > INT64_MAX - 10**13
    assert raw("EXGET", "k") == exget("v", 4)
    # EXAT whose milliseconds wrap to a huge negative number: `at - now` wraps as well.
    assert raw("EXSET", "n", "v", "EXAT", str(INT64_MAX // 1000 + 1)) == OK
    assert int(raw("PTTL", "n")[1:-2]) > INT64_MAX - 10**13
    # EXGAE and EXINCRBY take the same path.
    assert raw("EXGAE", "k", "EX", str(INT64_MAX - 1)) == arr(bulk("v"), i(4), i(0))
    assert raw("EXINCRBY", "c", "1", "PX", str(INT64_MAX)) == i(1)
    assert int(raw("PTTL", "c")[1:-2]) > INT64_MAX - 10**13


def test_excas_checks_the_type_before_the_expire_overflows(raw):
    raw("SET", "plain", "v")
    assert raw("EXCAS", "plain", "w", "1", "EXAT", str(INT64_MAX)) == WRONGTYPE
    assert raw("EXCAS", "plain", "w", "1", "EXAT", "0") == SYNTAX  # <= 0 is refused before the key
