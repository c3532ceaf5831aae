"""TairZset: every command, option and error, in the module's check order (byte-exact RESP).

Expectations come from the module's source (src/tairzset.c, dep/skiplist.c): which errors it
reports before opening the key (raised by the proxy) and which after its type check (WRONGTYPE
wins over them), score parsing and printing, ranges, and the one-dimension-count-per-key rule.
"""

from __future__ import annotations

import threading
import time

import pytest
import redis

from tests import dictscan_reference
from tests.helpers import RawClient
from tests.tairzset_replies import (
    AT_LEAST_ONE,
    EMPTY,
    INCR_PAIR,
    INVALID_CURSOR,
    LEX_RANGE,
    LIMIT_NEGATIVE,
    MIN_MAX_FLOAT,
    NAN,
    NIL,
    NOT_INT,
    NOT_VALID,
    NOT_VALID_NO_ERR,
    NX_XX,
    OUT_OF_RANGE,
    SYNTAX,
    TIMEOUT_NEGATIVE,
    TIMEOUT_NOT_FLOAT,
    WEIGHT,
    WRONGTYPE,
    arity,
    arr,
    bulk,
    bulks,
    i,
)


@pytest.fixture
def others(raw):
    """Keys of every other kind: plain string, list, hash, plain zset, set, TairString."""
    raw("SET", "str", "1")
    raw("RPUSH", "lst", "a")
    raw("HSET", "hsh", "f", "v")
    raw("ZADD", "pz", "0", "a")
    raw("SADD", "st", "a")
    raw("EXSET", "ts", "v")
    return ("str", "lst", "hsh", "pz", "st", "ts")


@pytest.fixture
def abc(raw):
    assert raw("EXZADD", "z", "1", "a", "2", "b", "3", "c") == i(3)
    return "z"


# ----------------------------------------------------------------- EXZADD / EXZINCRBY


def test_exzadd_flags_and_replies(raw):
    assert raw("EXZADD", "z", "1", "a", "2", "b") == i(2)
    assert raw("EXZADD", "z", "nx", "5", "a", "3", "c") == i(1)
    assert raw("EXZSCORE", "z", "a") == bulk("1")
    assert raw("EXZADD", "z", "XX", "5", "a", "4", "d") == i(0)
    assert raw("EXZSCORE", "z", "a") == bulk("5") and raw("EXZSCORE", "z", "d") == NIL
    assert raw("EXZADD", "z", "Ch", "6", "a", "2", "b", "7", "e") == i(2)  # a updated, e added, b same
    assert raw("EXZADD", "z", "CH", "XX", "6", "a") == i(0)
    assert raw("EXZADD", "z", "incr", "1.5", "a") == bulk("7.5")
    assert raw("EXZADD", "z", "INCR", "NX", "1", "a") == NIL
    assert raw("EXZADD", "z", "INCR", "XX", "1", "nosuch") == NIL
    assert raw("EXZADD", "z", "INCR", "XX", "0", "a") == bulk("7.5")
    assert raw("EXZADD", "z", "nx", "nx", "ch", "1", "f") == i(1)  # repeated options are fine
    assert raw("EXZRANGE", "z", "0", "-1") == bulks("f", "b", "c", "e", "a")


def test_exzadd_xx_on_missing_key_creates_nothing(raw):
    assert raw("EXZADD", "z", "XX", "1", "a") == i(0)
    assert raw("EXZADD", "z", "XX", "INCR", "1", "a") == NIL
    assert raw("EXISTS", "z") == i(0)


def test_exzadd_same_member_twice_in_one_call(raw):
    assert raw("EXZADD", "z", "1", "a", "2", "a", "3", "b") == i(2)
    assert raw("EXZRANGE", "z", "0", "-1", "WITHSCORES") == bulks("a", "2", "b", "3")
    assert raw("EXZADD", "z", "CH", "5", "a", "2", "a") == i(2)  # two updates, back where it was


def test_exzadd_argument_errors_come_before_the_type(raw, others):
    for key in ("z", *others):
        assert raw("EXZADD", key, "1") == arity("exzadd")
        assert raw("EXZADD", key, "nx", "1") == SYNTAX
        assert raw("EXZADD", key, "1", "a", "2") == SYNTAX
        assert raw("EXZADD", key, "nx", "xx", "1", "a") == NX_XX
        assert raw("EXZADD", key, "incr", "1", "a", "2", "b") == INCR_PAIR
        assert raw("EXZADD", key, "x", "a") == NOT_VALID
        assert raw("EXZADD", key, "1", "a", "1#2", "b") == NOT_VALID
        assert raw("EXZADD", key, "nan", "a") == NOT_VALID
    # Syntax is checked before NX/XX, and both before INCR's pair count.
    assert raw("EXZADD", "z", "nx", "xx", "incr", "1", "a", "2") == SYNTAX
    assert raw("EXZADD", "z", "nx", "xx", "incr", "1", "a", "2", "b") == NX_XX
    # An option word is only an option before the first score.
    assert raw("EXZADD", "z", "1", "nx") == i(1)
    assert raw("EXZRANGE", "z", "0", "-1") == bulks("nx")


def test_exzadd_dimension_must_match_the_key(raw):
    assert raw("EXZADD", "z", "1#2", "a") == i(1)
    assert raw("EXZADD", "z", "1", "b") == NOT_VALID
    assert raw("EXZADD", "z", "1#2#3", "b") == NOT_VALID
    assert raw("EXZADD", "z", "XX", "1", "a") == NOT_VALID  # checked even when nothing would change
    assert raw("EXZINCRBY", "z", "1", "a") == NOT_VALID
    assert raw("EXZADD", "z", "3#-1", "b") == i(1)
    assert raw("EXZRANGE", "z", "0", "-1", "WITHSCORES") == bulks("a", "1#2", "b", "3#-1")
    assert raw("EXZADD", "w", "#".join(["1"] * 255), "m") == i(1)
    assert raw("EXZADD", "w", "#".join(["1"] * 256), "m") == NOT_VALID


