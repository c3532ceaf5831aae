"""pytest plugin (registered by installing tairproxy): a Tair-compatible server for your tests.

    def test_counter(tair):                 # a tair.Tair client, database flushed first
        tair.exset("k", "v")
        assert tair.exget("k").value == b"v"

``tair_server`` (session scope) starts an embedded valkey-server plus a tairproxy on free
loopback ports and yields its URL (``redis://127.0.0.1:<port>``), for any client. Nothing is
started, and nothing heavier than this file imported, unless a test asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def tair_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a tairproxy with its own embedded Valkey, shared by the whole test session."""
    from tairproxy.testing import TairServer

    server = TairServer(tmp_path_factory.mktemp("tairproxy")).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def tair(tair_server: str):
    """A ``tair.Tair`` client on ``tair_server``, on a flushed server (needs ``pip install tair``)."""
    try:
        from tair import Tair
    except ImportError:
        pytest.skip("the tair fixture needs the tair client: pip install tair")
    client = Tair.from_url(tair_server)
    client.flushall()
    try:
        yield client
    finally:
        client.close()
