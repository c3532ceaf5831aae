"""The deployable pieces: compose file, Dockerfile, CLI entry points."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
import yaml

from tairproxy.embedded import free_port
from tests.cli_harness import ProxyProcess

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_names_valkey_with_aof_and_the_proxy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"valkey", "tairproxy"}
    valkey = services["valkey"]
    assert valkey["image"] == "valkey/valkey:9"
    assert "--appendonly" in valkey["command"] and "yes" in valkey["command"]
    proxy = services["tairproxy"]
    assert proxy["build"] == "."
    assert proxy["environment"]["TAIRPROXY_UPSTREAM"] == "redis://valkey:6379"
    assert "valkey" in proxy["depends_on"]
    assert any(str(p).endswith(":6380") for p in proxy["ports"])


def test_dockerfile_installs_the_package_and_runs_the_cli():
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install" in text and 'CMD ["tairproxy"]' in text
    for path in ("tairproxy", "modules", "pyproject.toml"):
        assert path in text


def test_cli_starts_embedded_valkey_and_stops_cleanly(tmp_path):
    port = free_port()
    proc = ProxyProcess("--data-dir", tmp_path / "data", env={"TAIRPROXY_PORT": str(port)}).start()
    try:
        proc.wait_for(f"tairproxy listening on 127.0.0.1:{port}")
        assert str(tmp_path / "data") in proc.wait_for("embedded valkey-server at redis://127.0.0.1:")
        c = redis.Redis(port=port)
        assert c.set("cli", "works")
        assert c.type("cli") == b"string"
        t0 = time.monotonic()
        proc.signal(signal.SIGINT)
        assert proc.wait() == 0
        assert time.monotonic() - t0 < 1.0  # an idle proxy stops promptly
        # The embedded server is gone with the proxy, and its AOF holds the write.
        aof = list((tmp_path / "data").rglob("*.aof"))
        assert aof and any(b"works" in f.read_bytes() for f in aof)
    finally:
        proc.stop()


def test_cli_reports_unreachable_upstream_in_one_line():
    proc = ProxyProcess("--upstream", f"redis://127.0.0.1:{free_port()}", "--port", "0").start()
    assert proc.wait(30) == 1
    errors = [line for line in proc.lines if " ERROR " in line]
    assert len(errors) == 1 and "Traceback" not in proc.log()
    assert " ERROR main cannot connect to upstream redis://127.0.0.1:" in errors[0]


def test_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'tairproxy = "tairproxy.cli:main"' in text


def test_cli_workers_share_the_port_and_stop_together(tmp_path):
    port = free_port()
    proc = ProxyProcess("--data-dir", tmp_path / "data", "--port", port, "--workers", "2").start()
    try:
        proc.wait_for(f"listening on 127.0.0.1:{port} (2 workers)")
        clients = [redis.Redis(port=port) for _ in range(8)]
        for i, c in enumerate(clients):
            assert c.execute_command("EXSET", f"w{i}", "v") == b"OK"
        assert clients[0].dbsize() == 8
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    finally:
        proc.stop()


def test_cluster_compose_has_six_nodes_a_proxy_beside_each_and_an_init_job():
    compose = yaml.safe_load((ROOT / "docker-compose.cluster.yml").read_text())
    services = compose["services"]
    nodes = [f"valkey-{i}" for i in range(1, 7)]
    proxies = [f"tairproxy-{i}" for i in range(1, 7)]
    assert set(services) == {*nodes, *proxies, "cluster-init"}
    for name in nodes:
        assert services[name]["image"] == "valkey/valkey:9"
        assert "--cluster-enabled" in services[name]["command"]
    script = (ROOT / "docker" / "cluster-init.sh").read_text()
    assert '--cluster-replicas "$REPLICAS"' in script and "REPLICAS=${REPLICAS:-1}" in script
    assert " ".join(f"{n}:6379" for n in nodes) in script
    for i, name in enumerate(proxies, start=1):
        env = services[name]["environment"]
        assert env["TAIRPROXY_UPSTREAM"] == f"redis://valkey-{i}:6379"
        mapping = dict(item.split("=") for item in env["TAIRPROXY_CLUSTER_MAP"].split(","))
        assert set(mapping) == {f"{n}:6379" for n in nodes}
        assert mapping[f"valkey-{i}:6379"] == f"127.0.0.1:{env['TAIRPROXY_PORT']}"
        port = env["TAIRPROXY_PORT"]
        assert services[name]["ports"] == [f"${{TAIRPROXY_PUBLISH:-127.0.0.1}}:{port}:{port}"]
        assert services[name]["depends_on"]["cluster-init"]["condition"] == "service_completed_successfully"


def test_embedded_valkey_stops_when_the_proxy_is_killed(tmp_path):
    port = free_port()
    proc = ProxyProcess("--data-dir", tmp_path / "data", "--port", port).start()
    try:
        line = proc.wait_for("embedded valkey-server at")
        valkey_port = int(line.split("redis://127.0.0.1:")[1].split(",")[0])
        assert redis.Redis(port=valkey_port).ping()
        proc.proc.kill()  # no chance to clean up
        proc.wait(10)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=valkey_port, socket_connect_timeout=0.5).ping()
            except redis.ConnectionError:
                break
            assert time.monotonic() < deadline, "embedded valkey-server outlived the proxy"
            time.sleep(0.1)
    finally:
        proc.stop()


def test_wheel_installs_the_families_as_tairproxy_modules(tmp_path):
    """A top-level package named `modules` would collide with anyone else's in site-packages."""
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("tairproxy-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    version = wheel.name.split("-")[1]
    assert {n.split("/")[0] for n in names} == {"tairproxy", f"tairproxy-{version}.dist-info"}
    assert "tairproxy/modules/tairstring.lua" in names
    assert "tairproxy/modules/tairstring.py" in names
