"""TairBloom commands byte for byte through the proxy: every command, option and error.

Replies, defaults and error texts are valkey-bloom's (tests/test_bloom_command.py and
src/bloom/*.rs of valkey-io/valkey-bloom), whose BF.INFO/BF.CARD the spec adopts.
"""

from __future__ import annotations

import math

import pytest

from tests.tairbloom_replies import (
    BAD_CAPACITY,
    BAD_ERROR_RATE,
    BAD_EXPANSION,
    BAD_TIGHTENING,
    CAPACITY_ZERO,
    ERROR,
    ERROR_RATE_RANGE,
    FP_ZERO,
    INVALID_INFO,
    INVALID_SEED,
    ITEM_EXISTS,
    NIL,
    NONSCALING_FULL,
    NONSCALING_SCALE_TO,
    NOT_FOUND,
    OK,
    SCALE_TO_FP_ZERO,
    SCALE_TO_TOO_LARGE,
    TIGHTENING_RANGE,
    TOO_LARGE,
    UNKNOWN_ARGUMENT,
    WRONGTYPE,
    arity,
    arr,
    bulk,
    i,
    info,
    ints,
)

# valkey-bloom's defaults: error rate 0.01, capacity 100, expansion 2, tightening ratio 0.5.
DEFAULT_MAX_SCALED = 26214300


def size(raw, key: str) -> int:
    return int(raw("STRLEN", key)[1:-2])


# ----------------------------------------------------------------- add / exists / card


def test_add_exists_madd_mexists_card(raw):
    """valkey-bloom's test_bloom_command_behavior, first part."""
    assert raw("BF.ADD", "key", "item") == i(1)
    assert raw("BF.ADD", "key", "item") == i(0)
    assert raw("BF.ADD", "key", "item1") == i(1)
    assert raw("BF.EXISTS", "key", "item") == i(1)
    assert raw("BF.EXISTS", "key", "item2") == i(0)
    assert raw("BF.MADD", "key", "item", "item2") == ints(0, 1)
    assert raw("BF.EXISTS", "key", "item2") == i(1)
    assert raw("BF.EXISTS", "key", "item3") == i(0)
    assert raw("BF.MADD", "hello", "world1", "world2", "world3") == ints(1, 1, 1)
    assert raw("BF.MADD", "hello", "world1", "world2", "world3", "world4") == ints(0, 0, 0, 1)
    assert raw("BF.MEXISTS", "hello", "world5") == ints(0)
    assert raw("BF.MADD", "hello", "world5") == ints(1)
    assert raw("BF.MEXISTS", "hello", "world5", "world6", "world7") == ints(1, 0, 0)
    assert raw("BF.CARD", "key") == i(3)
    assert raw("BF.CARD", "hello") == i(5)
    assert raw("bf.card", "HELLO") == i(0)
    # a missing key: nothing exists, nothing counted, nothing created
    assert raw("BF.EXISTS", "missing", "x") == i(0)
    assert raw("BF.MEXISTS", "missing", "x", "y") == ints(0, 0)
    assert raw("EXISTS", "missing") == i(0)


def test_binary_items_and_duplicates_in_one_command(raw):
    items = [b"", b"\x00", b"\x00\x01", b"a\r\nb", "é".encode(), b"x" * 10000]
    assert raw("BF.MADD", "k", *items, b"\x00") == ints(1, 1, 1, 1, 1, 1, 0)
    assert raw("BF.MEXISTS", "k", *items) == ints(1, 1, 1, 1, 1, 1)
    assert raw("BF.CARD", "k") == i(6)


def test_add_creates_a_default_filter(raw):
    assert raw("BF.ADD", "k", "a") == i(1)
    assert raw("BF.INFO", "k") == info(100, size(raw, "k"), 1, 1, "0.01", 2, "0.5", DEFAULT_MAX_SCALED)
    assert raw("BF.MADD", "m", "a") == ints(1)
    assert raw("BF.INFO", "m", "CAPACITY") == i(100)
    assert raw("BF.INFO", "m", "ERROR") == bulk("0.01")


# ----------------------------------------------------------------- BF.RESERVE


