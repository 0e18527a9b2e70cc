"""Slack's request signatures, in one place: signing (the sandbox, tests, benchmarks) and checking
(the HTTP endpoint).

Built on slack_sdk's `SignatureVerifier`: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<body>` with the
signing secret, and a five-minute replay window. Two things are added around it:

- the signature covers the raw bytes of the body. slack_sdk decodes a bytes body as UTF-8 (and
  raises on other bytes); Slack only sends UTF-8, but a signed body that is not UTF-8 must still
  verify so that the endpoint can answer it 400 (malformed) rather than 401 (unsigned);
- `verify` never raises: junk headers (missing, non-ASCII, a timestamp that is not plain digits or
  too long for any clock) are simply not a valid signature. `now` is explicit for tests.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from slack_sdk.signature import Clock, SignatureVerifier

REPLAY_WINDOW = 60 * 5  # seconds either side of now; slack_sdk's SignatureVerifier uses the same
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds have 10 digits until the year 2286
TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"


class _FixedClock(Clock):
    def __init__(self, now: float):
        self._now = now

    def now(self) -> float:
        return self._now


class _RawBodyVerifier(SignatureVerifier):
    """slack_sdk's verifier, signing the body's raw bytes even when they are not UTF-8."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        if isinstance(body, bytes):
            try:
                body = body.decode("utf-8")
            except UnicodeDecodeError:  # Slack's formula, over bytes slack_sdk cannot decode
                base = b"v0:" + str(timestamp).encode() + b":" + body
                return "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return super().generate_signature(timestamp=timestamp, body=body)


def sign(secret: str, body: bytes, timestamp: int | str) -> str:
    """The `X-Slack-Signature` Slack would send for `body` at `timestamp`."""
    return _RawBodyVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)


def signed_headers(
    secret: str, body: bytes, content_type: str | None = None, *, timestamp: int | str | None = None
) -> dict[str, str]:
    """Slack's headers for `body` (lower-case names), signed now unless `timestamp` is given."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(secret, body, ts)}
    if content_type is not None:
        headers = {"content-type": content_type, **headers}
    return headers


def verify(
    secret: str, body: bytes, timestamp: object, signature: object, *, now: float | None = None
) -> bool:
    """True when `signature` is Slack's for `body` at `timestamp`, and `timestamp` is within five
    minutes of `now` (default: the clock). Never raises: anything malformed is False."""
    if not (
        isinstance(timestamp, str)
        and timestamp.isascii()
        and timestamp.isdigit()
        and len(timestamp) <= MAX_TIMESTAMP_DIGITS
    ):
        return False
    if not (isinstance(signature, str) and signature.isascii()):  # compare_digest takes ASCII only
        return False
    if not isinstance(body, (bytes, bytearray)) or not secret:
        return False
    clock = _FixedClock(time.time() if now is None else now)
    return _RawBodyVerifier(secret, clock=clock).is_valid(
        body=bytes(body), timestamp=timestamp, signature=signature
    )


def verify_headers(secret: str, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> bool:
    """`verify` with the timestamp and signature read from request headers (any case)."""
    lower = {str(k).lower(): v for k, v in headers.items()}
    return verify(secret, body, lower.get(TIMESTAMP_HEADER), lower.get(SIGNATURE_HEADER), now=now)
