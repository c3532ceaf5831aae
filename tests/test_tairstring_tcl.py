"""Every assertion of TairString's tests/tairstring.tcl, as byte-exact RESP through the proxy.

Replication suites are left out (single node). Sleeps of seconds are replaced by
short PX values; EX/EXAT cases check the TTL the key got instead of waiting.
Float cases that depend on 80-bit long double output live in test_tairstring_float.py.
"""

from __future__ import annotations

import time

import pytest
import redis

from tairproxy.embedded import EmbeddedValkey
from tests.helpers import ProxyThread, RawClient
from tests.tairstring_replies import (
    MIN_MAX,
    NIL,
    NOT_FLOAT,
    NOT_INT,
    OK,
    OVERFLOW,
    STALE,
    SYNTAX,
    arity,
    bulk,
    cas_failed,
    cas_ok,
    exget,
    i,
    incr_ver,
)

K = "exstringkey"


def gone_after(raw, seconds: float, key: str = K) -> bool:
    time.sleep(seconds)
    return raw("EXISTS", key) == i(0)


def server_seconds(raw) -> int:
    return int(raw("TIME").split(b"\r\n")[2])


def test_exset_basic(raw):
    assert raw("EXSET", K) == arity("exset")
    assert raw("EXSET", K, "var", "xxxx") == SYNTAX
    assert raw("EXSET", K, "var", "flags") == SYNTAX
    assert raw("EXISTS", K) == i(0)
    assert raw("EXSET", K, "bar", "WITHVERSION") == i(1)
    assert raw("EXSET", K, "bar1") == OK
    assert raw("EXSET", K, "bar1", "flags", "10") == OK
    assert raw("EXGET", K) == exget("bar1", 3)
    assert raw("EXGET", K, "withflags") == exget("bar1", 3, 10)
    assert raw("EXSET", K, "bar2", "WITHVERSION") == i(4)
    assert raw("EXGET", K, "withflags") == exget("bar2", 4, 10)


def test_exset_xx_nx(raw):
    assert raw("EXSET", K, "foo", "XX") == NIL
    assert raw("EXSET", K, "foo", "NX", "WITHVERSION") == i(1)
    assert raw("EXGET", K) == exget("foo", 1)
    assert raw("EXSET", K, "foo", "NX") == NIL


def test_exset_ver_abs(raw):
    assert raw("EXSET", K, "foo", "VER", "-1") == SYNTAX
    assert raw("EXISTS", K) == i(0)
    assert raw("EXSET", K, "foo", "ABS", "-1") == SYNTAX
    assert raw("EXISTS", K) == i(0)
    assert raw("EXSET", K, "foo", "VER", "1") == OK
    assert raw("EXGET", K) == exget("foo", 1)
    assert raw("EXSET", K, "foo", "VER", "1", "WITHVERSION") == i(2)
    assert raw("EXGET", K) == exget("foo", 2)
    assert raw("EXSET", K, "foo", "VER", "1") == STALE
    assert raw("EXSET", K, "bar", "VER", "2") == OK
    assert raw("EXGET", K) == exget("bar", 3)
    assert raw("EXSET", K, "foo", "ABS", "10", "WITHVERSION") == i(10)
    assert raw("EXGET", K) == exget("foo", 10)
    assert raw("DEL", K) == i(1)
    assert raw("EXSET", K, "foo", "ABS", "25", "WITHVERSION") == i(25)


def test_exset_expire_options(raw):
    for opt in ("EX", "PX", "PXAT"):
        assert raw("EXSET", K, "foo", opt, "-1") == SYNTAX
        assert raw("EXISTS", K) == i(0)
    assert raw("EXSET", K, "foo", "EXAT", "-1") == SYNTAX
    assert raw("EXSET", K, "foo", "EXAT", "0") == SYNTAX
    assert raw("EXSET", K, "foo", "EX", "0") == SYNTAX
    assert raw("EXISTS", K) == i(0)
    # EX 2: the key exists with a TTL of at most 2 s (expiry itself is checked with PX).
    assert raw("EXSET", K, "foo", "EX", "2") == OK
    assert raw("EXISTS", K) == i(1)
    pttl = int(raw("PTTL", K)[1:-2])
    assert 1000 < pttl <= 2000
    assert raw("EXSET", K, "foo", "PX", "150") == OK
    assert raw("EXISTS", K) == i(1)
    assert gone_after(raw, 0.3)


