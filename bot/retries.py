"""When to try a Web API call again, and after how long: the rules, kept apart from the calls.

A call that Slack rate-limited (HTTP 429) is tried again after its `Retry-After`; a timeout, a
refused or reset connection and a 5xx are tried again after a short, growing backoff. Either way
a bounded number of times, and never by sleeping in a thread: the caller raises `Retry` and the
job runner (bot/listeners/background.py) schedules the next attempt on a timer.
Slack documents `Retry-After` as a whole number of seconds
(https://docs.slack.dev/apis/web-api/rate-limits); anything else it might carry (a fraction, an
HTTP date, nothing, garbage) is read as best it can be, never raised on.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime

MAX_RATE_LIMITED = 3  # tries after a 429, each after its Retry-After
MAX_TRANSIENT = 2  # tries after a timeout, a connection failure or a 5xx
RETRY_AFTER_DEFAULT = 1.0  # seconds, when a 429 says nothing usable
RETRY_AFTER_CAP = 30.0  # a longer wait is capped: the person is waiting
BACKOFF_FIRST = 0.25  # seconds before the first retry of a transient failure; doubles each time
BACKOFF_CAP = 2.0


class Retry(Exception):  # noqa: N818 - a signal to the job runner, not an error
    """Try this step again after `delay` seconds."""

    def __init__(self, delay: float, reason: str):
        super().__init__(f"retry in {delay:.2f} s: {reason}")
        self.delay = delay
        self.reason = reason


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header's wait in seconds: delta-seconds or an HTTP date; None if unreadable."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def retry_after(value) -> float:
    """Seconds to wait, from a `Retry-After` header value (or the list of them); anything
    unreadable gives the default. Always within [0, RETRY_AFTER_CAP]."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    seconds = retry_after_seconds(value)
    return RETRY_AFTER_DEFAULT if seconds is None else min(seconds, RETRY_AFTER_CAP)


def backoff(attempt: int) -> float:
    """Seconds before retry number `attempt + 1` of a transient failure."""
    return min(BACKOFF_FIRST * (2**attempt), BACKOFF_CAP)


def next_try(status: int | None, headers, attempt: int) -> float | None:
    """Seconds until the next try of a failed call, or None when it should not be tried again.
    `status` is the HTTP status (None when no answer came: a timeout, a refused connection)."""
    if status == 429:
        if attempt >= MAX_RATE_LIMITED:
            return None
        return retry_after(_header(headers, "Retry-After"))
    if status is None or status >= 500:
        return backoff(attempt) if attempt < MAX_TRANSIENT else None
    return None


def _header(headers, name: str):
    if not headers:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == name.lower():
            return value
    return None
