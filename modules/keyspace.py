"""Native commands that need to know about Tair keys and commands.

TYPE answers Tair's type names (exstrtype, tairhash-, ...) for Tair keys and the
native name otherwise. COMMAND (and its INFO, COUNT, LIST, GETKEYS forms) includes
the Tair commands, from the same table that drives dispatch, so clients that route
by key position (cluster clients) know them. Every other keyspace command needs
nothing from us because each Tair key is one native key.
"""

from __future__ import annotations

from tairproxy.dispatch import Call, Command, Reply, build_call
from tairproxy.resp import Error

LUA_FILE = "keyspace.lua"
# These are native commands the proxy intercepts, not Tair commands: COMMAND does not list them.
NATIVE = True


def type_(args: list[bytes]) -> Call:
    return Call("tp_type", [args[1]], [], readonly=True)


def _tair_commands() -> dict[bytes, Command]:
    from tairproxy.modules import tair_commands  # the package imports this module while discovering families

    return {cmd.name.lower().encode(): cmd for cmd in tair_commands()}


def _native(args: list[bytes], transform) -> Call:
    return Call("", [], [], native=list(args), transform=transform)


def command(args: list[bytes]) -> Call | Reply:
    ours = _tair_commands()
    sub = args[1].lower() if len(args) > 1 else b""
    if sub == b"":
        return _native(args, lambda reply: [*reply, *(c.info() for c in ours.values())])
    if sub == b"count" and len(args) == 2:
        return _native(args, lambda reply: reply + len(ours))
    if sub == b"list" and len(args) == 2:
        return _native(args, lambda reply: [*reply, *ours])
    if sub == b"info" and len(args) > 2:
        names = [a.lower() for a in args[2:]]

        def merge(reply: list) -> list:
            return [ours[n].info() if n in ours else entry for n, entry in zip(names, reply, strict=False)]

        return _native(args, merge)
    if sub == b"getkeys" and len(args) > 2 and args[2].lower() in ours:
        cmd = ours[args[2].lower()]
        checked = build_call(cmd, args[2:])
        if isinstance(checked, Error):
            return Reply(Error(b"ERR Invalid arguments specified for command"))
        return Reply(cmd.keys(args[2:]))
    return _native(args, None)


COMMANDS = [
    Command("TYPE", 2, type_, readonly=True, queue_time_arity=True),
    Command("COMMAND", -1, command, first_key=0, last_key=0, key_step=0, readonly=True, queue_time_arity=True),
]
