"""bench/bench.py end to end on a tiny load: its own Valkey and proxy, redis-benchmark against both.

The bench measures, it is never a timed test: these only check that a run completes and that
every column it derives (ratio, per-process CPU, work ratio, the Lua floor's latency) is there
and sane, so the tool the README's numbers come from does not rot unnoticed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("redis-benchmark") is None, reason="needs redis-benchmark (apt-get install redis-tools)"
)


def _run_bench(tmp_path: Path, *only: str, requests: int = 3000) -> dict:
    out = tmp_path / "bench.json"
    args = [sys.executable, str(ROOT / "bench" / "bench.py"), "--requests", str(requests), "--min-seconds", "0",
            "--keyspace", "1000", "--no-anchors", "--json", str(out)]
    for name in only:
        args += ["--only", name]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out.read_text())


def test_a_tair_row_reports_every_process_cpu_and_the_work_ratio(tmp_path):
    # Long enough (~0.5 s through the proxy) for CPU counted in clock ticks to be non-zero.
    results = {r["name"]: r for r in _run_bench(tmp_path, "^exset-vs-set/P1$", requests=20_000)["results"]}
    row = results["exset-vs-set/P1"]
    assert row["direct"]["ops"] > 0 and row["proxy"]["ops"] > 0
    for side in ("direct", "proxy"):
        assert row[side]["client_cpu_s"] > 0  # redis-benchmark's own CPU, from getrusage
    assert row["proxy_cpu_us_per_op"] > 0 and row["valkey_cpu_us_per_op"] > 0
    # Direct SET costs the host less CPU per command than EXSET through the proxy and Lua.
    assert 0 < row["work_ratio"] < 1
    assert row["floor"]["ops"] > 0  # the library's function called straight at Valkey


def test_a_tair_latency_row_reports_the_lua_floor_p99(tmp_path):
    results = {r["name"]: r for r in _run_bench(tmp_path, "^latency-exget")["results"]}
    row = results["latency-exget-vs-get/c10"]
    assert row["floor_command"].startswith("FCALL_RO tp_exget 1 ")
    assert row["floor"]["p99_ms"] > 0 and row["proxy"]["p99_ms"] > 0 and row["direct"]["p99_ms"] > 0
