"""The shared-connection core: many clients on a few upstream connections, pinning, batching.

The central check is a randomized interleaving: 200 clients, each with its own sequence
of pooled traffic, transactions, WATCH, blocking pops, SELECT, AUTH as an ACL user,
client names, pub/sub, RESP3 and Tair commands, sent concurrently in random pipelines
cut at random byte positions. Each client's reply sequence must equal what the same
sequence gets when it runs alone, one command at a time (a baseline with no sharing and
no batching).
"""

from __future__ import annotations

import asyncio
import gc
import random
import re
import signal
import subprocess
import sys
import time

import pytest
import redis

from tairproxy.embedded import EmbeddedValkey, free_port
from tairproxy.resp import encode_command, scan_reply
from tests.helpers import ProxyThread, RawClient

CLIENTS = 200
_CONNECTION_ID = re.compile(rb"\$2\r\nid\r\n:\d+\r\n")


def _without_connection_ids(replies: list[bytes]) -> list[bytes]:
    """HELLO's reply names the connection's id, which differs from run to run."""
    return [_CONNECTION_ID.sub(b"$2\r\nid\r\n:0\r\n", r) for r in replies]


def _sequence(rng: random.Random, n: int) -> list[list[str]]:
    """One client's commands; keys and channels carry the client's number."""
    k, t, lst, h = f"{{c{n}}}k", f"{{c{n}}}t", f"{{c{n}}}l", f"{{c{n}}}h"
    blocks = [
        lambda: [["SET", k, str(rng.randint(0, 99))], ["GET", k], ["INCR", k]],
        lambda: [["EXSET", t, f"v{rng.randint(0, 9)}"], ["EXGET", t], ["EXINCRBY", t, "1"]],
        lambda: [["EXHSET", h, "f", "1"], ["EXHINCRBY", h, "f", "2"], ["EXHGET", h, "f"], ["EXHVER", h, "f"]],
        lambda: [["EXZADD", f"{{c{n}}}z", "1#2", "a"], ["EXZSCORE", f"{{c{n}}}z", "a"], ["EXZRANGE", f"{{c{n}}}z", "0", "-1"]],
        lambda: [["EXSET", t, "x", "VER", "999"], ["EXINCRBY", k, "1"], ["EXGET", k]],  # errors
        lambda: [["MULTI"], ["SET", k, "m"], ["EXSET", t, "in-multi"], ["EXGET", t], ["GET", k], ["EXEC"]],
        lambda: [["WATCH", k], ["MULTI"], ["INCR", lst], ["EXEC"]],
        lambda: [["RPUSH", lst, "a"], ["BLPOP", lst, "1"], ["BLPOP", lst, "0.05"]],
        lambda: [["CLIENT", "SETNAME", f"c{n}"], ["CLIENT", "GETNAME"], ["PING"], ["ECHO", "hi"]],
        lambda: [["SUBSCRIBE", f"ch{n}"], ["PING"], ["EXGET", t], ["UNSUBSCRIBE", f"ch{n}"], ["EXGET", t]],
        lambda: [["SELECT", "3"], ["SET", k, "db3"], ["EXSET", t, "db3"], ["EXGET", t], ["SELECT", "0"], ["GET", k]],
        lambda: [["AUTH", "tpuser", "tppass"], ["SET", k, "user"], ["EXSET", t, "user"], ["EXGET", t]],
        lambda: [["HELLO", "3"], ["EXGET", t], ["EXHGET", h, "f"], ["HELLO", "2"]],
        lambda: [["DEL", k, t, h, lst], ["EXGET", t], ["TYPE", t]],
    ]
    commands: list[list[str]] = []
    for _ in range(rng.randint(4, 9)):
        commands += rng.choice(blocks)()
    return commands


