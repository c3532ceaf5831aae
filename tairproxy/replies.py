"""Reply handlers: what happens to a reply the proxy has to look at before the client sees it.

A handler is called with the session, the slot and the reply's exact bytes, and returns
the bytes to send (or None when it re-queued the call: a retry after a library reload,
the next poll of a blocking call). Pass-through replies never come here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from tairproxy.library import FUNCTION_NOT_FOUND
from tairproxy.resp import Error, Status, encode_reply, error_reply, parse_reply

if TYPE_CHECKING:
    from tairproxy.session import ClientSession, Slot

log = logging.getLogger(__name__)

INTERNAL_ERROR = error_reply("ERR tairproxy internal error while handling the reply (see the proxy log)")
NIL_REPLIES = frozenset({b"$-1\r\n", b"_\r\n", b"*-1\r\n"})
# Lua numbers are doubles: the library sends integers beyond 2^53 as a status
# carrying the digits, and the proxy turns it into an exact integer reply.
BIG_INT_MARKER = b"+\x01i64:"


def exact_integers(value: object) -> object:
    if isinstance(value, Status) and value.startswith(b"\x01i64:"):
        n = int(value[5:])
        return n - (1 << 64) if n >= (1 << 63) else n  # as Tair's signed cast
    if isinstance(value, list):
        return [exact_integers(v) for v in value]
    return value


# Commands a function runs obey the calling user's ACL; a denial inside comes back as
# "ERR ACL failure in script: <Valkey's NOPERM text>" (plus the Lua position when single).
SCRIPT_ACL_FAILURE = b"-ERR ACL failure in script: "
_SCRIPT_ACL = re.compile(rb"-ERR ACL failure in script: (.*?)(?: script: on @user_function:\d+\.)?\r\n", re.S)
_COMMAND_DENIED = re.compile(rb"(User .+ has no permissions to run the )'[^']*'( command)", re.S)


def is_acl_denial(reply: bytes) -> bool:
    return reply.startswith(b"-NOPERM") or reply.startswith(SCRIPT_ACL_FAILURE)


def name_the_tair_command(reply: bytes, name: str) -> bytes:
    """Valkey's ACL verdict on a Tair call, worded as it is for a module command: a NOPERM that
    names the command the client sent (Valkey names FCALL, or the native command the function
    was refused inside). Key and channel denials keep Valkey's text."""
    tair = b"'" + name.lower().encode() + b"'"
    if reply.startswith(b"-NOPERM"):
        for verb in (b"'fcall_ro'", b"'fcall'"):
            if verb in reply:
                return reply.replace(verb, tair, 1)
        return reply
    inside = _SCRIPT_ACL.fullmatch(reply)
    if inside is None:
        return reply
    text = _COMMAND_DENIED.sub(lambda m: m.group(1) + tair + m.group(2), inside.group(1), count=1)
    return b"-NOPERM " + text + b"\r\n"


def call_reply(session: ClientSession, slot: Slot, reply: bytes) -> bytes | None:
    """The reply of one Tair call (alone or as its element of a batch)."""
    call = slot.call
    if reply[0] == 45:  # errors pass unchanged, unless the library has to be reloaded
        if reply.startswith(b"-" + FUNCTION_NOT_FOUND) and not slot.retried:
            session.retry_after_reload(slot)
            return None
        if slot.name and is_acl_denial(reply):
            return name_the_tair_command(reply, slot.name)
        return reply
    if slot.deadline is not None and reply in NIL_REPLIES and session.poll_again(slot):
        return None
    if slot.deadline is None and not call.readonly and session.ctx.blocking:
        # A write: someone may be waiting for these keys. (A blocking pop writes too, but only
        # by taking; it must not wake itself into one more poll.)
        session.ctx.blocking.written(session.db, call.keys)
    transform = call.transform
    if transform is None and BIG_INT_MARKER not in reply:
        return reply
    value = exact_integers(parse_reply(reply)[0])
    return encode_reply(transform(value) if transform else value, session.resp3)