def test_exset_keepttl(raw):
    assert raw("EXSET", K, "foo", "EX", "10") == OK
    assert 0 < int(raw("TTL", K)[1:-2]) <= 10
    assert raw("EXSET", K, "foo") == OK
    assert raw("TTL", K) == i(-1)
    assert raw("EXSET", K, "foo", "EX", "10") == OK
    assert raw("EXSET", K, "foo", "KEEPTTL") == OK
    assert 0 < int(raw("TTL", K)[1:-2]) <= 10


def test_unsupported_flags(raw):
    assert raw("EXSET", K, "foo", "EX", "10", "max", "10") == SYNTAX
    assert raw("EXINCRBYFLOAT", K, "1.0", "def", "300") == SYNTAX
    assert raw("EXINCRBYFLOAT", K, "1.0", "WITHVERSION") == SYNTAX


def test_exincrby_basic(raw):
    assert raw("EXSET", K, "aaa") == OK
    assert raw("EXINCRBY", K, "10") == NOT_INT
    assert raw("DEL", K) == i(1)
    assert raw("EXINCRBY", K, "abc") == NOT_INT
    assert raw("EXISTS", K) == i(0)
    assert raw("EXINCRBY", K, "100", "def", "200", "WITHVERSION") == incr_ver(200, 1)
    assert raw("EXINCRBY", K, "108") == i(308)
    assert raw("EXINCRBY", K, "-208", "def", "300", "WITHVERSION") == incr_ver(100, 3)
    assert raw("EXINCRBY", K, "123456789098765432123456789") == NOT_INT
    assert raw("EXGET", K) == exget("100", 3)
    assert raw("DEL", K) == i(1)
    assert raw("EXINCRBY", K, "100", "def", "123456789098765432123456789") == NOT_INT
    assert raw("EXISTS", K) == i(0)
    assert raw("EXINCRBY", K, "1", "def", "-100", "WITHVERSION") == incr_ver(-100, 1)


def test_exincrby_nx_xx(raw):
    assert raw("EXINCRBY", K, "108", "XX") == NIL
    assert raw("EXINCRBY", K, "108", "NX") == i(108)
    assert raw("EXINCRBY", K, "108", "NX") == NIL


def test_exincrby_ver_abs(raw):
    assert raw("EXINCRBY", K, "10", "VER", "-1") == SYNTAX
    assert raw("EXISTS", K) == i(0)
    assert raw("EXINCRBY", K, "10", "ABS", "-1") == SYNTAX
    assert raw("EXISTS", K) == i(0)
    assert raw("EXINCRBY", K, "10", "VER", "1", "WITHVERSION") == incr_ver(10, 1)
    assert raw("EXINCRBY", K, "10", "VER", "1", "WITHVERSION") == incr_ver(20, 2)
    assert raw("EXINCRBY", K, "10", "VER", "1") == STALE
    assert raw("EXINCRBY", K, "10", "VER", "2", "WITHVERSION") == incr_ver(30, 3)
    assert raw("EXINCRBY", K, "10", "ABS", "101", "WITHVERSION") == incr_ver(40, 101)
    assert raw("DEL", K) == i(1)
    assert raw("EXINCRBY", K, "12", "def", "-16", "ABS", "103", "WITHVERSION") == incr_ver(-16, 103)
    assert raw("DEL", K) == i(1)
    assert raw("EXINCRBY", K, "12", "ABS", "105", "WITHVERSION") == incr_ver(12, 105)
    assert raw("DEL", K) == i(1)


def test_exincrby_expire_options(raw):
    for opt in ("EX", "EXAT", "PX", "PXAT"):
        assert raw("EXINCRBY", K, "10", opt, "-1") == SYNTAX
        assert raw("EXISTS", K) == i(0)
    assert raw("EXINCRBY", K, "10", "EX", "2") == i(10)
    assert raw("EXISTS", K) == i(1)
    assert 1000 < int(raw("PTTL", K)[1:-2]) <= 2000
    assert raw("DEL", K) == i(1)
    assert raw("EXINCRBY", K, "10", "PX", "150") == i(10)
    assert raw("EXISTS", K) == i(1)
    assert gone_after(raw, 0.3)


