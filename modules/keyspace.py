"""Native commands that need to know about Tair keys, commands and modules.

TYPE answers Tair's type names (exstrtype, tairhash-, ...) for Tair keys and the
native name otherwise, and SCAN ... TYPE filters by the same names (one Lua helper
decides both). COMMAND (and its INFO, COUNT, LIST, GETKEYS forms) includes the Tair
commands, from the same table that drives dispatch, so clients that route by key
position (cluster clients) know them. MODULE LIST and INFO's Modules section list
the emulated modules as the real ones name themselves, so tools that look for Tair
find it. Every other keyspace command needs nothing from us because each Tair key
is one native key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tairproxy.dispatch import Call, Command, Reply, build_call
from tairproxy.observe import info_lines
from tairproxy.resp import Error, Verbatim

LUA_FILE = "keyspace.lua"
# These are native commands the proxy intercepts, not Tair commands: COMMAND does not list them.
NATIVE = True


def type_(args: list[bytes]) -> Call:
    return Call("tp_type", [args[1]], [], readonly=True)


def scan(args: list[bytes]) -> Call:
    """SCAN with a TYPE option goes through tp_scan_type; any other SCAN is Valkey's own."""
    options, wanted = [], None
    i = 2
    while i + 1 < len(args):
        if args[i].lower() == b"type":
            wanted = args[i + 1]  # the last one counts, as in Valkey
        else:
            options += args[i : i + 2]
        i += 2
    if wanted is None or i != len(args):
        return _native(args, None)  # no TYPE, or malformed options: Valkey answers
    return Call("tp_scan_type", [], [wanted, args[1], *options], readonly=True)


# ----- modules as the real ones report themselves


def emulated_modules() -> list[tuple[str, int]]:
    """(name, version) of each emulated module, as its RedisModule_Init registers it."""
    from tairproxy.modules import FAMILIES

    return [family.EMULATES for family in FAMILIES if hasattr(family, "EMULATES")]


def _module_info_lines(ctx: object = None) -> list[bytes]:
    return [
        b"module:name=%s,ver=%d,api=1,filters=0,usedby=[],using=[],options=[]" % (name.encode(), ver)
        for name, ver in emulated_modules()
    ]


def module(args: list[bytes]) -> Call:
    if len(args) != 2 or args[1].lower() != b"list":
        return _native(args, None)

    def add_ours(reply: list) -> list:
        ours = [{b"name": name.encode(), b"ver": ver, b"path": b"tairproxy", b"args": []}
                for name, ver in emulated_modules()]
        return [*reply, *ours]

    return _native(args, add_ours)


# ----- INFO


@dataclass(frozen=True)
class InfoSection:
    """Lines the proxy adds to one INFO section: after Valkey's own lines when Valkey has the
    section ("Modules"), else as a section of its own at the end (a proxy section such as
    "Tairproxy"). Shown when INFO asks for the section by name, for all/everything, and for
    plain INFO / INFO default when `default`. `lines` is called with the live ProxyContext of
    the proxy answering (None when there is none, e.g. a bare build_call)."""

    name: str
    lines: Callable[[object], list[bytes]]
    default: bool = True


INFO_SECTIONS: list[InfoSection] = [
    InfoSection("Modules", _module_info_lines),
    InfoSection("Tairproxy", info_lines),  # the proxy's own numbers (tairproxy.observe)
]


def _wanted_sections(args: list[bytes]) -> list[InfoSection]:
    asked = {a.lower() for a in args[1:]} or {b"default"}
    if asked & {b"all", b"everything"}:
        return list(INFO_SECTIONS)
    return [s for s in INFO_SECTIONS if s.name.lower().encode() in asked or (s.default and b"default" in asked)]


def _add_info_lines(text: bytes, sections: list[InfoSection], ctx: object) -> bytes:
    for section in sections:
        lines = section.lines(ctx)
        if not lines:
            continue
        added = b"".join(line + b"\r\n" for line in lines)
        header = b"# %s\r\n" % section.name.encode()
        at = text.find(header)
        if at == 0 or (at > 0 and text[at - 2 : at] == b"\r\n"):
            end = text.find(b"\r\n\r\n", at + len(header) - 2)
            end = len(text) if end < 0 else end + 2
            text = text[:end] + added + text[end:]
        else:
            text = text + (b"\r\n" if text else b"") + header + added
    return text


def info(args: list[bytes], ctx: object) -> Call:
    sections = _wanted_sections(args)
    if not sections:
        return _native(args, None)  # nothing of ours in it: Valkey's bytes unchanged
    # The lines are made when Valkey's reply arrives: the numbers are those of that moment.
    return _native(args, lambda text: Verbatim.like(text, _add_info_lines(bytes(text), sections, ctx)))


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
    Command("SCAN", -2, scan, first_key=0, last_key=0, key_step=0, readonly=True, queue_time_arity=True),
    Command("INFO", -1, info, first_key=0, last_key=0, key_step=0, readonly=True, queue_time_arity=True,
            with_context=True),
    Command("MODULE", -2, module, first_key=0, last_key=0, key_step=0, queue_time_arity=True),
    Command("COMMAND", -1, command, first_key=0, last_key=0, key_step=0, readonly=True, queue_time_arity=True),
]
