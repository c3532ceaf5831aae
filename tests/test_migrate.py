"""`tairproxy migrate`: a tairproxy on its own Valkey, loaded with every family and native type,
copied into another tairproxy on another Valkey — then compared with plain commands on both."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import redis

from tairproxy import migrate
from tairproxy.embedded import EmbeddedValkey
from tairproxy.migrate_report import LOG_EVERY, Progress
from tairproxy.sync_client import SyncClient
from tests.helpers import ProxyThread

TTL_SLACK_MS = 3000


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    """(source proxy, target proxy), each in front of its own valkey-server."""
    servers = [EmbeddedValkey(tmp_path_factory.mktemp(name)) for name in ("source", "target")]
    proxies = []
    for server in servers:
        server.start()
        proxies.append(ProxyThread(server.url).start())
    yield proxies
    for p in proxies:
        p.stop()
    for server in servers:
        server.stop()


def _flushed_client(proxy: ProxyThread):
    client = redis.Redis(port=proxy.port)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def src(sides):
    yield from _flushed_client(sides[0])


@pytest.fixture
def dst(sides):
    yield from _flushed_client(sides[1])


@pytest.fixture
def run(sides, tmp_path, capsys):
    """Runs `tairproxy migrate` in-process; returns (exit status, stdout, stderr)."""

    def go(*options: str) -> tuple[int, str, str]:
        status = migrate.main(["--from", sides[0].url, "--to", sides[1].url,
                               "--checkpoint", str(tmp_path / "checkpoint"), *options])
        out, err = capsys.readouterr()
        return status, out, err

    return go


def load_every_type(r: redis.Redis) -> None:
    x = r.execute_command
    x("EXSET", "ts:flags", "v1", "ABS", "42", "FLAGS", "7", "PX", "100000")
    x("EXSET", "ts:bin", b"\x00\xff bin\r\n")
    x("EXSET", "ts:ver", "x")
    x("EXSETVER", "ts:ver", "99")
    x("EXHSET", "th", "ttl", "a", "ABS", "5", "PX", "200000")
    x("EXHSET", "th", "plain", b"\x00b")
    x("EXHSET", "th", "plain", "b2")  # version 2
    x("EXHSETNX", "th", "zero", "c")  # version 0
    x("EXHSET", "th", "gt", "d", "GT", "1000", "EX", "500")
    x("EXPIRE", "th", "3000")
    x("EXZADD", "tz:multi", "1#2#3", "a", "-0#inf#-1.5", "b", "0.1#2#3", "c", "1#2#3", "aa")
    x("EXZADD", "tz:one", "0.1", "x", "-inf", "y", "1e300", "z")
    x("GIS.ADD", "tg", "p", "POINT (120.1 30.2)", "poly", "POLYGON ((0 0,1 0,1 1,0 1,0 0))",
      "line", "LINESTRING (1 1,2 2.5)")
    x("BF.RESERVE", "tb", "0.01", "100")
    x("BF.MADD", "tb", "a", "b", "c")
    r.set("n:string", b"\xffraw", px=90000)
    r.rpush("n:list", "a", "b", "a")
    r.sadd("n:set", "x", "y")
    r.zadd("n:zset", {"m": 1.5, "n": -2})
    r.hset("n:hash", mapping={"f": "1", "g": "2"})
    x("HPEXPIRE", "n:hash", "120000", "FIELDS", "1", "f")
    r.xadd("n:stream", {"a": "1"}, id="5-1")
    r.xadd("n:stream", {"b": "2"}, id="7-0")
    db2 = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=2)
    db2.execute_command("EXSET", "ts:db2", "in two", "ABS", "3")
    db2.set("n:db2", "plain")
    db2.close()


# What a client observes per key; the same commands through both proxies must agree.
OBSERVE = {
    b"ts:flags": [("EXGET", "ts:flags", "WITHFLAGS")],
    b"ts:bin": [("EXGET", "ts:bin", "WITHFLAGS")],
    b"ts:ver": [("EXGET", "ts:ver")],
    b"th": [("EXHLEN", "th"), ("EXHGETWITHVER", "th", "ttl"), ("EXHGETWITHVER", "th", "plain"),
            ("EXHGETWITHVER", "th", "zero"), ("EXHGETWITHVER", "th", "gt"), ("EXHPTTL", "th", "ttl"),
            ("EXHPTTL", "th", "gt"), ("EXHPTTL", "th", "plain"), ("EXHPTTL", "th", "zero")],
    b"tz:multi": [("EXZRANGE", "tz:multi", "0", "-1", "WITHSCORES")],
    b"tz:one": [("EXZRANGE", "tz:one", "0", "-1", "WITHSCORES"), ("EXZSCORE", "tz:one", "z")],
    b"tg": [("GIS.GET", "tg", "p"), ("GIS.GET", "tg", "poly"), ("GIS.GET", "tg", "line")],
    b"tb": [("BF.MEXISTS", "tb", "a", "b", "c", "nope"), ("BF.INFO", "tb")],
    b"n:string": [("GET", "n:string")],
    b"n:list": [("LRANGE", "n:list", "0", "-1")],
    b"n:set": [("SMEMBERS", "n:set")],
    b"n:zset": [("ZRANGE", "n:zset", "0", "-1", "WITHSCORES")],
    b"n:hash": [("HGETALL", "n:hash"), ("HPTTL", "n:hash", "FIELDS", "2", "f", "g")],
    b"n:stream": [("XRANGE", "n:stream", "-", "+"), ("XINFO", "STREAM", "n:stream")],
}


def _close(a, b) -> bool:
    """Replies equal, TTL-like integers within the slack."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int) and isinstance(b, int) and a > 1000 and b > 1000:
        return abs(a - b) <= TTL_SLACK_MS
    return a == b


