"""Slack tokens at rest and in logs.

At rest: with `USECASE_TOKEN_KEY` set, every token the bot stores (bot tokens, refresh tokens)
is encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`). The variable holds
one key, or several separated by commas: the first encrypts, all of them decrypt (MultiFernet),
so a key is rotated by putting a new one first, running `usecase-bot db rotate-key` (which
re-encrypts every stored token with it), and then dropping the old one. A stored value carries
the prefix `fernet:`; one without it is a token stored before a key was set, read as it is and
encrypted by the next `rotate-key`.

In logs: `RedactTokens`, a logging filter on the bot's handlers, replaces anything shaped like a
Slack token with `xox…[redacted]`, whoever logged it.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re

PREFIX = "fernet:"
TOKEN_PATTERN = re.compile(r"\b(?:xoxe\.)?xox[a-z]-[0-9A-Za-z-]+|\bxapp-[0-9A-Za-z-]+")


class TokenKeyError(Exception):
    """USECASE_TOKEN_KEY is malformed, or cannot decrypt what is stored."""


def check_keys(raw: str | None) -> tuple[str, ...]:
    """The keys in USECASE_TOKEN_KEY (comma-separated), each checked to be a Fernet key: 32 bytes
    in URL-safe base64. Empty: no encryption."""
    keys = tuple(part.strip() for part in (raw or "").split(",") if part.strip())
    for index, key in enumerate(keys, 1):
        try:
            ok = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (binascii.Error, ValueError, UnicodeEncodeError):
            ok = False
        if not ok:
            which = f"key {index} of {len(keys)}" if len(keys) > 1 else "it"
            raise TokenKeyError(
                f"USECASE_TOKEN_KEY is not a Fernet key ({which} should be 32 bytes in URL-safe base64): "
                "create one with `usecase-bot db new-key`"
            )
    return keys


def new_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


class TokenCipher:
    """seal(token) -> what is stored; open(stored) -> the token. None stays None."""

    def __init__(self, keys: tuple[str, ...]):
        self.keys = keys
        if keys:
            from cryptography.fernet import Fernet, MultiFernet

            self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
        else:
            self._fernet = None

    @property
    def encrypts(self) -> bool:
        return self._fernet is not None

    def seal(self, value: str | None) -> str | None:
        if value is None or self._fernet is None or value.startswith(PREFIX):
            return value
        return PREFIX + self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, value: str | None) -> str | None:
        if value is None or not value.startswith(PREFIX):
            return value
        if self._fernet is None:
            raise TokenKeyError(
                "the stored tokens are encrypted but USECASE_TOKEN_KEY is not set: set it to the key they "
                "were encrypted with"
            )
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(value[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise TokenKeyError(
                "a stored token does not decrypt with any key in USECASE_TOKEN_KEY: keep the key it was "
                "encrypted with in the list (after the new one) until `usecase-bot db rotate-key` has run"
            ) from None

    def reseal(self, value: str | None) -> str | None:
        """`value` encrypted with the first key (plain values get encrypted; none when no key)."""
        if value is None or self._fernet is None:
            return value
        if not value.startswith(PREFIX):
            return self.seal(value)
        from cryptography.fernet import InvalidToken

        try:
            return PREFIX + self._fernet.rotate(value[len(PREFIX) :].encode("ascii")).decode("ascii")
        except InvalidToken:
            self.open(value)  # raises the explanation
            raise


def redact(text: str) -> str:
    return TOKEN_PATTERN.sub("xox…[redacted]", text)


class RedactTokens(logging.Filter):
    """Rewrites a record whose message holds a token-shaped string (the message is formatted
    here, once, so that arguments are covered too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's to report, not ours
            return True
        if "xox" in message or "xapp-" in message:
            record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            formatter = logging.Formatter()
            record.exc_text = formatter.formatException(record.exc_info)
        if record.exc_text and ("xox" in record.exc_text or "xapp-" in record.exc_text):
            record.exc_text = redact(record.exc_text)
        return True


def redact_logs(logger: logging.Logger | None = None) -> None:
    """Put RedactTokens on every handler of `logger` (default: the root logger), once."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())
