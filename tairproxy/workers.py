"""``--workers N``: forked proxy processes sharing the port, and the parent that keeps N alive.

The parent serves no clients. It owns the embedded valkey-server, replaces a worker that dies
(logging which one and why; its clients lose their connections, the other workers' clients
notice nothing) and stops everything when asked, or when a worker cannot start at all or the
embedded server dies — a supervisor above (systemd, Docker) then sees a non-zero exit.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from tairproxy.embedded import EmbeddedValkey, describe_exit, die_with_parent
from tairproxy.logs import set_worker

log = logging.getLogger("tairproxy.workers")

# A worker that exits with this code could not start (port in use, bad TLS file, ...):
# replacing it would fail the same way, so the whole proxy stops.
EXIT_STARTUP = 78
HEALTHY_AFTER = 10.0  # a worker that lived this long is replaced at once
MAX_BACKOFF = 30.0


@dataclass
class _Slot:
    index: int
    pid: int | None = None
    started: float = 0.0
    backoff: float = 0.0
    respawn_at: float | None = None


def worker_name(index: int) -> str:
    return f"w{index}"


class Supervisor:
    """Runs ``serve(index, replacement)`` in ``count`` forked children and keeps them alive."""

    def __init__(self, count: int, serve: Callable[[int, bool], int], embedded: EmbeddedValkey | None = None,
                 grace: float = 10.0, on_exit: Callable[[int], None] | None = None):
        self.slots = [_Slot(i) for i in range(1, count + 1)]
        self.serve = serve
        self.embedded = embedded
        self.grace = grace
        self.on_exit = on_exit  # called with the pid of each worker that exited
        self.status = 0
        self._stop_signal: int | None = None
        self._stop_deadline: float | None = None
        self._wake_r = self._wake_w = -1

    # ----- parent ------------------------------------------------------------------------

    def run(self) -> int:
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        old_fd = signal.set_wakeup_fd(self._wake_w)
        old = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)}
        try:
            for slot in self.slots:
                self._spawn(slot, replacement=False)
            while self._step():
                pass
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(old_fd)
            os.close(self._wake_r)
            os.close(self._wake_w)
        return self.status

    def _on_signal(self, signum: int, frame: object) -> None:
        if signum != signal.SIGCHLD and self._stop_signal is None:
            self._stop_signal = signum  # acted on in _step, outside the handler

    def _step(self) -> bool:
        """One round of supervision; False once every worker is gone after a stop."""
        select.select([self._wake_r], [], [], self._timeout())
        try:
            while os.read(self._wake_r, 512):
                pass
        except BlockingIOError:
            pass
        if self._stop_signal is not None and self._stop_deadline is None:
            log.info("%s received: stopping %d workers", signal.Signals(self._stop_signal).name, self._alive())
            self._stop()
        for slot in self.slots:
            self._reap(slot)
        self._check_embedded()
        now = time.monotonic()
        if self._stop_deadline is not None:
            if not self._alive():
                return False
            if now >= self._stop_deadline:
                for slot in self.slots:
                    if slot.pid is not None:
                        log.warning("worker %s (pid %d) did not stop within %g s: killing it",
                                    worker_name(slot.index), slot.pid, self.grace)
                        _kill(slot.pid, signal.SIGKILL)
                self._stop_deadline = now + self.grace
            return True
        for slot in self.slots:
            if slot.pid is None and slot.respawn_at is not None and now >= slot.respawn_at:
                self._spawn(slot, replacement=True)
        return True

    def _timeout(self) -> float:
        due = [s.respawn_at for s in self.slots if s.pid is None and s.respawn_at is not None]
        timeout = 0.5 if self.embedded is not None else 5.0  # the server is polled, not signalled
        if due:
            timeout = min(timeout, max(min(due) - time.monotonic(), 0.0))
        return timeout

    def _alive(self) -> int:
        return sum(slot.pid is not None for slot in self.slots)

    def _reap(self, slot: _Slot) -> None:
        if slot.pid is None:
            return
        try:
            pid, status = os.waitpid(slot.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = slot.pid, 0
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        name, lived = worker_name(slot.index), time.monotonic() - slot.started
        slot.pid = None
        if self.on_exit is not None:
            self.on_exit(pid)
        if self._stop_deadline is not None:
            return
        if code == EXIT_STARTUP:
            log.error("worker %s (pid %d) could not start: stopping tairproxy", name, pid)
            self.status = 1
            self._stop()
            return
        slot.backoff = 0.0 if lived >= HEALTHY_AFTER else min(max(slot.backoff * 2, 0.5), MAX_BACKOFF)
        slot.respawn_at = time.monotonic() + slot.backoff
        when = f"in {slot.backoff:g} s" if slot.backoff else "now"
        log.error("worker %s (pid %d) died after %.1f s: %s; starting a replacement %s",
                  name, pid, lived, describe_exit(code), when,
                  extra={"fields": {"dead_worker": name, "dead_pid": pid, "exit": describe_exit(code)}})

    def _check_embedded(self) -> None:
        if self.embedded is None or self._stop_deadline is not None:
            return
        code = self.embedded.exited()
        if code is not None:
            log.error("embedded valkey-server stopped (%s): tairproxy exits so that its supervisor can "
                      "restart it (see %s)", describe_exit(code), self.embedded.log_file)
            self.status = 1
            self._stop()

    def _stop(self) -> None:
        self._stop_deadline = time.monotonic() + self.grace
        for slot in self.slots:
            slot.respawn_at = None
            if slot.pid is not None:
                _kill(slot.pid, signal.SIGTERM)

    def _spawn(self, slot: _Slot, replacement: bool) -> None:
        parent = os.getpid()
        # A stop signal arriving between fork() and the child's own handlers would reach the
        # parent's handler in the child and be ignored: hold such signals until then.
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:
            self._child(slot.index, replacement, parent)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        slot.pid, slot.started, slot.respawn_at = pid, time.monotonic(), None
        if replacement:
            log.info("worker %s started (pid %d)", worker_name(slot.index), pid)

    # ----- child -------------------------------------------------------------------------


    def _child(self, index: int, replacement: bool, parent: int) -> None:
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            os.close(self._wake_r)
            os.close(self._wake_w)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            # Until the worker's loop installs its own handler, SIGTERM must still end it cleanly.
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            # Stop signals stay held until the worker's event loop has its handlers
            # (cli._serve unblocks them): one arriving in between would otherwise be lost.
            die_with_parent()
            if os.getppid() != parent:  # the parent died before the line above
                os._exit(0)
            set_worker(worker_name(index))
            sys.unraisablehook = _log_unraisable
            # A SIGTERM between making the worker's coroutine and running it is a clean stop,
            # not something to print in a line outside the log format.
            warnings.filterwarnings("ignore", message="coroutine .* was never awaited")
            code = self.serve(index, replacement)
        except KeyboardInterrupt:
            code = 0
        except BaseException:
            log.exception("worker %s failed", worker_name(index))
            code = 1
        finally:
            logging.shutdown()
            os._exit(code)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def _log_unraisable(unraisable) -> None:
    """An exception nothing could catch (a transport finalized after a worker's loop closed,
    when SIGTERM came in the middle of its start-up): one line in the log's format, not a
    traceback on stderr."""
    log.debug("ignored at shutdown: %s in %r", unraisable.exc_value, unraisable.object)
