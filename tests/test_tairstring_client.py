"""TairString through the real `tair` client (tair-py 1.3.7): sync, asyncio and pipeline(),
mirroring tair-py's own tests/test_tairstring.py and tests/test_asyncio/test_tairstring.py.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
from redis.exceptions import DataError as RedisDataError
from redis.exceptions import ResponseError
from tair.exceptions import DataError
from tair.tairstring import ExcasResult, ExgetResult

DATA_ERRORS = (DataError, RedisDataError)


def key() -> str:
    return "k-" + uuid.uuid4().hex


def server_now(client) -> datetime.datetime:
    sec, usec = client.time()
    return datetime.datetime.fromtimestamp(sec + usec / 1e6)


# ----------------------------------------------------------------- sync: EXSET / EXGET / EXSETVER


def test_exset_exget(tair_client):
    k, v = key(), "value"
    assert tair_client.exset(k, v) is True
    assert tair_client.exget(k) == ExgetResult(v.encode(), 1)
    result = tair_client.exget(k)
    assert result.value == b"value" and result.version == 1


def test_exset_ex_px(tair_client):
    k = key()
    assert tair_client.exset(k, "v", ex=10) is True
    assert 0 < tair_client.ttl(k) <= 10
    with pytest.raises(DATA_ERRORS):
        tair_client.exset(k, "v", ex=10.0)
    assert tair_client.exset(k, "v", ex=datetime.timedelta(seconds=10)) is True
    assert 0 < tair_client.ttl(k) <= 10
    assert tair_client.exset(k, "v", px=10000) is True
    assert 0 < tair_client.pttl(k) <= 10000
    with pytest.raises(DATA_ERRORS):
        tair_client.exset(k, "v", px=10000.0)
    assert tair_client.exset(k, "v", px=datetime.timedelta(milliseconds=10000)) is True
    assert 0 < tair_client.pttl(k) <= 10000


def test_exset_exat_pxat(tair_client):
    k = key()
    now = server_now(tair_client)
    exat = now + datetime.timedelta(seconds=10)
    assert tair_client.exset(k, "v", exat=int(exat.timestamp())) is True
    assert 0 < tair_client.ttl(k) <= 10
    assert tair_client.exset(k, "v", exat=exat) is True
    assert 0 < tair_client.ttl(k) <= 10
    pxat = now + datetime.timedelta(milliseconds=10000)
    assert tair_client.exset(k, "v", pxat=int(pxat.timestamp() * 1000)) is True
    assert 0 < tair_client.pttl(k) <= 11000
    assert tair_client.exset(k, "v", pxat=pxat) is True
    assert 0 < tair_client.pttl(k) <= 11000
    # several expiry arguments are all sent; the server refuses them
    with pytest.raises(ResponseError, match="^syntax error$"):
        tair_client.exset(k, "v", ex=10, px=10000)


def test_exset_nx_xx(tair_client):
    k = key()
    assert tair_client.exset(k, "v", nx=True) is True
    assert tair_client.exset(k, "v", nx=True) is None
    k2 = key()
    assert tair_client.exset(k2, "v", xx=True) is None
    assert tair_client.exists(k2) == 0
    assert tair_client.exset(k2, "v") is True
    assert tair_client.exset(k2, "v", xx=True) is True
    with pytest.raises(ResponseError, match="^syntax error$"):
        tair_client.exset(k2, "v", nx=True, xx=True)


def test_exset_ver_abs(tair_client):
    k = key()
    assert tair_client.exset(k, "v1") is True
    assert tair_client.exset(k, "v2", ver=1) is True
    assert tair_client.exget(k) == ExgetResult(b"v2", 2)
    with pytest.raises(ResponseError, match="^update version is stale$"):
        tair_client.exset(k, "v3", ver=1)
    assert tair_client.exset(k, "v3", ver=0) is True  # 0 disables the check
    k2 = key()
    assert tair_client.exset(k2, "v", abs=10) is True
    assert tair_client.exget(k2) == ExgetResult(b"v", 10)
    with pytest.raises(ResponseError, match="^syntax error$"):
        tair_client.exset(k2, "v", ver=1, abs=1)


def test_exget_missing_key(tair_client):
    # the server answers nil; tair-py's parse_exget then indexes None (client behaviour)
    with pytest.raises(TypeError):
        tair_client.exget(key())
    assert tair_client.execute_command("EXISTS", "nothing") == 0


def test_exsetver(tair_client):
    k = key()
    assert tair_client.exset(k, "v") is True
    assert tair_client.exsetver(k, 10) == 1
    assert tair_client.exget(k) == ExgetResult(b"v", 10)
    assert tair_client.exsetver(key(), 10) == 0
    with pytest.raises(ResponseError, match="^syntax error$"):
        tair_client.exsetver(k, 0)


# ----------------------------------------------------------------- sync: EXINCRBY


def test_exincrby(tair_client):
    k = key()
    assert tair_client.exset(k, 10) is True
    assert tair_client.exincrby(k, 20) == 30
    assert tair_client.exget(k) == ExgetResult(b"30", 2)


@pytest.mark.parametrize(
    "expiry",
    [
        {"ex": 10}, {"ex": datetime.timedelta(seconds=10)},
        {"px": 10000}, {"px": datetime.timedelta(milliseconds=10000)},
    ],
)
def test_exincrby_relative_expiry(tair_client, expiry):
    k = key()
    assert tair_client.exset(k, 10) is True
    assert tair_client.exincrby(k, 20, **expiry) == 30
    assert 0 < tair_client.pttl(k) <= 10000


def test_exincrby_absolute_expiry_and_float_rejected(tair_client):
    k = key()
    assert tair_client.exset(k, 10) is True
    at = server_now(tair_client) + datetime.timedelta(seconds=10)
    assert tair_client.exincrby(k, 20, exat=at) == 30
    assert 0 < tair_client.ttl(k) <= 10
    assert tair_client.exincrby(k, 20, exat=int(at.timestamp())) == 50
    assert 0 < tair_client.ttl(k) <= 10
    assert tair_client.exincrby(k, 20, pxat=at) == 70
    assert 0 < tair_client.pttl(k) <= 11000
    assert tair_client.exincrby(k, 20, pxat=int(at.timestamp() * 1000)) == 90
    assert 0 < tair_client.pttl(k) <= 11000
    assert tair_client.exincrby(k, 1) == 91
    assert tair_client.ttl(k) == -1  # no expiry argument: the TTL is dropped
    with pytest.raises(DATA_ERRORS):
        tair_client.exincrby(k, 20, ex=10.0)
    with pytest.raises(DATA_ERRORS):
        tair_client.exincrby(k, 20, px=10000.0)


def test_exincrby_nx_xx(tair_client):
    k1 = key()
    assert tair_client.exincrby(k1, 20, nx=True) == 20
    assert tair_client.exget(k1) == ExgetResult(b"20", 1)
    k2 = key()
    assert tair_client.exset(k2, 10) is True
    assert tair_client.exincrby(k2, 20, nx=True) is None
    assert tair_client.exget(k2) == ExgetResult(b"10", 1)
    k3 = key()
    assert tair_client.exincrby(k3, 20, xx=True) is None
    assert tair_client.exists(k3) == 0
    assert tair_client.exincrby(k2, 20, xx=True) == 30
    assert tair_client.exget(k2) == ExgetResult(b"30", 2)


def test_exincrby_ver_abs(tair_client):
    k = key()
    assert tair_client.exset(k, 10) is True
    assert tair_client.exincrby(k, 20, ver=1) == 30
    assert tair_client.exget(k) == ExgetResult(b"30", 2)
    assert tair_client.exset(k, 10) is True
    with pytest.raises(ResponseError, match="^update version is stale$"):
        tair_client.exincrby(k, 20, ver=10)
    assert tair_client.exincrby(k, 20, abs=100) == 30
    assert tair_client.exget(k) == ExgetResult(b"30", 100)


def test_exincrby_min_max_def(tair_client):
    k = key()
    assert tair_client.exset(k, 10) is True
    with pytest.raises(ResponseError, match="^increment or decrement would overflow$"):
        tair_client.exincrby(k, 20, maxval=10)
    with pytest.raises(ResponseError, match="^increment or decrement would overflow$"):
        tair_client.exincrby(k, 20, minval=100)
    with pytest.raises(ResponseError, match="^min or max is specified, but not valid$"):
        tair_client.exincrby(k, 20, minval=100, maxval=10)
    assert tair_client.exincrby(k, 20, minval=0, maxval=30) == 30
    k2 = key()
    assert tair_client.exincrby(k2, 5, define=100) == 100  # DEF: the value of a new key
    assert tair_client.exincrby(k2, 5, define=100) == 105
    with pytest.raises(ResponseError, match="^value is not an integer$"):
        tair_client.exincrby(k2, "abc")


# ----------------------------------------------------------------- sync: EXINCRBYFLOAT


def test_exincrbyfloat(tair_client):
    k = key()
    assert tair_client.exset(k, 1.1) is True
    assert tair_client.exincrbyfloat(k, 2.2) == pytest.approx(3.3)
    result = tair_client.exget(k)
    assert float(result.value) == pytest.approx(3.3) and result.version == 2


@pytest.mark.parametrize(
    "expiry",
    [
        {"ex": 10}, {"ex": datetime.timedelta(seconds=10)},
        {"px": 10000}, {"px": datetime.timedelta(milliseconds=10000)},
    ],
)
def test_exincrbyfloat_relative_expiry(tair_client, expiry):
    k = key()
    assert tair_client.exset(k, 1.1) is True
    assert tair_client.exincrbyfloat(k, 2.2, **expiry) == pytest.approx(3.3)
    assert 0 < tair_client.pttl(k) <= 10000


def test_exincrbyfloat_absolute_expiry_and_float_rejected(tair_client):
    k = key()
    assert tair_client.exset(k, 1.1) is True
    at = server_now(tair_client) + datetime.timedelta(seconds=10)
    assert tair_client.exincrbyfloat(k, 2.2, exat=at) == pytest.approx(3.3)
    assert 0 < tair_client.ttl(k) <= 10
    assert tair_client.exincrbyfloat(k, 1, pxat=int(at.timestamp() * 1000)) == pytest.approx(4.3)
    assert 0 < tair_client.pttl(k) <= 11000
    with pytest.raises(DATA_ERRORS):
        tair_client.exincrbyfloat(k, 2.2, ex=10.0)
    with pytest.raises(DATA_ERRORS):
        tair_client.exincrbyfloat(k, 2.2, px=10000.0)


def test_exincrbyfloat_nx_xx_ver_abs(tair_client):
    k1 = key()
    assert tair_client.exincrbyfloat(k1, 1.1, nx=True) == 1.1  # exact: the reply is "1.1"
    assert tair_client.exget(k1) == ExgetResult(b"1.1", 1)
    assert tair_client.exincrbyfloat(k1, 1.1, nx=True) is None
    assert tair_client.exget(k1) == ExgetResult(b"1.1", 1)
    k2 = key()
    assert tair_client.exincrbyfloat(k2, 1.1, xx=True) is None
    assert tair_client.exists(k2) == 0
    assert tair_client.exincrbyfloat(k1, 2.2, xx=True) == pytest.approx(3.3)
    assert tair_client.exget(k1).version == 2
    assert tair_client.exincrbyfloat(k1, 2.2, ver=2) == pytest.approx(5.5)
    assert tair_client.exset(k1, 1.1) is True
    with pytest.raises(ResponseError, match="^update version is stale$"):
        tair_client.exincrbyfloat(k1, 2.2, ver=10)
    assert tair_client.exincrbyfloat(k1, 2.2, abs=100) == pytest.approx(3.3)
    assert tair_client.exget(k1).version == 100


def test_exincrbyfloat_min_max(tair_client):
    k = key()
    assert tair_client.exset(k, 9.1) is True
    with pytest.raises(ResponseError, match="^increment or decrement would overflow$"):
        tair_client.exincrbyfloat(k, 1.1, maxval=10)
    with pytest.raises(ResponseError, match="^increment or decrement would overflow$"):
        tair_client.exincrbyfloat(k, 0.1, minval=100)
    with pytest.raises(ResponseError, match="^value is not a float$"):
        tair_client.exincrbyfloat(k, "abc")
    assert tair_client.exincrbyfloat(k, 0.5, minval=9, maxval=10) == pytest.approx(9.6)


# ----------------------------------------------------------------- sync: EXCAS / EXCAD / CAS / CAD


def test_excas(tair_client):
    k = key()
    assert tair_client.exset(k, "v1") is True
    result = tair_client.excas(k, "v2", 1)
    assert result == ExcasResult("OK", b"", 2)
    assert result.msg == "OK" and result.value == b"" and result.version == 2
    assert tair_client.exget(k) == ExgetResult(b"v2", 2)
    k2 = key()
    assert tair_client.exset(k2, "v1") is True
    failed = tair_client.excas(k2, "v2", 100)
    assert failed.msg == "CAS_FAILED" and failed.value == b"v1" and failed.version == 1
    assert tair_client.excas(key(), "v", 1) == -1
    with pytest.raises(ResponseError, match="^version should be integer$"):
        tair_client.excas(k, "v", "x")


def test_excad(tair_client):
    k = key()
    assert tair_client.exset(k, "v") is True
    assert tair_client.excad(k, 2) == 0
    assert tair_client.excad(k, 1) == 1
    assert tair_client.exists(k) == 0
    assert tair_client.excad(key(), 1) == -1


def test_cas_cad(tair_client):
    k = key()
    assert tair_client.set(k, "v") is True
    assert tair_client.cas(k, "v", "newval") == 1
    assert tair_client.cas(k, "oldkey", "newval") == 0
    assert tair_client.get(k) == b"newval"
    assert tair_client.cas(key(), "a", "b") == -1
    k2 = key()
    assert tair_client.setnx(k2, "v") is True
    assert tair_client.cad(k2, "newval") == 0
    assert tair_client.cad(k2, "v") == 1
    assert tair_client.exists(k2) == 0
    assert tair_client.exset(k2, "v") is True
    with pytest.raises(ResponseError, match="^WRONGTYPE"):
        tair_client.cas(k2, "v", "w")
    with pytest.raises(ResponseError, match="^WRONGTYPE"):
        tair_client.cad(k2, "v")


def test_wrongtype_through_client(tair_client):
    k = key()
    tair_client.set(k, "plain")
    for call in (
        lambda: tair_client.exset(k, "v"),
        lambda: tair_client.exget(k),
        lambda: tair_client.exsetver(k, 3),
        lambda: tair_client.exincrby(k, 1),
        lambda: tair_client.exincrbyfloat(k, 1.5),
        lambda: tair_client.excas(k, "v", 1),
        lambda: tair_client.excad(k, 1),
    ):
        with pytest.raises(ResponseError, match="^WRONGTYPE Operation against a key holding the wrong kind of value$"):
            call()
    assert tair_client.get(k) == b"plain"


# ----------------------------------------------------------------- pipeline() (MULTI/EXEC)


def test_pipeline_transaction(tair_client):
    k, n, f, s = key(), key(), key(), key()
    pipe = tair_client.pipeline()
    assert pipe.transaction is True
    pipe.exset(k, "v1", ex=100).exget(k).exsetver(k, 5).excas(k, "v2", 5).excas(k, "v3", 1)
    pipe.exincrby(n, 7, maxval=100).exincrbyfloat(f, 1.1).set(s, "a").cas(s, "a", "b").cad(s, "b")
    pipe.excad(k, 6).exset(k, "v", xx=True)
    assert pipe.execute() == [
        True, ExgetResult(b"v1", 1), 1, ExcasResult("OK", b"", 6), ExcasResult("CAS_FAILED", b"v2", 6),
        7, 1.1, True, 1, 1, 1, None,
    ]


def test_pipeline_transaction_with_errors(tair_client):
    k = key()
    pipe = tair_client.pipeline()
    pipe.exset(k, "v").exset(k, "w", ver=7).exincrby(k, 1).exget(k)
    with pytest.raises(ResponseError, match="update version is stale"):
        pipe.execute()
    assert tair_client.exget(k) == ExgetResult(b"v", 1)  # the other commands ran
    pipe = tair_client.pipeline()
    pipe.exset(k, "w", ver=7).exincrby(k, 1).exget(k)
    results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], ResponseError) and str(results[0]) == "update version is stale"
    assert isinstance(results[1], ResponseError) and str(results[1]) == "value is not an integer"
    assert results[2] == ExgetResult(b"v", 1)


def test_pipeline_without_transaction(tair_client):
    k = key()
    pipe = tair_client.pipeline(transaction=False)
    pipe.exset(k, "10", abs=9223372036854775806).exincrby(k, 5).exget(k).exset(k, "x").exget(k)
    assert pipe.execute() == [
        True, 15, ExgetResult(b"15", 9223372036854775807), True, ExgetResult(b"x", -9223372036854775808),
    ]


# ----------------------------------------------------------------- asyncio


async def test_asyncio_client(proxy, direct):
    from tair.asyncio import Tair

    client = Tair(port=proxy.port)
    try:
        k, n, f, s = key(), key(), key(), key()
        assert await client.exset(k, "v", ex=10) is True
        assert 0 < await client.ttl(k) <= 10
        assert await client.exset(k, "v", px=datetime.timedelta(seconds=10)) is True
        assert 0 < await client.pttl(k) <= 10000
        sec, _ = await client.time()
        assert await client.exset(k, "v", exat=sec + 10) is True
        assert 0 < await client.ttl(k) <= 10
        assert await client.exset(k, "v", pxat=(sec + 10) * 1000) is True
        assert 0 < await client.pttl(k) <= 11000
        assert await client.exset(k, "v", nx=True) is None
        assert await client.exset(key(), "v", xx=True) is None
        assert await client.exset(k, "v1", ver=4) is True
        with pytest.raises(ResponseError, match="^update version is stale$"):
            await client.exset(k, "v1", ver=4)
        assert await client.exget(k) == ExgetResult(b"v1", 5)
        assert await client.exset(k, "v2", abs=10) is True
        assert await client.exsetver(k, 20) == 1
        assert await client.exget(k) == ExgetResult(b"v2", 20)
        assert await client.exsetver(key(), 20) == 0
        with pytest.raises(DATA_ERRORS):
            await client.exset(k, "v", ex=10.0)

        assert await client.exset(n, 10) is True
        assert await client.exincrby(n, 20) == 30
        assert await client.exincrby(n, 20, nx=True) is None
        assert await client.exincrby(key(), 20, xx=True) is None
        assert await client.exincrby(n, 20, ver=2) == 50
        assert await client.exincrby(n, 20, abs=100) == 70
        assert await client.exget(n) == ExgetResult(b"70", 100)
        with pytest.raises(ResponseError, match="^increment or decrement would overflow$"):
            await client.exincrby(n, 20, maxval=10)
        with pytest.raises(ResponseError, match="^increment or decrement would overflow$"):
            await client.exincrby(n, 20, minval=100)
        assert await client.exincrby(key(), 1, define=-5) == -5

        assert await client.exincrbyfloat(f, 1.1, nx=True) == 1.1
        assert await client.exincrbyfloat(f, 2.2) == pytest.approx(3.3)
        assert await client.exincrbyfloat(f, 2.2, xx=True, ver=2) == pytest.approx(5.5)
        assert await client.exincrbyfloat(f, 1, abs=100) == pytest.approx(6.5)
        with pytest.raises(ResponseError, match="^increment or decrement would overflow$"):
            await client.exincrbyfloat(f, 1.1, maxval=1)
        assert (await client.exget(f)).version == 100

        assert await client.excas(k, "v3", 20) == ExcasResult("OK", b"", 21)
        assert await client.excas(k, "v4", 20) == ExcasResult("CAS_FAILED", b"v3", 21)
        assert await client.excas(key(), "v", 1) == -1
        assert await client.excad(k, 20) == 0
        assert await client.excad(k, 21) == 1
        assert await client.excad(k, 21) == -1

        assert await client.set(s, "a") is True
        assert await client.cas(s, "a", "b") == 1
        assert await client.cas(s, "a", "c") == 0
        assert await client.cad(s, "c") == 0
        assert await client.cad(s, "b") == 1
        assert await client.cas(s, "a", "b") == -1

        pipe = client.pipeline()
        pipe.exset(k, "p").exget(k).excas(k, "q", 1).exincrby(n, 1).exincrbyfloat(f, 0.5)
        assert await pipe.execute() == [
            True, ExgetResult(b"p", 1), ExcasResult("OK", b"", 2), 71, pytest.approx(7.0),
        ]
    finally:
        await client.close()