def test_reserve(raw):
    assert raw("BF.RESERVE", "bf", "0.01", "1000") == OK
    assert raw("BF.RESERVE", "bf", "0.01", "1000") == ITEM_EXISTS
    assert raw("BF.RESERVE", "bf", "0.5", "10", "NONSCALING") == ITEM_EXISTS
    assert raw("BF.RESERVE", "bf_exp", "0.01", "1000", "EXPANSION", "2") == OK
    assert raw("BF.RESERVE", "bf_non", "0.01", "1000", "nonscaling") == OK
    assert raw("BF.RESERVE", "bf3", "0.001", "+7", "expansion", "+3") == OK
    assert raw("bf.info", "bf_exp", "expansion") == i(2)
    assert raw("BF.INFO", "bf_non", "EXPANSION") == NIL
    assert raw("BF.INFO", "bf3", "EXPANSION") == i(3)
    assert raw("BF.INFO", "bf3", "CAPACITY") == i(7)
    assert raw("BF.CARD", "bf") == i(0)
    assert raw("BF.INFO", "bf", "ITEMS") == i(0)
    assert raw("BF.RESERVE", "big_exp", "0.01", "10", "EXPANSION", "4294967295") == OK


@pytest.mark.parametrize(
    "args, reply",
    [
        (["KEY", "String", "100"], BAD_ERROR_RATE),
        (["KEY", "0x0.1", "100"], BAD_ERROR_RATE),
        (["KEY", " 0.1", "100"], BAD_ERROR_RATE),
        (["KEY", "0.1 ", "100"], BAD_ERROR_RATE),
        (["KEY", "1_0", "100"], BAD_ERROR_RATE),
        (["KEY", "", "100"], BAD_ERROR_RATE),
        (["KEY", "e5", "100"], BAD_ERROR_RATE),
        (["KEY", "0.99999999999999999", "3000"], ERROR_RATE_RANGE),  # rounds to 1.0
        (["KEY", "2", "100"], ERROR_RATE_RANGE),
        (["KEY", "1", "100"], ERROR_RATE_RANGE),
        (["KEY", "0", "100"], ERROR_RATE_RANGE),
        (["KEY", "-0.5", "100"], ERROR_RATE_RANGE),
        (["KEY", "1e-400", "100"], ERROR_RATE_RANGE),  # underflows to 0
        (["KEY", "nan", "100"], ERROR_RATE_RANGE),
        (["KEY", "inf", "100"], ERROR_RATE_RANGE),
        (["KEY", "-Infinity", "100"], ERROR_RATE_RANGE),
        (["KEY", "0.01", "String"], BAD_CAPACITY),
        (["KEY", "0.01", "0.01"], BAD_CAPACITY),
        (["KEY", "0.01", "-1"], BAD_CAPACITY),
        (["KEY", "0.01", "9223372036854775808"], BAD_CAPACITY),
        (["KEY", "0.01", " 5"], BAD_CAPACITY),
        (["KEY", "0.01", "0"], CAPACITY_ZERO),
        (["KEY", "0.01", "-0"], CAPACITY_ZERO),
        (["TEST_CAP", "0.50", "0"], CAPACITY_ZERO),
        (["KEY", "2", "0"], ERROR_RATE_RANGE),  # the rate is checked first
        (["KEY", "0.01", "1", "FOO"], ERROR),
        (["KEY", "0.01", "1", "EXPANSION"], ERROR),
        (["KEY", "0.01", "1", "NONSCALING", "x"], ERROR),
        (["KEY", "0.01", "1", "NONSCALING", "2"], ERROR),
        (["KEY", "0.01", "1", "EXPANSION", "0"], BAD_EXPANSION),
        (["KEY", "0.01", "1", "EXPANSION", "-1"], BAD_EXPANSION),
        (["KEY", "0.01", "1", "EXPANSION", "1.5"], BAD_EXPANSION),
        (["KEY", "0.01", "1", "EXPANSION", "4294967296"], BAD_EXPANSION),
        (["KEY", "0.01", "0", "EXPANSION", "0"], CAPACITY_ZERO),
    ],
)
def test_reserve_argument_errors(raw, args, reply):
    assert raw("BF.RESERVE", *args) == reply
    assert raw("EXISTS", args[0]) == i(0)


def test_reserve_argument_errors_come_before_the_key(raw):
    assert raw("SET", "plain", "x") == OK
    assert raw("BF.RESERVE", "plain", "2", "100") == ERROR_RATE_RANGE
    assert raw("BF.RESERVE", "plain", "0.01", "100") == WRONGTYPE
    assert raw("BF.RESERVE", "bf", "0.01", "100") == OK
    assert raw("BF.RESERVE", "bf", "0.01", "100", "BOGUS") == ERROR
    assert raw("BF.RESERVE", "bf", "0.01", "0") == CAPACITY_ZERO


