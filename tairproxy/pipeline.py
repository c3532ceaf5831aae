"""One upstream connection to Valkey: commands out in one write per loop turn, replies routed.

A pipeline is either *shared* by many stateless client sessions or *pinned* to one
session that holds server-side state (see pinning.py). Whatever a session sends is
appended to ``out`` with the route of its reply appended to ``waiting``; at the end of
the loop turn everything goes upstream in one write, consecutive Tair calls merged into
one FCALL (batching.py). Valkey answers in order, so the reply at the head of the stream
belongs to the route at the head of ``waiting`` — matched by position, as twemproxy does,
with no parsing beyond frame boundaries for pass-through replies.

A huge pass-through reply is forwarded as it arrives (the scanner resumes at the last
frame boundary, so each chunk costs O(1)); Tair replies are handled once complete.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING

from tairproxy.batching import Batch, Run
from tairproxy.framing import ACCELERATED, scan_replies
from tairproxy.pubsub import is_message
from tairproxy.replies import BIG_INT_MARKER
from tairproxy.resp import ProtocolError, error_reply, scan_frames

if TYPE_CHECKING:
    from tairproxy.context import ProxyContext
    from tairproxy.session import ClientSession, Slot

log = logging.getLogger(__name__)

PUSH = 62  # '>'
ERROR = 45  # '-'
WRITE_BUFFER_HIGH = 1 << 20
# A pass-through reply this far scanned but incomplete is forwarded as it stands.
STREAM_MIN = 64 * 1024
# A batch that holds this many calls when another client's call comes is written at once
# instead of at the end of the loop turn. Reading 50 clients' commands takes a turn about
# half a millisecond; written only then, every batch waits for the whole turn and Valkey
# idles meanwhile, then the proxy idles while Valkey runs them all (a convoy: half of the
# two cores idle under 50 unpipelined clients of EXSET). Written early, Valkey runs the
# first calls while the proxy reads the rest. 8: the best of 4, 6, 8, 12, 16 measured.
EARLY_WRITE_CALLS = 8


class UpstreamPipeline(asyncio.Protocol):
    def __init__(self, ctx: ProxyContext, owner: ClientSession | None = None):
        self.ctx = ctx
        self.owner = owner  # the pinned session; None for a shared pipeline
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.error: str | None = None
        self.out: list[bytes | Batch] = []
        self._flush_scheduled = False
        self.waiting: deque[Slot | Batch] = deque()
        self._open_batches: dict[tuple, Batch] = {}
        self.seq = 0  # counts routes pushed, for the batch join rule
        self.members: set[ClientSession] = set()  # sessions assigned to a shared pipeline
        # A batch's FCALL declares every call's keys, so a user denied one of them has the
        # whole batch refused; resent alone, its calls would then run after what the clients
        # sent behind the batch. Off for sessions that AUTH (replies.auth_reply), and for all
        # once Valkey's default user, which the others run as, is refused a batch.
        self.batching = ctx.batching
        self.write_paused = False
        # Reply scanning state, kept across reads.
        self._buf = bytearray()
        self._scan = 0
        self._todo = 0
        self._skip = 0
        self.raw = False  # pinned and past MONITOR / CLIENT REPLY: every byte goes to the owner
        self.pubsub = False  # pinned and subscribed (RESP2): published messages come unasked
        self.cluster = ctx.cluster
        self._stop_bytes = b">-" if ctx.cluster is not None else b">"
        self._loop = asyncio.get_running_loop()

    # ----- connecting ----------------------------------------------------

    def connect(self) -> None:
        self._loop.create_task(self._connect())

    async def _connect(self) -> None:
        ctx = self.ctx
        try:
            transport, _ = await asyncio.wait_for(
                ctx.address.create_connection(self._loop, lambda: self), ctx.connect_timeout
            )
        except Exception as exc:  # any failure: every waiting client is told promptly
            reason = str(exc) or type(exc).__name__
            ctx.counters.connect_errors += 1
            ctx.upstream_down(reason, sum(len(r.calls) if r.__class__ is Batch else 1 for r in self.waiting))
            self._fail(f"ERR tairproxy: upstream {ctx.address} unavailable: {reason}")
            return
        if self.closed:
            transport.close()
            return
        ctx.upstream_up()

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.ctx.upstream_open += 1
        transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)
        if self.owner is not None and self.owner.client_paused_writing:
            transport.pause_reading()
        if self.out:
            self._flush()

    # ----- sending -----------------------------------------------------

    def send(self, data: bytes, route: Slot | None = None) -> None:
        """Bytes for upstream; ``route`` receives their replies (None: they extend the last route)."""
        self.out.append(data)
        if route is not None:
            self.waiting.append(route)
            self.seq += 1
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def send_call(self, slot: Slot, session: ClientSession, slot_id: int | None = None, size: int = 0) -> None:
        """A Tair call, or a run of a session's calls, batched with the other calls of this
        loop turn where the rules allow (``size``: about its bytes, 0 when unknown)."""
        call = slot.call
        key = (call.readonly, slot_id)
        batch = self._open_batches.get(key)
        if batch is not None and len(batch.calls) >= EARLY_WRITE_CALLS:
            # Valkey starts on these while the turn's other clients are still read.
            self._flush()
            batch = None
        # A session may join a batch only if it sent nothing after the batch began:
        # its own commands must reach Valkey in its order.
        if (
            batch is not None
            and (session.last_pipe is not self or session.last_seq <= batch.seq)
            and batch.accepts(call, slot_id)
        ):
            batch.add(slot, size)
            session.last_pipe, session.last_seq = self, batch.seq
        else:
            self.seq += 1
            batch = Batch(slot, call.readonly, slot_id, self.seq, size)
            if self.batching:
                self._open_batches[key] = batch
            self.out.append(batch)
            self.waiting.append(batch)
            session.last_pipe, session.last_seq = self, self.seq
            if not self._flush_scheduled:
                self._flush_scheduled = True
                self._loop.call_soon(self._flush)

    def open_batch(self, readonly: bool, slot_id: int | None) -> Batch | None:
        """The batch that calls of this kind join in this loop turn, if any."""
        return self._open_batches.get((readonly, slot_id))

    def _flush(self) -> None:
        self._flush_scheduled = False
        self._open_batches.clear()
        if self.transport is None or not self.out:
            return  # still connecting (written on connect) or nothing to send
        out = self.out
        self.out = []
        if len(out) == 1 and out[0].__class__ is bytes:
            self.transport.write(out[0])
            return
        counters = self.ctx.counters
        observer = self.ctx.observer
        parts = []
        for part in out:
            if part.__class__ is not bytes:
                n = len(part.calls)
                if n > 1:
                    counters.batches += 1
                    counters.batched_calls += n
                if observer is not None:
                    observer.batch_sizes[(n - 1).bit_length()] += 1
                part = part.encode()
            parts.append(part)
        self.transport.write(b"".join(parts))

    # ----- replies -----------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.raw:
            self.owner.raw_reply(data)
            return
        ctx = self.ctx
        ctx.delivery_round = touched = []
        try:
            self._replies(data)
        finally:
            ctx.delivery_round = None
            for session in touched:
                session.end_delivery_round()

    def _replies(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        waiting = self.waiting
        pos = 0
        scan, todo, skip = self._scan, self._todo, self._skip
        size = len(buf)
        try:
            while scan < size or todo or skip:
                head = waiting[0] if waiting else None
                if (head is not None and head.__class__ is not Batch and head.handler is None
                        and not todo and not skip and not self.pubsub):
                    # A run of pass-through replies for one session: forward as one slice.
                    # Pushes (and errors in cluster mode, for MOVED/ASK) get a look of their own.
                    n = head.expected
                    end, done = scan_replies(buf, pos, n, self._stop_bytes)
                    if done:
                        head.session.deliver(head, bytes(buf[pos:end]), done)
                        pos = scan = end
                        if done == n:
                            waiting.popleft()
                            continue
                    if scan >= size:
                        break
                    # fall through: an incomplete frame, or one that needs a look of its own
                if not todo and not skip:
                    # A complete frame (a batch's array, most often) is found in C at once;
                    # only an incomplete one is tracked piece by piece.
                    end, done = scan_replies(buf, scan, 1, b"")
                    if done:
                        frame = bytes(buf[pos:end])
                        pos = scan = end
                        self._route(frame)
                        continue
                    todo = 1
                scan, todo, skip = scan_frames(buf, scan, todo, skip)
                if todo or skip:
                    if (
                        scan - pos >= STREAM_MIN
                        and head is not None
                        and head.__class__ is not Batch
                        and head.handler is None
                        and buf[pos] != PUSH
                    ):
                        head.session.stream(head, bytes(buf[pos:scan]))
                        pos = scan
                    break
                frame = bytes(buf[pos:scan])
                pos = scan
                self._route(frame)
        except (ProtocolError, ValueError) as exc:
            log.error("unparsable reply from upstream %s: %s", self.ctx.address, exc)
            self.transport.close()
            return
        del buf[:pos]
        self._scan, self._todo, self._skip = scan - pos, todo, skip

    def _route(self, frame: bytes) -> None:
        """One complete frame that is not part of a pass-through run."""
        if self.pubsub and is_message(frame):
            self.owner.push(frame)
            return
        if frame[0] == PUSH and self.owner is not None:
            self.owner.push(frame)
            return
        if not self.waiting:
            if self.owner is not None:
                self.owner.push(frame)  # unsolicited (e.g. after CLIENT REPLY ON)
            else:
                log.warning("unexpected reply on a shared upstream connection: %r", frame[:80])
            return
        if frame[0] == ERROR and self.cluster is not None:
            frame = self.cluster.rewrite_replies(frame)
        head = self.waiting[0]
        if head.__class__ is Batch:
            self.waiting.popleft()
            self._batch_reply(head, frame)
        elif head.handler is None:
            head.session.deliver(head, frame, 1)
            if head.expected <= 0:
                self.waiting.popleft()
        else:
            self.waiting.popleft()
            head.session.reply(head, frame)

    def _batch_reply(self, batch: Batch, frame: bytes) -> None:
        slots = batch.slots
        count = len(batch.calls)
        if count == 1:  # sent as the plain FCALL
            slot = slots[0]
            if slot.call.__class__ is not Run:
                slot.session.reply(slot, frame)
            elif frame[0] != ERROR and BIG_INT_MARKER not in frame:
                slot.session.run_replied(slot, frame)
            else:
                slot.session.run_elements(slot, [frame])
            return
        header = b"*%d\r\n" % count
        if frame.startswith(header):
            buf = frame if ACCELERATED else bytearray(frame)
            pos = len(header)
            for slot in slots:
                call = slot.call
                if call.__class__ is not Run:
                    end, _ = scan_replies(buf, pos, 1, b"")
                    slot.session.reply(slot, frame[pos:end])
                    pos = end
                    continue
                k = len(call.parts)
                end, done = scan_replies(buf, pos, k, b"-")
                if done == k and frame.find(BIG_INT_MARKER, pos, end) < 0:
                    slot.session.run_replied(slot, frame[pos:end])
                    pos = end
                    continue
                elements = []
                for _ in range(k):
                    end, _ = scan_replies(buf, pos, 1, b"")
                    elements.append(frame[pos:end])
                    pos = end
                slot.session.run_elements(slot, elements)
            return
        # The FCALL as a whole was refused, so none of its calls ran.
        if frame.startswith(b"-NOPERM"):
            # A batch declares every call's keys; permissions are each call's own business.
            if self.batching:  # this connection is the default user's
                self.ctx.stop_batching(frame)
            for slot in slots:
                if slot.call.__class__ is Run:
                    slot.session.resend_run(slot)
                else:
                    slot.session.resend(slot)
            return
        # What each call alone would have heard (OOM, BUSY, MOVED...); a missing library
        # is reloaded by each call's own retry.
        for slot in slots:
            if slot.call.__class__ is Run:
                slot.session.run_elements(slot, [frame] * len(slot.call.parts))
            else:
                slot.session.reply(slot, frame)

    # ----- lifecycle and flow control ------------------------------------

    def _fail(self, message: str) -> None:
        """The connection is gone (or never came): every waiting route gets ``message``."""
        if self.closed:
            return
        self.closed = True
        self.error = message
        self.ctx.pipeline_lost(self)
        err = error_reply(message)
        waiting, self.waiting = self.waiting, deque()
        self.out = []
        self._open_batches.clear()
        for route in waiting:
            slots = route.slots if route.__class__ is Batch else [route]
            for slot in slots:
                slot.session.upstream_failed(slot, err)
        if self.owner is not None:
            self.owner.pinned_pipeline_lost(self)
        for session in list(self.members):
            session.shared_pipeline_lost(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.ctx.upstream_open -= 1
        if not self.closed:  # not closed by the proxy: Valkey or the network ended it
            self.ctx.counters.connections_lost += 1
        self._fail("ERR tairproxy: upstream connection lost")

    def close(self) -> None:
        """Close now; whatever still waits for a reply is told at once (also while connecting)."""
        transport = self.transport
        self._fail("ERR tairproxy: upstream connection lost")
        if transport is not None:
            transport.close()

    def pause_writing(self) -> None:
        self.write_paused = True
        for session in self.members if self.owner is None else (self.owner,):
            session.pause_client_reading("upstream")

    def resume_writing(self) -> None:
        self.write_paused = False
        for session in list(self.members) if self.owner is None else (self.owner,):
            session.resume_client_reading("upstream")

    @property
    def pending_replies(self) -> int:
        return len(self.waiting)
