"""`python -m tairproxy ...` as a child process, with every log line it writes collected."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


class ProxyProcess:
    def __init__(self, *args: str, env: dict[str, str] | None = None, preexec_fn=None):
        self.args = [str(a) for a in args]
        self.env = env
        self.preexec_fn = preexec_fn
        self.lines: list[str] = []
        self.proc: subprocess.Popen | None = None
        self._eof = False
        self._changed = threading.Condition()

    def start(self) -> ProxyProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAIRPROXY_")}
        env.update(self.env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tairproxy", *self.args], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=env, preexec_fn=self.preexec_fn,
        )
        threading.Thread(target=self._collect, daemon=True).start()
        return self

    def _collect(self) -> None:
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 20.0, count: int = 1) -> str:
        """The ``count``-th line containing ``text``; fails with the log so far."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [line for line in self.lines if text in line]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    raise AssertionError(f"no line with {text!r} (exit {self.proc.poll()}):\n" + self.log())
                self._changed.wait(min(left, 0.1))

    def lines_with(self, text: str) -> list[str]:
        with self._changed:
            return [line for line in self.lines if text in line]

    def log(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    @property
    def port(self) -> int:
        line = self.wait_for("listening on")
        return int(re.search(r"listening on [^ ]+:(\d+)", line).group(1))

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 15.0) -> int:
        code = self.proc.wait(timeout)
        with self._changed:  # the last lines are in once the pipe is closed
            self._changed.wait_for(lambda: self._eof, timeout)
        return code

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def lock_holders(data_dir: Path) -> tuple[int, int]:
    """(proxy pid, valkey-server pid) recorded in the data directory's lock file."""
    proxy, server = (data_dir / "tairproxy.lock").read_text().split()
    return int(proxy), int(server)
