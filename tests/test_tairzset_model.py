"""TairZset against a plain Python model (tests/tairzset_model.py): thousands of random commands
on 1-, 2- and 3-dimensional keys (negative, zero, -0, fractional, huge, subnormal and infinite
scores; binary members; keys big enough for Valkey's skiplist encoding), every reply compared
byte for byte, pipelined in batches through the proxy.
"""

from __future__ import annotations

import math
import random

import pytest

from tairproxy.resp import encode_command, encode_reply
from tests.tairzset_model import Model

# (text the client sends, value the module parses it to)
SCORES = [
    ("0", 0.0), ("-0", -0.0), ("-0.0", -0.0), ("1", 1.0), ("-1", -1.0), ("0.5", 0.5), (".5", 0.5),
    ("-2.5", -2.5), ("0.1", 0.1), ("3", 3.0), ("1E2", 100.0), ("1e308", 1e308), ("-1e308", -1e308),
    ("1.7976931348623157e308", 1.7976931348623157e308), ("inf", math.inf), ("-inf", -math.inf),
    ("+inf", math.inf), ("Infinity", math.inf), ("0x1p-3", 0.125), ("-0X10", -16.0),
    ("4.9e-324", 5e-324), ("123456789.125", 123456789.125), ("9007199254740993", 9007199254740992.0),
    ("1e17", 1e17), ("-7", -7.0),
]
FINITE_SMALL = [s for s in SCORES if math.isfinite(s[1]) and abs(s[1]) < 1e300]
SMALL = [
    b"", b"a", b"ab", b"b", b"\x00", b"a\x00", b"a\x00b", b"\x00\xff", b"\xff", b"\x01", b"\x02",
    b"\x00\x01", *(b"m%02d" % i for i in range(50)),
]
# Enough members (and one longer than 64 bytes) for Valkey's skiplist encoding of the native key.
BIG = [*SMALL, b"z" * 70, *(b"big%03d" % i for i in range(250))]
LEX = [b"a", b"ab", b"m1", b"m30", b"m5", b"\x00", b"", b"\xff", b"z", b"big1"]


def _score(rng: random.Random, dims: int, pool=SCORES) -> tuple[bytes, tuple[float, ...]]:
    picks = [rng.choice(pool) for _ in range(dims)]
    return "#".join(t for t, _ in picks).encode(), tuple(v for _, v in picks)


def _bound(rng: random.Random, dims: int):
    text, value = _score(rng, dims)
    exclusive = rng.random() < 0.3
    return (b"(" if exclusive else b"") + text, value, exclusive


def _lex(rng: random.Random):
    r = rng.random()
    if r < 0.12:
        return b"-", ("-", b"")
    if r < 0.24:
        return b"+", ("+", b"")
    value = rng.choice(LEX + SMALL[:12])
    kind = rng.choice("[(")
    return kind.encode() + value, (kind, value)


