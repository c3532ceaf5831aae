"""Where Valkey is and a small control connection to it.

The control connection is the proxy's own (not a client's): it checks the
server at start-up and (re)loads the Lua library with the credentials from
the upstream URL, so a client whose ACL user may not run FUNCTION LOAD still
gets its Tair commands.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlparse

from tairproxy.resp import Error, encode_command, parse_reply, scan_reply


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
    def parse(cls, url: str, tls_ca_file: str | None = None) -> UpstreamAddress:
        """Accepts redis://, valkey://, rediss://, valkeys://, unix:// and host:port."""
        if "://" not in url:
            url = "redis://" + url
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
    async def open(cls, address: UpstreamAddress, timeout: float = 5.0) -> ControlConnection:
        if address.unix_path:
            coro = asyncio.open_unix_connection(address.unix_path)
        else:
            coro = asyncio.open_connection(address.host, address.port, ssl=address.ssl_context())
        reader, writer = await asyncio.wait_for(coro, timeout)
        conn = cls(reader, writer)
        if address.password is not None:
            auth = ["AUTH"] + ([address.username] if address.username else []) + [address.password]
            reply = await conn.call(*auth, timeout=timeout)
            if isinstance(reply, Error):
                conn.close()
                raise ConnectionError(f"upstream AUTH failed: {reply.decode(errors='replace')}")
        return conn

    async def call(self, *args: str | bytes, timeout: float = 10.0) -> object:
        parts = [a.encode() if isinstance(a, str) else a for a in args]
        self._writer.write(encode_command(parts))
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
