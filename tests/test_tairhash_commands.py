"""TairHash: every command, option and error, in Tair's check order (byte-exact RESP).

The expectations come from the module's source (tair-opensource/TairHash src/tairhash.c
and src/tairhash.h): which argument errors come before the type check, the option
loops, version rules (VER 0 = no check, ABS/GT >= 1, GT must exceed), "0 = expire
now", KEEPTTL, MIN/MAX, and the reply of every command on missing keys and fields.
"""

from __future__ import annotations

import pytest

from tests import dictscan_reference
from tests.tairhash_replies import (
    EMPTY,
    FLOAT_MIN_MAX,
    INT64_MAX,
    INT64_MIN,
    INT_MIN_MAX,
    MIN_MAX,
    NIL,
    NOT_FLOAT,
    NOT_INT,
    OK,
    OVERFLOW,
    SCAN_MISSING,
    STALE,
    SYNTAX,
    WRONGTYPE,
    arity,
    arr,
    bulk,
    i,
    scan,
    stored,
    withver,
)

BAD_INTS = ["abc", "", "+1", " 1", "1 ", "01", "-0", "1.5", "9223372036854775808"]


def int_of(reply: bytes) -> int:
    assert reply[:1] == b":", reply
    return int(reply[1:-2])


def server_ms(raw) -> int:
    parts = raw("TIME").split(b"\r\n")
    return int(parts[2]) * 1000 + int(parts[4]) // 1000


@pytest.fixture
def others(raw):
    """Keys of other types: a plain hash, a string, a list and a TairString."""
    raw("HSET", "plain", "f", "v", "g", "w")
    raw("SET", "str", "1")
    raw("RPUSH", "lst", "a")
    raw("EXSET", "ts", "v")
    return ("plain", "str", "lst", "ts")


# ----------------------------------------------------------------- EXHSET / EXHGET


def test_exhset_exhget_basic(raw, direct):
    assert raw("EXHSET", "k", "f", "v") == i(1)
    assert raw("EXHGET", "k", "f") == bulk("v")
    assert raw("EXHSET", "k", "f", "v2") == i(0)
    assert raw("EXHGET", "k", "f") == bulk("v2")
    assert raw("EXHGET", "k", "nope") == NIL
    assert raw("EXHGET", "missing", "f") == NIL
    assert raw("EXHVER", "k", "f") == i(2)
    # The native hash holds marker + version + value, one field per Tair field.
    assert direct.hgetall("k") == {b"f": stored(2, "v2")}
    assert raw("EXHSET", "k", "empty", "") == i(1)
    assert raw("EXHGET", "k", "empty") == bulk("")
    assert raw("EXHSET", "k", "bin\x00:\x1f", "a:b\x1f") == i(1)
    assert raw("EXHGET", "k", "bin\x00:\x1f") == bulk("a:b\x1f")


def test_exhset_without_options_reads_as_options_that_change_nothing(raw):
    """The plain form sends only field and value (tp_exhset reads the rest as ''): on a
    field with a TTL and a version it does what EXHSET with VER 0 does."""
    from tairproxy.modules.tairhash import exhset

    assert exhset([b"EXHSET", b"k", b"f", b"v"]).args == [b"", b"f", b"v"]
    for key, extra in (("plain", []), ("opts", ["VER", "0"])):
        assert raw("EXHSET", key, "f", "a", "EX", "100") == i(1)
        assert raw("EXHSET", key, "f", "b", *extra) == i(0)
        assert raw("EXHGET", key, "f") == bulk("b")
        assert raw("EXHVER", key, "f") == i(2)
        assert raw("EXHTTL", key, "f") == i(-1)


def test_exhset_arity_and_syntax(raw):
    assert raw("EXHSET", "k", "f") == arity("exhset")
    assert raw("EXHSET", "k") == arity("exhset")
    assert raw("EXHGET", "k") == arity("exhget")
    assert raw("EXHGET", "k", "f", "x") == arity("exhget")
    for opts in (
        ["xxxx"], ["XX", "NX"], ["NX", "XX"], ["EX"], ["EX", "3", "EXAT", "10"], ["PX", "1", "EX", "1"],
        ["EX", "3", "KEEPTTL"], ["KEEPTTL", "EX", "3"], ["VER", "3", "ABS", "10"], ["ABS", "10", "GT", "11"],
        ["VER", "0", "GT", "11"], ["ABS", "0"], ["GT", "0"], ["VER", "-1"], ["EX", "-1"],
        ["EX", "noint"], ["PX", "noint"], ["EXAT", "noint"], ["PXAT", "noint"], ["VER"], ["MIN", "1"],
    ):
        assert raw("EXHSET", "k", "f", "v", *opts) == SYNTAX, opts
    for bad in BAD_INTS:
        assert raw("EXHSET", "k", "f", "v", "PX", bad) == SYNTAX, bad
        assert raw("EXHSET", "k", "f", "v", "VER", bad) == SYNTAX, bad
    assert raw("EXISTS", "k") == i(0)
    # Repeats Tair's loop accepts: NX NX, VER twice (last wins), KEEPTTL twice.
    assert raw("EXHSET", "k", "f", "v", "nx", "NX", "keepttl", "KEEPTTL") == i(1)
    assert raw("EXHSET", "k", "f", "w", "ver", "7", "Ver", "1") == i(0)
    assert raw("EXHGETWITHVER", "k", "f") == withver("w", 2)


def test_exhset_type_check_comes_first(raw, others):
    for key in others:
        assert raw("EXHSET", key, "f", "v", "bogus") == WRONGTYPE, key
        assert raw("EXHSET", key, "f", "v") == WRONGTYPE, key
        assert raw("EXHGET", key, "f") == WRONGTYPE, key
    # A TairString is a hash too: no field of it reads as a TairHash field.
    for field in ("exstr:value", "exstr:version", "exstr:flags", "other"):
        assert raw("EXHGET", "ts", field) == WRONGTYPE, field
    raw("EXSET", "ts2", "\x1f1:looks-like-ours")
    assert raw("EXHGET", "ts2", "exstr:value") == WRONGTYPE
    assert raw("EXHLEN", "ts2") == WRONGTYPE
    assert raw("TYPE", "ts2") == b"+exstrtype\r\n"


def test_exhset_nx_xx(raw):
    assert raw("EXHSET", "k", "f", "v", "XX") == i(-1)
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXHSET", "k", "f", "v", "Nx") == i(1)
    assert raw("EXHSET", "k", "f", "v1", "nx") == i(-1)
    assert raw("EXHGET", "k", "f") == bulk("v")
    assert raw("EXHSET", "k", "g", "v", "xX") == i(-1)
    assert raw("EXHSET", "k", "f", "v2", "XX") == i(0)
    assert raw("EXHGETWITHVER", "k", "f") == withver("v2", 2)


