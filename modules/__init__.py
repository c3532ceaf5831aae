"""Tair families: each module here with a command table (COMMANDS) and a Lua file (LUA_FILE, or None).

Families are found by looking at this package, so adding one touches only its own files.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

# Shared helpers, not families.
_NOT_FAMILIES = frozenset({"args", "errors"})


def _discover() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _NOT_FAMILIES)
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    families = [m for m in modules if hasattr(m, "COMMANDS") and hasattr(m, "LUA_FILE")]
    for family in families:
        for cmd in family.COMMANDS:
            cmd.family = family.__name__.rsplit(".", 1)[1]
            cmd.native = bool(getattr(family, "NATIVE", False))
    return families


FAMILIES = _discover()


def all_commands() -> list:
    return [cmd for family in FAMILIES for cmd in family.COMMANDS]


def tair_commands() -> list:
    """The Tair commands, without the native commands some families intercept (NATIVE = True)."""
    return [cmd for family in FAMILIES if not getattr(family, "NATIVE", False) for cmd in family.COMMANDS]
