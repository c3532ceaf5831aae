"""The client side: one session per client connection.

Bytes from the client are cut into commands (framing.py finds them, in C where built; the
exact Python scanner takes over for inline commands and malformed input, reproducing
Valkey's protocol errors). Each command is one of: pass-through (forwarded exactly as received, runs of
them as one slice), a Tair command (its handler builds one FCALL, batched by the
pipeline), a command the proxy answers itself (local.py), or one that pins the session to
an upstream connection of its own (pinning.py). Every command gets a ``Slot`` in
``pending``, the client's order (consecutive Tair calls in one batch share one: a run, see
batching.py); replies fill slots from whichever connection carries
them and leave for the client strictly in that order.

Switching from the shared connection to a pinned one waits until the replies already
asked for on the shared connection are in (a barrier): Valkey must see one client's
commands in the order it sent them.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import deque
from collections.abc import Callable
from operator import itemgetter
from time import perf_counter

from tairproxy import blocking, local, pubsub, replies
from tairproxy.batching import Run
from tairproxy.cluster import REWRITTEN_SUBCOMMANDS
from tairproxy.context import ProxyContext
from tairproxy.dispatch import Call, Calls, Reply, build_call
from tairproxy.framing import MORE, NOT_CANONICAL, parse_command, scan_commands
from tairproxy.pinning import PINNING_NAMES, pin_reason
from tairproxy.pipeline import UpstreamPipeline
from tairproxy.pubsub import Subscriptions
from tairproxy.resp import Error, ProtocolError, encode_command, encode_reply, error_reply, scan_command

log = logging.getLogger(__name__)
_name_of = itemgetter(1)  # of a (end, name) span

# A transaction aborted at queue time, as Valkey does for a command with bad arity.
ABORTING_COMMAND = b"*1\r\n$5\r\nFCALL\r\n"
RAISE_FUNCTION = "tp_raise"
BLOCKING_IN_MULTI = Error(b"ERR Blocking module command called from transaction")
NOAUTH = error_reply("NOAUTH Authentication required.")
UNAUTHENTICATED_MAX_ARGS = 10  # Valkey's limits on a client that has not authenticated
UNAUTHENTICATED_MAX_BULK = 16384
# A call that found the library missing cannot be sent again once a later command has run.
RETRY_OVERTAKEN = error_reply(
    "ERR tairproxy: the Lua library was missing (FUNCTION FLUSH, or a restart without persistence); "
    "it is loaded again, but this command did not run, as commands sent after it already had"
)
MAX_CLIENTS = error_reply("ERR max number of clients reached")

# After these, replies stop matching commands one to one: raw forwarding both ways.
RAW_MODE = frozenset({b"monitor", b"sync", b"psync"})
PING = b"*1\r\n$4\r\nPING\r\n"
# What a held session (behind a barrier or a blocking call) may send before we stop reading it.
HOLD_BUFFER = 1 << 20
# A Tair command this big is parsed and built off the event loop.
OFFLOAD_BYTES = 256 * 1024


class Slot:
    """One client-visible reply, or a run of pass-through replies, in the client's order."""

    __slots__ = (
        "session", "expected", "chunks", "done", "handler", "call", "name", "retried",
        "close_after", "deadline", "delay", "hidden", "streamed", "block_keys", "timer", "expiry", "polling",
        "parent", "index", "started",
    )

    def __init__(self, session: ClientSession, expected: int = 1, handler: Callable | None = None,
                 call: Call | None = None):
        self.session = session
        self.expected = expected
        self.chunks: list[bytes] = []
        self.done = False
        # handler(session, slot, reply_bytes) -> bytes to send, or None when it re-queued itself
        self.handler = handler
        self.call = call
        self.name: str | None = None  # the Tair command, for error texts
        self.retried = False
        self.close_after = False
        self.deadline: float | None = None  # blocking calls: when to stop polling
        self.delay = blocking.POLL_FIRST
        self.hidden = False  # the proxy's own command: no client reply
        self.streamed = False  # part of a reply already went to the client
        # Blocking calls (blocking.py): the queues they wait in, their timers, a poll in flight.
        self.block_keys: list = []
        self.timer: asyncio.TimerHandle | None = None
        self.expiry: asyncio.TimerHandle | None = None
        self.polling = False
        self.parent: Slot | None = None  # one part of a split command or run: its reply goes there
        self.index = 0  # which part

        self.started = 0.0  # when a timed Tair command arrived (ctx.observer set), else 0

class _Retry:
    """Tair calls of one session that found the library missing, to be sent again in order."""

    __slots__ = ("slots", "overtaken", "outcome")

    def __init__(self, slot: Slot):
        self.slots = [slot]
        self.overtaken = False  # a command sent after them has run
        self.outcome: str | None = None  # None while reloading, "" once loaded, else the error


