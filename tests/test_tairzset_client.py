"""TairZset through the real `tair` client (tair-py 1.3.7): sync, asyncio and pipeline(), mirroring
tair-py's own tests/test_tairzset.py (every TairZsetCommands method) and its asyncio twin."""

from __future__ import annotations

import uuid

import pytest
from redis.exceptions import ResponseError
from tair import DataError, TairZsetItem


def key() -> str:
    return "k-" + uuid.uuid4().hex


def five(client, k):
    return client.exzadd(k, {"m1": 10, "m2": 20, "m3": 30, "m4": 40, "m5": 50})


def lex(client, k):
    return client.exzadd(k, {f"member_{c}": 0 for c in "abcde"})


def items(*pairs):
    return [TairZsetItem(m.encode(), s) for m, s in pairs]


def test_exzadd_options(tair_client):
    t, k = tair_client, key()
    assert t.exzadd(k, {"a": 10, "b": 20}) == 2
    assert t.exzadd(k, {"a": 10, "b": 25, "c": 30}) == 1
    assert t.exzadd(k, {"a": 11, "b": 25, "d": 40}, ch=True) == 2
    assert t.exzadd(k, {"a": 12, "e": 50}, nx=True) == 1
    assert t.exzadd(k, {"a": 13, "f": 60}, xx=True) == 0
    assert t.exzadd(k, {"a": 7}, incr=True) == b"20"
    assert t.exzadd(k, {"a": 7}, incr=True, nx=True) is None
    assert t.exzrange(k, 0, -1, True) == items(("a", "20"), ("b", "25"), ("c", "30"), ("d", "40"), ("e", "50"))
    with pytest.raises(ResponseError, match="XX and NX options at the same time are not compatible"):
        t.exzadd(k, {"a": 1}, nx=True, xx=True)
    with pytest.raises(ResponseError, match="score is not a valid format"):
        t.exzadd(k, {"a": "1#2"})


def test_multi_dimensional_scores(tair_client):
    t, k = tair_client, key()
    assert t.exzadd(k, {"x": "1#3", "y": "1#2", "z": "0.1#-0"}) == 3
    assert t.exzrange(k, 0, -1, withscores=True) == items(("z", "0.10000000000000001#-0"), ("y", "1#2"), ("x", "1#3"))
    assert t.exzincrby(k, "1#-1", "x") == "2#2"
    assert t.exzscore(k, "x") == "2#2"
    assert t.exzrangebyscore(k, "1#2", "+inf#0") == items(("y", None), ("x", None))
    assert t.exzrangebyscore(k, "1#2", "2#1.5") == items(("y", None))
    assert t.exzrankbyscore(k, "1#2.5") == 2
    assert t.exzcount(k, "-inf#-inf", "(2#2") == 2


def test_exzincrby_exzscore(tair_client):
    t, k = tair_client, key()
    assert t.exzadd(k, {"m": 10})
    assert t.exzincrby(k, 20, "m") == "30"
    assert t.exzincrby(k, 0.1, "m") == "30.100000000000001"
    assert t.exzscore(k, "m") == "30.100000000000001"
    assert t.exzscore(k, "nosuch") is None
    assert t.exzscore(key(), "m") is None


def test_ranges(tair_client):
    t, k = tair_client, key()
    assert five(t, k) == 5
    assert t.exzrange(k, 1, 3) == items(("m2", None), ("m3", None), ("m4", None))
    assert t.exzrange(k, 1, 3, True) == items(("m2", "20"), ("m3", "30"), ("m4", "40"))
    assert t.exzrevrange(k, 1, 3) == items(("m4", None), ("m3", None), ("m2", None))
    assert t.exzrevrange(k, 1, 3, True) == items(("m4", "40"), ("m3", "30"), ("m2", "20"))
    assert t.exzrangebyscore(k, 20, 40) == items(("m2", None), ("m3", None), ("m4", None))
    assert t.exzrangebyscore(k, 20, 40, True) == items(("m2", "20"), ("m3", "30"), ("m4", "40"))
    assert t.exzrangebyscore(k, 20, 40, True, offset=1, count=1) == items(("m3", "30"))
    assert t.exzrevrangebyscore(k, 40, 20) == items(("m4", None), ("m3", None), ("m2", None))
    assert t.exzrevrangebyscore(k, 40, 20, True, offset=1, count=1) == items(("m3", "30"))
    for method, args in ((t.exzrangebyscore, (k, 20, 40, True)), (t.exzrevrangebyscore, (k, 40, 20, True))):
        with pytest.raises(DataError):
            method(*args, offset=1)
        with pytest.raises(DataError):
            method(*args, count=1)


def test_lex(tair_client):
    t, k = tair_client, key()
    assert lex(t, k) == 5
    assert t.exzrangebylex(k, "[member_b", "[member_d") == [b"member_b", b"member_c", b"member_d"]
    assert t.exzrangebylex(k, "[member_b", "[member_d", offset=1, count=1) == [b"member_c"]
    assert t.exzrevrangebylex(k, "[member_d", "[member_b") == [b"member_d", b"member_c", b"member_b"]
    assert t.exzrevrangebylex(k, "[member_d", "[member_b", offset=1, count=1) == [b"member_c"]
    assert t.exzlexcount(k, "[member_b", "[member_d") == 3
    with pytest.raises(DataError):
        t.exzrangebylex(k, "[member_b", "[member_d", offset=1)
    with pytest.raises(DataError):
        t.exzrevrangebylex(k, "[member_d", "[member_b", count=1)
    assert t.exzremrangebylex(k, "[member_b", "[member_d") == 3
    assert t.exzcard(k) == 2


