"""First-time checks: once per key, across threads and processes, with bounded size."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

from bot.dedupe import MemorySeenOnce, SqliteSeenOnce


def test_memory_seen_once_is_first_once_and_bounded():
    seen = MemorySeenOnce(max_items=100)
    assert seen.first("a") and not seen.first("a")
    for i in range(1000):
        seen.first(str(i))
    assert len(seen) <= 100
    assert seen.first("a")  # long forgotten: bounded, not a leak


def test_memory_seen_once_forgets_after_its_time_to_live():
    seen = MemorySeenOnce(ttl=0)
    assert seen.first("k") and seen.first("k")


def test_sqlite_seen_once_lets_one_of_many_threads_win(tmp_path):
    seen = SqliteSeenOnce(str(tmp_path / "seen.db"))
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: seen.first("event:Ev1"), range(64)))
    assert results.count(True) == 1


def _claim(path: str, key: str, out) -> None:
    out.put(SqliteSeenOnce(path).first(key))


def test_sqlite_seen_once_lets_one_of_many_processes_win(tmp_path):
    path = str(tmp_path / "seen.db")
    SqliteSeenOnce(path)
    out = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_claim, args=(path, "event:Ev2", out)) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(20)
    results = [out.get(timeout=5) for _ in workers]
    assert results.count(True) == 1


def test_sqlite_seen_once_keeps_a_bounded_table(tmp_path):
    seen = SqliteSeenOnce(str(tmp_path / "seen.db"))
    seen.MAX_ROWS, seen.PRUNE_EVERY = 50, 10
    for i in range(500):
        seen.first(f"k{i}")
    rows = seen._connect().execute("SELECT COUNT(*) FROM seen").fetchone()[0]
    assert rows <= 60
