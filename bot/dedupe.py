"""First-time checks, so a redelivered event, a replayed command or a double click is acted on once.

This is not a conversation store (flow state rides in button values): it remembers only
which event ids, commands and clicked messages were already handled, for a bounded time and size.
`MemorySeenOnce` serves one process (the sandbox, the tests); `bot.storage.DatabaseSeenOnce`
serves every worker of every host through the bot's database (HTTP and Socket Mode), so a retry
delivered to another host, or after a restart, is still recognised.

A key is claimed before the work and settled once its next step exists. A claim that is neither
settled nor released (its worker died) lapses after `CLAIM_LEASE` seconds, so Slack's later retry
of an event that was never acknowledged is answered; a released key (the work failed and the person
was told) can be acted on again at once, so "please try again" can be done.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Protocol

DEFAULT_TTL = 3600.0  # Slack retries an event for about 6 minutes; a click race is seconds
CLAIM_LEASE = 15.0  # longer than any work before an ack; Slack's first retries come at 1 and 5 min


class SeenOnce(Protocol):
    def first(self, key: str) -> bool:
        """True the first time `key` is seen (within the time-to-live), False afterwards."""

    def claim(self, key: str, lease: float | None = CLAIM_LEASE) -> bool:
        """True for the first claim; it lapses after `lease` seconds unless settled."""

    def settle(self, key: str) -> None:
        """The claimed work is done: seen for the whole time-to-live."""

    def release(self, key: str) -> None:
        """The claimed work did not happen: the next claim wins."""


class MemorySeenOnce:
    def __init__(self, max_items: int = 10_000, ttl: float = DEFAULT_TTL):
        self.max_items = max_items
        self.ttl = ttl
        self._expires: OrderedDict[str, float] = OrderedDict()  # key -> when it lapses
        self._lock = threading.Lock()

    def first(self, key: str) -> bool:
        return self.claim(key, lease=None)

    def claim(self, key: str, lease: float | None = CLAIM_LEASE) -> bool:
        now = time.monotonic()
        with self._lock:
            while len(self._expires) >= self.max_items:
                self._expires.popitem(last=False)
            for _ in range(64):  # the oldest first; a short claim further in waits its turn
                oldest = next(iter(self._expires.items()), None)
                if oldest is None or oldest[1] > now:
                    break
                del self._expires[oldest[0]]
            until = self._expires.get(key)
            if until is not None and until > now:
                return False
            self._expires.pop(key, None)
            self._expires[key] = now + (self.ttl if lease is None else min(lease, self.ttl))
            return True

    def settle(self, key: str) -> None:
        with self._lock:
            if key in self._expires:
                self._expires[key] = time.monotonic() + self.ttl

    def release(self, key: str) -> None:
        with self._lock:
            self._expires.pop(key, None)

    def __len__(self) -> int:
        return len(self._expires)
