"""File descriptors: how many clients fit, and raising the limit so that as many as possible do.

Each client connection holds one descriptor; a pinned client (MULTI/WATCH, blocking commands,
pub/sub, SELECT, ...) holds a second one for its own upstream connection. Shared upstream
connections, listeners, control connections, log files and the embedded server's pipes come
out of a fixed reserve. A client past the capacity must be answered Valkey's own
``ERR max number of clients reached``, never closed silently by a failing accept().
"""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Descriptors kept for everything that is not a client: listeners, shared upstream connections,
# control connections, stdio, log files, the embedded valkey-server's pipes.
RESERVED_FDS = 64
MAX_CLIENTS_ERROR = b"-ERR max number of clients reached\r\n"
LOW_CAPACITY = 1000


@dataclass(frozen=True)
class FdLimit:
    before: int  # soft limit found at start
    soft: int  # soft limit now
    hard: int

    @property
    def capacity(self) -> int:
        return client_capacity(self.soft)


def client_capacity(fd_limit: int | None = None, reserved: int = RESERVED_FDS) -> int:
    """How many unpinned clients fit in ``fd_limit`` (default: the current soft limit)."""
    if fd_limit is None:
        fd_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return max(fd_limit - reserved, 0)


def admits(clients: int, pinned: int, capacity: int) -> bool:
    """True when one more client fits: ``clients`` are connected, ``pinned`` of them pinned
    (each pinned one holds a second descriptor)."""
    return clients + pinned < capacity


def raise_fd_limit() -> FdLimit:
    """Raise the soft RLIMIT_NOFILE to the hard limit (children such as the embedded
    valkey-server inherit it) and log the resulting capacity."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else _kernel_max(soft)
    new = soft
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            new = target
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the file descriptor limit from %d to %d: %s", soft, target, exc)
    limit = FdLimit(before=soft, soft=new, hard=hard)
    fields = {"fd_limit": new, "fd_limit_before": soft, "max_clients": limit.capacity}
    raised = f"raised from {soft} to {new}" if new != soft else f"{new}"
    log.info("file descriptor limit %s: room for %d clients (a pinned client takes two descriptors)",
             raised, limit.capacity, extra={"fields": fields})
    if limit.capacity < LOW_CAPACITY:
        log.warning("only %d clients fit in %d file descriptors: raise the hard limit (ulimit -Hn, "
                    "LimitNOFILE=, docker --ulimit nofile=)", limit.capacity, new)
    return limit


def _kernel_max(current: int) -> int:
    try:
        with open("/proc/sys/fs/nr_open") as f:
            return int(f.read())
    except (OSError, ValueError):
        return current
