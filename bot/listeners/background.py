"""The work behind each Slack request: done before the ack when it fits the budget, retried on a
timer when Slack asks to wait, and never silently lost.

Why before the ack: Slack resends an event that was not acknowledged, and shows its own error for
a command or a click that was not. So when the work (the Web API calls) is done before the ack, a
worker that dies mid-way leaves no acknowledged request behind: Slack retries the event, and the
person sees Slack's error on the command. `Background.run` starts the work in the pool and waits
for it up to `ACK_BUDGET` (well under Slack's 3 s); Bolt answers the request when the listener
returns. Work that takes longer (a Web API call that hangs, a rate-limited channel) goes on after
the ack and ends with the person told if it fails (bot/listeners/delivery.py).

Retries hold no thread. A step that must be tried again raises `bot.retries.Retry`; the job is
then run again from the start after the delay, by a timer (`DelayQueue`), with every step that
already ran answered from its journal: each side effect (a Web API call, a seen-once claim, a log
line) happens once. Everything between the steps is pure, so the replay takes the same path.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import logging
import threading
import time
from concurrent.futures import Executor

from bot.retries import Retry

log = logging.getLogger("usecase_bot")

ACK_BUDGET = 2.0  # seconds of work before the ack; Slack waits 3
MAX_REPLAYS = 12  # every step's retries are bounded already; this bounds a job that misbehaves

_current: contextvars.ContextVar[Job | None] = contextvars.ContextVar("usecase_bot_job", default=None)


def step(action, *, final=None):
    """Run `action(attempt)` once per job: on a replay its first result is given back without
    running it again. `attempt` counts the tries of this step (0 first); the action raises Retry
    to be tried again later. Outside a job (a test calling the glue directly) it runs once, as a
    last attempt, and `final`, when given, is the attempt number it gets."""
    job = _current.get()
    if job is None:
        return action(final if final is not None else 1_000)
    return job.step(action)


def acknowledge() -> None:
    """What the person waits for is done: the ack may go now; the rest (bookkeeping) follows it."""
    job = _current.get()
    if job is not None:
        job.settled.set()


def on_defer(callback) -> None:
    """Call `callback()` once if the current job has to wait for a retry (the ack goes first)."""
    job = _current.get()
    if job is not None:
        job.defer_callbacks.append(callback)


class Job:
    """One request's work and its journal: the results of the steps done so far."""

    def __init__(self, work, args, kwargs, context: contextvars.Context):
        self.work, self.args, self.kwargs = work, args, kwargs
        self.context = context  # the request's context (the workspace its feedback is stored under)
        self.results: list = []
        self.attempts: dict[int, int] = {}
        self.cursor = 0
        self.replays = 0
        self.defer_callbacks: list = []
        self.deferred = False
        self.settled = threading.Event()  # done, failed, or waiting for a retry

    def step(self, action):
        index = self.cursor
        self.cursor += 1
        if index < len(self.results):
            return self.results[index]
        attempt = self.attempts.get(index, 0)
        try:
            value = action(attempt)
        except Retry:
            self.attempts[index] = attempt + 1
            raise
        self.results.append(value)
        return value

    def attempt(self) -> float | None:
        """Run the work once (replaying what is done); the delay before the next run, or None."""
        self.cursor = 0
        self.defer_callbacks = []  # registered again by the replay
        token = _current.set(self)
        try:
            self.work(*self.args, **self.kwargs)
            return None
        except Retry as retry:
            self.replays += 1
            if self.replays > MAX_REPLAYS:
                log.error("giving up on a Slack request after %d retries: %s", self.replays, retry.reason)
                return None
            return retry.delay
        except Exception:  # noqa: BLE001 - a bug in one reply must not take the worker down
            log.exception("answering a Slack request failed")
            return None
        finally:
            _current.reset(token)


class DelayQueue:
    """Runs `submit(fn)` after a delay, from one timer thread: waiting costs no pool thread."""

    def __init__(self):
        self._heap: list[tuple[float, int, object]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def later(self, delay: float, fn) -> None:
        with self._wake:
            if self._closed:
                return
            heapq.heappush(self._heap, (time.monotonic() + max(delay, 0.0), next(self._order), fn))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="usecase-bot-timer", daemon=True)
                self._thread.start()
            self._wake.notify()

    def pending(self) -> int:
        with self._wake:
            return len(self._heap)

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._heap.clear()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closed and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._wake.wait(None if not self._heap else self._heap[0][0] - time.monotonic())
                if self._closed:
                    return
                _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:  # noqa: BLE001 - the timer thread must keep going
                log.exception("a scheduled retry could not start")


class Background:
    """Runs each request's work in the pool, waits for it up to the ack budget, retries on timers."""

    def __init__(
        self,
        executor: Executor,
        timers: DelayQueue | None = None,
        budget: float = ACK_BUDGET,
        max_waiting: int = 32,
    ):
        self.executor = executor
        self.timers = timers or DelayQueue()
        self.budget = budget
        # an overloaded worker acks first: when this many requests already wait on their work, the
        # work would not fit the budget anyway, and a late ack is an error the person sees
        self.max_waiting = max_waiting
        self._waiting = 0
        self._count = threading.Lock()

    def run(self, work, *args, **kwargs) -> None:
        """Do `work(*args, **kwargs)` now, returning when it is done or has to wait (or after the
        budget, when it is slow: it goes on after the ack)."""
        job = Job(work, args, kwargs, contextvars.copy_context())
        if _current.get() is not None:  # already inside a job's thread: run it there
            self._attempt(job)
            return
        with self._count:
            wait = self._waiting < self.max_waiting
            self._waiting += wait
        self.executor.submit(self._attempt, job)
        if wait:
            try:
                job.settled.wait(self.budget)
            finally:
                with self._count:
                    self._waiting -= 1

    def _attempt(self, job: Job) -> None:
        delay = job.context.copy().run(job.attempt)
        if delay is None:
            job.settled.set()
            return
        if not job.deferred:
            job.deferred = True
            for callback in job.defer_callbacks:
                job.context.copy().run(_logged, callback)
        job.settled.set()  # the ack need not wait for the retry
        self.timers.later(delay, lambda: self.executor.submit(self._attempt, job))


def _logged(callback) -> None:
    try:
        callback()
    except Exception:  # noqa: BLE001
        log.exception("a deferred step's callback failed")
