"""TairZset: sorted sets with multi-dimensional scores `s1#s2#...#sN` (EXZADD, EXZRANGE, ...).

The truth is tair-opensource/TairZset (src/tairzset.c, dep/skiplist.c, dep/util.c,
tests/tairzset*.tcl, CMDDOC.md). Each handler checks arguments in the module's order:
errors Tair reports before opening the key are raised here; errors it reports after its
type check travel to Lua as the first argument ("deferred") so WRONGTYPE still wins.

Scores are parsed here exactly as the module's mscoreParse/m_string2d do (libc strtod:
decimal, hex, inf/infinity; no NaN, no overflow, no underflow to zero; 1..255 components)
and travel to Lua as raw big-endian IEEE doubles, 8 bytes per component. Score bounds
travel already translated to native ZRANGEBYLEX bounds over the ORDER members described at
the top of tairzset.lua.
"""

from __future__ import annotations

import math
import re
import struct

from tairproxy.dispatch import Call, Calls, Command, CommandError, split_call, wrong_arity
from tairproxy.modules import errors
from tairproxy.modules.args import parse_double, parse_int64, parse_valkey_double

LUA_FILE = "tairzset.lua"
# The module this family stands in for, as its RedisModule_Init registers it (MODULE LIST, INFO).
EMULATES = ("tairzset", 1)

NOT_VALID = "ERR score is not a valid format"
NX_AND_XX = "ERR XX and NX options at the same time are not compatible"
INCR_PAIR = "ERR INCR option supports a single increment-element pair"
MIN_MAX_FLOAT = "ERR min or max is not a float"
LEX_RANGE = "ERR min or max not valid string range item"
OUT_OF_RANGE = "ERR value is out of range"
INVALID_CURSOR = "ERR invalid cursor"
AT_LEAST_ONE_KEY = "ERR at least 1 input key is needed"
WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
TIMEOUT_NOT_FLOAT = "ERR timeout is not an float or out of range"  # sic
TIMEOUT_NEGATIVE = "ERR timeout is negative"

MAX_SCORE_NUM = 255
MAX_RANDOM_REPEATS = 1_000_000  # EXZRANDMEMBER key -count: our cap (the module has none)
ULONG_MAX = (1 << 64) - 1

# Prefix byte of the ORDER members (see tairzset.lua).
ORDER = b"\x01"
_DOUBLE = struct.Struct(">d")

# --------------------------------------------------------------------------- score parsing


def parse_score(raw: bytes) -> bytes | None:
    """mscoreParse: 'a#b#c' -> raw big-endian doubles (8 bytes each), None when invalid."""
    if b"#" not in raw:
        value = parse_double(raw)
        return None if value is None else _DOUBLE.pack(value)
    if raw[:1] == b"#" or raw[-1:] == b"#":
        return None
    parts = raw.split(b"#")
    if len(parts) > MAX_SCORE_NUM:
        return None
    out = []
    for part in parts:
        value = parse_double(part)
        if value is None:
            return None
        out.append(_DOUBLE.pack(value))
    return b"".join(out)


def order_bytes(packed: bytes) -> bytes:
    """Order-preserving encoding of a score tuple: memcmp order = Tair's mscoreCmp order
    (componentwise, -0 == 0). Mirrors enc() in tairzset.lua."""
    out = []
    for i in range(0, len(packed), 8):
        (bits,) = struct.unpack_from(">Q", packed, i)
        if bits == 1 << 63:  # -0 sorts (and compares) as +0
            bits = 0
        bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | 1 << 63
        out.append(struct.pack(">Q", bits))
    return b"".join(out)


def successor(encoded: bytes) -> bytes:
    """The next byte string of the same length: the first tuple above `encoded`."""
    n = int.from_bytes(encoded, "big") + 1
    return n.to_bytes(len(encoded), "big")


