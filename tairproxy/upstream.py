"""Where Valkey is and a small control connection to it.

An address is either fixed (``UpstreamAddress``: redis://, rediss://, unix://) or the current
primary of a Sentinel-monitored group (``SentinelAddress``, in tairproxy/sentinel.py); both
offer ``create_connection``, ``ssl_context``, ``on_switch`` and ``aclose``, so the rest of the
proxy does not care which.

The control connection is the proxy's own (not a client's): it checks the
server at start-up and (re)loads the Lua library with the credentials from
the upstream URL, so a client whose ACL user may not run FUNCTION LOAD still
gets its Tair commands.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlparse

from tairproxy.resp import Error, encode_command, parse_reply, scan_reply

# (old primary or None, new primary), each as (host, port)
SwitchCallback = Callable[[tuple[str, int] | None, tuple[str, int]], None]


@dataclass(frozen=True, slots=True)
class UpstreamAddress:
    host: str = "127.0.0.1"
    port: int = 6379
    unix_path: str | None = None
    username: str | None = None
    password: str | None = None
    tls: bool = False
    tls_ca_file: str | None = None  # CA that signed the upstream's certificate (default: system CAs)

    @classmethod
    def parse(cls, url: str, tls_ca_file: str | None = None):
        """Accepts redis://, valkey://, rediss://, valkeys://, unix://, host:port, and
        sentinel://host:port[,host:port...]/<primary-name> (a SentinelAddress)."""
        if "://" not in url:
            url = "redis://" + url
        if url.startswith("sentinel://"):
            from tairproxy.sentinel import SentinelAddress

            return SentinelAddress.parse(url)
        u = urlparse(url)
        user = unquote(u.username) if u.username else None
        password = unquote(u.password) if u.password else None
        if u.scheme == "unix":
            return cls(unix_path=u.path, username=user, password=password)
        if u.scheme not in ("redis", "valkey", "rediss", "valkeys"):
            raise ValueError(f"unsupported upstream scheme {u.scheme!r}")
        return cls(
            host=u.hostname or "127.0.0.1",
            port=u.port or 6379,
            username=user,
            password=password,
            tls=u.scheme in ("rediss", "valkeys"),
            tls_ca_file=tls_ca_file,
        )

    def __str__(self) -> str:
        if self.unix_path:
            return f"unix://{self.unix_path}"
        return f"{'rediss' if self.tls else 'redis'}://{self.host}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext | None:
        return _client_tls_context(self.tls_ca_file) if self.tls else None

    async def create_connection(self, loop: asyncio.AbstractEventLoop, factory):
        if self.unix_path:
            return await loop.create_unix_connection(factory, self.unix_path)
        return await loop.create_connection(
            factory, self.host, self.port, ssl=self.ssl_context()
        )

    def on_switch(self, callback: SwitchCallback) -> Callable[[], None]:
        """A fixed address never moves: nothing to report. Returns the unsubscribe function."""
        return lambda: None

    async def aclose(self) -> None:
        pass


@lru_cache(maxsize=8)
def _client_tls_context(ca_file: str | None) -> ssl.SSLContext:
    # Built once: loading CAs per connection would dominate connection set-up.
    return ssl.create_default_context(cafile=ca_file)


class ControlConnection:
    """Request/response client for the proxy's own housekeeping commands."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer
        self._buf = bytearray()

    @classmethod
    async def open(cls, address, timeout: float = 5.0, authenticate: bool = True) -> ControlConnection:
        """A connection to the upstream; with ``authenticate`` it logs in with the URL's
        credentials, else it stays as any new client connection starts."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(reader)
        # asyncio.timeout, not wait_for: a cancel (a worker stopped during start-up) arriving as
        # the connection completes must not leave an unclosed transport behind.
        async with asyncio.timeout(timeout):
            transport, _ = await address.create_connection(loop, lambda: protocol)
        conn = cls(reader, asyncio.StreamWriter(transport, protocol, reader, loop))
        if authenticate and address.password is not None:
            auth = ["AUTH"] + ([address.username] if address.username else []) + [address.password]
            reply = await conn.call(*auth, timeout=timeout)
            if isinstance(reply, Error):
                conn.close()
                raise ConnectionError(f"upstream AUTH failed: {reply.decode(errors='replace')}")
        return conn

    async def call(self, *args: str | bytes, timeout: float = 10.0) -> object:
        self.send(*args)
        return await self.next_reply(timeout)

    def send(self, *args: str | bytes) -> None:
        self._writer.write(encode_command([a.encode() if isinstance(a, str) else a for a in args]))

    async def next_reply(self, timeout: float | None = 10.0) -> object:
        """The next reply or pushed message (after SUBSCRIBE)."""
        return await asyncio.wait_for(self._read_reply(), timeout)

    async def _read_reply(self) -> object:
        while True:
            if self._buf:
                end = scan_reply(self._buf, 0)
                if end >= 0:
                    value, _ = parse_reply(self._buf, 0)
                    del self._buf[:end]
                    return value
            chunk = await self._reader.read(65536)
            if not chunk:
                raise ConnectionError("upstream closed the connection")
            self._buf += chunk

    def close(self) -> None:
        self._writer.close()
