"""TairBloom as a Bloom filter: no false negatives, the requested false-positive rate however far
a filter scales, near-optimal memory, and filters that survive a Valkey restart (AOF).
"""

from __future__ import annotations

import math

import redis

from tairproxy.embedded import EmbeddedValkey
from tests.helpers import ProxyThread

BATCH = 1000


def add_all(r, key: str, items: list[str]) -> list[int]:
    pipe = r.pipeline(transaction=False)
    for n in range(0, len(items), BATCH):
        pipe.execute_command("BF.MADD", key, *items[n : n + BATCH])
    return [x for reply in pipe.execute() for x in reply]


def exists_all(r, key: str, items: list[str]) -> list[int]:
    pipe = r.pipeline(transaction=False)
    for n in range(0, len(items), BATCH):
        pipe.execute_command("BF.MEXISTS", key, *items[n : n + BATCH])
    return [x for reply in pipe.execute() for x in reply]


def test_no_false_negatives_and_the_rate_holds_at_ten_times_the_capacity(r):
    """100 000 items into a filter reserved for 10 000: four sub-filters, every item found, and
    the measured false-positive rate over 100 000 absent items stays under the requested 1%."""
    rate, capacity, n = 0.01, 10_000, 100_000
    assert r.execute_command("BF.RESERVE", "f", rate, capacity) == b"OK"
    items = [f"member:{k}" for k in range(n)]
    added = add_all(r, "f", items)
    assert set(added) <= {0, 1}
    assert r.execute_command("BF.CARD", "f") == sum(added)
    assert sum(added) > n * (1 - rate)  # an add answers 0 only for a false positive
    assert r.execute_command("BF.INFO", "f", "FILTERS") == 4
    assert exists_all(r, "f", items) == [1] * n
    probes = exists_all(r, "f", [f"absent:{k}" for k in range(100_000)])
    measured = sum(probes) / len(probes)
    assert 0.5 * rate < measured <= rate


def test_nonscaling_rate_at_capacity(r):
    rate, capacity = 0.01, 20_000
    assert r.execute_command("BF.RESERVE", "f", rate, capacity, "NONSCALING") == b"OK"
    fresh = (f"m{k}" for k in range(10 * capacity))
    card = 0
    while card < capacity:  # fill exactly: an item that tests present is not added
        card += sum(r.execute_command("BF.MADD", "f", *[next(fresh) for _ in range(min(BATCH, capacity - card))]))
    assert r.execute_command("BF.CARD", "f") == capacity
    probes = exists_all(r, "f", [f"absent:{k}" for k in range(50_000)])
    measured = sum(probes) / len(probes)
    assert 0.7 * rate < measured < 1.15 * rate  # at capacity, by design, right at the rate


def test_bits_per_item(r):
    """Memory per item against the optimal -ln(p)/ln(2)^2 bits: ~1.0x for a NONSCALING filter,
    ~1.15x for a scaling one (its first sub-filter is built for p/2 so the sum stays <= p)."""
    n = 100_000
    for rate in (0.01, 0.001):
        optimal = -math.log(rate) / math.log(2) ** 2
        r.execute_command("BF.RESERVE", f"non{rate}", rate, n, "NONSCALING")
        r.execute_command("BF.RESERVE", f"sc{rate}", rate, n)
        non = r.strlen(f"non{rate}") * 8 / n
        sc = r.strlen(f"sc{rate}") * 8 / n
        assert non <= 1.01 * optimal
        assert sc <= 1.2 * optimal
        # Valkey holds the value in an allocation of about its length (no doubling on growth).
        assert r.memory_usage(f"sc{rate}") * 8 / n <= 1.21 * optimal


def test_filters_survive_a_restart_with_aof(tmp_path):
    server = EmbeddedValkey(tmp_path / "data")
    server.start()
    proxy = ProxyThread(server.url).start()
    try:
        r = redis.Redis(port=proxy.port)
        r.execute_command("BF.RESERVE", "scaling", 0.001, 50)
        add_all(r, "scaling", [f"s{k}" for k in range(2000)])
        r.execute_command("BF.RESERVE", "fixed", 0.01, 100, "NONSCALING")
        r.execute_command("BF.MADD", "fixed", "a", "b", "c")
        r.pexpire("fixed", 600_000)
        before = [r.execute_command("BF.INFO", k) for k in ("scaling", "fixed")]
        r.close()
    finally:
        proxy.stop()
        server.stop()
    server = EmbeddedValkey(tmp_path / "data", port=server.port)
    server.start()
    proxy = ProxyThread(server.url).start()
    try:
        r = redis.Redis(port=proxy.port)
        assert [r.execute_command("BF.INFO", k) for k in ("scaling", "fixed")] == before
        assert exists_all(r, "scaling", [f"s{k}" for k in range(2000)]) == [1] * 2000
        assert r.execute_command("BF.MEXISTS", "fixed", "a", "b", "c") == [1, 1, 1]
        assert r.execute_command("TYPE", "fixed") == b"MBbloom--"
        assert 0 < r.pttl("fixed") <= 600_000
        assert r.execute_command("BF.ADD", "fixed", "d") in (0, 1)
        r.close()
    finally:
        proxy.stop()
        server.stop()
