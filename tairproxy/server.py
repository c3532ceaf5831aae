"""Start-up: check the upstream, load the library, listen."""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass

from tairproxy.cluster import ClusterMap
from tairproxy.context import Limits, ProxyContext
from tairproxy.dispatch import CommandTable
from tairproxy.library import LibraryManager
from tairproxy.limits import client_capacity
from tairproxy.observe import Observer
from tairproxy.resp import Error
from tairproxy.session import ClientSession
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


async def upstream_requires_auth(address: UpstreamAddress, timeout: float = 5.0) -> bool:
    """Whether Valkey answers a connection that has not authenticated with NOAUTH.

    Asked on a connection without the upstream URL's credentials: that is how every
    client connection (and every shared one) starts.
    """
    conn = await ControlConnection.open(address, timeout, authenticate=False)
    try:
        reply = await conn.call("PING", timeout=timeout)
    finally:
        conn.close()
    return isinstance(reply, Error) and reply.startswith(b"NOAUTH")


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


async def prepare_upstream(address: UpstreamAddress, library: LibraryManager | None = None) -> UpstreamFeatures:
    """Start-up checks and the library load, done once per process group (the parent of
    ``--workers`` does it before forking)."""
    features = await check_upstream(address)
    log.info("upstream %s is %s %s", address, features.server, features.version)
    if not features.hash_field_expiry:
        log.warning(
            "upstream is %s %s without hash-field expiration: TairHash TTL commands will fail "
            "(Valkey >= 9.0 needed)", features.server, features.version,
        )
    await (library or LibraryManager(address)).ensure()
    return features


class ProxyServer:
    def __init__(self, ctx: ProxyContext, servers: list[asyncio.AbstractServer]):
        self.ctx = ctx
        self.servers = servers

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [s.sockets[0].getsockname()[:2] for s in self.servers if s.sockets]

    def stats(self) -> dict[str, float]:
        """The numbers of the periodic stats line (see tairproxy.stats): the core's own
        counters when its context provides ``stats()``, else the connected clients."""
        provider = getattr(self.ctx, "stats", None)
        if callable(provider):
            return provider()
        return {"clients": len(self.ctx.sessions)}

    async def close(self, grace: float = 1.0) -> None:
        """Stop listening, close every client (after what is already written to it) and every
        upstream connection; a client that does not let go within ``grace`` is cut."""
        for s in self.servers:
            s.close()
        for session in list(self.ctx.sessions):
            session._close_client()
        self.ctx.close_upstreams()
        try:
            await asyncio.wait_for(asyncio.gather(*(s.wait_closed() for s in self.servers)), grace)
        except TimeoutError:
            for session in list(self.ctx.sessions):
                if session.transport is not None:
                    session.transport.abort()
        await self.ctx.address.aclose()
        await asyncio.sleep(0)  # the transports' connection_lost callbacks run before the loop ends


async def start_proxy(
    upstream: str | UpstreamAddress,
    bind: list[str] | str = "127.0.0.1",
    port: int = 6380,
    max_bulk: int = 512 * 1024 * 1024,
    check: bool = True,
    limits: Limits | None = None,
    shared_connections: int = 1,
    table: CommandTable | None = None,
    reuse_port: bool = False,
    cluster: ClusterMap | None = None,
    tls: ssl.SSLContext | None = None,
    observer: Observer | None = None,
) -> ProxyServer:
    address = UpstreamAddress.parse(upstream) if isinstance(upstream, str) else upstream
    library = LibraryManager(address)
    if check:
        await prepare_upstream(address, library)
    limits = limits or Limits(max_clients=client_capacity())
    limits.max_bulk = max_bulk
    ctx = ProxyContext(
        table or command_table(), address, library, limits=limits, cluster=cluster,
        shared_connections=shared_connections,
    )
    if observer is not None:
        observer.track(ctx.table)
        ctx.observer = observer
    library.serving = True
    address.on_switch(_failover_handler(ctx))
    loop = asyncio.get_running_loop()
    hosts = bind.split() if isinstance(bind, str) else bind
    servers = []
    for host in hosts:
        servers.append(
            await loop.create_server(
                lambda: ClientSession(ctx), host, port, backlog=4096, reuse_address=True, reuse_port=reuse_port,
                ssl=tls, start_serving=False,
            )
        )
        if port == 0:
            port = servers[0].sockets[0].getsockname()[1]
    # Asked once the ports are ours (a worker that cannot listen stops before any connection)
    # and before the first client is accepted (it must start as Valkey would see it).
    try:
        ctx.auth_required = await upstream_requires_auth(address)
    except (OSError, TimeoutError, ConnectionError) as exc:
        if check:
            for server in servers:
                server.close()
            raise UpstreamUnsuitable(f"cannot connect to upstream {address}: {exc or 'timeout'}") from None
    for server in servers:
        await server.start_serving()
    return ProxyServer(ctx, servers)


def _failover_handler(ctx: ProxyContext):
    """When the primary moves (Sentinel): sessions still connected to the old one get a prompt
    error instead of a hang or a READONLY later, and the new primary is checked for the library."""

    def switched(old: tuple[str, int] | None, new: tuple[str, int]) -> None:
        if old is None:
            return
        # Shared connections reconnect (to the new primary) at the next command; pinned
        # sessions lose their server-side state with their connection, as on a restart.
        ctx.close_upstreams(old)
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