def test_reserve_beyond_the_memory_limit(raw):
    """valkey-bloom caps a bloom object at 128 MB (bf.bloom-memory-usage-limit's default)."""
    assert raw("BF.RESERVE", "k", "0.001", "200000000") == TOO_LARGE
    assert raw("BF.RESERVE", "k", "0.0001", "100000000", "NONSCALING") == TOO_LARGE
    assert raw("BF.INSERT", "k", "CAPACITY", "9223372036854775807", "ITEMS", "a") == TOO_LARGE
    assert raw("EXISTS", "k") == i(0)
    assert raw("SET", "plain", "x") == OK
    assert raw("BF.RESERVE", "plain", "0.001", "200000000") == WRONGTYPE  # the key is looked at first


# ----------------------------------------------------------------- arity


@pytest.mark.parametrize(
    "cmd",
    [
        ["BF.ADD", "TEST"], ["BF.ADD"], ["BF.ADD", "HELLO", "TEST", "WORLD"],
        ["BF.CARD", "KEY", "ITEM"], ["bf.card"],
        ["BF.EXISTS"], ["bf.exists", "item"], ["bf.exists", "key", "item", "hello"],
        ["BF.INFO"], ["bf.info", "key", "capacity", "size"],
        ["BF.INSERT"], ["BF.INSERT", "MISS_ITEM", "EXPANSION", "2", "ITEMS"],
        ["BF.INSERT", "MISS_VAL", "ERROR", "0.5", "EXPANSION"],
        ["BF.INSERT", "MISS_VAL", "ERROR", "0.5", "CAPACITY"],
        ["BF.INSERT", "MISS_VAL", "EXPANSION", "2", "EXPANSION"],
        ["BF.INSERT", "MISS_VAL", "EXPANSION", "1", "error"],
        ["BF.INSERT", "MISS_VAL", "TIGHTENING"], ["BF.INSERT", "MISS_VAL", "SEED"],
        ["BF.INSERT", "MISS_VAL", "VALIDATESCALETO"], ["BF.INSERT", "k", "ITEMS"],
        ["BF.MADD"], ["BF.MADD", "KEY"], ["BF.MEXISTS"], ["BF.MEXISTS", "INFO"],
        ["BF.RESERVE"], ["BF.RESERVE", "KEY"], ["BF.RESERVE", "KEY", "SSS"],
        ["BF.RESERVE", "TT1", "0.01", "1", "NONSCALING", "test1", "test2", "test3"],
        ["BF.RESERVE", "TT", "0.01", "1", "NONSCALING", "EXPANSION", "1"],
    ],
)
def test_arity(raw, cmd):
    name = cmd[0].upper()
    assert raw(*cmd) == arity(name)


def test_arity_is_checked_before_the_type(raw):
    assert raw("SET", "plain", "x") == OK
    assert raw("BF.ADD", "plain") == arity("BF.ADD")
    assert raw("BF.CARD", "plain", "x") == arity("BF.CARD")


# ----------------------------------------------------------------- BF.INSERT


def test_insert(raw):
    """valkey-bloom's test_bloom_command_behavior, BF.INSERT part."""
    assert raw("BF.INSERT", "TEST", "ITEMS", "ITEM") == ints(1)
    assert raw("BF.INSERT", "TEST", "CAPACITY", "1000", "ITEMS", "ITEM") == ints(0)
    assert raw("BF.INSERT", "TEST", "CAPACITY", "200", "error", "0.50", "ITEMS", "ITEM", "ITEM1", "ITEM2") == ints(0, 1, 1)
    assert raw("BF.INSERT", "TEST", "CAPACITY", "300", "ERROR", "0.50", "EXPANSION", "1", "ITEMS", "ITEM", "FOO") == ints(0, 1)
    assert raw("BF.INSERT", "TEST", "ERROR", "0.50", "EXPANSION", "3", "NOCREATE", "items", "BOO") == ints(1)
    assert raw("BF.INSERT", "TEST", "ERROR", "0.50", "EXPANSION", "1", "NOCREATE", "NONSCALING", "items", "BOO") == ints(0)
    assert raw("BF.INSERT", "TEST_EXPANSION", "EXPANSION", "9", "ITEMS", "ITEM") == ints(1)
    assert raw("BF.INSERT", "TEST_CAPACITY", "CAPACITY", "2000", "ITEMS", "ITEM") == ints(1)
    # everything after ITEMS is an item
    assert raw("BF.INSERT", "TEST_ITEMS", "ITEMS", "1", "2", "3", "EXPANSION", "2") == ints(1, 1, 1, 1, 0)
    # the options of an existing filter do not change
    assert raw("BF.INFO", "TEST", "Capacity") == i(100)
    assert raw("BF.INFO", "TEST", "ITEMS") == i(5)
    assert raw("BF.INFO", "TEST", "filters") == i(1)
    assert raw("bf.info", "TEST", "expansion") == i(2)
    assert raw("BF.INFO", "TEST", "ERROR") == bulk("0.01")
    assert raw("BF.INFO", "TEST_EXPANSION", "EXPANSION") == i(9)
    assert raw("BF.INFO", "TEST_CAPACITY", "CAPACITY") == i(2000)
    assert raw("BF.CARD", "TEST") == i(5)


