"""EXINCRBYFLOAT output, byte for byte: x86-64 80-bit long double arithmetic printed with
"%.17Lf" and trailing zeros stripped (research notes §5; modules/longdouble.lua).

The reference model below is the arithmetic the notes prescribe: round the exact
decimal to a 64-bit significand (nearest-even), add exactly and round once, print
the exact binary value rounded half-even to 17 decimals, strip zeros and the point.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from tests.tairstring_replies import NIL, OK, OVERFLOW, STALE, SYNTAX, bulk, exget, i

K = "exstringkey"


def round_ld(x: Fraction) -> Fraction:
    """Nearest-even 80-bit extended value (normal range) of an exact rational."""
    if x == 0:
        return x
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    elif Fraction(2) ** (e + 1) <= a:
        e += 1
    scaled = a * Fraction(2) ** (63 - e)  # in [2^63, 2^64)
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r > scaled.denominator or (2 * r == scaled.denominator and q & 1):
        q += 1
    out = Fraction(q) / Fraction(2) ** (63 - e)
    return out if x > 0 else -out


def parse_ld(text: str) -> Fraction:
    return round_ld(Fraction(Decimal(text)))


def format_ld(x: Fraction, negative_zero: bool = False) -> str:
    """snprintf("%.17Lf") of the exact value (ties to even), then Tair's human-friendly strip."""
    a = abs(x)
    scaled = a * 10**17
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r > scaled.denominator or (2 * r == scaled.denominator and q & 1):
        q += 1
    digits = str(q).rjust(18, "0")
    text = digits[:-17] + "." + digits[-17:]
    text = text.rstrip("0").rstrip(".")
    return ("-" if x < 0 or negative_zero else "") + text


def test_reference_model_matches_the_notes():
    # examples given verbatim in the research notes and the product spec
    assert format_ld(round_ld(parse_ld("1000") + parse_ld("0.1"))) == "1000.09999999999999998"
    assert format_ld(round_ld(Fraction(2) ** -18)) == "0.00000381469726562"
    assert format_ld(parse_ld("1e20")) == "100000000000000000000"
    assert format_ld(Fraction(0), negative_zero=True) == "-0"


@pytest.mark.parametrize(
    ("start", "incr", "expected"),
    [
        ("1000", "0.1", "1000.09999999999999998"),
        ("0", "3", "3"),
        ("0", "0.5", "0.5"),
        ("0", "1e20", "100000000000000000000"),
        ("0", "0x1p-18", "0.00000381469726562"),
        ("-0", "-0.0", "-0"),
        ("0", "-0.0", "0"),
        ("108.123", "-1", "107.123"),
        ("1.1", "2.2", "3.3"),
        ("0", "1e-18", "0"),
        ("0", "-1e-18", "-0"),
        ("0", "+.5", "0.5"),
        ("0", "5.", "5"),
        ("0", "1E2", "100"),
        ("0", "0X1.8P1", "3"),
    ],
)
def test_documented_results(raw, start, incr, expected):
    assert raw("EXSET", K, start) == OK
    assert raw("EXINCRBYFLOAT", K, incr) == bulk(expected)
    assert raw("EXGET", K) == exget(expected, 2)


def test_accumulation_matches_reference(raw):
    increments = [
        "0.1", "0.2", "0.3", "-0.6", "1e-5", "123456.789", "-3.3", "1e18", "-1e18", "0.333333333333333333333",
        "2.5e-10", "-7", "99999999.99999999", "0.000001", "-0.1", "1.0000000000000000001", "42", "-1e-17",
    ]
    current = "0"
    version = 0
    for incr in increments:
        expected = format_ld(round_ld(parse_ld(current) + parse_ld(incr)))
        reply = raw("EXINCRBYFLOAT", K, incr)
        version += 1
        assert reply == bulk(expected), (current, incr)
        current = expected
    assert raw("EXGET", K) == exget(current, version)


