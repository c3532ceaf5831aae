"""Consecutive Tair calls on one upstream connection travel as ONE FCALL of ``tp_batch``.

A single FCALL costs Valkey a few microseconds of Lua set-up whatever the function does;
a batch pays it once for many calls. ``tp_batch`` (modules/common.lua) runs each call
under pcall and answers an array whose element *i* is exactly what call *i* alone would
have answered, errors included, so the proxy splits the array and routes each element as
if it had been a single reply. A batch of one call is sent as the plain FCALL.

A client's consecutive calls of one loop turn sit in a batch as one ``Run``: one slot in
the client's order whose replies, when none of them needs a look (no error, no integer
beyond Lua's doubles), leave as the one slice of the batch's array they occupy — no work
per reply, as pass-through replies. Otherwise each element is handled as its call's own.

Read-only and writing calls are never mixed (a read-only batch is FCALL_RO tp_batch_ro,
so it runs on replicas and under maxmemory like its calls would), and in cluster mode a
batch holds calls of one slot (the FCALL declares every call's keys).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tairproxy.dispatch import Call
from tairproxy.resp import encode_command

if TYPE_CHECKING:
    from tairproxy.session import Slot

# One FCALL must never hold Valkey long: cap what a batch carries.
MAX_CALLS = 128
MAX_BYTES = 256 * 1024


class Run:
    """A client's consecutive calls in one batch (a slot's ``call``). Its ``parts`` and
    ``replies`` are those of a split command's (dispatch.Calls) for the element-by-element
    path, where each reply is the part's own and ``combine`` joins them in order."""

    __slots__ = ("parts", "names", "readonly", "replies", "missing")

    def __init__(self, call: Call, name: str):
        self.parts = [call]
        self.names = [name]
        self.readonly = call.readonly
        self.replies: list[bytes | None] = []
        self.missing = 0

    @staticmethod
    def combine(replies: list[bytes]) -> bytes:
        return b"".join(replies)


class Batch:
    """Calls gathered during one loop turn for one upstream connection."""

    __slots__ = ("slots", "calls", "readonly", "slot_id", "size", "seq")

    def __init__(self, slot: Slot, readonly: bool, slot_id: int | None, seq: int, size: int = 0):
        self.slots: list[Slot] = [slot]
        call = slot.call
        self.calls: list[Call] = list(call.parts) if call.__class__ is Run else [call]
        self.readonly = readonly
        self.slot_id = slot_id
        # The client's command length stands in for a call's size when known: the cap is a
        # bound on one FCALL's work, and measuring every call's arguments costs more than
        # the bound needs (a call's arguments are at most ~3x its command's bytes).
        self.size = size or sum(map(_call_size, self.calls))
        self.seq = seq  # position among the connection's sends, for the join rule

    def accepts(self, call: Call, slot_id: int | None) -> bool:
        return call.readonly == self.readonly and slot_id == self.slot_id and self.has_room()

    def has_room(self) -> bool:
        return len(self.calls) < MAX_CALLS and self.size < MAX_BYTES

    def add(self, slot: Slot, size: int = 0) -> None:
        self.slots.append(slot)
        call = slot.call
        if call.__class__ is Run:
            self.calls += call.parts
            self.size += size or sum(map(_call_size, call.parts))
        else:
            self.calls.append(call)
            self.size += size or _call_size(call)

    def extend_run(self, call: Call, size: int) -> None:
        """One more call of the run that is this batch's last slot."""
        self.calls.append(call)
        self.size += size or _call_size(call)

    def encode(self) -> bytes:
        calls = self.calls
        if len(calls) == 1:
            return calls[0].encode()
        keys: list[bytes] = []
        argv: list[bytes] = []
        header = [0]
        names: dict[str, int] = {}
        for call in calls:
            call_keys, args = call.keys, call.args
            keys += call_keys
            name = names.get(call.function)
            if name is None:
                name = names[call.function] = len(names)
            nkeys, nargs = len(call_keys), len(args)
            # A count past a byte is 255 in the header and travels as the call's first argument(s).
            if nkeys >= 255:
                argv.append(b"%d" % nkeys)
                nkeys = 255
            if nargs >= 255:
                argv.append(b"%d" % nargs)
                nargs = 255
            header += (name, nkeys, nargs)
            argv += args
        header[0] = len(names)
        function_names = [_NAMES.get(f) or _NAMES.setdefault(f, f.encode()) for f in names]
        verb, function = (b"FCALL_RO", b"tp_batch_ro") if self.readonly else (b"FCALL", b"tp_batch")
        return encode_command([verb, function, b"%d" % len(keys), *keys, bytes(header), *function_names, *argv])


# Function names as bytes, made once rather than for every batch.
_NAMES: dict[str, bytes] = {}


def _call_size(call: Call) -> int:
    return sum(map(len, call.args)) + sum(map(len, call.keys)) + 32

