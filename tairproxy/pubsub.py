"""A pinned session's subscriptions, followed from the commands it sends.

Valkey executes one connection's commands in order, so the proxy can know, when it sends
a (P|S)(UN)SUBSCRIBE, how many frames will answer it and whether the connection is then
in RESP2's subscribed mode. Every command keeps a reply slot that way, and published
messages — the only frames nobody asked for — are recognised by their shape and passed
to the client out of band.
"""

from __future__ import annotations

from tairproxy.cluster import key_slot

SUBSCRIBE = {b"subscribe": "channels", b"psubscribe": "patterns", b"ssubscribe": "shard_channels"}
UNSUBSCRIBE = {b"unsubscribe": "channels", b"punsubscribe": "patterns", b"sunsubscribe": "shard_channels"}
COMMANDS = frozenset(SUBSCRIBE) | frozenset(UNSUBSCRIBE)
# In RESP2 a subscribed connection accepts only these (Valkey's own list).
ALLOWED_WHILE_SUBSCRIBED = COMMANDS | {b"ping", b"quit", b"reset"}
_MESSAGES = (b"*3\r\n$7\r\nmessage\r\n", b"*4\r\n$8\r\npmessage\r\n", b"*3\r\n$8\r\nsmessage\r\n")


def is_message(frame: bytes) -> bool:
    """A published message (RESP2): the only frame a subscribed connection sends unasked."""
    return frame.startswith(_MESSAGES)


def refusal(name: bytes) -> bytes:
    return (
        b"-ERR Can't execute '" + name + b"': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
        b"RESET are allowed in this context\r\n"
    )


class Subscriptions:
    def __init__(self) -> None:
        self.channels: set[bytes] = set()
        self.patterns: set[bytes] = set()
        self.shard_channels: set[bytes] = set()

    @property
    def active(self) -> bool:
        return bool(self.channels or self.patterns or self.shard_channels)

    def clear(self) -> None:
        self.channels.clear()
        self.patterns.clear()
        self.shard_channels.clear()

    def apply(self, name: bytes, args: list[bytes], cluster: bool) -> tuple[int, bool]:
        """Record what the command does. Returns how many frames answer it in RESP2, and
        whether that answer is an error (an ordinary reply in RESP3 too, not a push)."""
        targets = args[1:]
        if name in SUBSCRIBE:
            if not targets:
                return 1, True  # wrong number of arguments
            if name == b"ssubscribe" and cluster and len({key_slot(t) for t in targets}) > 1:
                return 1, True  # CROSSSLOT
            getattr(self, SUBSCRIBE[name]).update(targets)
            return len(targets), False
        kind: set[bytes] = getattr(self, UNSUBSCRIBE[name])
        if not targets:
            count = len(kind)
            kind.clear()
            return max(count, 1), False  # nothing subscribed: one frame with a nil name
        if name == b"sunsubscribe" and cluster and len({key_slot(t) for t in targets}) > 1:
            return 1, True
        kind.difference_update(targets)
        return len(targets), False
