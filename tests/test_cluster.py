"""Sidecar mode on a real 3-primary / 3-replica Valkey Cluster: clients only ever see proxies."""

from __future__ import annotations

import pytest
from redis.cluster import RedisCluster

from tairproxy.resp import parse_reply
from tests.helpers import RawClient


@pytest.fixture
def cluster(local_cluster):
    return local_cluster


@pytest.fixture
def clean(cluster):
    for i in range(cluster.primaries):
        cluster.client(i).flushall()
    return cluster


def _ports_in(value) -> set[int]:
    found = set()
    if isinstance(value, list):
        for v in value:
            found |= _ports_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            found |= _ports_in(v)
    elif isinstance(value, int) and value > 1024:
        found.add(value)
    return found


def test_cluster_slots_shards_nodes_name_only_proxies(clean):
    proxy_ports = set(clean.proxy_ports)
    node_ports = {n.port for n in clean.nodes}
    c = RawClient(clean.proxy_ports[0])
    slots = parse_reply(c("CLUSTER", "SLOTS"))[0]
    assert sum(r[1] - r[0] + 1 for r in slots) == 16384
    for r in slots:
        assert {node[1] for node in r[2:]} <= proxy_ports
        assert len(r[2:]) == 2  # primary and its replica
    shards = parse_reply(c("CLUSTER", "SHARDS"))[0]
    assert len(shards) == 3
    shard_ports = {node[node.index(b"port") + 1] for s in shards for node in s[s.index(b"nodes") + 1]}
    assert shard_ports == proxy_ports
    nodes = parse_reply(c("CLUSTER", "NODES"))[0].decode()
    listed = {int(line.split()[1].split("@")[0].rsplit(":", 1)[1]) for line in nodes.strip().splitlines()}
    assert listed == proxy_ports and not listed & node_ports
    # RESP3 maps are rewritten too
    c("HELLO", "3")
    shards3 = parse_reply(c("CLUSTER", "SHARDS"))[0]
    assert {n[b"port"] for s in shards3 for n in s[b"nodes"]} == proxy_ports


def test_moved_redirection_names_the_proxy(clean):
    c = RawClient(clean.proxy_ports[0])
    # Find a key whose slot is not served by node 0.
    for i in range(1000):
        reply = c("SET", f"k{i}", "v")
        if reply.startswith(b"-MOVED"):
            port = int(reply.split()[2].rsplit(b":", 1)[1])
            assert port in clean.proxy_ports
            target = RawClient(port)
            assert target("SET", f"k{i}", "v") == b"+OK\r\n"
            # Tair commands are redirected the same way (Valkey checks FCALL's keys).
            moved = c("EXSET", f"k{i}", "v2")
            assert moved.startswith(b"-MOVED") and int(moved.split()[2].rsplit(b":", 1)[1]) == port
            break
    else:
        pytest.fail("no key outside node 0's slots")


def test_redis_py_cluster_client_with_tair_commands(clean):
    rc = RedisCluster(host="127.0.0.1", port=clean.proxy_ports[1])
    try:
        assert {n.port for n in rc.get_nodes()} == set(clean.proxy_ports)
        for i in range(200):
            assert rc.set(f"plain:{i}", i)
            assert rc.execute_command("EXSET", f"ex:{i}", f"v{i}") == b"OK"
        assert rc.get("plain:42") == b"42"
        assert rc.execute_command("EXGET", "ex:42") == [b"v42", 1]
        assert rc.execute_command("EXINCRBY", "{n}counter", 5) == 5
        assert rc.execute_command("TYPE", "ex:1") == b"exstrtype"
        # keys spread over all three primaries
        assert all(clean.client(i).dbsize() > 0 for i in range(3))
    finally:
        rc.close()


def test_tair_cluster_client(clean):
    from tair import TairCluster

    tc = TairCluster(host="127.0.0.1", port=clean.proxy_ports[2])
    try:
        for i in range(100):
            assert tc.exset(f"t:{i}", f"v{i}")
        got = tc.exget("t:7")
        assert (got.value, got.version) == (b"v7", 1)
        assert tc.excas("t:7", "w", 1).version == 2
    finally:
        tc.close()


