"""Logs an operator can use: one format, JSON, rate-limited repeats, state changes, stats."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import socket
import time

import pytest
import redis

from tairproxy.embedded import EmbeddedValkey, free_port
from tairproxy.logs import (
    JsonFormatter,
    RepeatedEvent,
    TextFormatter,
    UpstreamHealth,
    set_worker,
    setup_logging,
)
from tairproxy.stats import StatsLine
from tests.cli_harness import ProxyProcess
from tests.helpers import ProxyThread

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) (main|w\d+) \S")


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("tairproxy.test", logging.WARNING, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_text_and_json_lines_carry_time_level_and_worker():
    set_worker("w2")
    try:
        line = TextFormatter().format(_record("upstream %s is down", "x"))
        doc = json.loads(JsonFormatter().format(_record("n=%d", 3, fields={"clients": 7})))
    finally:
        set_worker("main")
    assert TEXT_LINE.match(line) and line.endswith(" WARNING w2 upstream x is down")
    assert doc["level"] == "WARNING" and doc["worker"] == "w2" and doc["message"] == "n=3"
    assert doc["clients"] == 7 and re.fullmatch(r"\d{4}-.*\.\d{3}Z", doc["time"])


def test_repeated_event_logs_the_first_then_one_count_per_window(caplog):
    caplog.set_level(logging.WARNING)
    log = logging.getLogger("tairproxy.test")

    async def storm() -> None:
        refused = RepeatedEvent(log, "upstream down: {count} clients refused in the last {window} s", window=0.3)
        for _ in range(533):
            refused("upstream %s unavailable: %s", "redis://x", "Connection refused")
        await asyncio.sleep(0.45)  # one window: the count comes by itself
        refused("upstream %s unavailable: %s", "redis://x", "again")  # inside the second window
        await asyncio.sleep(0.3)
        await asyncio.sleep(0.4)  # a quiet window ends the storm
        refused("upstream %s unavailable: %s", "redis://x", "new storm")

    asyncio.run(storm())
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "upstream redis://x unavailable: Connection refused",
        "upstream down: 532 clients refused in the last 0.3 s",
        "upstream down: 1 clients refused in the last 0.3 s",
        "upstream redis://x unavailable: new storm",
    ]


def test_repeated_event_without_an_event_loop_sums_up_on_the_next_occurrence(caplog):
    caplog.set_level(logging.WARNING)
    event = RepeatedEvent(logging.getLogger("tairproxy.test"), "{count} more in {window} s", window=0.05)
    for _ in range(4):
        event("first")
    time.sleep(0.06)
    event("after the window")
    assert [r.getMessage() for r in caplog.records] == ["first", "3 more in 0.05 s", "after the window"]


def test_upstream_health_logs_each_change_once(caplog):
    caplog.set_level(logging.INFO)
    health = UpstreamHealth("redis://127.0.0.1:1")
    health.up()
    for _ in range(100):
        health.down("Connection refused")
    health.up()
    health.up()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert messages[0] == "upstream redis://127.0.0.1:1 is down: Connection refused"
    assert messages[1].startswith("upstream redis://127.0.0.1:1 is up again after ")


def test_the_library_loader_reports_upstream_state_changes(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    server = EmbeddedValkey(tmp_path / "data")
    server.start()
    proxy = ProxyThread(server.url).start()
    try:
        library = proxy.server.ctx.library
        server.process.kill()
        server.process.wait()
        for _ in range(3):
            with pytest.raises(OSError):
                asyncio.run_coroutine_threadsafe(library.ensure(), proxy.loop).result(10)
        server.start()
        asyncio.run_coroutine_threadsafe(library.ensure(), proxy.loop).result(10)
    finally:
        proxy.stop()
        server.stop()
    changes = [r.getMessage() for r in caplog.records if r.name == "tairproxy.upstream"]
    assert len(changes) == 2
    assert changes[0].startswith(f"upstream {server.url} is down: ")
    assert changes[1].startswith(f"upstream {server.url} is up again after ")


def test_stats_line_shows_gauges_and_rates_of_totals():
    counters = {"clients": 3, "commands_total": 100, "errors_total": 0}
    stats = StatsLine(lambda: counters)
    stats.start()
    counters.update(clients=5, commands_total=350, errors_total=2)
    text, fields = stats.line()
    assert re.fullmatch(r"stats \(last \d+ s\): clients 5, commands 250 \(\d+\.\d/s\), errors 2 \(\d+\.\d/s\)", text)
    assert fields["clients"] == 5 and fields["commands"] == 250 and fields["errors"] == 2
    assert fields["commands_per_s"] > 0


def test_a_failing_stats_provider_costs_a_log_line_only(caplog):
    def broken():
        raise KeyError("clients")

    stats = StatsLine(broken)
    stats.log()
    assert any("stats provider failed" in r.getMessage() for r in caplog.records)


def test_setup_logging_routes_everything_to_one_handler():
    out = io.StringIO()
    setup_logging("warning", "json", stream=out)
    try:
        logging.getLogger("asyncio").warning("from asyncio")
        logging.getLogger("tairproxy.x").info("hidden at warning")
        logging.getLogger("tairproxy.x").error("shown")
    finally:
        logging.getLogger().handlers.clear()
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(d["logger"], d["message"]) for d in docs] == [("asyncio", "from asyncio"), ("tairproxy.x", "shown")]


def test_every_line_of_a_running_proxy_is_json_with_periodic_stats(tmp_path):
    p = ProxyProcess("--data-dir", tmp_path / "data", "--port", "0", "--log-format", "json",
                     "--stats-interval", "0.3").start()
    try:
        port = json.loads(p.wait_for("listening on"))["port"]
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"PING\r\n")
            assert s.recv(16) == b"+PONG\r\n"
            line = p.wait_for('"clients": 1', timeout=5)
        p.signal()
        assert p.wait() == 0
    finally:
        p.stop()
    docs = [json.loads(line) for line in p.lines]  # every line parses
    assert all({"time", "level", "worker", "message"} <= set(d) for d in docs)
    stats = json.loads(line)
    assert stats["level"] == "INFO" and stats["message"].startswith("stats (last ")
    starts = [d["message"] for d in docs]
    assert any(m.startswith("file descriptor limit") for m in starts)
    assert any(m.startswith("embedded valkey-server at") for m in starts)
    assert starts[-1] == "shutting down"


def test_the_library_is_loaded_once_per_process_group(tmp_path):
    p = ProxyProcess("--data-dir", tmp_path / "data", "--port", free_port(), "--workers", "3",
                     "--stats-interval", "0").start()
    try:
        port = p.port
        assert redis.Redis(port=port).execute_command("EXSET", "k", "v") == b"OK"
        p.signal()
        assert p.wait() == 0
    finally:
        p.stop()
    assert len(p.lines_with("loaded Lua library")) == 1, p.log()
    for line in p.lines:
        assert TEXT_LINE.match(line), line
