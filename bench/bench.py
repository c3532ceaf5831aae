#!/usr/bin/env python3
"""Throughput of tairproxy against Valkey itself, measured in one run with redis-benchmark.

Every scenario runs the same redis-benchmark load twice: once straight at Valkey ("direct") and
once through the proxy, and reports proxy/direct. "Extended vs native" rows compare a Tair command
through the proxy with the closest native command direct, i.e. what a user pays for the extension.

    python bench/bench.py                      # own valkey-server + proxy, all scenarios
    python bench/bench.py --only get --markdown
    python bench/bench.py --valkey-url redis://127.0.0.1:6379 --json out.json

redis-benchmark, valkey-server and the proxy share the machine's cores, so absolute numbers
(and the ratios) depend on the core count, which is printed in the header.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import hiredis

from tairproxy.embedded import EmbeddedValkey, free_port, stop_process

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ itself, run as a script
from anchors import ANCHORS  # noqa: E402

from tairproxy.upstream import UpstreamAddress

DEFAULT_TARGET = 0.6


@dataclass(frozen=True)
class Scenario:
    """One row of the report.

    Commands are shell-style strings (shlex-split, so GIS polygons can be quoted). ``__rand_int__``
    is redis-benchmark's placeholder for a random 12-digit key number below --keyspace; in a setup
    command it is expanded for *every* key number, so read scenarios find all their keys present.
    Setup commands go through the proxy (it forwards native commands too, and shares Valkey with
    the direct side), so one list can prepare data for both sides. Give each data type its own key
    prefix: rows share one keyspace, and an EXSET on a plain string key would be a WRONGTYPE.
    """

    name: str
    proxy: str  # run through the proxy
    direct: str | None = None  # run straight at Valkey; None = same command (pass-through row)
    pipeline: int = 1
    setup: tuple[str, ...] = ()
    target: float = DEFAULT_TARGET  # minimum acceptable proxy/direct ratio
    min_ops: float | None = None  # an absolute goal instead (proxy ops/s), e.g. GIS.CONTAINS
    clients: int | None = None  # instead of --clients (the latency rows use 10)
    max_added_p99_ms: float | None = None  # a latency row: p99 added over direct, the goal
    keyspace: int | None = None  # this row's own __rand_int__ range instead of --keyspace

    @property
    def direct_command(self) -> str:
        return self.direct if self.direct is not None else self.proxy


def gis_setup(key: str, n: int = 10_000) -> tuple[str, ...]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for tests/
    from tests.tairgis_polygons import setup_strings  # the same 10 000-polygon layer the tests use

    return setup_strings(key, n)


def gis_keys_setup(prefix: str, n: int) -> tuple[str, ...]:
    """Every key of the row's keyspace holds the first n polygons: loaded once, then copied."""
    return (*gis_setup(prefix + "src", n), f"COPY {prefix}src {prefix}__rand_int__ REPLACE")


def json_document() -> str:
    """A 1 KB JSON document (a bookstore), compact, for the TairDoc rows."""
    books = []
    for n in range(9):
        book = {"category": ("reference", "fiction", "poetry")[n % 3], "author": f"Author number {n}",
                "title": f"Title number {n} of the store", "price": round(8.95 + n * 3.17, 2)}
        if n % 2:
            book["isbn"] = f"0-553-2131{n}-3"
        books.append(book)
    doc = {"store": {"book": books, "bicycle": {"color": "red", "price": 19.95}}, "expensive": 10, "tags": ["a"]}
    return json.dumps(doc, separators=(",", ":"))


DOC = shlex.quote(json_document())
# Direct SETs write a filler of the document's size: redis-benchmark's CSV report cannot quote
# a command holding the document's commas and quotes (and the bytes do not change SET's cost).
DOC_FILLER = "x" * len(json_document())
# The document rows read or write one key (a write of one path leaves the size unchanged);
# JSON.ARRAPPEND grows its array, so it spreads over the keyspace (a few appends per key).
DOC_SETUP = (f"JSON.SET tpb:doc . {DOC}", f"SET tpb:docbytes {DOC}")


