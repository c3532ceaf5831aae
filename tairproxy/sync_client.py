"""A blocking, pipelining RESP2 client for tools (``tairproxy migrate``), built on hiredis.

Replies come back as hiredis gives them: bytes, int, list, None, or a ``hiredis.ReplyError``
instance for an error reply (never raised). A pipeline is sent and read at the same time (one
``select`` loop), so a pipeline of any size cannot deadlock against a server — or a proxy — that
stops reading while its replies are not being read.
"""

from __future__ import annotations

import select
import socket
import ssl

import hiredis

from tairproxy.upstream import UpstreamAddress

Command = tuple[bytes, ...] | list[bytes]
CHUNK = 1 << 20


class SyncClient:
    def __init__(self, url: str, timeout: float = 60.0):
        self.address = UpstreamAddress.parse(url)
        if not isinstance(self.address, UpstreamAddress):
            raise ValueError(f"{url}: give a redis://, rediss:// or unix:// URL here")
        self.timeout = timeout
        a = self.address
        if a.unix_path:
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(timeout)
            sock.connect(a.unix_path)
        else:
            sock = socket.create_connection((a.host, a.port), timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            context = a.ssl_context()
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname=a.host)
        sock.setblocking(False)
        self.sock = sock
        self.reader = hiredis.Reader()
        self._out = memoryview(b"")
        self._expected = 0
        if a.password is not None:
            auth = (b"AUTH", *([a.username.encode()] if a.username else []), a.password.encode())
            reply = self.call(*auth)
            if isinstance(reply, hiredis.ReplyError):
                self.close()
                raise ConnectionError(f"AUTH to {a} failed: {reply}")

    def __str__(self) -> str:
        return str(self.address)

    def call(self, *args: bytes | str | int) -> object:
        return self.pipeline([args])[0]

    def pipeline(self, commands: list[Command]) -> list:
        self.start(commands)
        return self.finish()

    def start(self, commands: list[Command]) -> None:
        """Queue a pipeline and send what the socket takes now; ``finish`` reads its replies."""
        if self._expected:
            raise RuntimeError("finish() the previous pipeline first")
        pack = hiredis.pack_command
        self._out = memoryview(b"".join([pack(tuple(c)) for c in commands]))
        self._expected = len(commands)
        self._send_some()

    def finish(self) -> list:
        replies: list = []
        n, gets, sock = self._expected, self.reader.gets, self.sock
        while True:
            while len(replies) < n:
                reply = gets()
                if reply is False:
                    break
                replies.append(reply)
            if len(replies) == n:
                break
            writing = [sock] if self._out else []
            readable, writable, _ = select.select([sock], writing, [], self.timeout)
            if not readable and not writable:
                raise TimeoutError(f"no reply from {self.address} within {self.timeout}s")
            if writable:
                self._send_some()
            if readable:
                self._receive()
        self._expected = 0
        return replies

    def _send_some(self) -> None:
        out = self._out
        while out:
            try:
                sent = self.sock.send(out[:CHUNK])
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                break
            out = out[sent:]
        self._out = out

    def _receive(self) -> None:
        sock = self.sock
        while True:
            try:
                chunk = sock.recv(CHUNK)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return
            if not chunk:
                raise ConnectionError(f"{self.address} closed the connection")
            self.reader.feed(chunk)
            # A TLS socket may hold decrypted bytes select() cannot see; a plain one is drained.
            if not isinstance(sock, ssl.SSLSocket) or not sock.pending():
                return

    def close(self) -> None:
        self.sock.close()