def assert_same(src: redis.Redis, dst: redis.Redis, keys) -> None:
    for key in keys:
        assert src.type(key) == dst.type(key), key
        assert _close(src.pttl(key), dst.pttl(key)), (key, src.pttl(key), dst.pttl(key))
        for command in OBSERVE[key]:
            a, b = src.execute_command(*command), dst.execute_command(*command)
            if command[0] in ("SMEMBERS", "HGETALL"):
                a, b = sorted(a.items() if isinstance(a, dict) else a), sorted(b.items() if isinstance(b, dict) else b)
            if command[0] == "XINFO":  # entries match; the stream's internal layout may not
                a, b = dict(zip(a[0::2], a[1::2], strict=True)), dict(zip(b[0::2], b[1::2], strict=True))
                a = {k: a[k] for k in (b"length", b"last-generated-id", b"entries-added")}
                b = {k: b[k] for k in a}
            assert _close(a, b), (command, a, b)


def test_copies_every_type_with_versions_flags_and_ttls(src, dst, run):
    load_every_type(src)
    status, out, err = run("--verify")
    assert status == 0, out + err
    assert_same(src, dst, OBSERVE)
    assert dst.execute_command("EXGET", "ts:flags", "WITHFLAGS") == [b"v1", 42, 7]
    assert dst.execute_command("EXHGETWITHVER", "th", "zero") == [b"c", 0]
    assert 0 < dst.execute_command("EXHPTTL", "th", "ttl") <= 200000
    db2 = redis.Redis(port=dst.connection_pool.connection_kwargs["port"], db=2)
    assert db2.execute_command("EXGET", "ts:db2") == [b"in two", 3]
    assert db2.get("n:db2") == b"plain"
    copied = dict(re.findall(r"^(\w+) +([\d,]+) +0 +0$", out, re.M))
    assert copied == {"TairString": "4", "TairHash": "1", "TairZset": "2", "TairGis": "1", "TairBloom": "1",
                      "string": "2", "list": "1", "set": "1", "zset": "1", "hash": "1", "stream": "1",
                      "total": "16"}
    assert "verify: 0 keys differ" in out


def test_copying_twice_changes_no_version(src, dst, run):
    load_every_type(src)
    assert run()[0] == 0
    assert run()[0] == 0
    assert_same(src, dst, OBSERVE)
    assert dst.execute_command("EXGET", "ts:ver") == [b"x", 99]


def test_type_by_type_copy_of_native_keys(src, dst, run):
    load_every_type(src)
    status, out, _ = run("--no-dump")
    assert status == 0
    assert_same(src, dst, [k for k in OBSERVE if k != b"tb"])
    assert dst.exists("tb") == 0
    assert "skipped: 1 TairBloom — no command reads a TairBloom filter's bits" in out


def test_refused_payloads_fall_back_to_type_by_type(src, dst, run, sides, monkeypatch):
    """A source whose DUMP payloads the target cannot load (a real Tair's module types, a newer
    RDB version): the real target refuses the RESTOREs and the copy goes on type by type."""
    load_every_type(src)
    rdb_version = src.dump("n:list")[-10:-8]

    class NewerSource(SyncClient):
        def finish(self):
            # Payloads end with the RDB version (2 bytes) and a CRC (8): claim a newer version.
            return [r[:-10] + b"\xff\x7f" + r[-8:] if isinstance(r, bytes) and r[-10:-8] == rdb_version else r
                    for r in super().finish()]

    def connect(url, *args):
        return (NewerSource if url == sides[0].url else SyncClient)(url, *args)

    monkeypatch.setattr(migrate, "SyncClient", connect)
    status, out, _ = run("--lanes", "1")
    assert status == 0, out
    assert_same(src, dst, [k for k in OBSERVE if k != b"tb"])
    assert re.search(r"^string +2 +0 +0$", out, re.M)
    assert "skipped: 1 TairBloom — no command reads a TairBloom filter's bits, and the target cannot load" in out


def test_dry_run_counts_and_writes_nothing(src, dst, run):
    load_every_type(src)
    status, out, _ = run("--dry-run")
    assert status == 0
    assert re.search(r"^TairHash +1 +0 +0$", out, re.M) and re.search(r"^total +16 +0 +0$", out, re.M)
    assert "note: TairBloom filters are copied only if the target loads their DUMP payload" in out
    assert dst.dbsize() == 0