# Later command families add rows here, one line each, e.g.
#   Scenario("exhset-vs-hset/P16", "EXHSET tpb:exh:__rand_int__ f v", "HSET tpb:h:__rand_int__ f v", 16),
#   Scenario("exzadd-vs-zadd/P16", "EXZADD tpb:exz 1 m:__rand_int__", "ZADD tpb:z 1 m:__rand_int__", 16),
#   Scenario("bf.add-vs-set/P16", "BF.ADD tpb:bf m:__rand_int__", "SET tpb:s:__rand_int__ v", 16),
#   Scenario("gis.contains/P16", "GIS.CONTAINS tpb:gis 'POINT (15 15)'", "GET tpb:s:__rand_int__", 16,
#            setup=("GIS.ADD tpb:gis a 'POLYGON ((10 10, 20 10, 20 20, 10 20, 10 10))'",)),
SCENARIOS: list[Scenario] = [
    # Pass-through rows also run through the anchors (haproxy, twemproxy) in the same run.
    Scenario("set/P1", "SET tpb:s:__rand_int__ v", target=0.7),
    Scenario("set/P16", "SET tpb:s:__rand_int__ v", pipeline=16, target=0.7),
    Scenario("get/P1", "GET tpb:s:__rand_int__", setup=("SET tpb:s:__rand_int__ v",), target=0.7),
    Scenario("get/P16", "GET tpb:s:__rand_int__", pipeline=16, setup=("SET tpb:s:__rand_int__ v",), target=0.7),
    # Latency added at 10 connections, unpipelined: p99 within 0.3 ms of direct.
    Scenario("latency-get/c10", "GET tpb:s:__rand_int__", setup=("SET tpb:s:__rand_int__ v",), clients=10,
             max_added_p99_ms=0.3),
    Scenario("latency-exget-vs-get/c10", "EXGET tpb:ex:__rand_int__", "GET tpb:s:__rand_int__",
             setup=("EXSET tpb:ex:__rand_int__ v", "SET tpb:s:__rand_int__ v"), clients=10, max_added_p99_ms=0.3),
    # Tair rows also run the library's function straight at Valkey (the Lua floor: what a user's
    # own Lua would cost); pipelined, batching should beat it.
    Scenario("exset-vs-set/P1", "EXSET tpb:ex:__rand_int__ v", "SET tpb:s:__rand_int__ v", target=0.5),
    Scenario("exset-vs-set/P16", "EXSET tpb:ex:__rand_int__ v", "SET tpb:s:__rand_int__ v", 16, target=0.35),
    Scenario("exhset-vs-hset/P1", "EXHSET tpb:exh f:__rand_int__ v", "HSET tpb:h f:__rand_int__ v", target=0.5),
    Scenario("exhset-vs-hset/P16", "EXHSET tpb:exh f:__rand_int__ v", "HSET tpb:h f:__rand_int__ v", 16, target=0.35),
    Scenario("exhget-vs-hget/P1", "EXHGET tpb:exh f:__rand_int__", "HGET tpb:h f:__rand_int__", target=0.5,
             setup=("EXHSET tpb:exh f:__rand_int__ v", "HSET tpb:h f:__rand_int__ v")),
    Scenario("exhget-vs-hget/P16", "EXHGET tpb:exh f:__rand_int__", "HGET tpb:h f:__rand_int__", 16, target=0.35,
             setup=("EXHSET tpb:exh f:__rand_int__ v", "HSET tpb:h f:__rand_int__ v")),
    Scenario("bf.add-vs-set/P1", "BF.ADD tpb:bf m:__rand_int__", "SET tpb:s:__rand_int__ v",
             setup=("BF.INSERT tpb:bf CAPACITY 1000000",), target=0.4),
    Scenario("bf.add-vs-set/P16", "BF.ADD tpb:bf m:__rand_int__", "SET tpb:s:__rand_int__ v", 16,
             setup=("BF.INSERT tpb:bf CAPACITY 1000000",), target=0.4),
    Scenario("bf.exists-vs-get/P1", "BF.EXISTS tpb:bf m:__rand_int__", "GET tpb:s:__rand_int__",
             setup=("BF.INSERT tpb:bf CAPACITY 1000000", "SET tpb:s:__rand_int__ v"), target=0.4),
    Scenario("bf.exists-vs-get/P16", "BF.EXISTS tpb:bf m:__rand_int__", "GET tpb:s:__rand_int__", 16,
             setup=("BF.INSERT tpb:bf CAPACITY 1000000", "SET tpb:s:__rand_int__ v"), target=0.4),
    Scenario("exzadd-vs-zadd/P1", "EXZADD tpb:exz __rand_int__ m:__rand_int__",
             "ZADD tpb:z __rand_int__ m:__rand_int__", target=0.5),
    Scenario("exzadd-vs-zadd/P16", "EXZADD tpb:exz __rand_int__ m:__rand_int__",
             "ZADD tpb:z __rand_int__ m:__rand_int__", 16, target=0.35),
    # Run with --keyspace 1000000 for the 1 000 000-member comparison of the issue.
    Scenario("exzrank-vs-zrank/P16", "EXZRANK tpb:exzr m:__rand_int__", "ZRANK tpb:zr m:__rand_int__", 16,
             setup=("EXZADD tpb:exzr __rand_int__ m:__rand_int__", "ZADD tpb:zr __rand_int__ m:__rand_int__"),
             target=0.5),
    # 10 000 polygons; every query point lies in exactly one (zone5050). The goal is absolute.
    Scenario("gis.contains-10k/P1", "GIS.CONTAINS tpb:gis 'POINT (1.__rand_int__ 0.7__rand_int__)'",
             "HGET tpb:gis zone5050", setup=gis_setup("tpb:gis"), min_ops=20_000),
    # 1 000 keys of 1 000 polygons, queried at random (every index stays cached): the goal is
    # half the single-key rate. The query point lies in zone500 of each key.
    Scenario("gis.contains-1000keys/P1", "GIS.CONTAINS tpb:gisk:__rand_int__ 'POINT (-148.__rand_int__ -66.7)'",
             "HGET tpb:gisk:__rand_int__ zone500", setup=gis_keys_setup("tpb:gisk:", 1000), min_ops=10_000,
             keyspace=1000),
    # TairDoc on a 1 KB document, against GET/SET of the same bytes direct.
    Scenario("json.get-path-vs-get/P1", "JSON.GET tpb:doc .store.bicycle.color", "GET tpb:docbytes",
             setup=DOC_SETUP, target=0.3),
    Scenario("json.set-path-vs-set/P1", "JSON.SET tpb:doc .store.bicycle.price 21.5",
             f"SET tpb:docset {DOC_FILLER}", setup=DOC_SETUP, target=0.3),
    Scenario("json.get-whole-vs-get/P1", "JSON.GET tpb:doc", "GET tpb:docbytes", setup=DOC_SETUP, target=0.3),
    Scenario("json.arrappend-vs-set/P1", "JSON.ARRAPPEND tpb:docs:__rand_int__ .tags 1",
             f"SET tpb:docset {DOC_FILLER}", setup=(f"JSON.SET tpb:docs:__rand_int__ . {DOC}",), target=0.3),
    Scenario("gis.add-vs-hset/P1", "GIS.ADD tpb:gisadd p:__rand_int__ 'POINT (1.__rand_int__ 2.__rand_int__)'",
             "HSET tpb:gish p:__rand_int__ 'POINT (1 2)'", target=0.3),
]

