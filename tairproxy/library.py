"""The tairproxy Lua function library: assembling it and keeping it loaded.

Each family module ships a ``.lua`` file beside its Python; they are joined
behind ``modules/common.lua`` into one library so helpers are shared and one
FUNCTION LOAD installs everything. A version stamp (hash of the source) lets
the proxy skip reloading when the server already has this exact library.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from functools import lru_cache
from importlib import resources

from tairproxy.logs import UpstreamHealth
from tairproxy.resp import Error
from tairproxy.upstream import ControlConnection

log = logging.getLogger(__name__)

LIBRARY_NAME = "tairproxy"
VERSION_FUNCTION = "tp_version"
FUNCTION_NOT_FOUND = b"ERR Function not found"
# Helpers every family may use, loaded first and at top level of the library.
SHARED_LUA = ("common.lua", "longdouble.lua", "dictscan.lua")


def _read_lua(name: str) -> str:
    return resources.files("tairproxy.modules").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def library_source() -> tuple[str, str]:
    """(source, version) of the whole library."""
    from tairproxy.modules import FAMILIES

    parts = [_read_lua(name) for name in SHARED_LUA]
    for family in FAMILIES:
        if family.LUA_FILE is None:
            continue
        # do ... end keeps each family's locals in its own scope (Lua allows 200 live locals).
        parts.append(f"do -- ===== {family.__name__} =====\n{_read_lua(family.LUA_FILE)}\nend")
    # Every function registers through common.lua's register_function, which also files it
    # for tp_batch; the Lua files keep Valkey's own spelling.
    body = "\n".join(parts).replace("server.register_function", "register_function")
    version = hashlib.sha1(body.encode()).hexdigest()[:16]
    source = (
        f"#!lua name={LIBRARY_NAME}\n"
        + body
        + f"\nserver.register_function{{function_name='{VERSION_FUNCTION}', flags={{'no-writes'}},"
        f" callback=function() return '{version}' end}}\n"
    )
    return source, version


class LibraryManager:
    """Keeps the library loaded on one upstream, sharing one reload among all sessions."""

    def __init__(self, address):
        self.address = address
        # One line per up/down change of the upstream, shared with whatever else connects to it.
        self.health = UpstreamHealth(str(address))
        self._inflight: asyncio.Future | None = None
        # FUNCTION LOADs made once the proxy serves clients: the library had gone missing
        # (FUNCTION FLUSH, a restart without persistence, a new primary without it).
        self.serving = False
        self.reloads = 0

    async def ensure(self, force: bool = False) -> None:
        """Load the library unless the server already runs this exact version.

        ``force`` comes from callers that saw "Function not found"; the version check still
        decides, because a server running this exact version has every function of ours: the
        missing one was a client's own (``FCALL`` of an unknown function must not cost every
        client a ``FUNCTION LOAD``).
        """
        if self._inflight is not None:
            return await asyncio.shield(self._inflight)
        self._inflight = asyncio.get_running_loop().create_future()
        try:
            await self._load(force)
            self._inflight.set_result(None)
        except BaseException as exc:
            self._inflight.set_exception(exc)
            self._inflight.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            self._inflight = None

    async def _load(self, force: bool) -> None:
        source, version = library_source()
        try:
            conn = await ControlConnection.open(self.address)
        except (OSError, TimeoutError, ConnectionError) as exc:
            self.health.down(str(exc) or type(exc).__name__)
            raise
        self.health.up()
        try:
            current = await conn.call("FCALL_RO", VERSION_FUNCTION, "0")
            if current == version.encode():
                return
            reply = await conn.call("FUNCTION", "LOAD", "REPLACE", source)
            if isinstance(reply, Error) and reply.startswith(b"READONLY"):
                # A replica (cluster sidecar): the library arrives from its primary by replication.
                log.info("upstream is a read-only replica; the library comes from its primary")
                return
            if isinstance(reply, Error):
                raise RuntimeError(f"FUNCTION LOAD failed: {reply.decode(errors='replace')}")
            if self.serving:
                self.reloads += 1
            log.info("loaded Lua library %s version %s", LIBRARY_NAME, version)
        finally:
            conn.close()
