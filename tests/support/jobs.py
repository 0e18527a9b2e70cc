"""Waiting for the work the bot does after each ack, instead of sleeping.

`build_app` hands the Web API calls that follow an ack to a ThreadPoolExecutor it creates. A test
puts `TrackedPool`, a real ThreadPoolExecutor that also remembers the futures it was given, in
its place (`track_background_work`), then `Jobs.drain()` returns once every job, and every job
those jobs gave, is done: the moment after which nothing more can happen.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures

import bot.app
from bot.listeners.background import DelayQueue

JOB_TIMEOUT = 20.0  # generous: the work after an ack takes milliseconds here


class TrackedPool(ThreadPoolExecutor):
    """The thread pool build_app creates for the work after each ack, counting what it was
    given, so a test can wait for that work to finish instead of sleeping. It is a real
    ThreadPoolExecutor: behaviour is unchanged."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending: list = []
        self._track = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        with self._track:
            self._pending.append(future)
        return future

    def pending(self) -> list:
        with self._track:
            self._pending = [f for f in self._pending if not f.done()]
            return list(self._pending)


class Jobs:
    """Every TrackedPool made since `track_background_work`, and a way to wait for their work."""

    def __init__(self):
        self.pools: list[TrackedPool] = []
        self.timers: list[DelayQueue] = []  # retries waiting for their time

    def expect_pool(self) -> None:
        assert self.pools, (
            "build_app made no ThreadPoolExecutor to wait on: update track_background_work's hook"
        )

    def drain(self, timeout: float = JOB_TIMEOUT) -> None:
        """Wait until every job given to the pools (and every job those jobs gave) is done."""
        deadline = time.monotonic() + timeout
        while True:
            pending = [f for pool in self.pools for f in pool.pending()]
            waiting = sum(timers.pending() for timers in self.timers)
            if not pending and not waiting:
                return
            left = deadline - time.monotonic()
            assert left > 0, f"{len(pending) + waiting} background jobs still running after {timeout:.0f} s"
            if pending:
                wait_for_futures(pending, timeout=left)
            else:
                time.sleep(0.01)  # a retry waits on its timer; it becomes a pool job when due


def track_background_work(monkeypatch) -> Jobs:
    """From now on (for this test), the pools build_app creates are TrackedPools in the returned Jobs."""
    jobs = Jobs()

    class Pool(TrackedPool):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            jobs.pools.append(self)

    class Timers(DelayQueue):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            jobs.timers.append(self)

    monkeypatch.setattr(bot.app, "ThreadPoolExecutor", Pool)
    monkeypatch.setattr(bot.app, "DelayQueue", Timers)
    return jobs
