"""The Public API client against a stand-in for Segment on 127.0.0.1 (never the real Segment):
what it sends, how it retries, and what it tells a person when Segment says no."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.segment_api import (
    DEFAULT_BASE_URL,
    HalfCreatedPlan,
    MissingToken,
    PublicAPI,
    PublicAPIError,
    retry_after_seconds,
)
from tests.support.segment_api_standin import SegmentAPIStandIn

TOKEN = "sgp_SECRET-token-0123456789"
RULES = [
    {
        "type": "TRACK",
        "key": "Order Completed",
        "version": 1,
        "jsonSchema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"},
    }
]


@pytest.fixture
def standin():
    with SegmentAPIStandIn() as server:
        yield server


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def api(standin, waits) -> PublicAPI:
    return PublicAPI(TOKEN, standin.url, sleep=waits.append, timeout=5)


def assert_no_token(text: str) -> None:
    assert TOKEN not in text and "SECRET" not in text, text


# --------------------------------------------------------------------------- success


def test_creates_the_plan_then_replaces_its_rules_with_the_bearer_token(api, standin, waits):
    created = api.create_plan("Checkout plan", "what the bot planned", RULES)
    assert created.id == "tp_standin1" and created.name == "Checkout plan" and created.rules == 1
    assert [(c.method, c.path) for c in standin.calls] == [
        ("POST", "/tracking-plans"),
        ("PUT", "/tracking-plans/tp_standin1/rules"),
    ]
    create, rules = standin.calls
    assert create.body == {"name": "Checkout plan", "description": "what the bot planned", "type": "LIVE"}
    assert rules.body == {"rules": RULES}
    for call in standin.calls:
        assert call.headers["Authorization"] == f"Bearer {TOKEN}"
        assert call.headers["Content-Type"] == "application/json"
    assert standin.plans["tp_standin1"]["rules"] == RULES
    assert waits == []


def test_the_environment_gives_token_and_base_url_with_segments_own_by_default(standin):
    assert PublicAPI.from_env({"SEGMENT_PUBLIC_API_TOKEN": TOKEN}).base_url == DEFAULT_BASE_URL
    api = PublicAPI.from_env({"SEGMENT_PUBLIC_API_TOKEN": TOKEN, "SEGMENT_PUBLIC_API_URL": standin.url + "/"})
    assert api.base_url == standin.url
    assert api.create_tracking_plan("x") == "tp_standin1"
    assert_no_token(repr(api))


@pytest.mark.parametrize("env", [{}, {"SEGMENT_PUBLIC_API_TOKEN": "  "}])
def test_a_missing_token_says_which_variable_and_where_to_make_one(env):
    with pytest.raises(MissingToken) as raised:
        PublicAPI.from_env(env)
    message = str(raised.value)
    assert "SEGMENT_PUBLIC_API_TOKEN is not set" in message and "Access Management > Tokens" in message
    assert "\n" not in message


def test_a_base_url_that_is_not_http_is_refused_before_any_request():
    with pytest.raises(PublicAPIError, match="SEGMENT_PUBLIC_API_URL is not an http"):
        PublicAPI.from_env(
            {"SEGMENT_PUBLIC_API_TOKEN": TOKEN, "SEGMENT_PUBLIC_API_URL": "api.segmentapis.com"}
        )


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "status, words",
    [
        (401, ["401 Unauthorized", "SEGMENT_PUBLIC_API_TOKEN", "Access Management > Tokens"]),
        (403, ["403 Forbidden", "Workspace Owner", "Protocols"]),
        (404, ["404 Not Found", "SEGMENT_PUBLIC_API_URL", "eu1.api.segmentapis.com"]),
    ],
)
def test_refusals_are_one_line_that_says_what_to_do_and_are_not_retried(api, standin, waits, status, words):
    standin.fail(status, method="POST")
    with pytest.raises(PublicAPIError) as raised:
        api.create_plan("p", "", RULES)
    message = str(raised.value)
    assert raised.value.status == status and "\n" not in message
    for word in words:
        assert word in message, message
    assert len(standin.calls) == 1 and waits == []
    assert not isinstance(raised.value, HalfCreatedPlan)  # nothing was created


def test_a_validation_error_passes_on_what_segment_said(api, standin):
    standin.fail(
        422,
        method="POST",
        body={"errors": [{"type": "input-validation", "message": '"name" is required', "field": "name"}]},
    )
    with pytest.raises(PublicAPIError, match=r'\(422\).*"name" is required'):
        api.create_tracking_plan("p")


# --------------------------------------------------------------------------- retries


def test_429_is_retried_after_the_seconds_retry_after_gives(api, standin, waits):
    standin.fail(429, times=2, method="POST", headers={"Retry-After": "3"})
    assert api.create_plan("p", "", RULES).id == "tp_standin1"
    assert waits == [3.0, 3.0]
    assert [c.method for c in standin.calls] == ["POST", "POST", "POST", "PUT"]


def test_5xx_is_retried_with_exponential_backoff_then_succeeds(api, standin, waits):
    standin.fail(503, method="PUT")
    standin.fail(500, method="PUT")
    assert api.create_plan("p", "", RULES).id == "tp_standin1"
    assert waits == [1.0, 2.0]
    assert [c.method for c in standin.calls] == ["POST", "PUT", "PUT", "PUT"]


def test_segments_ms_before_next_is_honoured_when_there_is_no_retry_after(api, standin, waits):
    standin.fail(
        429,
        method="POST",
        body={
            "errors": [
                {
                    "type": "RequestError",
                    "message": "Too many requests",
                    "data": {"remainingPoints": 0, "msBeforeNext": 1500},
                }
            ]
        },
    )
    api.create_tracking_plan("p")
    assert waits == [1.5]


@pytest.mark.parametrize("value", ["soon", "1.5.2", "", "-", "NaN", "inf", "Thu, 99 Foo 2024"])
def test_a_retry_after_that_is_not_a_number_does_not_crash_and_falls_back_to_backoff(
    api, standin, waits, value
):
    standin.fail(429, method="POST", headers={"Retry-After": value})
    assert api.create_tracking_plan("p") == "tp_standin1"
    assert waits == [1.0]


def test_retry_after_reads_seconds_fractions_and_http_dates_and_waits_are_capped(api, standin, waits):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("2.5") == 2.5
    assert retry_after_seconds("-4") == 0.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=7), usegmt=True), now=now) == 7.0
    assert retry_after_seconds("nonsense") is None and retry_after_seconds(None) is None
    standin.fail(503, method="POST", headers={"Retry-After": "86400"})
    api.create_tracking_plan("p")
    assert waits == [api.max_wait]


def test_retries_are_bounded_and_the_last_answer_is_reported(api, standin, waits):
    standin.fail(429, times=10, method="POST")
    with pytest.raises(PublicAPIError) as raised:
        api.create_tracking_plan("p")
    assert len(standin.calls) == api.attempts == 4 and len(waits) == 3
    assert "429 Too Many Requests" in str(raised.value) and "4 tries" in str(raised.value)
    standin.failures.clear()
    standin.calls.clear()
    standin.fail(502, times=10, method="POST")
    with pytest.raises(PublicAPIError, match=r"failed \(502\) 4 times.*try again in a few minutes"):
        api.create_tracking_plan("p")
    assert len(standin.calls) == 4


# --------------------------------------------------------------------------- half created


def test_a_plan_created_whose_rules_fail_is_reported_with_its_id(api, standin):
    standin.fail(500, times=10, method="PUT")
    with pytest.raises(HalfCreatedPlan) as raised:
        api.create_plan("p", "", RULES)
    assert raised.value.plan_id == "tp_standin1"
    assert str(raised.value).startswith("created tracking plan tp_standin1 but setting its rules failed: ")
    assert "(500)" in str(raised.value)
    assert "tp_standin1" in standin.plans  # it is there, and the person knows it


def test_rules_for_a_plan_that_vanished_say_so(api, standin):
    with pytest.raises(PublicAPIError, match="tracking plan tp_gone was not found"):
        api.replace_rules("tp_gone", RULES)


# --------------------------------------------------------------------------- the token stays secret


def test_the_token_is_never_in_a_message_even_when_segment_echoes_it(api, standin):
    for status in (401, 403, 404, 409, 422, 500):
        standin.failures.clear()
        standin.fail(status, times=10, body={"errors": [{"type": "x", "message": f"bad token {TOKEN}"}]})
        with pytest.raises(PublicAPIError) as raised:
            api.create_plan("p", "", RULES)
        assert_no_token(str(raised.value))
        assert_no_token(repr(raised.value))


def test_an_unreachable_api_is_one_line_without_the_token(standin):
    url = standin.url
    standin.__exit__(None, None, None)  # nothing listens there any more
    api = PublicAPI(TOKEN, url, sleep=lambda s: None, timeout=2)
    with pytest.raises(PublicAPIError) as raised:
        api.create_tracking_plan("p")
    assert "cannot reach Segment's Public API" in str(raised.value) and "SEGMENT_PUBLIC_API_URL" in str(
        raised.value
    )
    assert_no_token(str(raised.value))


def test_a_redirect_is_not_followed_so_the_token_goes_nowhere_else(api, standin):
    standin.fail(307, method="POST", headers={"Location": "http://127.0.0.1:9/elsewhere"})
    with pytest.raises(PublicAPIError, match="redirect"):
        api.create_tracking_plan("p")
    assert len(standin.calls) == 1
