"""Native keyspace commands that need to know about Tair keys.

TYPE answers Tair's type names (exstrtype, tairhash-, ...) for Tair keys and the
native name otherwise; every other keyspace command needs nothing from us because
each Tair key is one native key.
"""

from __future__ import annotations

from tairproxy.dispatch import Call, Command

LUA_FILE = "keyspace.lua"


def type_(args: list[bytes]) -> Call:
    return Call("tp_type", [args[1]], [], readonly=True)


COMMANDS = [
    Command("TYPE", 2, type_, readonly=True, queue_time_arity=True),
]
