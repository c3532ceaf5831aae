"""Blocking Tair commands (EXBZPOPMIN/EXBZPOPMAX): first come, first served, without
holding a Valkey connection.

A blocking call is a non-blocking function polled by the proxy. Waiters queue per
(database, key) in arrival order and only the head of a key's queue polls, so a later
client never takes an element an earlier one is waiting for. A write this proxy sends to
a key wakes that key's head at once (no blind wait); writes that reach Valkey any other
way are found by polling with backoff (2 ms doubling to 100 ms). A waiter that gets its
element, times out or goes away hands the head to the next one, which polls at once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tairproxy.session import Slot

POLL_FIRST = 0.002
POLL_MAX = 0.1

Key = tuple[int, bytes]


class BlockingWaiters:
    def __init__(self) -> None:
        self._queues: dict[Key, deque[Slot]] = {}

    def __bool__(self) -> bool:
        return bool(self._queues)

    def describe(self) -> str:
        return ", ".join(
            f"{db}/{key!r}: " + " ".join(f"{s.session.client_id}{'*' if s.polling else ''}" for s in queue)
            for (db, key), queue in self._queues.items()
        ) or "empty"

    def arrive(self, slot: Slot, db: int, keys: list[bytes]) -> None:
        """Queue a new blocking call; it polls now if it is first in line for a key."""
        slot.block_keys = [(db, k) for k in keys]
        for key in slot.block_keys:
            queue = self._queues.setdefault(key, deque())
            # A waiter whose call is answered or whose client is gone never blocks the line.
            while queue and (queue[0].done or queue[0].session.closing):
                stale = queue.popleft()
                stale.block_keys = [k for k in stale.block_keys if k != key]
            queue.append(slot)
        loop = asyncio.get_running_loop()
        if slot.deadline != float("inf"):
            slot.expiry = loop.call_at(slot.deadline, self._expire, slot)
        if self._is_head(slot):
            self._poll(slot)

    def poll_later(self, slot: Slot) -> bool:
        """Its poll found nothing: poll again after a backoff, or False once timed out."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now >= slot.deadline:
            return False
        delay = min(slot.delay, slot.deadline - now)
        slot.delay = min(slot.delay * 2, POLL_MAX)
        slot.timer = loop.call_later(delay, self._poll, slot)
        return True

    def written(self, db: int, keys: list[bytes]) -> None:
        """This proxy wrote these keys: their first waiters look at once."""
        for k in keys:
            queue = self._queues.get((db, k))
            if queue:
                head = queue[0]
                if not head.polling:
                    head.delay = POLL_FIRST
                    self._poll(head)

    def leave(self, slot: Slot) -> None:
        """The call is answered (or its client gone): the next in line polls."""
        for timer in (slot.timer, slot.expiry):
            if timer is not None:
                timer.cancel()
        slot.timer = slot.expiry = None
        promoted = []
        for key in slot.block_keys:
            queue = self._queues.get(key)
            if not queue:
                continue
            was_head = queue[0] is slot
            try:
                queue.remove(slot)
            except ValueError:
                continue
            if not queue:
                del self._queues[key]
            elif was_head:
                promoted.append(queue[0])
        slot.block_keys = []
        for nxt in promoted:
            if not nxt.polling:
                nxt.delay = POLL_FIRST
                self._poll(nxt)

    def _is_head(self, slot: Slot) -> bool:
        return any(self._queues[key][0] is slot for key in slot.block_keys)

    def _poll(self, slot: Slot) -> None:
        if slot.timer is not None:
            slot.timer.cancel()
            slot.timer = None
        if slot.done or slot.session.closing:
            self.leave(slot)  # it cannot take an element any more: the next in line may
            return
        if slot.polling:
            return
        slot.polling = True
        slot.session.poll(slot)

    def _expire(self, slot: Slot) -> None:
        """The timeout passed while the call was not being polled: it answers nil now."""
        slot.expiry = None
        if not slot.polling and not slot.done:
            slot.session.blocking_timed_out(slot)
