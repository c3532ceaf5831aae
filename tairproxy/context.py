"""What every session of one proxy process shares: the command table, the upstream
address, the Lua library, limits, and the shared upstream pipelines."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

from tairproxy.cluster import ClusterMap
from tairproxy.dispatch import CommandTable
from tairproxy.library import LibraryManager
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
    max_clients: int = 0  # 0 = no limit


@dataclass
class Counters:
    commands: int = 0
    tair_commands: int = 0
    batches: int = 0
    batched_calls: int = 0
    pinned: int = 0
    upstream_errors: int = 0
    reloads: int = 0
    extra: dict = field(default_factory=dict)


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

    def pinned_pipeline(self, session):
        from tairproxy.pipeline import UpstreamPipeline

        pipe = UpstreamPipeline(self, owner=session)
        pipe.connect()
        self.counters.pinned += 1
        return pipe

    def pipeline_lost(self, pipe) -> None:
        self.counters.upstream_errors += 1
        for i, shared in enumerate(self._shared):
            if shared is pipe:
                self._shared[i] = None

    @property
    def upstream_connections(self) -> int:
        return sum(1 for p in self._shared if p is not None and p.transport is not None)

    def close_upstreams(self) -> None:
        """Drop every shared connection (the primary moved): the next command reconnects."""
        for pipe in self._shared:
            if pipe is not None:
                pipe.close()