def test_insert_creates_without_items(raw):
    assert raw("BF.INSERT", "new", "CAPACITY", "1000") == arr()
    assert raw("BF.INSERT", "new2") == arr()
    assert raw("BF.INFO", "new", "CAPACITY") == i(1000)
    assert raw("BF.INFO", "new2", "CAPACITY") == i(100)
    assert raw("BF.CARD", "new") == i(0)
    assert raw("BF.INSERT", "new", "NOCREATE") == arr()
    assert raw("BF.INSERT", "missing", "NOCREATE") == NOT_FOUND


def test_insert_options(raw):
    assert raw("BF.INSERT", "n", "NONSCALING", "CAPACITY", "2", "ERROR", "0.001", "ITEMS", "a") == ints(1)
    assert raw("BF.INFO", "n") == info(2, size(raw, "n"), 1, 1, "0.001", None)
    # NONSCALING then EXPANSION: the last one wins, as valkey-bloom parses left to right
    assert raw("BF.INSERT", "s", "NONSCALING", "EXPANSION", "4", "ITEMS", "a") == ints(1)
    assert raw("BF.INFO", "s", "EXPANSION") == i(4)
    assert raw("BF.INSERT", "t", "TIGHTENING", "0.9", "ITEMS", "a") == ints(1)
    assert raw("BF.INFO", "t", "TIGHTENING") == bulk("0.9")
    assert raw("BF.INSERT", "seed", "SEED", "x" * 32, "ITEMS", "a") == ints(1)
    assert raw("BF.EXISTS", "seed", "a") == i(1)
    assert raw("BF.INSERT", "NOCREATE_MISSING", "NOCREATE", "ITEMS", "A", "B") == NOT_FOUND
    assert raw("EXISTS", "NOCREATE_MISSING") == i(0)


@pytest.mark.parametrize(
    "args, reply",
    [
        (["CAPACITY", "10000", "ERROR", "0.01", "EXPANSION", "0.99", "NOCREATE", "NONSCALING", "ITEMS", "a"], BAD_EXPANSION),
        (["HELLO", "WORLD"], UNKNOWN_ARGUMENT),
        (["HELLO"], UNKNOWN_ARGUMENT),
        (["error", "2", "ITEMS", "test1"], ERROR_RATE_RANGE),
        (["ERROR", "0.99999999999999999", "ITEMS", "x"], ERROR_RATE_RANGE),
        (["ERROR", "abc", "ITEMS", "x"], BAD_ERROR_RATE),
        (["CAPACITY", "4394967295x", "ITEMS", "CAP"], BAD_CAPACITY),
        (["CAPACITY", "0", "ITEMS", "CAP0"], CAPACITY_ZERO),
        (["EXPANSION", "0", "ITEMS", "EXPAN"], BAD_EXPANSION),
        (["TIGHTENING", "1", "ITEMS", "x"], TIGHTENING_RANGE),
        (["TIGHTENING", "half", "ITEMS", "x"], BAD_TIGHTENING),
        (["SEED", "short", "ITEMS", "x"], INVALID_SEED),
        (["VALIDATESCALETO", "0"], CAPACITY_ZERO),
        (["VALIDATESCALETO", "-5"], BAD_CAPACITY),
        (["NONSCALING", "VALIDATESCALETO", "100"], NONSCALING_SCALE_TO),
        (["VALIDATESCALETO", "100", "NONSCALING"], NONSCALING_SCALE_TO),
        # options are checked left to right: the first bad one answers
        (["CAPACITY", "0", "ERROR", "2", "ITEMS", "a"], CAPACITY_ZERO),
        (["ERROR", "2", "CAPACITY", "0", "ITEMS", "a"], ERROR_RATE_RANGE),
        (["BOGUS", "ERROR", "2"], UNKNOWN_ARGUMENT),
    ],
)
def test_insert_argument_errors(raw, args, reply):
    assert raw("BF.INSERT", "k", *args) == reply
    assert raw("EXISTS", "k") == i(0)


