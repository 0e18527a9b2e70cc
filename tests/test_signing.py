"""Slack's request signatures (bot/signing.py): Slack's own test vector, the five-minute window at
an explicit `now`, and junk headers that are refused without an exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from bot import signing
from tests.support.reference import SLACK_REFERENCE, fixture_text


@pytest.fixture(scope="module")
def vector() -> dict:
    """Slack's example from "Verifying requests from Slack" (tests/fixtures/slack/payloads)."""
    return json.loads(fixture_text(SLACK_REFERENCE / "payloads" / "signature_test_vector.json"))


def test_slacks_test_vector_is_signed_as_slack_signs_it(vector):
    signature = signing.sign(vector["signing_secret"], vector["body"].encode(), vector["timestamp"])
    assert signature == vector["expected_signature"]


def test_slacks_test_vector_verifies_at_its_own_time_and_not_when_tampered(vector):
    secret, body, ts = vector["signing_secret"], vector["body"].encode(), vector["timestamp"]
    signature, now = vector["expected_signature"], int(vector["timestamp"])
    assert signing.verify(secret, body, ts, signature, now=now)
    assert not signing.verify(secret, body + b" ", ts, signature, now=now)  # another body
    assert not signing.verify(secret, body, str(now + 1), signature, now=now)  # another timestamp
    assert not signing.verify("0" * len(secret), body, ts, signature, now=now)  # another secret
    assert not signing.verify(secret, body, ts, signature.upper(), now=now)
    assert not signing.verify(secret, body, ts, "v1=" + signature[3:], now=now)


@pytest.mark.parametrize(
    "offset, valid",
    [
        (0, True),
        (300, True),
        (-300, True),  # Slack's window: five minutes either side
        (301, False),
        (-301, False),
        (3600, False),
        (-3600, False),
        (10**9, False),
    ],
)
def test_the_replay_window_is_five_minutes_either_side(vector, offset, valid):
    secret, body, ts = vector["signing_secret"], vector["body"].encode(), vector["timestamp"]
    now = int(ts) + offset  # the request arrives `offset` seconds after it was signed
    assert signing.verify(secret, body, ts, vector["expected_signature"], now=now) is valid
    assert signing.REPLAY_WINDOW == 300


def test_signed_headers_verify_whatever_the_header_case():
    body = b"token=x&command=%2Fusecase&text=caf%C3%A9"
    headers = signing.signed_headers(
        "s3cret", body, "application/x-www-form-urlencoded", timestamp=1_700_000_000
    )
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert signing.verify_headers("s3cret", body, headers, now=1_700_000_000)
    shouted = {k.upper(): v for k, v in headers.items()}
    assert signing.verify_headers("s3cret", body, shouted, now=1_700_000_100)
    assert not signing.verify_headers("s3cret", body, shouted, now=1_700_000_301)
    assert not signing.verify_headers("other", body, headers, now=1_700_000_000)


@given(body=st.binary(max_size=200), ts=st.integers(0, 10**11))
def test_signing_is_slack_sdks_for_utf8_bodies_and_covers_the_raw_bytes_of_others(body, ts):
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    signature = signing.sign(secret, body, ts)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass  # slack_sdk cannot sign these; the endpoint still needs to tell "signed" from "not"
    else:
        assert signature == SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    assert signing.verify(secret, body, str(ts), signature, now=ts)
    assert not signing.verify(secret, body + b"x", str(ts), signature, now=ts)


junk_timestamps = st.one_of(
    st.none(),
    st.just(""),
    st.integers(),
    st.floats(),
    st.binary(max_size=12),
    st.text(max_size=20),  # "1.5", " 1700000000", "+1", "soon", …
    st.text(
        alphabet="0123456789\u00b2\u00b3\u00b9\u0663", min_size=1, max_size=12
    ),  # digits int() may refuse
    st.integers(13, 6000).map(lambda n: "9" * n),  # too long for any clock, past int()'s digit limit
)
junk_signatures = st.one_of(
    st.none(),
    st.just(""),
    st.integers(),
    st.binary(max_size=70),
    st.text(max_size=70),  # non-ASCII among it: hmac.compare_digest raises on those
    st.text(st.characters(min_codepoint=128), min_size=1, max_size=64).map(lambda t: "v0=" + t),
)


@given(timestamp=junk_timestamps, signature=junk_signatures, body=st.binary(max_size=50))
def test_junk_headers_are_refused_without_an_exception(timestamp, signature, body):
    assert (
        signing.verify("8f742231b10e8888abcd99yyyzzz85a5", body, timestamp, signature, now=1_700_000_000)
        is False
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "1700000000"},
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=" + "\u00e9" * 64},
        {"X-Slack-Request-Timestamp": "\u00b9" * 10, "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "1" * 4400, "X-Slack-Signature": "v0=" + "0" * 64},
    ],
)
def test_missing_or_malformed_headers_are_refused(headers):
    assert (
        signing.verify_headers("8f742231b10e8888abcd99yyyzzz85a5", b"x", headers, now=1_700_000_000) is False
    )