def test_exzadd_keeps_minus_zero_and_equal_scores_are_not_updates(raw):
    assert raw("EXZADD", "z", "-0", "a", "0", "b") == i(2)
    assert raw("EXZSCORE", "z", "a") == bulk("-0")
    # -0 == 0 for Tair: neither an update nor a change of the stored score.
    assert raw("EXZADD", "z", "CH", "0", "a", "-0", "b") == i(0)
    assert raw("EXZMSCORE", "z", "a", "b") == arr(bulk("-0"), bulk("0"))
    assert raw("EXZRANGE", "z", "0", "-1", "WITHSCORES") == bulks("a", "-0", "b", "0")
    assert raw("EXZADD", "z", "INCR", "0", "a") == bulk("-0")  # -0 + 0 == 0 is "unchanged": the old score
    assert raw("EXZINCRBY", "z", "-0", "new") == bulk("-0")


def test_exzincrby(raw, others):
    assert raw("EXZINCRBY", "z", "1") == arity("exzincrby")
    assert raw("EXZINCRBY", "z", "1", "a", "b") == arity("exzincrby")
    assert raw("EXZINCRBY", "z", "2.5", "a") == bulk("2.5")
    assert raw("EXZINCRBY", "z", "-0.5", "a") == bulk("2")
    assert raw("EXZINCRBY", "z", "0.1", "a") == bulk("2.1000000000000001")
    assert raw("EXZINCRBY", "z", "x", "a") == NOT_VALID
    # Shares EXZADD's parser: an increment spelled like an option is read as one.
    assert raw("EXZINCRBY", "z", "nx", "a") == SYNTAX
    assert raw("EXZINCRBY", "z", "inf", "a") == bulk("inf")
    assert raw("EXZINCRBY", "z", "-inf", "a") == NAN
    assert raw("EXZSCORE", "z", "a") == bulk("inf")
    for key in others:
        assert raw("EXZINCRBY", key, "1", "a") == WRONGTYPE
    assert raw("EXZINCRBY", "m", "1#-2", "a") == bulk("1#-2")
    assert raw("EXZINCRBY", "m", "0.5#inf", "a") == bulk("1.5#inf")
    assert raw("EXZINCRBY", "m", "0#-inf", "a") == NAN
    assert raw("EXZSCORE", "m", "a") == bulk("1.5#inf")


# ----------------------------------------------------------------- point reads


def test_exzscore_exzmscore_exzcard(raw, abc, others):
    assert raw("EXZSCORE", "z", "b") == bulk("2")
    assert raw("EXZSCORE", "z", "x") == NIL
    assert raw("EXZSCORE", "nosuch", "x") == NIL
    assert raw("EXZSCORE", "z") == arity("exzscore")
    assert raw("EXZMSCORE", "z", "c", "x", "a") == arr(bulk("3"), NIL, bulk("1"))
    assert raw("EXZMSCORE", "nosuch", "a", "b") == arr(NIL, NIL)
    assert raw("EXZMSCORE", "z") == arity("exzmscore")
    assert raw("EXZCARD", "z") == i(3)
    assert raw("EXZCARD", "nosuch") == i(0)
    assert raw("EXZCARD", "z", "x") == arity("exzcard")
    for key in others:
        assert raw("EXZSCORE", key, "a") == WRONGTYPE
        assert raw("EXZMSCORE", key, "a") == WRONGTYPE
        assert raw("EXZCARD", key) == WRONGTYPE


def test_binary_members(raw):
    members = [b"", b"\x00", b"a\x00", b"a\x00b", b"a", b"\x00\xff", b"\x00\x01", b"\xff\xff", b"\x01", b"\x02"]
    for n, m in enumerate(members):
        assert raw("EXZADD", "z", "0", m) == i(1)
        assert raw("EXZSCORE", "z", m) == bulk("0"), m
        assert raw("EXZADD", "z", "CH", str(n), m) == i(1 if n else 0)
    assert raw("EXZRANGE", "z", "0", "-1") == bulks(*members)
    raw("EXZADD", "same", *[x for m in members for x in (b"-0", m)])  # lex ranges: for equal scores
    assert raw("EXZRANGE", "same", "0", "-1") == bulks(*sorted(members))
    assert raw("EXZRANGEBYLEX", "same", "-", "+") == bulks(*sorted(members))
    assert raw("EXZRANGEBYLEX", "same", "[a", "(a\x00b") == bulks("a", "a\x00")
    assert raw("EXZRANGEBYLEX", "same", "(", b"[\x00\xff") == bulks(b"\x00", b"\x00\x01", b"\x00\xff")
    assert raw("EXZREVRANGEBYLEX", "same", "+", "(\x02", "LIMIT", "1", "1") == bulks("a\x00b")
    assert raw("EXZLEXCOUNT", "same", "[", "[") == i(1)
    assert raw("EXZREMRANGEBYLEX", "same", "[\x01", "[\x02") == i(2)
    assert raw("EXZCARD", "same") == i(8)
    assert raw("EXZRANGEBYLEX", "z", "[a", "(a\x00b") == EMPTY  # mixed scores: the module's walk (below)
    assert raw("EXZRANK", "z", b"a\x00b") == i(3)
    assert raw("EXZREM", "z", b"\x00", b"a\x00", b"") == i(3)
    assert raw("EXZRANGE", "z", "0", "-1") == bulks(*[m for m in members if m not in (b"", b"\x00", b"a\x00")])


def test_exzrank_and_withscore(raw, abc, others):
    assert raw("EXZRANK", "z", "a") == i(0)
    assert raw("EXZREVRANK", "z", "a") == i(2)
    assert raw("EXZRANK", "z", "c", "WITHSCORE") == arr(i(2), bulk("3"))
    assert raw("EXZREVRANK", "z", "c", "withscore") == arr(i(0), bulk("3"))
    assert raw("EXZRANK", "z", "x") == NIL
    assert raw("EXZRANK", "z", "x", "WITHSCORE") == NIL
    assert raw("EXZRANK", "nosuch", "a") == NIL
    assert raw("EXZRANK", "z", "a", "WITHSCORES") == SYNTAX
    assert raw("EXZRANK", "z", "a", "WITHSCORE", "x") == arity("exzrank")
    assert raw("EXZREVRANK", "z", "a", "WITHSCORE", "x") == arity("exzrevrank")
    # The WITHSCORE word is read only once the key is known to exist.
    assert raw("EXZRANK", "nosuch", "a", "bogus") == NIL
    assert raw("EXZRANK", "z", "x", "bogus") == SYNTAX
    assert raw("EXZRANK", "z") == arity("exzrank")
    for key in others:
        assert raw("EXZRANK", key, "a") == WRONGTYPE
        assert raw("EXZREVRANK", key, "a") == WRONGTYPE