def test_insert_validatescaleto(raw):
    """The maximum a default filter reaches under the 128 MB limit: valkey-bloom's documented
    26214300 (our sub-filter sizes happen to give the same number)."""
    assert raw("BF.INSERT", "fail", "VALIDATESCALETO", "26214301") == SCALE_TO_TOO_LARGE
    assert raw("BF.INSERT", "valid", "VALIDATESCALETO", "26214300") == arr()
    assert raw("BF.INFO", "valid", "MAXSCALEDCAPACITY") == i(26214300)
    assert raw("BF.INSERT", "fp", "VALIDATESCALETO", "999999999999999999", "EXPANSION", "1", "ITEMS", "a") == SCALE_TO_FP_ZERO
    assert raw("BF.INSERT", "big", "CAPACITY", "1000", "VALIDATESCALETO", "999999999999999999", "ITEMS", "a") == SCALE_TO_TOO_LARGE
    assert raw("EXISTS", "fail", "fp", "big") == i(0)
    # checked before the key is looked at, even on an existing filter or another type
    assert raw("SET", "plain", "x") == OK
    assert raw("BF.INSERT", "plain", "VALIDATESCALETO", "26214301") == SCALE_TO_TOO_LARGE
    assert raw("BF.INSERT", "plain", "VALIDATESCALETO", "100") == WRONGTYPE


# ----------------------------------------------------------------- BF.INFO


def test_info_all_and_single_fields(raw):
    assert raw("BF.RESERVE", "s", "0.001", "1000", "EXPANSION", "3") == OK
    assert raw("BF.MADD", "s", "a", "b", "c") == ints(1, 1, 1)
    n = size(raw, "s")
    max_scaled = int(raw("BF.INFO", "s", "MAXSCALEDCAPACITY")[1:-2])
    assert raw("BF.INFO", "s") == info(1000, n, 1, 3, "0.001", 3, "0.5", max_scaled)
    for field, reply in [
        ("CAPACITY", i(1000)), ("capacity", i(1000)), ("Size", i(n)), ("FILTERS", i(1)),
        ("ITEMS", i(3)), ("ERROR", bulk("0.001")), ("EXPANSION", i(3)), ("TIGHTENING", bulk("0.5")),
        ("maxscaledcapacity", i(max_scaled)), ("bogus", INVALID_INFO), ("item", INVALID_INFO),
        ("", INVALID_INFO),
    ]:
        assert raw("BF.INFO", "s", field) == reply, field


def test_info_nonscaling(raw):
    """valkey-bloom's BF_INFO case: a NONSCALING filter has no tightening ratio or max scaled
    capacity, and its expansion is nil."""
    assert raw("BF.RESERVE", "BF_INFO", "0.50", "2000", "NONSCALING") == OK
    n = size(raw, "BF_INFO")
    assert raw("BF.INFO", "BF_INFO") == info(2000, n, 1, 0, "0.5", None)
    assert raw("BF.INFO", "BF_INFO", "CAPACITY") == i(2000)
    assert raw("BF.INFO", "BF_INFO", "FILTERS") == i(1)
    assert raw("BF.INFO", "BF_INFO", "ITEMS") == i(0)
    assert raw("BF.INFO", "BF_INFO", "EXPANSION") == NIL
    assert raw("BF.INFO", "BF_INFO", "TIGHTENING") == INVALID_INFO
    assert raw("BF.INFO", "BF_INFO", "MAXSCALEDCAPACITY") == INVALID_INFO


def test_info_errors(raw):
    assert raw("BF.INFO", "TEST404") == NOT_FOUND
    assert raw("BF.INFO", "TEST404", "bogus") == NOT_FOUND  # the key is looked at first
    assert raw("SET", "plain", "x") == OK
    assert raw("BF.INFO", "plain") == WRONGTYPE
    assert raw("BF.INFO", "plain", "bogus") == WRONGTYPE