def _score_bounds(low: bytes, high: bytes) -> tuple[bytes, bytes, bytes, bytes] | None:
    """m_zslParseRange -> (min dims, max dims, native lex min, native lex max) over ORDER members."""
    parsed = []
    for raw in (low, high):
        exclusive = raw[:1] == b"("
        packed = parse_score(raw[1:] if exclusive else raw)
        if packed is None:
            return None
        parsed.append((order_bytes(packed), exclusive, b"%d" % (len(packed) // 8)))
    (lo, lo_ex, lo_dims), (hi, hi_ex, hi_dims) = parsed
    lex_min = b"[" + ORDER + (successor(lo) if lo_ex else lo)
    lex_max = b"(" + ORDER + (hi if hi_ex else successor(hi))
    return lo_dims, hi_dims, lex_min, lex_max


def _lex_item(item: bytes) -> bytes | None:
    """m_zslParseLexRangeItem: '[' / '(' and a member, or '-' / '+' alone (as a C string: a NUL
    may follow)."""
    if item[:1] in (b"[", b"("):
        return item
    if item[:1] in (b"-", b"+") and item[1:2] in (b"", b"\x00"):
        return item[:1]
    return None


def _lex_bounds(low: bytes, high: bytes) -> tuple[bytes, bytes] | None:
    """Both items, or None when either is not one. They travel as given ('-' / '+' alone); Lua
    turns them into native bounds once it knows the key's scores."""
    lo, hi = _lex_item(low), _lex_item(high)
    if lo is None or hi is None:
        return None
    return lo, hi


# --------------------------------------------------------------------------- helpers


def _is(arg: bytes, word: bytes) -> bool:
    """mstringcasecmp: same length, case-insensitive."""
    return arg.lower() == word


def _long(raw: bytes, message: str) -> int:
    n = parse_int64(raw)
    if n is None:
        raise CommandError(message)
    return n


def _flag(on: bool) -> bytes:
    return b"1" if on else b"0"


# --------------------------------------------------------------------------- EXZADD / EXZINCRBY


# Members per call of a split EXZADD: Lua and the two native entries per member cost ~8 µs,
# so a part holds Valkey ~65 ms instead of 0.8 s for 100 000 members. Parts run one after the
# other, in order, each seeing what the parts before it wrote, so every member ends as the whole
# command would leave it and the counts add up; other clients may run between two parts (as
# between two commands). A transaction runs it whole (dispatch.Calls).
SPLIT_MEMBERS = 8192


def sum_counts(parts: list[bytes]) -> bytes:
    """The parts' integer replies as one; a part that failed as a whole fails the command."""
    for part in parts:
        if part[:1] != b":":
            return part
    return b":%d\r\n" % sum(int(p[1:-2]) for p in parts)


def _zadd(args: list[bytes], incr: bool) -> Call | Calls:
    nx = xx = ch = False
    i = 2
    while i < len(args):
        word = args[i].lower()
        if word == b"nx":
            nx = True
        elif word == b"xx":
            xx = True
        elif word == b"ch":
            ch = True
        elif word == b"incr":
            incr = True
        else:
            break
        i += 1
    rest = args[i:]
    if not rest or len(rest) % 2:
        raise CommandError(errors.SYNTAX)
    if nx and xx:
        raise CommandError(NX_AND_XX)
    if incr and len(rest) > 2:
        raise CommandError(INCR_PAIR)
    elements: list[bytes] = []
    dims = 0
    for j in range(0, len(rest), 2):
        packed = parse_score(rest[j])
        if packed is None or (dims and len(packed) // 8 != dims):
            raise CommandError(NOT_VALID)
        dims = len(packed) // 8
        elements += (packed, rest[j + 1], order_bytes(packed), _lookup_score(packed))
    nxxx = b"NX" if nx else b"XX" if xx else b""
    whole = Call("tp_exzadd", [args[1]], [nxxx, _flag(incr), _flag(ch), b"%d" % dims, *elements])
    return split_call(whole, 4, 4 * SPLIT_MEMBERS, sum_counts)  # four arguments per member


def _lookup_score(packed: bytes) -> bytes:
    """The native score of a one-score element's LOOKUP member (any text that parses back to
    the same double); '' for a score tuple, whose LOOKUP member carries the raw doubles."""
    if len(packed) != 8:
        return b""
    (value,) = _DOUBLE.unpack(packed)
    return repr(value).encode() if value else b"0"


def exzadd(args: list[bytes]) -> Call | Calls:
    return _zadd(args, incr=False)


def exzincrby(args: list[bytes]) -> Call:
    return _zadd(args, incr=True)


# --------------------------------------------------------------------------- reads


def exzscore(args: list[bytes]) -> Call:
    return Call("tp_exzscore", [args[1]], [args[2]], readonly=True)


def exzmscore(args: list[bytes]) -> Call:
    return Call("tp_exzmscore", [args[1]], args[2:], readonly=True)


def exzcard(args: list[bytes]) -> Call:
    return Call("tp_exzcard", [args[1]], [], readonly=True)


def _exzrange(rev: bool):
    def handler(args: list[bytes]) -> Call:
        start = _long(args[2], OUT_OF_RANGE)
        end = _long(args[3], OUT_OF_RANGE)
        withscores = len(args) == 5 and _is(args[4], b"withscores")
        if len(args) >= 5 and not withscores:
            raise CommandError(errors.SYNTAX)
        return Call(
            "tp_exzrange", [args[1]], [b"%d" % start, b"%d" % end, _flag(withscores), _flag(rev)],
            readonly=True,
        )

    return handler


def _range_options(args: list[bytes], allow_withscores: bool) -> tuple[bool, bytes, bytes]:
    """The WITHSCORES / LIMIT offset count loop of the by-score and by-lex ranges."""
    withscores, offset, count = False, b"0", b"-1"
    pos = 4
    while pos < len(args):
        remaining = len(args) - pos
        if allow_withscores and _is(args[pos], b"withscores"):
            withscores = True
            pos += 1
        elif remaining >= 3 and _is(args[pos], b"limit"):
            offset = b"%d" % _long(args[pos + 1], OUT_OF_RANGE)
            count = b"%d" % _long(args[pos + 2], OUT_OF_RANGE)
            pos += 3
        else:
            raise CommandError(errors.SYNTAX)
    return withscores, offset, count


def _exzrangebyscore(rev: bool):
    def handler(args: list[bytes]) -> Call:
        low, high = (args[3], args[2]) if rev else (args[2], args[3])
        bounds = _score_bounds(low, high)
        if bounds is None:
            raise CommandError(MIN_MAX_FLOAT)
        withscores, offset, count = _range_options(args, True)
        lo_dims, hi_dims, lex_min, lex_max = bounds
        return Call(
            "tp_exzrangebyscore", [args[1]],
            [lo_dims, hi_dims, lex_min, lex_max, _flag(withscores), _flag(rev), offset, count],
            readonly=True,
        )

    return handler


def _exzrangebylex(rev: bool):
    def handler(args: list[bytes]) -> Call:
        low, high = (args[3], args[2]) if rev else (args[2], args[3])
        bounds = _lex_bounds(low, high)
        if bounds is None:
            raise CommandError(LEX_RANGE)
        _, offset, count = _range_options(args, False)
        return Call("tp_exzrangebylex", [args[1]], [*bounds, _flag(rev), offset, count], readonly=True)

    return handler


def exzcount(args: list[bytes]) -> Call:
    bounds = _score_bounds(args[2], args[3])
    if bounds is None:
        raise CommandError(MIN_MAX_FLOAT)
    return Call("tp_exzcount", [args[1]], list(bounds), readonly=True)


def exzlexcount(args: list[bytes]) -> Call:
    bounds = _lex_bounds(args[2], args[3])
    if bounds is None:
        raise CommandError(LEX_RANGE)
    return Call("tp_exzlexcount", [args[1]], list(bounds), readonly=True)


def _exzrank(rev: bool):
    def handler(args: list[bytes]) -> Call:
        if len(args) > 4:
            raise CommandError(wrong_arity(args[0].decode(errors="replace")).decode())
        # The module reads the WITHSCORE word only once it knows the key exists.
        word = b"" if len(args) < 4 else b"1" if _is(args[3], b"withscore") else b"bad"
        return Call("tp_exzrank", [args[1]], [args[2], _flag(rev), word], readonly=True)

    return handler


def _exzrankbyscore(rev: bool):
    def handler(args: list[bytes]) -> Call:
        packed = parse_score(args[2])
        # Tair answers nil for a score it cannot parse (after its type check).
        if packed is None:
            return Call("tp_exzrankbyscore", [args[1]], [b"0", b"0", b"", _flag(rev)], readonly=True)
        bound = b"(" + ORDER + order_bytes(packed)
        return Call(
            "tp_exzrankbyscore", [args[1]], [b"1", b"%d" % (len(packed) // 8), bound, _flag(rev)],
            readonly=True,
        )

    return handler


def exzrandmember(args: list[bytes]) -> Call:
    # Tair checks the type first; every argument error comes after it.
    deferred, count, withscores, too_many = "", b"", False, ""
    if len(args) >= 3:
        n = parse_int64(args[2])
        if n is None:
            deferred = errors.NOT_INTEGER
        elif len(args) > 4 or (len(args) == 4 and not _is(args[3], b"withscores")):
            deferred = errors.SYNTAX
        else:
            count, withscores = b"%d" % n, len(args) == 4
            if n < -MAX_RANDOM_REPEATS:
                # Tair would build the whole reply (at -2^63 its -count overflows and it crashes);
                # this many would exhaust the server's memory first. A missing key still answers [].
                count, too_many = b"0", OUT_OF_RANGE
    return Call(
        "tp_exzrandmember", [args[1]], [deferred.encode(), count, _flag(withscores), too_many.encode()],
        readonly=True,
    )


def _strtoul(raw: bytes) -> int | None:
    """Tair's EXZSCAN cursor: strtoul(s, &end, 10) must stop at the C string's end (so '' is 0,
    '-1' wraps around, leading zeros and '+' are fine), no leading space, no ERANGE."""
    text = raw.split(b"\x00", 1)[0]
    if not text:
        return 0
    m = re.fullmatch(rb"([+-]?)([0-9]+)", text)
    if m is None:
        return None
    n = int(m.group(2))
    if n > ULONG_MAX:
        return None
    return (-n) % (1 << 64) if m.group(1) == b"-" else n


def exzscan(args: list[bytes]) -> Call:
    cursor = _strtoul(args[2])
    if cursor is None:
        raise CommandError(INVALID_CURSOR)
    deferred, count, pattern, use_pattern = "", 10, b"", False
    i = 3
    try:
        while i < len(args):
            remaining = len(args) - i
            if _is(args[i], b"count") and remaining >= 2:
                n = parse_int64(args[i + 1])
                if n is None:
                    raise CommandError(errors.NOT_INTEGER)
                if n < 1:
                    raise CommandError(errors.SYNTAX)
                count = n
                i += 2
            elif _is(args[i], b"match") and remaining >= 2:
                pattern = args[i + 1]
                use_pattern = pattern != b"*"
                i += 2
            else:
                raise CommandError(errors.SYNTAX)
    except CommandError as exc:
        deferred = exc.message
    return Call(
        "tp_exzscan", [args[1]],
        [deferred.encode(), b"%d" % cursor, b"%d" % min(count, 1 << 40), _flag(use_pattern), pattern,
         b"%d" % (cursor % (1 << 32))],
        readonly=True,
    )


# --------------------------------------------------------------------------- removals


def exzrem(args: list[bytes]) -> Call:
    return Call("tp_exzrem", [args[1]], args[2:])


def exzremrangebyscore(args: list[bytes]) -> Call:
    bounds = _score_bounds(args[2], args[3])
    if bounds is None:
        raise CommandError(MIN_MAX_FLOAT)
    return Call("tp_exzremrangebyscore", [args[1]], list(bounds))


def exzremrangebyrank(args: list[bytes]) -> Call:
    start = _long(args[2], OUT_OF_RANGE)
    end = _long(args[3], OUT_OF_RANGE)
    return Call("tp_exzremrangebyrank", [args[1]], [b"%d" % start, b"%d" % end])


def exzremrangebylex(args: list[bytes]) -> Call:
    bounds = _lex_bounds(args[2], args[3])
    if bounds is None:
        raise CommandError(LEX_RANGE)
    return Call("tp_exzremrangebylex", [args[1]], list(bounds))


def _exzpop(where: bytes):
    def handler(args: list[bytes]) -> Call:
        if len(args) > 3:
            raise CommandError(wrong_arity(args[0].decode(errors="replace")).decode())
        count = b"1"
        if len(args) == 3:
            n = parse_int64(args[2])
            if n is None or n < 0:
                raise CommandError(errors.NOT_INTEGER)
            count = b"%d" % n
        return Call("tp_exzpop", [args[1]], [where, count])

    return handler


def _exbzpop(where: bytes):
    def handler(args: list[bytes]) -> Call:
        seconds = parse_valkey_double(args[-1])
        if seconds is None:
            raise CommandError(TIMEOUT_NOT_FLOAT)
        # (long long)(seconds * 1000.0): truncation toward zero; x86-64 turns an infinite or
        # out-of-range product into INT64_MIN, which the module then calls negative.
        ms = seconds * 1000.0
        if not -(2.0**63) <= ms < 2.0**63 or math.trunc(ms) < 0:
            raise CommandError(TIMEOUT_NEGATIVE)
        return Call("tp_exbzpop", args[1:-1], [where], block=math.trunc(ms) / 1000)

    return handler


# --------------------------------------------------------------------------- set operations


def _setop(op: bytes, store: bool):
    """EXZUNION/EXZINTER/EXZDIFF[STORE] and EXZINTERCARD (exZunionInterDiffGenericCommand)."""
    card = op == b"intercard"
    numkeys_at = 2 if store else 1

    def handler(args: list[bytes]) -> Call:
        if not store:
            return checked(args)
        try:
            return checked(args)
        except CommandError as exc:
            # The module opened the destination for writing before reading numkeys.
            return Call("tp_raise_written", [args[1]], [exc.message.encode()])

    def checked(args: list[bytes]) -> Call:
        setnum = _long(args[numkeys_at], errors.NOT_INTEGER)
        if setnum < 1:
            raise CommandError(AT_LEAST_ONE_KEY)
        if setnum > len(args) - numkeys_at - 1:
            raise CommandError(errors.SYNTAX)
        first = numkeys_at + 1
        sources = args[first : first + setnum]
        # Options are read after every source's type check: their errors are deferred.
        deferred, aggregate, withscores, limit = "", b"sum", False, b"0"
        weights: list[bytes] = []
        j = first + setnum
        try:
            while j < len(args):
                remaining = len(args) - j
                if op in (b"union", b"inter") and remaining >= setnum + 1 and _is(args[j], b"weights"):
                    weights = []
                    for w in args[j + 1 : j + 1 + setnum]:
                        value = parse_valkey_double(w)
                        if value is None:
                            raise CommandError(WEIGHT_NOT_FLOAT)
                        weights.append(_DOUBLE.pack(value))
                    j += setnum + 1
                elif op in (b"union", b"inter") and remaining >= 2 and _is(args[j], b"aggregate"):
                    word = args[j + 1].lower()
                    if word not in (b"sum", b"min", b"max"):
                        raise CommandError(errors.SYNTAX)
                    aggregate = word
                    j += 2
                elif card and remaining >= 2 and _is(args[j], b"limit"):
                    n = parse_int64(args[j + 1])
                    if n is None or n < 0:
                        raise CommandError(LIMIT_NEGATIVE)
                    limit = b"%d" % n
                    j += 2
                elif not store and not card and remaining >= 1 and _is(args[j], b"withscores"):
                    withscores = True
                    j += 1
                else:
                    raise CommandError(errors.SYNTAX)
        except CommandError as exc:
            deferred = exc.message
        keys = [args[1], *sources] if store else list(sources)
        return Call(
            "tp_exzsetop" if store else "tp_exzsetop_ro", keys,
            [deferred.encode(), b"inter" if card else op, _flag(store), aggregate, _flag(withscores),
             _flag(card), limit, *weights],
            readonly=not store,
        )

    return handler


def _numkeys(args: list[bytes], at: int) -> list[bytes]:
    """The keys after a numkeys argument at ``at``; none when numkeys is not a count."""
    try:
        n = int(args[at])
    except (ValueError, IndexError):
        return []
    return args[at + 1 : at + 1 + n] if n > 0 else []


def _store_keys(args: list[bytes]) -> list[bytes]:
    return [args[1], *_numkeys(args, 2)]


def _source_keys(args: list[bytes]) -> list[bytes]:
    return _numkeys(args, 1)


def _ro(name: str, arity: int, handler, **kw) -> Command:
    return Command(name, arity, handler, readonly=True, **kw)


COMMANDS = [
    Command("EXZADD", -4, exzadd),
    Command("EXZINCRBY", 4, exzincrby),
    Command("EXZREM", -3, exzrem),
    Command("EXZREMRANGEBYSCORE", 4, exzremrangebyscore),
    Command("EXZREMRANGEBYRANK", 4, exzremrangebyrank),
    Command("EXZREMRANGEBYLEX", 4, exzremrangebylex),
    Command("EXZPOPMIN", -2, _exzpop(b"min")),
    Command("EXZPOPMAX", -2, _exzpop(b"max")),
    Command("EXBZPOPMIN", -3, _exbzpop(b"min"), last_key=-2),
    Command("EXBZPOPMAX", -3, _exbzpop(b"max"), last_key=-2),
    # The module registers every command with key positions 1,1,1, numkeys commands included;
    # we mark these movablekeys so cluster clients route them by their real keys.
    Command("EXZUNIONSTORE", -4, _setop(b"union", True), key_finder=_store_keys),
    Command("EXZINTERSTORE", -4, _setop(b"inter", True), key_finder=_store_keys),
    Command("EXZDIFFSTORE", -4, _setop(b"diff", True), key_finder=_store_keys),
    _ro("EXZSCORE", 3, exzscore),
    _ro("EXZMSCORE", -3, exzmscore),
    _ro("EXZRANGE", -4, _exzrange(False)),
    _ro("EXZREVRANGE", -4, _exzrange(True)),
    _ro("EXZRANGEBYSCORE", -4, _exzrangebyscore(False)),
    _ro("EXZREVRANGEBYSCORE", -4, _exzrangebyscore(True)),
    _ro("EXZRANGEBYLEX", -4, _exzrangebylex(False)),
    _ro("EXZREVRANGEBYLEX", -4, _exzrangebylex(True)),
    _ro("EXZCARD", 2, exzcard),
    _ro("EXZRANK", -3, _exzrank(False)),
    _ro("EXZREVRANK", -3, _exzrank(True)),
    _ro("EXZRANKBYSCORE", 3, _exzrankbyscore(False)),
    _ro("EXZREVRANKBYSCORE", 3, _exzrankbyscore(True)),
    _ro("EXZCOUNT", 4, exzcount),
    _ro("EXZLEXCOUNT", 4, exzlexcount),
    _ro("EXZRANDMEMBER", -2, exzrandmember),
    _ro("EXZSCAN", -3, exzscan),
    _ro("EXZUNION", -3, _setop(b"union", False), key_finder=_source_keys),
    _ro("EXZINTER", -3, _setop(b"inter", False), key_finder=_source_keys),
    _ro("EXZINTERCARD", -3, _setop(b"intercard", False), key_finder=_source_keys),
    _ro("EXZDIFF", -3, _setop(b"diff", False), key_finder=_source_keys),
]