def test_tcl_exincrbyfloat_ver_abs(raw):
    assert raw("EXINCRBYFLOAT", K, "10.1", "VER", "-1") == SYNTAX
    assert raw("EXISTS", K) == i(0)
    assert raw("EXINCRBYFLOAT", K, "10.1", "VER", "1") == bulk("10.1")
    assert raw("EXINCRBYFLOAT", K, "10.1", "VER", "1") == bulk("20.2")
    assert raw("EXINCRBYFLOAT", K, "10.1", "VER", "1") == STALE
    assert raw("EXINCRBYFLOAT", K, "10.1", "VER", "2") == bulk("30.3")
    assert raw("DEL", K) == i(1)
    assert raw("EXINCRBYFLOAT", K, "10.1", "ABS", "101") == bulk("10.1")
    assert raw("EXGET", K) == exget("10.1", 101)
    assert raw("EXINCRBYFLOAT", K, "-3", "ABS", "10") == bulk("7.1")
    assert raw("EXGET", K) == exget("7.1", 10)


def test_tcl_exincrbyfloat_with_boundary(raw):
    assert raw("EXINCRBYFLOAT", K, "108.123") == bulk("108.123")
    assert raw("EXGET", K) == exget("108.123", 1)
    assert raw("EXINCRBYFLOAT", K, "-1") == bulk("107.123")
    assert raw("EXGET", K) == exget("107.123", 2)


def test_bounds_compare_long_doubles(raw):
    """MIN/MAX compare the unrounded long double sum, not its printed text."""
    over = round_ld(parse_ld("1.1") + parse_ld("0.2"))
    under = round_ld(parse_ld("3.3") + parse_ld("0.1"))
    # the model's claims the server must agree with: 1.1+0.2 > ld(1.3), 3.3+0.1 < ld(3.4)
    assert over > parse_ld("1.3") and format_ld(over) == "1.3"
    assert under < parse_ld("3.4") and format_ld(under) == "3.4"
    assert raw("EXSET", K, "1.1") == OK
    assert raw("EXINCRBYFLOAT", K, "0.2", "MAX", "1.3") == OVERFLOW
    assert raw("EXINCRBYFLOAT", K, "0.2", "MIN", "1.3") == bulk("1.3")
    assert raw("EXSET", K, "3.3") == OK
    assert raw("EXINCRBYFLOAT", K, "0.1", "MIN", "3.4") == OVERFLOW
    assert raw("EXINCRBYFLOAT", K, "0.1", "MAX", "3.4", "XX") == bulk("3.4")
    assert raw("EXINCRBYFLOAT", "missing", "1", "XX") == NIL


# strtold reads a C string: the modules' float arguments (and stored values) end at a NUL.


def test_float_arguments_end_at_a_nul(raw):
    assert raw("EXSET", "e", "5") == b"+OK\r\n"
    assert raw("EXINCRBYFLOAT", "e", b"1\x00junk") == b"$1\r\n6\r\n"
    assert raw("EXINCRBYFLOAT", "e", b"\x00") == b"$1\r\n6\r\n"  # an empty C string is 0
    assert raw("EXINCRBYFLOAT", "e", "1", "MAX", b"6\x00x") == b"-ERR increment or decrement would overflow\r\n"
    assert raw("EXINCRBYFLOAT", "e", "-1", "MIN", b"1\x00") == b"$1\r\n5\r\n"
    assert raw("EXSET", "f", b"2.5\x00abc") == b"+OK\r\n"
    assert raw("EXINCRBYFLOAT", "f", "1") == b"$3\r\n3.5\r\n"
    assert raw("EXINCRBYFLOAT", "e", b"x\x001") == b"-ERR value is not a float\r\n"
    assert raw("EXHINCRBYFLOAT", "h", "f", b"1\x00") == b"$1\r\n1\r\n"
    assert raw("EXHINCRBYFLOAT", "h", "f", b"1\x00x") == b"$1\r\n2\r\n"
    assert raw("EXHSET", "h", "g", b"0.5\x00!") == b":1\r\n"
    assert raw("EXHINCRBYFLOAT", "h", "g", "1") == b"$3\r\n1.5\r\n"