def test_info_resp3(raw):
    assert raw("HELLO", "3").startswith(b"%")
    assert raw("BF.RESERVE", "s", "0.001", "100") == OK
    assert raw("BF.RESERVE", "n", "1e-05", "100", "NONSCALING") == OK
    assert raw("BF.INFO", "s", "ERROR") == b",0.001\r\n"
    assert raw("BF.INFO", "s", "TIGHTENING") == b",0.5\r\n"
    assert raw("BF.INFO", "n", "ERROR") == b",0.00001\r\n"
    assert raw("BF.INFO", "n", "EXPANSION") == b"_\r\n"
    full = raw("BF.INFO", "n")
    assert full.startswith(b"*12\r\n+Capacity\r\n:100\r\n+Size\r\n")
    assert full.endswith(b"+Error rate\r\n,0.00001\r\n+Expansion rate\r\n_\r\n")


def test_info_resp2_error_rate_text(raw):
    """Doubles print as Valkey prints them (shortest round-trip form)."""
    for rate, text in [("1e-05", "0.00001"), ("0.1", "0.1"), ("1E-3", "0.001"), (".25", "0.25"),
                       ("0.3333333333333333", "0.3333333333333333"), ("+0.5", "0.5")]:
        assert raw("BF.RESERVE", rate, rate, "10") == OK
        assert raw("BF.INFO", rate, "ERROR") == bulk(text), rate


# ----------------------------------------------------------------- NONSCALING and scaling


def test_nonscaling_filter_full(raw):
    """valkey-bloom's validate_nonscaling_failure: BF.ADD of a new item is refused; BF.MADD and
    BF.INSERT are refused as a whole before anything is added."""
    assert raw("BF.RESERVE", "bf_non", "0.01", "2", "NONSCALING") == OK
    assert raw("BF.ADD", "bf_non", "0") == i(1)
    assert raw("BF.ADD", "bf_non", "1") == i(1)
    assert raw("BF.ADD", "bf_non", "2") == NONSCALING_FULL
    assert raw("BF.ADD", "bf_non", "1") == i(0)  # already present: no room needed
    assert raw("BF.MADD", "bf_non", "1", "2", "2") == NONSCALING_FULL
    assert raw("BF.MADD", "bf_non", "1") == NONSCALING_FULL
    assert raw("BF.INSERT", "bf_non", "ITEMS", "1", "2", "2") == NONSCALING_FULL
    assert raw("BF.EXISTS", "bf_non", "2") == i(0)
    assert raw("BF.CARD", "bf_non") == i(2)
    # room for some but not all: nothing is added
    assert raw("BF.RESERVE", "three", "0.01", "3", "NONSCALING") == OK
    assert raw("BF.MADD", "three", "a", "b", "c", "d") == NONSCALING_FULL
    assert raw("BF.CARD", "three") == i(0)
    assert raw("BF.MADD", "three", "a", "b", "c") == ints(1, 1, 1)


def test_insert_on_a_new_key_that_cannot_hold_the_items(raw):
    """valkey-bloom stores the new (empty) filter, then answers the error."""
    assert raw("BF.INSERT", "k", "CAPACITY", "2", "NONSCALING", "ITEMS", "a", "b", "c") == NONSCALING_FULL
    assert raw("BF.CARD", "k") == i(0)
    assert raw("BF.INFO", "k", "CAPACITY") == i(2)


def test_scaling_sub_filters(raw, r):
    assert raw("BF.RESERVE", "k", "0.01", "2") == OK
    items = [f"item{n}" for n in range(40)]
    added = r.execute_command("BF.MADD", "k", *items)
    card = r.execute_command("BF.CARD", "k")
    assert card == sum(added) > 35
    filters = r.execute_command("BF.INFO", "k", "FILTERS")
    capacity = r.execute_command("BF.INFO", "k", "CAPACITY")
    assert capacity == 2 * (2**filters - 1)  # 2 + 4 + 8 + ...
    assert capacity - 2**filters < card <= capacity
    assert r.execute_command("BF.MEXISTS", "k", *items) == [1] * 40
    assert raw("BF.RESERVE", "e3", "0.01", "5", "EXPANSION", "3") == OK
    r.execute_command("BF.MADD", "e3", *items)
    assert r.execute_command("BF.INFO", "e3", "CAPACITY") == 5 + 15 + 45


