"""A throw-away Tair-compatible server for test suites: an embedded valkey-server plus a
tairproxy on free loopback ports, run as one child process (``tairproxy --port 0``).

Used by the pytest plugin's ``tair_server`` fixture; usable on its own too::

    with TairServer(tmp_dir) as server:
        client = redis.Redis.from_url(server.url)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tairproxy.embedded import die_with_parent, stop_process


class TairServer:
    def __init__(self, directory: str | os.PathLike, start_timeout: float = 60.0):
        self.directory = Path(directory)
        self.start_timeout = start_timeout
        self.log_path = self.directory / "tairproxy.log"
        self.process: subprocess.Popen | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}"

    def start(self) -> TairServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "tairproxy", "--data-dir", str(self.directory / "data"),
                   "--port", "0", "--log-format", "json", "--stats-interval", "0", "--workers", "1"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAIRPROXY_")}
        with open(self.log_path, "wb") as log:
            # The server dies with the test run even when pytest itself is killed.
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                            preexec_fn=die_with_parent)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._read_port():
                return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"tairproxy did not start:\n{self.log_tail()}")
            time.sleep(0.05)

    def _read_port(self) -> bool:
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if "port" in record and "listening on" in record.get("message", ""):
                self.host, self.port = record["host"], int(record["port"])
                return True
        return False

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        proc, self.process = self.process, None
        stop_process(proc)  # SIGTERM: the proxy stops its valkey-server in order

    def __enter__(self) -> TairServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
