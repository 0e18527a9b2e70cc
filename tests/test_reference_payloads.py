"""Slack's real payload shapes (tests/fixtures/slack/payloads) are understood as sent."""

from __future__ import annotations

import json

import pytest

from tests.support.reference import SLACK_REFERENCE, fixture_text

PAYLOADS = SLACK_REFERENCE / "payloads"


def payload_text(name: str) -> str:
    return fixture_text(PAYLOADS / name).strip()


def posts(harness) -> list[dict]:
    return harness.calls("chat.postMessage")


def test_the_reference_slash_command_is_answered_with_its_text_escaped(harness):
    body = payload_text("slash_command.body.txt").replace(
        "https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0G9PQBBK%2F1234567890%2FAbCdEf0123",
        harness.workspace.new_response_url(harness.stand_in.base_url, "C0LAN2Q65", "U061F7AUR")
        .replace(":", "%3A")
        .replace("/", "%2F"),
    )
    sent = harness.slack.signed(body.encode(), "application/x-www-form-urlencoded")
    assert sent.status == 200
    # "onboarding for <@U0XYZ> & friends": answered publicly or privately, the mention stays inert
    if not sent.body:
        harness.wait_until(lambda: posts(harness), what="the answer")
    shown = sent.body + json.dumps(posts(harness))
    assert "<@U0XYZ>" not in shown and "&lt;@U0XYZ&gt;" in shown


@pytest.mark.parametrize("name", ["events_app_mention.json", "events_app_mention_in_thread.json"])
def test_reference_mentions_are_answered_in_their_thread(harness, name):
    envelope = json.loads(payload_text(name))
    sent = harness.slack.signed(json.dumps(envelope).encode(), "application/json")
    assert sent.status == 200
    harness.wait_until(lambda: posts(harness), what="a reply")
    event = envelope["event"]
    assert posts(harness)[0]["thread_ts"] == event.get("thread_ts") or event["ts"]
    assert posts(harness)[0]["channel"] == event["channel"]


def test_the_reference_direct_message_is_answered_with_the_catalog(harness):
    envelope = json.loads(payload_text("events_message_im.json"))  # "what use cases do you know?"
    sent = harness.slack.signed(json.dumps(envelope).encode(), "application/json")
    assert sent.status == 200
    harness.wait_until(lambda: posts(harness), what="a reply")
    reply = posts(harness)[0]
    assert reply["channel"] == envelope["event"]["channel"]
    assert "by business goal" in reply["text"]


def test_the_reference_url_verification_is_answered(harness):
    envelope = json.loads(payload_text("url_verification.json"))
    sent = harness.slack.signed(json.dumps(envelope).encode(), "application/json")
    assert sent.status == 200 and envelope["challenge"] in sent.body