def _command(rng: random.Random, model: Model, dims: int, members: list[bytes]):
    """One random command: (args, expected reply value)."""
    keys = [b"za%d" % dims, b"zb%d" % dims]
    key = rng.choice(keys)
    wrong = 1 + dims % 3  # a different dimension count, for the mismatch errors
    op = rng.random()
    if op < 0.28:
        n = rng.choice([1, 1, 1, 2, 3, 40] if rng.random() < 0.1 or members is BIG else [1, 1, 1, 2, 3])
        flags = [f for f in (b"NX", b"XX", b"CH") if rng.random() < 0.15]
        if b"NX" in flags and b"XX" in flags:
            flags.remove(b"XX")
        incr = n == 1 and rng.random() < 0.2
        d = wrong if rng.random() < 0.03 else dims
        pairs = []
        for _ in range(n):
            pool = FINITE_SMALL if incr and rng.random() < 0.7 else SCORES
            pairs.append((*_score(rng, d, pool), rng.choice(members)))
        args = [b"EXZADD", key, *flags, *([b"INCR"] if incr else [])]
        for text, _, m in pairs:
            args += [text, m]
        return args, model.exzadd(
            key, [(v, m) for _, v, m in pairs], nx=b"NX" in flags, xx=b"XX" in flags, ch=b"CH" in flags, incr=incr
        )
    if op < 0.33:
        text, value = _score(rng, dims, FINITE_SMALL)
        m = rng.choice(members)
        return [b"EXZINCRBY", key, text, m], model.exzadd(key, [(value, m)], incr=True)
    if op < 0.40:
        members = rng.sample(members, rng.choice([1, 2, 4]))
        return [b"EXZREM", key, *members], model.exzrem(key, members)
    if op < 0.44:
        m = rng.choice(members)
        return [b"EXZSCORE", key, m], model.exzscore(key, m)
    if op < 0.46:
        members = rng.sample(members, 3)
        return [b"EXZMSCORE", key, *members], model.exzmscore(key, members)
    if op < 0.52:
        m = rng.choice(members)
        rev, withscore = rng.random() < 0.5, rng.random() < 0.3
        args = [b"EXZREVRANK" if rev else b"EXZRANK", key, m, *([b"WITHSCORE"] if withscore else [])]
        return args, model.exzrank(key, m, rev, withscore)
    if op < 0.58:
        start, end = rng.randint(-8, 8), rng.choice([-1, -2, 3, 10, 100])
        rev, ws = rng.random() < 0.5, rng.random() < 0.5
        args = [b"EXZREVRANGE" if rev else b"EXZRANGE", key, b"%d" % start, b"%d" % end, *([b"WITHSCORES"] if ws else [])]
        return args, model.exzrange(key, start, end, ws, rev)
    if op < 0.66:
        d = wrong if rng.random() < 0.03 else dims
        lo_t, lo, lo_ex = _bound(rng, d)
        hi_t, hi, hi_ex = _bound(rng, d)
        rev, ws = rng.random() < 0.5, rng.random() < 0.5
        offset, count = (0, -1) if rng.random() < 0.5 else (rng.randint(-1, 4), rng.randint(-1, 5))
        name = b"EXZREVRANGEBYSCORE" if rev else b"EXZRANGEBYSCORE"
        args = [name, key, hi_t, lo_t] if rev else [name, key, lo_t, hi_t]
        if ws:
            args.append(b"WITHSCORES")
        if (offset, count) != (0, -1):
            args += [b"LIMIT", b"%d" % offset, b"%d" % count]
        return args, model.exzrangebyscore(key, lo, lo_ex, hi, hi_ex, ws, rev, offset, count)
    if op < 0.69:
        lo_t, lo, lo_ex = _bound(rng, dims)
        hi_t, hi, hi_ex = _bound(rng, dims)
        return [b"EXZCOUNT", key, lo_t, hi_t], model.exzcount(key, lo, lo_ex, hi, hi_ex)
    if op < 0.72:
        text, value = _score(rng, dims)
        rev = rng.random() < 0.5
        name = b"EXZREVRANKBYSCORE" if rev else b"EXZRANKBYSCORE"
        return [name, key, text], model.exzrankbyscore(key, value, rev)
    if op < 0.77:
        lo_t, lo = _lex(rng)
        hi_t, hi = _lex(rng)
        rev = rng.random() < 0.5
        offset, count = (0, -1) if rng.random() < 0.5 else (rng.randint(-1, 3), rng.randint(-1, 4))
        name = b"EXZREVRANGEBYLEX" if rev else b"EXZRANGEBYLEX"
        args = [name, key, hi_t, lo_t] if rev else [name, key, lo_t, hi_t]
        if (offset, count) != (0, -1):
            args += [b"LIMIT", b"%d" % offset, b"%d" % count]
        return args, model.exzrangebylex(key, lo, hi, rev, offset, count)
    if op < 0.79:
        lo_t, lo = _lex(rng)
        hi_t, hi = _lex(rng)
        return [b"EXZLEXCOUNT", key, lo_t, hi_t], model.exzlexcount(key, lo, hi)
    if op < 0.81:
        lo_t, lo = _lex(rng)
        hi_t, hi = _lex(rng)
        return [b"EXZREMRANGEBYLEX", key, lo_t, hi_t], model.exzremrangebylex(key, lo, hi)
    if op < 0.83:
        d = wrong if rng.random() < 0.05 else dims
        lo_t, lo, lo_ex = _bound(rng, d)
        hi_t, hi, hi_ex = _bound(rng, d)
        return [b"EXZREMRANGEBYSCORE", key, lo_t, hi_t], model.exzremrangebyscore(key, lo, lo_ex, hi, hi_ex)
    if op < 0.85:
        start, end = rng.randint(-6, 6), rng.randint(-6, 6)
        return [b"EXZREMRANGEBYRANK", key, b"%d" % start, b"%d" % end], model.exzremrangebyrank(key, start, end)
    if op < 0.88:
        where = rng.choice(["min", "max"])
        name = b"EXZPOPMIN" if where == "min" else b"EXZPOPMAX"
        if rng.random() < 0.5:
            return [name, key], model.exzpop(key, where)
        count = rng.randint(-1, 4)
        return [name, key, b"%d" % count], model.exzpop(key, where, count)
    if op < 0.90:
        return [b"EXZCARD", key], model.exzcard(key)
    # set operations over the two keys of this dimension (and sometimes a missing one)
    names = rng.choice([keys, keys[::-1], [keys[0]], [keys[0], keys[0]], [*keys, b"nosuch"]])
    kind = rng.choice(["union", "inter", "diff", "intercard"])
    args = []
    weights = None
    aggregate = "sum"
    if kind in ("union", "inter") and rng.random() < 0.5:
        picks = [rng.choice([("1", 1.0), ("2", 2.0), ("-1", -1.0), ("0.5", 0.5), ("0", 0.0), ("inf", math.inf)])
                 for _ in names]
        weights = [v for _, v in picks]
        args += [b"WEIGHTS", *(t.encode() for t, _ in picks)]
    if kind in ("union", "inter") and rng.random() < 0.5:
        aggregate = rng.choice(["sum", "min", "max"])
        args += [b"AGGREGATE", aggregate.upper().encode()]
    if kind == "intercard":
        limit = rng.choice([0, 0, 1, 2])
        if limit or rng.random() < 0.5:
            args += [b"LIMIT", b"%d" % limit]
        return [b"EXZINTERCARD", b"%d" % len(names), *names, *args], model.setop(kind, names, limit=limit)
    if rng.random() < 0.4:
        dest = rng.choice([b"zdst%d" % dims, keys[1]])
        name = {"union": b"EXZUNIONSTORE", "inter": b"EXZINTERSTORE", "diff": b"EXZDIFFSTORE"}[kind]
        return ([name, dest, b"%d" % len(names), *names, *args],
                model.setop(kind, names, weights, aggregate, store=dest))
    ws = rng.random() < 0.6
    if ws:
        args.append(b"WITHSCORES")
    name = {"union": b"EXZUNION", "inter": b"EXZINTER", "diff": b"EXZDIFF"}[kind]
    return [name, b"%d" % len(names), *names, *args], model.setop(kind, names, weights, aggregate, ws)


@pytest.mark.parametrize("members", [SMALL, BIG], ids=["listpack", "skiplist"])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_random_commands_match_the_model(raw, dims, members):
    rng = random.Random(20240 + dims + len(members))
    model = Model()
    done = 0
    while done < 4000:
        batch = [_command(rng, model, dims, members) for _ in range(60)]
        raw.send_raw(b"".join(encode_command(args) for args, _ in batch))
        for args, expected in batch:
            got = raw.read()
            assert got == encode_reply(expected), (repr(args), got, expected)
        done += len(batch)
    # The stored encoding matches the model too: every key's full contents with scores.
    for key in sorted(model.keys):
        assert raw(b"EXZRANGE", key, b"0", b"-1", b"WITHSCORES") == encode_reply(
            model.exzrange(key, 0, -1, withscores=True))
        assert raw(b"EXZCARD", key) == encode_reply(len(model.keys[key]))
        assert raw(b"ZCARD", key) == encode_reply(2 * len(model.keys[key]))  # no stray native member
    for key in (b"za%d" % dims, b"zb%d" % dims, b"zdst%d" % dims):
        assert raw(b"EXISTS", key) == encode_reply(int(key in model.keys))
