"""Test plumbing: a proxy on its own event-loop thread, and a byte-exact RESP client."""

from __future__ import annotations

import asyncio
import socket
import threading

from tairproxy.resp import encode_command, scan_reply
from tairproxy.server import ProxyServer, start_proxy


class ProxyThread:
    """A tairproxy running on a background event loop, so sync clients can use it."""

    def __init__(self, upstream: str, port: int = 0, **kwargs):
        self.upstream = upstream
        self.requested_port = port
        self.kwargs = kwargs
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: ProxyServer | None = None

    def start(self) -> ProxyThread:
        self.thread.start()
        fut = asyncio.run_coroutine_threadsafe(
            start_proxy(self.upstream, bind="127.0.0.1", port=self.requested_port, **self.kwargs), self.loop
        )
        self.server = fut.result(30)
        return self

    @property
    def port(self) -> int:
        return self.server.addresses[0][1]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.server is not None:
            asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class RawClient:
    """Sends commands and returns each reply's exact bytes, to check replies byte for byte."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = bytearray()

    def send(self, *args: str | bytes | int) -> None:
        self.sock.sendall(encode_command([_b(a) for a in args]))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self) -> bytes:
        while (reply := take_reply(self.buf)) is None:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("closed by peer")
            self.buf += chunk
        return reply

    def __call__(self, *args: str | bytes | int) -> bytes:
        self.send(*args)
        return self.read()

    def closed(self, timeout: float = 5.0) -> bool:
        """True when the peer closes the connection (after any pending replies)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def take_reply(buf: bytearray) -> bytes | None:
    """The first complete reply in ``buf``, removed from it; None while it is incomplete."""
    end = scan_reply(buf, 0) if buf else -1
    if end < 0:
        return None
    reply = bytes(buf[:end])
    del buf[:end]
    return reply


def rss(pid: int, field: str = "VmRSS") -> int:
    """A process's resident memory in bytes (Linux; ``VmHWM`` gives its peak)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


def _b(a: str | bytes | int | float) -> bytes:
    if isinstance(a, bytes):
        return a
    return str(a).encode()
