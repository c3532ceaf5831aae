"""Resharding and failover with clients running through the proxies: no proxy restart needed."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from redis.cluster import RedisCluster

from tests.cluster_harness import LocalCluster


@pytest.fixture
def cluster(tmp_path):
    c = LocalCluster(tmp_path / "cluster").start()
    yield c
    c.stop()


def _owner(cluster: LocalCluster, slot: int) -> int:
    for start, end, primary, *_ in cluster.client(0).execute_command("CLUSTER", "SLOTS"):
        if start <= slot <= end:
            return cluster.index_of_port(primary[1])
    raise AssertionError(f"slot {slot} has no owner")


def test_slot_migration_while_a_client_writes(cluster):
    tag = "{mig}"
    slot = cluster.client(0).execute_command("CLUSTER", "KEYSLOT", tag)
    src = _owner(cluster, slot)
    dst = (src + 1) % cluster.primaries
    rc = RedisCluster(host="127.0.0.1", port=cluster.proxy_ports[dst])
    acked: list[int] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            try:
                assert rc.execute_command("EXSET", f"{tag}:{i}", f"v{i}") == b"OK"
                rc.execute_command("EXINCRBY", f"{tag}:count", 1)
                acked.append(i)
            except redis.RedisError as exc:  # the client library gave up: counts as a failure
                errors.append(exc)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.3)
    source, target = cluster.client(src), cluster.client(dst)
    src_id, dst_id = cluster.node_id(src), cluster.node_id(dst)
    target.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
    source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
    while True:
        keys = source.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 50)
        if not keys:
            break
        source.execute_command("MIGRATE", "127.0.0.1", cluster.nodes[dst].port, "", 0, 5000, "KEYS", *keys)
        time.sleep(0.02)  # let the writer hit ASK redirections mid-move
    for i in range(cluster.primaries):
        cluster.client(i).execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)
    time.sleep(0.5)
    stop.set()
    t.join(10)
    rc.close()
    assert not errors, errors[:3]
    assert len(acked) > 50
    # Every acknowledged write is on the new owner, as one native key each.
    for i in acked:
        assert target.hget(f"{tag}:{i}", "exstr:value") == f"v{i}".encode()
    assert int(target.hget(f"{tag}:count", "exstr:value")) == len(acked)
    assert source.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0


def test_primary_killed_and_replica_promoted_while_clients_run(cluster):
    rc = RedisCluster(host="127.0.0.1", port=cluster.proxy_ports[1], cluster_error_retry_attempts=10)
    acked: dict[str, float] = {}
    failures: list[float] = []
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            key = f"fo:{i}"
            try:
                rc.execute_command("EXSET", key, "v")
                acked[key] = time.monotonic()
            except redis.RedisError:
                failures.append(time.monotonic())
                time.sleep(0.1)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    deadline = time.monotonic() + 10
    while len(acked) < 200:
        assert time.monotonic() < deadline, "writer made no progress"
        time.sleep(0.05)
    time.sleep(1.2)
    killed_at = time.monotonic()
    cluster.nodes[0].process.kill()
    cluster.nodes[0].process.wait()
    cluster.nodes[0].process = None
    promoted = cluster.primaries  # node 3 replicates node 0
    deadline = time.monotonic() + 30
    while cluster.client(promoted).info("replication").get("role") != "master":
        assert time.monotonic() < deadline, "replica was not promoted"
        time.sleep(0.1)
    cluster.wait_healthy()
    recovered_at = time.monotonic()
    time.sleep(2.0)
    stop.set()
    t.join(15)
    rc.close()
    after = [k for k, at in acked.items() if at > recovered_at]
    assert after, "clients did not recover after the failover"
    survivors = [cluster.client(i) for i in (1, 2, promoted)]

    def present(key: str) -> bool:
        for c in survivors:
            try:
                if c.exists(key):
                    return True
            except redis.ResponseError:  # MOVED: not this node's slot
                pass
        return False

    # Writes acknowledged well before the kill had reached the replica; writes after recovery all landed.
    settled = [k for k, at in acked.items() if at < killed_at - 1.0]
    assert settled and all(present(k) for k in settled)
    assert all(present(k) for k in after)