def test_exzrankbyscore(raw, abc, others):
    assert [raw("EXZRANKBYSCORE", "z", s) for s in ("0", "1", "1.5", "3", "(3", "inf")] == [
        i(0), i(0), i(1), i(2), NIL, i(3)]  # "(3" is no score: Tair answers nil
    assert [raw("EXZREVRANKBYSCORE", "z", s) for s in ("0", "1", "3", "4")] == [i(3), i(3), i(1), i(0)]
    assert raw("EXZRANKBYSCORE", "z", "x") == NIL
    assert raw("EXZRANKBYSCORE", "z", "1#2") == NOT_VALID
    assert raw("EXZRANKBYSCORE", "nosuch", "1") == NIL
    assert raw("EXZRANKBYSCORE", "z") == arity("exzrankbyscore")
    for key in others:
        assert raw("EXZRANKBYSCORE", key, "x") == WRONGTYPE
    raw("EXZADD", "m", "1#5", "a", "2#0", "b", "2#9", "c")
    assert raw("EXZRANKBYSCORE", "m", "2#0") == i(1)
    assert raw("EXZRANKBYSCORE", "m", "2#1") == i(2)
    assert raw("EXZREVRANKBYSCORE", "m", "1#6") == i(2)


# ----------------------------------------------------------------- ranges


def test_exzrange_errors(raw, abc, others):
    assert raw("EXZRANGE", "z", "0") == arity("exzrange")
    assert raw("EXZRANGE", "z", "a", "1") == OUT_OF_RANGE
    assert raw("EXZRANGE", "z", "0", "1.5") == OUT_OF_RANGE
    assert raw("EXZRANGE", "z", "0", "9223372036854775808") == OUT_OF_RANGE
    assert raw("EXZRANGE", "z", "0", "1", "WITHSCORE") == SYNTAX
    assert raw("EXZRANGE", "z", "0", "1", "WITHSCORES", "x") == SYNTAX
    assert raw("EXZREVRANGE", "z", "0", "1", "LIMIT") == SYNTAX
    assert raw("EXZRANGE", "nosuch", "0", "-1") == EMPTY
    assert raw("EXZRANGE", "z", "-9223372036854775808", "9223372036854775807") == bulks("a", "b", "c")
    for key in others:
        assert raw("EXZRANGE", key, "0", "-1") == WRONGTYPE
        assert raw("EXZRANGE", key, "x", "-1") == OUT_OF_RANGE
        assert raw("EXZREVRANGE", key, "0", "-1", "x") == SYNTAX


def test_exzrangebyscore_errors_in_order(raw, abc, others):
    assert raw("EXZRANGEBYSCORE", "z", "0") == arity("exzrangebyscore")
    for bad in ("x", "(", "((1", "nan", "1#", "[1", ""):
        assert raw("EXZRANGEBYSCORE", "z", bad, "1") == MIN_MAX_FLOAT
        assert raw("EXZREVRANGEBYSCORE", "z", "1", bad) == MIN_MAX_FLOAT
    assert raw("EXZRANGEBYSCORE", "z", "0", "1", "LIMIT", "0") == SYNTAX
    assert raw("EXZRANGEBYSCORE", "z", "0", "1", "LIMIT", "x", "1") == OUT_OF_RANGE
    assert raw("EXZRANGEBYSCORE", "z", "0", "1", "LIMIT", "0", "1.0") == OUT_OF_RANGE
    assert raw("EXZRANGEBYSCORE", "z", "0", "1", "WITHSCORE") == SYNTAX
    assert raw("EXZRANGEBYSCORE", "z", "x", "1", "bogus") == MIN_MAX_FLOAT  # bounds before options
    assert raw("EXZRANGEBYSCORE", "z", "0#0", "1#1") == NOT_VALID  # after the type check
    assert raw("EXZRANGEBYSCORE", "z", "0", "1#1") == NOT_VALID
    assert raw("EXZRANGEBYSCORE", "nosuch", "0#0", "1") == EMPTY
    for key in others:
        assert raw("EXZRANGEBYSCORE", key, "0", "1") == WRONGTYPE
        assert raw("EXZRANGEBYSCORE", key, "0#0", "1") == WRONGTYPE
        assert raw("EXZRANGEBYSCORE", key, "x", "1") == MIN_MAX_FLOAT
        assert raw("EXZRANGEBYSCORE", key, "0", "1", "bogus") == SYNTAX