async def _run(port: int, commands: list[list[str]], rng: random.Random | None) -> list[bytes]:
    """Send ``commands`` and return each reply's bytes. With ``rng``: random pipelines cut at
    random byte positions; without: one command at a time."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    buf = bytearray()
    replies: list[bytes] = []

    async def read_one() -> bytes:
        while True:
            end = scan_reply(buf, 0) if buf else -1
            if end >= 0:
                reply = bytes(buf[:end])
                del buf[:end]
                return reply
            chunk = await asyncio.wait_for(reader.read(65536), 10)
            if not chunk:
                raise ConnectionError("closed")
            buf.extend(chunk)

    i = 0
    while i < len(commands):
        size = rng.randint(1, 6) if rng else 1
        group = commands[i : i + size]
        data = b"".join(encode_command([a.encode() for a in c]) for c in group)
        if rng:
            cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 3))))
            for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
                writer.write(data[a:b])
                await writer.drain()
                await asyncio.sleep(0)
        else:
            writer.write(data)
        for _ in group:  # one frame each: every (UN)SUBSCRIBE here names one channel
            replies.append(await read_one())
        i += size
    writer.close()
    return replies


async def _run_all(port: int, sequences: list[list[list[str]]], concurrent: bool) -> list[list[bytes]]:
    if concurrent:
        return await asyncio.gather(
            *(_run(port, seq, random.Random(n)) for n, seq in enumerate(sequences))
        )
    return [await _run(port, seq, None) for seq in sequences]


@pytest.fixture
def acl_user(direct):
    direct.execute_command("ACL", "SETUSER", "tpuser", "on", ">tppass", "~*", "&*", "+@all")
    yield
    direct.execute_command("ACL", "DELUSER", "tpuser")


def test_randomized_interleaving_matches_each_client_alone(proxy, direct, acl_user):
    rng = random.Random(11)
    sequences = [_sequence(rng, n) for n in range(CLIENTS)]
    batches_before = proxy.server.ctx.counters.batches
    concurrent = asyncio.run(_run_all(proxy.port, sequences, concurrent=True))
    assert proxy.server.ctx.counters.batches > batches_before, "no Tair calls were batched"
    direct.flushall()
    direct.select(3)
    direct.flushdb()
    direct.select(0)
    alone = asyncio.run(_run_all(proxy.port, sequences, concurrent=False))
    for n, (got, want) in enumerate(zip(concurrent, alone, strict=True)):
        assert _without_connection_ids(got) == _without_connection_ids(want), f"client {n}: {sequences[n]}"
    deadline = time.monotonic() + 5
    while proxy.server.ctx.pinned_now:  # every pinned session lets go of its connection
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_pass_through_replies_match_direct_valkey(proxy, direct, valkey_url):
    """The same native sequences straight at Valkey give the same bytes."""
    rng = random.Random(5)
    sequences = [
        [c for c in _sequence(rng, n) if not c[0].startswith(("EX", "TYPE", "CLIENT", "AUTH", "SUB", "UNSUB"))]
        for n in range(40)
    ]
    through = asyncio.run(_run_all(proxy.port, sequences, concurrent=True))
    direct.flushall()
    direct.select(3)
    direct.flushdb()
    direct.select(0)
    port = redis.Redis.from_url(valkey_url).connection_pool.connection_kwargs["port"]
    straight = asyncio.run(_run_all(port, sequences, concurrent=False))
    for n, (got, want) in enumerate(zip(through, straight, strict=True)):
        assert _without_connection_ids(got) == _without_connection_ids(want), f"client {n}: {sequences[n]}"


def test_a_batch_with_failing_calls_answers_each_as_alone(proxy, raw, direct):
    direct.set("plain", "x")
    commands = [
        ["EXSET", "a", "1"], ["EXINCRBY", "a", "x"], ["EXGET", "plain"], ["EXINCRBY", "a", "5"],
        ["EXSET", "a", "2", "VER", "99"], ["EXHSET", "a", "f", "v"], ["EXGET", "a"], ["EXCAS", "a", "n", "3"],
        ["EXGET", "missing"], ["EXZADD", "z", "x", "m"],
    ]
    alone = [raw(*c) for c in commands]
    direct.flushall()
    direct.set("plain", "x")
    before = proxy.server.ctx.counters.batched_calls
    raw.send_raw(b"".join(encode_command([a.encode() for a in c]) for c in commands))
    assert [raw.read() for _ in commands] == alone
    assert proxy.server.ctx.counters.batched_calls - before >= 3
    assert alone[1].startswith(b"-ERR") and alone[2].startswith(b"-WRONGTYPE")


def test_a_run_of_one_clients_calls_answers_each_as_alone(proxy, raw, direct):
    """A client's calls in one read travel as one run in the batch; replies that need a look
    (an error, an integer beyond Lua's doubles, a reshaped reply) are handled one by one
    inside it, the others leave as Valkey sent them."""
    big = str(2**63 - 2)
    commands = [
        ["EXSET", "r1", "1"], ["EXINCRBY", "r1", big], ["EXGET", "r1"], ["EXSET", "r2", "a"],
        ["EXINCRBY", "r2", "1"], ["EXHSET", "rh", "f", "v"], ["EXHGETALL", "rh"], ["EXHSET", "rh", "g", "w"],
        ["EXGET", "r2"], ["EXINCRBY", "r1", "1"], ["EXSET", "r3", "z"], ["EXZADD", "rz", "1", "m"],
        ["EXZSCORE", "rz", "m"], ["EXHLEN", "rh"],
    ]
    alone = [raw(*c) for c in commands]
    assert alone[1] == b":%d\r\n" % (2**63 - 1) and alone[4].startswith(b"-ERR")
    for _ in range(3):
        direct.flushall()
        raw.send_raw(b"".join(encode_command([a.encode() for a in c]) for c in commands))
        assert [raw.read() for _ in commands] == alone


def test_a_batch_carries_calls_of_every_shape(proxy, raw, direct):
    """Calls with many arguments, several keys or none in one batch: tp_batch hands each its
    own keys and arguments, whatever their counts."""
    fields = [a for i in range(40) for a in (f"f{i}", f"v{i}")]
    commands = [
        ["EXZADD", "{s}z1", "1", "a", "2", "b"], ["EXZADD", "{s}z2", "3", "b"],
        ["EXHMSET", "{s}h", *fields], ["EXHMGET", "{s}h", *[f"f{i}" for i in range(0, 80, 2)]],
        ["EXZUNIONSTORE", "{s}u", "2", "{s}z1", "{s}z2"], ["EXSET", "{s}s", "v"],
        ["BF.MADD", "{s}bf", *[f"i{i}" for i in range(100)]], ["EXZRANGE", "{s}u", "0", "-1", "WITHSCORES"],
        ["EXHLEN", "{s}h"], ["EXGET", "{s}s"],
        # counts past one byte of the batch's header: 300 arguments, then 260 keys
        ["BF.MADD", "{s}bf2", *[f"j{i}" for i in range(300)]],
        ["EXZUNIONSTORE", "{s}u2", "260", *["{s}z1", "{s}z2"] * 130], ["EXZRANGE", "{s}u2", "0", "-1"],
    ]
    alone = [raw(*c) for c in commands]
    assert not any(r.startswith(b"-") for r in alone), alone
    direct.flushall()
    before = proxy.server.ctx.counters.batches
    raw.send_raw(b"".join(encode_command([a.encode() for a in c]) for c in commands))
    assert [raw.read() for _ in commands] == alone
    assert proxy.server.ctx.counters.batches > before


def test_runs_of_many_clients_in_one_batch_keep_each_clients_order(proxy, direct):
    """Many clients' runs share batches; each client's replies come back in its own order."""
    clients = [RawClient(proxy.port) for _ in range(20)]
    try:
        for n, c in enumerate(clients):
            c.send_raw(b"".join(encode_command([b"EXSET", b"mc%d:%d" % (n, i), b"%d" % (n * 100 + i)])
                                for i in range(30)))
        for c in clients:
            assert [c.read() for _ in range(30)] == [b"+OK\r\n"] * 30
        for n, c in enumerate(clients):
            c.send_raw(b"".join(encode_command([b"EXGET", b"mc%d:%d" % (n, i)]) for i in range(30)))
        for n, c in enumerate(clients):
            assert [c.read() for _ in range(30)] == [
                b"*2\r\n$%d\r\n%d\r\n:1\r\n" % (len(str(n * 100 + i)), n * 100 + i) for i in range(30)
            ]
    finally:
        for c in clients:
            c.close()


def test_tair_commands_leave_no_reference_cycles(proxy, raw):
    """Objects of the per-command path are freed by reference counting alone: a cycle per
    command would leave it to the cyclic collector, whose runs cost the proxy ~10% of its CPU
    (and the CLI makes them rare, cli._tune_gc)."""
    commands = [[b"EXSET", b"gc%d" % i, b"v"] for i in range(500)] + [[b"EXGET", b"gc%d" % i] for i in range(500)]
    commands += [[b"EXINCRBY", b"gc%d" % i, b"1"] for i in range(500)]  # errors: one by one
    wire = b"".join(encode_command(c) for c in commands)
    raw.send_raw(wire)
    [raw.read() for _ in commands]
    gc.collect()
    gc.disable()
    try:
        raw.send_raw(wire)
        replies = [raw.read() for _ in commands]
        found = gc.collect()
    finally:
        gc.enable()
    assert replies[0] == b"+OK\r\n" and replies[-1].startswith(b"-ERR")
    assert found < 100, f"{found} objects in reference cycles after {len(commands)} commands"


def test_a_batch_is_bounded_by_count(proxy, raw):
    """One FCALL must not carry unbounded work: many small calls in one read go in several
    batches of at most batching.MAX_CALLS."""
    from tairproxy.batching import MAX_CALLS

    counters = proxy.server.ctx.counters
    commands = [[b"EXSET", b"small:%d" % i, b"v"] for i in range(3 * MAX_CALLS)]
    batches, calls = counters.batches, counters.batched_calls
    raw.send_raw(b"".join(encode_command(c) for c in commands))
    assert [raw.read() for _ in commands] == [b"+OK\r\n"] * len(commands)
    sent_batches, sent_calls = counters.batches - batches, counters.batched_calls - calls
    assert sent_calls >= len(commands) // 2 and sent_batches >= sent_calls / MAX_CALLS


def test_a_turn_of_many_clients_writes_its_calls_in_early_batches(proxy):
    """Calls of many clients read in one loop turn do not wait for the turn's end: a batch
    is written once it holds EARLY_WRITE_CALLS calls and another client's call comes, so
    Valkey starts on them while the proxy reads the rest. Replies are unchanged."""
    from tairproxy.pipeline import EARLY_WRITE_CALLS

    clients = [RawClient(proxy.port) for _ in range(4 * EARLY_WRITE_CALLS)]
    try:
        for c in clients:  # each client's connection is set up before the turn is staged
            assert c("EXSET", "early:warm", "v") == b"+OK\r\n"
        counters = proxy.server.ctx.counters
        batches, calls = counters.batches, counters.batched_calls
        # Hold the proxy's loop while every client sends: it then reads them in one turn.
        proxy.loop.call_soon_threadsafe(time.sleep, 0.5)
        time.sleep(0.1)
        for n, c in enumerate(clients):
            c.send("EXSET", f"early:{n}", str(n))
        assert [c.read() for c in clients] == [b"+OK\r\n"] * len(clients)
        sent_batches, sent_calls = counters.batches - batches, counters.batched_calls - calls
        assert sent_calls == len(clients)
        assert sent_batches == len(clients) // EARLY_WRITE_CALLS
        for n, c in enumerate(clients):
            assert c("EXGET", f"early:{n}") == b"*2\r\n$%d\r\n%d\r\n:1\r\n" % (len(str(n)), n)
    finally:
        for c in clients:
            c.close()


def test_a_batch_is_bounded_by_bytes():
    """Big calls close a batch by their bytes (the client's command length stands in for a
    call's size; unknown, the call's arguments are measured)."""
    from tairproxy.batching import MAX_BYTES, Batch
    from tairproxy.dispatch import Call

    def slot(value: bytes):
        return type("S", (), {"call": Call("tp_exset", [b"k"], [value])})()

    batch = Batch(slot(b"x"), False, None, 1, size=MAX_BYTES // 2)
    assert batch.accepts(Call("tp_exset", [b"k"], [b"y"]), None)
    batch.add(slot(b"y"), MAX_BYTES // 2)
    assert not batch.accepts(Call("tp_exset", [b"k"], [b"z"]), None)
    measured = Batch(slot(b"v" * MAX_BYTES), False, None, 1)
    assert measured.size > MAX_BYTES and not measured.accepts(Call("tp_exset", [b"k"], [b"z"]), None)


def test_function_flush_between_batches_reloads_and_retries(proxy, raw, direct):
    raw.send_raw(b"".join(encode_command([b"EXSET", b"f%d" % i, b"v"]) for i in range(20)))
    assert [raw.read() for _ in range(20)] == [b"+OK\r\n"] * 20
    direct.execute_command("FUNCTION", "FLUSH")
    raw.send_raw(b"".join(encode_command([b"EXGET", b"f%d" % i]) for i in range(20)))
    assert [raw.read() for _ in range(20)] == [b"*2\r\n$1\r\nv\r\n:1\r\n"] * 20


def test_local_answers_never_pin_and_a_session_keeps_its_id(proxy, direct):
    c = RawClient(proxy.port)
    ctx = proxy.server.ctx
    pinned = ctx.pinned_now
    assert c("CLIENT", "SETINFO", "LIB-NAME", "mylib") == b"+OK\r\n"
    assert c("CLIENT", "SETNAME", "worker-7") == b"+OK\r\n"
    assert c("CLIENT", "GETNAME") == b"$8\r\nworker-7\r\n"
    client_id = c("CLIENT", "ID")
    assert c("PING") == b"+PONG\r\n" and c("ECHO", "x") == b"$1\r\nx\r\n"
    assert ctx.pinned_now == pinned
    assert c("SELECT", "2") == b"+OK\r\n"  # pins
    assert ctx.pinned_now == pinned + 1
    assert c("CLIENT", "ID") == client_id
    # The pinned connection was told the session's name and library.
    listing = direct.execute_command("CLIENT", "LIST")
    assert any("name=worker-7" in line and "lib-name=mylib" in line for line in listing.decode().splitlines())
    c.close()


def test_commands_before_a_pin_run_before_it(proxy, raw, direct):
    """The barrier: a pinning command waits for the shared connection's replies."""
    raw.send_raw(
        encode_command([b"RPUSH", b"q", b"first"])
        + encode_command([b"BLPOP", b"q", b"1"])
        + encode_command([b"GET", b"nothing"])
    )
    assert raw.read() == b":1\r\n"
    assert raw.read() == b"*2\r\n$1\r\nq\r\n$5\r\nfirst\r\n"
    assert raw.read() == b"$-1\r\n"


def test_wait_counts_writes_made_before_the_session_pinned(tmp_path, valkey_url, direct):
    replica = EmbeddedValkey(tmp_path / "replica", extra=["--replicaof", "127.0.0.1", str(
        redis.Redis.from_url(valkey_url).connection_pool.connection_kwargs["port"])])
    replica.start()
    try:
        deadline = time.monotonic() + 10
        while direct.info("replication").get("slave0", {}).get("state") != "online":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        p = ProxyThread(valkey_url).start()
        try:
            c = RawClient(p.port)
            assert c("EXSET", "w", "v") == b"+OK\r\n"  # through the shared connection
            assert c("WAIT", "1", "2000") == b":1\r\n"
            assert redis.Redis.from_url(replica.url).exists("w") == 1
        finally:
            p.stop()
    finally:
        replica.stop()


def test_valkey_killed_mid_batch_every_waiter_hears_promptly(tmp_path):
    server = EmbeddedValkey(tmp_path / "data")
    server.start()
    p = ProxyThread(server.url).start()
    try:
        clients = [RawClient(p.port, timeout=10) for _ in range(20)]
        for c in clients:
            c("EXSET", "warm", "v")
        server.process.send_signal(signal.SIGSTOP)  # the batch stays unanswered
        for i, c in enumerate(clients):
            c.send_raw(b"".join(encode_command([b"EXSET", b"k%d" % i, b"%d" % j]) for j in range(5)))
        time.sleep(0.2)
        server.process.kill()
        t0 = time.monotonic()
        for c in clients:
            replies = [c.read() for _ in range(5)]
            assert all(r.startswith(b"-ERR tairproxy: upstream") for r in replies), replies
        assert time.monotonic() - t0 < 5
    finally:
        p.stop()
        server.stop()


def test_kill_9_of_the_proxy_loses_no_acknowledged_write(tmp_path):
    server = EmbeddedValkey(tmp_path / "data", extra=["--appendfsync", "always"])
    server.start()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tairproxy", "--upstream", server.url, "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                c = RawClient(port, timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        acknowledged = []
        try:
            for i in range(100_000):
                batch = [(b"ack:%d:%d" % (i, j)) for j in range(8)]
                c.send_raw(b"".join(encode_command([b"EXSET", k, b"v"]) for k in batch))
                for k in batch:
                    if c.read() == b"+OK\r\n":
                        acknowledged.append(k)
                if i == 200:
                    proc.send_signal(signal.SIGKILL)
        except (ConnectionError, OSError):
            pass
        assert len(acknowledged) >= 200 * 8
        d = redis.Redis.from_url(server.url)
        pipe = d.pipeline(transaction=False)
        for k in acknowledged:
            pipe.exists(k)
        assert all(pipe.execute())
    finally:
        proc.kill()
        proc.wait()
        server.stop()
