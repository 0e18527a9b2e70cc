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
import time

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


def retry_after(value, now: float | None = None) -> float:
    """Seconds to wait, from a `Retry-After` header value: seconds (whole or not) or an HTTP date;
    anything unreadable gives the default. Always within [0, RETRY_AFTER_CAP]."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None:
        return RETRY_AFTER_DEFAULT
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return RETRY_AFTER_DEFAULT
        if when is None:
            return RETRY_AFTER_DEFAULT
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return RETRY_AFTER_DEFAULT
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


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