def test_exhset_versions(raw):
    # VER on a missing field is not checked.
    assert raw("EXHSET", "k", "f", "val", "ver", "99999") == i(1)
    assert raw("EXHSET", "k", "f", "val2", "ver", "99999") == STALE
    assert raw("EXHGET", "k", "f") == bulk("val")
    assert raw("EXHSET", "k", "f", "val2", "ver", "1") == i(0)
    assert raw("EXHSET", "k", "f", "val2", "ver", "0") == i(0)  # 0: no check
    assert raw("EXHVER", "k", "f") == i(3)
    assert raw("EXHSET", "k", "f", "val3", "ABS", "1") == i(0)
    assert raw("EXHSET", "k", "f", "val4", "ver", "1") == i(0)
    assert raw("EXHGETWITHVER", "k", "f") == withver("val4", 2)
    # ABS and GT on a new field set the version; GT must exceed the current one.
    assert raw("EXHSET", "k", "g", "x", "ABS", "10") == i(1)
    assert raw("EXHSET", "k", "g", "y", "GT", "9") == STALE
    assert raw("EXHSET", "k", "g", "y", "GT", "10") == STALE
    assert raw("EXHSET", "k", "g", "y", "gt", "13") == i(0)
    assert raw("EXHVER", "k", "g") == i(13)
    assert raw("EXHSET", "k", "h", "x", "GT", "5") == i(1)
    assert raw("EXHVER", "k", "h") == i(5)
    # 64-bit versions, wrapping past INT64_MAX as Tair's long long does.
    assert raw("EXHSET", "k", "big", "x", "ABS", str(INT64_MAX)) == i(1)
    assert raw("EXHVER", "k", "big") == i(INT64_MAX)
    assert raw("EXHSET", "k", "big", "y", "VER", str(INT64_MAX)) == i(0)
    assert raw("EXHGETWITHVER", "k", "big") == withver("y", INT64_MIN)
    assert raw("EXHSET", "k", "big", "z", "GT", "1") == i(0)
    assert raw("EXHVER", "k", "big") == i(1)


