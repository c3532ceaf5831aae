"""Upstream = the current primary of a Sentinel-monitored group.

``sentinel://[user:pass@]host:port[,host:port...]/<primary-name>`` names the sentinels and the
group; ``user:pass`` are the data nodes' credentials (as in redis://), and the sentinels' own,
if they need any, go in the query: ``?sentinel_username=...&sentinel_password=...``.

The address asks the sentinels which node is the primary (and checks with ROLE that it is one),
connects there, and stays subscribed to ``+switch-master`` on one sentinel so a failover is
followed without a restart. It asks again whenever a connection to the primary fails and
whenever its subscription is lost (a switch may have been missed meanwhile). Whoever holds
connections to the old primary learns of a switch through ``on_switch``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from tairproxy.resp import Error
from tairproxy.upstream import ControlConnection, SwitchCallback, UpstreamAddress

log = logging.getLogger(__name__)

DEFAULT_SENTINEL_PORT = 26379
SWITCH_CHANNEL = "+switch-master"
# Seconds: one sentinel or node must answer within this; a silent subscription is pinged this often.
QUERY_TIMEOUT = 1.0
PING_EVERY = 5.0
RETRY_DELAY = 1.0  # between rounds over every sentinel when none answers


class NoPrimary(ConnectionError):
    """No sentinel named a reachable primary (none answers, or a failover is under way)."""


class SentinelAddress:
    def __init__(
        self,
        sentinels: list[tuple[str, int]],
        primary_name: str,
        username: str | None = None,
        password: str | None = None,
        sentinel_username: str | None = None,
        sentinel_password: str | None = None,
    ):
        if not sentinels:
            raise ValueError("a sentinel:// upstream needs at least one sentinel host:port")
        if not primary_name:
            raise ValueError("a sentinel:// upstream needs the primary's name: sentinel://host:port/<name>")
        self.sentinels = sentinels
        self.primary_name = primary_name
        self.username = username
        self.password = password
        self.sentinel_username = sentinel_username
        self.sentinel_password = sentinel_password
        self.tls = False
        self.primary: tuple[str, int] | None = None
        self._subscribers: list[SwitchCallback] = []
        self._discovering: asyncio.Future | None = None
        self._watcher: asyncio.Task | None = None

    @classmethod
    def parse(cls, url: str) -> SentinelAddress:
        u = urlsplit(url)
        userinfo, _, hosts = u.netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        sentinels = [_host_port(h) for h in hosts.split(",") if h]
        query = {k: v[-1] for k, v in parse_qs(u.query).items()}
        return cls(
            sentinels,
            unquote(u.path.strip("/")),
            username=unquote(user) if user else None,
            password=unquote(password) if colon else None,
            sentinel_username=query.get("sentinel_username"),
            sentinel_password=query.get("sentinel_password"),
        )

    def __str__(self) -> str:
        hosts = ",".join(f"{h}:{p}" for h, p in self.sentinels)
        primary = f" (primary {self.primary[0]}:{self.primary[1]})" if self.primary else ""
        return f"sentinel://{hosts}/{self.primary_name}{primary}"

    def ssl_context(self) -> None:
        return None

    # ----- connecting ----------------------------------------------------

    async def create_connection(self, loop: asyncio.AbstractEventLoop, factory):
        """A connection to the current primary; asks the sentinels again if it cannot be reached."""
        self._watch()
        address = self.primary or await self.discover()
        try:
            return await loop.create_connection(factory, *address)
        except OSError:
            fresh = await self.discover()
            if fresh == address:
                raise
            return await loop.create_connection(factory, *fresh)

    async def discover(self) -> tuple[str, int]:
        """Ask the sentinels for the primary (one question at a time, shared by every caller)."""
        if self._discovering is None:
            self._discovering = asyncio.ensure_future(self._ask_sentinels())
            self._discovering.add_done_callback(self._discovered)
        return await asyncio.shield(self._discovering)

    def _discovered(self, future: asyncio.Future) -> None:
        self._discovering = None
        if not future.cancelled() and future.exception() is None:
            self._set_primary(future.result())

    async def _ask_sentinels(self) -> tuple[str, int]:
        problems: dict[str, list[str]] = {}  # what went wrong -> the sentinels it happened with
        for host, port in self.sentinels:
            answer = await self._ask(host, port)
            if isinstance(answer, tuple):
                role = await self._role(answer)
                if role == "master":
                    return answer
                answer = f"names {answer[0]}:{answer[1]}, which is {role}"
            problems.setdefault(answer, []).append(f"{host}:{port}")
        details = "; ".join(f"sentinel {', '.join(where)} {what}" for what, where in problems.items())
        raise NoPrimary(f"no primary for {self.primary_name!r}: {details}")

    async def _ask(self, host: str, port: int) -> tuple[str, int] | str:
        """The primary one sentinel names, or what went wrong."""
        try:
            conn = await ControlConnection.open(self._sentinel(host, port), timeout=QUERY_TIMEOUT)
            try:
                reply = await conn.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.primary_name,
                                        timeout=QUERY_TIMEOUT)
            finally:
                conn.close()
        except (OSError, ConnectionError, TimeoutError) as exc:
            return f"does not answer ({exc or 'timeout'})"
        if not isinstance(reply, list) or len(reply) != 2:
            return f"does not know {self.primary_name!r} ({reply!r})"
        return reply[0].decode(), int(reply[1])

    async def _role(self, node: tuple[str, int]) -> str:
        """What the node says it is: 'master', 'slave', or why it could not say."""
        address = UpstreamAddress(host=node[0], port=node[1], username=self.username, password=self.password)
        try:
            conn = await ControlConnection.open(address, timeout=QUERY_TIMEOUT)
        except (OSError, ConnectionError, TimeoutError) as exc:
            return f"unreachable ({exc or 'timeout'})"
        try:
            reply = await conn.call("ROLE", timeout=QUERY_TIMEOUT)
        except (OSError, ConnectionError, TimeoutError) as exc:
            return f"unreachable ({exc or 'timeout'})"
        finally:
            conn.close()
        if isinstance(reply, Error) or not isinstance(reply, list) or not reply:
            return f"not answering ROLE ({reply!r})"
        return reply[0].decode()

    def _sentinel(self, host: str, port: int) -> UpstreamAddress:
        return UpstreamAddress(host=host, port=port, username=self.sentinel_username,
                               password=self.sentinel_password)

    # ----- following failovers ------------------------------------------

    def on_switch(self, callback: SwitchCallback) -> Callable[[], None]:
        """Call ``callback(old, new)`` whenever the primary moves. Returns the unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def _set_primary(self, new: tuple[str, int]) -> None:
        old, self.primary = self.primary, new
        if old == new:
            return
        if old is not None:
            log.warning("primary %r moved from %s:%d to %s:%d", self.primary_name, *old, *new)
        for callback in list(self._subscribers):
            try:
                callback(old, new)
            except Exception:
                log.exception("a failover subscriber failed")

    def _watch(self) -> None:
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.get_running_loop().create_task(self._follow())

    async def _follow(self) -> None:
        """Stay subscribed to +switch-master on some sentinel, forever."""
        while True:
            for host, port in self.sentinels:
                try:
                    await self._listen(host, port)
                except (OSError, ConnectionError, TimeoutError) as exc:
                    log.debug("sentinel %s:%d: %s", host, port, exc)
                except Exception:
                    log.exception("following sentinel %s:%d failed", host, port)
            await asyncio.sleep(RETRY_DELAY)

    async def _listen(self, host: str, port: int) -> None:
        conn = await ControlConnection.open(self._sentinel(host, port), timeout=QUERY_TIMEOUT)
        try:
            await conn.call("SUBSCRIBE", SWITCH_CHANNEL, timeout=QUERY_TIMEOUT)
            # Switches made while nobody listened are only known by asking.
            try:
                await self.discover()
            except NoPrimary as exc:
                log.warning("%s", exc)
            while True:
                try:
                    message = await conn.next_reply(timeout=PING_EVERY)
                except TimeoutError:
                    conn.send("PING")  # a silent sentinel must still answer this
                    message = await conn.next_reply(timeout=QUERY_TIMEOUT)
                self._on_message(message)
        finally:
            conn.close()

    def _on_message(self, message: object) -> None:
        # ["message", "+switch-master", "<name> <old ip> <old port> <new ip> <new port>"]
        if not (isinstance(message, list) and len(message) == 3 and message[0] == b"message"):
            return
        parts = message[2].decode(errors="replace").split()
        if len(parts) == 5 and parts[0] == self.primary_name:
            self._set_primary((parts[3], int(parts[4])))

    async def aclose(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            try:
                await watcher
            except asyncio.CancelledError:
                pass


def _host_port(text: str) -> tuple[str, int]:
    """host:port, [ipv6]:port or host alone (the sentinel's default port)."""
    if text.startswith("["):
        host, _, port = text[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = text.partition(":")
    return host, int(port) if port else DEFAULT_SENTINEL_PORT