def test_exincrby_nonegative(raw):
    assert raw("EXINCRBY", "a", "100", "WITHVERSION") == incr_ver(100, 1)
    assert raw("EXINCRBY", "a", "-200", "nonegative", "WITHVERSION") == incr_ver(0, 2)


def test_exincrbyfloat_basic(raw):
    assert raw("EXINCRBYFLOAT", K, "abc") == NOT_FLOAT
    assert raw("EXINCRBYFLOAT", K, "108.13") == bulk("108.13")


def test_exincrbyfloat_nx_xx(raw):
    assert raw("EXINCRBYFLOAT", K, "108.13", "XX") == NIL
    assert raw("EXINCRBYFLOAT", K, "108.13", "NX") == bulk("108.13")
    assert raw("EXINCRBYFLOAT", K, "108.13", "NX") == NIL


def test_exincrbyfloat_expire_options(raw):
    for opt in ("EX", "EXAT", "PX", "PXAT"):
        assert raw("EXINCRBYFLOAT", K, "10.1", opt, "-1") == SYNTAX
        assert raw("EXISTS", K) == i(0)
    assert raw("EXINCRBYFLOAT", K, "10.1", "EX", "2") == bulk("10.1")
    assert raw("EXISTS", K) == i(1)
    assert 1000 < int(raw("PTTL", K)[1:-2]) <= 2000
    assert raw("DEL", K) == i(1)
    assert raw("EXINCRBYFLOAT", K, "10.1", "PX", "150") == bulk("10.1")
    assert raw("EXISTS", K) == i(1)
    assert gone_after(raw, 0.3)


def test_exappend_basic(raw):
    assert raw("EXAPPEND", K) == arity("exappend")
    assert raw("EXAPPEND", K, "NX", "100") == SYNTAX
    assert raw("EXAPPEND", K, "foo") == i(1)
    assert raw("EXGET", K) == exget("foo", 1)
    assert raw("EXAPPEND", K, "bar") == i(2)
    assert raw("EXGET", K) == exget("foobar", 2)


@pytest.mark.parametrize("cmd", ["EXAPPEND", "EXPREPEND"])
def test_exappend_exprepend_ver_abs(raw, cmd):
    assert raw(cmd, K, "abs", "aaa") == SYNTAX
    assert raw(cmd, K, "foo", "VER", "10") == i(1)
    assert raw(cmd, K, "bar", "VER", "1") == i(2)
    assert raw(cmd, K, "foo", "VER", "1") == STALE
    assert raw(cmd, K, "my", "VER", "2") == i(3)
    assert raw(cmd, K, "Value", "ABS", "10") == i(10)
    assert raw(cmd, K, "value", "VER", "10") == i(11)
    assert raw("DEL", K) == i(1)
    assert raw(cmd, K, "value", "ABS", "100") == i(100)


@pytest.mark.parametrize("cmd", ["EXAPPEND", "EXPREPEND"])
def test_exappend_exprepend_nx_xx(raw, cmd):
    assert raw(cmd, K, "foo", "XX") == NIL
    assert raw(cmd, K, "foo", "NX") == i(1)
    assert raw(cmd, K, "bar", "NX") == NIL
    assert raw(cmd, K, "bar", "XX") == i(2)


def test_exprepend_basic(raw):
    assert raw("EXPREPEND", K, "foo") == i(1)
    assert raw("EXGET", K) == exget("foo", 1)
    assert raw("EXPREPEND", K, "bar") == i(2)
    assert raw("EXGET", K) == exget("barfoo", 2)


def test_exappend_exprepend_mixed(raw):
    k1, k2 = K + "1", K + "2"
    assert raw("EXAPPEND", k1, "x") == i(1)
    assert raw("EXPREPEND", k2, "y") == i(1)
    assert raw("EXAPPEND", k1, "z") == i(2)
    assert raw("EXGET", k1) == exget("xz", 2)
    assert raw("EXGET", k2) == exget("y", 1)
    assert raw("DEL", k1) == i(1)
    assert raw("DEL", k2) == i(1)
    assert raw("EXPREPEND", k1, "x") == i(1)
    assert raw("EXAPPEND", k2, "y") == i(1)
    assert raw("EXPREPEND", k1, "z") == i(2)
    assert raw("EXGET", k1) == exget("zx", 2)
    assert raw("EXGET", k2) == exget("y", 1)
    assert raw("DEL", k1) == i(1)
    assert raw("DEL", k2) == i(1)