def test_match_and_db(src, dst, run):
    load_every_type(src)
    status, out, _ = run("--match", "ts:*", "--db", "0")
    assert status == 0
    assert sorted(dst.keys()) == [b"ts:bin", b"ts:flags", b"ts:ver"]
    assert redis.Redis(port=dst.connection_pool.connection_kwargs["port"], db=2).dbsize() == 0


def test_verify_finds_keys_changed_after_copying(src, dst, run):
    load_every_type(src)
    assert run()[0] == 0
    src.execute_command("EXSET", "ts:flags", "changed", "KEEPTTL")
    src.execute_command("EXHSET", "th", "plain", "b3")  # same value shape, new version
    src.rpush("n:list", "more")
    dst.delete("n:set")
    src.persist("n:string")
    status, out, _ = run("--verify-only")
    assert status == 1
    assert "verify: 5 keys differ" in out
    assert "key b'ts:flags': content differs" in out
    assert "key b'th': content differs" in out
    assert "key b'n:list': content differs" in out
    assert "key b'n:set': missing on the target" in out
    assert "key b'n:string': TTL differs" in out
    assert run()[0] == 0
    assert run("--verify-only")[0] == 0


def test_tairdoc_documents_byte_exact(src, dst, run):
    doc = '{"name":"x","n":[1,2.5,{"deep":null}],"s":"日本"}'
    try:
        src.execute_command("JSON.SET", "doc", ".", doc)
    except redis.ResponseError as exc:
        if "unknown command" in str(exc):
            pytest.skip("this tairproxy has no TairDoc (JSON.*) yet: the proxy answers unknown command")
        raise
    src.expire("doc", 1000)
    assert run("--verify")[0] == 0
    assert dst.type("doc") == b"tair-json"
    assert dst.execute_command("JSON.GET", "doc") == src.execute_command("JSON.GET", "doc")
    assert _close(dst.pttl("doc"), src.pttl("doc"))


def test_killed_run_resumes_where_it_stopped(src, dst, sides, tmp_path):
    n = 20_000
    pipe = src.pipeline(transaction=False)
    for i in range(n):
        if i % 3:
            pipe.execute_command("EXSET", f"k:{i}", f"v{i}", "ABS", str(i + 1))
        else:
            pipe.execute_command("EXHSET", f"k:{i}", "f", f"v{i}", "ABS", str(i + 1))
    pipe.execute()
    checkpoint = tmp_path / "ckpt"
    command = [sys.executable, "-m", "tairproxy", "migrate", "--from", sides[0].url, "--to", sides[1].url,
               "--batch", "100", "--lanes", "1", "--checkpoint", str(checkpoint)]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            done = json.loads(checkpoint.read_text())["stats"]["seen"]
        except (OSError, ValueError):
            done = 0
        if done >= n // 3:
            break
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = json.loads(checkpoint.read_text())
    assert not killed_at["finished"] and 0 < killed_at["stats"]["seen"] < n
    assert dst.dbsize() < n
    second = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert f"({killed_at['stats']['seen']:,} keys done)" in second.stderr
    # Progress lines as on a non-terminal: one per 10 000 keys, and never from zero again.
    counts = [int(c.replace(",", "")) for c in re.findall(r"^migrate: ([\d,]+)/", second.stderr, re.M)]
    assert counts and min(counts) > killed_at["stats"]["seen"] and counts[-1] == n
    assert re.search(r"^total +20,000 +0 +0$", second.stdout, re.M)
    assert dst.dbsize() == n
    # Every key once, at its source version: nothing was copied in a way that changed it.
    for i in range(0, n, 997):
        read = "EXGET" if i % 3 else "EXHGETWITHVER"
        args = (f"k:{i}",) if i % 3 else (f"k:{i}", "f")
        assert dst.execute_command(read, *args) == [f"v{i}".encode(), i + 1]
    verify = subprocess.run([*command, "--verify-only"], capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and "verify: 0 keys differ" in verify.stdout
    again = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "records a finished run" in again.stderr


def test_resume_refuses_another_migrations_checkpoint(sides, tmp_path, run):
    checkpoint = tmp_path / "checkpoint"
    checkpoint.write_text(json.dumps({"from": "redis://elsewhere:1", "to": "x", "match": None, "dbs": [0],
                                      "db_index": 0, "cursor": 5, "finished": False, "stats": {}}))
    with pytest.raises(SystemExit, match="belongs to another migration"):
        run("--resume")


def test_progress_on_a_terminal_and_in_a_log():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    bar = Progress(1000, stream=tty)
    bar.started -= 1.0  # one second in
    bar.advance(250)
    assert re.search(r"\r\[#{7}\.{23}\] 250/1,000 keys  \d+ keys/s  ETA 0:00:0\d", tty.getvalue())
    log = io.StringIO()
    lines = Progress(3 * LOG_EVERY, stream=log)
    for _ in range(3 * LOG_EVERY // 1000):
        lines.advance(1000)
    assert len(log.getvalue().splitlines()) == 3 and "\r" not in log.getvalue()


def test_cli_entry_point_knows_the_subcommand():
    out = subprocess.run([sys.executable, "-m", "tairproxy", "migrate", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0 and "--resume" in out.stdout and "--verify" in out.stdout