# Pipelined runs are ~4-6x faster, so they get more requests to last about as long as unpipelined
# ones; a run of well under a second is dominated by connection set-up and scheduling noise.
PIPELINE_REQUEST_FACTOR = 4


@dataclass(frozen=True)
class BigCommand:
    """One huge multi-element command sent once through the proxy: how long it holds Valkey.

    Valkey runs a function call to its end while every other client waits, so what matters is the
    longest single call (from SLOWLOG; the proxy may split a command of independent elements into
    several calls) and the Valkey time per element."""

    name: str
    command: tuple[str, ...]  # the command before its elements
    element: str  # %d-formatted element (or pair) template
    count: int
    max_hold_s: float  # target for the longest single call

    def args(self) -> list[bytes]:
        elements = [x.encode() for i in range(self.count) for x in shlex.split(self.element % (i, i))]
        return [a.encode() for a in self.command] + elements


BIG_COMMANDS: list[BigCommand] = [
    BigCommand("exzadd-100k", ("EXZADD", "tpb:big:z"), "%d m:%d", 100_000, max_hold_s=0.5),
    BigCommand("bf.madd-100k", ("BF.MADD", "tpb:big:bf"), "i:%d:%d", 100_000, max_hold_s=0.1),
]


class BenchError(RuntimeError):
    pass


# --- a minimal blocking RESP client ------------------------------------------------------------
# The probe and setup only need request/response; a tiny client over hiredis (already a tairproxy
# dependency) avoids pulling redis-py, which is pinned to an old version for the tests only.


def _encode(args: Sequence[str | bytes]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class RespConn:
    def __init__(self, addr: UpstreamAddress, timeout: float = 10.0):
        if addr.unix_path:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(timeout)
            self.sock.connect(addr.unix_path)
        else:
            self.sock = socket.create_connection((addr.host, addr.port), timeout=timeout)
        self.reader = hiredis.Reader()
        if addr.password is not None:
            auth = [addr.username, addr.password] if addr.username else [addr.password]
            reply = self.call("AUTH", *auth)
            if isinstance(reply, hiredis.ReplyError):
                raise BenchError(f"AUTH to {addr} failed: {reply}")

    def pipeline(self, commands: Sequence[Sequence[str | bytes]]) -> list[Any]:
        self.sock.sendall(b"".join(_encode(c) for c in commands))
        replies: list[Any] = []
        while len(replies) < len(commands):
            reply = self.reader.gets()
            if reply is False:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    raise BenchError("connection closed while waiting for a reply")
                self.reader.feed(chunk)
                continue
            replies.append(reply)
        return replies

    def call(self, *args: str | bytes) -> Any:
        return self.pipeline([args])[0]

    def close(self) -> None:
        self.sock.close()


def answers_ping(addr: UpstreamAddress) -> bool:
    try:
        conn = RespConn(addr, timeout=0.5)
        try:
            return conn.call("PING") == b"PONG"
        finally:
            conn.close()
    except (OSError, BenchError):
        return False


# --- processes ---------------------------------------------------------------------------------


class ProxyProcess:
    """The proxy as a child process, so its CPU time is its own and not the benchmark's."""

    def __init__(self, upstream: str, log_path: Path, workers: int = 1, upstream_connections: int | None = None):
        self.upstream_url = upstream
        self.workers = workers
        self.upstream_connections = upstream_connections
        self.port = free_port()
        self.log_path = log_path
        self.address = UpstreamAddress(host="127.0.0.1", port=self.port)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        with open(self.log_path, "wb") as log:
            # Own session: a Ctrl-C at the terminal interrupts the benchmark, whose cleanup then
            # stops the proxy before Valkey, instead of everything dying in an arbitrary order.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tairproxy", "--upstream", self.upstream_url,
                 "--port", str(self.port), "--log-level", "WARNING", "--workers", str(self.workers),
                 "--stats-interval", "0",
                 *(["--upstream-connections", str(self.upstream_connections)] if self.upstream_connections else [])],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"proxy exited at start-up:\n{self.log_tail()}")
            if answers_ping(self.address):
                return
            time.sleep(0.1)
        raise BenchError(f"proxy did not answer PING within {timeout}s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float | None:
        """user+system CPU of the proxy so far (Linux /proc only)."""
        return None if self.process is None else process_cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no proxy log)"

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        stop_process(proc, timeout)


