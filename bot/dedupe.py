"""First-time checks, so a redelivered event or a double click is acted on once.

This is not a conversation store (flow state rides in button values): it remembers only
which event ids and clicked messages were already handled, for a bounded time and size.
`MemorySeenOnce` serves one process (the sandbox, the tests); `bot.storage.DatabaseSeenOnce`
serves every worker of every host through the bot's database (HTTP and Socket Mode), so a retry
delivered to another host, or after a restart, is still recognised.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Protocol

DEFAULT_TTL = 3600.0  # Slack retries an event for about 6 minutes; a click race is seconds


class SeenOnce(Protocol):
    def first(self, key: str) -> bool:
        """True the first time `key` is seen (within the time-to-live), False afterwards."""


class MemorySeenOnce:
    def __init__(self, max_items: int = 10_000, ttl: float = DEFAULT_TTL):
        self.max_items = max_items
        self.ttl = ttl
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._seen:
                oldest_key, at = next(iter(self._seen.items()))
                if now - at <= self.ttl and len(self._seen) < self.max_items:
                    break
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def __len__(self) -> int:
        return len(self._seen)