def test_scaling_one_item_at_a_time_moves_the_sub_filters(raw):
    """Expansion 1, capacity 1: a sub-filter per item; descriptor slots grow 4 -> 8 -> ... -> 64."""
    assert raw("BF.RESERVE", "k", "0.01", "1", "EXPANSION", "1") == OK
    assert raw("PEXPIRE", "k", "100000") == i(1)
    added = 0
    for n in range(40):
        reply = raw("BF.ADD", "k", f"x{n}")
        assert reply in (i(0), i(1))
        added += reply == i(1)
        assert raw("BF.MEXISTS", "k", *[f"x{m}" for m in range(n + 1)]) == ints(*[1] * (n + 1))
    assert raw("BF.INFO", "k", "FILTERS") == i(added)
    assert raw("BF.CARD", "k") == i(added)
    assert 0 < int(raw("PTTL", "k")[1:-2]) <= 100000  # a rewrite keeps the TTL
    assert raw("STRLEN", "k") == raw("BF.INFO", "k", "SIZE")


def test_many_scale_outs_in_one_command(raw):
    items = [f"y{n}" for n in range(130)]
    reply = raw("BF.INSERT", "b", "CAPACITY", "1", "EXPANSION", "1", "ITEMS", *items)
    added = reply.count(b":1\r\n")
    assert added > 64  # descriptor slots 4 -> 8 -> ... -> 128
    assert reply.count(b":0\r\n") + added == 130
    assert raw("BF.INFO", "b", "FILTERS") == i(added)
    assert raw("BF.MEXISTS", "b", *items) == ints(*[1] * 130)
    assert raw("BF.RESERVE", "c", "0.001", "3") == OK
    items = [f"z{n}" for n in range(3000)]
    raw("BF.MADD", "c", *items)
    assert raw("BF.INFO", "c", "FILTERS") == i(10)
    assert raw("BF.MEXISTS", "c", *items) == ints(*[1] * 3000)


def test_false_positive_rate_reaching_zero(raw):
    """Sub-filter i gets rate x (1 - ratio) x ratio^i; past the smallest double valkey-bloom's
    check answers "false positive degrades to 0" (checked for all items before adding any)."""
    assert raw("BF.RESERVE", "k", "0.5", "1", "EXPANSION", "1") == OK
    reachable = 0
    while 0.5 * 0.5 * 0.5**reachable > 2.2250738585072014e-308:
        reachable += 1
    assert raw("BF.INFO", "k", "MAXSCALEDCAPACITY") == i(reachable)
    assert raw("BF.MADD", "k", *[f"q{n}" for n in range(reachable + 1)]) == FP_ZERO
    assert raw("BF.CARD", "k") == i(0)


def test_scale_out_beyond_the_memory_limit(raw):
    """A next sub-filter of 4294967295 items cannot fit in 128 MB: BF.ADD answers the error,
    BF.MADD adds what it can and ends its array with the error (valkey-bloom's handle_bloom_add)."""
    assert raw("BF.RESERVE", "k", "0.0001", "1", "EXPANSION", "4294967295") == OK
    assert raw("BF.INFO", "k", "MAXSCALEDCAPACITY") == i(1)
    assert raw("BF.ADD", "k", "a") == i(1)
    assert raw("BF.ADD", "k", "b") == TOO_LARGE
    assert raw("BF.MADD", "k", "a", "b", "c") == arr(i(0), TOO_LARGE)
    assert raw("BF.CARD", "k") == i(1)


def test_capacity_overflow_in_max_scaled_capacity(raw):
    """Capacity x expansion past i64: valkey-bloom's checked_mul answers "bad capacity"."""
    assert raw("BF.INSERT", "k", "ERROR", "0.9999999", "TIGHTENING", "0.0000001", "CAPACITY",
               "8589934592", "EXPANSION", "4294967295") == arr()
    assert raw("BF.INFO", "k", "CAPACITY") == i(8589934592)
    assert raw("BF.INFO", "k", "MAXSCALEDCAPACITY") == BAD_CAPACITY
    assert raw("BF.INFO", "k") == BAD_CAPACITY


# ----------------------------------------------------------------- types