def process_cpu_seconds(pid: int | None) -> float | None:
    """user+system CPU of a process and its children so far (Linux /proc only; None elsewhere).
    With --workers the forked workers do the proxy's work, hence the children."""
    if pid is None:
        return None
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0
        for p in [str(pid), *children]:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except OSError:
        return None
    return total / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU per operation of one process over a measured run."""

    def __init__(self, read: Callable[[], float | None]):
        self.read = read
        self.before = read()

    def per_op_us(self, ops: int) -> float | None:
        after = self.read()
        if self.before is None or after is None or not ops:
            return None
        return (after - self.before) / ops * 1e6


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """A plain SIGTERM would skip `finally` and leave valkey-server and the proxy running."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Side:
    ops: float | None = None
    requests: int | None = None
    seconds: float | None = None
    error: str | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    client_cpu_s: float | None = None  # redis-benchmark's own CPU over the run


@dataclass
class Result:
    name: str
    proxy_command: str
    direct_command: str
    pipeline: int
    target: float
    min_ops: float | None = None
    direct: Side = field(default_factory=Side)
    proxy: Side = field(default_factory=Side)
    proxy_cpu_us_per_op: float | None = None
    valkey_cpu_us_per_op: float | None = None  # Valkey's CPU per command served through the proxy
    floor_valkey_cpu_us_per_op: float | None = None  # ... per function called directly (Lua floor)
    # CPU per command of every process on each side (direct: Valkey + redis-benchmark; proxy:
    # proxy + Valkey + redis-benchmark), direct's over the proxy's: the ratio the host would show
    # if no core ever idled. A row whose ratio is near it is bound by work, not by waiting.
    work_ratio: float | None = None
    anchors: dict[str, Side] = field(default_factory=dict)  # pass-through rows
    floor_command: str | None = None  # Tair rows: the library function called straight at Valkey
    floor: Side | None = None
    max_added_p99_ms: float | None = None
    round_ratios: list[float] = field(default_factory=list)  # with --rounds > 1: every round's ratio

    @property
    def ratio(self) -> float | None:
        if self.direct.ops and self.proxy.ops is not None:
            return self.proxy.ops / self.direct.ops
        return None

    @property
    def error(self) -> str | None:
        return self.proxy.error or self.direct.error


def expand(command: str, key_number: int) -> list[str]:
    return [a.replace("__rand_int__", f"{key_number:012d}") for a in shlex.split(command)]


def short(reply: Any, limit: int = 60) -> str:
    # "ERR unknown command 'EXSET', with args beginning with: ..." -> keep the useful half.
    text = str(reply).strip().split(", with args beginning with")[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def probe(addr: UpstreamAddress, command: str) -> str | None:
    """An error reply from one call, or None. redis-benchmark would count error replies as
    completed requests and report a fast, meaningless rate, so an unimplemented command is caught
    here instead."""
    conn = RespConn(addr)
    try:
        reply = conn.call(*expand(command, 0))
    finally:
        conn.close()
    return short(reply) if isinstance(reply, hiredis.ReplyError) else None


def run_setup(addr: UpstreamAddress, commands: Sequence[str], keyspace: int, batch: int = 1000) -> str | None:
    conn = RespConn(addr, timeout=60)
    try:
        for command in commands:
            numbers = range(keyspace) if "__rand_int__" in command else range(1)
            for start in range(0, len(numbers), batch):
                replies = conn.pipeline([expand(command, n) for n in numbers[start:start + batch]])
                for reply in replies:
                    if isinstance(reply, hiredis.ReplyError):
                        return f"setup {shlex.split(command)[0]}: {short(reply)}"
    finally:
        conn.close()
    return None


def redis_benchmark(addr: UpstreamAddress, command: str, *, clients: int, requests: int,
                    pipeline: int, keyspace: int) -> Side:
    target = ["-s", addr.unix_path] if addr.unix_path else ["-h", addr.host, "-p", str(addr.port)]
    if addr.password is not None:
        target += ["-a", addr.password] + (["--user", addr.username] if addr.username else [])
    argv = ["redis-benchmark", *target, "-c", str(clients), "-n", str(requests), "-P", str(pipeline),
            "-r", str(keyspace), "-q", "--csv", *shlex.split(command)]
    started, cpu_before = time.perf_counter(), _children_cpu_seconds()
    proc = subprocess.run(argv, capture_output=True, text=True)
    seconds, client_cpu = time.perf_counter() - started, _children_cpu_seconds() - cpu_before
    # Error replies don't stop redis-benchmark (rate limited "Error from server" lines on stderr),
    # so a command that only fails for some keys still has to be caught here.
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("Error")]
    if errors:
        return Side(error=short(errors[0].removeprefix("Error from server: ")))
    rows = [r for r in csv.reader(io.StringIO(proc.stdout)) if len(r) >= 2 and r[0] != "test"]
    if proc.returncode != 0 or not rows:
        return Side(error=f"redis-benchmark exit {proc.returncode}: {short(proc.stderr or proc.stdout)}")
    row = rows[-1]
    latency = {"p50_ms": float(row[4]), "p99_ms": float(row[6])} if len(row) >= 7 else {}
    return Side(ops=float(row[1]), requests=requests, seconds=seconds, client_cpu_s=client_cpu, **latency)