def test_exgae(raw):
    assert raw("EXGAE", K) == arity("exgae")
    assert raw("EXGAE", K, "ex", "2") == NIL
    # ex: the new TTL replaces the old one (checked on the TTL, not by waiting seconds)
    assert raw("EXSET", K, "foo", "ex", "2", "flags", "233", "WITHVERSION") == i(1)
    assert raw("EXGAE", K, "ex", "4") == exget("foo", 1, 233)
    assert 3000 < int(raw("PTTL", K)[1:-2]) <= 4000
    assert raw("DEL", K) == i(1)
    # px, scaled down: 200 ms extended to 500 ms; alive past 200 ms, gone after 500 ms
    assert raw("EXGAE", K, "px", "2000") == NIL
    assert raw("EXSET", K, "foo", "px", "200", "flags", "233", "WITHVERSION") == i(1)
    assert raw("EXGAE", K, "px", "500") == exget("foo", 1, 233)
    time.sleep(0.3)
    assert raw("EXISTS", K) == i(1)
    assert gone_after(raw, 0.35)
    assert raw("EXGET", K) == NIL
    # exat
    assert raw("EXSET", K, "foo") == OK
    now = server_seconds(raw)
    assert raw("EXGAE", K, "exat", str(now + 2)) == exget("foo", 1, 0)
    assert 0 < int(raw("PTTL", K)[1:-2]) <= 2000
    assert raw("EXGAE", K, "pxat", str((now - 1) * 1000)) == exget("foo", 1, 0)
    assert raw("EXISTS", K) == i(0)


def test_syntax_errors(raw):
    raw("EXSET", K, "var")
    for opts in (
        ["EX"],
        ["EX", "10", "EX", "15"],
        ["EX", "10", "PX", "20"],
        ["EX", "10", "EXAT", "20000000"],
        ["PX", "2000", "PXAT", "998244353"],
        ["EX", "10", "PXAT", "998244353"],
        ["NX", "XX"],
        ["VER", "1", "ABS", "2"],
        ["FLAGS", "3", "FLAGS", "4"],
        ["DEF", "100"],
        ["MIN", "20", "MAX", "40"],
        ["WITHFLAGS"],
    ):
        assert raw("EXSET", K, "var", *opts) == SYNTAX, opts
    assert raw("EXGET", K, "WITHFLAGS", "MIN", "10") == arity("exget")
    assert raw("EXGET", K, "PX", "2000") == arity("exget")
    assert raw("EXGET", K, "NX") == SYNTAX
    assert raw("EXSET", K, "1") == OK
    assert raw("EXINCRBY", K, "1", "MIN", "10", "MIN", "20") == SYNTAX
    assert raw("EXINCRBY", K, "1", "MAX", "10", "MAX", "20") == SYNTAX
    assert raw("EXINCRBY", K, "1", "NX", "XX") == SYNTAX
    assert raw("EXINCRBY", K, "1", "WITHFLAGS") == SYNTAX
    assert raw("EXGET", K) == exget("1", 2)  # nothing above changed the key


def test_exsetver(raw):
    assert raw("EXSET", K, "bar") == OK
    assert raw("EXGET", K) == exget("bar", 1)
    assert raw("EXSETVER", K, "100") == i(1)
    assert raw("EXGET", K) == exget("bar", 100)
    assert raw("EXSETVER", K, "abc") == SYNTAX
    assert raw("EXSETVER", K, "-1") == SYNTAX


def test_exstring_type(raw):
    assert raw("EXSET", K, "bar", "abs", "100", "WITHVERSION") == i(100)
    assert raw("TYPE", K) == b"+exstrtype\r\n"