def queued_reply(name: str) -> Callable:
    """A Tair command queued in MULTI: +QUEUED, or Valkey's queue-time refusal as for its command."""

    def handler(session: ClientSession, slot: Slot, reply: bytes) -> bytes:
        return name_the_tair_command(reply, name) if is_acl_denial(reply) else reply

    return handler


def fixed_reply(data: bytes) -> Callable:
    def handler(session: ClientSession, slot: Slot, reply: bytes) -> bytes:
        return data

    return handler


def exec_reply(transforms: dict[int, Callable], names: dict[int, str]) -> Callable:
    """EXEC's array, with each queued Tair command's element reshaped as its reply would be
    (``names``: the Tair command at each position, for ACL denials)."""

    def handler(session: ClientSession, slot: Slot, reply: bytes) -> bytes:
        if reply[0] != 42:  # not an array: EXECABORT, RESP3 null (WATCH failed), error
            return reply
        if FUNCTION_NOT_FOUND in reply:
            # Too late to retry inside a transaction that ran; have the library back for the next one.
            session.reload_library_soon()
        denied = SCRIPT_ACL_FAILURE[1:] in reply
        if not transforms and not denied and BIG_INT_MARKER not in reply:
            return reply
        values = exact_integers(parse_reply(reply)[0])
        if values is None:  # a WATCHed key changed: the transaction did not run
            return reply
        if denied:
            for i, name in names.items():
                if i < len(values) and isinstance(values[i], Error):
                    values[i] = Error(name_the_tair_command(error_reply(values[i]), name)[1:-2])
        for i, transform in transforms.items():
            if i < len(values) and not isinstance(values[i], Error):
                try:
                    values[i] = transform(values[i])
                except Exception:
                    log.exception("reshaping reply %d of EXEC failed", i)
                    values[i] = Error(INTERNAL_ERROR[1:-2])
        return encode_reply(values, session.resp3)

    return handler


_HELLO_ID = re.compile(rb"\$2\r\nid\r\n:\d+\r\n")


def hello_reply(version: int | None) -> Callable:
    def handler(session: ClientSession, slot: Slot, reply: bytes) -> bytes:
        if reply[0] == 45:
            return reply
        if version is not None:
            session.resp3 = version >= 3
        # The id a client learns is its session's, the one CLIENT ID answers, whichever
        # upstream connection carried the HELLO.
        return _HELLO_ID.sub(b"$2\r\nid\r\n:%d\r\n" % session.client_id, reply, count=1)

    return handler


def reset_reply(session: ClientSession, slot: Slot, reply: bytes) -> bytes:
    session.reset_local_state()
    return reply


def select_reply(db: int) -> Callable:
    def handler(session: ClientSession, slot: Slot, reply: bytes) -> bytes:
        if reply.startswith(b"+OK"):
            session.db = db
        return reply

    return handler


def auth_reply(session: ClientSession, slot: Slot, reply: bytes) -> bytes:
    if reply.startswith(b"+OK") or reply[0] in (37, 42):  # AUTH's OK, HELLO's map
        session.authenticated = True
        if session.pipe is not None:
            # Another user, maybe limited to some keys: Valkey must judge each call alone
            # (see UpstreamPipeline.batching).
            session.pipe.batching = False
    return reply


def cluster_reply(sub: bytes) -> Callable:
    def handler(session: ClientSession, slot: Slot, reply: bytes) -> bytes:
        if reply[0] == 45:
            return reply
        value = session.ctx.cluster.rewrite_cluster_reply(sub, parse_reply(reply)[0])
        return encode_reply(value, session.resp3)

    return handler


def discard_reply(session: ClientSession, slot: Slot, reply: bytes) -> None:
    """A reply to a command the proxy sent for itself (replaying a pinned session's state)."""
    if reply[0] == 45:
        log.warning("upstream refused a proxy-internal command: %r", reply[:200])
    return None
