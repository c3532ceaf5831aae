"""Every Tair family through the cluster proxies: TairCluster and RedisCluster, sync and asyncio, pipelines."""

from __future__ import annotations

import pytest
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from tests.cluster_harness import LocalCluster
from tests.helpers import RawClient

KEYS = 60  # spread over all three shards


@pytest.fixture
def cluster(local_cluster):
    return local_cluster


@pytest.fixture
def tc(cluster):
    from tair import TairCluster

    for i in range(cluster.primaries):
        cluster.client(i).flushall()
    client = TairCluster(host="127.0.0.1", port=cluster.proxy_ports[0])
    yield client
    client.close()


def _spread(cluster: LocalCluster, prefix: str) -> None:
    """The keys of a scenario really landed on every primary."""
    for i in range(cluster.primaries):
        assert any(k.decode().startswith(prefix) for k in cluster.client(i).keys("*")), f"shard {i} unused"


# ----- per-family scenarios: (sync through TairCluster, raw commands for RedisCluster) -----


def tairstring_sync(t, k: str) -> None:
    assert t.exset(k, "v1")
    assert t.exincrby(k + ":n", 3) == 3
    got = t.exget(k)
    assert (got.value, got.version) == (b"v1", 1)
    assert t.excas(k, "v2", 1).version == 2
    assert t.excad(k, 2) == 1


def tairhash_sync(t, k: str) -> None:
    assert t.exhset(k, "f", "v") == 1
    assert t.exhget(k, "f") == b"v"
    assert t.exhincrby(k, "n", 2) == 2
    assert t.exhver(k, "f") == 1
    assert t.exhlen(k) == 2
    assert t.exhdel(k, "f") == 1


def tairbloom_sync(t, k: str) -> None:
    assert t.bf_add(k, "a") == 1
    assert t.bf_madd(k, ["b", "c"]) == [1, 1]
    assert t.bf_exists(k, "a") == 1
    assert t.bf_mexists(k, ["b", "zz"])[0] == 1


SQUARE = "POLYGON((0 0,10 0,10 10,0 10,0 0))"


def tairgis_sync(t, k: str) -> None:
    assert t.gis_add(k, {"sq": SQUARE}) == 1
    assert t.gis_get(k, "sq") == b"POLYGON((0 0,10 0,10 10,0 10,0 0))"
    found = t.gis_contains(k, "POINT (5 5)")
    assert found[0] == 1


def tairdoc_sync(t, k: str) -> None:
    assert t.json_set(k, ".", '{"a":[1,2],"s":"x"}')
    assert t.json_arrappend(k, ".a", ["3"]) == 3
    assert t.json_get(k, ".a") == b"[1,2,3]"
    assert t.json_type(k, "/s") == "string"


def tairzset_sync(t, k: str) -> None:
    assert t.exzadd(k, {"a": "1#2", "b": "1#3"}) == 2
    assert t.exzrank(k, "b") == 1
    assert t.exzscore(k, "a") == "1#2"  # the tair client decodes scores
    assert t.exzcard(k) == 2


SYNC = {
    "tairstring": tairstring_sync,
    "tairhash": tairhash_sync,
    "tairbloom": tairbloom_sync,
    "tairgis": tairgis_sync,
    "tairzset": tairzset_sync,
    "tairdoc": tairdoc_sync,
}

RAW = {
    "tairstring": [(("EXSET", "{k}", "v"), b"OK"), (("EXGET", "{k}"), [b"v", 1]), (("TYPE", "{k}"), b"exstrtype")],
    "tairhash": [(("EXHSET", "{k}", "f", "v"), 1), (("EXHGET", "{k}", "f"), b"v"), (("TYPE", "{k}"), b"tairhash-")],
    "tairbloom": [(("BF.ADD", "{k}", "x"), 1), (("BF.EXISTS", "{k}", "x"), 1), (("TFBFEXISTS", "{k}", "x"), 1)],
    "tairgis": [(("GIS.ADD", "{k}", "sq", SQUARE), 1), (("GIS.GET", "{k}", "sq"), SQUARE.encode()),
                (("TYPE", "{k}"), b"exgistype")],
    "tairzset": [(("EXZADD", "{k}", "1#2", "m"), 1), (("EXZSCORE", "{k}", "m"), b"1#2"),
                 (("TYPE", "{k}"), b"tairzset_")],
    "tairdoc": [(("JSON.SET", "{k}", "$", '{"n":[0.1,1e300]}'), b"OK"), (("JSON.GET", "{k}", "$.n[*]"), b"[0.1,1e+300]"),
                (("EXJSONARRAYAPPEND", "{k}", "$.n", "2"), 3), (("TYPE", "{k}"), b"tair-json")],
}


