"""The Web API client the bot talks to Slack with: a short timeout, and no retries of its own.

Retries are the job runner's (bot/retries.py, bot/listeners/background.py): slack_sdk's retry
handlers sleep in the calling thread, and its rate-limit handler raises on a Retry-After that is
not a whole number. Only the start-up check (auth.test) keeps them.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

WEB_API_TIMEOUT = 4  # seconds per try; a hung call is tried again (bot/retries.py)

# slack_sdk builds a debug line of every request body unless its own loggers say otherwise
for _name in ("slack_sdk.web.base_client", "slack_sdk.webhook.client"):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.INFO)


def retry_handlers() -> list:
    """Connection errors, 5xx, and 429 (after its Retry-After) are retried, twice at most."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=2),
    ]


def build_client(token: str | None, api_url: str, *, retries: bool = False) -> WebClient:
    """`retries`: slack_sdk's own (sleeping) retries, for calls outside a request's job only."""
    handlers = retry_handlers() if retries else []
    return WebClient(token=token, base_url=api_url, timeout=WEB_API_TIMEOUT, retry_handlers=handlers)