def test_exzrangebyscore_options(raw, abc):
    assert raw("EXZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "WITHSCORES") == bulks("a", "1", "b", "2", "c", "3")
    assert raw("EXZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "1", "limit", "1", "5") == bulks("b", "c")
    assert raw("EXZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "5") == EMPTY
    assert raw("EXZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "-1") == bulks("b", "c")
    assert raw("EXZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "0") == EMPTY
    assert raw("EXZREVRANGEBYSCORE", "z", "(3", "-inf", "LIMIT", "1", "1", "WITHSCORES") == bulks("a", "1")
    assert raw("EXZRANGEBYSCORE", "z", "(1", "(1") == EMPTY
    assert raw("EXZRANGEBYSCORE", "z", "1", "1") == bulks("a")


def test_multi_dimensional_order_and_bounds(raw):
    raw("EXZADD", "m", "1#2", "a", "1#-inf", "b", "0#100", "c", "1#2", "d", "-0#100", "e", "inf#-inf", "f")
    assert raw("EXZRANGE", "m", "0", "-1", "WITHSCORES") == bulks(
        "c", "0#100", "e", "-0#100", "b", "1#-inf", "a", "1#2", "d", "1#2", "f", "inf#-inf")
    assert raw("EXZRANGEBYSCORE", "m", "(0#100", "1#2") == bulks("b", "a", "d")
    assert raw("EXZRANGEBYSCORE", "m", "0#100", "(1#2") == bulks("c", "e", "b")
    assert raw("EXZCOUNT", "m", "1#-inf", "1#inf") == i(3)
    assert raw("EXZREVRANGEBYSCORE", "m", "inf#inf", "(1#2") == bulks("f")
    assert raw("EXZRANK", "m", "e") == i(1)
    assert raw("EXZRANKBYSCORE", "m", "1#2") == i(3)
    assert raw("EXZREMRANGEBYSCORE", "m", "1#2", "1#2") == i(2)
    assert raw("EXZRANGE", "m", "0", "-1") == bulks("c", "e", "b", "f")


def test_exzrangebylex_errors(raw, abc, others):
    assert raw("EXZRANGEBYLEX", "z", "-") == arity("exzrangebylex")
    for bad in ("a", "", "+x", "-x", "]a"):
        assert raw("EXZRANGEBYLEX", "z", bad, "+") == LEX_RANGE
        assert raw("EXZREVRANGEBYLEX", "z", "+", bad) == LEX_RANGE
        assert raw("EXZLEXCOUNT", "z", bad, "+") == LEX_RANGE
        assert raw("EXZREMRANGEBYLEX", "z", "-", bad) == LEX_RANGE
    assert raw("EXZRANGEBYLEX", "z", "-", "+", "WITHSCORES") == SYNTAX
    assert raw("EXZRANGEBYLEX", "z", "-", "+", "LIMIT", "1") == SYNTAX
    assert raw("EXZRANGEBYLEX", "z", "-", "+", "LIMIT", "a", "1") == OUT_OF_RANGE
    assert raw("EXZRANGEBYLEX", "z", "-", "+", "LIMIT", "-1", "1") == EMPTY
    assert raw("EXZRANGEBYLEX", "nosuch", "-", "+") == EMPTY
    assert raw("EXZLEXCOUNT", "nosuch", "-", "+") == i(0)
    for key in others:
        assert raw("EXZRANGEBYLEX", key, "-", "+") == WRONGTYPE
        assert raw("EXZLEXCOUNT", key, "-", "+") == WRONGTYPE
        assert raw("EXZRANGEBYLEX", key, "x", "+") == LEX_RANGE


def test_lex_commands_with_mixed_scores_walk_as_the_module(raw):
    """The module's lex lookups (dep/skiplist.c) compare members while walking its elements in
    score order: m_zslIsInLexRange first needs the last element not below min and the first not
    above max; a range starts at the first element not below min (the end of the leading run
    not above max, reversed) and goes on while elements stay not above max (not below min)."""
    raw("EXZADD", "z", "1", "c", "3", "a", "2", "d")  # order: c d a
    assert raw("EXZRANGEBYLEX", "z", "[c", "(e") == EMPTY  # the last element, a, is below [c
    assert raw("EXZREVRANGEBYLEX", "z", "(e", "[c") == EMPTY
    assert raw("EXZLEXCOUNT", "z", "[c", "(e") == i(0)
    assert raw("EXZRANGEBYLEX", "z", "-", "(d") == bulks("c")  # c, then d stops the walk
    assert raw("EXZRANGEBYLEX", "z", "-", "+", "LIMIT", "1", "5") == bulks("d", "a")
    assert raw("EXZREVRANGEBYLEX", "z", "(d", "-") == bulks("c")  # the leading run below (d is c
    assert raw("EXZREVRANGEBYLEX", "z", "[d", "-") == bulks("a", "d", "c")  # ... below [d all three
    assert raw("EXZLEXCOUNT", "z", "-", "(d") == i(1)
    assert raw("EXZLEXCOUNT", "z", "-", "[d") == i(3)
    # The removal walks without the range check: from c (not below [c) while below (e: all three.
    assert raw("EXZREMRANGEBYLEX", "z", "[c", "(e") == i(3)
    assert raw("EXISTS", "z") == i(0)
    raw("EXZADD", "z", "3", "a", "1", "b", "2", "c", "1", "d")  # order: b d c a
    assert raw("EXZRANGEBYLEX", "z", "-", "+") == bulks("b", "d", "c", "a")
    assert raw("EXZRANGEBYLEX", "z", "[b", "+", "LIMIT", "1", "2") == EMPTY  # a is below [b
    assert raw("EXZREVRANGEBYLEX", "z", "[b", "-") == bulks("b")
    assert raw("EXZREVRANGEBYLEX", "z", "+", "(a", "LIMIT", "0", "1") == EMPTY
    assert raw("EXZLEXCOUNT", "z", "(a", "+") == i(0)
    assert raw("EXZLEXCOUNT", "z", "+", "-") == i(0)
    assert raw("EXZREMRANGEBYLEX", "z", "(b", "[c") == i(0)  # starts at d, which is above [c
    assert raw("EXZREMRANGEBYLEX", "z", "-", "[c") == i(1)  # b, then d stops it
    assert raw("EXZRANGE", "z", "0", "-1") == bulks("d", "c", "a")
    # A range that cannot hold anything (m_mscmplex, '-' and '+' the extreme strings).
    for lo, hi in (("+", "+"), ("-", "-"), ("[x", "(x"), ("(x", "[x"), ("[y", "[x"), ("+", "[a")):
        assert raw("EXZLEXCOUNT", "z", lo, hi) == i(0), (lo, hi)
        assert raw("EXZRANGEBYLEX", "z", lo, hi) == EMPTY, (lo, hi)


def test_lex_items_end_like_c_strings(raw):
    """'-' and '+' are read as C strings: what follows a NUL does not count."""
    raw("EXZADD", "z", "0", "a", "0", "b")
    assert raw("EXZRANGEBYLEX", "z", b"-\x00junk", b"+\x00") == bulks("a", "b")
    assert raw("EXZRANGEBYLEX", "z", b"-x", "+") == LEX_RANGE


def test_crashing_inputs_get_a_clear_error(raw):
    """Inputs that crash the module answer an error here."""
    raw("EXZADD", "z", "1", "a")
    assert raw("EXZREMRANGEBYLEX", "z", "(b", "a") == LEX_RANGE  # the module frees twice
    assert raw("EXZRANKBYSCORE", "z", "1#2") == NOT_VALID  # another dimension: a bad read
    assert raw("EXZRANDMEMBER", "z", str(-(1 << 63))) == OUT_OF_RANGE  # -count overflows
    assert raw("EXZPOPMIN", "z", str(1 << 63)) == NOT_INT
    assert raw("EXZPOPMIN", "z", str(-(1 << 63))) == NOT_INT
    assert raw("EXZRANGE", "z", str(-(1 << 63)), str((1 << 63) - 1)) == bulks("a")


def test_exzcount_errors(raw, abc, others):
    assert raw("EXZCOUNT", "z", "0") == arity("exzcount")
    assert raw("EXZCOUNT", "z", "x", "1") == MIN_MAX_FLOAT
    assert raw("EXZCOUNT", "z", "(1", "3") == i(2)
    assert raw("EXZCOUNT", "z", "1#1", "3#3") == NOT_VALID
    assert raw("EXZCOUNT", "nosuch", "1#1", "3") == i(0)
    for key in others:
        assert raw("EXZCOUNT", key, "0", "1") == WRONGTYPE


# ----------------------------------------------------------------- removals


def test_exzrem(raw, abc, others):
    assert raw("EXZREM", "z") == arity("exzrem")
    assert raw("EXZREM", "z", "a", "a", "x") == i(1)
    assert raw("EXZREM", "nosuch", "a") == i(0)
    assert raw("EXZREM", "z", "b", "c") == i(2)
    assert raw("EXISTS", "z") == i(0)
    for key in others:
        assert raw("EXZREM", key, "a") == WRONGTYPE


def test_exzremrange_errors(raw, abc, others):
    assert raw("EXZREMRANGEBYSCORE", "z", "0") == arity("exzremrangebyscore")
    assert raw("EXZREMRANGEBYSCORE", "z", "0", "1", "x") == arity("exzremrangebyscore")
    assert raw("EXZREMRANGEBYSCORE", "z", "x", "1") == MIN_MAX_FLOAT
    assert raw("EXZREMRANGEBYSCORE", "z", "0#1", "1#1") == NOT_VALID_NO_ERR
    assert raw("EXZREMRANGEBYSCORE", "nosuch", "0#1", "1") == i(0)
    assert raw("EXZREMRANGEBYRANK", "z", "0") == arity("exzremrangebyrank")
    assert raw("EXZREMRANGEBYRANK", "z", "a", "1") == OUT_OF_RANGE
    assert raw("EXZREMRANGEBYRANK", "nosuch", "0", "-1") == i(0)
    assert raw("EXZREMRANGEBYLEX", "z", "-") == arity("exzremrangebylex")
    assert raw("EXZREMRANGEBYLEX", "nosuch", "-", "+") == i(0)
    for key in others:
        assert raw("EXZREMRANGEBYSCORE", key, "0", "1") == WRONGTYPE
        assert raw("EXZREMRANGEBYRANK", key, "0", "1") == WRONGTYPE
        assert raw("EXZREMRANGEBYLEX", key, "-", "+") == WRONGTYPE
    assert raw("EXZREMRANGEBYLEX", "z", "(a", "[b") == i(1)
    assert raw("EXZREMRANGEBYRANK", "z", "-1", "-1") == i(1)
    assert raw("EXZRANGE", "z", "0", "-1", "WITHSCORES") == bulks("a", "1")


def test_removals_of_zero_scores_clean_both_native_members(raw, direct):
    raw("EXZADD", "z", "-0", "a", "0", "b")
    raw("EXZADD", "z", "1", "c", "-0", "d")
    assert raw("EXZREMRANGEBYRANK", "z", "0", "0") == i(1)
    assert raw("EXZREMRANGEBYSCORE", "z", "0", "0") == i(2)
    assert raw("EXZPOPMIN", "z") == bulks("c", "1")
    assert direct.exists("z") == 0


# ----------------------------------------------------------------- pops


def test_exzpopmin_exzpopmax(raw, others):
    raw("EXZADD", "z", "1", "a", "2", "b", "3", "c", "-0", "d")
    assert raw("EXZPOPMIN", "z") == bulks("d", "-0")
    assert raw("EXZPOPMAX", "z") == bulks("c", "3")
    assert raw("EXZPOPMAX", "z", "5") == bulks("b", "2", "a", "1")
    assert raw("EXISTS", "z") == i(0)
    assert raw("EXZPOPMIN", "z") == EMPTY
    raw("EXZADD", "z", "1", "a", "2", "b", "3", "c")
    assert raw("EXZPOPMIN", "z", "2") == bulks("a", "1", "b", "2")
    assert raw("EXZPOPMIN", "z", "0") == EMPTY
    assert raw("EXZPOPMIN", "z", "-1") == NOT_INT  # before the key
    assert raw("EXZPOPMIN", "nosuch", "-1") == NOT_INT
    assert raw("EXZPOPMIN", "z", "x") == NOT_INT
    assert raw("EXZPOPMIN", "z", "1", "2") == arity("exzpopmin")
    assert raw("EXZPOPMAX") == arity("exzpopmax")
    for key in others:
        assert raw("EXZPOPMIN", key) == WRONGTYPE
        assert raw("EXZPOPMAX", key, "0") == WRONGTYPE  # the type comes before the count
        assert raw("EXZPOPMAX", key, "x") == NOT_INT


def test_exbzpop_immediate_timeout_and_errors(raw, others):
    raw("EXZADD", "z", "1", "a", "2", "b")
    assert raw("EXBZPOPMIN", "nosuch", "z", "0") == bulks("z", "a", "1")
    assert raw("EXBZPOPMAX", "z", "1") == bulks("z", "b", "2")
    t0 = time.monotonic()
    assert raw("EXBZPOPMIN", "z", "0.2") == NIL
    assert 0.18 <= time.monotonic() - t0 < 1.5
    assert raw("EXBZPOPMIN", "z") == arity("exbzpopmin")
    assert raw("EXBZPOPMIN", "z", "x") == TIMEOUT_NOT_FLOAT
    assert raw("EXBZPOPMIN", "z", "-1") == TIMEOUT_NEGATIVE
    # RedisModule_StringToDouble (Valkey's string2d: no hex, no overflow), then
    # (long long)(timeout * 1000.0): x86-64 turns an infinite or too big product into INT64_MIN.
    for bad in ("0x10", "1e400", "nan", " 1", "1s"):
        assert raw("EXBZPOPMIN", "z", bad) == TIMEOUT_NOT_FLOAT, bad
    for negative in ("inf", "1e16", "-0.5", "-inf"):
        assert raw("EXBZPOPMIN", "z", negative) == TIMEOUT_NEGATIVE, negative
    for key in others:
        assert raw("EXBZPOPMAX", "nosuch", key, "0.1") == WRONGTYPE
    raw("EXZADD", "z", "1", "a")
    assert raw("EXBZPOPMAX", "z", "str", "0.1") == bulks("z", "a", "1")  # stops at the first non-empty key


def test_exbzpop_wakes_up_and_keeps_reply_order(proxy, raw):
    c = RawClient(proxy.port)

    def add_later():
        time.sleep(0.2)
        redis.Redis(port=proxy.port).execute_command("EXZADD", "q", "5", "job")

    threading.Thread(target=add_later).start()
    c.send("EXBZPOPMAX", "q", "5")
    c.send("PING")
    assert c.read() == bulks("q", "job", "5")
    assert c.read() == b"+PONG\r\n"
    c.close()


# ----------------------------------------------------------------- random members, scan


def test_exzrandmember_shapes_and_check_order(raw, abc, others):
    assert raw("EXZRANDMEMBER", "z") in (bulk("a"), bulk("b"), bulk("c"))
    assert raw("EXZRANDMEMBER", "nosuch") == NIL
    assert raw("EXZRANDMEMBER", "nosuch", "5") == EMPTY
    assert raw("EXZRANDMEMBER", "nosuch", "-2000000") == EMPTY  # a missing key answers before the count
    assert raw("EXZRANDMEMBER", "nosuch", str(-(1 << 63)), "WITHSCORES") == EMPTY
    assert raw("EXZRANDMEMBER", "nosuch", "x") == NOT_INT
    assert raw("EXZRANDMEMBER", "z", "5", "WITHSCORES") == bulks("a", "1", "b", "2", "c", "3")
    assert raw("EXZRANDMEMBER", "z", "-2", "WITHSCORES").startswith(b"*4\r\n")
    assert raw("EXZRANDMEMBER", "z", "0", "WITHSCORES") == EMPTY
    assert raw("EXZRANDMEMBER") == arity("exzrandmember")
    for key in others:  # the type comes first here
        assert raw("EXZRANDMEMBER", key) == WRONGTYPE
        assert raw("EXZRANDMEMBER", key, "x") == WRONGTYPE
        assert raw("EXZRANDMEMBER", key, "1", "x") == WRONGTYPE


def test_exzrandmember_big_key_distinct_and_scores(raw):
    raw("EXZADD", "z", *[x for n in range(300) for x in (str(n % 7 - 3) if n % 5 else "-0", f"m{n}")])
    full = dict(zip(*[iter(redis_list(raw("EXZRANGE", "z", "0", "-1", "WITHSCORES")))] * 2, strict=True))
    for count in (2, 50, 150, 299):
        got = redis_list(raw("EXZRANDMEMBER", "z", str(count), "WITHSCORES"))
        members = got[::2]
        assert len(members) == count and len(set(members)) == count
        assert all(full[m] == s for m, s in zip(got[::2], got[1::2], strict=True))
    # Repetitions are capped (Tair would try to build the whole reply): see tairzset.py.
    assert raw("EXZRANDMEMBER", "z", "-1000001") == OUT_OF_RANGE
    assert len(redis_list(raw("EXZRANDMEMBER", "z", "-1000"))) == 1000


def redis_list(reply: bytes) -> list[bytes]:
    from tairproxy.resp import parse_reply

    return parse_reply(reply)[0]


def test_exzscan(raw, others):
    assert raw("EXZSCAN", "z", "0") == arr(bulk("0"), EMPTY)
    assert raw("EXZSCAN", "z", "0", "COUNT", "x") == arr(bulk("0"), EMPTY)  # missing key first
    raw("EXZADD", "z", "1", "a", "2", "b", "-0", "ab")

    def scan(*args):
        reply = raw("EXZSCAN", "z", *args)
        assert reply.startswith(b"*2\r\n$1\r\n0\r\n*")  # [cursor (bulk), [member, score, ...]]
        items = redis_list(reply)[1]
        return dict(zip(items[::2], items[1::2], strict=True))

    assert scan("0") == {b"a": b"1", b"ab": b"-0", b"b": b"2"}
    assert scan("0", "MATCH", "a*") == {b"a": b"1", b"ab": b"-0"}
    assert scan("0", "MATCH", "?", "COUNT", "100") == {b"a": b"1", b"b": b"2"}
    assert raw("EXZSCAN", "z", "", "MATCH", "[b-c]") == arr(bulk("0"), bulks("b", "2"))
    assert raw("EXZSCAN", "z", "0", "MATCH", "") == arr(bulk("0"), EMPTY)
    assert raw("EXZSCAN", "z", "0", "COUNT", "0") == SYNTAX
    assert raw("EXZSCAN", "z", "0", "COUNT", "x") == NOT_INT
    assert raw("EXZSCAN", "z", "0", "COUNT") == SYNTAX
    assert raw("EXZSCAN", "z", "0", "bogus", "1") == SYNTAX
    for bad in ("x", " 1", "1 ", "18446744073709551616", "+", "-"):
        assert raw("EXZSCAN", "z", bad) == INVALID_CURSOR
        assert raw("EXZSCAN", "str", bad) == INVALID_CURSOR
    assert raw("EXZSCAN", "z") == arity("exzscan")
    for key in others:
        assert raw("EXZSCAN", key, "0") == WRONGTYPE
        assert raw("EXZSCAN", key, "0", "COUNT", "0") == WRONGTYPE


def test_multi_score_keys_scan_random_pop(raw):
    scores = {b"a": b"-0#0", b"b": b"0#-0", b"c": b"1#-inf", b"d\x00": b"-0#-0"}
    raw("EXZADD", "t", *[x for m, s in scores.items() for x in (s, m)])
    items = redis_list(raw("EXZSCAN", "t", "0"))[1]
    assert dict(zip(items[::2], items[1::2], strict=True)) == scores
    for _ in range(20):
        got = redis_list(raw("EXZRANDMEMBER", "t", "-3", "WITHSCORES"))
        assert all(scores[m] == s for m, s in zip(got[::2], got[1::2], strict=True))
    assert raw("EXZRANDMEMBER", "t", "4", "WITHSCORES") == bulks("a", "-0#0", "b", "0#-0", "d\x00", "-0#-0",
                                                                  "c", "1#-inf")
    assert raw("EXZPOPMIN", "t", "2") == bulks("a", "-0#0", "b", "0#-0")
    assert raw("EXZREMRANGEBYRANK", "t", "0", "0") == i(1)
    assert raw("ZCARD", "t") == i(2)
    assert raw("EXZUNIONSTORE", "u", "1", "t", "WEIGHTS", "-1") == i(1)
    assert raw("EXZRANGE", "u", "0", "-1", "WITHSCORES") == bulks("c", "-1#inf")


def test_exzscan_iterates_a_big_key(raw):
    members = {b"m%d" % n: b"%d" % n for n in range(500)}
    raw("EXZADD", "z", *[x for m, s in members.items() for x in (s, m)])
    seen, cursor, rounds = {}, b"0", 0
    while True:
        cursor, items = redis_list(raw("EXZSCAN", "z", cursor, "COUNT", "20", "MATCH", "m*"))
        seen.update(zip(items[::2], items[1::2], strict=True))
        rounds += 1
        if cursor == b"0":
            break
    assert seen == members and rounds > 5


def test_exzscan_match_is_valkeys_glob(raw):
    """MATCH filters members as Valkey's own stringmatchlen (SSCAN over the same members is the reference)."""
    members = [b"hello", b"hallo", b"hxllo", b"heeeello", b"hllo", b"h[llo", b"a*b", b"ab", b"", b"x\\y", b"h-llo",
               b"\x00h", b"h]llo", b"^"]
    patterns = [b"h?llo", b"h*llo", b"h[ae]llo", b"h[^e]llo", b"h[a-b]llo", b"h[b-a]llo", b"h\\[llo", b"a\\*b", b"**",
                b"", b"x\\\\y", b"h[a", b"*o", b"h[\\]]llo", b"h[a-]llo", b"[", b"\\", b"*\\", b"?", b"??*", b"[^^]",
                b"*[", b"h[x-", b"\x00*"]
    raw("EXZADD", "z", *[x for m in members for x in (b"1", m)])
    raw("SADD", "plain", *members)
    for pattern in patterns:
        ours = redis_list(raw("EXZSCAN", "z", "0", "COUNT", "1000", "MATCH", pattern))[1][::2]
        native = redis_list(raw("SSCAN", "plain", "0", "COUNT", "1000", "MATCH", pattern))[1]
        assert sorted(ours) == sorted(native), pattern


# ----------------------------------------------------------------- set operations


@pytest.fixture
def sets(raw):
    raw("EXZADD", "s1", "1", "a", "2", "b", "3", "c")
    raw("EXZADD", "s2", "10", "b", "20", "c", "30", "d")
    raw("EXZADD", "m2", "1#1", "a")


def test_exzunion_exzinter_exzdiff(raw, sets):
    assert raw("EXZUNION", "2", "s1", "s2", "WITHSCORES") == bulks("a", "1", "b", "12", "c", "23", "d", "30")
    assert raw("EXZUNION", "2", "s1", "s2", "WEIGHTS", "2", "-1", "AGGREGATE", "MAX") == bulks("d", "a", "b", "c")
    assert raw("EXZUNION", "3", "s1", "s2", "nosuch", "AGGREGATE", "min", "WITHSCORES") == bulks(
        "a", "1", "b", "2", "c", "3", "d", "30")
    assert raw("EXZINTER", "2", "s1", "s2", "WITHSCORES") == bulks("b", "12", "c", "23")
    assert raw("EXZINTER", "2", "s1", "s2", "WEIGHTS", "0", "inf", "AGGREGATE", "sum", "WITHSCORES") == bulks(
        "b", "inf", "c", "inf")
    assert raw("EXZINTER", "2", "s1", "s2", "WEIGHTS", "inf", "0", "WITHSCORES") == bulks("b", "inf", "c", "inf")
    assert raw("EXZUNION", "1", "s1", "WEIGHTS", "0", "WITHSCORES") == bulks("a", "0", "b", "0", "c", "0")
    assert raw("EXZINTER", "2", "s1", "nosuch") == EMPTY
    assert raw("EXZDIFF", "2", "s1", "s2", "WITHSCORES") == bulks("a", "1")
    assert raw("EXZDIFF", "1", "s2") == bulks("b", "c", "d")
    assert raw("EXZDIFF", "2", "nosuch", "s1") == EMPTY
    assert raw("EXZINTERCARD", "2", "s1", "s2") == i(2)
    assert raw("EXZINTERCARD", "2", "s1", "s2", "LIMIT", "1") == i(1)
    assert raw("EXZINTERCARD", "2", "s1", "s2", "LIMIT", "0") == i(2)


def test_set_operation_stores(raw, sets):
    raw("SET", "dst", "x")
    raw("EXPIRE", "dst", "100")
    assert raw("EXZUNIONSTORE", "dst", "2", "s1", "s2") == i(4)  # any old value is replaced
    assert raw("TTL", "dst") == i(-1)
    assert raw("EXZRANGE", "dst", "0", "-1", "WITHSCORES") == bulks("a", "1", "b", "12", "c", "23", "d", "30")
    assert raw("EXZINTERSTORE", "dst", "2", "s1", "s2", "WEIGHTS", "1", "0") == i(2)
    assert raw("EXZRANGE", "dst", "0", "-1", "WITHSCORES") == bulks("b", "2", "c", "3")
    assert raw("EXZDIFFSTORE", "s1", "2", "s1", "s2") == i(1)  # the destination may be a source
    assert raw("EXZRANGE", "s1", "0", "-1", "WITHSCORES") == bulks("a", "1")
    assert raw("EXZINTERSTORE", "dst", "2", "s1", "s2") == i(0)
    assert raw("EXISTS", "dst") == i(0)
    assert raw("TYPE", "s1") == b"+tairzset_\r\n"


def test_set_operation_errors_in_order(raw, sets, others):
    for cmd, n in (("EXZUNION", 1), ("EXZINTER", 1), ("EXZDIFF", 1), ("EXZINTERCARD", 1),
                   ("EXZUNIONSTORE", 2), ("EXZINTERSTORE", 2), ("EXZDIFFSTORE", 2)):
        pre = [cmd, "dst"] if n == 2 else [cmd]
        assert raw(*pre, "x", "s1") == NOT_INT
        assert raw(*pre, "0", "s1") == AT_LEAST_ONE
        assert raw(*pre, "3", "s1", "s2") == SYNTAX
        assert raw(*pre, "2", "s1", "str", "BOGUS") == WRONGTYPE  # sources' types before options
        assert raw(*pre, "2", "s1", "m2") == NOT_VALID
        assert raw(*pre, "2", "s1", "s2", "BOGUS") == SYNTAX
        assert raw(*pre, "1", "nosuch", "BOGUS") == SYNTAX
    assert raw("EXZUNION", "2", "s1", "s2", "WEIGHTS", "1") == SYNTAX
    assert raw("EXZUNION", "2", "s1", "s2", "WEIGHTS", "1", "x") == WEIGHT
    assert raw("EXZUNION", "2", "s1", "s2", "WEIGHTS", "1", "nan") == WEIGHT
    assert raw("EXZINTER", "2", "s1", "s2", "AGGREGATE", "avg") == SYNTAX
    assert raw("EXZINTER", "2", "s1", "s2", "AGGREGATE") == SYNTAX
    assert raw("EXZUNIONSTORE", "d", "2", "s1", "s2", "WITHSCORES") == SYNTAX
    assert raw("EXZDIFF", "2", "s1", "s2", "WEIGHTS", "1", "1") == SYNTAX
    assert raw("EXZINTERCARD", "2", "s1", "s2", "WITHSCORES") == SYNTAX
    assert raw("EXZINTERCARD", "2", "s1", "s2", "LIMIT", "-1") == LIMIT_NEGATIVE
    assert raw("EXZINTERCARD", "2", "s1", "s2", "LIMIT", "x") == LIMIT_NEGATIVE
    assert raw("EXZUNION", "1") == arity("exzunion")
    assert raw("EXZUNIONSTORE", "d", "1") == arity("exzunionstore")
    assert raw("EXZINTERCARD", "1") == arity("exzintercard")
    for key in others:
        assert raw("EXZUNIONSTORE", key, "1", "s1") == i(3)  # the destination's type is not checked


# ----------------------------------------------------------------- types


def test_wrongtype_both_ways(raw, abc, others):
    for cmd in (["GET", "z"], ["HGET", "z", "f"], ["LPUSH", "z", "x"], ["SADD", "z", "x"], ["EXGET", "z"],
                ["EXSET", "z", "v"], ["APPEND", "z", "x"]):
        assert raw(*cmd) == WRONGTYPE, cmd
    assert raw("TYPE", "z") == b"+tairzset_\r\n"
    assert raw("TYPE", "pz") == b"+zset\r\n"
    assert raw("OBJECT", "ENCODING", "z") == bulk("listpack")


def test_storage_is_one_native_sorted_set(raw, direct):
    """The encoding documented at the top of tairzset.lua."""
    raw("EXZADD", "z", "1.5#-0", "a\x00b", "-2#3", "c")
    native = direct.zrange("z", 0, -1, withscores=True)
    enc_c = bytes.fromhex("3fffffffffffffff" "c008000000000000")  # -2, 3
    enc_ab = bytes.fromhex("bff8000000000000" "8000000000000000")  # 1.5, -0 (as +0)
    assert native == [
        (b"\x01" + enc_c + b"c", float("-inf")),
        (b"\x01" + enc_ab + b"a\x00b", float("-inf")),
        (b"\x02a\x00\xffb\x00\x01" + bytes.fromhex("3ff8000000000000" "8000000000000000"), 0.0),
        (b"\x02c\x00\x01" + bytes.fromhex("c000000000000000" "4008000000000000"), 0.0),
    ]
    raw("EXZADD", "s", "0.1", "x", "-0", "y", "-inf", "z")
    assert direct.zrange("s", 0, -1, withscores=True) == [
        (b"\x01" + bytes.fromhex("000fffffffffffff") + b"z", float("-inf")),
        (b"\x01" + bytes.fromhex("8000000000000000") + b"y", float("-inf")),
        (b"\x01" + bytes.fromhex("bfb999999999999a") + b"x", float("-inf")),
        (b"\x03z", float("-inf")), (b"\x04y", 0.0), (b"\x03x", 0.1),
    ]
    assert direct.type("z") == b"zset"


def test_a_plain_sorted_set_is_another_type(raw):
    raw("ZADD", "p1", "0", "\x02a")
    raw("ZADD", "p2", "1", b"\x02a\x00\x01" + b"\x00" * 8)
    raw("ZADD", "p3", "0", b"\x02a\x00\x01" + b"\x00" * 7)
    for key in ("p1", "p2", "p3"):
        assert raw("EXZCARD", key) == WRONGTYPE
        assert raw("EXZADD", key, "1", "x") == WRONGTYPE
        assert raw("TYPE", key) == b"+zset\r\n"


# ----------------------------------------------------------------- EXZSCAN's cursor


def test_exzscan_walks_the_modules_table(raw):
    """EXZSCAN walks the module's own hash table (tests/dictscan_reference.py), doubling COUNT
    (a member and its score are two list nodes): a non-zero cursor skips buckets, and a page
    holds about COUNT elements."""
    members = [b"m%03d" % n for n in range(200)]
    raw("EXZADD", "z", *[x for n, m in enumerate(members) for x in (b"%d" % n, m)])
    table = dictscan_reference.Table(members)  # inserted in score order, as the proxy assumes
    for count in (10, 1, 7):
        cursor, seen = 0, []
        while True:
            want_cursor, want = table.scan(cursor, 2 * count, 2)
            got = raw("EXZSCAN", "z", str(cursor), "COUNT", str(count))
            assert got == arr(bulk(str(want_cursor)), bulks(*[x for m in want for x in (m, str(int(m[1:])))]))
            seen += want
            cursor = want_cursor
            if cursor == 0:
                break
        assert sorted(seen) == members
    raw("EXZADD", "one", "1", "a")
    bucket = dictscan_reference.siphash12(b"a") % 4
    skipping = next(c for c in range(4) if c not in (0, bucket) and dictscan_reference.Table([b"a"]).scan(c, 20, 2)[1] == [])
    assert raw("EXZSCAN", "one", str(skipping)) == arr(bulk("0"), EMPTY)


def test_exzscan_past_512_members_still_returns_everything(raw):
    raw("EXZADD", "z", *[x for n in range(600) for x in (b"%d" % n, b"m%d" % n)])
    cursor, seen = b"0", set()
    while True:
        parts = raw("EXZSCAN", "z", cursor, "COUNT", "50").split(b"\r\n")
        cursor = parts[2]
        seen.update(parts[5::4])
        if cursor == b"0":
            break
    assert seen == {b"m%d" % n for n in range(600)}


def test_weights_are_read_as_valkey_reads_a_double(raw):
    """WEIGHTS go through RedisModule_StringToDouble: on Valkey 9 no hex, no overflow."""
    raw("EXZADD", "z", "1", "a")
    for bad in ("0x10", "0x1p3", "1e400", "nan", " 2"):
        assert raw("EXZUNION", "1", "z", "WEIGHTS", bad, "WITHSCORES") == WEIGHT, bad
        assert raw("EXZINTERSTORE", "d", "1", "z", "WEIGHTS", bad) == WEIGHT, bad
    assert raw("EXISTS", "d") == i(0)  # nothing stored
    assert raw("EXZUNION", "1", "z", "WEIGHTS", "+16e0", "WITHSCORES") == bulks("a", "16")
    assert raw("EXZUNION", "1", "z", "WEIGHTS", "-inf", "WITHSCORES") == bulks("a", "-inf")
