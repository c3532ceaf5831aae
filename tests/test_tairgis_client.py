"""The `tair` client's GIS methods, unchanged, through the proxy: tair-py's own
tests/test_tairgis.py assertions (sync), then asyncio and pipelines."""

from __future__ import annotations

import uuid

import pytest
from redis.exceptions import ResponseError
from tair import TairGisSearchMember, TairGisSearchRadius

CAMPUS = "POLYGON ((30 10, 40 40, 20 40, 10 20, 30 10))"
CAMPUS_OUT = b"POLYGON((30 10,40 40,20 40,10 20,30 10))"
SICILY = {"Palermo": "POINT(13.361389 38.115556)", "Catania": "POINT(15.087269 37.502669)"}
PALERMO = b"POINT(13.361389 38.115556)"
CATANIA = b"POINT(15.087269 37.502669)"


def area() -> str:
    return "area_" + str(uuid.uuid4())


def test_gis_add_get(tair_client):
    a = area()
    assert tair_client.gis_add(a, {"campus": CAMPUS}) == 1
    assert tair_client.gis_get(a, "campus") == CAMPUS_OUT
    assert tair_client.gis_get(a, "nobody") is None


def test_gis_getall(tair_client):
    a = area()
    assert tair_client.gis_add(a, {"campus": CAMPUS}) == 1
    assert tair_client.gis_getall(a) == [b"campus", CAMPUS_OUT]
    assert tair_client.gis_getall(area()) is None
    assert tair_client.gis_getall(a, withoutwkts=True) == [b"campus"]


def test_gis_contains_within_intersects(tair_client):
    a = area()
    assert tair_client.gis_add(a, {"campus": CAMPUS}) == 1
    assert tair_client.gis_contains(a, "POINT (30 11)") == [1, [b"campus", CAMPUS_OUT]]
    assert tair_client.gis_contains(a, "POINT (30 11)", withoutwkts=True) == [1, [b"campus"]]
    within = "POLYGON ((30 5, 50 50, 20 50, 5 20, 30 5))"
    assert tair_client.gis_within(a, within) == [1, [b"campus", CAMPUS_OUT]]
    assert tair_client.gis_within(a, within, withoutwkts=True) == [1, [b"campus"]]
    assert tair_client.gis_intersects(a, "LINESTRING (30 10, 40 40)") == [1, [b"campus", CAMPUS_OUT]]
    assert tair_client.gis_intersects(a, "LINESTRING (30 10, 40 40)", withoutwkts=True) == [1, [b"campus"]]
    assert tair_client.gis_contains(area(), "POINT (30 11)") == []


def test_gis_search(tair_client):
    radius = TairGisSearchRadius(15, 37, 200, "km")
    assert tair_client.gis_add("Sicily", SICILY) == 2
    assert tair_client.gis_search("Sicily", radius=radius, withdist=True, count=2, asc=True) == [
        2, [b"Catania", CATANIA, b"56.4413", b"Palermo", PALERMO, b"190.4424"],
    ]
    # the client always sends ASC, so DESC after it changes nothing (as on Tair)
    assert tair_client.gis_search("Sicily", radius=radius, withdist=True, count=2, desc=True, withoutwkts=True) == [
        2, [b"Catania", b"56.4413", b"Palermo", b"190.4424"],
    ]
    assert tair_client.gis_search("Sicily", radius=radius, asc=False, desc=True, withoutwkts=True) == [
        2, [b"Palermo", b"Catania"],
    ]
    member = TairGisSearchMember("Palermo", 200, "km")
    assert tair_client.gis_search("Sicily", member=member, withdist=True) == [
        2, [b"Palermo", PALERMO, b"0.0000", b"Catania", CATANIA, b"166.2743"],
    ]
    geom = "POLYGON((10 30,20 30,20 40,10 40))"
    assert tair_client.gis_search("Sicily", geom=geom, withdist=True) == [
        2, [b"Catania", CATANIA, b"4449696.2373", b"Palermo", PALERMO, b"4454733.1882"],
    ]


def test_gis_del(tair_client):
    a = area()
    assert tair_client.gis_add(a, {"campus": CAMPUS}) == 1
    assert tair_client.gis_del(a, "campus") == b"OK"
    assert tair_client.gis_del(a, "campus") is None
    assert tair_client.exists(a) == 0


def test_errors_through_client(tair_client):
    a = area()
    with pytest.raises(ResponseError, match="^invalid geometry$"):
        tair_client.gis_add(a, {"x": "POLYGON((1 2"})
    tair_client.set(a, "v")
    with pytest.raises(ResponseError, match="^WRONGTYPE"):
        tair_client.gis_contains(a, "POINT(1 1)")
    tair_client.gis_add("Sicily", SICILY)
    with pytest.raises(ResponseError, match="^member not found$"):
        tair_client.gis_search("Sicily", member=TairGisSearchMember("Rome", 1, "km"))


def test_pipelines(tair_client):
    a = area()
    pipe = tair_client.pipeline(transaction=True)
    pipe.gis_add(a, {"campus": CAMPUS}).gis_contains(a, "POINT (30 11)").gis_getall(a, withoutwkts=True)
    pipe.gis_del(a, "campus").gis_getall(a)
    assert pipe.execute() == [1, [1, [b"campus", CAMPUS_OUT]], [b"campus"], b"OK", None]
    pipe = tair_client.pipeline(transaction=False)
    pipe.gis_add(a, {"campus": CAMPUS}).gis_within(a, "POLYGON ((30 5, 50 50, 20 50, 5 20, 30 5))")
    pipe.gis_intersects(a, "LINESTRING (30 10, 40 40)", withoutwkts=True).gis_get(a, "campus")
    assert pipe.execute() == [1, [1, [b"campus", CAMPUS_OUT]], [1, [b"campus"]], CAMPUS_OUT]


async def test_asyncio_client(proxy, direct):
    from tair.asyncio import Tair

    client = Tair(port=proxy.port)
    try:
        a = area()
        assert await client.gis_add(a, {"campus": CAMPUS}) == 1
        assert await client.gis_get(a, "campus") == CAMPUS_OUT
        assert await client.gis_getall(a) == [b"campus", CAMPUS_OUT]
        assert await client.gis_contains(a, "POINT (30 11)") == [1, [b"campus", CAMPUS_OUT]]
        assert await client.gis_within(a, "POLYGON ((30 5, 50 50, 20 50, 5 20, 30 5))", withoutwkts=True) == [
            1, [b"campus"],
        ]
        assert await client.gis_intersects(a, "LINESTRING (30 10, 40 40)") == [1, [b"campus", CAMPUS_OUT]]
        assert await client.gis_add("Sicily", SICILY) == 2
        radius = TairGisSearchRadius(15, 37, 200, "km")
        assert await client.gis_search("Sicily", radius=radius, withdist=True, count=2) == [
            2, [b"Catania", CATANIA, b"56.4413", b"Palermo", PALERMO, b"190.4424"],
        ]
        assert await client.gis_del(a, "campus") == b"OK"
        assert await client.gis_getall(a) is None
        pipe = client.pipeline(transaction=True)
        pipe.gis_add(a, {"p": "POINT(1 1)"}).gis_contains(a, "POINT(1 1)", withoutwkts=True)
        assert await pipe.execute() == [1, [1, [b"p"]]]
        with pytest.raises(ResponseError, match="^invalid geometry$"):
            await client.gis_contains(a, "POINT(1")
    finally:
        await client.aclose() if hasattr(client, "aclose") else await client.close()