def test_removals_ranks_counts(tair_client):
    t, k = tair_client, key()
    assert t.exzadd(k, {"a": 10, "b": 20, "c": 30})
    assert t.exzrank(k, "a") == 0 and t.exzrank(k, "c") == 2
    assert t.exzrevrank(k, "a") == 2 and t.exzrevrank(k, "c") == 0
    assert t.exzrank(k, "x") is None
    assert t.exzrem(k, ["a", "b", "c"]) == 3
    assert t.exzcard(k) == 0
    assert five(t, k) == 5
    assert t.exzcount(k, 20, 40) == 3
    assert [t.exzrankbyscore(k, s) for s in (10, 20, 30, 40, 50)] == [0, 1, 2, 3, 4]
    assert [t.exzrevrankbyscore(k, s) for s in (10, 20, 30, 40, 50)] == [5, 4, 3, 2, 1]
    assert t.exzremrangebyscore(k, 10, 30) == 3
    assert t.exzremrangebyrank(k, 0, 0) == 1
    assert t.exzrange(k, 0, -1, True) == items(("m5", "50"))


def test_commands_without_client_methods(tair_client):
    """The newer commands (no tair-py 1.3.7 method) through execute_command."""
    t, k = tair_client, key()
    five(t, k)
    assert t.execute_command("EXZMSCORE", k, "m1", "x") == [b"10", None]
    assert t.execute_command("EXZPOPMIN", k) == [b"m1", b"10"]
    assert t.execute_command("EXBZPOPMAX", k, 1) == [k.encode(), b"m5", b"50"]
    assert t.execute_command("EXZRANK", k, "m3", "WITHSCORE") == [1, b"30"]
    assert t.execute_command("EXZUNION", 2, k, k, "WITHSCORES") == [b"m2", b"40", b"m3", b"60", b"m4", b"80"]
    assert t.execute_command("EXZINTERCARD", 1, k) == 3
    # The module's table order: m3 and m4 share a bucket (newest first), m2's comes last.
    assert t.execute_command("EXZSCAN", k, 0) == [b"0", [b"m4", b"40", b"m3", b"30", b"m2", b"20"]]
    assert t.execute_command("EXZRANDMEMBER", k, 5) == [b"m2", b"m3", b"m4"]


def test_pipeline_transaction_and_plain(tair_client):
    for transaction in (True, False):
        k = key()
        pipe = tair_client.pipeline(transaction=transaction)
        pipe.exzadd(k, {"a": 1, "b": 2}).exzincrby(k, 2, "a").exzscore(k, "a").exzrange(k, 0, -1, True)
        pipe.exzrangebyscore(k, "(1", "+inf").exzrank(k, "b").exzcard(k).exzrem(k, ["a"])
        assert pipe.execute() == [
            2, "3", "3", items(("b", "2"), ("a", "3")), items(("b", None), ("a", None)), 0, 2, 1,
        ]


def test_pipeline_with_errors(tair_client):
    k = key()
    pipe = tair_client.pipeline()
    pipe.exzadd(k, {"a": 1}).exzadd(k, {"b": "1#1"}).exzcard(k)
    result = pipe.execute(raise_on_error=False)
    assert result[0] == 1 and result[2] == 1
    assert isinstance(result[1], ResponseError) and "score is not a valid format" in str(result[1])


async def test_asyncio_client(proxy, direct):
    from tair.asyncio import Tair

    client = Tair(port=proxy.port)
    try:
        k, lk = key(), key()
        assert await five(client, k) == 5
        assert await client.exzadd(k, {"m1": 5}, ch=True) == 1
        assert await client.exzadd(k, {"m1": 5}, incr=True) == b"10"
        assert await client.exzincrby(k, 1.5, "m1") == "11.5"
        assert await client.exzscore(k, "m1") == "11.5"
        assert await client.exzrange(k, 0, 1, True) == items(("m1", "11.5"), ("m2", "20"))
        assert await client.exzrevrange(k, 0, 0) == items(("m5", None))
        assert await client.exzrangebyscore(k, "(11.5", 30, True) == items(("m2", "20"), ("m3", "30"))
        assert await client.exzrevrangebyscore(k, 50, 40, offset=0, count=1) == items(("m5", None))
        assert await client.exzrank(k, "m3") == 2
        assert await client.exzrevrank(k, "m3") == 2
        assert await client.exzcount(k, "-inf", "+inf") == 5
        assert await client.exzrankbyscore(k, 30) == 2
        assert await client.exzrevrankbyscore(k, 30) == 3
        assert await client.exzcard(k) == 5
        assert await client.exzremrangebyscore(k, 40, 50) == 2
        assert await client.exzremrangebyrank(k, 0, 0) == 1
        assert await client.exzrem(k, ["m2", "nosuch"]) == 1
        assert await lex(client, lk) == 5
        assert await client.exzrangebylex(lk, "-", "(member_c") == [b"member_a", b"member_b"]
        assert await client.exzrevrangebylex(lk, "+", "[member_d") == [b"member_e", b"member_d"]
        assert await client.exzlexcount(lk, "(member_a", "+") == 4
        assert await client.exzremrangebylex(lk, "-", "+") == 5
        with pytest.raises(ResponseError, match="score is not a valid format"):
            await client.exzadd(k, {"a": "1#1"})
        pipe = client.pipeline()
        pipe.exzadd(k, {"p": 1}).exzscore(k, "p").exzrange(k, 0, -1, True)
        assert await pipe.execute() == [1, "1", items(("p", "1"), ("m3", "30"))]
    finally:
        await client.close()
