"""Every command-line flag once, as data: its environment variable, parser, default and help.

A flag beats its ``TAIRPROXY_*`` variable, which beats the default. A bad value from either
ends start-up with one line naming where it came from — ``tairproxy: --port 70000: not a port
number (0-65535)`` or ``tairproxy: TAIRPROXY_PORT=abc: ...`` — never a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tairproxy import __version__
from tairproxy.cluster import ClusterMap
from tairproxy.embedded import DEFAULT_START_TIMEOUT
from tairproxy.logs import FORMATS, LEVELS
from tairproxy.upstream import UpstreamAddress

ENV_PREFIX = "TAIRPROXY_"
DEFAULT_MAX_BULK = 512 * 1024 * 1024  # Valkey's proto-max-bulk-len default
MAX_WORKERS = 256
DEFAULT_UPSTREAM_CONNECTIONS = 1
DEFAULT_GIS_CACHE_MB = 512
DEFAULT_CLIENT_OUTPUT = 256 * 1024 * 1024


class UsageError(ValueError):
    """A flag or variable with a bad value; the message is the whole one-line diagnosis."""


def default_data_dir() -> Path:
    """The same directory whatever the current directory: $XDG_DATA_HOME/tairproxy,
    else ~/.local/share/tairproxy."""
    base = os.environ.get("XDG_DATA_HOME")
    if not base:
        try:
            base = str(Path.home() / ".local" / "share")
        except RuntimeError:  # no home directory (a bare container user)
            return Path("tairproxy-data").resolve()
    return Path(base) / "tairproxy"


# ----- value parsers: str -> value, ValueError with a short reason -------------------------

def port(text: str) -> int:
    value = _integer(text, "a port number (0-65535)")
    if not 0 <= value <= 65535:
        raise ValueError("not a port number (0-65535)")
    return value


def workers(text: str) -> int:
    value = _integer(text, f"a number of workers (1-{MAX_WORKERS})")
    if not 1 <= value <= MAX_WORKERS:
        raise ValueError(f"not a number of workers (1-{MAX_WORKERS})")
    return value


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}


def size(text: str, allow_zero: bool = False) -> int:
    """Bytes, with Valkey's units: 512mb, 1gb, 64k (k = 1000, kb = 1024)."""
    m = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError("not a size in bytes (e.g. 536870912, 512mb, 1gb)")
    value = int(m.group(1)) * _UNITS[m.group(2).lower()]
    if value < 1 and not allow_zero:
        raise ValueError("must be at least 1 byte")
    return value


def size_or_zero(text: str) -> int:
    """A size as size() does, or 0 (no limit)."""
    return size(text, allow_zero=True)


def megabytes(text: str) -> int:
    value = _integer(text, "a number of megabytes")
    if value < 1:
        raise ValueError("must be at least 1 MB")
    return value


def connections(text: str) -> int:
    value = _integer(text, "a number of connections (1-64)")
    if not 1 <= value <= 64:
        raise ValueError("not a number of connections (1-64)")
    return value