def test_reads_from_replicas_use_fcall_ro(clean):
    rc = RedisCluster(host="127.0.0.1", port=clean.proxy_ports[0], read_from_replicas=True)
    try:
        rc.execute_command("EXSET", "r:1", "v")
        # Reads may land on a replica proxy: replication is asynchronous, so poll briefly.
        for _ in range(50):
            if rc.execute_command("EXGET", "r:1") == [b"v", 1]:
                break
        assert rc.execute_command("EXGET", "r:1") == [b"v", 1]
    finally:
        rc.close()
    # Directly at a replica proxy: READONLY then a Tair read is served there, a write redirected.
    slot_owner = None
    for i in range(3, 6):
        c = RawClient(clean.proxy_ports[i])
        assert c("READONLY") == b"+OK\r\n"
        reply = c("EXGET", "r:1")
        if reply.startswith(b"*2"):
            slot_owner = i
            assert c("EXSET", "r:1", "w").startswith(b"-MOVED")
    assert slot_owner is not None


def test_crossslot_is_valkeys_own(clean):
    c = RawClient(clean.proxy_ports[0])
    reply = c("MSET", "a{1}", "1", "b{2}", "2")
    assert reply.startswith(b"-CROSSSLOT") or reply.startswith(b"-MOVED")


def test_unknown_node_address_passes_through_with_a_warning(caplog):
    from tairproxy.cluster import ClusterMap

    cmap = ClusterMap({("10.0.0.1", 6379): ("10.0.0.1", 7379)})
    assert cmap.rewrite_redirect(b"MOVED 1 10.0.0.1:6379") == b"MOVED 1 10.0.0.1:7379"
    with caplog.at_level("WARNING"):
        assert cmap.rewrite_redirect(b"ASK 2 10.0.0.9:6379") == b"ASK 2 10.0.0.9:6379"
        cmap.rewrite_redirect(b"ASK 2 10.0.0.9:6379")
    assert sum("no proxy in the map" in r.message for r in caplog.records) == 1
    offset = ClusterMap.parse(None, 1000)
    assert offset.rewrite_redirect(b"MOVED 5 [::1]:6379") == b"MOVED 5 [::1]:7379"
    with pytest.raises(ValueError):
        ClusterMap.parse("nonsense", None)


def test_rewrites_when_nodes_announce_hostnames():
    """Docker-style clusters announce hostnames (cluster-preferred-endpoint-type hostname)."""
    from tairproxy.cluster import ClusterMap

    cmap = ClusterMap.parse("valkey-1:6379=127.0.0.1:7001,valkey-2:6379=127.0.0.1:7002", None)
    slots = [[0, 100, [b"valkey-1", 6379, b"id1", [b"ip", b"172.18.0.2"]], [b"valkey-2", 6379, b"id2", []]]]
    assert cmap.rewrite_slots(slots) == [
        [0, 100, [b"127.0.0.1", 7001, b"id1", [b"ip", b"127.0.0.1"]], [b"127.0.0.1", 7002, b"id2", []]]
    ]
    nodes = b"id1 172.18.0.2:6379@16379,valkey-1 myself,master - 0 0 1 connected 0-100\n"
    assert cmap.rewrite_nodes_text(nodes) == b"id1 127.0.0.1:7001@16379 myself,master - 0 0 1 connected 0-100\n"
    shards = [[b"slots", [0, 100], b"nodes", [[b"id", b"id1", b"port", 6379, b"ip", b"172.18.0.2",
                                              b"endpoint", b"valkey-1", b"hostname", b"valkey-1"]]]]
    node = cmap.rewrite_shards(shards)[0][3][0]
    assert node[3] == 7001 and node[5] == b"127.0.0.1" and node[7] == b"127.0.0.1" and node[9] == b"127.0.0.1"
    assert cmap.rewrite_redirect(b"MOVED 7 valkey-2:6379") == b"MOVED 7 127.0.0.1:7002"
