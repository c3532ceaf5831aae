"""Which commands need server-side state, and which the proxy answers itself.

Sessions share a few pipelined upstream connections while they hold no state on the
server. The first command that would leave state on its connection (a transaction, a
blocking wait, a subscription, another user or database, RESP3, ...) *pins* the session:
from then on it has an upstream connection of its own, so every session semantic stays
exactly Valkey's. The table below is the whole rule; README.md shows it to users.
"""

from __future__ import annotations

from collections.abc import Callable

# Command (lower case) → why it pins, whatever its arguments.
PIN_ALWAYS: dict[bytes, str] = {
    b"multi": "transaction",
    b"watch": "transaction",
    b"blpop": "blocking",
    b"brpop": "blocking",
    b"brpoplpush": "blocking",
    b"blmove": "blocking",
    b"blmpop": "blocking",
    b"bzpopmin": "blocking",
    b"bzpopmax": "blocking",
    b"bzmpop": "blocking",
    b"wait": "replication wait",
    b"waitaof": "replication wait",
    b"subscribe": "pub/sub",
    b"psubscribe": "pub/sub",
    b"ssubscribe": "pub/sub",
    b"monitor": "monitor",
    b"sync": "replication stream",
    b"psync": "replication stream",
    b"auth": "another user",
    b"readonly": "replica reads",
    b"readwrite": "replica reads",
    b"asking": "cluster redirection",
}

# Client subcommands that leave state on the connection.
_CLIENT_PINNING = frozenset({b"reply", b"tracking", b"caching", b"no-evict", b"no-touch"})


def _select(args: list[bytes]) -> str | None:
    # SELECT 0 changes nothing on a shared connection (they all stay in database 0).
    return None if len(args) == 2 and args[1] == b"0" else "database"


def _hello(args: list[bytes]) -> str | None:
    if len(args) == 1 or (len(args) == 2 and args[1] == b"2"):
        return None  # answers the server's details, leaves the connection as it is
    return "protocol or user"


def _client(args: list[bytes]) -> str | None:
    return "client mode" if len(args) > 1 and args[1].lower() in _CLIENT_PINNING else None


def _blocking_stream_read(args: list[bytes]) -> str | None:
    return "blocking" if any(a.lower() == b"block" for a in args[1:]) else None


PIN_IF: dict[bytes, Callable[[list[bytes]], str | None]] = {
    b"select": _select,
    b"hello": _hello,
    b"client": _client,
    b"xread": _blocking_stream_read,
    b"xreadgroup": _blocking_stream_read,
}

PINNING_NAMES = frozenset(PIN_ALWAYS) | frozenset(PIN_IF)


def pin_reason(name: bytes, args: list[bytes]) -> str | None:
    """Why this command needs a connection of its own, or None."""
    reason = PIN_ALWAYS.get(name)
    if reason is not None:
        return reason
    rule = PIN_IF.get(name)
    return rule(args) if rule is not None else None
