"""First-time checks, so a redelivered event or a double click is acted on once.

This is not a conversation store (flow state rides in button values): it remembers only
which event ids and clicked messages were already handled, for a bounded time and size.
`MemorySeenOnce` serves one process; `SqliteSeenOnce` serves every worker process of one host
through a shared file.
"""

from __future__ import annotations

import sqlite3
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


class SqliteSeenOnce:
    """Shared by the processes of one host: the primary key makes the first insert win."""

    PRUNE_EVERY = 500

    def __init__(self, path: str, ttl: float = DEFAULT_TTL):
        self.path = path
        self.ttl = ttl
        self._local = threading.local()
        self._count = 0
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            self._local.db = db
        return db

    def first(self, key: str) -> bool:
        db = self._connect()
        now = time.time()
        self._count += 1
        if self._count % self.PRUNE_EVERY == 0:
            db.execute("DELETE FROM seen WHERE at < ?", (now - self.ttl,))
        try:
            db.execute("INSERT INTO seen (key, at) VALUES (?, ?)", (key, now))
            return True
        except sqlite3.IntegrityError:
            row = db.execute("SELECT at FROM seen WHERE key = ?", (key,)).fetchone()
            if row and now - row[0] > self.ttl:
                db.execute("UPDATE seen SET at = ? WHERE key = ?", (now, key))
                return True
            return False
