"""Tair families: each module has a command table (COMMANDS) and a Lua file (LUA_FILE).

Adding a family means adding it to FAMILIES; adding a command touches only its module.
"""

from __future__ import annotations

from modules import keyspace, tairstring

FAMILIES = [keyspace, tairstring]


def all_commands() -> list:
    return [cmd for family in FAMILIES for cmd in family.COMMANDS]