class ClientSession(asyncio.Protocol):
    def __init__(self, ctx: ProxyContext):
        self.ctx = ctx
        self.table = ctx.table
        self.transport: asyncio.Transport | None = None
        self.pipe: UpstreamPipeline | None = None
        self.pinned = False
        self.inbuf = bytearray()
        self.exact = False  # past an inline or malformed command: the exact scanner, for good
        self.special_names = ctx.special_names
        self.pending: deque[Slot] = deque()  # client order
        self.inflight = 0  # replies awaited from upstream
        self.last_pipe: UpstreamPipeline | None = None  # for the batch join rule
        self.last_seq = 0
        self.resp3 = False
        self.db = 0  # the client's SELECTed database, from Valkey's answers
        self.authenticated = not ctx.auth_required
        self.client_id = local.new_client_id()
        self.client_name: bytes | None = None
        self.client_info: dict[bytes, bytes] = {}
        self.in_multi = False
        # Position in the EXEC array → reshaper / name, for Tair commands queued in MULTI.
        self.multi_transforms: dict[int, Callable] = {}
        self.multi_names: dict[int, str] = {}
        self.multi_count = 0
        self.multi_has_tair = False
        self.raw = False
        self.subscriptions = Subscriptions()
        self.barrier = False
        self.blocked: Slot | None = None  # a blocking call holds the session's later commands
        self.retry: _Retry | None = None
        self.closing = False
        self.client_paused_writing = False
        self._paused_by: set[str] = set()
        self._batch: list[bytes] | None = None

    # ----- client side -------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        transport.set_write_buffer_limits(high=1 << 20)
        if not self.ctx.admits_client():
            log.warning("client refused: max number of clients reached (%d)", self.ctx.limits.max_clients)
            transport.write(MAX_CLIENTS)
            self.closing = True
            transport.close()
            return
        self.ctx.sessions.add(self)
        if not self.authenticated:
            # Valkey wants AUTH first: this client talks to a connection of its own, so
            # everything it sends is judged exactly as Valkey judges an unauthenticated client.
            self._pin("unauthenticated")

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        if self.raw:
            self.pipe.send(data)
            return
        self.inbuf += data
        if self.barrier:
            # Re-read from inbuf once the barrier lifts. A blocked session keeps reading (so a
            # client that goes away is noticed, as Valkey notices it) up to a bound.
            if len(self.inbuf) > HOLD_BUFFER:
                self.pause_client_reading("barrier")
            return
        self._process()

    def _process(self) -> None:
        """Cut ``inbuf`` into commands, forward or translate them, keep any partial tail.

        framing.scan_commands finds the canonical commands (in C where built) and their
        names; a chunk made only of pass-through commands is forwarded as it came. Anything
        unusual (inline commands, malformed frames) switches the session to the exact Python
        scanner for good, which reproduces Valkey's protocol errors.
        """
        if self.exact:
            self._dispatch(self._scan_exact(0))
        else:
            buf = self.inbuf
            max_bulk = self.ctx.max_bulk
            spans, status = scan_commands(buf, 0, max_bulk)
            end = spans[-1][0] if spans else 0
            if status == MORE and end < len(buf):
                try:
                    scan_command(buf, end, max_bulk)  # Valkey refuses a bad header before the body
                except ProtocolError:
                    status = NOT_CANONICAL
            if status != MORE:
                # What came before goes as usual; the exact scanner judges the rest.
                self.exact = True
                self._dispatch(self._spans_then_exact(spans, end))
                return
            if self.in_multi or not self.special_names.isdisjoint(map(_name_of, spans)):
                self._dispatch([(e, name, None) for e, name in spans])
            elif spans:
                data = bytes(buf[:end]) if end < len(buf) else bytes(buf)
                del buf[:end]
                self._forward(data, len(spans))
        if self.inflight > self.ctx.limits.max_inflight:
            self.pause_client_reading("inflight")

    def _spans_then_exact(self, spans: list[tuple[int, bytes]], end: int):
        for e, name in spans:
            yield e, name, None
        yield from self._scan_exact(end)

    def _scan_exact(self, pos: int):
        """(end, name, args) of each complete command from ``pos``, as Valkey reads them."""
        buf, max_bulk = self.inbuf, self.ctx.max_bulk
        while pos < len(buf):
            end, args = scan_command(buf, pos, max_bulk)
            if end < 0:
                return
            yield end, args[0].lower() if args else None, args
            pos = end

    def _dispatch(self, commands) -> None:
        """Forward runs of pass-through commands as raw slices; handle the rest one by one."""
        buf = self.inbuf
        pos = seg = run = 0  # buf[seg:pos] holds `run` pass-through commands not yet sent
        by_name = self.table.by_lower_name
        names = self.special_names
        try:
            for end, name, args in commands:
                if name is None:
                    pos = end  # an empty inline line: Valkey ignores it too
                    continue
                cmd = by_name.get(name) if name in names else None
                if cmd is None and name not in names:
                    if self.in_multi:
                        self.multi_count += 1
                    run += 1
                    pos = end
                    continue
                if pos > seg:
                    self._forward(bytes(buf[seg:pos]), run)
                    run = 0
                seg = pos
                if args is None:
                    args = parse_command(buf, pos)
                if cmd is not None and not self.pinned and not cmd.native and end - pos <= OFFLOAD_BYTES:
                    # The common case, a shared session's Tair command: a session that is not
                    # pinned is authenticated, not subscribed, not in MULTI, and speaks RESP2.
                    self._tair_command(cmd, args, size=end - pos)
                    pos = seg = end
                    if self.blocked is not None:
                        self._hold()
                        break
                    continue
                if not self.pinned and (reason := pin_reason(name, args)) is not None:
                    if self.inflight:
                        self._hold()  # this command and the rest wait for the barrier
                        break
                    self._pin(reason, name)
                self._command(name, cmd, args, bytes(buf[pos:end]))
                pos = seg = end
                if self.blocked is not None:
                    # As in Valkey, a blocked client's next commands wait until it is answered.
                    self._hold()
                    break
                if self.raw:
                    if pos < len(buf):
                        self.pipe.send(bytes(buf[pos:]))
                    pos = seg = len(buf)
                    break
                if self.closing:
                    pos = seg = len(buf)
                    break
        except ProtocolError as exc:
            if pos > seg:
                self._forward(bytes(buf[seg:pos]), run)
            self._protocol_error(str(exc))
            return
        if pos > seg:
            self._forward(bytes(buf[seg:pos]), run)
        del buf[:pos]

    def _command(self, name: bytes, cmd, args: list[bytes], raw: bytes) -> None:
        """One command that needs a look: Tair, local, session-tracking, or restricted."""
        if not self.authenticated and cmd is not None and name not in _TRACKED:
            # What Valkey answers a client that has not authenticated, limits on its
            # request size included (a Tair command never reaches Valkey as such).
            if len(args) > UNAUTHENTICATED_MAX_ARGS:
                self._protocol_error("unauthenticated multibulk length")
            elif any(len(a) > UNAUTHENTICATED_MAX_BULK for a in args):
                self._protocol_error("unauthenticated bulk length")
            else:
                self._local_reply(NOAUTH)
            return
        if cmd is not None and self.subscribed and name not in pubsub.ALLOWED_WHILE_SUBSCRIBED:
            # Valkey's refusal, in stream order: a PING holds the place of the command.
            self._expect(Slot(self, handler=replies.fixed_reply(pubsub.refusal(name))), PING)
            return
        answer = local.local_answer(self, name, args) if name in local.LOCAL_NAMES else None
        if answer is not None:
            self._local_reply(answer(self, args))
            return
        if name == b"quit":
            self._local_reply(local.OK, close_after=True)
            return
        if cmd is not None:
            if len(raw) > OFFLOAD_BYTES and not self.in_multi:
                self._tair_command_off_loop(cmd, args)
            else:
                self._tair_command(cmd, args, size=len(raw))
            return
        tracked = _TRACKED.get(name)
        if tracked is not None:
            tracked(self, args, raw)
        else:
            self._forward(raw, 1)

    # ----- sending -------------------------------------------------------

    def _route(self) -> UpstreamPipeline:
        pipe = self.pipe
        if pipe is None or (pipe.closed and not self.pinned):
            pipe = self.pipe = self.ctx.shared_pipeline()
            pipe.members.add(self)
            if pipe.write_paused:
                self.pause_client_reading("upstream")
        return pipe

    def _forward(self, data: bytes, n: int) -> None:
        """Pass-through bytes holding ``n`` commands; their replies go to the client as they are."""
        if n == 0:
            self._route().send(data)
            return
        self.inflight += n
        self.ctx.counters.commands += n
        pipe = self._route()
        waiting = pipe.waiting
        if waiting and self.pending:
            tail = waiting[-1]
            if tail.__class__ is Slot and tail.handler is None and tail is self.pending[-1]:
                tail.expected += n
                pipe.send(data)
                self.last_pipe, self.last_seq = pipe, pipe.seq
                return
        slot = Slot(self, n)
        self.pending.append(slot)
        pipe.send(data, slot)
        self.last_pipe, self.last_seq = pipe, pipe.seq

    def _expect(self, slot: Slot, data: bytes) -> None:
        """Send ``data`` whose one reply ``slot`` handles."""
        self.inflight += 1
        self.ctx.counters.commands += 1
        self.pending.append(slot)
        pipe = self._route()
        pipe.send(data, slot)
        self.last_pipe, self.last_seq = pipe, pipe.seq

    def _send_hidden(self, args: list[bytes]) -> None:
        """A command of the proxy's own on this session's connection; its reply is dropped."""
        slot = Slot(self, handler=replies.discard_reply)
        slot.hidden = True
        self._route().send(encode_command(args), slot)

    def _tair_command_off_loop(self, cmd, args: list[bytes]) -> None:
        """A big command (a 2 MB polygon, 100 000 members) is checked and built in a worker
        thread: the loop keeps serving every other client meanwhile. Like a blocking call, it
        holds this client's later commands until its call is sent."""
        slot = Slot(self, expected=0)
        self.pending.append(slot)
        self.blocked = slot
        _off_loop_started()
        future = asyncio.get_running_loop().run_in_executor(None, build_call, cmd, args, self.db, self.ctx)
        future.add_done_callback(lambda f: self._built_off_loop(slot, cmd, f))

    def _built_off_loop(self, placeholder: Slot, cmd, future: asyncio.Future) -> None:
        _off_loop_ended()
        self.blocked = None
        try:
            call = future.result()
        except Exception:
            log.exception("handler of %s failed", cmd.name)
            call = Error(b"ERR tairproxy internal error in %s (see the proxy log)" % cmd.name.encode())
        if self.closing:
            return
        # Nothing was read past the command meanwhile: its placeholder is the last slot, and
        # the real one takes its place.
        self.pending.remove(placeholder)
        self._tair_command(cmd, None, call)
        self._release_barrier()

    def _tair_command(self, cmd, args: list[bytes] | None, call=None, size: int = 0) -> None:
        """``size``: the client's command length, which stands in for the call's size in a batch."""
        ctx = self.ctx
        if call is None:
            call = build_call(cmd, args, self.db, ctx)
        observer = None
        if not cmd.native:
            ctx.counters.tair_commands += 1
            observer = ctx.observer
            if observer is not None:
                observer.count(cmd.name)
        if call.__class__ is Call and call.block is None and call.native is None and call.transform is None \
                and not self.in_multi and not (self.pinned and self.resp3):
            self._run_call(cmd.name, call, size, observer)
            return
        if isinstance(call, Error):
            self._command_error(
                call, args is not None and cmd.queue_time_arity and not cmd.arity_ok(len(args)), cmd.readonly
            )
            return
        if isinstance(call, Reply):
            self._local_reply(encode_reply(call.value, self.resp3))
            return
        if isinstance(call, Calls):
            if not self.in_multi:
                self._split_command(cmd, call)
                return
            call = call.whole
        if self.in_multi:
            if call.block is not None:
                self._command_error(BLOCKING_IN_MULTI, False, cmd.readonly)
                return
            if call.transform is not None:
                self.multi_transforms[self.multi_count] = call.transform
            self.multi_names[self.multi_count] = cmd.name
            self.multi_count += 1
            self.multi_has_tair = True
            # +QUEUED, or a queue-time refusal (ACL) worded for the Tair command.
            self._expect(Slot(self, handler=replies.queued_reply(cmd.name)), call.encode())
            return
        if call.block is not None:
            slot = Slot(self, handler=replies.call_reply, call=call)
            slot.name = cmd.name  # not timed: a blocking wait is not latency
            slot.deadline = asyncio.get_running_loop().time() + call.block if call.block > 0 else float("inf")
            self.ctx.counters.commands += 1
            self.pending.append(slot)
            self.blocked = slot
            self.ctx.blocking.arrive(slot, self.db, call.keys)
            return
        slot = Slot(self, handler=replies.call_reply, call=call)
        slot.name = cmd.name
        if observer is not None:
            slot.started = perf_counter()
        if call.native is not None:
            self._expect(slot, call.encode())
            return
        self.inflight += 1
        self.ctx.counters.commands += 1
        self.pending.append(slot)
        pipe = self._route()
        if self.pinned and self.resp3:
            # Lua's replies are converted for the connection's protocol: a batch element
            # would differ from the single call's reply under RESP3.
            pipe.send(call.encode(), slot)
            self.last_pipe, self.last_seq = pipe, pipe.seq
        else:
            pipe.send_call(slot, self, self._slot_of(call), size)

    def _run_call(self, name: str, call: Call, size: int, observer) -> None:
        """A call that joins the session's run in the open batch, or starts a run of its own."""
        self.inflight += 1
        self.ctx.counters.commands += 1
        slot_id = self._slot_of(call)
        pending = self.pending
        if pending:
            slot = pending[-1]
            run = slot.call
            # Only while nothing of this session came after the run, in the batch or upstream.
            if (
                run.__class__ is Run
                and run.readonly == call.readonly
                and (pipe := self.pipe) is not None
                and self.last_pipe is pipe
                and (batch := pipe.open_batch(run.readonly, slot_id)) is not None
                and batch.slots[-1] is slot
                and self.last_seq == batch.seq
                and batch.has_room()
            ):
                run.parts.append(call)
                run.names.append(name)
                slot.expected += 1
                batch.extend_run(call, size)
                return
        slot = Slot(self, call=Run(call, name))
        slot.name = name
        if observer is not None:
            slot.started = perf_counter()
        pending.append(slot)
        self._route().send_call(slot, self, slot_id, size)

    def run_replied(self, slot: Slot, data: bytes) -> None:
        """A run's replies, none of which needs a look: they leave as Valkey sent them."""
        run = slot.call
        self.inflight -= len(run.parts)
        if self.retry is not None:
            self.retry.overtaken = True
        if not run.readonly and (blocking_ := self.ctx.blocking):
            for call in run.parts:  # someone may be waiting for these keys
                blocking_.written(self.db, call.keys)
        if slot.started:
            self.ctx.observer.replied_run(slot)
        self._emit(slot, data)
        self._complete(slot)

    def run_elements(self, slot: Slot, elements: list[bytes]) -> None:
        """A run's replies one by one, each handled as its call's alone (errors, retries...)."""
        if slot.started:
            self.ctx.observer.replied_run(slot)
        for sub, element in zip(self._run_parts(slot), elements, strict=True):
            self.reply(sub, element)

    def resend_run(self, slot: Slot) -> None:
        """Send a run's calls again, each alone (their batch was refused as a whole)."""
        for sub in self._run_parts(slot):
            self.resend(sub)

    def _run_parts(self, slot: Slot) -> list[Slot]:
        run = slot.call
        run.replies = [None] * len(run.parts)
        run.missing = len(run.parts)
        subs = []
        for i, (call, name) in enumerate(zip(run.parts, run.names, strict=True)):
            sub = Slot(self, handler=_part_reply, call=call)
            sub.name = name
            sub.parent = slot
            sub.index = i
            subs.append(sub)
        return subs

    def _split_command(self, cmd, calls: Calls) -> None:
        """Each part is a call of its own (never batched together), answered as one reply."""
        whole = Slot(self, expected=0, call=calls)
        whole.name = cmd.name
        self.pending.append(whole)
        self.ctx.counters.commands += 1
        calls.replies = [None] * len(calls.parts)
        calls.missing = len(calls.parts)
        pipe = self._route()
        for i, part in enumerate(calls.parts):
            sub = Slot(self, handler=_part_reply, call=part)
            sub.name = cmd.name
            sub.parent = whole
            sub.index = i
            self.inflight += 1
            pipe.send(part.encode(), sub)
        self.last_pipe, self.last_seq = pipe, pipe.seq

    def part_done(self, sub: Slot, reply: bytes) -> None:
        whole = sub.parent
        calls = whole.call
        if self.retry is not None:
            self.retry.overtaken = True
        if calls.replies[sub.index] is None:
            calls.missing -= 1
        calls.replies[sub.index] = reply
        if whole.done or calls.missing:
            return
        try:
            result = calls.combine(calls.replies)
        except Exception:
            log.exception("combining the parts of %s failed", whole.name)
            result = replies.INTERNAL_ERROR
        self._emit(whole, result)
        self._complete(whole)

    def _slot_of(self, call: Call) -> int | None:
        if self.ctx.cluster is None or not call.keys:
            return None
        from tairproxy.cluster import key_slot

        return key_slot(call.keys[0])

    def _command_error(self, err: Error, arity: bool, readonly: bool = False) -> None:
        """An argument error found by the proxy, answered in Valkey's order and MULTI semantics."""
        if not self.in_multi:
            self._local_reply(error_reply(err))
            return
        if arity:
            # Queue-time error: Valkey must flag the transaction so EXEC aborts.
            self._expect(Slot(self, handler=replies.fixed_reply(error_reply(err))), ABORTING_COMMAND)
            return
        # Other errors surface at EXEC time in the result array, as module errors do. The
        # verb is the command's own, so a user allowed only FCALL_RO can queue a read's error.
        self.multi_count += 1
        self._forward(Call(RAISE_FUNCTION, [], [bytes(err)], readonly=readonly).encode(), 1)

    def _local_reply(self, data: bytes, close_after: bool = False) -> None:
        """A reply the proxy makes itself, written after every earlier reply."""
        self.ctx.counters.local += 1
        slot = Slot(self, expected=0)
        slot.chunks.append(data)
        slot.done = True
        slot.close_after = close_after
        self.pending.append(slot)
        if self.pending[0] is slot:
            self._flush()

    def _protocol_error(self, message: str) -> None:
        self.closing = True
        self.transport.pause_reading()
        self._local_reply(error_reply("ERR Protocol error: " + message), close_after=True)

    # ----- pinning -------------------------------------------------------

    def _pin(self, reason: str, name: bytes = b"") -> None:
        """From now on this session has an upstream connection of its own."""
        if self.pipe is not None:
            self.pipe.members.discard(self)
        self.pinned = True
        self.ctx.pinned_now += 1
        self.pipe = self.ctx.pinned_pipeline(self)
        log.debug("session %d pinned: %s", self.client_id, reason)
        for command in local.replay_commands(self):
            self._send_hidden(command)
        if name in (b"wait", b"waitaof") and self.last_pipe is not None and self.ctx.cluster is None:
            # WAIT counts the replication of this connection's own writes; the earlier ones
            # went through a shared connection. A propagated no-op makes this connection's
            # offset cover them (PUBLISH is replicated and changes no key).
            self._send_hidden([b"PUBLISH", b"__tairproxy__:wait", b""])

    def _hold(self) -> None:
        self.barrier = True
        if self.blocked is None:
            self.pause_client_reading("barrier")

    def _release_barrier(self) -> None:
        if not self.barrier or self.inflight:
            return
        if self.retry is not None and not self._send_retries():
            return
        if self.blocked is not None:
            return  # the blocking call (or off-loop build) releases it when answered
        self.barrier = False
        # Not from inside the pipeline's reply loop: carry on at the next loop turn.
        asyncio.get_running_loop().call_soon(self._process_held)

    def _process_held(self) -> None:
        if self.closing or self.barrier:
            return
        self.resume_client_reading("barrier")
        if self.inbuf:
            self._process()

    # ----- replies (called by the pipeline) ------------------------------

    def deliver(self, slot: Slot, data: bytes, replies_done: int) -> None:
        """Pass-through replies for ``slot``, exactly as Valkey sent them."""
        slot.expected -= replies_done
        self.inflight -= replies_done
        if self.retry is not None:
            self.retry.overtaken = True
        self._emit(slot, data)
        if slot.expected <= 0:
            self._complete(slot)
        elif self.inflight < self.ctx.limits.max_inflight // 2:
            self._resume_if_drained()

    def stream(self, slot: Slot, data: bytes) -> None:
        """The first part of a long pass-through reply."""
        slot.streamed = True
        self._emit(slot, data)

    def reply(self, slot: Slot, reply: bytes) -> None:
        """The complete reply for a slot with a handler."""
        if slot.hidden:
            slot.handler(self, slot, reply)
            return
        self.inflight -= 1
        try:
            result = slot.handler(self, slot, reply)
        except Exception:
            # A failure while handling one reply costs that reply, never the connection.
            log.exception("handling a reply failed")
            result = replies.INTERNAL_ERROR
        if result is not None:
            if self.retry is not None:
                self.retry.overtaken = True
            if slot.started:
                self.ctx.observer.replied(slot)
            self._emit(slot, result)
            self._complete(slot)
        elif self.barrier and not self.inflight:
            # Polled again (or retried): the calls held behind the barrier may go now.
            self._release_barrier()

    def push(self, frame: bytes) -> None:
        """An out-of-band frame on the pinned connection (RESP3 push, published message)."""
        self._write(frame)

    def raw_reply(self, data: bytes) -> None:
        self._write(data)

    def upstream_failed(self, slot: Slot, err: bytes) -> None:
        if slot.hidden or slot.done:
            return
        if slot.parent is not None:
            self.inflight -= 1
            self.part_done(slot, err)
            self._release_barrier()
            return
        if slot.streamed:
            self.closing = True  # half a reply went out: the stream cannot be repaired
        n = max(slot.expected, 1) if slot.handler is None else 1
        self.inflight -= n
        if self.retry is not None:
            self.retry.overtaken = True  # it may have run
        self.ctx.counters.failed_commands += n
        if slot.started:
            if slot.call.__class__ is Run:
                self.ctx.observer.replied_run(slot)
            else:
                self.ctx.observer.replied(slot)
        slot.chunks.extend([err] * n)
        slot.expected = 0
        slot.done = True
        if slot.block_keys:
            self.ctx.blocking.leave(slot)
        if slot is self.blocked:
            self.blocked = None
        self._flush()
        self._release_barrier()

    def shared_pipeline_lost(self, pipe: UpstreamPipeline) -> None:
        if self.pipe is pipe:
            self.pipe = None  # the next command reconnects
        if self.closing:
            self._close_client()

    def pinned_pipeline_lost(self, pipe: UpstreamPipeline) -> None:
        # The server-side state of this session is gone with its connection.
        if self.pipe is pipe:
            self._close_client()

    def resend(self, slot: Slot) -> None:
        """Send one call again, alone (its batch was refused as a whole)."""
        pipe = self._route()
        pipe.send(slot.call.encode(), slot)
        self.last_pipe, self.last_seq = pipe, pipe.seq

    def retry_after_reload(self, slot: Slot) -> None:
        """The library was missing (FUNCTION FLUSH, restart): reload it, then send the call
        again. Nothing new goes upstream meanwhile (the barrier), and later calls that failed
        the same way go again with it, in order, once every reply asked for is in. If a
        command sent after it has run, sending it again would run it out of the client's
        order: it answers RETRY_OVERTAKEN instead."""
        slot.retried = True
        if self.retry is not None:
            self.retry.slots.append(slot)
            return
        retry = self.retry = _Retry(slot)
        self._hold()

        async def reload() -> None:
            try:
                await self.ctx.library.ensure(force=True)
                retry.outcome = ""
            except Exception as exc:
                retry.outcome = f"ERR tairproxy: cannot load the Lua library: {exc}"
            self._release_barrier()

        asyncio.get_running_loop().create_task(reload())

    def _send_retries(self) -> bool:
        """Every reply asked for is in: send the retried calls again (False: the barrier then
        waits for their replies) or answer each its error (True)."""
        retry = self.retry
        if retry.outcome is None:
            return False  # still reloading; the reload releases the barrier
        self.retry = None
        if self.closing:
            for slot in retry.slots:
                if slot.block_keys:
                    self.ctx.blocking.leave(slot)  # the next in line may take the element
            return True
        if not retry.outcome and not retry.overtaken:
            for slot in retry.slots:
                self.inflight += 1
                self.resend(slot)
            return False
        err = error_reply(retry.outcome) if retry.outcome else RETRY_OVERTAKEN
        for slot in retry.slots:
            if slot.parent is not None:
                self.part_done(slot, err)
            else:
                self._emit(slot, err)
                self._complete(slot)
        return True

    def poll(self, slot: Slot) -> None:
        """Send a blocking call's function once (blocking.py decides when)."""
        self.inflight += 1
        self._route().send(slot.call.encode(), slot)

    def poll_again(self, slot: Slot) -> bool:
        """Its poll found nothing: poll again later, or False once its timeout has passed."""
        slot.polling = False
        return self.ctx.blocking.poll_later(slot)

    def blocking_timed_out(self, slot: Slot) -> None:
        self._emit(slot, b"_\r\n" if self.resp3 else b"$-1\r\n")
        self._complete(slot)

    def reload_library_soon(self) -> None:
        async def reload() -> None:
            try:
                await self.ctx.library.ensure(force=True)
            except Exception as exc:
                log.warning("cannot reload the Lua library: %s", exc)

        asyncio.get_running_loop().create_task(reload())

    # ----- writing to the client, in order --------------------------------

    def _write(self, data: bytes) -> None:
        batch = self._batch
        if batch is not None:
            batch.append(data)
            return
        round_ = self.ctx.delivery_round
        if round_ is not None:
            # Inside a pipeline's reply loop: everything for this client goes out in one write.
            self._batch = [data]
            round_.append(self)
            return
        self._write_now(data)

    def _write_now(self, data: bytes) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(data)
        if self.client_paused_writing and not self.pinned:
            self._check_output_limit()

    def end_delivery_round(self) -> None:
        batch, self._batch = self._batch, None
        if batch:
            self._write_now(b"".join(batch) if len(batch) > 1 else batch[0])

    def _emit(self, slot: Slot, data: bytes) -> None:
        if self.pending and self.pending[0] is slot:
            self._write(data)
        else:
            slot.chunks.append(data)

    def _complete(self, slot: Slot) -> None:
        slot.done = True
        if slot.block_keys:
            slot.polling = False
            self.ctx.blocking.leave(slot)
        if slot is self.blocked:
            self.blocked = None
        if self.pending and self.pending[0] is slot:
            self._flush()
        if self.barrier and not self.inflight:
            self._release_barrier()
        elif self._paused_by:
            self._resume_if_drained()

    def _flush(self) -> None:
        pending = self.pending
        write = self._write
        while pending:
            slot = pending[0]
            if slot.chunks:
                write(b"".join(slot.chunks) if len(slot.chunks) > 1 else slot.chunks[0])
                slot.chunks = []
            if not slot.done:
                return
            pending.popleft()
            if slot.close_after:
                self._close_client()
                return
        if self.closing:
            self._close_client()

    # ----- lifecycle and flow control ------------------------------------

    def describe(self) -> str:
        """What this session waits for (context.dump_state)."""
        head = self.pending[0] if self.pending else None
        return (
            f"pending {len(self.pending)} (head: {head.name or 'pass-through' if head else '-'}"
            f"{', done' if head and head.done else ''}{', polling' if head and head.polling else ''}), "
            f"inflight {self.inflight}, barrier {self.barrier}, blocked {self.blocked is not None}, "
            f"retry {self.retry.outcome if self.retry else None!r}, pinned {self.pinned}, "
            f"paused {sorted(self._paused_by)}, inbuf {len(self.inbuf)} bytes"
        )

    @property
    def subscribed(self) -> bool:
        """In RESP2's subscribed mode, as Valkey will be once it reaches the last command sent."""
        return not self.resp3 and self.subscriptions.active

    def reset_local_state(self) -> None:
        self.subscriptions.clear()
        self.authenticated = not self.ctx.auth_required
        self.resp3 = False
        self.db = 0
        self.client_name = None
        self.in_multi = False
        self.multi_transforms = {}
        self.multi_names = {}

    def _close_client(self) -> None:
        self.closing = True
        if self._batch:
            self.end_delivery_round()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        if self.blocked is not None:
            self.ctx.blocking.leave(self.blocked)
        if self in self.ctx.sessions:
            self.ctx.sessions.discard(self)
            if self.pinned:
                self.ctx.pinned_now -= 1
        pipe = self.pipe
        if pipe is not None:
            pipe.members.discard(self)
            if self.pinned:
                pipe.owner = None
                pipe.close()
        self.pipe = None

    def pause_writing(self) -> None:
        self.client_paused_writing = True
        if self.pinned and self.pipe is not None and self.pipe.transport is not None:
            self.pipe.transport.pause_reading()
        else:
            self.pause_client_reading("output")
            self._check_output_limit()

    def resume_writing(self) -> None:
        self.client_paused_writing = False
        if self.pinned and self.pipe is not None and self.pipe.transport is not None:
            self.pipe.transport.resume_reading()
        else:
            self.resume_client_reading("output")

    def _check_output_limit(self) -> None:
        limit = self.ctx.limits.client_output
        if limit and self.transport is not None and self.transport.get_write_buffer_size() > limit:
            log.warning(
                "client %d disconnected: %d bytes of replies unread (limit %d)",
                self.client_id, self.transport.get_write_buffer_size(), limit,
            )
            self.closing = True
            self.transport.abort()

    def _resume_if_drained(self) -> None:
        if "inflight" in self._paused_by and self.inflight < self.ctx.limits.max_inflight // 2:
            self.resume_client_reading("inflight")

    def pause_client_reading(self, why: str) -> None:
        if not self._paused_by and self.transport is not None and not self.closing:
            self.transport.pause_reading()
        self._paused_by.add(why)

    def resume_client_reading(self, why: str) -> None:
        self._paused_by.discard(why)
        if not self._paused_by and self.transport is not None and not self.closing:
            self.transport.resume_reading()


