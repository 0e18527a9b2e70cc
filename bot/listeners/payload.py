"""Reading Slack payloads defensively: a field of the wrong JSON type reads as absent."""

from __future__ import annotations


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def as_str(value) -> str | None:
    return value if isinstance(value, str) and value else None