def seconds(text: str, allow_zero: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number of seconds") from None
    if not (value >= 0 if allow_zero else value > 0) or value == float("inf"):
        raise ValueError("must be a number of seconds " + ("(0 = off)" if allow_zero else "above 0"))
    return value


def interval(text: str) -> float:
    return seconds(text, allow_zero=True)


def milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number of milliseconds") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError("must be a number of milliseconds (0 = off)")
    return value


def log_level(text: str) -> str:
    value = text.strip().lower()
    value = "warning" if value == "warn" else value
    if value not in LEVELS:
        raise ValueError("not one of " + ", ".join(LEVELS))
    return value


def log_format(text: str) -> str:
    value = text.strip().lower()
    if value not in FORMATS:
        raise ValueError("not one of " + ", ".join(FORMATS))
    return value


def upstream(text: str) -> str:
    address = UpstreamAddress.parse(text)  # ValueError for a bad scheme or port
    if address.unix_path == "":
        raise ValueError("unix:// needs a socket path")
    return text


_HOST = re.compile(r"[A-Za-z0-9_.:%\-]+")


def bind(text: str) -> str:
    hosts = text.split()
    if not hosts:
        raise ValueError("needs at least one address")
    for host in hosts:
        if not _HOST.fullmatch(host):
            raise ValueError(f"{host!r} is not an address")
    return text


def directory(text: str) -> Path:
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError("exists and is not a directory")
    return path.resolve()


def readable_file(text: str) -> str:
    if not os.path.isfile(text):
        raise ValueError("no such file")
    if not os.access(text, os.R_OK):
        raise ValueError("not readable")
    return text


def cluster_map(text: str) -> str:
    ClusterMap.parse(text, None)  # raises ValueError naming the bad entry
    return text


def port_offset(text: str) -> int | None:
    value = _integer(text, "a port offset")
    if not -65535 <= value <= 65535:
        raise ValueError("not a port offset (-65535..65535)")
    return value or None


def _integer(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"not {what}") from None


# ----- the table ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    flag: str
    parse: Callable[[str], object]
    default: object
    metavar: str
    help: str

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.dest.upper()


OPTIONS = (
    Option("--upstream", upstream, None, "URL",
           "Valkey to front: redis://[user:pass@]host:port, rediss:// (TLS) or unix:///path "
           "(default: start an embedded valkey-server)"),
    Option("--bind", bind, "127.0.0.1", "ADDRS",
           "addresses to listen on, space-separated like valkey-server's bind (default 127.0.0.1)"),
    Option("--port", port, 6380, "N", "port to listen on; 0 picks a free one (default 6380)"),
    Option("--data-dir", directory, None, "DIR",
           "embedded valkey-server's data directory, locked while in use "
           "(default $XDG_DATA_HOME/tairproxy, i.e. ~/.local/share/tairproxy)"),
    Option("--valkey-port", port, 0, "N", "embedded valkey-server's port (default: a free port)"),
    Option("--valkey-start-timeout", seconds, DEFAULT_START_TIMEOUT, "SECONDS",
           "give up on an embedded valkey-server that does not answer at all for this long; "
           f"one that is loading its data is waited for (default {DEFAULT_START_TIMEOUT:g})"),
    Option("--max-bulk-len", size, DEFAULT_MAX_BULK, "BYTES",
           "largest bulk string accepted from clients, units as Valkey's (default 512mb, "
           "as Valkey's proto-max-bulk-len)"),
    Option("--tls-cert-file", readable_file, None, "FILE", "serve clients over TLS with this certificate (PEM)"),
    Option("--tls-key-file", readable_file, None, "FILE", "private key of --tls-cert-file (PEM)"),
    Option("--tls-ca-cert-file", readable_file, None, "FILE",
           "CA to verify a rediss:// upstream with (default: the system's CAs)"),
    Option("--cluster-map", cluster_map, None, "MAP",
           "cluster sidecar mode: node_host:port=proxy_host:port,... so clients only see proxies"),
    Option("--cluster-port-offset", port_offset, None, "N",
           "cluster sidecar mode: proxy port = node port + N on the same host"),
    Option("--upstream-connections", connections, DEFAULT_UPSTREAM_CONNECTIONS, "N",
           "upstream connections shared by the clients that hold no server-side state, per worker "
           f"(default {DEFAULT_UPSTREAM_CONNECTIONS}); a client that needs state gets its own"),
    Option("--client-output-limit", size_or_zero, DEFAULT_CLIENT_OUTPUT, "BYTES",
           "unread replies a client on a shared connection may leave in the proxy before it is "
           "disconnected, as Valkey's client-output-buffer-limit, units as Valkey's; 0 = no limit "
           "(default 256mb)"),
    Option("--gis-cache-mb", megabytes, DEFAULT_GIS_CACHE_MB, "MB",
           "memory for the TairGis indexes of each proxy process, least recently used key evicted "
           f"first (default {DEFAULT_GIS_CACHE_MB})"),
    Option("--workers", workers, 1, "N",
           "proxy processes sharing the port (SO_REUSEPORT); a worker that dies is replaced "
           "(default 1)"),
    Option("--log-level", log_level, "info", "LEVEL", "one of " + ", ".join(LEVELS) + " (default info)"),
    Option("--log-format", log_format, "text", "FORMAT",
           "text (one line per event) or json (one object per line, for log shippers); default text"),
    Option("--stats-interval", interval, 60.0, "SECONDS",
           "log a line of statistics (clients, commands/s, errors) every SECONDS at info level; "
           "0 = off (default 60)"),
    Option("--metrics-port", port, 0, "N",
           "serve Prometheus metrics at http://<bind>:N/metrics (with --workers, the parent serves "
           "the sum of the workers'); 0 = off (default 0)"),
    Option("--slowlog-ms", milliseconds, 0.0, "MS",
           "log a warning for each Tair command whose reply took MS milliseconds or more from its "
           "arrival (command, key, time); 0 = off (default 0)"),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="tairproxy",
        description="Tair extension commands (TairString, TairHash, TairZset, TairBloom, TairGis) on "
        "stock Valkey. Every flag can also be set in the environment variable shown beside it.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                   help="print the version and exit")
    for opt in OPTIONS:
        p.add_argument(opt.flag, metavar=opt.metavar, default=None, help=f"{opt.help} [{opt.env}]")
    return p


def parse_args(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> argparse.Namespace:
    """Flags, then variables, then defaults; UsageError (one line) for any bad value."""
    environ = os.environ if environ is None else environ
    raw = build_parser().parse_args(argv)
    args = argparse.Namespace()
    for opt in OPTIONS:
        text = getattr(raw, opt.dest)
        source = f"{opt.flag} {text}"
        if text is None and environ.get(opt.env, "") != "":
            text = environ[opt.env]
            source = f"{opt.env}={text}"
        if text is None:
            value = opt.default
        else:
            try:
                value = opt.parse(text)
            except ValueError as exc:
                raise UsageError(f"{source}: {exc}") from None
        setattr(args, opt.dest, value)
    if args.data_dir is None:
        args.data_dir = default_data_dir()
    if args.tls_key_file and not args.tls_cert_file:
        raise UsageError("--tls-key-file needs --tls-cert-file")
    return args
