"""Client ↔ upstream pairing: one Valkey connection per client connection.

Bytes from the client are cut into commands (``resp.scan_command``). Runs of
pass-through commands are forwarded exactly as received; a Tair command is
replaced by the one FCALL its handler builds. Replies come back in the order
commands were sent upstream; each is matched to the ``Entry`` that asked for
it and written to the client in the client's order (``pending``). The two
orders differ only while an FCALL is being retried after the library was
reloaded, which is why they are two queues.

Flow control: a client that does not read pauses reading from its upstream
and vice versa, so neither a slow reader nor a huge reply grows proxy memory
without bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterator

import hiredis

from tairproxy.cluster import REWRITTEN_SUBCOMMANDS, ClusterMap
from tairproxy.dispatch import Call, CommandTable, Reply, build_call
from tairproxy.library import FUNCTION_NOT_FOUND, LibraryManager
from tairproxy.resp import (
    Error,
    ProtocolError,
    Status,
    encode_reply,
    error_reply,
    parse_reply,
    scan_command,
    scan_reply,
)
from tairproxy.upstream import UpstreamAddress

log = logging.getLogger(__name__)

PUSH = 62  # '>'
# A client may have this many commands awaiting replies before we stop reading from it.
MAX_INFLIGHT = 100_000
WRITE_BUFFER_HIGH = 1 << 20

# A transaction aborted at queue time, as Valkey does for a command with bad arity.
ABORTING_COMMAND = b"*1\r\n$5\r\nFCALL\r\n"
RAISE_FUNCTION = "tp_raise"

# Blocking Tair commands poll their function with backoff (seconds) while it answers nil.
POLL_FIRST = 0.002
POLL_MAX = 0.1
INTERNAL_ERROR = error_reply("ERR tairproxy internal error while handling the reply (see the proxy log)")
NIL_REPLIES = frozenset({b"$-1\r\n", b"_\r\n", b"*-1\r\n"})

# Native commands after which replies stop matching commands one-to-one:
# the rest of the session is forwarded raw in both directions.
RAW_MODE_COMMANDS = frozenset({b"subscribe", b"psubscribe", b"ssubscribe", b"monitor", b"sync", b"psync"})


class ProxyContext:
    """What every session shares: the command table, upstream address, library and limits."""

    def __init__(
        self,
        table: CommandTable,
        address: UpstreamAddress,
        library: LibraryManager,
        max_bulk: int = 512 * 1024 * 1024,
        connect_timeout: float = 5.0,
        cluster: ClusterMap | None = None,
    ):
        self.table = table
        self.cluster = cluster
        self.address = address
        self.library = library
        self.max_bulk = max_bulk
        self.connect_timeout = connect_timeout
        self.sessions: set[ClientSession] = set()
        # Lower-case names the session must look at; everything else is forwarded as is.
        self.special_names = table.names() | frozenset(_TRACKED)


class Entry:
    """One client-visible reply slot (or a run of pass-through replies)."""

    __slots__ = ("expected", "chunks", "done", "handler", "call", "retried", "close_after", "deadline", "delay")

    def __init__(self, expected: int = 1, handler: Callable | None = None, call: Call | None = None):
        self.expected = expected
        self.chunks: list[bytes] = []
        self.done = False
        # handler(session, entry, reply_bytes) -> bytes to send, or None when it re-queued itself
        self.handler = handler
        self.call = call
        self.retried = False
        self.close_after = False
        self.deadline: float | None = None  # blocking calls: when to stop polling
        self.delay = POLL_FIRST


class UpstreamProtocol(asyncio.Protocol):
    def __init__(self, session: ClientSession):
        self.session = session

    def data_received(self, data: bytes) -> None:
        self.session.upstream_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.upstream_lost(exc)

    def pause_writing(self) -> None:
        self.session.pause_client_reading("upstream")

    def resume_writing(self) -> None:
        self.session.resume_client_reading("upstream")


class ClientSession(asyncio.Protocol):
    def __init__(self, ctx: ProxyContext):
        self.ctx = ctx
        self.table = ctx.table
        self.transport: asyncio.Transport | None = None
        self.up: asyncio.Transport | None = None
        self.inbuf = bytearray()
        self.reader: hiredis.Reader | None = hiredis.Reader()
        self.special_names = ctx.special_names
        # Reply side. In the common state (one run of pass-through replies awaited) hiredis
        # only counts replies and the bytes go out as they arrive; ubuf keeps what came
        # since the last reply boundary, of which ufwd bytes are already forwarded and
        # uskip complete replies already counted, so the exact scanner can take over.
        # In cluster mode every reply is scanned: redirections name nodes and must be rewritten.
        self.cluster = ctx.cluster
        self.ureader: hiredis.Reader | None = None
        self.ufast = False  # hiredis is counting and holds part of a reply (kept in ubuf too)
        self.ubuf = bytearray()
        self.ufwd = 0
        self.uskip = 0
        self.pending: deque[Entry] = deque()  # client order
        self.awaiting: deque[Entry] = deque()  # upstream order
        self.inflight = 0
        self.upstream_error: str | None = None
        self.raw = False
        self.resp3 = False
        self.db = 0  # the client's SELECTed database, from Valkey's answers
        self.in_multi = False
        # Position in the EXEC array → reshaper, for Tair commands queued in MULTI.
        self.multi_transforms: dict[int, Callable] = {}
        self.multi_count = 0
        self.multi_has_tair = False
        self.closing = False
        self._paused_by: set[str] = set()
        self._batch: list[bytes] | None = None

    # ----- client side -------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)
        self.ctx.sessions.add(self)
        asyncio.get_running_loop().create_task(self._connect_upstream())

    async def _connect_upstream(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            up, _ = await asyncio.wait_for(
                self.ctx.address.create_connection(loop, lambda: UpstreamProtocol(self)),
                self.ctx.connect_timeout,
            )
        except Exception as exc:  # any failure means: tell the client promptly, then close
            reason = str(exc) or type(exc).__name__
            self.upstream_error = f"ERR tairproxy: upstream {self.ctx.address} unavailable: {reason}"
            log.warning("%s", self.upstream_error)
            if self.inbuf:
                self._refuse_buffered()
            else:
                # Nothing asked yet: give the client a moment to send a command and read why.
                loop.call_later(self.ctx.connect_timeout, self._close_client)
            return
        if self.closing:
            up.close()
            return
        self.up = up
        up.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)
        if self._paused_by:
            up.pause_reading()
        if self.inbuf:
            if self.reader is not None:
                self.reader.feed(bytes(self.inbuf))
            self._process()

    def data_received(self, data: bytes) -> None:
        if self.raw:
            self.up.write(data)
            return
        self.inbuf += data
        if self.up is not None:
            if self.reader is not None:
                self.reader.feed(data)
            self._process()
        elif self.upstream_error is not None:
            self._refuse_buffered()

    def _refuse_buffered(self) -> None:
        """Upstream is down: every complete command gets the reason, then the connection closes."""
        buf, pos = self.inbuf, 0
        err = error_reply(self.upstream_error)
        try:
            while pos < len(buf):
                end, args = scan_command(buf, pos, self.ctx.max_bulk)
                if end < 0:
                    break
                pos = end
                if args is not None:
                    self.transport.write(err)
        except ProtocolError:
            pass
        del buf[:pos]
        self._close_client()

    def _process(self) -> None:
        """Cut ``inbuf`` into commands, forward or translate them, keep any partial tail.

        The C parser (hiredis) finds the commands; a chunk made only of pass-through
        commands is forwarded as it came, without Python-level work per byte. Anything
        unusual (inline commands, malformed frames) switches the session to the exact
        Python scanner, which reproduces Valkey's protocol errors.
        """
        reader = self.reader
        if reader is None:
            self._dispatch(self._scan_exact())
        else:
            parsed: list[list[bytes]] = []
            special = False
            names = self.special_names
            try:
                while True:
                    args = reader.gets()
                    if args is False:
                        break
                    if args.__class__ is not list or not args:
                        raise _NotPlain
                    if args[0].lower() in names:
                        special = True
                    parsed.append(args)
                partial = reader.has_data()
                if special or partial or self.in_multi:
                    commands = list(_with_ends(parsed))
                    if partial:
                        # Valkey rejects a bad header before the body arrives; so do we.
                        scan_command(self.inbuf, commands[-1][0] if commands else 0, self.ctx.max_bulk)
            except (hiredis.ProtocolError, hiredis.ReplyError, _NotPlain, AttributeError, TypeError, ProtocolError):
                # Nothing was forwarded in this call: rescan it all exactly, for good.
                self.reader = None
                self._dispatch(self._scan_exact())
                return
            if special or partial or self.in_multi:
                self._dispatch(commands)
            elif parsed:
                data = bytes(self.inbuf)
                self.inbuf.clear()
                self._expect_passthrough(len(parsed))
                self.up.write(data)
        if self.inflight > MAX_INFLIGHT:
            self.pause_client_reading("inflight")

    def _scan_exact(self):
        buf, pos, max_bulk = self.inbuf, 0, self.ctx.max_bulk
        while pos < len(buf):
            end, args = scan_command(buf, pos, max_bulk)
            if end < 0:
                return
            yield end, args
            pos = end

    def _dispatch(self, commands) -> None:
        """Forward runs of pass-through commands as raw slices; translate the rest."""
        buf = self.inbuf
        pos = seg = 0
        out: list[bytes] = []
        table = self.table
        try:
            for end, args in commands:
                if args is None:
                    pos = end
                    continue
                name = args[0].lower()
                cmd = table.lookup(name)
                tracked = _TRACKED.get(name) if cmd is None else None
                if cmd is None and tracked is None:
                    self._expect_passthrough()
                    if self.in_multi:
                        self.multi_count += 1
                    pos = end
                    continue
                if pos > seg:
                    out.append(bytes(buf[seg:pos]))
                if cmd is not None:
                    out.append(self._tair_command(cmd, args))
                else:
                    out.append(bytes(buf[pos:end]))
                    tracked(self, args)
                    if self.raw:
                        # Whatever follows is forwarded untouched.
                        out.append(bytes(buf[end:]))
                        pos = seg = len(buf)
                        break
                pos = seg = end
        except ProtocolError as exc:
            if pos > seg:
                out.append(bytes(buf[seg:pos]))
            self._send(out)
            self._protocol_error(str(exc))
            return
        if pos > seg:
            out.append(bytes(buf[seg:pos]))
        del buf[:pos]
        self._send(out)

    def _send(self, out: list[bytes]) -> None:
        if out:
            self.up.write(b"".join(out) if len(out) > 1 else out[0])

    def _expect_passthrough(self, n: int = 1) -> None:
        self.inflight += n
        awaiting = self.awaiting
        if awaiting:
            tail = awaiting[-1]
            if tail.handler is None and self.pending[-1] is tail:
                tail.expected += n
                return
        e = Entry(n)
        self.pending.append(e)
        awaiting.append(e)

    def _expect(self, entry: Entry) -> None:
        self.inflight += 1
        self.pending.append(entry)
        self.awaiting.append(entry)

    def _tair_command(self, cmd, args: list[bytes]) -> bytes:
        call = build_call(cmd, args, self.db)
        if isinstance(call, Error):
            arity = cmd.queue_time_arity and not cmd.arity_ok(len(args))
            return self._command_error(call, arity)
        if isinstance(call, Reply):
            self._local_reply(encode_reply(call.value, self.resp3))
            return b""
        if self.in_multi:
            if call.transform is not None:
                self.multi_transforms[self.multi_count] = call.transform
            self.multi_count += 1
            self.multi_has_tair = True
            self._expect_passthrough()  # +QUEUED (or a queue-time error) goes through untouched
        else:
            e = Entry(handler=_call_reply, call=call)
            if call.block is not None:
                loop = asyncio.get_running_loop()
                e.deadline = loop.time() + call.block if call.block > 0 else float("inf")
            self._expect(e)
        return call.encode()

    def _command_error(self, err: Error, arity: bool) -> bytes:
        """An argument error found by the proxy, answered in Valkey's order and MULTI semantics."""
        if not self.in_multi:
            self._local_reply(error_reply(err))
            return b""
        if arity:
            # Queue-time error: Valkey must flag the transaction so EXEC aborts.
            self._expect(Entry(handler=_fixed_reply(error_reply(err))))
            return ABORTING_COMMAND
        # Other errors surface at EXEC time in the result array, as module errors do.
        self.multi_count += 1
        self._expect_passthrough()
        return Call(RAISE_FUNCTION, [], [bytes(err)]).encode()

    def _local_reply(self, data: bytes, close_after: bool = False) -> None:
        """A reply the proxy makes itself, written after every earlier reply."""
        e = Entry(expected=0)
        e.chunks.append(data)
        e.done = True
        e.close_after = close_after
        self.pending.append(e)
        if self.pending[0] is e:
            self._flush()

    def _protocol_error(self, message: str) -> None:
        self.closing = True
        self.transport.pause_reading()
        self._local_reply(error_reply("ERR Protocol error: " + message), close_after=True)

    # ----- replies -----------------------------------------------------

    def upstream_data(self, data: bytes) -> None:
        awaiting = self.awaiting
        if self.raw and not awaiting:
            self.transport.write(data)
            return
        if len(awaiting) == 1 and (self.ufast or not self.ubuf):
            # At a reply boundary (or mid-reply in count mode) with one entry awaited.
            e = awaiting[0]
            if e.handler is None:
                if self.fast_replies and self.pending[0] is e:
                    reader = self.ureader
                    if reader is None:
                        reader = self.ureader = hiredis.Reader()
                    self._count_passthrough(reader, e, data)
                    return
            elif data[0] != PUSH and _one_reply(data):
                # The common unpipelined Tair command: exactly its reply arrived.
                self._handle_reply(e, data)
                self._resume_if_drained()
                return
        if self.ufast:
            # Leaving count mode mid-reply: the exact scanner resumes from ubuf's boundary.
            self.ufast = False
            self.ureader = None
        buf = self.ubuf
        buf += data
        pos = 0
        fwd, skip = self.ufwd, self.uskip
        # Everything this call sends the client goes out in one write.
        self._batch = batch = []
        try:
            while awaiting:
                e = awaiting[0]
                if e.handler is None:
                    start = pos
                    n = e.expected
                    while n:
                        end = scan_reply(buf, pos)
                        if end < 0:
                            break
                        if buf[pos] != PUSH:
                            if skip:
                                skip -= 1  # counted while hiredis was counting
                            else:
                                n -= 1
                        pos = end
                    if start < fwd:
                        start = min(fwd, pos)
                    if pos > start:
                        run = bytes(buf[start:pos])
                        if self.cluster is not None:
                            run = self.cluster.rewrite_replies(run)
                        self._emit(e, run)
                    self.inflight -= e.expected - n
                    e.expected = n
                    if n:
                        break
                    awaiting.popleft()
                    self._complete(e)
                else:
                    end = scan_reply(buf, pos)
                    if end < 0:
                        break
                    if buf[pos] == PUSH:
                        self._write(bytes(buf[pos:end]))
                        pos = end
                        continue
                    reply = bytes(buf[pos:end])
                    pos = end
                    self._handle_reply(e, reply)
            if self.raw and not awaiting:
                if pos < len(buf):
                    self._write(bytes(buf[pos:]))
                pos = len(buf)
            elif not awaiting and pos < len(buf):
                # Unsolicited frames (RESP3 pushes, e.g. client tracking) go straight out.
                while pos < len(buf):
                    end = scan_reply(buf, pos)
                    if end < 0:
                        break
                    self._write(bytes(buf[pos:end]))
                    pos = end
        except ProtocolError as exc:
            log.error("unparsable reply from upstream: %s", exc)
            self.up.close()
            return
        finally:
            self._batch = None
            if batch:
                self.transport.write(b"".join(batch))
        del buf[:pos]
        self.ufwd = max(0, fwd - pos)
        self.uskip = skip
        self._resume_if_drained()

    def _handle_reply(self, e: Entry, reply: bytes) -> None:
        """The awaited head entry with a handler gets its complete reply."""
        self.awaiting.popleft()
        self.inflight -= 1
        try:
            result = e.handler(self, e, reply)
        except Exception:
            # A failure while handling one reply costs that reply, never the connection.
            log.exception("handling a reply failed")
            result = INTERNAL_ERROR
        if result is not None:
            self._emit(e, result)
            self._complete(e)

    def _resume_if_drained(self) -> None:
        if "inflight" in self._paused_by and self.inflight < MAX_INFLIGHT // 2:
            self.resume_client_reading("inflight")

    @property
    def fast_replies(self) -> bool:
        """Whether replies may be counted without being scanned (none needs rewriting or tracking)."""
        return not self.resp3 and not self.raw and self.cluster is None

    def _count_passthrough(self, reader: hiredis.Reader, e: Entry, data: bytes) -> None:
        """Every byte belongs to the one awaited run of pass-through replies: forward, then count."""
        self.transport.write(data)
        reader.feed(data)
        n = 0
        gets = reader.gets
        try:
            while gets() is not False:
                n += 1
        except hiredis.ProtocolError:
            log.error("unparsable reply from upstream")
            self.up.close()
            return
        e.expected -= n
        self.inflight -= n
        self.ufast = reader.has_data()
        if self.ufast:
            self.ubuf += data
            self.ufwd = len(self.ubuf)
            self.uskip += n
        else:
            if self.ubuf:
                self.ubuf.clear()
            self.ufwd = self.uskip = 0
            if e.expected <= 0:
                self.awaiting.popleft()
                self.pending.popleft()
                e.done = True
                if self.pending:
                    self._flush()
        self._resume_if_drained()

    def _write(self, data: bytes) -> None:
        if self._batch is not None:
            self._batch.append(data)
        else:
            self.transport.write(data)

    def _emit(self, e: Entry, data: bytes) -> None:
        if self.pending[0] is e:
            self._write(data)
        else:
            e.chunks.append(data)

    def _complete(self, e: Entry) -> None:
        e.done = True
        if self.pending[0] is e:
            self._flush()

    def _flush(self) -> None:
        pending = self.pending
        write = self._write
        while pending:
            e = pending[0]
            if e.chunks:
                write(b"".join(e.chunks))
                e.chunks = []
            if not e.done:
                return
            pending.popleft()
            if e.close_after:
                self._close_client()
                return

    def retry_after_reload(self, e: Entry) -> None:
        """The library was missing (FUNCTION FLUSH, restart): reload it once, then resend."""

        async def reload_and_resend() -> None:
            try:
                await self.ctx.library.ensure(force=True)
            except Exception as exc:
                self._emit(e, error_reply(f"ERR tairproxy: cannot load the Lua library: {exc}"))
                self._complete(e)
                return
            if self.up is None or self.up.is_closing():
                return
            self._expect_again(e)
            self.up.write(e.call.encode())

        e.retried = True
        asyncio.get_running_loop().create_task(reload_and_resend())

    def poll_again(self, e: Entry) -> bool:
        """Re-send a blocking call after a backoff; False once its timeout has passed."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now >= e.deadline:
            return False
        delay = min(e.delay, e.deadline - now)
        e.delay = min(e.delay * 2, POLL_MAX)

        def resend() -> None:
            if self.up is None or self.up.is_closing():
                return
            self._expect_again(e)
            self.up.write(e.call.encode())

        loop.call_later(delay, resend)
        return True

    def reload_library_soon(self) -> None:
        async def reload() -> None:
            try:
                await self.ctx.library.ensure(force=True)
            except Exception as exc:
                log.warning("cannot reload the Lua library: %s", exc)

        asyncio.get_running_loop().create_task(reload())

    def _expect_again(self, e: Entry) -> None:
        self.inflight += 1
        self.awaiting.append(e)

    # ----- lifecycle and flow control ---------------------------------

    def upstream_lost(self, exc: Exception | None) -> None:
        self.up = None
        if self.transport is None or self.transport.is_closing():
            return
        if self.awaiting or any(not e.done for e in self.pending):
            err = error_reply("ERR tairproxy: upstream connection lost")
            for e in self.pending:
                if not e.done:
                    e.chunks.extend([err] * max(e.expected, 1))
                    e.done = True
            self.awaiting.clear()
            self._flush()
        self._close_client()

    def _close_client(self) -> None:
        self.closing = True
        if self._batch:
            self.transport.write(b"".join(self._batch))
            self._batch.clear()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.ctx.sessions.discard(self)
        if self.up is not None:
            self.up.close()
            self.up = None

    def pause_writing(self) -> None:
        if self.up is not None:
            self.up.pause_reading()

    def resume_writing(self) -> None:
        if self.up is not None:
            self.up.resume_reading()

    def pause_client_reading(self, why: str) -> None:
        if not self._paused_by and self.transport is not None and not self.closing:
            self.transport.pause_reading()
        self._paused_by.add(why)

    def resume_client_reading(self, why: str) -> None:
        self._paused_by.discard(why)
        if not self._paused_by and self.transport is not None and not self.closing:
            self.transport.resume_reading()


def _one_reply(data: bytes) -> bool:
    try:
        return scan_reply(data, 0) == len(data)
    except ProtocolError:
        return False  # the exact path reports it


class _NotPlain(Exception):
    """A frame that is not a plain array of bulk strings: leave it to the exact scanner."""


def _encoded_size(args: list[bytes]) -> int:
    """Bytes of the canonical RESP encoding of a command (hiredis accepts only canonical lengths)."""
    total = len(b"".join(args))  # TypeError for a non-bulk element
    for a in args:
        n = len(a)
        total += 6 if n < 10 else 7 if n < 100 else 5 + len(str(n))
    count = len(args)
    return total + 3 + (1 if count < 10 else len(str(count)))


def _with_ends(parsed: list[list[bytes]]) -> Iterator[tuple[int, list[bytes]]]:
    end = 0
    for args in parsed:
        end += _encoded_size(args)
        yield end, args


# ----- reply handlers (called with the complete reply bytes) ---------------


# Lua numbers are doubles: the library sends integers beyond 2^53 as a status
# carrying the digits, and the proxy turns it into an exact integer reply.
BIG_INT_MARKER = b"+\x01i64:"


def _exact_integers(value: object) -> object:
    if isinstance(value, Status) and value.startswith(b"\x01i64:"):
        n = int(value[5:])
        return n - (1 << 64) if n >= (1 << 63) else n  # as Tair's signed cast
    if isinstance(value, list):
        return [_exact_integers(v) for v in value]
    return value


def _call_reply(session: ClientSession, e: Entry, reply: bytes) -> bytes | None:
    if reply[0] == 45:  # errors pass unchanged, unless the library has to be reloaded
        if reply.startswith(b"-" + FUNCTION_NOT_FOUND) and not e.retried:
            session.retry_after_reload(e)
            return None
        if session.cluster is not None:
            return session.cluster.rewrite_replies(reply)
        return reply
    if e.deadline is not None and reply in NIL_REPLIES and session.poll_again(e):
        return None
    transform = e.call.transform
    if transform is None and BIG_INT_MARKER not in reply:
        return reply
    value = _exact_integers(parse_reply(reply)[0])
    return encode_reply(transform(value) if transform else value, session.resp3)


def _fixed_reply(data: bytes) -> Callable:
    def handler(session: ClientSession, e: Entry, reply: bytes) -> bytes:
        return data

    return handler


def _exec_reply(transforms: dict[int, Callable]) -> Callable:
    def handler(session: ClientSession, e: Entry, reply: bytes) -> bytes:
        if reply[0] != 42:  # not an array: EXECABORT, nil (WATCH failed), error
            return reply
        if FUNCTION_NOT_FOUND in reply:
            # Too late to retry inside a transaction that ran; have the library back for the next one.
            session.reload_library_soon()
        if not transforms and BIG_INT_MARKER not in reply:
            return reply
        values = _exact_integers(parse_reply(reply)[0])
        if values is None:  # a WATCHed key changed: the transaction did not run
            return reply
        for i, transform in transforms.items():
            if i < len(values) and not isinstance(values[i], Error):
                try:
                    values[i] = transform(values[i])
                except Exception:
                    log.exception("reshaping reply %d of EXEC failed", i)
                    values[i] = Error(INTERNAL_ERROR[1:-2])
        return encode_reply(values, session.resp3)

    return handler


def _hello_hook(version: int | None) -> Callable:
    def handler(session: ClientSession, e: Entry, reply: bytes) -> bytes:
        if version is not None and reply[0] != 45:
            session.resp3 = version >= 3
        return reply

    return handler


def _reset_hook(session: ClientSession, e: Entry, reply: bytes) -> bytes:
    session.resp3 = False
    session.db = 0
    return reply


def _select_hook(db: int) -> Callable:
    def handler(session: ClientSession, e: Entry, reply: bytes) -> bytes:
        if reply.startswith(b"+OK"):
            session.db = db
        return reply

    return handler


# ----- native commands the session must watch (they change reply framing) --


def _on_multi(session: ClientSession, args: list[bytes]) -> None:
    session._expect_passthrough()
    if not session.in_multi:
        session.in_multi = True
        session.multi_transforms = {}
        session.multi_count = 0
        session.multi_has_tair = False


def _on_exec(session: ClientSession, args: list[bytes]) -> None:
    transforms = session.multi_transforms if session.in_multi else {}
    has_tair = session.in_multi and session.multi_has_tair
    session.in_multi = False
    session.multi_transforms = {}
    if has_tair:
        session._expect(Entry(handler=_exec_reply(transforms)))
    else:
        session._expect_passthrough()


def _on_discard(session: ClientSession, args: list[bytes]) -> None:
    session.in_multi = False
    session.multi_transforms = {}
    session._expect_passthrough()


def _on_hello(session: ClientSession, args: list[bytes]) -> None:
    version = None
    if len(args) > 1:
        try:
            version = int(args[1])
        except ValueError:
            version = None
    session._expect(Entry(handler=_hello_hook(version)))


def _on_reset(session: ClientSession, args: list[bytes]) -> None:
    session.in_multi = False
    session.multi_transforms = {}
    session._expect(Entry(handler=_reset_hook))


def _on_select(session: ClientSession, args: list[bytes]) -> None:
    try:
        db = int(args[1]) if len(args) == 2 and not session.in_multi else None
    except ValueError:
        db = None
    if db is None:
        session._expect_passthrough()  # Valkey refuses it, or it only runs at EXEC
    else:
        session._expect(Entry(handler=_select_hook(db)))


def _on_raw_mode(session: ClientSession, args: list[bytes]) -> None:
    session._expect_passthrough()
    session.raw = True


def _on_client(session: ClientSession, args: list[bytes]) -> None:
    # CLIENT REPLY OFF/SKIP breaks the one-reply-per-command rule.
    if len(args) > 1 and args[1].lower() == b"reply":
        _on_raw_mode(session, args)
    else:
        session._expect_passthrough()


def _on_cluster(session: ClientSession, args: list[bytes]) -> None:
    sub = args[1].lower() if len(args) > 1 else b""
    if session.cluster is None or sub not in REWRITTEN_SUBCOMMANDS:
        session._expect_passthrough()
        return
    cluster = session.cluster

    def handler(session: ClientSession, e: Entry, reply: bytes) -> bytes:
        if reply[0] == 45:
            return reply
        value = cluster.rewrite_cluster_reply(sub, parse_reply(reply)[0])
        return encode_reply(value, session.resp3)

    session._expect(Entry(handler=handler))


def _on_watch(session: ClientSession, args: list[bytes]) -> None:
    # Inside MULTI, WATCH is refused and not queued: it has no slot in the EXEC array.
    session._expect_passthrough()


_TRACKED: dict[bytes, Callable[[ClientSession, list[bytes]], None]] = {
    b"multi": _on_multi,
    b"exec": _on_exec,
    b"discard": _on_discard,
    b"hello": _on_hello,
    b"reset": _on_reset,
    b"client": _on_client,
    b"watch": _on_watch,
    b"cluster": _on_cluster,
    b"select": _on_select,
    **{name: _on_raw_mode for name in RAW_MODE_COMMANDS},
}
