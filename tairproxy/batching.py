"""Consecutive Tair calls on one upstream connection travel as ONE FCALL of ``tp_batch``.

A single FCALL costs Valkey a few microseconds of Lua set-up whatever the function does;
a batch pays it once for many calls. ``tp_batch`` (modules/common.lua) runs each call
under pcall and answers an array whose element *i* is exactly what call *i* alone would
have answered, errors included, so the proxy splits the array and routes each element as
if it had been a single reply. A batch of one is sent as the plain FCALL.

Read-only and writing calls are never mixed (a read-only batch is FCALL_RO tp_batch_ro,
so it runs on replicas and under maxmemory like its calls would), and in cluster mode a
batch holds calls of one slot (the FCALL declares every call's keys).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tairproxy.dispatch import Call
from tairproxy.framing import ACCELERATED, scan_replies
from tairproxy.resp import encode_command

if TYPE_CHECKING:
    from tairproxy.session import Slot

# One FCALL must never hold Valkey long: cap what a batch carries.
MAX_CALLS = 128
MAX_BYTES = 256 * 1024


class Batch:
    """Calls gathered during one loop turn for one upstream connection."""

    __slots__ = ("slots", "readonly", "slot_id", "size", "seq")

    def __init__(self, slot: Slot, readonly: bool, slot_id: int | None, seq: int, size: int = 0):
        self.slots: list[Slot] = [slot]
        self.readonly = readonly
        self.slot_id = slot_id
        # The client's command length stands in for a call's size when known: the cap is a
        # bound on one FCALL's work, and measuring every call's arguments costs more than
        # the bound needs (a call's arguments are at most ~3x its command's bytes).
        self.size = size or _call_size(slot.call)
        self.seq = seq  # position among the connection's sends, for the join rule

    def accepts(self, call: Call, slot_id: int | None) -> bool:
        return (
            call.readonly == self.readonly
            and slot_id == self.slot_id
            and len(self.slots) < MAX_CALLS
            and self.size < MAX_BYTES
        )

    def add(self, slot: Slot, size: int = 0) -> None:
        self.slots.append(slot)
        self.size += size or _call_size(slot.call)

    def encode(self) -> bytes:
        if len(self.slots) == 1:
            return self.slots[0].call.encode()
        keys: list[bytes] = []
        argv: list[bytes] = [b"%d" % len(self.slots)]
        for slot in self.slots:
            call = slot.call
            keys += call.keys
            argv += (call.function.encode(), b"%d" % len(call.keys), b"%d" % len(call.args), *call.args)
        verb, function = (b"FCALL_RO", b"tp_batch_ro") if self.readonly else (b"FCALL", b"tp_batch")
        return encode_command([verb, function, b"%d" % len(keys), *keys, *argv])


def _call_size(call: Call) -> int:
    return sum(map(len, call.args)) + sum(map(len, call.keys)) + 32


def split_array(reply: bytes, count: int) -> list[bytes] | None:
    """The elements of a ``count``-element array reply, each as its exact bytes; None when
    the reply is not such an array (a batch-level error)."""
    header = b"*%d\r\n" % count
    if not reply.startswith(header):
        return None
    buf = reply if ACCELERATED else bytearray(reply)
    pos = len(header)
    elements = []
    for _ in range(count):
        end, _ = scan_replies(buf, pos, 1, b"")
        elements.append(reply[pos:end])
        pos = end
    return elements
