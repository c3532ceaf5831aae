"""What the proxy tells about itself: INFO's Tairproxy section (Valkey's own sections stay
byte for byte), Prometheus metrics scraped over HTTP, the slow-command log, and the metrics
of --workers added up by the parent."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tairproxy import __version__
from tairproxy.embedded import free_port
from tairproxy.library import library_source
from tairproxy.metrics import MetricsServer, loop_snapshot
from tairproxy.observe import Observer
from tairproxy.resp import encode_command
from tests.cli_harness import ProxyProcess
from tests.helpers import ProxyThread, RawClient

SLOW_MS = 100


@pytest.fixture(scope="module")
def observed(valkey_url):
    """A proxy of its own (exact counts) with an Observer, and its metrics on a free port."""
    p = ProxyThread(valkey_url, observer=Observer(slowlog_ms=SLOW_MS)).start()
    metrics = MetricsServer(["127.0.0.1"], 0, loop_snapshot(p.server.ctx, p.loop))
    p.metrics_url = f"http://127.0.0.1:{metrics.addresses[0][1]}/metrics"
    yield p
    metrics.close()
    p.stop()


@pytest.fixture
def client(observed, direct):
    c = RawClient(observed.port)
    yield c
    c.close()


def _info(client: RawClient, *sections: str) -> dict[str, str]:
    text = client("INFO", *sections).split(b"\r\n", 1)[1].decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


def _pipeline(client: RawClient, *commands: tuple[str, ...]) -> list[bytes]:
    """Commands in one write, so that the proxy reads them together."""
    client.send_raw(b"".join(encode_command([a.encode() for a in c]) for c in commands))
    return [client.read() for _ in commands]


def _direct_raw(valkey_url: str, *args: str, resp3: bool = False) -> bytes:
    c = RawClient(int(valkey_url.rsplit(":", 1)[1]))
    try:
        if resp3:
            c("HELLO", "3")
        return c(*args)
    finally:
        c.close()


def _scrape(url: str) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def _value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# ----- INFO ------------------------------------------------------------------------------------

def test_info_tairproxy_reports_the_proxy_and_moves_with_commands(observed, client):
    before = _info(client, "tairproxy")
    assert before["tairproxy_version"] == __version__
    assert before["library_version"] == library_source()[1]
    assert int(before["process_id"]) > 0 and int(before["uptime_in_seconds"]) >= 0
    for name in ("connected_clients", "pinned_clients", "upstream_connections", "total_commands_processed",
                 "tair_commands_processed", "batches_sent", "batched_calls", "library_reloads",
                 "upstream_connect_errors", "upstream_connections_lost", "upstream_failed_commands"):
        assert before[name].isdigit(), name
    # One pipeline: 10 EXSETs travel as one batch; a SET and a PING are not Tair commands.
    replies = _pipeline(client, *[("EXSET", f"k{i}", "v") for i in range(10)], ("SET", "plain", "1"), ("PING",))
    assert replies == [b"+OK\r\n"] * 11 + [b"+PONG\r\n"]
    after = _info(client, "tairproxy")
    assert int(after["tair_commands_processed"]) - int(before["tair_commands_processed"]) == 10
    # The 12 commands and the first INFO.
    assert int(after["total_commands_processed"]) - int(before["total_commands_processed"]) == 13
    assert int(after["batches_sent"]) - int(before["batches_sent"]) == 1
    assert int(after["batched_calls"]) - int(before["batched_calls"]) == 10
    batches, calls = int(after["batches_sent"]), int(after["batched_calls"])
    assert after["mean_batch_size"] == f"{calls / batches:.2f}"
    assert int(after["connected_clients"]) >= 1 and int(after["upstream_connections"]) >= 1


def test_info_counts_pinned_clients_and_lost_upstream_connections(observed, client, direct):
    other = RawClient(observed.port)
    try:
        before = _info(client, "tairproxy")
        assert other("MULTI") == b"+OK\r\n"  # pins `other` to an upstream connection of its own
        during = _info(client, "tairproxy")
        assert int(during["pinned_clients"]) == int(before["pinned_clients"]) + 1
        assert int(during["upstream_connections"]) == int(before["upstream_connections"]) + 1
        # Valkey drops the pinned connection: counted as lost, the client is told.
        pipe = next(s.pipe for s in observed.server.ctx.sessions if s.pinned)
        host, port = pipe.transport.get_extra_info("sockname")[:2]
        assert direct.execute_command("CLIENT", "KILL", "ADDR", f"{host}:{port}") == 1
        assert other.closed()
        after = _info(client, "tairproxy")
        assert int(after["upstream_connections_lost"]) == int(before["upstream_connections_lost"]) + 1
        assert int(after["pinned_clients"]) == int(before["pinned_clients"])
    finally:
        other.close()


@pytest.mark.parametrize("args", [(), ("all",), ("everything",), ("default",), ("tairproxy",), ("TairProxy",),
                                  ("server", "tairproxy")])
def test_the_tairproxy_section_comes_after_valkeys_own(client, args):
    text = client("INFO", *args).split(b"\r\n", 1)[1]
    at = text.index(b"# Tairproxy\r\n")
    assert at == 0 or text[at - 4:at] == b"\r\n\r\n"  # a section of its own, Valkey's spacing
    assert text.count(b"# Tairproxy\r\n") == 1
    assert text.endswith(b"\r\n") and b"# " not in text[at + 2:]  # the last section
    assert text[at:].startswith(b"# Tairproxy\r\ntairproxy_version:")


def test_other_sections_are_valkeys_bytes(client, valkey_url):
    for args in (("keyspace",), ("errorstats",), ("cluster",), ("bogus",), ("keyspace", "cluster")):
        assert client("INFO", *args) == _direct_raw(valkey_url, "INFO", *args), args
    assert b"# Tairproxy" not in client("INFO", "server")
    # Everything before our section has Valkey's sections and fields, in Valkey's order.
    ours = client("INFO", "everything").split(b"\r\n", 1)[1]
    ours = ours[: ours.index(b"# Tairproxy\r\n")]
    theirs = _direct_raw(valkey_url, "INFO", "everything").split(b"\r\n", 1)[1]

    def shape(text: bytes) -> list[bytes]:
        return [line.split(b":", 1)[0] for line in text.split(b"\r\n") if not line.startswith(b"module:")]

    assert shape(ours) == shape(theirs)


def test_info_inside_multi_and_in_resp3(observed, valkey_url):
    c = RawClient(observed.port)
    try:
        c("MULTI")
        assert c("INFO", "tairproxy") == b"+QUEUED\r\n"
        reply = c("EXEC")
        assert reply.startswith(b"*1\r\n$") and b"# Tairproxy\r\ntairproxy_version:" in reply
        c("HELLO", "3")
        reply = c("INFO", "tairproxy")  # a verbatim string, as Valkey's INFO in RESP3
        assert reply.startswith(b"=") and b"\r\ntxt:# Tairproxy\r\n" in reply and b"pinned_clients:" in reply
        assert c("INFO", "keyspace") == _direct_raw(valkey_url, "INFO", "keyspace", resp3=True)
    finally:
        c.close()


# ----- Prometheus --------------------------------------------------------------------------------

def test_metrics_are_scraped_over_http_and_move_with_commands(observed, client):
    before = _scrape(observed.metrics_url)
    assert _pipeline(client, *[("EXSET", f"m{i}", "v") for i in range(16)]) == [b"+OK\r\n"] * 16
    assert client("EXHSET", "h", "f", "v") == b":1\r\n"
    assert client("GET", "m1").startswith(b"-WRONGTYPE")
    assert client("EXGET", "m1", "extra").startswith(b"-ERR")  # an argument error still counts
    after = _scrape(observed.metrics_url)

    def delta(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("tairproxy_commands_total", command="exset") == 16
    assert delta("tairproxy_commands_total", command="exhset") == 1
    assert delta("tairproxy_commands_total", command="exget") == 1
    assert delta("tairproxy_commands_total", command="passthrough") == 1
    # Latency per family: every EXSET that reached Valkey, in buckets that add up.
    assert delta("tairproxy_command_duration_seconds_count", family="tairstring") == 16
    assert delta("tairproxy_command_duration_seconds_count", family="tairhash") == 1
    assert delta("tairproxy_command_duration_seconds_sum", family="tairstring") > 0
    buckets = sorted((float(dict(k[1])["le"]), v) for k, v in after.items()
                     if k[0] == "tairproxy_command_duration_seconds_bucket" and dict(k[1])["family"] == "tairstring")
    assert buckets[-1][0] == float("inf") and [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert buckets[-1][1] == _value(after, "tairproxy_command_duration_seconds_count", family="tairstring")
    # The 16 EXSETs went as one FCALL: one observation of 16 in the batch-size histogram.
    assert delta("tairproxy_batch_size_bucket", le="16.0") - delta("tairproxy_batch_size_bucket", le="8.0") == 1
    assert delta("tairproxy_batch_size_sum") == 17  # and the EXHSET alone
    assert delta("tairproxy_batches_total") == 1
    assert _value(after, "tairproxy_clients") >= 1
    assert _value(after, "tairproxy_upstream_connections") >= 1
    for kind in ("connect", "lost"):
        assert ("tairproxy_upstream_errors_total", (("kind", kind),)) in after
    assert ("tairproxy_upstream_failed_commands_total", ()) in after
    assert ("tairproxy_library_reloads_total", ()) in after


def test_a_run_of_mixed_commands_is_timed_per_family(observed, client):
    """One client's calls of one read travel as one run: each is counted and timed under its
    own family, those whose reply is an error included."""
    before = _scrape(observed.metrics_url)
    replies = _pipeline(client, ("EXSET", "mix", "1"), ("EXHSET", "mixh", "f", "v"), ("EXINCRBY", "mixh", "1"),
                        ("EXSET", "mix2", "2"), ("EXHSET", "mixh", "g", "w"))
    assert replies[0] == replies[3] == b"+OK\r\n" and replies[2].startswith(b"-WRONGTYPE")
    after = _scrape(observed.metrics_url)
    count = "tairproxy_command_duration_seconds_count"
    assert _value(after, count, family="tairstring") - _value(before, count, family="tairstring") == 3
    assert _value(after, count, family="tairhash") - _value(before, count, family="tairhash") == 2
    total = "tairproxy_commands_total"
    assert _value(after, total, command="exincrby") - _value(before, total, command="exincrby") == 1


def test_metrics_count_a_library_reload(observed, client, direct):
    before = _scrape(observed.metrics_url)
    direct.function_flush()
    assert client("EXSET", "r", "v") == b"+OK\r\n"  # reloaded transparently
    after = _scrape(observed.metrics_url)
    assert _value(after, "tairproxy_library_reloads_total") - _value(before, "tairproxy_library_reloads_total") == 1
    assert _info(client, "tairproxy")["library_reloads"] == str(int(_value(after, "tairproxy_library_reloads_total")))


# ----- slow commands -----------------------------------------------------------------------------

def test_slow_tair_commands_are_logged_with_command_key_and_time(observed, client, direct, caplog):
    with caplog.at_level(logging.WARNING, logger="tairproxy.slowlog"):
        assert client("EXSET", "quick", "v") == b"+OK\r\n"
        assert not caplog.records  # well under the threshold
        # Valkey holds writes for twice the threshold: the next EXSET waits for it.
        direct.execute_command("CLIENT", "PAUSE", SLOW_MS * 2, "WRITE")
        assert client("EXSET", "user:\xe9:1", "v") == b"+OK\r\n"
    (record,) = caplog.records
    message = record.getMessage()
    match = re.fullmatch(r"slow command EXSET key 'user:\xe9:1' took ([\d.]+) ms \(over --slowlog-ms 100\)", message)
    assert match and float(match.group(1)) >= SLOW_MS, message
    assert record.fields["command"] == "EXSET" and record.fields["ms"] >= SLOW_MS
    assert _value(_scrape(observed.metrics_url), "tairproxy_slow_commands_total") >= 1


def test_slowlog_and_metrics_are_off_by_default(proxy):
    assert proxy.server.ctx.observer is None


# ----- the command line, and --workers -----------------------------------------------------------

def _connect_many(port: int, n: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]


def _command(s: socket.socket, *args: str) -> bytes:
    s.sendall(encode_command([a.encode() for a in args]))
    return s.recv(65536)


def test_cli_serves_metrics_and_logs_slow_commands(valkey_url):
    metrics_port = free_port()
    p = ProxyProcess("--upstream", valkey_url, "--port", "0", "--metrics-port", metrics_port,
                     "--slowlog-ms", "0.001", "--stats-interval", "0").start()
    try:
        port = p.port
        p.wait_for(f"metrics at http://127.0.0.1:{metrics_port}/metrics")
        s = socket.create_connection(("127.0.0.1", port))
        assert _command(s, "EXSET", "cli:key", "v") == b"+OK\r\n"
        line = p.wait_for("slow command EXSET key 'cli:key' took")
        assert "WARNING" in line
        samples = _scrape(f"http://127.0.0.1:{metrics_port}/metrics")
        assert _value(samples, "tairproxy_commands_total", command="exset") == 1
        assert _value(samples, "tairproxy_clients") == 1
        s.close()
    finally:
        p.stop()


def test_workers_metrics_are_added_up_by_the_parent(valkey_url, tmp_path):
    metrics_port = free_port()
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    p = ProxyProcess("--upstream", valkey_url, "--port", free_port(), "--workers", "2",
                     "--metrics-port", metrics_port, "--stats-interval", "0", env={"TMPDIR": str(tmp_path)}).start()
    clients: list[socket.socket] = []
    try:
        port = p.port
        p.wait_for("metrics at http://")
        assert len(p.lines_with("metrics at http://")) == 1  # the parent's, not one per worker
        clients = _connect_many(port, 8)  # SO_REUSEPORT spreads them over both workers
        for i, s in enumerate(clients):
            assert _command(s, "EXSET", f"w:{i}", "v") == b"+OK\r\n"
        samples = _scrape_until(url, lambda s: _value(s, "tairproxy_commands_total", command="exset") == 8)
        assert _value(samples, "tairproxy_clients") == 8
        workers = [int(c) for c in Path(f"/proc/{p.proc.pid}/task/{p.proc.pid}/children").read_text().split()]
        assert sorted(f.name for f in tmp_path.glob("tairproxy-metrics-*/*.json")) == sorted(
            f"{pid}.json" for pid in workers)
        # A worker dies: its clients go, its counts stay.
        os.kill(workers[0], signal.SIGKILL)
        p.wait_for("starting a replacement")
        samples = _scrape_until(url, lambda s: _value(s, "tairproxy_clients") < 8)
        assert _value(samples, "tairproxy_commands_total", command="exset") == 8
        p.signal(signal.SIGTERM)
        assert p.wait() == 0
        assert not list(tmp_path.glob("tairproxy-metrics-*"))  # the parent cleans up
    finally:
        for s in clients:
            s.close()
        p.stop()


def _scrape_until(url: str, done, timeout: float = 10.0) -> dict:
    """Scrapes until ``done(samples)``: each worker writes its numbers once a second."""
    deadline = time.monotonic() + timeout
    while True:
        samples = _scrape(url)
        if done(samples):
            return samples
        assert time.monotonic() < deadline, samples
        time.sleep(0.2)


def test_metrics_port_in_use_stops_start_up(valkey_url):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        p = ProxyProcess("--upstream", valkey_url, "--port", "0", "--metrics-port", taken.getsockname()[1],
                         "--stats-interval", "0").start()
        assert p.wait() == 1
        assert "cannot serve metrics on 127.0.0.1 port" in p.log()
        assert "Traceback" not in p.log()
    finally:
        taken.close()