@pytest.mark.parametrize("family", sorted(SYNC))
def test_tair_cluster_client(cluster, tc, family):
    for i in range(KEYS):
        SYNC[family](tc, f"{family}:{i}")
    _spread(cluster, family)


@pytest.mark.parametrize("family", sorted(RAW))
def test_redis_cluster_client_and_pipeline(cluster, tc, family):
    rc = RedisCluster(host="127.0.0.1", port=cluster.proxy_ports[1])
    try:
        for i in range(KEYS):
            for args, want in RAW[family]:
                args = [a.replace("{k}", f"{family}:rc:{i}") for a in args]
                assert rc.execute_command(*args) == want
        pipe = rc.pipeline()
        for i in range(KEYS):
            for args, _ in RAW[family]:
                pipe.execute_command(*[a.replace("{k}", f"{family}:p:{i}") for a in args])
        got = pipe.execute()
        assert got == [want for _ in range(KEYS) for _, want in RAW[family]]
    finally:
        rc.close()
    _spread(cluster, f"{family}:p:")


@pytest.mark.parametrize("family", sorted(RAW))
async def test_asyncio_cluster_client(cluster, tc, family):
    # tair 1.3.7's asyncio TairCluster cannot be built on redis 4.4.4 (it passes url= to a
    # constructor without it), so the asyncio cluster path is exercised with redis-py's own.
    client = AsyncRedisCluster(host="127.0.0.1", port=cluster.proxy_ports[2])
    try:
        for i in range(20):
            for args, want in RAW[family]:
                args = [a.replace("{k}", f"{family}:a:{i}") for a in args]
                assert await client.execute_command(*args) == want
    finally:
        await client.close()


def test_tair_cluster_pipeline(cluster, tc):
    pipe = tc.pipeline()
    for i in range(KEYS):
        pipe.exset(f"tp:{i}", i)
        pipe.exhset(f"tph:{i}", "f", i)
    assert pipe.execute() == [True, 1] * KEYS
    assert tc.exget("tp:7").value == b"7"


def test_multi_key_tair_command_needs_one_slot(cluster, tc):
    rc = RedisCluster(host="127.0.0.1", port=cluster.proxy_ports[0])
    try:
        rc.execute_command("GIS.ADD", "{geo}zones", "sq", SQUARE)
        rc.execute_command("GIS.ADD", "{geo}points", "p", "POINT (5 5)")
        got = rc.execute_command("GISWITHIN", "{geo}zones", "{geo}points")
        assert got[0] == 1 and got[1][0] == b"p"
        # Keys in different slots: Valkey's own CROSSSLOT, whichever proxy receives it.
        rc.execute_command("GIS.ADD", "zones-a", "sq", SQUARE)
        rc.execute_command("GIS.ADD", "points-b", "p", "POINT (5 5)")
        node = rc.get_node_from_key("zones-a")
        raw = RawClient(node.port)
        assert raw("GISWITHIN", "zones-a", "points-b").startswith(b"-CROSSSLOT")
    finally:
        rc.close()


def test_json_mget_needs_one_slot(cluster, tc):
    rc = RedisCluster(host="127.0.0.1", port=cluster.proxy_ports[0])
    try:
        rc.execute_command("JSON.SET", "{doc}a", ".", '{"x":1}')
        rc.execute_command("JSON.SET", "{doc}b", ".", '{"x":2}')
        assert rc.execute_command("JSON.MGET", "{doc}a", "{doc}b", "{doc}c", ".x") == [b"1", b"2", None]
        rc.execute_command("JSON.SET", "doc-a", ".", "1")
        rc.execute_command("JSON.SET", "doc-b", ".", "2")
        node = rc.get_node_from_key("doc-a")
        assert RawClient(node.port)("JSON.MGET", "doc-a", "doc-b", ".").startswith(b"-CROSSSLOT")
    finally:
        rc.close()


def test_numkeys_tair_commands_route_by_their_keys(cluster, tc):
    rc = RedisCluster(host="127.0.0.1", port=cluster.proxy_ports[0])
    try:
        rc.execute_command("EXZADD", "{z}a", "1", "x", "2", "y")
        rc.execute_command("EXZADD", "{z}b", "3", "y")
        assert rc.execute_command("EXZUNIONSTORE", "{z}dst", 2, "{z}a", "{z}b") == 2
        assert rc.execute_command("EXZINTERCARD", 2, "{z}a", "{z}b") == 1
        assert [m.member for m in tc.exzrange("{z}dst", 0, -1)] == [b"x", b"y"]
    finally:
        rc.close()