def test_exincrby_with_boundary(raw):
    assert raw("EXINCRBY", K, "10000", "max", "200") == OVERFLOW
    assert raw("EXISTS", K) == i(0)
    assert raw("EXINCRBY", K, "108", "WITHVERSION") == incr_ver(108, 1)
    assert raw("EXINCRBY", K, "-1", "WITHVERSION") == incr_ver(107, 2)
    assert raw("EXINCRBY", K, "-10", "min", "100") == OVERFLOW
    assert raw("EXINCRBY", K, "-10", "min", "100", "max", "10") == MIN_MAX
    assert raw("EXINCRBY", K, "abc") == NOT_INT
    assert raw("EXINCRBY", K, "9223372036854775808") == NOT_INT
    assert raw("EXINCRBY", K, "9223372036854775807") == OVERFLOW
    assert raw("EXINCRBY", K, "-200", "WITHVERSION") == incr_ver(-93, 3)
    assert raw("EXINCRBY", K, "-9223372036854775807") == OVERFLOW


def test_exincrbyfloat_with_boundary_errors(raw):
    assert raw("EXINCRBYFLOAT", K, "10000.12", "max", "200.12") == OVERFLOW
    assert raw("EXISTS", K) == i(0)
    assert raw("EXINCRBYFLOAT", K, "108.123") == bulk("108.123")
    assert raw("EXINCRBYFLOAT", K, "-10.12", "min", "100.12") == OVERFLOW
    assert raw("EXINCRBYFLOAT", K, "-10", "min", "100.12", "max", "10.12") == MIN_MAX
    assert raw("EXINCRBYFLOAT", K, "abc") == NOT_FLOAT
    assert raw("EXGET", K) == exget("108.123", 1)


def test_exset_ignore_version(raw):
    assert raw("EXSET", K, "bar") == OK
    assert raw("EXGET", K) == exget("bar", 1)
    assert raw("EXSET", K, "bar1", "VER", "10") == STALE
    assert raw("EXSET", K, "bar1", "VER", "0") == OK
    assert raw("EXGET", K) == exget("bar1", 2)


def test_excas_functionality(raw):
    assert raw("EXCAS", K, "bar1", "1") == i(-1)
    assert raw("EXISTS", K) == i(0)
    assert raw("EXSET", K, "bar") == OK
    assert raw("EXGET", K) == exget("bar", 1)
    assert raw("EXCAS", K, "bar1", "1") == cas_ok(2)
    assert raw("EXCAS", K, "bar1", "1") == cas_failed("bar1", 2)
    assert raw("EXCAS", K, "bar1", "-1") == SYNTAX


def test_excas_param_num(raw):
    assert raw("EXCAS", K, "bar1") == arity("excas")


def test_excas_expire(raw):
    assert raw("EXSET", K, "bar") == OK
    assert raw("EXGET", K) == exget("bar", 1)
    assert raw("EXCAS", K, "bar1", "1", "PX", "150") == cas_ok(2)
    assert raw("EXGET", K) == exget("bar1", 2)
    time.sleep(0.3)
    assert raw("EXGET", K) == NIL
    # the EX form sets a TTL in seconds
    assert raw("EXSET", K, "bar") == OK
    assert raw("EXCAS", K, "bar1", "1", "EX", "2") == cas_ok(2)
    assert 1000 < int(raw("PTTL", K)[1:-2]) <= 2000


def test_excad_works(raw):
    assert raw("EXSET", K, "bar1") == OK
    assert raw("EXCAD", K, "1") == i(1)
    assert raw("EXCAD", K, "1") == i(-1)
    assert raw("EXSET", K, "bar1") == OK
    assert raw("EXCAD", K, "2") == i(0)


def test_cas_functionality(raw):
    assert raw("CAS", K, "bar1") == arity("cas")
    assert raw("EXISTS", K) == i(0)
    assert raw("CAS", K, "bar1", "bar2") == i(-1)
    assert raw("EXISTS", K) == i(0)
    assert raw("SET", K, "bar1") == OK
    assert raw("GET", K) == bulk("bar1")
    assert raw("CAS", K, "bar1", "bar2") == i(1)
    assert raw("GET", K) == bulk("bar2")
    assert raw("CAS", K, "bar2", "bar3") == i(1)
    assert raw("GET", K) == bulk("bar3")
    assert raw("CAS", K, "bar3", "bar4", "EX", "2") == i(1)
    assert raw("GET", K) == bulk("bar4")
    assert 1000 < int(raw("PTTL", K)[1:-2]) <= 2000
    assert raw("SET", K, "bar1") == OK
    assert raw("CAS", K, "bar1", "bar2", "PX", "150") == i(1)
    assert raw("GET", K) == bulk("bar2")
    time.sleep(0.3)
    assert raw("GET", K) == NIL


