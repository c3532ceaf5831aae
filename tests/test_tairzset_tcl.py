"""The module's own Tcl suites (tair-opensource/TairZset tests/tairzset.tcl and the EXBZPOP* suite),
ported assertion by assertion, through the proxy with redis-py."""

from __future__ import annotations

import random
import threading
import time

import pytest
import redis
from redis.exceptions import ResponseError

from tairproxy.embedded import EmbeddedValkey
from tairproxy.resp import encode_command
from tests.helpers import ProxyThread, RawClient


@pytest.fixture
def z(r):
    def call(*args):
        return r.execute_command(*args)

    return call


def create(z, key, items):
    z("DEL", key)
    for score, member in zip(items[::2], items[1::2], strict=True):
        z("EXZADD", key, score, member)


def default_tairzset(z):
    create(z, "tairzsetkey", ["-inf", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", "+inf", "g"])


def L(*items):
    return [x.encode() if isinstance(x, str) else x for x in items]


def err(z, *args) -> str:
    with pytest.raises(ResponseError) as e:
        z(*args)
    return str(e.value)


def test_exzadd_basic_and_multi_score(z):
    assert z("EXZADD", "tairzsetkey", 10, "x", 20, "y", 30, "z") == 3
    assert z("EXZCARD", "tairzsetkey") == 3
    z("DEL", "tairzsetkey")
    assert z("EXZADD", "tairzsetkey", "1#1", "x", "2#2", "y", "3#3", "z") == 3
    assert z("EXZCARD", "tairzsetkey") == 3
    for bad in (["1#1", "x", "2#2#", "y"], ["1#1", "x", "#2#2", "y"], ["1#1", "x", "2#x", "y"], ["1", "x", "2#2", "y"]):
        assert "score is not a valid format" in err(z, "EXZADD", "tairzsetkey", *bad, "3#3", "z")


def test_exzrange_use_schema_score(z):
    assert z("EXZADD", "tairzsetkey", "1#1", "x", "2#2", "y", "3#3", "z") == 3
    assert z("EXZRANGE", "tairzsetkey", 0, -1) == L("x", "y", "z")
    assert z("EXZRANGE", "tairzsetkey", 0, -1, "withscores") == L("x", "1#1", "y", "2#2", "z", "3#3")
    z("EXZADD", "tairzsetkey", "1#3", "x", "2#2", "y", "3#1", "z")
    assert z("EXZRANGE", "tairzsetkey", 0, -1, "withscores") == L("x", "1#3", "y", "2#2", "z", "3#1")
    z("EXZADD", "tairzsetkey", "1#3", "x", "1#2", "y", "1#1", "z")
    assert z("EXZRANGE", "tairzsetkey", 0, -1, "withscores") == L("z", "1#1", "y", "1#2", "x", "1#3")


def test_exzrank_exzrevrank_basics_and_after_deletion(z):
    for k in ("tairzsetkey", "zranktmp"):
        z("EXZADD", k, 10, "x")
        z("EXZADD", k, 20, "y")
        z("EXZADD", k, 30, "z")
        assert [z("EXZRANK", k, m) for m in "xyz"] == [0, 1, 2]
        assert z("EXZRANK", k, "foo") is None
        assert [z("EXZREVRANK", k, m) for m in "xyz"] == [2, 1, 0]
        assert z("EXZREVRANK", k, "foo") is None
        z("EXZREM", k, "y")
        assert z("EXZRANK", k, "x") == 0
        assert z("EXZRANK", k, "z") == 1


def test_exzrankbyscore_basics(z):
    for score, member in ((10, "x"), (20, "y"), (30, "z")):
        z("EXZADD", "tairzsetkey", score, member)
    assert [z("EXZRANKBYSCORE", "tairzsetkey", s) for s in (-1, 0, 10, 15, 20, 30)] == [0, 0, 0, 1, 1, 2]
    assert [z("EXZREVRANKBYSCORE", "tairzsetkey", s) for s in (0, 25, 30, 31)] == [3, 1, 1, 0]


def test_exzincrby(z):
    z("EXZINCRBY", "zset", 1, "foo")
    assert z("EXZRANGE", "zset", 0, -1) == L("foo")
    assert z("EXZSCORE", "zset", "foo") == b"1"
    z("EXZINCRBY", "zset", 2, "foo")
    z("EXZINCRBY", "zset", 1, "bar")
    assert z("EXZRANGE", "zset", 0, -1) == L("bar", "foo")
    z("EXZINCRBY", "zset", 10, "bar")
    z("EXZINCRBY", "zset", -5, "foo")
    z("EXZINCRBY", "zset", -5, "bar")
    assert z("EXZRANGE", "zset", 0, -1) == L("foo", "bar")
    assert z("EXZSCORE", "zset", "foo") == b"-2"
    assert z("EXZSCORE", "zset", "bar") == b"6"
    assert float(z("EXZINCRBY", "ztmp", "1.0", "x")) == 1.0


def test_exzincrby_multi_score(z):
    k = "tairzsetkey"
    assert [z("EXZINCRBY", k, s, "foo") for s in ("1#1", "1#1", "1#0", "0#1", "0#0")] == L(
        "1#1", "2#2", "3#2", "3#3", "3#3")
    assert "score is not a valid format" in err(z, "EXZINCRBY", k, "1#1#1", "foo")
    z("DEL", k)
    assert [z("EXZINCRBY", k, s, "foo") for s in ("1#1#0", "1#1#0", "0#0#1")] == L("1#1#0", "2#2#0", "2#2#1")


def test_exzadd_updates_and_nan(z):
    for score, member in ((10, "x"), (20, "y"), (30, "z")):
        z("EXZADD", "ztmp", score, member)
    assert z("EXZRANGE", "ztmp", 0, -1) == L("x", "y", "z")
    z("EXZADD", "ztmp", 1, "y")
    assert z("EXZRANGE", "ztmp", 0, -1) == L("y", "x", "z")
    assert "score is not a valid format" in err(z, "EXZADD", "myzset", "nan", "abc")


def test_exzadd_options(z):
    assert err(z, "EXZADD", "ztmp", "xx", 10, "x", 20).startswith("syntax error")
    assert z("EXZADD", "ztmp", "xx", 10, "x") == 0
    assert z("TYPE", "ztmp") == b"none"
    z("EXZADD", "ztmp", 10, "x")
    assert z("EXZADD", "ztmp", "xx", 20, "y") == 0
    assert z("EXZCARD", "ztmp") == 1
    z("DEL", "ztmp")
    z("EXZADD", "ztmp", 10, "x")
    assert z("EXZADD", "ztmp", 10, "x", 20, "y", 30, "z") == 2
    z("DEL", "ztmp")
    z("EXZADD", "ztmp", 10, "x", 20, "y", 30, "z")
    z("EXZADD", "ztmp", "xx", 5, "foo", 11, "x", 21, "y", 40, "zap")
    assert z("EXZCARD", "ztmp") == 3
    assert z("EXZSCORE", "ztmp", "x") == b"11" and z("EXZSCORE", "ztmp", "y") == b"21"
    assert "compatible" in err(z, "EXZADD", "ztmp", "xx", "nx", 10, "x")
    z("DEL", "ztmp")
    z("EXZADD", "ztmp", "nx", 10, "x", 20, "y", 30, "z")
    assert z("EXZCARD", "ztmp") == 3
    assert z("EXZADD", "ztmp", "nx", 11, "x", 21, "y", 100, "a", 200, "b") == 2
    assert [z("EXZSCORE", "ztmp", m) for m in "xyab"] == L("10", "20", "100", "200")
    z("DEL", "ztmp")
    z("EXZADD", "ztmp", 10, "x", 20, "y", 30, "z")
    z("EXZADD", "ztmp", "INCR", 15, "x")
    assert z("EXZSCORE", "ztmp", "x") == b"25"
    assert "single increment-element pair" in err(z, "EXZADD", "ztmp", "INCR", 15, "x", 10, "y")
    z("DEL", "ztmp")
    z("EXZADD", "ztmp", 10, "x", 20, "y", 30, "z")
    assert z("EXZADD", "ztmp", 11, "x", 21, "y", 30, "z") == 0
    assert z("EXZADD", "ztmp", "ch", 12, "x", 22, "y", 30, "z") == 2


def test_exzincrby_nan_and_variadic(z):
    z("EXZINCRBY", "myzset", "+inf", "abc")
    assert "NaN" in err(z, "EXZINCRBY", "myzset", "-inf", "abc")
    z("DEL", "myzset")
    assert z("EXZADD", "myzset", 10, "a", 20, "b", 30, "c") == 3
    assert z("EXZRANGE", "myzset", 0, -1, "withscores") == L("a", "10", "b", "20", "c", "30")
    assert z("EXZADD", "myzset", 5, "x", 20, "b", 30, "c") == 1
    assert z("EXZRANGE", "myzset", 0, -1, "withscores") == L("x", "5", "a", "10", "b", "20", "c", "30")
    z("DEL", "myzset")
    assert "ERR score is not a valid format" in "ERR " + err(z, "EXZADD", "myzset", 10, "a", 20, "b", "30.badscore", "c")
    assert z("EXISTS", "myzset") == 0
    assert "syntax" in err(z, "EXZADD", "myzset", 10, "a", 20, "b", 30, "c", 40)
    assert "wrong number of arg" in err(z, "EXZINCRBY", "myzset", 10, "a", 20, "b", 30, "c")


def test_exzcard_and_exzrem(z):
    z("EXZADD", "ztmp", 10, "a", 20, "b", 30, "c")
    assert z("EXZCARD", "ztmp") == 3
    assert z("EXZCARD", "zdoesntexist") == 0
    z("DEL", "ztmp")
    z("EXZADD", "ztmp", 10, "x")
    z("EXZADD", "ztmp", 20, "y")
    assert z("EXISTS", "ztmp") == 1
    assert [z("EXZREM", "ztmp", m) for m in "zyx"] == [0, 1, 1]
    assert z("EXISTS", "ztmp") == 0
    z("EXZADD", "ztmp", 10, "a", 20, "b", 30, "c")
    assert z("EXZREM", "ztmp", "x", "y", "a", "b", "k") == 2
    assert z("EXZREM", "ztmp", "foo", "bar") == 0
    assert z("EXZREM", "ztmp", "c") == 1
    assert z("EXISTS", "ztmp") == 0
    z("EXZADD", "ztmp", 10, "a", 20, "b", 30, "c")
    assert z("EXZREM", "ztmp", *"abcdefg") == 3


def test_exzrange_exzrevrange_basics(z):
    for score, m in ((1, "a"), (2, "b"), (3, "c"), (4, "d")):
        z("EXZADD", "ztmp", score, m)
    cases = [
        ((0, -1), "abcd"), ((0, -2), "abc"), ((1, -1), "bcd"), ((1, -2), "bc"), ((-2, -1), "cd"), ((-2, -2), "c"),
        ((-5, 2), "abc"), ((-5, 1), "ab"), ((5, -1), ""), ((5, -2), ""), ((0, 5), "abcd"), ((1, 5), "bcd"),
        ((0, -5), ""), ((1, -5), ""),
    ]
    for (s, e), expected in cases:
        assert z("EXZRANGE", "ztmp", s, e) == L(*expected)
    rev = [
        ((0, -1), "dcba"), ((0, -2), "dcb"), ((1, -1), "cba"), ((1, -2), "cb"), ((-2, -1), "ba"), ((-2, -2), "b"),
        ((-5, 2), "dcb"), ((-5, 1), "dc"), ((5, -1), ""), ((5, -2), ""), ((0, 5), "dcba"), ((1, 5), "cba"),
        ((0, -5), ""), ((1, -5), ""),
    ]
    for (s, e), expected in rev:
        assert z("EXZREVRANGE", "ztmp", s, e) == L(*expected)
    assert z("EXZRANGE", "ztmp", 0, -1, "withscores") == L("a", "1", "b", "2", "c", "3", "d", "4")
    assert z("EXZREVRANGE", "ztmp", 0, -1, "withscores") == L("d", "4", "c", "3", "b", "2", "a", "1")


def test_exzrangebyscore_exzrevrangebyscore_exzcount_basics(z):
    default_tairzset(z)
    k = "tairzsetkey"
    assert z("EXZRANGEBYSCORE", k, "-inf", 2) == L(*"abc")
    assert z("EXZRANGEBYSCORE", k, 0, 3) == L(*"bcd")
    assert z("EXZRANGEBYSCORE", k, 3, 6) == L(*"def")
    assert z("EXZRANGEBYSCORE", k, 4, "+inf") == L(*"efg")
    assert z("EXZREVRANGEBYSCORE", k, 2, "-inf") == L(*"cba")
    assert z("EXZREVRANGEBYSCORE", k, 3, 0) == L(*"dcb")
    assert z("EXZREVRANGEBYSCORE", k, 6, 3) == L(*"fed")
    assert z("EXZREVRANGEBYSCORE", k, "+inf", 4) == L(*"gfe")
    assert z("EXZCOUNT", k, 0, 3) == 3
    assert z("EXZRANGEBYSCORE", k, "(-inf", "(2") == L("b")
    assert z("EXZRANGEBYSCORE", k, "(0", "(3") == L("b", "c")
    assert z("EXZRANGEBYSCORE", k, "(3", "(6") == L("e", "f")
    assert z("EXZRANGEBYSCORE", k, "(4", "(+inf") == L("f")
    assert z("EXZREVRANGEBYSCORE", k, "(2", "(-inf") == L("b")
    assert z("EXZREVRANGEBYSCORE", k, "(3", "(0") == L("c", "b")
    assert z("EXZREVRANGEBYSCORE", k, "(6", "(3") == L("f", "e")
    assert z("EXZREVRANGEBYSCORE", k, "(+inf", "(4") == L("f")
    assert z("EXZCOUNT", k, "(0", "(3") == 2
    z("EXZREM", k, "a")
    z("EXZREM", k, "g")
    for lo, hi in ((4, 2), (6, "+inf"), ("-inf", -6), ("(4", "(2"), (2, "(2"), ("(2", 2), ("(6", "(+inf"),
                   ("(-inf", "(-6"), (2.4, 2.6), ("(2.4", 2.6), (2.4, "(2.6"), ("(2.4", "(2.6")):
        assert z("EXZRANGEBYSCORE", k, lo, hi) == []
    for hi, lo in (("+inf", 6), (-6, "-inf"), ("(+inf", "(6"), ("(-6", "(-inf")):
        assert z("EXZREVRANGEBYSCORE", k, hi, lo) == []


def test_exzrangebyscore_withscores_and_limit(z):
    default_tairzset(z)
    k = "tairzsetkey"
    assert z("EXZRANGEBYSCORE", k, 0, 3, "withscores") == L("b", "1", "c", "2", "d", "3")
    assert z("EXZREVRANGEBYSCORE", k, 3, 0, "withscores") == L("d", "3", "c", "2", "b", "1")
    assert z("EXZRANGEBYSCORE", k, 0, 10, "LIMIT", 0, 2) == L("b", "c")
    assert z("EXZRANGEBYSCORE", k, 0, 10, "LIMIT", 2, 3) == L(*"def")
    assert z("EXZRANGEBYSCORE", k, 0, 10, "LIMIT", 2, 10) == L(*"def")
    assert z("EXZRANGEBYSCORE", k, 0, 10, "LIMIT", 20, 10) == []
    assert z("EXZREVRANGEBYSCORE", k, 10, 0, "LIMIT", 0, 2) == L("f", "e")
    assert z("EXZREVRANGEBYSCORE", k, 10, 0, "LIMIT", 2, 3) == L(*"dcb")
    assert z("EXZREVRANGEBYSCORE", k, 10, 0, "LIMIT", 2, 10) == L(*"dcb")
    assert z("EXZREVRANGEBYSCORE", k, 10, 0, "LIMIT", 20, 10) == []
    assert z("EXZRANGEBYSCORE", k, 2, 5, "LIMIT", 2, 3, "WITHSCORES") == L("e", "4", "f", "5")
    assert z("EXZREVRANGEBYSCORE", k, 5, 2, "LIMIT", 2, 3, "WITHSCORES") == L("d", "3", "c", "2")
    assert z("EXZRANGEBYSCORE", k, 2, 5, "LIMIT", 12, 13, "WITHSCORES") == []


def test_exzrangebyscore_non_value_min_or_max(z):
    for lo, hi in (("str", 1), (1, "str"), (1, "NaN")):
        assert "not a float" in err(z, "EXZRANGEBYSCORE", "fooz", lo, hi)
        assert "not a float" in err(z, "EXZREMRANGEBYSCORE", "fooz", lo, hi)


def test_aof_rewrite_and_restart_keep_the_key(tmp_path):
    """The Tcl test's BGREWRITEAOF + DEBUG LOADAOF and BGSAVE + DEBUG RELOAD, as real restarts of a
    server of our own (DEBUG is disabled on the shared one)."""
    server = EmbeddedValkey(tmp_path)
    server.start()
    try:
        for persist in ("BGREWRITEAOF", "SAVE"):
            proxy = ProxyThread(server.url).start()
            try:
                c = RawClient(proxy.port)
                c("DEL", "tairzsetkey")
                c.send_raw(b"".join(encode_command([b"EXZADD", b"tairzsetkey", b"%d" % j, b"%d" % j])
                                    for j in range(1000)))
                for _ in range(1000):
                    c.read()
                assert c("EXZCARD", "tairzsetkey") == b":1000\r\n"
                c(persist)
                while b"aof_rewrite_in_progress:1" in c("INFO", "persistence"):
                    time.sleep(0.05)
                c.close()
            finally:
                proxy.stop()
            server.stop()
            server.start()
            proxy = ProxyThread(server.url).start()
            try:
                c = RawClient(proxy.port)
                assert c("EXZCARD", "tairzsetkey") == b":1000\r\n"
                assert c("EXZRANGE", "tairzsetkey", 998, -1, "WITHSCORES") == (
                    b"*4\r\n$3\r\n998\r\n$3\r\n998\r\n$3\r\n999\r\n$3\r\n999\r\n")
                assert c("TYPE", "tairzsetkey") == b"+tairzset_\r\n"
                c.close()
            finally:
                proxy.stop()
    finally:
        server.stop()


def test_exzrangebyscore_fuzzy(z):
    rng = random.Random(7)
    for i in range(128):
        z("EXZADD", "zset", repr(rng.random()), i)
    for _ in range(100):
        lo, hi = sorted((rng.random(), rng.random()))
        lo_s, hi_s = repr(lo), repr(hi)
        checks = [
            ("-inf", lo_s, -1, lo, False, True), (lo_s, hi_s, lo, hi, True, True), (hi_s, "+inf", hi, 2, True, True),
            ("-inf", "(" + lo_s, -1, lo, True, False), ("(" + lo_s, "(" + hi_s, lo, hi, False, False),
            ("(" + hi_s, "+inf", hi, 2, False, True),
        ]
        for a, b, low, high, low_in, high_in in checks:
            got = z("EXZRANGEBYSCORE", "zset", a, b)
            assert z("EXZCOUNT", "zset", a, b) == len(got)
            for s in map(float, z("EXZMSCORE", "zset", *got) if got else []):
                assert (low < s or (low_in and s == low)) and (s < high or (high_in and s == high))


def test_exzremrangebyscore_basics(z):
    def remrange(lo, hi):
        create(z, "zset", [1, "a", 2, "b", 3, "c", 4, "d", 5, "e"])
        assert z("EXISTS", "zset") == 1
        return z("EXZREMRANGEBYSCORE", "zset", lo, hi)

    cases = [
        ((2, 4), 3, "ae"), ((-10, 1), 1, "bcde"), ((5, 10), 1, "abcd"), ((4, 2), 0, "abcde"), (("-inf", 3), 3, "de"),
        ((3, "+inf"), 3, "ab"), (("-inf", "+inf"), 5, ""), (("(1", 5), 4, "a"), (("(2", 5), 3, "ab"),
        ((1, "(5"), 4, "e"), ((1, "(4"), 3, "de"), (("(1", "(5"), 3, "ae"),
    ]
    for (lo, hi), removed, left in cases:
        assert remrange(lo, hi) == removed
        assert z("EXZRANGE", "zset", 0, -1) == L(*left)
    assert remrange(1, 5) == 5
    assert z("EXISTS", "zset") == 0


def test_exzremrangebyrank_basics(z):
    def remrange(s, e):
        create(z, "zset", [1, "a", 2, "b", 3, "c", 4, "d", 5, "e"])
        assert z("EXISTS", "zset") == 1
        return z("EXZREMRANGEBYRANK", "zset", s, e)

    for (s, e), removed, left in (((1, 3), 3, "ae"), ((-10, 0), 1, "bcde"), ((10, -1), 0, "abcde"),
                                  ((0, -10), 0, "abcde"), ((0, 10), 5, "")):
        assert remrange(s, e) == removed
        assert z("EXZRANGE", "zset", 0, -1) == L(*left)
    assert remrange(0, 4) == 5
    assert z("EXISTS", "zset") == 0


@pytest.mark.parametrize("integers", [False, True])
def test_sorting_stresser(z, integers):
    rng = random.Random(11 + integers)
    aux = {}
    for i in range(128):
        score = rng.randrange(10) if integers else rng.random()
        aux[i] = score
        z("EXZADD", "myzset", repr(score), i)
        if rng.random() < 0.2:
            j = rng.randrange(1000)
            score = rng.randrange(10) if integers else rng.random()
            aux[j] = score
            z("EXZADD", "myzset", repr(score), j)
    expected = [str(m).encode() for m, _ in sorted(aux.items(), key=lambda kv: (kv[1], str(kv[0])))]
    assert z("EXZRANGE", "myzset", 0, -1) == expected


def default_lex(z):
    create(z, "zset", [0, "alpha", 0, "bar", 0, "cool", 0, "down", 0, "elephant", 0, "foo", 0, "great",
                       0, "hill", 0, "omega"])


def test_exzrangebylex_basics(z):
    default_lex(z)
    assert z("EXZRANGEBYLEX", "zset", "-", "[cool") == L("alpha", "bar", "cool")
    assert z("EXZRANGEBYLEX", "zset", "[bar", "[down") == L("bar", "cool", "down")
    assert z("EXZRANGEBYLEX", "zset", "[g", "+") == L("great", "hill", "omega")
    assert z("EXZREVRANGEBYLEX", "zset", "[cool", "-") == L("cool", "bar", "alpha")
    assert z("EXZREVRANGEBYLEX", "zset", "[down", "[bar") == L("down", "cool", "bar")
    assert z("EXZREVRANGEBYLEX", "zset", "+", "[d") == L("omega", "hill", "great", "foo", "elephant", "down")
    assert z("EXZLEXCOUNT", "zset", "[ele", "[h") == 3
    assert z("EXZRANGEBYLEX", "zset", "-", "(cool") == L("alpha", "bar")
    assert z("EXZRANGEBYLEX", "zset", "(bar", "(down") == L("cool")
    assert z("EXZRANGEBYLEX", "zset", "(great", "+") == L("hill", "omega")
    assert z("EXZREVRANGEBYLEX", "zset", "(cool", "-") == L("bar", "alpha")
    assert z("EXZREVRANGEBYLEX", "zset", "(down", "(bar") == L("cool")
    assert z("EXZREVRANGEBYLEX", "zset", "+", "(great") == L("omega", "hill")
    assert z("EXZLEXCOUNT", "zset", "(ele", "(great") == 2
    assert z("EXZRANGEBYLEX", "zset", "(az", "(b") == []
    assert z("EXZRANGEBYLEX", "zset", "(z", "+") == []
    assert z("EXZRANGEBYLEX", "zset", "-", "[aaaa") == []
    assert z("EXZREVRANGEBYLEX", "zset", "[elez", "[elex") == []
    assert z("EXZREVRANGEBYLEX", "zset", "(hill", "(omega") == []


def test_exzlexcount_advanced(z):
    default_lex(z)
    cases = [("-", "+", 9), ("+", "-", 0), ("+", "[c", 0), ("[c", "-", 0), ("[bar", "+", 8), ("[bar", "[foo", 5),
             ("[bar", "(foo", 4), ("(bar", "[foo", 4), ("(bar", "(foo", 3), ("-", "(foo", 5), ("(maxstring", "+", 1)]
    for lo, hi, n in cases:
        assert z("EXZLEXCOUNT", "zset", lo, hi) == n


def test_exzrangebylex_with_limit(z):
    default_lex(z)
    assert z("EXZRANGEBYLEX", "zset", "-", "[cool", "LIMIT", 0, 2) == L("alpha", "bar")
    assert z("EXZRANGEBYLEX", "zset", "-", "[cool", "LIMIT", 1, 2) == L("bar", "cool")
    assert z("EXZRANGEBYLEX", "zset", "[bar", "[down", "LIMIT", 0, 0) == []
    assert z("EXZRANGEBYLEX", "zset", "[bar", "[down", "LIMIT", 2, 0) == []
    assert z("EXZRANGEBYLEX", "zset", "[bar", "[down", "LIMIT", 0, 1) == L("bar")
    assert z("EXZRANGEBYLEX", "zset", "[bar", "[down", "LIMIT", 1, 1) == L("cool")
    assert z("EXZRANGEBYLEX", "zset", "[bar", "[down", "LIMIT", 0, 100) == L("bar", "cool", "down")
    assert z("EXZREVRANGEBYLEX", "zset", "+", "[d", "LIMIT", 0, 5) == L("omega", "hill", "great", "foo", "elephant")
    assert z("EXZREVRANGEBYLEX", "zset", "+", "[d", "LIMIT", 0, 4) == L("omega", "hill", "great", "foo")


def test_exzrangebylex_invalid_specifiers(z):
    for lo, hi in (("foo", "bar"), ("[foo", "bar"), ("foo", "[bar"), ("+x", "[bar"), ("-x", "[bar")):
        assert "not valid string range item" in err(z, "EXZRANGEBYLEX", "fooz", lo, hi)


def test_exzmscore(z):
    z("EXZADD", "exzmscoretest", 10, "x")
    z("EXZADD", "exzmscoretest", 20, "y")
    assert z("EXZMSCORE", "exzmscoretest", "x", "y") == L("10", "20")
    z("DEL", "exzmscoretest")
    z("EXZADD", "exzmscoretest", "10#20", "x")
    z("EXZADD", "exzmscoretest", "20#30", "y")
    assert z("EXZMSCORE", "exzmscoretest", "x", "y") == L("10#20", "20#30")
    z("DEL", "exzmscoretest")
    assert z("EXZMSCORE", "exzmscoretest", "x", "y") == [None, None]
    z("EXZADD", "exzmscoretest", 10, "x")
    assert z("EXZMSCORE", "exzmscoretest", "x", "y") == [b"10", None]
    z("DEL", "exzmscoretest")
    z("EXZADD", "exzmscoretest", "10#1.1", "x")
    assert z("EXZMSCORE", "exzmscoretest", "x", "y") == [b"10#1.1000000000000001", None]
    z("DEL", "exzmscoretest")
    z("EXZADD", "exzmscoretest", "10#20#30#40", "x")
    z("EXZADD", "exzmscoretest", "20#10#50#60", "y")
    assert z("EXZMSCORE", "exzmscoretest", "x") == L("10#20#30#40")
    assert z("EXZMSCORE", "exzmscoretest", "y") == L("20#10#50#60")
    z("DEL", "exzmscoretest")
    z("ZADD", "exzmscoretest", 10, "x")
    assert "wrong number of arg" in err(z, "EXZMSCORE", "exzmscoretest")


def test_exzrandmember_errors_and_empty(z, raw):
    assert "syntax" in err(z, "EXZRANDMEMBER", "myzset", 1, "other", "args")
    assert "syntax" in err(z, "EXZRANDMEMBER", "myzset", 1, "withscores", "other")
    assert "syntax" in err(z, "EXZRANDMEMBER", "myzset", 1, "other")
    assert "not an integer" in err(z, "EXZRANDMEMBER", "myzset", "1.1")
    assert "not an integer" in err(z, "EXZRANDMEMBER", "myzset", "not-int")
    assert z("EXZRANDMEMBER", "myzset", 0) == []
    assert z("EXZRANDMEMBER", "nonexisting_key", 100) == []
    z("EXZADD", "myzset", "1#2", "member")
    assert raw("EXZRANDMEMBER", "myzset", 0) == b"*0\r\n"
    assert raw("EXZRANDMEMBER", "nonexisting_key", 100) == b"*0\r\n"


def test_exzrandmember_without_count(z):
    create(z, "myzset", ["1#2#3", "a", "2#3#4", "b", "3#4#5", "c"])
    seen = {z("EXZRANDMEMBER", "myzset") for _ in range(100)}
    assert seen == {b"a", b"b", b"c"}


def test_exzrandmember_with_count(z):
    contents = ["1#1.1", "a", "2#2.2", "b", "3#3.3", "c", "4#4.4", "d", "5#5.5", "e", "6#6.6", "f", "7#7.7", "g",
                "7#7.8", "h", "9#9.9", "i", "10#10.1", "j"]
    create(z, "myzset", contents)
    flat = z("EXZRANGE", "myzset", 0, -1, "withscores")
    mydict = dict(zip(flat[::2], flat[1::2], strict=True))
    for count in (-20, -1001):
        res = z("EXZRANDMEMBER", "myzset", count)
        assert len(res) == -count and set(res) <= set(mydict)
        res = z("EXZRANDMEMBER", "myzset", count, "withscores")
        assert len(res) == -2 * count
        assert all(mydict[m] == s for m, s in zip(res[::2], res[1::2], strict=True))
    # uniform enough: every member shows up among 1000 picks, none wildly over-represented
    res = z("EXZRANDMEMBER", "myzset", -1000)
    counts = {m: res.count(m) for m in mydict}
    assert min(counts.values()) > 40 and max(counts.values()) < 180
    for size in (10, 20):
        res = z("EXZRANDMEMBER", "myzset", size)
        assert sorted(res) == sorted(mydict)
        res = z("EXZRANDMEMBER", "myzset", size, "withscores")
        assert dict(zip(res[::2], res[1::2], strict=True)) == mydict
    for size in (1, 2, 8):
        seen = set()
        for n in range(1000 // size):
            ws = n % 2 == 0
            res = z("EXZRANDMEMBER", "myzset", size, *(["withscores"] if ws else []))
            members = res[::2] if ws else res
            assert len(res) == size * (2 if ws else 1) and len(set(members)) == size
            if ws:
                assert all(mydict[m] == s for m, s in zip(res[::2], res[1::2], strict=True))
            seen |= set(members)
        assert seen == set(mydict)


# ---------------------------------------------------------------- the EXBZPOP* suite


def _deferred(proxy) -> redis.Redis:
    return redis.Redis(port=proxy.port)


def test_exbzpop_with_a_single_existing_sorted_set(z):
    create(z, "zset", [0, "a", 1, "b", 2, "c"])
    assert z("EXBZPOPMIN", "zset", 5) == L("zset", "a", "0")
    assert z("EXBZPOPMIN", "zset", 5) == L("zset", "b", "1")
    assert z("EXBZPOPMAX", "zset", 5) == L("zset", "c", "2")
    assert z("EXISTS", "zset") == 0


def test_exbzpop_with_multiple_existing_sorted_sets(z):
    create(z, "z1", [0, "a", 1, "b", 2, "c"])
    create(z, "z2", [3, "d", 4, "e", 5, "f"])
    assert z("EXBZPOPMIN", "z1", "z2", 5) == L("z1", "a", "0")
    assert z("EXBZPOPMAX", "z1", "z2", 5) == L("z1", "c", "2")
    assert z("EXZCARD", "z1") == 1 and z("EXZCARD", "z2") == 3
    assert z("EXBZPOPMAX", "z2", "z1", 5) == L("z2", "f", "5")
    assert z("EXBZPOPMIN", "z2", "z1", 5) == L("z2", "d", "3")
    assert z("EXZCARD", "z1") == 1 and z("EXZCARD", "z2") == 1


def test_exbzpop_second_sorted_set_has_members(z):
    z("DEL", "z1")
    create(z, "z2", [3, "d", 4, "e", 5, "f"])
    assert z("EXBZPOPMAX", "z1", "z2", 5) == L("z2", "f", "5")
    assert z("EXBZPOPMIN", "z2", "z1", 5) == L("z2", "d", "3")
    assert z("EXZCARD", "z1") == 0 and z("EXZCARD", "z2") == 1


def _pop_later(proxy, *args):
    """Run a blocking pop on its own connection; returns (thread, result list)."""
    out: list = []

    def run():
        out.append(_deferred(proxy).execute_command(*args))

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.1)
    return t, out


def test_exbzpopmin_zadd_del_should_not_awake_blocked_client(z, r, proxy):
    for extra in ([], [("SET", "zset", "foo")]):
        z("DEL", "zset")
        t, out = _pop_later(proxy, "EXBZPOPMIN", "zset", 0)
        pipe = r.pipeline(transaction=True)
        pipe.execute_command("EXZADD", "zset", 0, "foo")
        pipe.execute_command("DEL", "zset")
        for cmd in extra:
            pipe.execute_command(*cmd)
        pipe.execute()
        z("DEL", "zset")
        z("EXZADD", "zset", 1, "bar")
        t.join(5)
        assert out == [L("zset", "bar", "1")]


def test_exbzpopmin_with_same_key_multiple_times(z, proxy):
    z("DEL", "z1", "z2")
    t, out = _pop_later(proxy, "EXBZPOPMIN", "z1", "z2", "z2", "z1", 0)
    z("EXZADD", "z1", 0, "a")
    t.join(5)
    assert out == [L("z1", "a", "0")]
    t, out = _pop_later(proxy, "EXBZPOPMIN", "z1", "z2", "z2", "z1", 0)
    z("EXZADD", "z2", 1, "b")
    t.join(5)
    assert out == [L("z2", "b", "1")]
    z("EXZADD", "z1", 0, "a")
    z("EXZADD", "z2", 1, "b")
    assert z("EXBZPOPMIN", "z1", "z2", "z2", "z1", 0) == L("z1", "a", "0")
    assert z("EXBZPOPMIN", "z1", "z2", "z2", "z1", 0) == L("z2", "b", "1")


def test_multi_exec_is_isolated_from_exbzpopmin(z, r, proxy):
    z("DEL", "zset")
    t, out = _pop_later(proxy, "EXBZPOPMIN", "zset", 0)
    pipe = r.pipeline(transaction=True)
    for score, m in ((0, "a"), (1, "b"), (2, "c")):
        pipe.execute_command("EXZADD", "zset", score, m)
    pipe.execute()
    t.join(5)
    assert out == [L("zset", "a", "0")]


def test_exbzpopmin_with_variadic_exzadd(z, proxy):
    z("DEL", "zset")
    t, out = _pop_later(proxy, "EXBZPOPMIN", "zset", 0)
    assert z("EXZADD", "zset", -1, "foo", 1, "bar") == 2
    t.join(5)
    assert out == [L("zset", "foo", "-1")]
    assert z("EXZRANGE", "zset", 0, -1) == L("bar")


def test_exbzpopmin_with_zero_timeout_blocks_until_data(z, proxy):
    z("DEL", "zset")
    t, out = _pop_later(proxy, "EXBZPOPMIN", "zset", 0)
    time.sleep(0.4)
    assert out == []
    z("EXZADD", "zset", 0, "foo")
    t.join(5)
    assert out == [L("zset", "foo", "0")]