def test_exhset_ttl_options(raw, direct):
    assert raw("EXHSET", "k", "f", "v", "EX", "100") == i(1)
    assert raw("EXHTTL", "k", "f") == i(100)
    assert 99000 < int_of(raw("EXHPTTL", "k", "f")) <= 100000
    # KEEPTTL keeps it; a plain EXHSET drops it (as Tair does).
    assert raw("EXHSET", "k", "f", "v", "KEEPTTL") == i(0)
    assert raw("EXHTTL", "k", "f") == i(100)
    assert raw("EXHSET", "k", "f", "v") == i(0)
    assert raw("EXHTTL", "k", "f") == i(-1)
    assert raw("EXHSET", "k", "f", "v", "PX", "50000") == i(0)
    assert 49000 < int_of(raw("EXHPTTL", "k", "f")) <= 50000
    now = server_ms(raw)
    assert raw("EXHSET", "k", "f", "v", "PXAT", str(now + 30000)) == i(0)
    assert 29000 < int_of(raw("EXHPTTL", "k", "f")) <= 30000
    assert raw("EXHSET", "k", "f", "v", "EXAT", str(now // 1000 + 20)) == i(0)
    assert raw("EXHTTL", "k", "f") in (i(19), i(20))
    # The TTL is the native field TTL.
    assert 18000 < direct.execute_command("HPTTL", "k", "FIELDS", 1, "f")[0] <= 20000
    # 0 means "expire now"; so does an absolute time in the past.
    assert raw("EXHSET", "k", "g", "v") == i(1)
    assert raw("EXHSET", "k", "f", "v", "EX", "0") == i(0)
    assert raw("EXHTTL", "k", "f") == i(-3)
    assert raw("EXHSET", "k", "f", "v", "PXAT", "100") == i(1)
    assert raw("EXHEXISTS", "k", "f") == i(0)
    assert raw("EXHSET", "k", "g", "v", "PX", "0") == i(0)
    assert raw("EXISTS", "k") == i(0)
    # Times beyond any clock are accepted: see test_tairhash_expiry for what the C does with them.
    assert raw("EXHSET", "k", "g", "v", "PX", str(INT64_MAX)) == i(1)


def test_exhsetnx(raw, others):
    assert raw("EXHSETNX", "k", "f", "v") == i(1)
    assert raw("EXHSETNX", "k", "f", "w") == i(0)
    assert raw("EXHGET", "k", "f") == bulk("v")
    # Tair leaves a field created by EXHSETNX at version 0 (calloc, never bumped).
    assert raw("EXHVER", "k", "f") == i(0)
    assert raw("EXHSET", "k", "f", "w") == i(0)
    assert raw("EXHVER", "k", "f") == i(1)
    assert raw("EXHSETNX", "k", "f") == arity("exhsetnx")
    assert raw("EXHSETNX", "k", "f", "v", "NX") == arity("exhsetnx")
    for key in others:
        assert raw("EXHSETNX", key, "f", "v") == WRONGTYPE


# ----------------------------------------------------------------- EXHMSET / EXHMSETWITHOPTS


def test_exhmset(raw, direct, others):
    assert raw("EXHMSET", "k", "f1", "v1", "f2") == arity("exhmset")
    assert raw("EXHMSET") == arity("exhmset")
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXHMSET", "k", "f1", "v1", "f2", "v2") == OK
    assert raw("EXHMGET", "k", "f1", "f2", "nope") == arr(bulk("v1"), bulk("v2"), NIL)
    # Versions +1; TTLs are kept; a field given twice is set twice.
    assert raw("EXHSET", "k", "f1", "x", "EX", "100") == i(0)
    assert raw("EXHMSET", "k", "f1", "a", "f2", "b", "f3", "c", "f3", "d") == OK
    assert raw("EXHMGETWITHVER", "k", "f1", "f2", "f3") == arr(
        withver("a", 3), withver("b", 2), withver("d", 2)
    )
    assert raw("EXHTTL", "k", "f1") == i(100)
    assert raw("EXHMSET", "k") == OK  # no pairs: checks the type only
    assert raw("EXHMSET", "new") == OK
    assert raw("EXISTS", "new") == i(0)
    for key in others:
        assert raw("EXHMSET", key, "f", "v") == WRONGTYPE
        assert raw("EXHMSET", key) == WRONGTYPE
    # Many fields in one command.
    pairs = [x for n in range(5000) for x in (f"f{n}", f"v{n}")]
    assert raw("EXHMSET", "big", *pairs) == OK
    assert raw("EXHLEN", "big") == i(5000)
    assert raw("EXHGETWITHVER", "big", "f4999") == withver("v4999", 1)


def test_exhmsetwithopts(raw):
    assert raw("EXHMSETWITHOPTS", "k", "f1", "v1", "4") == arity("exhmsetwithopts")
    assert raw("EXHMSETWITHOPTS") == arity("exhmsetwithopts")
    # From tairhash.tcl: the version is only checked (0 = no check), then +1.
    assert raw("EXHMSETWITHOPTS", "k", "field1", "val1", "4", "10", "field2", "val2", "4", "10") == OK
    assert raw("EXHMSETWITHOPTS", "k", "field1", "val1", "4", "10", "field2", "val2", "4", "10") == STALE
    assert raw("EXHMSETWITHOPTS", "k", "field1", "val1", "1", "1000", "field2", "val2", "1", "3") == OK
    assert raw("EXHGETWITHVER", "k", "field1") == withver("val1", 2)
    assert raw("EXHGETWITHVER", "k", "field2") == withver("val2", 2)
    assert raw("EXHTTL", "k", "field1") == i(1000)
    assert raw("EXHTTL", "k", "field2") == i(3)
    assert raw("EXHMSETWITHOPTS", "k", "field2", "x", "0", "0") == OK  # expire now
    assert raw("EXHEXISTS", "k", "field2") == i(0)
    # Every version is checked before anything is written.
    assert raw("EXHMSETWITHOPTS", "k", "new", "x", "0", "10", "field1", "y", "9", "10") == STALE
    assert raw("EXHEXISTS", "k", "new") == i(0)
    # Syntax: each quad's numbers are parsed just before its version check.
    for ver, secs in (("-1", "10"), ("1", "-1"), ("x", "10"), ("1", "1.5"), ("01", "1")):
        assert raw("EXHMSETWITHOPTS", "k", "f", "v", ver, secs) == SYNTAX, (ver, secs)
    assert raw("EXHMSETWITHOPTS", "k", "field1", "v", "9", "10", "f", "v", "x", "1") == STALE
    assert raw("EXHMSETWITHOPTS", "k", "f", "v", "x", "1", "field1", "v", "9", "10") == SYNTAX
    assert raw("EXHMSETWITHOPTS", "k") == OK
    assert raw("SET", "s", "1") == OK
    assert raw("EXHMSETWITHOPTS", "s", "f", "v", "x", "1") == WRONGTYPE


# ----------------------------------------------------------------- expire family


@pytest.mark.parametrize(
    "cmd,unit", [("EXHEXPIRE", "s"), ("EXHPEXPIRE", "ms"), ("EXHEXPIREAT", "s_at"), ("EXHPEXPIREAT", "ms_at")]
)
def test_expire_commands(raw, cmd, unit):
    now = server_ms(raw)

    def t(seconds: int) -> str:
        return {
            "s": str(seconds), "ms": str(seconds * 1000),
            "s_at": str(now // 1000 + seconds), "ms_at": str(now + seconds * 1000),
        }[unit]

    name = cmd.lower()
    assert raw(cmd, "k", "f") == arity(name)
    assert raw(cmd, "k", "f", "1", "VER", "1", "x", "y") == arity(name)
    for opts in (["VER"], ["VER", "1", "x"], ["NX", "1"], ["ABS", "0"], ["GT", "0"], ["VER", "-1"], ["VER", "a"]):
        assert raw(cmd, "k", "f", t(100), *opts) == SYNTAX, opts
    for bad in BAD_INTS + ["-1"]:
        assert raw(cmd, "k", "f", bad) == SYNTAX, bad
    # Argument errors come before the type check.
    raw("SET", "s", "1")
    assert raw(cmd, "s", "f", "x") == SYNTAX
    assert raw(cmd, "s", "f", t(100)) == WRONGTYPE
    assert raw(cmd, "missing", "f", t(100)) == i(0)
    assert raw("EXHSET", "k", "f", "v") == i(1)
    assert raw(cmd, "k", "nope", t(100)) == i(0)
    assert raw(cmd, "k", "f", t(100), "VER", "2") == STALE
    assert raw("EXHTTL", "k", "f") == i(-1)
    # Success bumps the version (or sets it with ABS / GT).
    assert raw(cmd, "k", "f", t(100), "ver", "1") == i(1)
    assert raw("EXHVER", "k", "f") == i(2)
    assert raw("EXHTTL", "k", "f") in (i(99), i(100))
    assert raw(cmd, "k", "f", t(200), "VER", "0") == i(1)
    assert raw("EXHTTL", "k", "f") in (i(199), i(200))
    assert raw(cmd, "k", "f", t(100), "abs", "10") == i(1)
    assert raw("EXHVER", "k", "f") == i(10)
    assert raw(cmd, "k", "f", t(100), "GT", "10") == STALE
    assert raw(cmd, "k", "f", t(100), "GT", "20") == i(1)
    assert raw("EXHGETWITHVER", "k", "f") == withver("v", 20)
    # 0 expires the field now; the key goes with its last field.
    assert raw(cmd, "k", "f", "0") == i(1)
    assert raw("EXHTTL", "k", "f") == i(-2)
    assert raw("EXISTS", "k") == i(0)


def test_exhexpireat_in_the_past(raw):
    assert raw("EXHSET", "k", "f", "v") == i(1)
    assert raw("EXHSET", "k", "g", "v") == i(1)
    assert raw("EXHEXPIRE", "k", "f", "100") == i(1)
    assert raw("EXHTTL", "k", "f") == i(100)
    assert raw("EXHEXISTS", "k", "f") == i(1)
    assert raw("EXHEXPIREAT", "k", "f", "100") == i(1)
    assert raw("EXHEXISTS", "k", "f") == i(0)
    assert raw("EXHEXISTS", "k", "g") == i(1)


def test_exhpersist(raw, others):
    assert raw("EXHPERSIST", "k") == arity("exhpersist")
    assert raw("EXHPERSIST", "missing", "f") == i(0)
    assert raw("EXHSET", "k", "f", "v", "EX", "100") == i(1)
    assert raw("EXHSET", "k", "g", "v") == i(1)
    assert raw("EXHPERSIST", "k", "nope") == i(0)
    assert raw("EXHPERSIST", "k", "g") == i(0)
    assert raw("EXHPERSIST", "k", "f") == i(1)
    assert raw("EXHTTL", "k", "f") == i(-1)
    assert raw("EXHPERSIST", "k", "f") == i(0)
    assert raw("EXHVER", "k", "f") == i(1)  # no version change
    for key in others:
        assert raw("EXHPERSIST", key, "f") == WRONGTYPE


def test_exhttl_exhpttl(raw, others):
    for cmd in ("EXHTTL", "EXHPTTL"):
        assert raw(cmd, "k") == arity(cmd)
        assert raw(cmd, "missing", "f") == i(-2)
        for key in others:
            assert raw(cmd, key, "f") == WRONGTYPE
    assert raw("EXHSET", "k", "f", "v", "PX", "1499") == i(1)
    assert raw("EXHSET", "k", "g", "v") == i(1)
    assert raw("EXHTTL", "k", "nope") == i(-3)
    assert raw("EXHPTTL", "k", "nope") == i(-3)
    assert raw("EXHTTL", "k", "g") == i(-1)
    assert raw("EXHPTTL", "k", "g") == i(-1)
    assert raw("EXHTTL", "k", "f") == i(1)  # (ttl + 500) / 1000
    assert 1400 < int_of(raw("EXHPTTL", "k", "f")) <= 1499
    assert raw("EXHSET", "k", "h", "v", "PX", "1600") == i(1)
    assert raw("EXHTTL", "k", "h") == i(2)


# ----------------------------------------------------------------- versions


def test_exhver_exhsetver(raw, others):
    assert raw("EXHVER", "missing", "f") == i(-1)
    assert raw("EXHSET", "k", "f", "v") == i(1)
    assert raw("EXHVER", "k", "f") == i(1)
    assert raw("EXHVER", "k", "nope") == i(-2)
    assert raw("EXHSETVER", "k", "f", "10") == i(1)
    assert raw("EXHVER", "k", "f") == i(10)
    assert raw("EXHSET", "k", "f", "v") == i(0)
    assert raw("EXHVER", "k", "f") == i(11)
    assert raw("EXHSETVER", "missing", "f", "10") == i(0)
    assert raw("EXHSETVER", "k", "nope", "10") == i(0)
    assert raw("EXHSETVER", "k", "f", str(INT64_MAX)) == i(1)
    assert raw("EXHVER", "k", "f") == i(INT64_MAX)
    # EXHSETVER keeps value and TTL.
    assert raw("EXHSET", "k", "t", "tv", "EX", "100") == i(1)
    assert raw("EXHSETVER", "k", "t", "5") == i(1)
    assert raw("EXHGETWITHVER", "k", "t") == withver("tv", 5)
    assert raw("EXHTTL", "k", "t") == i(100)
    # The version is checked before the key: a syntax error even on another type.
    for bad in BAD_INTS + ["0", "-1"]:
        assert raw("EXHSETVER", "k", "f", bad) == SYNTAX, bad
        assert raw("EXHSETVER", "str", "f", bad) == SYNTAX, bad
    assert raw("EXHSETVER", "k", "f") == arity("exhsetver")
    assert raw("EXHVER", "k") == arity("exhver")
    for key in others:
        assert raw("EXHVER", key, "f") == WRONGTYPE
        assert raw("EXHSETVER", key, "f", "3") == WRONGTYPE


def test_exhgetwithver_exhmgetwithver(raw, others):
    assert raw("EXHGETWITHVER", "missing", "f") == NIL
    assert raw("EXHSET", "k", "field1", "val1") == i(1)
    assert raw("EXHSET", "k", "field2", "val2") == i(1)
    assert raw("EXHGETWITHVER", "k", "field1") == withver("val1", 1)
    assert raw("EXHGETWITHVER", "k", "nope") == NIL
    assert raw("EXHMGETWITHVER", "k", "field1", "field2", "field-not-exist") == arr(
        withver("val1", 1), withver("val2", 1), NIL
    )
    assert raw("EXHMGETWITHVER", "missing", "field1", "field2", "x") == arr(NIL, NIL, NIL)
    assert raw("EXHMGETWITHVER", "k") == arity("exhmgetwithver")
    assert raw("EXHGETWITHVER", "k") == arity("exhgetwithver")
    for key in others:
        assert raw("EXHGETWITHVER", key, "f") == WRONGTYPE
        assert raw("EXHMGETWITHVER", key, "f", "nope") == WRONGTYPE


# ----------------------------------------------------------------- EXHINCRBY


def test_exhincrby(raw, others):
    assert raw("EXHINCRBY", "k", "f") == arity("exhincrby")
    assert raw("EXHINCRBY", "k", "f", "3", "XX") == SYNTAX
    assert raw("EXHINCRBY", "k", "f", "val") == NOT_INT
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXHINCRBY", "k", "f", "9") == i(9)
    assert raw("EXHINCRBY", "k", "f", "-10") == i(-1)
    assert raw("EXHGETWITHVER", "k", "f") == withver("-1", 2)
    assert raw("EXHSET", "k", "s", "val") == i(1)
    assert raw("EXHINCRBY", "k", "s", "9") == NOT_INT
    for v in (" 11", "11 ", "1.0", "01"):
        assert raw("EXHSET", "k", "s", v) == i(0)
        assert raw("EXHINCRBY", "k", "s", "1") == NOT_INT, v
    assert raw("EXHSET", "k", "n", "17179869184") == i(1)
    assert raw("EXHINCRBY", "k", "n", "17179869184") == i(34359738368)
    assert raw("EXHSET", "k", "n", "-9223372036854775484") == i(0)
    assert raw("EXHINCRBY", "k", "n", "-1") == i(-9223372036854775485)
    assert raw("EXHINCRBY", "k", "n", "-10000") == OVERFLOW
    assert raw("EXHINCRBY", "k", "m", str(INT64_MAX)) == i(INT64_MAX)
    assert raw("EXHINCRBY", "k", "m", "1") == OVERFLOW
    assert raw("EXHINCRBY", "k", "m", str(INT64_MIN)) == i(-1)
    for bad in BAD_INTS:
        assert raw("EXHINCRBY", "k", "f", bad) == NOT_INT, bad
    for key in others:
        assert raw("EXHINCRBY", key, "f", "x", "bogus") == WRONGTYPE


def test_exhincrby_bounds(raw):
    assert raw("EXHINCRBY", "k", "f1", "1", "max") == SYNTAX
    assert raw("EXHINCRBY", "k", "f1", "1", "max", "xxx") == INT_MIN_MAX
    assert raw("EXHINCRBY", "k", "f2", "1", "min", "xxx") == INT_MIN_MAX
    assert raw("EXHINCRBY", "k", "f1", "1", "min", "") == INT_MIN_MAX
    assert raw("EXHINCRBY", "k", "f1", "1", "min", "10", "max", "1") == MIN_MAX
    assert raw("EXHINCRBY", "k", "f1", "11", "min", "1", "max", "10") == OVERFLOW
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXHINCRBY", "k", "f1", "3", "min", "1", "max", "10") == i(3)
    assert raw("EXHINCRBY", "k", "f1", "-8", "min", "-5", "max", "10") == i(-5)
    assert raw("EXHINCRBY", "k", "f1", "-1", "MIN", "-5") == OVERFLOW
    assert raw("EXHINCRBY", "k", "f1", "16", "MAX", "10", "max", "11") == i(11)  # last MAX wins
    assert raw("EXHINCRBY", "k", "f1", "0", "MIN", "11", "MAX", "11") == i(11)
    # Error order: increment, options, expire, version, MIN/MAX, MIN > MAX.
    assert raw("EXHINCRBY", "k", "f1", "x", "bogus") == NOT_INT
    assert raw("EXHINCRBY", "k", "f1", "1", "bogus", "MIN", "x") == SYNTAX
    assert raw("EXHINCRBY", "k", "f1", "1", "MIN", "x", "EX", "-1") == SYNTAX
    assert raw("EXHINCRBY", "k", "f1", "1", "MIN", "x", "VER", "-1") == SYNTAX
    assert raw("EXHINCRBY", "k", "f1", "1", "MIN", "5", "MAX", "x") == INT_MIN_MAX
    # The stored value is checked before the version.
    assert raw("EXHSET", "k", "s", "abc") == i(1)
    assert raw("EXHINCRBY", "k", "s", "1", "VER", "99") == NOT_INT


def test_exhincrby_params(raw):
    for opts in (["VER", "-1"], ["ABS", "0"], ["GT", "0"], ["EX", "-2"], ["EX", "2", "EXAT", "2"],
                 ["PX", "2", "PXAT", "2"], ["EX", "2", "PX", "2"], ["EX", "1", "KEEPTTL"],
                 ["KEEPTTL", "EX", "1"], ["NX"], ["VER", "1", "ABS", "2"]):
        assert raw("EXHINCRBY", "k", "field", "2", *opts) == SYNTAX, opts
    assert raw("EXHINCRBY", "k", "field", "1") == i(1)
    assert raw("EXHVER", "k", "field") == i(1)
    assert raw("EXHINCRBY", "k", "field", "1", "VER", "2") == STALE
    assert raw("EXHGET", "k", "field") == bulk("1")
    assert raw("EXHINCRBY", "k", "field", "1", "VER", "0") == i(2)
    assert raw("EXHINCRBY", "k", "field", "1", "VER", "2") == i(3)
    assert raw("EXHINCRBY", "k", "field", "1", "ABS", "10") == i(4)
    assert raw("EXHVER", "k", "field") == i(10)
    assert raw("EXHINCRBY", "k", "field", "1", "VER", "10", "EX", "100") == i(5)
    assert raw("EXHVER", "k", "field") == i(11)
    assert raw("EXHTTL", "k", "field") == i(100)
    assert raw("EXHINCRBY", "k", "field", "1", "KEEPTTL") == i(6)
    assert raw("EXHTTL", "k", "field") == i(100)
    assert raw("EXHINCRBY", "k", "field", "1") == i(7)  # no KEEPTTL: the TTL goes
    assert raw("EXHTTL", "k", "field") == i(-1)
    assert raw("EXHVER", "k", "field") == i(13)
    assert raw("EXHINCRBY", "k", "field", "2", "gt", "13") == STALE
    assert raw("EXHINCRBY", "k", "field", "2", "gt", "14") == i(9)
    assert raw("EXHVER", "k", "field") == i(14)
    assert raw("EXHINCRBY", "k", "field", "1", "PX", "0") == i(10)  # expire now
    assert raw("EXISTS", "k") == i(0)


# ----------------------------------------------------------------- EXHINCRBYFLOAT


def test_exhincrbyfloat(raw, others):
    assert raw("EXHINCRBYFLOAT", "k", "f") == arity("exhincrbyfloat")
    assert raw("EXHINCRBYFLOAT", "k", "f", "val") == NOT_FLOAT
    assert raw("EXHINCRBYFLOAT", "k", "f", "3.0", "XX") == SYNTAX
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXHINCRBYFLOAT", "k", "f", "0.9") == bulk("0.9")
    assert raw("EXHINCRBYFLOAT", "k", "g", "2.5") == bulk("2.5")
    assert raw("EXHINCRBYFLOAT", "k", "g", "3.5") == bulk("6")
    assert raw("EXHGETWITHVER", "k", "g") == withver("6", 2)
    # 80-bit long double and %.17Lf, as TairString.
    assert raw("EXHINCRBYFLOAT", "k", "x", "1000") == bulk("1000")
    assert raw("EXHINCRBYFLOAT", "k", "x", "0.1") == bulk("1000.09999999999999998")
    assert raw("EXHSET", "k", "n", "17179869184") == i(1)
    assert raw("EXHINCRBYFLOAT", "k", "n", "17179869184") == bulk("34359738368")
    assert raw("EXHINCRBYFLOAT", "k", "h", "0x10") == bulk("16")
    assert raw("EXHINCRBYFLOAT", "k", "h", "1e3") == bulk("1016")
    assert raw("EXHINCRBYFLOAT", "k", "h", "inf") == OVERFLOW
    assert raw("EXHINCRBYFLOAT", "k", "h", "nan") == NOT_FLOAT
    assert raw("EXHINCRBYFLOAT", "k", "h", " 1") == NOT_FLOAT
    assert raw("EXHINCRBYFLOAT", "k", "h", "") == bulk("1016")  # strtold("") is 0, as in Tair
    assert raw("EXHSET", "k", "s", "val") == i(1)
    assert raw("EXHINCRBYFLOAT", "k", "s", "1") == NOT_FLOAT
    for v in (" 11", "11 "):
        assert raw("EXHSET", "k", "s", v) == i(0)
        assert raw("EXHINCRBYFLOAT", "k", "s", "1") == NOT_FLOAT, v
    assert raw("EXHSET", "k", "s", "1.7976931348623157e308") == i(0)
    assert raw("EXHINCRBYFLOAT", "k", "s", "1.7976931348623157e308")[:1] == b"$"  # long double range
    for key in others:
        assert raw("EXHINCRBYFLOAT", key, "f", "x", "bogus") == WRONGTYPE


def test_exhincrbyfloat_bounds_and_params(raw):
    assert raw("EXHINCRBYFLOAT", "k", "f1", "1.1", "max") == SYNTAX
    assert raw("EXHINCRBYFLOAT", "k", "f1", "1.1", "max", "xxx") == FLOAT_MIN_MAX
    assert raw("EXHINCRBYFLOAT", "k", "f2", "1.1", "min", "xxx") == FLOAT_MIN_MAX
    assert raw("EXHINCRBYFLOAT", "k", "f1", "1.1", "min", "10.1", "max", "1.1") == MIN_MAX
    assert raw("EXHINCRBYFLOAT", "k", "f1", "11.1", "min", "1.1", "max", "10.1") == OVERFLOW
    assert raw("EXISTS", "k") == i(0)
    assert raw("EXHINCRBYFLOAT", "k", "f1", "3.1", "min", "1.1", "max", "10.1") == bulk("3.1")
    assert raw("EXHINCRBYFLOAT", "k", "f1", "-8.0", "min", "-5.1", "max", "10.1") == bulk("-4.9")
    assert raw("EXHINCRBYFLOAT", "k", "f1", "-1", "min", "") == OVERFLOW  # "" reads as 0
    # Error order: type, increment, options, MIN/MAX, MIN > MAX, stored value, version.
    assert raw("EXHINCRBYFLOAT", "k", "f1", "x", "bogus") == NOT_FLOAT
    assert raw("EXHINCRBYFLOAT", "k", "f1", "1", "bogus", "MIN", "x") == SYNTAX
    assert raw("EXHINCRBYFLOAT", "k", "f1", "1", "MIN", "x", "VER", "-1") == SYNTAX
    assert raw("EXHINCRBYFLOAT", "k", "f1", "1", "MIN", "1", "MAX", "x") == FLOAT_MIN_MAX
    assert raw("EXHSET", "k", "s", "abc") == i(1)
    assert raw("EXHINCRBYFLOAT", "k", "s", "1", "VER", "99") == NOT_FLOAT
    for opts in (["VER", "-1"], ["ABS", "0"], ["EX", "-2"], ["EX", "2", "EXAT", "2"], ["PX", "2", "PXAT", "2"],
                 ["EX", "2", "PX", "2"], ["EX", "1", "KEEPTTL"], ["NX"]):
        assert raw("EXHINCRBYFLOAT", "k", "field", "2", *opts) == SYNTAX, opts
    assert raw("EXHINCRBYFLOAT", "k", "field", "1") == bulk("1")
    assert raw("EXHINCRBYFLOAT", "k", "field", "1", "VER", "2") == STALE
    assert raw("EXHINCRBYFLOAT", "k", "field", "1", "VER", "0") == bulk("2")
    assert raw("EXHINCRBYFLOAT", "k", "field", "1", "VER", "2") == bulk("3")
    assert raw("EXHINCRBYFLOAT", "k", "field", "1", "ABS", "10") == bulk("4")
    assert raw("EXHINCRBYFLOAT", "k", "field", "1", "VER", "10", "EX", "100") == bulk("5")
    assert raw("EXHVER", "k", "field") == i(11)
    assert raw("EXHINCRBYFLOAT", "k", "field", "1", "KEEPTTL") == bulk("6")
    assert raw("EXHTTL", "k", "field") == i(100)
    assert raw("EXHINCRBYFLOAT", "k", "field", "1") == bulk("7")
    assert raw("EXHTTL", "k", "field") == i(-1)
    assert raw("EXHINCRBYFLOAT", "k", "field", "1", "GT", "11") == STALE
    assert raw("EXHINCRBYFLOAT", "k", "field", "1", "GT", "20") == bulk("8")
    assert raw("EXHVER", "k", "field") == i(20)


# ----------------------------------------------------------------- EXHDEL / EXHDELWITHVER


def test_exhdel(raw, direct, others):
    assert raw("EXHDEL", "k") == arity("exhdel")
    assert raw("EXHDEL", "missing", "f") == i(0)
    assert raw("EXHMSET", "k", "f1", "v1", "f2", "v2", "f3", "v3") == OK
    assert raw("EXHDEL", "k", "f1", "nope", "f1") == i(1)
    assert raw("EXHDEL", "k", "f2", "f3") == i(2)
    assert raw("EXISTS", "k") == i(0)
    for key in others:
        assert raw("EXHDEL", key, "f") == WRONGTYPE
    pairs = [x for n in range(3000) for x in (f"f{n}", "v")]
    assert raw("EXHMSET", "big", *pairs) == OK
    assert raw("EXHDEL", "big", *[f"f{n}" for n in range(2999)], "nope") == i(2999)
    assert direct.hlen("big") == 1


def test_exhdelwithver(raw, others):
    assert raw("EXHDELWITHVER", "k", "f") == arity("exhdelwithver")
    assert raw("EXHDELWITHVER", "k", "f", "1", "g") == arity("exhdelwithver")
    assert raw("EXHDELWITHVER", "missing", "f", "x") == i(0)  # missing key: no version parsing
    assert raw("EXHMSET", "k", "field1", "val", "field2", "val", "field3", "val") == OK
    assert raw("EXHDELWITHVER", "k", "field1", "0", "field2", "1", "field3", "2") == i(2)
    assert raw("EXHEXISTS", "k", "field3") == i(1)
    assert raw("EXHSET", "k", "a", "v") == i(1)
    # A bad version is a syntax error when reached; the pairs before it took effect.
    assert raw("EXHDELWITHVER", "k", "a", "1", "field3", "x") == SYNTAX
    assert raw("EXHEXISTS", "k", "a") == i(0)
    assert raw("EXHDELWITHVER", "k", "field3", "-1", "nope", "1") == i(0)
    assert raw("EXHDELWITHVER", "k", "field3", "1") == i(1)
    assert raw("EXISTS", "k") == i(0)
    for key in others:
        assert raw("EXHDELWITHVER", key, "f", "x") == WRONGTYPE


# ----------------------------------------------------------------- EXHLEN / EXHEXISTS / EXHSTRLEN


def test_exhlen(raw, others):
    assert raw("EXHLEN") == arity("exhlen")
    assert raw("EXHLEN", "k", "noexp", "x") == arity("exhlen")
    assert raw("EXHLEN", "k") == i(0)
    assert raw("EXHLEN", "k", "NoExp") == i(0)
    assert raw("EXHLEN", "k", "bogus") == SYNTAX
    assert raw("EXHLEN", "str", "bogus") == SYNTAX  # checked before the type
    assert raw("EXHSET", "k", "field1", "val") == i(1)
    assert raw("EXHSET", "k", "field1", "val2") == i(0)
    assert raw("EXHLEN", "k") == i(1)
    assert raw("EXHSET", "k", "field2", "val", "EX", "100") == i(1)
    assert raw("EXHLEN", "k") == i(2)
    assert raw("EXHLEN", "k", "noexp") == i(2)
    for key in others:
        assert raw("EXHLEN", key) == WRONGTYPE
        assert raw("EXHLEN", key, "noexp") == WRONGTYPE


def test_exhexists_exhstrlen(raw, others):
    assert raw("EXHEXISTS", "k", "field") == i(0)
    assert raw("EXHSTRLEN", "k", "field") == i(0)
    assert raw("EXHSET", "k", "field", "val") == i(1)
    assert raw("EXHSET", "k", "e", "") == i(1)
    assert raw("EXHEXISTS", "k", "field") == i(1)
    assert raw("EXHEXISTS", "k", "nope") == i(0)
    assert raw("EXHSTRLEN", "k", "field") == i(3)
    assert raw("EXHSTRLEN", "k", "e") == i(0)
    assert raw("EXHSTRLEN", "k", "nope") == i(0)
    assert raw("EXHEXISTS", "k") == arity("exhexists")
    assert raw("EXHSTRLEN", "k", "a", "b") == arity("exhstrlen")
    for key in others:
        assert raw("EXHEXISTS", key, "f") == WRONGTYPE
        assert raw("EXHSTRLEN", key, "f") == WRONGTYPE


# ----------------------------------------------------------------- EXHMGET / EXHKEYS / EXHVALS / EXHGETALL


def test_exhmget(raw, others):
    assert raw("EXHMGET", "k") == arity("exhmget")
    assert raw("EXHMGET", "missing", "a", "b") == arr(NIL, NIL)
    assert raw("EXHSET", "k", "field1", "val1") == i(1)
    assert raw("EXHSET", "k", "field2", "val2") == i(1)
    assert raw("EXHMGET", "k", "field1", "field2", "field-not-exist") == arr(bulk("val1"), bulk("val2"), NIL)
    assert raw("EXHMGET", "k", "nope") == arr(NIL)
    for key in others:
        assert raw("EXHMGET", key, "f") == WRONGTYPE
        assert raw("EXHMGET", key, "nope", "other") == WRONGTYPE
    pairs = [x for n in range(2500) for x in (f"f{n}", f"v{n}")]
    assert raw("EXHMSET", "big", *pairs) == OK
    reply = raw("EXHMGET", "big", *[f"f{n}" for n in range(2500)], "nope")
    assert reply == arr(*[bulk(f"v{n}") for n in range(2500)], NIL)


def _sorted_items(reply: bytes, width: int) -> list[tuple[bytes, ...]]:
    parts = reply.split(b"\r\n")
    assert parts[0][:1] == b"*"
    values = []
    j = 1
    while j < len(parts) - 1:
        if parts[j][:1] == b"$":
            values.append(parts[j + 1])
            j += 2
        else:
            values.append(int(parts[j][1:]))
            j += 1
    assert len(values) == int(parts[0][1:])
    return sorted(tuple(values[n:n + width]) for n in range(0, len(values), width))


def test_exhkeys_exhvals_exhgetall(raw, others):
    for cmd in ("EXHKEYS", "EXHVALS", "EXHGETALL", "EXHGETALLWITHVER"):
        assert raw(cmd, "missing") == EMPTY
        assert raw(cmd) == arity(cmd)
        assert raw(cmd, "k", "x") == arity(cmd)
        for key in others:
            assert raw(cmd, key) == WRONGTYPE, (cmd, key)
    assert raw("EXHSET", "k", "f1", "v1") == i(1)
    assert raw("EXHSET", "k", "f2", "v:2", "ABS", "7") == i(1)
    assert raw("EXHSET", "k", "f3", "") == i(1)
    assert _sorted_items(raw("EXHKEYS", "k"), 1) == [(b"f1",), (b"f2",), (b"f3",)]
    assert _sorted_items(raw("EXHVALS", "k"), 1) == [(b"",), (b"v1",), (b"v:2",)]
    assert _sorted_items(raw("EXHGETALL", "k"), 2) == [(b"f1", b"v1"), (b"f2", b"v:2"), (b"f3", b"")]
    assert _sorted_items(raw("EXHGETALLWITHVER", "k"), 3) == [
        (b"f1", b"v1", 1), (b"f2", b"v:2", 7), (b"f3", b"", 1)
    ]


# ----------------------------------------------------------------- EXHSCAN


def test_exhscan_basic(raw):
    assert raw("EXHSCAN", "missing", "0") == SCAN_MISSING
    assert raw("EXHSCAN", "k") == arity("exhscan")
    assert raw("EXHSCAN", "k", "0", "MATCH", "a", "COUNT", "1", "x") == arity("exhscan")
    pairs = [x for n in range(1000) for x in (f"key:{n}", str(n))]
    assert raw("EXHMSET", "k", *pairs) == OK
    cursor, seen = b"0", {}
    while True:
        reply = raw("EXHSCAN", "k", cursor)
        parts = reply.split(b"\r\n")
        assert parts[0] == b"*2" and parts[1][:1] == b"$"  # the cursor is a bulk string
        cursor = parts[2]
        n = int(parts[3][1:])
        items = [parts[4 + 2 * j + 1] for j in range(n)]
        for f, v in zip(items[::2], items[1::2], strict=True):
            assert f == b"key:" + v
            seen[f] = v
        if cursor == b"0":
            break
    assert len(seen) == 1000


def test_exhscan_match_count(raw):
    assert raw("EXHMSET", "k", "foo", "1", "fab", "2", "fiz", "3", "foobar", "10", "1", "a", "2", "b") == OK
    reply = raw("EXHSCAN", "k", "0", "MATCH", "foo*", "COUNT", "10000")
    assert _sorted_items(reply.split(b"\r\n", 3)[3], 2) == [(b"foo", b"1"), (b"foobar", b"10")]
    assert raw("EXHSCAN", "k", "0", "match", "nothing*", "MATCH", "fiz") == scan("1")  # the first page misses it
    assert raw("EXHSCAN", "k", "0", "MATCH", "fiz", "COUNT", "100") == scan("0", "fiz", "3")
    assert raw("EXHSCAN", "k", "0", "match", "x", "count", "5", "MATCH", "fiz") == arity("exhscan")
    assert raw("EXHSCAN", "k", "0", "COUNT", "0")[:4] == b"*2\r\n"  # Tair accepts any COUNT
    assert raw("EXHSCAN", "k", "0", "COUNT", "-1")[:4] == b"*2\r\n"
    assert raw("EXHSCAN", "k", "", "MATCH", "1", "COUNT", "100") == scan("0", "1", "a")  # strtoul("") is 0


def test_exhscan_errors_in_order(raw, others):
    for key in others:
        assert raw("EXHSCAN", key, "bad") == WRONGTYPE
        assert raw("EXHSCAN", key, "0", "bogus") == WRONGTYPE
    for cursor in ("x", " 1", "1x", "-", "+", "18446744073709551616"):
        assert raw("EXHSCAN", "missing", cursor) == SYNTAX, cursor
    for opts in (["bogus"], ["MATCH"], ["COUNT"], ["COUNT", "x"], ["COUNT", "1.5"], ["MATCH", "a", "x"]):
        assert raw("EXHSCAN", "missing", "0", *opts) == SYNTAX, opts
    assert raw("EXHSCAN", "missing", "+5") == SCAN_MISSING
    assert raw("EXHSET", "k", "f", "v") == i(1)
    assert raw("EXHSCAN", "k", "-1")[:4] == b"*2\r\n"  # strtoul wraps a '-'
    assert raw("EXHSCAN", "k", "18446744073709551615")[:4] == b"*2\r\n"


# ----------------------------------------------------------------- types


def test_type_and_other_families(raw, direct):
    assert raw("EXHSET", "k", "f", "v") == i(1)
    assert raw("TYPE", "k") == b"+tairhash-\r\n"
    assert direct.type("k") == b"hash"
    assert raw("GET", "k") == WRONGTYPE
    assert raw("EXGET", "k") == WRONGTYPE
    assert raw("EXSET", "k", "v") == WRONGTYPE
    assert raw("EXINCRBY", "k", "1") == WRONGTYPE
    # Native hash commands see the encoding (documented).
    assert raw("HGET", "k", "f") == bulk(stored(1, "v"))
    # A TairHash with a field named like TairString's is still a TairHash.
    assert raw("EXHSET", "k", "exstr:version", "1") == i(1)
    assert raw("EXHSET", "k", "exstr:value", "x") == i(1)
    assert raw("EXGET", "k") == WRONGTYPE
    assert raw("EXHGET", "k", "exstr:value") == bulk("x")
    assert raw("TYPE", "k") == b"+tairhash-\r\n"
    raw("HSET", "plain", "f", "v")
    assert raw("TYPE", "plain") == b"+hash\r\n"
    raw("EXSET", "ts", "v")
    assert raw("TYPE", "ts") == b"+exstrtype\r\n"


def test_resp3(raw):
    assert raw("HELLO", "3")[:1] == b"%"
    assert raw("EXHGET", "missing", "f") == b"_\r\n"
    assert raw("EXHSCAN", "missing", "0") == SCAN_MISSING
    assert raw("EXHSET", "k", "f", "v") == i(1)
    assert raw("EXHMGETWITHVER", "k", "f", "g") == arr(withver("v", 1), b"_\r\n")
    assert raw("EXHSCAN", "k", "0") == scan("0", "f", "v")
    assert raw("EXHINCRBYFLOAT", "k", "n", "1.5") == bulk("1.5")


def test_big_versions_through_every_reader(raw):
    assert raw("EXHSET", "k", "f", "v", "ABS", str(INT64_MAX - 1)) == i(1)
    assert raw("EXHINCRBY", "k", "n", "1", "ABS", str(1 << 60)) == i(1)
    assert raw("EXHVER", "k", "f") == i(INT64_MAX - 1)
    assert raw("EXHGETWITHVER", "k", "f") == withver("v", INT64_MAX - 1)
    assert raw("EXHMGETWITHVER", "k", "n") == arr(withver("1", 1 << 60))
    assert _sorted_items(raw("EXHGETALLWITHVER", "k"), 3) == [(b"f", b"v", INT64_MAX - 1), (b"n", b"1", 1 << 60)]
    assert raw("EXHSET", "k", "f", "w") == i(0)
    assert raw("EXHSET", "k", "f", "x") == i(0)
    assert raw("EXHVER", "k", "f") == i(INT64_MIN)
    assert raw("EXHSET", "k", "f", "y", "VER", str(INT64_MIN)) == SYNTAX  # VER must be >= 0
    assert raw("EXHSET", "k", "f", "y", "GT", "1") == i(0)


def test_command_table():
    from tairproxy.modules.tairhash import COMMANDS

    reads = {c.name for c in COMMANDS if c.readonly}
    assert reads == {
        "EXHGET", "EXHGETWITHVER", "EXHMGET", "EXHMGETWITHVER", "EXHPTTL", "EXHTTL", "EXHVER",
        "EXHEXISTS", "EXHSTRLEN", "EXHLEN", "EXHKEYS", "EXHVALS", "EXHGETALL", "EXHGETALLWITHVER", "EXHSCAN",
        "EXHEXPIREINFO",
    }
    assert len(COMMANDS) == 30
    for c in COMMANDS:
        if c.readonly and c.name != "EXHEXPIREINFO":
            args = [c.name.encode(), b"k"] + ([] if c.arity == 2 or c.name == "EXHLEN" else [b"0"])
            call = c.handler(args)
            assert call.readonly and call.encode().split(b"\r\n")[2] == b"FCALL_RO", c.name


# EXHSCAN walks the module's own hash table (tests/dictscan_reference.py): its cursors, the
# entries each call gathers (COUNT counts a field and its value as two list nodes) and what a
# non-zero cursor skips are the module's, up to 512 fields.


def test_exhscan_from_a_non_zero_cursor(raw):
    assert raw("EXHSET", "h", "f", "v") == i(1)
    # "f" hashes to bucket 2 of 4: a walk from cursor 1 visits buckets 1 and 3, then ends.
    assert dictscan_reference.siphash12(b"f") % 4 == 2
    assert raw("EXHSCAN", "h", "1") == scan("0")
    assert raw("EXHSCAN", "h", "2") == scan("0", "f", "v")
    assert raw("EXHSCAN", "h", "2", "COUNT", "1") == scan("1", "f", "v")  # stops once it has one node
    assert raw("EXHSCAN", "h", "0") == scan("0", "f", "v")


def test_exhscan_pages_as_the_module(raw):
    names = [b"f%d" % n for n in range(300)]
    for chunk in range(0, 300, 100):
        raw("EXHMSET", "h", *[x for name in names[chunk : chunk + 100] for x in (name, b"v" + name)])
    table = dictscan_reference.Table(names)
    for count in (10, 3, 57):
        cursor, calls, seen = 0, 0, []
        while True:
            want_cursor, want = table.scan(cursor, count, 2)
            got = raw("EXHSCAN", "h", str(cursor), "COUNT", str(count))
            assert got == scan(str(want_cursor), *[x for name in want for x in (name, b"v" + name)]), (count, cursor)
            seen += want
            calls += 1
            cursor = want_cursor
            if cursor == 0:
                break
        assert sorted(seen) == sorted(names)
        if count == 10:
            assert 40 < calls < 100  # about five fields per call, not one reply of everything
    # COUNT 0 visits one bucket; a negative COUNT walks the whole table in one call.
    for cursor in (0, 5, 300):
        want_cursor, want = table.scan(cursor, 0, 2)
        assert raw("EXHSCAN", "h", str(cursor), "COUNT", "0") == scan(
            str(want_cursor), *[x for name in want for x in (name, b"v" + name)])
    cursor, everything = table.scan(0, -1, 2)
    assert cursor == 0 and len(everything) == 300
    assert raw("EXHSCAN", "h", "0", "COUNT", "-1").startswith(b"*2\r\n$1\r\n0\r\n*600\r\n")


def test_exhscan_past_512_fields_uses_valkeys_cursor(raw):
    names = [b"k%d" % n for n in range(600)]
    raw("EXHMSET", "h", *[x for name in names for x in (name, b"v")])
    cursor, seen, calls = b"0", set(), 0
    while True:
        reply = raw("EXHSCAN", "h", cursor, "COUNT", "20")
        parts = reply.split(b"\r\n")
        cursor = parts[2]
        seen.update(parts[5::4])
        calls += 1
        if cursor == b"0":
            break
    assert seen == set(names) and calls > 5


def test_exhexpireinfo_in_the_modules_layout(raw, r):
    """The module's active-expire report, filled with what Valkey's own field expiry reports."""
    reply = r.execute_command("EXHEXPIREINFO")
    text = reply.decode()
    assert text.startswith("\r\n# Active expire statistics\r\nenable_active_expire:1\r\n")
    fields = dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)
    hz = r.info("server")["hz"]
    assert fields["tair_hash_active_expire_period"] == str(1000 // hz)
    for knob in ("active_expire_keys_per_loop", "active_expire_dbs_per_loop", "passive_expire_keys_per_loop"):
        assert fields["tair_hash_" + knob] == "0"
    assert "\r\n# DB detail statistics\r\n" in text
    assert int(fields["expired_fields"]) == r.info("stats")["expired_fields"]
    assert raw("EXHEXPIREINFO", "x") == arity("exhexpireinfo")
    raw("MULTI")
    raw("EXHEXPIREINFO", "x")  # the module checks its arity when it runs
    assert raw("EXEC").startswith(b"*1\r\n-ERR wrong number of arguments for 'exhexpireinfo'")
