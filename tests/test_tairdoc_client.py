"""TairDoc through the real `tair` client (tair-py 1.3.7): sync, asyncio and pipeline(),
mirroring tair-py's tests/test_tairdoc.py. Its JSON.GET test asks for FORMAT XML, an option
of the commercial Tair: the open-source module (and so the proxy) ignores the arguments after
the path and answers JSON."""

from __future__ import annotations

import uuid

import pytest
from redis.exceptions import ResponseError

BOOKSTORE = """{
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
            {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3",
             "price": 8.99}
        ],
        "bicycle": {"color": "red", "price": 19.95}
    }
}"""
FOOBAR = '{"foo": "bar", "baz" : 42}'


def key() -> str:
    return "key_" + str(uuid.uuid4())


def test_json_set_nx_xx(tair_client):
    t, k = tair_client, key()
    assert t.json_set(k, ".", BOOKSTORE)
    assert t.json_get(k, "$.store.book[?(@.isbn)].title") == b'["Moby Dick"]'
    k2 = key()
    assert t.json_set(k2, ".", FOOBAR, xx=True) is None
    assert t.json_set(k2, ".", FOOBAR, nx=True)
    assert t.json_set(k2, ".", FOOBAR, nx=True) is None
    assert t.json_set(k2, ".", FOOBAR, xx=True)


def test_json_get_del_type(tair_client):
    t, k = tair_client, key()
    assert t.json_set(k, ".", FOOBAR)
    assert t.json_get(k, ".") == b'{"foo":"bar","baz":42}'
    assert t.json_get(k, ".", format="XML", rootname="ROOT", arrname="ARR") == b'{"foo":"bar","baz":42}'
    assert t.json_type(k, ".foo") == "string"
    assert t.json_del(k, ".foo") == 1
    assert t.json_get(k, "$.baz") == b"[42]"
    with pytest.raises(ResponseError, match="pointer illegal"):
        t.json_get(k, ".foo")


def test_json_numbers_and_strings(tair_client):
    t, k = tair_client, key()
    assert t.json_set(k, ".", FOOBAR)
    assert t.json_numincrby(k, ".baz", 10) == b"52"
    assert t.json_numincrby(k, ".baz", 0.5) == b"52.5"
    assert t.json_strappend(k, ".foo", "rrrrr") == 8
    assert t.json_strlen(k, ".foo") == 8


def test_json_arrays(tair_client):
    t, k = tair_client, key()
    assert t.json_set(k, ".", '{"id": [1,2,3]}')
    assert t.json_arrappend(k, ".id", ("null", "false", "true")) == 6
    assert t.json_arrpop(k, ".id") == b"true"
    assert t.json_arrpop(k, ".id", 0) == b"1"
    assert t.json_arrinsert(k, ".id", ("10", "15"), index=0) == 6
    assert t.json_arrlen(k, ".id") == 6
    assert t.json_arrtrim(k, ".id", 3, 4) == 2
    assert t.json_get(k, ".id") == b"[3,null]"


def test_pipeline(tair_client):
    t, k = tair_client, key()
    pipe = t.pipeline()
    pipe.json_set(k, ".", FOOBAR)
    pipe.json_get(k, "$.*")
    pipe.json_arrlen(k, ".foo")
    pipe.json_type(k, ".baz")
    results = pipe.execute(raise_on_error=False)
    assert results[:2] == [True, b'["bar",42]']
    assert isinstance(results[2], ResponseError) and "not array" in str(results[2])
    assert results[3] == "number"
    pipe = t.pipeline(transaction=False)
    pipe.json_set(k, ".list", "[]")
    pipe.json_arrappend(k, ".list", ["1"])
    pipe.json_del(k, ".")
    assert pipe.execute() == [True, 1, 1]
    assert t.exists(k) == 0


async def test_asyncio_client(proxy, direct):
    from tair.asyncio import Tair

    t = Tair(port=proxy.port)
    try:
        k = key()
        assert await t.json_set(k, ".", BOOKSTORE)
        assert await t.json_get(k, "$..price") == b"[8.95,12.99,8.99,19.95]"
        assert await t.json_type(k, ".store.book") == "array"
        assert await t.json_arrlen(k, ".store.book") == 3
        assert await t.json_numincrby(k, ".store.bicycle.price", 0.05) == b"20"
        assert await t.json_strappend(k, ".store.bicycle.color", "dish") == 7
        async with t.pipeline() as pipe:
            pipe.json_arrpop(k, ".store.book", 0)
            pipe.json_get(k, "$.store.book[*].author")
            res = await pipe.execute()
        assert res[1] == b'["Evelyn Waugh","Herman Melville"]'
        assert b"Nigel Rees" in res[0]
        assert await t.json_del(k, ".") == 1
    finally:
        await t.close()
