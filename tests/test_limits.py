"""File descriptors: the soft limit is raised to the hard one at start, and the capacity logged."""

from __future__ import annotations

import resource
import signal

import redis

from tairproxy.embedded import free_port
from tairproxy.limits import RESERVED_FDS, admits, client_capacity
from tests.cli_harness import ProxyProcess

HARD = resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def _limit(soft: int, hard: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return apply


def _run(tmp_path, soft: int, hard: int) -> ProxyProcess:
    p = ProxyProcess("--data-dir", tmp_path / "data", "--port", free_port(), "--stats-interval", "0",
                     preexec_fn=_limit(soft, hard)).start()
    try:
        c = redis.Redis(port=p.port)
        assert c.execute_command("EXSET", "k", "v") == b"OK"
        p.signal(signal.SIGTERM)
        assert p.wait() == 0
    finally:
        p.stop()
    return p


def test_the_soft_limit_is_raised_to_the_hard_limit_and_the_capacity_logged(tmp_path):
    p = _run(tmp_path, 256, HARD)
    line = p.wait_for("file descriptor limit")
    assert line.endswith(f"file descriptor limit raised from 256 to {HARD}: room for {HARD - RESERVED_FDS} "
                         "clients (a pinned client takes two descriptors)")


def test_a_low_hard_limit_is_logged_with_a_warning(tmp_path):
    p = _run(tmp_path, 256, 256)
    assert p.wait_for("file descriptor limit").endswith(f"file descriptor limit 256: room for {256 - RESERVED_FDS} clients "
                                                        "(a pinned client takes two descriptors)")
    assert " WARNING " in p.wait_for("only 192 clients fit in 256 file descriptors")


def test_capacity_counts_one_descriptor_per_client_and_two_per_pinned_client():
    assert client_capacity(1024) == 1024 - RESERVED_FDS
    cap = client_capacity(100, reserved=0)
    assert admits(99, 0, cap) and not admits(100, 0, cap)
    assert admits(49, 50, cap) and not admits(50, 50, cap)