# While a worker thread parses, the event loop competes with it for the GIL: a short switch
# interval (1 ms instead of 5 ms) keeps every other client's latency low meanwhile.
_off_loop_running = 0
_switch_interval = sys.getswitchinterval()


def _off_loop_started() -> None:
    global _off_loop_running
    _off_loop_running += 1
    sys.setswitchinterval(0.001)


def _off_loop_ended() -> None:
    global _off_loop_running
    _off_loop_running -= 1
    if not _off_loop_running:
        sys.setswitchinterval(_switch_interval)


# ----- native commands the session must watch --------------------------------


def _part_reply(session: ClientSession, sub: Slot, reply: bytes) -> None:
    """The reply of one part of a split command, handled as any Tair call's, then gathered."""
    result = replies.call_reply(session, sub, reply)
    if result is not None:
        session.part_done(sub, result)
    return None


def _on_multi(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    session._forward(raw, 1)
    if not session.in_multi:
        session.in_multi = True
        session.multi_transforms = {}
        session.multi_names = {}
        session.multi_count = 0
        session.multi_has_tair = False


def _on_exec(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    transforms = session.multi_transforms if session.in_multi else {}
    names = session.multi_names if session.in_multi else {}
    has_tair = session.in_multi and session.multi_has_tair
    session.in_multi = False
    session.multi_transforms = {}
    session.multi_names = {}
    if has_tair:
        session._expect(Slot(session, handler=replies.exec_reply(transforms, names)), raw)
    else:
        session._forward(raw, 1)


def _on_discard(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    session.in_multi = False
    session.multi_transforms = {}
    session.multi_names = {}
    session._forward(raw, 1)


def _on_hello(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    version = None
    if len(args) > 1:
        try:
            version = int(args[1])
        except ValueError:
            version = None
    if any(a.lower() == b"auth" for a in args[2:]):
        session._expect(Slot(session, handler=_chain(replies.auth_reply, replies.hello_reply(version))), raw)
    else:
        session._expect(Slot(session, handler=replies.hello_reply(version)), raw)


def _chain(*handlers: Callable) -> Callable:
    def handler(session: ClientSession, slot: Slot, reply: bytes) -> bytes:
        for h in handlers:
            reply = h(session, slot, reply)
        return reply

    return handler


def _on_auth(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    session._expect(Slot(session, handler=replies.auth_reply), raw)


def _on_reset(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    # Reached only when pinned (a shared session's RESET is answered locally).
    session.subscriptions.clear()
    session._expect(Slot(session, handler=replies.reset_reply), raw)


def _on_select(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    try:
        db = int(args[1]) if len(args) == 2 and not session.in_multi else None
    except ValueError:
        db = None
    if db is None:
        session._forward(raw, 1)  # Valkey refuses it, or it only runs at EXEC
    else:
        session._expect(Slot(session, handler=replies.select_reply(db)), raw)


def _on_raw_mode(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    session._forward(raw, 1)
    session.raw = True
    session.pipe.raw = True


def _on_subscribing(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    frames, refused = session.subscriptions.apply(args[0].lower(), args, session.ctx.cluster is not None)
    if session.resp3 and not refused:
        session._route().send(raw)  # confirmations arrive as pushes
        return
    if session.subscriptions.active and session.pipe is not None:
        session.pipe.pubsub = True  # published messages may come between replies from now on
    session._forward(raw, 1 if session.resp3 else frames)


def _on_client(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    # CLIENT REPLY OFF/SKIP breaks the one-reply-per-command rule.
    if len(args) > 1 and args[1].lower() == b"reply":
        _on_raw_mode(session, args, raw)
    else:
        session._forward(raw, 1)


def _on_cluster(session: ClientSession, args: list[bytes], raw: bytes) -> None:
    sub = args[1].lower() if len(args) > 1 else b""
    if session.ctx.cluster is None or sub not in REWRITTEN_SUBCOMMANDS:
        session._forward(raw, 1)
        return
    session._expect(Slot(session, handler=replies.cluster_reply(sub)), raw)


_TRACKED: dict[bytes, Callable[[ClientSession, list[bytes], bytes], None]] = {
    b"multi": _on_multi,
    b"exec": _on_exec,
    b"discard": _on_discard,
    b"hello": _on_hello,
    b"auth": _on_auth,
    b"reset": _on_reset,
    b"client": _on_client,
    b"cluster": _on_cluster,
    b"select": _on_select,
    **{name: _on_raw_mode for name in RAW_MODE},
    **{name: _on_subscribing for name in pubsub.COMMANDS},
}

SPECIAL_NATIVE_NAMES = frozenset(_TRACKED) | PINNING_NAMES | local.LOCAL_NAMES