def test_wrongtype_both_ways(raw):
    assert raw("SET", "plain", "x") == OK
    assert raw("SET", "empty", "") == OK
    assert raw("SET", "lookalike", b"\x00TPBLOO") == OK
    assert raw("HSET", "hash", "f", "v") == i(1)
    assert raw("RPUSH", "list", "a") == i(1)
    assert raw("EXSET", "tairstring", "v") == OK
    for key in ["plain", "empty", "lookalike", "hash", "list", "tairstring"]:
        for cmd in [
            ["BF.ADD", key, "a"], ["BF.MADD", key, "a"], ["BF.EXISTS", key, "a"],
            ["BF.MEXISTS", key, "a"], ["BF.CARD", key], ["BF.INFO", key], ["BF.INFO", key, "ITEMS"],
            ["BF.RESERVE", key, "0.01", "10"], ["BF.INSERT", key, "ITEMS", "a"],
            ["BF.INSERT", key, "NOCREATE", "ITEMS", "a"], ["TFBFADD", key, "a"],
            ["TFBFEXISTS", key, "a"], ["TFBFRESERVE", key, "0.01"],
        ]:
            assert raw(*cmd) == WRONGTYPE, cmd
    assert raw("GET", "plain") == bulk("x")
    # other families and native commands on a bloom key
    assert raw("BF.ADD", "bf", "a") == i(1)
    assert raw("EXGET", "bf") == WRONGTYPE
    assert raw("EXSET", "bf", "v") == WRONGTYPE
    assert raw("HGET", "bf", "f") == WRONGTYPE
    assert raw("LPUSH", "bf", "a") == WRONGTYPE


def test_native_string_commands_see_the_encoding(raw, direct):
    """GET on a bloom key returns its raw bytes (documented): magic, header, bit arrays."""
    assert raw("BF.RESERVE", "bf", "0.01", "100") == OK
    value = direct.get("bf")
    assert value.startswith(b"\x00TPBLOOM\x01")
    assert len(value) == int(raw("BF.INFO", "bf", "SIZE")[1:-2])
    assert raw("OBJECT", "ENCODING", "bf") == bulk("raw")


# ----------------------------------------------------------------- TFBF* aliases


def test_tfbf_aliases(raw):
    assert raw("TFBFRESERVE", "t", "0.001") == OK
    assert raw("BF.INFO", "t", "CAPACITY") == i(100)  # BF.RESERVE's default capacity
    assert raw("BF.INFO", "t", "ERROR") == bulk("0.001")
    assert raw("TFBFRESERVE", "t2", "0.02", "500") == OK
    assert raw("BF.INFO", "t2", "CAPACITY") == i(500)
    assert raw("TFBFRESERVE", "t", "0.001") == ITEM_EXISTS
    assert raw("TFBFADD", "t", "a") == i(1)
    assert raw("TFBFADD", "t", "a") == i(0)
    assert raw("TFBFMADD", "t", "a", "b") == ints(0, 1)
    assert raw("TFBFEXISTS", "t", "b") == i(1)
    assert raw("TFBFEXISTS", "t", "c") == i(0)
    assert raw("TFBFMEXISTS", "t", "a", "b", "c") == ints(1, 1, 0)
    assert raw("BF.CARD", "t") == i(2)
    assert raw("TFBFADD", "auto", "a") == i(1)  # created with the defaults, as BF.ADD
    assert raw("BF.INFO", "auto", "CAPACITY") == i(100)
    assert raw("TFBFRESERVE", "x", "2") == ERROR_RATE_RANGE
    assert raw("TFBFRESERVE", "x", "0.1", "0") == CAPACITY_ZERO
    for cmd in [["TFBFRESERVE", "x"], ["TFBFRESERVE", "x", "0.1", "10", "NONSCALING"], ["TFBFADD", "x"],
                ["TFBFMADD", "x"], ["TFBFEXISTS", "x", "a", "b"], ["TFBFMEXISTS", "x"]]:
        assert raw(*cmd) == arity(cmd[0]), cmd


# ----------------------------------------------------------------- bits per item


def test_sub_filter_sizes_are_near_optimal(raw):
    """m = ceil(-n ln p / ln2^2) bits (whole bytes); a scaling filter's first sub-filter is
    built for p x (1 - 0.5), so its rates sum to at most p."""
    n = 10000
    optimal = -math.log(0.01) / math.log(2) ** 2
    assert raw("BF.RESERVE", "non", "0.01", str(n), "NONSCALING") == OK
    assert raw("BF.RESERVE", "sc", "0.01", str(n)) == OK
    header_non, header_sc = 48 + 24, 48 + 4 * 24
    bits_non = (size(raw, "non") - header_non) * 8
    bits_sc = (size(raw, "sc") - header_sc) * 8
    assert bits_non == math.ceil(math.ceil(n * optimal) / 8) * 8
    assert bits_sc == math.ceil(math.ceil(n * -math.log(0.005) / math.log(2) ** 2) / 8) * 8
    assert bits_non / n <= 1.001 * optimal
    assert bits_sc / n <= 1.2 * optimal
