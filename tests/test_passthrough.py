"""Native commands pass through the proxy with the replies Valkey gives directly."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from tests.helpers import RawClient


def test_strings_hashes_lists_sets_zsets(r):
    assert r.set("s", "v") is True
    assert r.get("s") == b"v"
    assert r.incrby("n", 5) == 5
    assert r.mset({"a": 1, "b": 2}) is True
    assert r.mget("a", "b", "missing") == [b"1", b"2", None]
    assert r.hset("h", mapping={"f1": "v1", "f2": "v2"}) == 2
    assert r.hgetall("h") == {b"f1": b"v1", b"f2": b"v2"}
    assert r.rpush("l", 1, 2, 3) == 3
    assert r.lrange("l", 0, -1) == [b"1", b"2", b"3"]
    assert r.sadd("set", "x", "y") == 2
    assert r.smembers("set") == {b"x", b"y"}
    assert r.zadd("z", {"m1": 1.5, "m2": 0.5}) == 2
    assert r.zrange("z", 0, -1, withscores=True) == [(b"m2", 0.5), (b"m1", 1.5)]
    assert r.type("z") == b"zset"
    assert r.type("nothing") == b"none"


def test_streams(r):
    first = r.xadd("st", {"k": "v"})
    r.xadd("st", {"k": "w"})
    entries = r.xrange("st")
    assert [e[1] for e in entries] == [{b"k": b"v"}, {b"k": b"w"}]
    assert entries[0][0] == first
    r.xgroup_create("st", "g", id="0")
    got = r.xreadgroup("g", "c", {"st": ">"}, count=1)
    assert got[0][1][0][1] == {b"k": b"v"}


def test_scripting(r):
    assert r.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, "k", "v") == b"OK"
    sha = r.script_load("return ARGV[1] .. ARGV[1]")
    assert r.evalsha(sha, 0, "ab") == b"abab"


def test_errors_are_forwarded(raw):
    assert raw("INCR") == b"-ERR wrong number of arguments for 'incr' command\r\n"
    raw("SET", "s", "x")
    assert raw("INCR", "s") == b"-ERR value is not an integer or out of range\r\n"
    assert raw("LPUSH", "s", "a").startswith(b"-WRONGTYPE")
    assert raw("NOSUCHCOMMAND", "a").startswith(b"-ERR unknown command 'NOSUCHCOMMAND'")


def test_transactions_and_watch(r, proxy):
    pipe = r.pipeline(transaction=True)
    pipe.set("t", 1).incr("t").get("t")
    assert pipe.execute() == [True, 2, b"2"]
    # WATCH + concurrent change aborts
    with r.pipeline() as p:
        p.watch("w")
        other = redis.Redis(port=proxy.port)
        other.set("w", "changed")
        p.multi()
        p.set("w", "mine")
        with pytest.raises(redis.WatchError):
            p.execute()
    assert r.get("w") == b"changed"


def test_multi_discard_and_queue_time_abort(raw):
    assert raw("MULTI") == b"+OK\r\n"
    assert raw("SET", "d", "1") == b"+QUEUED\r\n"
    assert raw("DISCARD") == b"+OK\r\n"
    assert raw("GET", "d") == b"$-1\r\n"
    assert raw("MULTI") == b"+OK\r\n"
    assert raw("INCR").startswith(b"-ERR wrong number")
    assert raw("EXEC").startswith(b"-EXECABORT")


def test_select_is_per_connection(proxy, direct):
    a = redis.Redis(port=proxy.port, db=3)
    b = redis.Redis(port=proxy.port, db=0)
    a.set("dbkey", "three")
    assert b.get("dbkey") is None
    assert a.get("dbkey") == b"three"
    assert direct.execute_command("SELECT", 3) and direct.get("dbkey") == b"three"
    direct.execute_command("SELECT", 0)


def test_large_values(r):
    big = b"x" * (10 * 1024 * 1024)
    assert r.set("big", big)
    assert r.get("big") == big
    assert r.strlen("big") == len(big)


def test_long_pipeline_keeps_order(r):
    pipe = r.pipeline(transaction=False)
    for i in range(10_000):
        pipe.set(f"k{i}", i)
        pipe.get(f"k{i}")
    results = pipe.execute()
    assert results[0::2] == [True] * 10_000
    assert results[1::2] == [str(i).encode() for i in range(10_000)]


def test_blocking_pop_with_timeout(r, proxy):
    t0 = time.monotonic()
    assert r.blpop("empty", timeout=0.3) is None
    assert time.monotonic() - t0 >= 0.25

    def push_later():
        time.sleep(0.2)
        redis.Redis(port=proxy.port).rpush("queue", "job")

    threading.Thread(target=push_later).start()
    assert r.blpop("queue", timeout=5) == (b"queue", b"job")


def test_pubsub(r, proxy):
    sub = redis.Redis(port=proxy.port).pubsub()
    sub.subscribe("chan")
    sub.psubscribe("pat.*")
    msgs = [sub.get_message(timeout=2) for _ in range(2)]
    assert [m["type"] for m in msgs] == ["subscribe", "psubscribe"]
    assert r.publish("chan", "hello") == 1
    assert r.publish("pat.x", "world") == 1
    got = []
    deadline = time.monotonic() + 5
    while len(got) < 2 and time.monotonic() < deadline:
        m = sub.get_message(timeout=1)
        if m:
            got.append((m["type"], m["data"]))
    assert got == [("message", b"hello"), ("pmessage", b"world")]
    sub.close()


def test_hello3_resp3_replies_and_push(proxy, direct):
    c = RawClient(proxy.port)
    hello = c("HELLO", "3")
    assert hello.startswith(b"%")
    c("HSET", "h3", "f", "v")
    assert c("HGETALL", "h3") == b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n"
    assert c("GET", "nope") == b"_\r\n"
    # RESP3 pub/sub pushes arrive on the same connection
    assert c("SUBSCRIBE", "c3").startswith(b">3\r\n")
    direct.publish("c3", "m")
    assert c.read() == b">3\r\n$7\r\nmessage\r\n$2\r\nc3\r\n$1\r\nm\r\n"
    c.close()


def test_client_commands_and_auth_errors(raw):
    assert raw("CLIENT", "SETNAME", "tp-test") == b"+OK\r\n"
    assert raw("CLIENT", "GETNAME") == b"$7\r\ntp-test\r\n"
    assert raw("AUTH", "nouser", "badpass").startswith(b"-WRONGPASS")


def test_acl_user_through_proxy(proxy, direct):
    direct.execute_command("ACL", "SETUSER", "limited", "on", ">secret", "~allowed:*", "+get", "+set", "+auth")
    try:
        c = redis.Redis(port=proxy.port, username="limited", password="secret")
        assert c.set("allowed:x", 1)
        with pytest.raises(redis.exceptions.NoPermissionError):
            c.set("other", 1)
    finally:
        direct.execute_command("ACL", "DELUSER", "limited")


def test_inline_commands(proxy, direct):
    c = RawClient(proxy.port)
    c.send_raw(b'SET inl "a b"\r\nGET inl\r\n')
    assert c.read() == b"+OK\r\n"
    assert c.read() == b"$3\r\na b\r\n"
    c.close()


def test_quit_closes_after_reply(proxy, direct):
    c = RawClient(proxy.port)
    assert c("QUIT") == b"+OK\r\n"
    assert c.closed()


def test_large_replies_interleaved_with_lua_backed_commands(r, direct):
    """Replies split across many reads, mixed with commands the proxy translates (TYPE)."""
    big = b"z" * (3 * 1024 * 1024 + 7)
    direct.set("big", big)
    direct.rpush("list", *[b"item%d" % i for i in range(2000)])
    for _ in range(3):
        pipe = r.pipeline(transaction=False)
        pipe.get("big").type("big").lrange("list", 0, -1).get("big").type("list").ping().type("big")
        got = pipe.execute()
        assert got[0] == big and got[3] == big
        assert got[1] == b"string" and got[4] == b"list" and got[6] == b"string"
        assert got[2] == [b"item%d" % i for i in range(2000)]
        assert got[5] is True


def test_command_sent_while_a_large_reply_is_half_forwarded(proxy, direct):
    """Counting mode is left mid-reply when a translated command queues behind the big reply."""
    big = b"q" * (20 * 1024 * 1024)
    direct.set("huge", big)
    direct.set("small", "s")
    c = RawClient(proxy.port)
    c.send("GET", "huge")
    time.sleep(0.3)  # the proxy forwards part of the reply, then flow control pauses it
    c.send("TYPE", "huge")
    c.send("EXSET", "ts", "v")
    c.send("GET", "small")
    assert c.read() == b"$%d\r\n" % len(big) + big + b"\r\n"
    assert c.read() == b"+string\r\n"
    assert c.read() == b"+OK\r\n"
    assert c.read() == b"$1\r\ns\r\n"
    c.close()


def test_select_is_tracked_for_handlers_that_need_the_database(proxy, direct):
    from tairproxy.dispatch import Call, Command, CommandTable
    from tairproxy.modules import all_commands
    from tests.helpers import ProxyThread, RawClient

    def echo_db(args, db):
        return Call("tp_version", [], [], readonly=True, transform=lambda _: b"%d" % db)

    table = CommandTable([*all_commands(), Command("TESTDB", 1, echo_db, first_key=0, last_key=0, with_db=True)])
    p = ProxyThread(proxy.upstream, table=table).start()
    try:
        c = RawClient(p.port)
        assert c("TESTDB") == b"$1\r\n0\r\n"
        assert c("SELECT", "3") == b"+OK\r\n"
        assert c("TESTDB") == b"$1\r\n3\r\n"
        assert c("SELECT", "99999").startswith(b"-ERR")
        assert c("TESTDB") == b"$1\r\n3\r\n"
        assert c("RESET") == b"+RESET\r\n"
        assert c("TESTDB") == b"$1\r\n0\r\n"
    finally:
        p.stop()
