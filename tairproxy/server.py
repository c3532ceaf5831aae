"""Start-up: check the upstream, load the library, listen."""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass

from tairproxy.cluster import ClusterMap
from tairproxy.connection import ClientSession, ProxyContext
from tairproxy.dispatch import CommandTable
from tairproxy.library import LibraryManager
from tairproxy.resp import Error
from tairproxy.upstream import ControlConnection, UpstreamAddress

log = logging.getLogger(__name__)


class UpstreamUnsuitable(RuntimeError):
    """The upstream cannot be used (unreachable, or lacks a required feature)."""


def command_table() -> CommandTable:
    from tairproxy.modules import all_commands

    return CommandTable(all_commands())


@dataclass
class UpstreamFeatures:
    server: str
    version: str
    hash_field_expiry: bool


async def check_upstream(address: UpstreamAddress) -> UpstreamFeatures:
    """One-line diagnosis of anything that would make the proxy useless."""
    try:
        conn = await ControlConnection.open(address)
    except (TimeoutError, OSError) as exc:
        raise UpstreamUnsuitable(f"cannot connect to upstream {address}: {exc or 'timeout'}") from None
    except ConnectionError as exc:
        raise UpstreamUnsuitable(str(exc)) from None
    try:
        info = await conn.call("INFO", "server")
        if isinstance(info, Error):
            raise UpstreamUnsuitable(f"upstream {address} refused INFO: {info.decode(errors='replace')}")
        fields = dict(
            line.split(":", 1) for line in info.decode(errors="replace").splitlines() if ":" in line
        )
        server = "valkey" if "valkey_version" in fields else "redis"
        version = fields.get("valkey_version") or fields.get("redis_version", "?")
        functions = await conn.call("FUNCTION", "STATS")
        if isinstance(functions, Error) and b"unknown command" in functions.lower():
            raise UpstreamUnsuitable(
                f"upstream {address} is {server} {version}, which has no FUNCTION support; "
                "tairproxy needs Valkey >= 9.0 (Redis >= 7.0 for TairString only)"
            )
        hfe = await conn.call("COMMAND", "INFO", "HPEXPIRE")
        hash_field_expiry = isinstance(hfe, list) and bool(hfe) and hfe[0] is not None
    finally:
        conn.close()
    return UpstreamFeatures(server, version, hash_field_expiry)


class ProxyServer:
    def __init__(self, ctx: ProxyContext, servers: list[asyncio.AbstractServer]):
        self.ctx = ctx
        self.servers = servers

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [s.sockets[0].getsockname()[:2] for s in self.servers if s.sockets]

    async def close(self) -> None:
        for s in self.servers:
            s.close()
        for session in list(self.ctx.sessions):
            session._close_client()
        for s in self.servers:
            await s.wait_closed()
        await self.ctx.address.aclose()


async def start_proxy(
    upstream: str | UpstreamAddress,
    bind: list[str] | str = "127.0.0.1",
    port: int = 6380,
    max_bulk: int = 512 * 1024 * 1024,
    check: bool = True,
    table: CommandTable | None = None,
    reuse_port: bool = False,
    cluster: ClusterMap | None = None,
    tls: ssl.SSLContext | None = None,
) -> ProxyServer:
    address = UpstreamAddress.parse(upstream) if isinstance(upstream, str) else upstream
    library = LibraryManager(address)
    if check:
        features = await check_upstream(address)
        if not features.hash_field_expiry:
            log.warning(
                "upstream is %s %s without hash-field expiration: TairHash TTL commands will fail "
                "(Valkey >= 9.0 needed)", features.server, features.version,
            )
        await library.ensure()
    ctx = ProxyContext(table or command_table(), address, library, max_bulk=max_bulk, cluster=cluster)
    address.on_switch(_failover_handler(ctx))
    loop = asyncio.get_running_loop()
    hosts = bind.split() if isinstance(bind, str) else bind
    servers = []
    for host in hosts:
        servers.append(
            await loop.create_server(
                lambda: ClientSession(ctx), host, port, backlog=4096, reuse_address=True, reuse_port=reuse_port,
                ssl=tls,
            )
        )
        if port == 0:
            port = servers[0].sockets[0].getsockname()[1]
    return ProxyServer(ctx, servers)


def _failover_handler(ctx: ProxyContext):
    """When the primary moves (Sentinel): sessions still connected to the old one get a prompt
    error instead of a hang or a READONLY later, and the new primary is checked for the library."""

    def switched(old: tuple[str, int] | None, new: tuple[str, int]) -> None:
        if old is None:
            return
        for session in list(ctx.sessions):
            up = session.up
            if up is not None and (up.get_extra_info("peername") or ())[:2] == old:
                up.close()  # the session answers its pending commands with an error and closes
        asyncio.get_running_loop().create_task(_ensure_library(ctx.library))

    return switched


async def _ensure_library(library: LibraryManager) -> None:
    try:
        await library.ensure()
    except Exception as exc:
        log.warning("cannot check the Lua library on the new primary: %s", exc)


def server_tls_context(cert_file: str | None, key_file: str | None) -> ssl.SSLContext | None:
    """TLS for the proxy's own listener, from a certificate and key (as valkey-server's tls-* files)."""
    if not cert_file:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_file, key_file)
    return ctx
