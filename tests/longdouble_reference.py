"""Exact model of Tair's long double handling, for checking modules/longdouble.lua.

Tair's EXINCRBYFLOAT parses with glibc strtold (plus m_string2ld's checks), adds in
x86-64 80-bit extended precision, and prints with "%.17Lf" then strips trailing
zeros. Here every step is done on fractions.Fraction: a long double is an exact
rational, rounding is "nearest, ties to even" at a 64-bit significand with the x87
exponent range (normal down to 2^-16382, subnormal down to 2^-16445).

Nothing here shares code or ideas with the Lua side beyond the rules themselves,
so agreement between the two is evidence, not tautology.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_LEN = 5120  # m_string2ld's buffer: longer input is refused
SUBNORMAL_LSB = -16445  # exponent of the smallest subnormal's only bit
OVERFLOW = 2**16384  # anything rounding to this or beyond is infinite
WHITESPACE = " \t\n\v\f\r"

_INF = re.compile(r"([+-]?)(?:inf|infinity)", re.IGNORECASE)
# The lookaheads demand at least one significand digit, as strtold does; [0-9]
# rather than \d because \d also matches non-ASCII digits.
_DEC = re.compile(r"([+-]?)(?=\.?[0-9])([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
HEX_FLOAT = re.compile(
    r"([+-]?)0[xX](?=\.?[0-9a-fA-F])([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?"
)


@dataclass(frozen=True)
class LongDouble:
    neg: bool
    mag: Fraction = Fraction(0)  # exact magnitude of a finite value
    inf: bool = False
    nan: bool = False

    @property
    def is_zero(self) -> bool:
        return not self.inf and not self.nan and self.mag == 0


NAN = LongDouble(neg=True, nan=True)  # x87's default NaN has the sign bit set


def int_of(digits: str) -> int:
    """int() of a long digit string without tripping CPython's 4300-digit guard."""
    value = 0
    for i in range(0, len(digits), 1000):
        chunk = digits[i : i + 1000]
        value = value * 10 ** len(chunk) + int(chunk)
    return value


def digits_of(n: int) -> str:
    """str() of a big non-negative int, likewise."""
    if n < 10**1000:
        return str(n)
    high, low = divmod(n, 10**1000)
    return digits_of(high) + digits_of(low).rjust(1000, "0")


def _floor_log2(x: Fraction) -> int:
    e = x.numerator.bit_length() - x.denominator.bit_length()
    return e - 1 if x < Fraction(2) ** e else e


def round_ld(neg: bool, x: Fraction) -> LongDouble:
    """The long double nearest to (-1)^neg * x (x >= 0), ties to even; may be inf or 0."""
    if x == 0:
        return LongDouble(neg)
    lsb = max(_floor_log2(x) - 63, SUBNORMAL_LSB)
    unit = Fraction(2) ** lsb
    r = round(x / unit) * unit  # Fraction.__round__ is half-to-even
    if r >= OVERFLOW:
        return LongDouble(neg, inf=True)
    return LongDouble(neg, r)


def exponent_value(text: str | None) -> int:
    """An exponent's value, clamped far past any that could still give a finite nonzero."""
    if not text:
        return 0
    sign = -1 if text[0] == "-" else 1
    body = text.lstrip("+-").lstrip("0") or "0"
    return sign * (10**9 if len(body) > 9 else int(body))


def parse(s: str) -> LongDouble | None:
    """m_string2ld: strtold, refusing what Tair refuses (None)."""
    if len(s) >= MAX_LEN:
        return None
    s = s.split("\x00", 1)[0]  # strtold reads a C string: it ends at the first NUL
    if s == "":
        return LongDouble(False)  # strtold converts nothing, leaving endptr at the end
    if s[0] in WHITESPACE:
        return None
    if m := _INF.fullmatch(s):
        return LongDouble(m.group(1) == "-", inf=True)
    if m := HEX_FLOAT.fullmatch(s):
        neg = m.group(1) == "-"
        int_part, frac = m.group(2), m.group(3) or ""
        mant = int(int_part + frac, 16)
        p2 = exponent_value(m.group(4)) - 4 * len(frac)
        if mant == 0:
            return LongDouble(neg)
        top = mant.bit_length() + p2
        if top > 16400:
            return None
        if top < -16500:
            return None
        value = Fraction(mant) * Fraction(2) ** p2
    elif m := _DEC.fullmatch(s):
        neg = m.group(1) == "-"
        int_part, frac = m.group(2), m.group(3) or ""
        digits = (int_part + frac).lstrip("0")
        if not digits:
            return LongDouble(neg)
        p10 = exponent_value(m.group(4)) - len(frac)
        # 10^(top-1) <= value < 10^top; 2^16384 ~ 1.19e4932, 2^-16446 ~ 1.8e-4951.
        top = len(digits) + p10
        if top > 4940:
            return None
        if top < -4960:
            return None
        value = Fraction(int_of(digits)) * Fraction(10) ** p10
    else:
        return None
    r = round_ld(neg, value)
    if r.inf or r.is_zero:  # ERANGE: overflow, or a nonzero input that became 0
        return None
    return r


def add(a: LongDouble, b: LongDouble) -> LongDouble:
    if a.nan or b.nan:
        return NAN
    if a.inf or b.inf:
        if a.inf and b.inf and a.neg != b.neg:
            return NAN
        return a if a.inf else b
    exact = (-a.mag if a.neg else a.mag) + (-b.mag if b.neg else b.mag)
    if exact == 0:
        # x + (-x) is +0 when rounding to nearest; only -0 + -0 stays negative.
        return LongDouble(a.neg and b.neg)
    return round_ld(exact < 0, abs(exact))


def cmp(a: LongDouble, b: LongDouble) -> int | None:
    if a.nan or b.nan:
        return None

    def key(v: LongDouble):
        if v.inf:
            return (-1 if v.neg else 1, 0)
        return (0, -v.mag if v.neg else v.mag)

    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)


def is_finite(a: LongDouble | None) -> bool:
    return a is not None and not a.inf and not a.nan


def format_ld(a: LongDouble) -> str:
    """snprintf("%.17Lf"), then trailing zeros and a trailing '.' stripped."""
    if a.nan:
        return "-nan" if a.neg else "nan"
    sign = "-" if a.neg else ""
    if a.inf:
        return sign + "inf"
    scaled = round(a.mag * 10**17)  # glibc rounds the exact binary value, ties to even
    text = digits_of(scaled).rjust(18, "0")
    whole, frac = text[:-17], text[-17:].rstrip("0")
    return sign + whole + ("." + frac if frac else "")


def exact_decimal(x: Fraction) -> str:
    """The finite decimal expansion of a dyadic rational (a long double is one)."""
    neg = x < 0
    x = abs(x)
    k = x.denominator.bit_length() - 1
    assert x.denominator == 1 << k, "not dyadic"
    scaled = x.numerator * 5**k  # x = scaled / 10^k
    text = digits_of(scaled)
    if k:
        text = text.rjust(k + 1, "0")
        text = text[:-k] + "." + text[-k:]
    return ("-" if neg else "") + text