def _children_cpu_seconds() -> float:
    """CPU of the children reaped so far: around one redis-benchmark run, that run's (the proxy,
    Valkey and the anchors are still running, so none of theirs is counted)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def lua_floor_command(command: str) -> str | None:
    """The FCALL the proxy sends for a Tair command (redis-benchmark's ``__rand_int__`` kept),
    or None when it is not one FCALL of printable arguments."""
    from tairproxy.dispatch import Call, build_call
    from tairproxy.server import command_table

    marker = "000000000007"
    args = [a.replace("__rand_int__", marker).encode() for a in shlex.split(command)]
    cmd = command_table().lookup(args[0].lower())
    if cmd is None:
        return None
    call = build_call(cmd, args)
    if not isinstance(call, Call) or call.native is not None or call.transform is not None:
        return None
    parts = [b"FCALL_RO" if call.readonly else b"FCALL", call.function.encode(), b"%d" % len(call.keys),
             *call.keys, *call.args]
    if any(not p.isascii() or any(c < 33 for c in p) for p in parts):
        return None  # redis-benchmark takes its command from argv: no binary, no blanks
    return " ".join(shlex.quote(p.decode().replace(marker, "__rand_int__")) for p in parts)


def run_scenario(s: Scenario, direct: UpstreamAddress, proxy: ProxyProcess, args: argparse.Namespace,
                 anchors: dict[str, Any] | None = None, valkey_pid: int | None = None) -> Result:
    """``valkey_pid``: the Valkey the bench started, whose CPU per operation is then reported
    (through the proxy, and for the Lua floor)."""
    requests = args.requests * (PIPELINE_REQUEST_FACTOR if s.pipeline > 1 else 1)
    r = Result(s.name, s.proxy, s.direct_command, s.pipeline, s.target, s.min_ops,
               max_added_p99_ms=s.max_added_p99_ms)
    # Setup first: a probe would otherwise create the key with default parameters (BF.ADD makes
    # a 100-item filter that the setup's BF.INSERT CAPACITY could then no longer size).
    keyspace = s.keyspace or args.keyspace
    error = run_setup(proxy.address, s.setup, keyspace)
    if error:
        r.proxy.error = error
        return r
    error = probe(proxy.address, s.proxy)
    if error:
        r.proxy.error = error
        return r
    error = probe(direct, s.direct_command)
    if error:
        r.direct.error = error
        return r
    load = dict(clients=s.clients or args.clients, pipeline=s.pipeline, keyspace=keyspace)
    # A short warm-up per side: first writes allocate keys that later writes merely overwrite, and
    # the first side measured must not pay that alone. Its rate also sizes the measured run.
    warmup = max(requests // 20, args.clients * s.pipeline * 20)
    sized: list[int] = []
    for addr, command in ((direct, s.direct_command), (proxy.address, s.proxy)):
        side = redis_benchmark(addr, command, requests=warmup, **load)
        if side.error:
            (r.direct if addr is direct else r.proxy).error = side.error
            return r
        # Direct Valkey is several times faster than the proxy, so a fixed request count would make
        # its run a fraction of a second long (pipelined: ~0.2 s), too short to be repeatable.
        sized.append(max(requests, int((side.ops or 0) * args.min_seconds)))
    # Rounds alternate the sides (direct first, then proxy first...): a shared host's speed drifts
    # by tens of percent within minutes, so the row reports the round with the median ratio.
    def measure_direct(measured: dict[str, Any]) -> None:
        valkey_cpu = CpuMeter(lambda: process_cpu_seconds(valkey_pid))
        measured["direct"] = redis_benchmark(direct, s.direct_command, requests=sized[0], **load)
        if measured["direct"].ops:
            measured["direct_valkey_cpu"] = valkey_cpu.per_op_us(sized[0])

    def measure_proxy(measured: dict[str, Any]) -> None:
        proxy_cpu, valkey_cpu = CpuMeter(proxy.cpu_seconds), CpuMeter(lambda: process_cpu_seconds(valkey_pid))
        measured["proxy"] = redis_benchmark(proxy.address, s.proxy, requests=sized[1], **load)
        if measured["proxy"].ops:
            measured["proxy_cpu"] = proxy_cpu.per_op_us(sized[1])
            measured["valkey_cpu"] = valkey_cpu.per_op_us(sized[1])

    rounds = []
    for n in range(args.rounds):
        measured: dict[str, Any] = {}
        for measure in ((measure_direct, measure_proxy) if n % 2 == 0 else (measure_proxy, measure_direct)):
            measure(measured)
        rounds.append(measured)
    ratios = [m["proxy"].ops / m["direct"].ops if m["direct"].ops and m["proxy"].ops else 0.0 for m in rounds]
    r.round_ratios = ratios if len(rounds) > 1 else []
    chosen = rounds[sorted(range(len(rounds)), key=ratios.__getitem__)[len(rounds) // 2]]
    r.direct, r.proxy = chosen["direct"], chosen["proxy"]
    r.proxy_cpu_us_per_op, r.valkey_cpu_us_per_op = chosen.get("proxy_cpu"), chosen.get("valkey_cpu")
    r.work_ratio = _work_ratio(chosen, sized)
    if s.direct is None and s.max_added_p99_ms is None:
        for name, anchor in (anchors or {}).items():
            r.anchors[name] = (Side(error="not installed") if anchor is None
                               else redis_benchmark(anchor.address, s.proxy, requests=sized[0], **load))
    elif s.direct is not None:
        # Latency rows too: the floor's p99 tells the Lua call's share of what a Tair row adds.
        r.floor_command = lua_floor_command(s.proxy)
        if r.floor_command is not None:
            floor_cpu = CpuMeter(lambda: process_cpu_seconds(valkey_pid))
            r.floor = redis_benchmark(direct, r.floor_command, requests=sized[1], **load)
            if r.floor.ops:
                r.floor_valkey_cpu_us_per_op = floor_cpu.per_op_us(sized[1])
    return r


def _work_ratio(measured: dict[str, Any], sized: list[int]) -> float | None:
    """Direct's CPU per command over the proxy path's, every process counted (Result.work_ratio)."""
    direct, proxy = measured["direct"], measured["proxy"]
    parts = (measured.get("direct_valkey_cpu"), direct.client_cpu_s, measured.get("proxy_cpu"),
             measured.get("valkey_cpu"), proxy.client_cpu_s)
    if any(part is None for part in parts):
        return None
    direct_valkey, direct_client, proxy_cpu, proxy_valkey, proxy_client = parts
    direct_us = direct_valkey + direct_client / sized[0] * 1e6
    proxy_us = proxy_cpu + proxy_valkey + proxy_client / sized[1] * 1e6
    return direct_us / proxy_us if proxy_us else None


@dataclass
class BigResult:
    name: str
    count: int
    max_hold_s: float
    calls: int = 0
    longest_s: float | None = None
    valkey_s: float | None = None
    wall_s: float | None = None
    error: str | None = None


def run_big_command(big: BigCommand, direct: UpstreamAddress, proxy: ProxyProcess) -> BigResult:
    r = BigResult(big.name, big.count, big.max_hold_s)
    conn = RespConn(direct, timeout=120)
    client = RespConn(proxy.address, timeout=120)
    old = conn.call("CONFIG", "GET", "slowlog-log-slower-than")[1]
    try:
        conn.call("DEL", big.command[1])
        conn.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
        conn.call("SLOWLOG", "RESET")
        started = time.perf_counter()
        reply = client.call(*big.args())
        r.wall_s = time.perf_counter() - started
        if isinstance(reply, hiredis.ReplyError):
            r.error = str(reply)
            return r
        entries = conn.call("SLOWLOG", "GET", "-1")
        holds = [e[2] / 1e6 for e in entries if e[3][:1] and e[3][0].upper() in (b"FCALL", b"FCALL_RO")]
        r.calls, r.longest_s, r.valkey_s = len(holds), max(holds, default=0.0), sum(holds)
    finally:
        conn.call("CONFIG", "SET", "slowlog-log-slower-than", old)
        conn.call("DEL", big.command[1])
        conn.close()
        client.close()
    return r


def render_big(results: Sequence[BigResult], markdown: bool) -> str:
    columns = ["big command", "elements", "calls", "longest call s", "target", "met?", "Valkey µs/element",
               "wall s (proxy)"]
    rows = []
    for r in results:
        if r.error or r.longest_s is None:
            rows.append([r.name, f"{r.count:,}", "", f"n/a ({r.error})", f"<{r.max_hold_s:g}", "", "", ""])
            continue
        rows.append([r.name, f"{r.count:,}", str(r.calls), f"{r.longest_s:.3f}", f"<{r.max_hold_s:g}",
                     "yes" if r.longest_s < r.max_hold_s else "no", f"{r.valkey_s / r.count * 1e6:.1f}",
                     f"{r.wall_s:.3f}"])
    return render_table(columns, rows, markdown)


# --- reporting ---------------------------------------------------------------------------------

COLUMNS = ["scenario", "direct ops/s", "proxy ops/s", "ratio", "target", "met?", "haproxy", "twemproxy",
           "Lua floor ops/s", "proxy/floor", "proxy CPU µs/op", "Valkey CPU µs/op (floor)", "work ratio"]
LATENCY_COLUMNS = ["scenario", "direct p50 ms", "direct p99 ms", "proxy p50 ms", "proxy p99 ms", "p99 added ms",
                   "target", "met?", "Lua floor p99 ms", "p99 added over floor ms"]


def _anchor_cell(r: Result, name: str) -> str:
    side = r.anchors.get(name)
    if side is None:
        return ""
    if side.error:
        return side.error
    return f"{side.ops / r.direct.ops:.2f}" if side.ops and r.direct.ops else ""


def _floor_cells(r: Result) -> list[str]:
    if r.floor is None:
        return ["", ""]
    if r.floor.error or not r.floor.ops:
        return [r.floor.error or "", ""]
    return [fmt_ops(r.floor.ops), f"{r.proxy.ops / r.floor.ops:.2f}" if r.proxy.ops else ""]


def _valkey_cpu_cell(r: Result) -> str:
    """Valkey's CPU per command served through the proxy, and per function called directly
    (the Lua floor) in brackets: which of the two processes a Tair row is bound by."""
    if r.valkey_cpu_us_per_op is None:
        return ""
    floor = "" if r.floor_valkey_cpu_us_per_op is None else f" ({r.floor_valkey_cpu_us_per_op:.1f})"
    return f"{r.valkey_cpu_us_per_op:.1f}{floor}"


def latency_rows(results: Sequence[Result]) -> list[list[str]]:
    rows = []
    for r in results:
        if r.max_added_p99_ms is None:
            continue
        if r.error or r.direct.p99_ms is None or r.proxy.p99_ms is None:
            rows.append([r.name, "", "", "", "", f"n/a ({r.error or 'no latency columns'})", "", "", "", ""])
            continue
        added = r.proxy.p99_ms - r.direct.p99_ms
        floor = r.floor.p99_ms if r.floor is not None else None
        rows.append([r.name, f"{r.direct.p50_ms:.3f}", f"{r.direct.p99_ms:.3f}", f"{r.proxy.p50_ms:.3f}",
                     f"{r.proxy.p99_ms:.3f}", f"{added:+.3f}", f"≤{r.max_added_p99_ms:.2f}",
                     "yes" if added <= r.max_added_p99_ms else "no",
                     "" if floor is None else f"{floor:.3f}", "" if floor is None else f"{r.proxy.p99_ms - floor:+.3f}"])
    return rows


def table_rows(results: Sequence[Result]) -> list[list[str]]:
    rows = []
    for r in results:
        if r.max_added_p99_ms is not None:
            continue  # in the latency table
        if r.error:
            side = "proxy" if r.proxy.error else "direct"
            na = f"n/a ({side} error: {r.error})"
            rows.append([r.name, fmt_ops(r.direct.ops), fmt_ops(r.proxy.ops), na, f"≥{r.target:.2f}", "",
                         "", "", "", "", "", "", ""])
            continue
        ratio = r.ratio
        cpu = "" if r.proxy_cpu_us_per_op is None else f"{r.proxy_cpu_us_per_op:.1f}"
        if r.min_ops is not None:
            goal = f"≥{r.min_ops:,.0f}/s"
            met = "" if r.proxy.ops is None else ("yes" if r.proxy.ops >= r.min_ops else "no")
        else:
            goal = f"≥{r.target:.2f}"
            met = "" if ratio is None else ("yes" if ratio >= r.target else "no")
        ratio_cell = "" if ratio is None else f"{ratio:.2f}"
        if ratio is not None and r.round_ratios:
            ratio_cell += f" ({min(r.round_ratios):.2f}–{max(r.round_ratios):.2f})"
        rows.append([r.name, fmt_ops(r.direct.ops), fmt_ops(r.proxy.ops), ratio_cell, goal, met,
                     _anchor_cell(r, "haproxy"), _anchor_cell(r, "twemproxy"), *_floor_cells(r), cpu,
                     _valkey_cpu_cell(r), "" if r.work_ratio is None else f"{r.work_ratio:.2f}"])
    return rows


def fmt_ops(ops: float | None) -> str:
    return "-" if ops is None else f"{ops:,.0f}"


def render_table(columns: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    if markdown:
        return "\n".join(["| " + " | ".join(columns) + " |", "|:---" + "|---:" * (len(columns) - 1) + "|",
                          *("| " + " | ".join(row) + " |" for row in rows)])
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(row) for row in rows)])


def render(results: Sequence[Result], markdown: bool) -> str:
    parts = []
    rows = table_rows(results)
    if rows:
        parts.append(render_table(COLUMNS, rows, markdown))
    latency = latency_rows(results)
    if latency:
        parts.append(render_table(LATENCY_COLUMNS, latency, markdown))
    return "\n\n".join(parts)


def machine_info(direct: UpstreamAddress) -> dict[str, Any]:
    cpu_model = ""
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu_model = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    conn = RespConn(direct)
    try:
        info = conn.call("INFO", "server").decode(errors="replace")
    finally:
        conn.close()
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    bench_version = subprocess.run(["redis-benchmark", "--version"], capture_output=True, text=True).stdout
    try:
        import uvloop  # noqa: F401  (the proxy runs under the same interpreter, see ProxyProcess)

        loop = "uvloop"
    except ImportError:
        loop = "asyncio (uvloop not installed)"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model or platform.processor(),
        "valkey": fields.get("valkey_version") or fields.get("redis_version", "?"),
        "redis_benchmark": bench_version.strip().split(" ")[-1] if bench_version else "?",
        "python": platform.python_version(),
        "proxy_loop": loop,
        # Anything else busy on a 2-core machine shows up directly in the numbers.
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def header(meta: dict[str, Any], args: argparse.Namespace) -> str:
    return (
        f"nproc={meta['nproc']} ({meta['cpu']}); valkey {meta['valkey']}; redis-benchmark "
        f"{meta['redis_benchmark']}; proxy on Python {meta['python']} with {meta['proxy_loop']}\n"
        f"{args.clients} clients, {args.requests} requests per run (x{PIPELINE_REQUEST_FACTOR} when "
        f"pipelined, more if that lasts < {args.min_seconds:g} s), keyspace {args.keyspace}; "
        f"load average {meta['loadavg']} at start.\n"
        "Load generator, Valkey and proxy share these cores.\n"
        "ratio = proxy ops/s / direct ops/s; 'a-vs-b' rows: a through the proxy vs native b direct."
        + (f"\nEach row: the median-ratio round of {args.rounds} (direct and proxy alternating)."
           if args.rounds > 1 else "")
    )


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=200_000,
                   help=f"requests per unpipelined run (x{PIPELINE_REQUEST_FACTOR} when pipelined; default 200000)")
    p.add_argument("--clients", type=int, default=50, help="parallel connections (default 50)")
    p.add_argument("--min-seconds", type=float, default=1.0,
                   help="lengthen a side's run to about this long if --requests would be quicker (default 1)")
    p.add_argument("--keyspace", type=int, default=100_000, help="random key range, redis-benchmark -r")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="run scenarios whose name matches the regular expression NAME (repeatable)")
    p.add_argument("--proxy-workers", type=int, default=1, help="tairproxy --workers (default 1)")
    p.add_argument("--upstream-connections", type=int, default=None,
                   help="tairproxy --upstream-connections (default: the proxy's)")
    p.add_argument("--rounds", type=int, default=1,
                   help="measure direct and proxy this many times, alternating; rows show the round with "
                        "the median ratio (default 1)")
    p.add_argument("--no-anchors", action="store_true", help="skip the haproxy and twemproxy rows")
    p.add_argument("--valkey-url", help="use this Valkey instead of starting one (writes tpb:* keys)")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--json", metavar="FILE", help="also write the results to FILE")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = [s for s in SCENARIOS if not args.only or any(re.search(o, s.name, re.I) for o in args.only)]
    bigs = [b for b in BIG_COMMANDS if not args.only or any(re.search(o, b.name, re.I) for o in args.only)]
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:24} proxy: {s.proxy}   direct: {s.direct_command}   -P {s.pipeline}")
        for b in BIG_COMMANDS:
            print(f"{b.name:24} one {b.command[0]} of {b.count} elements, longest Valkey call < {b.max_hold_s:g} s")
        return 0
    if not scenarios and not bigs:
        print(f"no scenario matches {args.only}; see --list", file=sys.stderr)
        return 2
    if shutil.which("redis-benchmark") is None:
        print("bench: redis-benchmark not found. Install it with:  apt-get install redis-tools",
              file=sys.stderr)
        return 2

    valkey: EmbeddedValkey | None = None
    proxy: ProxyProcess | None = None
    results: list[Result] = []
    big_results: list[BigResult] = []
    anchors: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tairproxy-bench-") as tmp, sigterm_as_interrupt():
        try:
            if args.valkey_url:
                direct = UpstreamAddress.parse(args.valkey_url)
                if direct.tls:
                    raise BenchError("TLS upstreams are not supported by this benchmark")
                upstream = args.valkey_url
            else:
                # No AOF: both sides would pay the same disk writes, and an AOF rewrite fork in
                # the middle of one run would skew only that run on a 2-core machine.
                valkey = EmbeddedValkey(Path(tmp) / "valkey", extra=["--appendonly", "no"])
                valkey.start()
                direct = UpstreamAddress(host="127.0.0.1", port=valkey.port)
                upstream = valkey.url
            proxy = ProxyProcess(upstream, Path(tmp) / "proxy.log", workers=args.proxy_workers,
                                 upstream_connections=args.upstream_connections)
            proxy.start()
            if not args.no_anchors:
                for kind in ANCHORS:
                    if not kind.installed():
                        anchors[kind.name] = None
                        continue
                    anchor = kind(direct, Path(tmp))
                    anchor.start(answers_ping)
                    anchors[kind.name] = anchor
            meta = machine_info(direct)
            # Markdown joins consecutive lines into one paragraph; hard breaks keep them apart.
            print(header(meta, args).replace("\n", "  \n" if args.markdown else "\n"), flush=True)
            for s in scenarios:
                print(f"  running {s.name} ...", file=sys.stderr, flush=True)
                results.append(run_scenario(s, direct, proxy, args, anchors,
                                            valkey.process.pid if valkey is not None and valkey.process else None))
                if proxy.process is not None and proxy.process.poll() is not None:
                    raise BenchError(f"proxy died during {s.name}:\n{proxy.log_tail()}")
            for b in bigs:
                print(f"  running {b.name} ...", file=sys.stderr, flush=True)
                big_results.append(run_big_command(b, direct, proxy))
            if args.valkey_url:
                cleanup_keys(direct)
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            if results:
                print(render(results, args.markdown))
            return 130
        except (BenchError, RuntimeError, OSError) as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 1
        finally:
            for anchor in anchors.values():
                if anchor is not None:
                    anchor.stop()
            if proxy is not None:
                proxy.stop()
            if valkey is not None:
                valkey.stop()

    if results:
        print()
        print(render(results, args.markdown))
    if big_results:
        print()
        print(render_big(big_results, args.markdown))
    if args.json:
        payload = {"machine": meta, "clients": args.clients, "keyspace": args.keyspace,
                   "results": [asdict(r) | {"ratio": r.ratio} for r in results],
                   "big_commands": [asdict(r) for r in big_results]}
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
    return 0


def cleanup_keys(addr: UpstreamAddress) -> None:
    """Someone else's Valkey: remove what the scenarios wrote, but only our tpb:* prefix."""
    conn = RespConn(addr, timeout=60)
    try:
        cursor = b"0"
        while True:
            cursor, keys = conn.call("SCAN", cursor, "MATCH", "tpb:*", "COUNT", "1000")
            if keys:
                conn.call("UNLINK", *keys)
            if cursor == b"0":
                break
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