def test_cad_functionality(raw):
    assert raw("SET", K, "bar1") == OK
    assert raw("GET", K) == bulk("bar1")
    assert raw("CAD", K, "bar2") == i(0)
    assert raw("CAD", K, "bar1") == i(1)
    assert raw("CAD", "notexists", "bar1") == i(-1)


def test_exset_dump_restore(raw):
    assert raw("EXSET", K, "bar") == OK
    dump = raw("DUMP", K)
    assert dump.startswith(b"$")
    payload = dump[dump.index(b"\r\n") + 2 : -2]
    assert raw("DEL", K) == i(1)
    assert raw("RESTORE", K, "0", payload) == OK
    assert raw("EXGET", K) == exget("bar", 1)


def test_exstring_rdb_and_aof(raw, direct):
    """DEBUG RELOAD / BGREWRITEAOF + DEBUG LOADAOF, when the server allows DEBUG."""
    assert raw("EXSET", K, "bar", "WITHVERSION") == i(1)
    assert raw("EXSET", K, "bar2", "WITHVERSION") == i(2)
    assert raw("EXSET", K + "2", "bar", "abs", "100", "flags", "10", "WITHVERSION") == i(100)
    reply = raw("DEBUG", "RELOAD")
    if reply.startswith(b"-ERR DEBUG command not allowed"):
        # What DEBUG RELOAD would prove: the data is plain native data the server persists.
        assert raw("EXGET", K) == exget("bar2", 2)
        assert direct.type(K) == b"hash"
        pytest.skip("the server refuses DEBUG (enable-debug-command no)")
    assert reply == OK
    assert raw("EXGET", K) == exget("bar2", 2)
    assert raw("BGREWRITEAOF").startswith(b"+")
    while direct.info("persistence")["aof_rewrite_in_progress"]:
        time.sleep(0.05)
    assert raw("DEBUG", "LOADAOF") == OK
    assert raw("EXGET", K) == exget("bar2", 2)
    assert raw("EXGET", K + "2", "WITHFLAGS") == exget("bar", 100, 10)


def test_exstring_aof_restart(tmp_path):
    """The Tcl 'exstring aof' case on a private server: AOF rewrite without RDB preamble, restart."""
    server = EmbeddedValkey(tmp_path / "data")
    server.start()
    try:
        proxy = ProxyThread(server.url).start()
        raw = RawClient(proxy.port)
        try:
            assert raw("CONFIG", "SET", "aof-use-rdb-preamble", "no") == OK
            assert raw("EXSET", K, "bar", "abs", "100", "WITHVERSION") == i(100)
            assert raw("EXSET", K + "2", "bar", "flags", "10") == OK
            assert raw("EXSET", K + "3", "bar", "PX", "100000") == OK
            assert raw("EXGET", K) == exget("bar", 100)
            assert raw("BGREWRITEAOF").startswith(b"+")
            direct = redis.Redis.from_url(server.url)
            while direct.info("persistence")["aof_rewrite_in_progress"]:
                time.sleep(0.05)
            assert raw("EXINCRBY", K + "4", "5", "WITHVERSION") == incr_ver(5, 1)  # after the rewrite
            direct.close()
        finally:
            raw.close()
            proxy.stop()
        server.stop()
        server.start()
        proxy = ProxyThread(server.url).start()
        raw = RawClient(proxy.port)
        try:
            assert raw("EXGET", K) == exget("bar", 100)
            assert raw("EXGET", K + "2", "WITHFLAGS") == exget("bar", 1, 10)
            assert 0 < int(raw("PTTL", K + "3")[1:-2]) <= 100000
            assert raw("EXGET", K + "4") == exget("5", 1)
            assert raw("TYPE", K) == b"+exstrtype\r\n"
        finally:
            raw.close()
            proxy.stop()
    finally:
        server.stop()
