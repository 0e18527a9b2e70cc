"""The Web API client the bot talks to Slack with: bounded retries, a short timeout."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

WEB_API_TIMEOUT = 10  # seconds per call

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


def build_client(token: str | None, api_url: str) -> WebClient:
    return WebClient(token=token, base_url=api_url, timeout=WEB_API_TIMEOUT, retry_handlers=retry_handlers())
