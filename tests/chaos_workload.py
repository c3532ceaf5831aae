"""The chaos test's workload: clients of several kinds that check every reply they get.

Every write goes to a key of its own, named after the client and a sequence number, and
carries a value naming them too; the read that follows it must return exactly that value
(or, when the write was not acknowledged, that value or nothing). A reply meant for
another client therefore cannot pass. An error must be one of the accepted ones
(``error_kind``); a client that waits longer than ``TIMEOUT`` (plus its blocking
command's own timeout) for a reply records a hang. Every acknowledged write is kept, with
the read that must find it, to be checked once more at the end.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tairproxy.resp import encode_command, parse_reply, scan_reply
from tairproxy.session import RETRY_OVERTAKEN
from tests.helpers import take_reply
from tests.replies import NIL, OK, QUEUED, bulk, i

# Seconds a client waits for a reply before it calls it a hang: the proxy's connect timeout
# (5 s) plus Valkey stopped for 2 s, with room for two busy cores.
TIMEOUT = 10.0

# Clients per kind (200 in all; a pub/sub client has a subscriber and a publisher connection).
KINDS = (("single", 80), ("pipeline", 50), ("multi", 20), ("blpop", 15), ("bzpop", 15), ("pubsub", 20))

NIL_ARRAY = b"*-1\r\n"
ONE = i(1)
ZERO = i(0)


def error_kind(reply: bytes, upstream: str, in_exec: bool = False) -> str | None:
    """What kind of accepted error ``reply`` is, or None when it is not a clear one."""
    accepted = [
        (b"-ERR tairproxy: upstream connection lost\r\n", "upstream connection lost"),
        (b"-ERR tairproxy: upstream %s unavailable: " % upstream.encode(), "upstream unavailable"),
        (b"-ERR tairproxy: cannot load the Lua library: ", "library reload failed"),
        (b"-LOADING ", "LOADING"),
        (RETRY_OVERTAKEN, "not run: library missing, later commands had run"),
    ]
    if in_exec:
        # The library vanished under a transaction that had already run (README, Limitations).
        accepted.append((b"-ERR Function not found\r\n", "Function not found in EXEC"))
    for prefix, kind in accepted:
        if reply.startswith(prefix):
            return kind
    return None


@dataclass
class Tally:
    """What all clients saw."""

    upstream: str
    replies: int = 0
    errors: Counter = field(default_factory=Counter)
    closes: Counter = field(default_factory=Counter)
    hangs: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    acked: list[tuple[list[bytes], bytes]] = field(default_factory=list)
    messages: int = 0
    phase: str = "load"  # what the chaos is doing now
    max_wait: dict[str, float] = field(default_factory=dict)  # longest wait for a reply, per phase
    on_hang: object = None  # called when a client gives up waiting

    def waited(self, seconds: float) -> None:
        if seconds > self.max_wait.get(self.phase, 0.0):
            self.max_wait[self.phase] = seconds

    def closed(self, kind: str, pinned: bool) -> None:
        """The proxy closed a client's connection. Only allowed for a pinned session, whose
        upstream connection (and server-side state) was lost, as Valkey closing it would be;
        a shared session keeps its connection whatever happens upstream."""
        self.closes[f"{kind} (pinned)" if pinned else kind] += 1

    def bad(self, who: str, what: str) -> None:
        if len(self.unexpected) < 50:
            self.unexpected.append(f"{who} (after {self.phase}): {what}")


class Hang(Exception):
    pass


class Op:
    """One command and what its reply may be.

    ``want`` is the exact reply on success, or a check returning True/False. A read made
    ``after`` a write also accepts ``missing`` when that write was not acknowledged. A write
    with ``verify`` = (read command, reply) is remembered once acknowledged.
    """

    __slots__ = ("args", "want", "missing", "after", "verify", "block", "acked", "also_accepted")

    def __init__(self, args: list[bytes], want: bytes | Callable[[bytes], bool], *, missing: bytes | None = None,
                 after: Op | None = None, verify: tuple[list[bytes], bytes] | None = None, block: float = 0.0,
                 also_accepted: Callable[[bytes], str | None] | None = None):
        self.args = args
        self.want = want
        self.missing = missing
        self.after = after
        self.verify = verify
        self.block = block
        self.acked = False
        self.also_accepted = also_accepted  # an error this command may answer: its kind, or None

    def judge(self, reply: bytes, tally: Tally, who: str) -> None:
        tally.replies += 1
        if reply[:1] == b"-":
            kind = error_kind(reply, tally.upstream)
            if kind is None and self.also_accepted is not None:
                kind = self.also_accepted(reply)
            if kind is None:
                tally.bad(who, f"unclear error {reply[:200]!r} for {_show(self.args)}")
            else:
                tally.errors[kind] += 1
            return
        want = self.want
        try:
            ok = want(reply) if callable(want) else reply == want
        except (ValueError, TypeError, IndexError, KeyError):
            ok = False
        if not ok and self.after is not None and not self.after.acked and reply == self.missing:
            return  # its write may or may not have happened
        if not ok:
            tally.bad(who, f"{_show(self.args)} answered {reply[:200]!r}, wanted {want if callable(want) else want[:200]!r}")
            return
        self.acked = True
        if self.verify is not None:
            tally.acked.append(self.verify)


def _show(args: list[bytes]) -> str:
    return " ".join(a.decode(errors="replace")[:40] for a in args)


# ----- write/read pairs, one per family ---------------------------------------------------

def _pair(write: list[bytes], written: bytes, read: list[bytes], found: bytes, missing: bytes = NIL) -> list[Op]:
    w = Op(write, written, verify=(read, found))
    return [w, Op(read, found, missing=missing, after=w)]


def family_ops(family: str, n: int, seq: int) -> list[Op]:
    """A write of a fresh key of ``family`` and the read that must see it."""
    v = b"v:%d:%d" % (n, seq)
    k = b"%s:%d:%d" % (family.encode(), n, seq)
    if family == "string":
        return _pair([b"SET", k, v], OK, [b"GET", k], bulk(v))
    if family == "tairstring":
        return _pair([b"EXSET", k, v], OK, [b"EXGET", k], b"*2\r\n" + bulk(v) + ONE)
    if family == "tairhash":
        return _pair([b"EXHSET", k, b"f", v], ONE, [b"EXHGET", k, b"f"], bulk(v))
    if family == "tairzset":
        score = b"%d#%d" % (seq, n)
        return _pair([b"EXZADD", k, score, v], ONE, [b"EXZSCORE", k, v], bulk(score))
    if family == "tairbloom":
        return _pair([b"BF.ADD", k, v], ONE, [b"BF.EXISTS", k, v], ONE, missing=ZERO)
    if family == "tairgis":
        # Whole-degree corners print as written; the longitude names the client.
        x, y = n - 100, seq % 170 - 85
        wkt = b"POLYGON((%d %d,%d %d,%d %d,%d %d,%d %d))" % (x, y, x + 1, y, x + 1, y + 1, x, y + 1, x, y)
        return _pair([b"GIS.ADD", k, v, wkt], ONE, [b"GIS.GET", k, v], bulk(wkt))
    if family == "tairdoc":
        return _pair([b"JSON.SET", k, b"$", b'{"c":"%s","n":%d}' % (v, seq)], OK, [b"JSON.GET", k, b".c"],
                     bulk(b'"%s"' % v))
    raise ValueError(family)


FAMILIES = ("string", "tairstring", "tairhash", "tairzset", "tairbloom", "tairgis", "tairdoc")


# ----- a connection that reads whole replies, with a deadline -----------------------------

class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.buf = bytearray()

    @classmethod
    async def open(cls, port: int) -> Conn:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
        return cls(reader, writer)

    async def send(self, commands: list[list[bytes]], rng: random.Random | None = None) -> None:
        """Write ``commands``; with ``rng``, in up to four pieces cut at random bytes."""
        data = b"".join(encode_command(c) for c in commands)
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 3)))) if rng else []
        for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
            self.writer.write(data[a:b])
            if b < len(data):
                await self.writer.drain()
                await asyncio.sleep(0.001)

    async def read(self, deadline: float) -> bytes:
        loop = asyncio.get_running_loop()
        while (reply := take_reply(self.buf)) is None:
            left = deadline - loop.time()
            if left <= 0:
                raise Hang
            try:
                chunk = await asyncio.wait_for(self.reader.read(1 << 16), left)
            except TimeoutError:
                raise Hang from None
            if not chunk:
                raise ConnectionError("closed by the proxy")
            self.buf += chunk
        return reply

    def close(self) -> None:
        self.writer.close()


async def exchange(conn: Conn, ops: list[Op], tally: Tally, who: str, rng: random.Random | None = None) -> None:
    """Send ``ops`` (pipelined, cut at random bytes; or one at a time when ``rng`` is None)
    and judge each reply as it comes."""
    loop = asyncio.get_running_loop()
    groups = [ops] if rng is not None else [[op] for op in ops]
    for group in groups:
        await conn.send([op.args for op in group], rng)
        since = loop.time()
        for op in group:
            reply = await conn.read(since + TIMEOUT + op.block)
            now = loop.time()
            tally.waited(now - since - op.block)
            since = now
            op.judge(reply, tally, who)


# ----- client kinds -------------------------------------------------------------------------

class Client:
    """One client: builds its next round of commands and runs them on a connection that it
    re-opens after the proxy closes it (only ever allowed for pinned kinds)."""

    pipelined = True

    def __init__(self, kind: str, n: int, port: int, tally: Tally):
        self.kind = kind
        self.n = n
        self.port = port
        self.tally = tally
        self.rng = random.Random(n)
        self.seq = 0
        self.who = f"{kind} client {n}"
        self.pinned = False  # the session has (or is about to have) an upstream connection of its own

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def round(self) -> list[Op]:
        raise NotImplementedError

    async def run(self, stop: asyncio.Event) -> None:
        conn = None
        while not stop.is_set():
            try:
                if conn is None:
                    conn = await Conn.open(self.port)
                    self.pinned = False
                await exchange(conn, self.round(), self.tally, self.who, self.rng if self.pipelined else None)
            except Hang:
                self.tally.hangs.append(f"{self.who}: no reply within {TIMEOUT} s")
                if self.tally.on_hang is not None:
                    self.tally.on_hang()  # while the connection still waits: the proxy can tell why
                conn.close()
                conn = None
            except (ConnectionError, OSError):
                self.tally.closed(self.kind, self.pinned)
                if conn is not None:
                    conn.close()
                conn = None
                await asyncio.sleep(0.1)
            await asyncio.sleep(self.rng.uniform(0.005, 0.03))
        if conn is not None:
            conn.close()


class SingleClient(Client):
    """One command at a time, no pipelining: a write, then its read."""

    pipelined = False

    def round(self) -> list[Op]:
        return family_ops(self.rng.choice(FAMILIES), self.n, self.next_seq())


class PipelineClient(Client):
    """Several families' writes and reads in one pipeline, up to 40 commands; now and then
    a transaction at its end, which pins the session after its shared traffic."""

    def round(self) -> list[Op]:
        ops: list[Op] = []
        for _ in range(self.rng.choice((1, 2, 3, 6, 20))):
            ops += family_ops(self.rng.choice(FAMILIES), self.n, self.next_seq())
        if self.rng.random() < 0.02:
            self.pinned = True
            ops += transaction_ops(self)
        return ops


class MultiClient(Client):
    """MULTI, native and Tair writes, EXEC, then reads of what EXEC wrote, in one pipeline."""

    def round(self) -> list[Op]:
        self.pinned = True
        return transaction_ops(self)


def transaction_ops(client: Client) -> list[Op]:
    """MULTI, native and Tair writes, EXEC, then reads of what EXEC wrote."""
    writes: list[Op] = []
    reads: list[Op] = []
    for family in ("string", "tairstring", "tairhash"):
        w, r = family_ops(family, client.n, client.next_seq())
        writes.append(w)  # not sent itself: EXEC's array holds its reply
        reads.append(r)
    queued = [Op(w.args, QUEUED) for w in writes]

    def aborted(reply: bytes) -> str | None:
        # A command refused at queue time makes Valkey discard the transaction.
        if reply.startswith(b"-EXECABORT") and not all(q.acked for q in queued):
            return "EXECABORT after a queue-time error"
        return None

    def exec_ok(reply: bytes) -> bool:
        if not reply.startswith(b"*%d\r\n" % len(writes)):
            return False
        pos = len(b"*%d\r\n" % len(writes))
        for w in writes:
            end = scan_reply(reply, pos)
            element = reply[pos:end]
            pos = end
            if element[:1] == b"-":
                kind = error_kind(element, client.tally.upstream, in_exec=True)
                if kind is None:
                    return False
                client.tally.errors[kind] += 1
                continue
            if element != w.want:
                return False
            w.acked = True
            client.tally.acked.append(w.verify)
        return pos == len(reply)

    return [Op([b"MULTI"], OK), *queued, Op([b"EXEC"], exec_ok, also_accepted=aborted), *reads]


class BlockingListClient(Client):
    """RPUSH then BLPOP of what it pushed; now and then a BLPOP that times out."""

    def __init__(self, *args):
        super().__init__(*args)
        self.key = b"blpop:%d" % self.n
        self.pushed: set[bytes] = set()  # pushed, maybe, and not popped yet

    def round(self) -> list[Op]:
        self.pinned = True
        v = b"v:%d:%d" % (self.n, self.next_seq())
        self.pushed.add(v)
        push = Op([b"RPUSH", self.key, v], lambda r: r[:1] == b":" and int(r[1:-2]) > 0)

        def popped(reply: bytes) -> bool:
            if reply == NIL_ARRAY:
                return not push.acked
            value = parse_reply(reply)[0]
            if not (isinstance(value, list) and value[0] == self.key and value[1] in self.pushed):
                return False
            self.pushed.discard(value[1])
            return True

        ops = [push, Op([b"BLPOP", self.key, b"2"], popped, block=2.0)]
        if self.seq % 4 == 0:
            ops.append(Op([b"BLPOP", b"blpop:empty:%d" % self.n, b"0.2"], NIL_ARRAY, block=0.2))
        return ops


class BlockingZsetClient(Client):
    """EXZADD then EXBZPOPMIN of what it added; now and then one that times out."""

    def __init__(self, *args):
        super().__init__(*args)
        self.key = b"bzpop:%d" % self.n
        self.added: dict[bytes, bytes] = {}  # member -> score, added maybe and not popped yet

    def round(self) -> list[Op]:
        seq = self.next_seq()
        member, score = b"m:%d:%d" % (self.n, seq), b"%d" % seq
        self.added[member] = score
        add = Op([b"EXZADD", self.key, score, member], ONE)

        def popped(reply: bytes) -> bool:
            if reply == NIL:
                return not add.acked
            value = parse_reply(reply)[0]
            if not (isinstance(value, list) and value[0] == self.key and self.added.get(value[1]) == value[2]):
                return False
            del self.added[value[1]]
            return True

        ops = [add, Op([b"EXBZPOPMIN", self.key, b"2"], popped, block=2.0)]
        if seq % 4 == 0:
            ops.append(Op([b"EXBZPOPMIN", b"bzpop:empty:%d" % self.n, b"0.2"], NIL, block=0.2))
        return ops


class PubSubClient(Client):
    """A subscriber on its own channel and a publisher sending it numbered messages. The
    subscriber must only ever see its own channel's messages, in order (some may be lost
    while it reconnects: pub/sub is at most once), and answers PING while subscribed."""

    def __init__(self, *args):
        super().__init__(*args)
        self.channel = b"chan:%d" % self.n

    def round(self) -> list[Op]:
        payload = b"p:%d:%d" % (self.n, self.next_seq())
        return [Op([b"PUBLISH", self.channel, payload], lambda r: r in (ZERO, ONE))]

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(super().run(stop), self.subscribe(stop))

    async def subscribe(self, stop: asyncio.Event) -> None:
        tally, who = self.tally, f"subscriber {self.n}"
        confirm = b"*3\r\n$9\r\nsubscribe\r\n" + bulk(self.channel) + ONE
        pong = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
        message = b"*3\r\n$7\r\nmessage\r\n" + bulk(self.channel)
        loop = asyncio.get_running_loop()
        last = 0
        conn = None
        while not stop.is_set():
            try:
                if conn is None:
                    conn = await Conn.open(self.port)
                    await conn.send([[b"SUBSCRIBE", self.channel]])
                    reply = await conn.read(loop.time() + TIMEOUT)
                    if reply != confirm:
                        Op([b"SUBSCRIBE"], confirm).judge(reply, tally, who)
                        conn.close()
                        conn = None
                        await asyncio.sleep(0.1)
                        continue
                await conn.send([[b"PING"]])
                sent = loop.time()
                while True:
                    frame = await conn.read(sent + TIMEOUT)
                    tally.replies += 1
                    if frame == pong:
                        tally.waited(loop.time() - sent)
                        break
                    if frame[:1] == b"-":  # PING's answer when the upstream connection failed
                        Op([b"PING"], pong).judge(frame, tally, who)
                        break
                    if not frame.startswith(message):
                        tally.bad(who, f"unexpected frame {frame[:200]!r}")
                        continue
                    payload = parse_reply(frame)[0][2]
                    n, seq = (int(x) for x in payload.split(b":")[1:])
                    if n != self.n or seq <= last:
                        tally.bad(who, f"message {payload!r} after p:{self.n}:{last}")
                    last = seq
                    tally.messages += 1
                await asyncio.sleep(0.2)
            except Hang:
                tally.hangs.append(f"{who}: no PONG within {TIMEOUT} s")
                conn.close()
                conn = None
            except (ConnectionError, OSError):
                tally.closed("subscriber", pinned=True)
                if conn is not None:
                    conn.close()
                conn = None
                await asyncio.sleep(0.1)
        if conn is not None:
            conn.close()


CLIENT_CLASSES: dict[str, type[Client]] = {
    "single": SingleClient, "pipeline": PipelineClient, "multi": MultiClient,
    "blpop": BlockingListClient, "bzpop": BlockingZsetClient, "pubsub": PubSubClient,
}


async def run_workload(port: int, tally: Tally, stop: asyncio.Event) -> None:
    """All the clients, until ``stop`` is set."""
    clients = []
    n = 0
    for kind, count in KINDS:
        for _ in range(count):
            clients.append(CLIENT_CLASSES[kind](kind, n, port, tally))
            n += 1
    await asyncio.gather(*(c.run(stop) for c in clients))


def verify_acknowledged(port: int, acked: list[tuple[list[bytes], bytes]], chunk: int = 500) -> list[str]:
    """Read every acknowledged write again through the proxy; what is missing or different."""
    import socket

    missing = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        buf = bytearray()
        for i in range(0, len(acked), chunk):
            part = acked[i : i + chunk]
            s.sendall(b"".join(encode_command(read) for read, _ in part))
            for read, want in part:
                while (got := take_reply(buf)) is None:
                    data = s.recv(1 << 20)
                    if not data:
                        raise ConnectionError("closed by the proxy")
                    buf += data
                if got != want:
                    missing.append(f"{_show(read)}: {got[:100]!r}, wanted {want[:100]!r}")
    return missing

