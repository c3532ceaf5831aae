"""The Tair command table and what a handler may answer.

Every Tair command is described once, as data (name, arity, key positions,
read-only or write, handler). The proxy core uses the table to decide whether a
command is ours, to check arity exactly as Valkey would for a module command,
and to extract keys; handlers turn validated arguments into one FCALL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from tairproxy.resp import Error, Status, encode_command

log = logging.getLogger(__name__)


class CommandError(Exception):
    """Raised by a handler for an argument error; the text is the exact Tair error."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class Call:
    """One FCALL of the tairproxy Lua library: the whole effect of one Tair command.

    A native command we intercept only to reshape its reply (COMMAND) sets ``native``
    to the command to send instead of an FCALL.
    """

    function: str
    keys: list[bytes]
    args: list[bytes]
    readonly: bool = False
    # Reshapes the parsed reply when Lua cannot produce Tair's exact shape itself.
    transform: Callable[[object], object] | None = None
    # Blocking commands (EXBZPOPMIN...): seconds to keep re-polling while the function
    # answers nil (0 = forever). Outside MULTI only, as Valkey's own blocking commands.
    block: float | None = None
    native: list[bytes] | None = None

    def encode(self) -> bytes:
        if self.native is not None:
            return encode_command(self.native)
        verb = b"FCALL_RO" if self.readonly else b"FCALL"
        return encode_command(
            [verb, self.function.encode(), b"%d" % len(self.keys), *self.keys, *self.args]
        )


@dataclass(slots=True)
class Calls:
    """One command of independent elements run as several calls, so no single call holds
    Valkey long (other clients run between them). ``combine`` turns the parts' exact
    replies, in order, into the command's reply. Inside MULTI the transaction is atomic
    anyway and ``whole`` (the unsplit call) is sent instead."""

    parts: list[Call]
    combine: Callable[[list[bytes]], bytes]
    whole: Call
    replies: list[bytes | None] = field(default_factory=list)
    missing: int = 0  # parts whose reply is not in yet


def split_call(whole: Call, fixed: int, step: int, combine: Callable[[list[bytes]], bytes]) -> Call | Calls:
    """``whole`` as parts of at most ``step`` element arguments each, every part carrying its
    first ``fixed`` arguments (the options); ``whole`` itself when it fits in one part."""
    options, elements = whole.args[:fixed], whole.args[fixed:]
    if len(elements) <= step:
        return whole
    parts = [Call(whole.function, whole.keys, [*options, *elements[i : i + step]], readonly=whole.readonly)
             for i in range(0, len(elements), step)]
    return Calls(parts, combine, whole)


@dataclass(slots=True)
class Reply:
    """An answer the proxy gives without asking Valkey (encoded in the client's protocol)."""

    value: object


Handler = Callable[[list[bytes]], "Call | Calls | Reply"]


@dataclass(slots=True)
class Command:
    """One Tair command: Valkey-style arity (negative = at least) and key positions."""

    name: str
    arity: int
    handler: Handler
    first_key: int = 1
    last_key: int = 1
    key_step: int = 1
    readonly: bool = False
    # Module commands are registered with arity -1 and check it themselves, so inside
    # MULTI a wrong count is an EXEC-time error; a native command we intercept (TYPE)
    # has it checked by the server at queue time, aborting the transaction.
    queue_time_arity: bool = False
    # Commands whose keys depend on the arguments (numkeys, two forms): COMMAND marks them
    # movablekeys, so cluster clients ask COMMAND GETKEYS, which answers with this.
    key_finder: Callable[[list[bytes]], list[bytes]] | None = None
    # Handlers that keep per-key state in the proxy (the GIS index cache) need the client's
    # database to tell same-named keys apart: they are called as handler(args, db).
    with_db: bool = False
    # Handlers that report on the proxy itself (INFO's Tairproxy section) are called as
    # handler(args, ctx) with the live ProxyContext of the proxy that runs them.
    with_context: bool = False
    # Set when the families are discovered (tairproxy.modules): the family module's name,
    # and whether it is a native command the proxy intercepts rather than a Tair command.
    family: str = ""
    native: bool = False

    def arity_ok(self, argc: int) -> bool:
        return argc == self.arity if self.arity >= 0 else argc >= -self.arity

    def info(self) -> list:
        """This command's COMMAND INFO entry, shaped as Valkey shows a module command."""
        flags = ("readonly", "fast") if self.readonly else ("write", "denyoom")
        if self.key_finder is not None:
            flags = (*flags, "movablekeys")
        return [
            self.name.lower().encode(), -1, [Status(f.encode()) for f in (*flags, "module")],
            self.first_key, self.last_key, self.key_step, [], [], [], [],
        ]

    def keys(self, args: list[bytes]) -> list[bytes]:
        if self.key_finder is not None:
            return self.key_finder(args)
        if self.first_key <= 0:
            return []
        last = self.last_key if self.last_key >= 0 else len(args) + self.last_key
        return args[self.first_key : last + 1 : self.key_step]


def wrong_arity(name: str) -> Error:
    return Error(b"ERR wrong number of arguments for '%s' command" % name.lower().encode())


class CommandTable:
    """Name → Command, case-insensitive, built from every family module."""

    def __init__(self, commands: list[Command]):
        # Framing lower-cases command names already: hot paths look them up here directly.
        self.by_lower_name: dict[bytes, Command] = {}
        for cmd in commands:
            key = cmd.name.lower().encode()
            if key in self.by_lower_name:
                raise ValueError(f"command {cmd.name} registered twice")
            self.by_lower_name[key] = cmd

    def lookup(self, name: bytes) -> Command | None:
        return self.by_lower_name.get(name.lower())

    def __contains__(self, name: bytes) -> bool:
        return name.lower() in self.by_lower_name

    def __iter__(self):
        return iter(self.by_lower_name.values())

    def names(self) -> frozenset[bytes]:
        return frozenset(self.by_lower_name)


def build_call(cmd: Command, args: list[bytes], db: int = 0, ctx: object = None) -> Call | Calls | Reply | Error:
    """Validate arity and arguments; the result is either one FCALL or the exact error."""
    if not cmd.arity_ok(len(args)):
        return wrong_arity(cmd.name)
    try:
        if cmd.with_db:
            return cmd.handler(args, db)
        return cmd.handler(args, ctx) if cmd.with_context else cmd.handler(args)
    except CommandError as exc:
        return Error(exc.message.encode())
    except Exception:
        # A handler bug must cost one error reply, not the client's connection.
        log.exception("handler of %s failed", cmd.name)
        return Error(b"ERR tairproxy internal error in %s (see the proxy log)" % cmd.name.encode())
