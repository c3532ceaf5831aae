"""Commands the proxy answers itself, exactly as Valkey would, so they never pin a session.

PING, ECHO and the client's own name and library details need no server: answering them
here keeps clients that send them on every connect (redis-py ≥ 5 sends CLIENT SETINFO)
on the shared connections. A pinned session forwards them instead (its connection holds
the truth, e.g. PING's reply shape while subscribed), except QUIT and CLIENT ID, which
are always local: a session keeps one id for its whole life whichever connection it uses.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from tairproxy.resp import encode_reply, error_reply

if TYPE_CHECKING:
    from tairproxy.session import ClientSession

OK = b"+OK\r\n"
# Proxy-made client ids: unique per process, far above Valkey's own counters.
_ids = itertools.count(((os.getpid() & 0xFFFF) << 32) + 1)


def new_client_id() -> int:
    return next(_ids)


def _arity(name: str) -> bytes:
    return error_reply(f"ERR wrong number of arguments for '{name}' command")


def _valid_attribute(value: bytes) -> bool:
    # Valkey refuses anything outside printable ASCII without spaces.
    return all(33 <= c <= 126 for c in value)


def ping(session: ClientSession, args: list[bytes]) -> bytes:
    if len(args) == 1:
        return b"+PONG\r\n"
    if len(args) == 2:
        return encode_reply(args[1], session.resp3)
    return _arity("ping")


def echo(session: ClientSession, args: list[bytes]) -> bytes:
    return encode_reply(args[1], session.resp3) if len(args) == 2 else _arity("echo")


def reset(session: ClientSession, args: list[bytes]) -> bytes:
    if len(args) != 1:
        return _arity("reset")
    session.reset_local_state()
    return b"+RESET\r\n"


def client_setname(session: ClientSession, args: list[bytes]) -> bytes:
    if len(args) != 3:
        return _arity("client|setname")
    if not _valid_attribute(args[2]):
        return error_reply("ERR Client names cannot contain spaces, newlines or special characters.")
    session.client_name = args[2] or None
    return OK


def client_getname(session: ClientSession, args: list[bytes]) -> bytes:
    if len(args) != 2:
        return _arity("client|getname")
    return encode_reply(session.client_name, session.resp3)


def client_setinfo(session: ClientSession, args: list[bytes]) -> bytes:
    if len(args) != 4:
        return _arity("client|setinfo")
    attr = args[2].lower()
    if attr not in (b"lib-name", b"lib-ver"):
        return error_reply(b"ERR Unrecognized option '" + args[2] + b"'")
    if not _valid_attribute(args[3]):
        return error_reply(attr + b" cannot contain spaces, newlines or special characters.")
    session.client_info[attr] = args[3]
    return OK


def client_id(session: ClientSession, args: list[bytes]) -> bytes:
    return b":%d\r\n" % session.client_id if len(args) == 2 else _arity("client|id")


LocalAnswer = Callable[["ClientSession", list[bytes]], bytes]

# Answered here while the session is unpinned.
WHEN_SHARED: dict[bytes, LocalAnswer] = {b"ping": ping, b"echo": echo, b"reset": reset}
CLIENT_WHEN_SHARED: dict[bytes, LocalAnswer] = {
    b"setname": client_setname,
    b"getname": client_getname,
    b"setinfo": client_setinfo,
}
# Answered here always.
CLIENT_ALWAYS: dict[bytes, LocalAnswer] = {b"id": client_id}

LOCAL_NAMES = frozenset(WHEN_SHARED) | {b"client", b"quit"}


def local_answer(session: ClientSession, name: bytes, args: list[bytes]) -> LocalAnswer | None:
    """The local answer for this command in this session's state, if any."""
    if name == b"client" and len(args) > 1:
        sub = args[1].lower()
        found = CLIENT_ALWAYS.get(sub)
        if found is None and not session.pinned:
            found = CLIENT_WHEN_SHARED.get(sub)
        return found
    if session.pinned:
        return None
    return WHEN_SHARED.get(name)


def replay_commands(session: ClientSession) -> list[list[bytes]]:
    """What a new pinned connection must be told so it shows this session's local state."""
    commands = []
    if session.client_name:
        commands.append([b"CLIENT", b"SETNAME", session.client_name])
    for attr, value in session.client_info.items():
        commands.append([b"CLIENT", b"SETINFO", attr, value])
    return commands
