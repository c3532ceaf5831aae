"""TairZset score parsing and printing, checked against glibc itself (ctypes): the module parses
each score with strtod (m_string2d's rules) and prints it with %.17g (m_d2string), '#' between
dimensions."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import math
import random
import struct

import pytest

from tairproxy.modules.tairzset import order_bytes, parse_double, parse_score, successor
from tests.tairzset_replies import MIN_MAX_FLOAT, NOT_VALID, bulk, i

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.strtod.restype = ctypes.c_double
libc.strtod.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
libc.snprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_double]


def m_string2d(text: bytes) -> float | None:
    """The module's m_string2d over glibc strtod (the text as its own C string)."""
    if not text or text[:1].isspace() or b"\x00" in text:
        return None
    buf = ctypes.create_string_buffer(text)
    end = ctypes.c_char_p()
    ctypes.set_errno(0)
    value = libc.strtod(buf, ctypes.byref(end))
    consumed = ctypes.cast(end, ctypes.c_void_p).value - ctypes.addressof(buf)
    if consumed != len(text) or math.isnan(value):
        return None
    if ctypes.get_errno() == errno.ERANGE and (math.isinf(value) or value == 0):
        return None
    return value


def c_format(value: float) -> bytes:
    buf = ctypes.create_string_buffer(64)
    libc.snprintf(buf, 64, b"%.17g", value)
    return buf.value


EDGE_TEXTS = [
    b"0", b"-0", b"+0", b"0.0", b"-0.0", b"00", b"1", b"-1", b"+1", b".5", b"5.", b"-.5", b"1e5", b"1E+05", b"1e-5",
    b"1e", b"1e+", b"e5", b".", b"-", b"+", b"", b" 1", b"1 ", b"\t1", b"1\x00", b"1_0", b"0x10", b"0X1p3",
    b"0x1.8p1", b"-0x.8", b"0x", b"0x.p1", b"0x1p", b"0xg", b"inf", b"-inf", b"+inf", b"INF", b"Infinity",
    b"-infinity", b"infin", b"nan", b"NaN", b"-nan", b"nan(1)", b"1e308", b"1e309", b"-1e309", b"1.7976931348623157e308",
    b"1.7976931348623159e308", b"4.9e-324", b"2.5e-324", b"2.4e-324", b"1e-400", b"0e-400", b"0x1p-1074",
    b"0x1p-1080", b"0x1p1024", b"0x0p9999", b"123456789012345678901234567890", b"0.1", b"1,5", b"1.5.2", b"--1",
    b"0x1P-3", b"1e0000000000000000000001", b"1e-99999999999999999999", b"0.000000000000000000000000000000001e-300",
]


@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_parse_double_is_m_string2d(text):
    expected = m_string2d(text)
    got = parse_double(text)
    if expected is None:
        assert got is None
    else:
        assert got is not None and struct.pack(">d", got) == struct.pack(">d", expected)


def test_parse_double_random_texts_match_strtod():
    rng = random.Random(5)
    alphabet = b"0123456789+-.eExXpPabcfinty "
    for _ in range(20000):
        text = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        expected, got = m_string2d(text), parse_double(text)
        assert (got is None) == (expected is None), text
        if got is not None:
            assert struct.pack(">d", got) == struct.pack(">d", expected), text
    for _ in range(5000):
        value = struct.unpack(">d", rng.randbytes(8))[0]
        if math.isnan(value):
            continue
        for text in (repr(value).encode(), b"%.17g" % value, value.hex().encode(), b"%.3e" % value):
            expected, got = m_string2d(text), parse_double(text)
            assert (got is None) == (expected is None), text
            if got is not None:
                assert struct.pack(">d", got) == struct.pack(">d", expected), text


def test_parse_score_dimensions():
    assert parse_score(b"1#2#3") == struct.pack(">3d", 1, 2, 3)
    for bad in (b"", b"#", b"#1", b"1#", b"1##2", b"1#x", b"1#nan", b"1# 2"):
        assert parse_score(bad) is None
    assert parse_score(b"#".join([b"1"] * 255)) is not None
    assert parse_score(b"#".join([b"1"] * 256)) is None


def test_order_encoding_sorts_like_the_numbers():
    rng = random.Random(9)
    values = [0.0, -0.0, 5e-324, -5e-324, 1.0, -1.0, math.inf, -math.inf, 1e308, -1e308, 0.1, -0.1]
    values += [struct.unpack(">d", rng.randbytes(8))[0] for _ in range(2000)]
    values = [v for v in values if not math.isnan(v)]
    for _ in range(4000):
        a, b = rng.choice(values), rng.choice(values)
        ea, eb = order_bytes(struct.pack(">d", a)), order_bytes(struct.pack(">d", b))
        assert (ea < eb) == (a < b) and (ea == eb) == (a == b)
        assert successor(ea) > ea and len(successor(ea)) == 8
    assert order_bytes(struct.pack(">d", -0.0)) == order_bytes(struct.pack(">d", 0.0))


PRINTED = [0.1, -0.1, 1.0, -0.0, 0.0, 1e17, 1e16, 123456789.0, 2.0**53, 2.0**53 + 2, 4503599627370495.0,
           4503599627370496.5, 1.5e300, 5e-324, -2.2250738585072014e-308, math.inf, -math.inf, 1 / 3, 100.0,
           1e-5, 123.456, 9007199254740993.0]


def test_scores_print_as_the_module(raw):
    for n, value in enumerate(PRINTED):
        text = b"%.17g" % value
        assert text == c_format(value)
        assert raw("EXZADD", "z", value.hex() if math.isfinite(value) else text, b"m%d" % n) == i(1)
        assert raw("EXZSCORE", "z", b"m%d" % n) == bulk(text)
    assert raw("EXZSCORE", "z", "m3") == bulk("-0")
    assert raw("EXZADD", "z2", "0.1#-0#inf", "a") == i(1)
    assert raw("EXZSCORE", "z2", "a") == bulk("0.10000000000000001#-0#inf")


def test_scores_are_parsed_before_the_key_is_looked_at(raw):
    raw("SET", "s", "x")
    for bad in (b"1e309", b"nan", b" 1", b"1 ", b"0x", b"1e-400", b"abc", b"1#", b"#1", b"1##1", b""):
        assert raw("EXZADD", "s", bad, "m") == NOT_VALID, bad
        assert raw("EXZRANGEBYSCORE", "s", bad, "1") == MIN_MAX_FLOAT, bad
    assert raw("EXZADD", "z", "0x1p-1074", "m") == i(1)
    assert raw("EXZSCORE", "z", "m") == bulk("4.9406564584124654e-324")
    assert raw("EXZADD", "z", "-Infinity#+INF", "n") == NOT_VALID  # dimension differs from the key's
