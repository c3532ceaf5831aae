"""What every session of one proxy process shares: the command table, the upstream
address, the Lua library, limits, and the shared upstream pipelines."""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, field

from tairproxy.blocking import BlockingWaiters
from tairproxy.cluster import ClusterMap
from tairproxy.dispatch import CommandTable
from tairproxy.library import LibraryManager
from tairproxy.limits import admits
from tairproxy.logs import RepeatedEvent
from tairproxy.upstream import UpstreamAddress

log = logging.getLogger(__name__)


@dataclass
class Limits:
    max_bulk: int = 512 * 1024 * 1024
    # Unread replies one client may leave in the proxy before it is disconnected (as Valkey's
    # client-output-buffer-limit); 0 = no limit. Only clients on shared connections need it:
    # a pinned client's upstream is simply paused.
    client_output: int = 256 * 1024 * 1024
    # Clients whose commands may be awaiting replies before we stop reading from it.
    max_inflight: int = 100_000
    # Descriptors for clients (tairproxy.limits): a pinned client holds two. 0 = no limit.
    max_clients: int = 0


@dataclass
class Counters:
    commands: int = 0  # sent to Valkey for clients (pass-through and Tair)
    local: int = 0  # answered by the proxy itself (PING, argument errors, ...)
    tair_commands: int = 0  # Tair commands received, wherever they were answered
    batches: int = 0
    batched_calls: int = 0
    pinned: int = 0
    connect_errors: int = 0  # upstream connections that could not be made
    connections_lost: int = 0  # upstream connections closed by Valkey or the network
    failed_commands: int = 0  # commands answered with an upstream error instead of Valkey's reply
    extra: dict = field(default_factory=dict)

    @property
    def upstream_errors(self) -> int:
        return self.connect_errors + self.connections_lost


class ProxyContext:
    def __init__(
        self,
        table: CommandTable,
        address: UpstreamAddress,
        library: LibraryManager,
        limits: Limits | None = None,
        connect_timeout: float = 5.0,
        cluster: ClusterMap | None = None,
        shared_connections: int = 1,
    ):
        from tairproxy.session import SPECIAL_NATIVE_NAMES

        self.table = table
        self.address = address
        self.library = library
        self.limits = limits or Limits()
        self.connect_timeout = connect_timeout
        self.cluster = cluster
        self.sessions: set = set()
        # Upstream requires AUTH (probed at start-up): sessions start pinned and
        # unauthenticated, as Valkey sees them.
        self.auth_required = False
        self.counters = Counters()
        # Sessions written to during one pipeline read; each gets one write at its end.
        self.delivery_round: list | None = None
        # Lower-case names a session must look at; everything else is forwarded as is.
        self.special_names = table.names() | SPECIAL_NATIVE_NAMES
        self.pinned_now = 0  # sessions holding an upstream connection of their own
        self.blocking = BlockingWaiters()
        self.batching = True  # off once Valkey's default user is refused a batch
        self.upstream_open = 0  # connected upstream connections, shared and pinned
        self.started = time.monotonic()
        # Per-command counts, latencies, batch sizes, slow commands (tairproxy.observe);
        # None unless --metrics-port or --slowlog-ms asks for them.
        self.observer = None
        self.refused = RepeatedEvent(log, "upstream down: {count} commands refused in the last {window}")
        self._shared: list = [None] * max(1, shared_connections)
        self._next = itertools.cycle(range(len(self._shared)))

    @property
    def max_bulk(self) -> int:
        return self.limits.max_bulk

    def shared_pipeline(self):
        """A live shared pipeline, connecting a new one where one was lost."""
        from tairproxy.pipeline import UpstreamPipeline

        i = next(self._next)
        pipe = self._shared[i]
        if pipe is None or pipe.closed:
            pipe = self._shared[i] = UpstreamPipeline(self)
            pipe.connect()
        return pipe

    def admits_client(self) -> bool:
        limit = self.limits.max_clients
        return not limit or admits(len(self.sessions), self.pinned_now, limit)

    def upstream_up(self) -> None:
        self.library.health.up()

    def upstream_down(self, reason: str, refused: int) -> None:
        self.library.health.down(reason)
        if refused:
            self.refused("upstream %s unavailable (%s): %d commands refused", self.address, reason, refused)

    def stats(self) -> dict[str, float]:
        """The numbers of the periodic stats line and of INFO tairproxy."""
        c = self.counters
        return {
            "clients": len(self.sessions),
            "pinned": self.pinned_now,
            "upstream_connections": self.upstream_open,
            "commands_total": c.commands + c.local,
            "tair_commands_total": c.tair_commands,
            "batches_total": c.batches,
            "batched_calls_total": c.batched_calls,
            "errors_total": c.upstream_errors,
        }

    def dump_state(self) -> None:
        """One log line per session that waits on something (SIGUSR1): what a stuck client
        is waiting for, without stopping the proxy."""
        log.warning("state: %d clients, %d pinned, %d upstream connections, blocking queues %s",
                    len(self.sessions), self.pinned_now, self.upstream_open, self.blocking.describe())
        for session in list(self.sessions):
            if session.pending or session.barrier or session.blocked is not None:
                log.warning("state: client %d: %s", session.client_id, session.describe())
    def stop_batching(self, refusal: bytes) -> None:
        """Valkey's default user, which clients that never AUTH run as, may not touch every key:
        from now on Valkey judges each Tair call alone (see UpstreamPipeline.batching)."""
        if self.batching:
            self.batching = False
            log.warning("upstream refused a batch of Tair calls (%s): Valkey's default user cannot access "
                        "every key, so Tair calls are no longer batched", refusal.strip().decode(errors="replace"))
        for pipe in self._shared:
            if pipe is not None:
                pipe.batching = False
        for session in self.sessions:
            if session.pipe is not None:
                session.pipe.batching = False

    def pinned_pipeline(self, session):
        from tairproxy.pipeline import UpstreamPipeline

        pipe = UpstreamPipeline(self, owner=session)
        pipe.connect()
        self.counters.pinned += 1
        return pipe

    def pipeline_lost(self, pipe) -> None:
        for i, shared in enumerate(self._shared):
            if shared is pipe:
                self._shared[i] = None

    def close_upstreams(self, peer: tuple[str, int] | None = None) -> None:
        """Drop the upstream connections to ``peer`` (all when None): the primary moved.
        Their waiting clients get an error at once; the next command reconnects."""
        for session in list(self.sessions):
            pipe = session.pipe
            if session.pinned and pipe is not None and _connected_to(pipe, peer):
                pipe.close()
        for pipe in self._shared:
            if pipe is not None and _connected_to(pipe, peer):
                pipe.close()


def _connected_to(pipe, peer: tuple[str, int] | None) -> bool:
    if peer is None or pipe.transport is None:
        return True
    return (pipe.transport.get_extra_info("peername") or ())[:2] == peer
