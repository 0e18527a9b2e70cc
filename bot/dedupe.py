"""First-time checks, so a redelivered event or a double click is acted on once.

This is not a conversation store (flow state rides in button values): it remembers only
which event ids and clicked messages were already handled, for a bounded time and size.
`MemorySeenOnce` serves one process; `SqliteSeenOnce` serves every worker process of one host
through a shared file.
"""

from __future__ import annotations

import os
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
    """Shared by the processes of one host: the primary key makes the first insert win.

    One connection per process behind a lock, a small page cache, and rows pruned by age and
    count, so a long-running worker's memory stays flat.
    """

    PRUNE_EVERY = 500
    MAX_ROWS = 20_000  # Slack retries within minutes; far more than an hour of events
    CACHE_KIB = 256

    def __init__(self, path: str, ttl: float = DEFAULT_TTL):
        self.path = path
        self.ttl = ttl
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._pid = None
        self._count = 0
        self._connect().execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():  # a forked worker opens its own
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            db.execute(f"PRAGMA cache_size=-{self.CACHE_KIB}")
            self._db, self._pid = db, os.getpid()
        return self._db

    def first(self, key: str) -> bool:
        now = time.time()
        with self._lock:
            db = self._connect()
            self._count += 1
            if self._count % self.PRUNE_EVERY == 0:
                db.execute("DELETE FROM seen WHERE at < ?", (now - self.ttl,))
                db.execute(
                    "DELETE FROM seen WHERE key IN (SELECT key FROM seen ORDER BY at DESC LIMIT -1 OFFSET ?)",
                    (self.MAX_ROWS,),
                )
            try:
                db.execute("INSERT INTO seen (key, at) VALUES (?, ?)", (key, now))
                return True
            except sqlite3.IntegrityError:
                row = db.execute("SELECT at FROM seen WHERE key = ?", (key,)).fetchone()
                if row and now - row[0] > self.ttl:
                    db.execute("UPDATE seen SET at = ? WHERE key = ?", (now, key))
                    return True
                return False
