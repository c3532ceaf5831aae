"""TairBloom through the real `tair` client (tair-py 1.3.7): sync, asyncio and pipeline(),
mirroring tair-py's own tests/test_tairbloom.py and tests/test_asyncio/test_tairbloom.py.
"""

from __future__ import annotations

import uuid

import pytest
from redis.exceptions import ResponseError


def key() -> str:
    return "key_" + str(uuid.uuid4())


def item() -> str:
    return "item_" + str(uuid.uuid4())


def test_bf_reserve(tair_client):
    k = key()
    assert tair_client.bf_reserve(k, 0.01, 100) is True
    with pytest.raises(ResponseError, match=r"^item exists$"):
        tair_client.bf_reserve(k, 0.01, 100)
    with pytest.raises(ResponseError, match=r"^\(0 < error rate range < 1\)$"):
        tair_client.bf_reserve(key(), 1.5, 100)
    with pytest.raises(ResponseError, match=r"^\(capacity should be larger than 0\)$"):
        tair_client.bf_reserve(key(), 0.01, 0)


def test_bf_add(tair_client):
    k, it = key(), item()
    assert tair_client.bf_reserve(k, 0.01, 100)
    assert tair_client.bf_add(k, it) == 1
    assert tair_client.bf_add(k, it) == 0


def test_bf_madd(tair_client):
    k, item1, item2, item3 = key(), item(), item(), item()
    assert tair_client.bf_reserve(k, 0.01, 100)
    assert tair_client.bf_add(k, item2) == 1
    assert tair_client.bf_madd(k, (item1, item2, item3)) == [1, 0, 1]


def test_bf_exists_mexists(tair_client):
    k, item1, item2, item3 = key(), item(), item(), item()
    assert tair_client.bf_reserve(k, 0.01, 100)
    assert tair_client.bf_exists(k, item1) == 0
    assert tair_client.bf_mexists(k, (item1, item2, item3)) == [0, 0, 0]
    assert tair_client.bf_madd(k, (item1, item2, item3)) == [1, 1, 1]
    assert tair_client.bf_exists(k, item1) == 1
    assert tair_client.bf_mexists(k, (item1, item2, item3)) == [1, 1, 1]


def test_bf_insert(tair_client):
    k, item1, item2, item3 = key(), item(), item(), item()
    assert tair_client.bf_insert(k, [item1, item2, item3], 100, 0.01) == [1, 1, 1]
    assert tair_client.bf_insert(k, [item1, item2, item3], 100, 0.01) == [0, 0, 0]
    assert tair_client.execute_command("BF.INFO", k, "CAPACITY") == 100
    k2 = key()
    assert tair_client.bf_insert(k2, [item1], capacity=5000) == [1]
    assert tair_client.execute_command("BF.INFO", k2, "CAPACITY") == 5000
    assert tair_client.bf_insert(key(), [item1], error_rate=0.001) == [1]


def test_bf_insert_nocreate(tair_client):
    k, item1, item2, item3 = key(), item(), item(), item()
    tair_client.bf_reserve(k, 0.01, 100)
    assert tair_client.bf_insert(k, [item1, item2, item3], nocreate=True) == [1, 1, 1]
    with pytest.raises(ResponseError, match=r"^not found$"):
        tair_client.bf_insert(key(), [item1], nocreate=True)


def test_wrongtype(tair_client):
    k = key()
    tair_client.set(k, "v")
    with pytest.raises(ResponseError, match="^WRONGTYPE"):
        tair_client.bf_add(k, "a")
    with pytest.raises(ResponseError, match="^WRONGTYPE"):
        tair_client.bf_mexists(k, ["a"])


def test_pipeline_transaction(tair_client):
    k, item1, item2 = key(), item(), item()
    pipe = tair_client.pipeline()
    pipe.bf_reserve(k, 0.01, 100).bf_add(k, item1).bf_madd(k, [item1, item2])
    pipe.bf_exists(k, item2).bf_mexists(k, [item1, item2, "absent"]).bf_insert(k, ["x"], nocreate=True)
    assert pipe.execute() == [True, 1, [0, 1], 1, [1, 1, 0], [1]]


def test_pipeline_transaction_with_errors(tair_client):
    k = key()
    tair_client.set(k, "v")
    pipe = tair_client.pipeline()
    pipe.bf_add(key(), "a").bf_add(k, "a").bf_insert(key(), ["a"], nocreate=True)
    results = pipe.execute(raise_on_error=False)
    assert results[0] == 1
    assert isinstance(results[1], ResponseError) and str(results[1]).startswith("WRONGTYPE")
    assert isinstance(results[2], ResponseError) and str(results[2]) == "not found"


def test_pipeline_without_transaction(tair_client):
    k = key()
    pipe = tair_client.pipeline(transaction=False)
    for n in range(50):
        pipe.bf_add(k, f"i{n}")
    pipe.bf_mexists(k, [f"i{n}" for n in range(50)])
    results = pipe.execute()
    assert all(r in (0, 1) for r in results[:50]) and sum(results[:50]) >= 48
    assert results[50] == [1] * 50


async def test_asyncio_client(proxy, direct):
    from tair.asyncio import Tair

    client = Tair(port=proxy.port)
    try:
        k, item1, item2, item3 = key(), item(), item(), item()
        assert await client.bf_reserve(k, 0.01, 100)
        assert await client.bf_add(k, item2) == 1
        assert await client.bf_add(k, item2) == 0
        assert await client.bf_exists(k, item1) == 0
        assert await client.bf_madd(k, (item1, item2, item3)) == [1, 0, 1]
        assert await client.bf_exists(k, item1) == 1
        assert await client.bf_mexists(k, (item1, item2, item3, "absent")) == [1, 1, 1, 0]
        k2 = key()
        assert await client.bf_insert(k2, [item1, item2, item3], 100, 0.01) == [1, 1, 1]
        assert await client.bf_insert(k2, [item1, item2, item3], 100, 0.01) == [0, 0, 0]
        assert await client.bf_insert(k2, [item(), item()], nocreate=True) == [1, 1]
        with pytest.raises(ResponseError, match=r"^not found$"):
            await client.bf_insert(key(), [item1], nocreate=True)
        with pytest.raises(ResponseError, match=r"^item exists$"):
            await client.bf_reserve(k, 0.01, 100)
        pipe = client.pipeline()
        pipe.bf_add(k, "p").bf_exists(k, "p").bf_mexists(k, ["p", "q"]).bf_insert(k, ["q"])
        assert await pipe.execute() == [1, 1, [1, 0], [1]]
    finally:
        await client.close()
