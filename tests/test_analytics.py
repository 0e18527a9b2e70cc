"""The bot's usage analytics through Segment's own library, against a local stand-in for
Segment's batch endpoint: each event with its properties and hashed ids, one message per Slack
occurrence, nothing without a write key, and a failing Segment that never reaches anyone."""

from __future__ import annotations

import copy
import json

import pytest

from bot.analytics import Analytics, message_id, pseudonym
from bot.app import build_app
from bot.dedupe import MemorySeenOnce
from bot.sandbox.workspace import CHANNEL_ID, HUMAN_ID, TEAM_ID
from bot.settings import SettingsError, load_settings
from tests.support.harness import Harness, identity_of, make_settings
from tests.support.jobs import track_background_work
from tests.support.segment_tracking_standin import SegmentTrackingStandIn

WRITE_KEY = "wk_test_0123456789"
SALT = "a-salt-for-tests-only"
ASK = "<@U0BOT1234> we keep losing our biggest spenders"


@pytest.fixture
def segment():
    with SegmentTrackingStandIn() as server:
        yield server


def harness_with(stand_in, catalog, matcher, monkeypatch, **settings):
    jobs = track_background_work(monkeypatch)
    app = build_app(
        make_settings(stand_in.api_url, **settings),
        catalog,
        identity=identity_of(stand_in.workspace),
        seen=MemorySeenOnce(),
        matcher=matcher,
    )
    jobs.expect_pool()
    return Harness(stand_in, app, catalog, jobs=jobs)


@pytest.fixture
def counted(stand_in, catalog, matcher, segment, monkeypatch):
    h = harness_with(
        stand_in,
        catalog,
        matcher,
        monkeypatch,
        analytics_write_key=WRITE_KEY,
        analytics_salt=SALT,
        analytics_host=segment.url,
    )
    yield h
    h.settle()


def test_a_recommendation_is_counted_with_hashed_ids_and_the_team_grouped_once(counted, segment):
    mark = counted.mark()
    message, _ = counted.slack.say(CHANNEL_ID, ASK)
    counted.wait_for_message("Recommended:", thread_ts=message.ts, after=mark)
    counted.slack.say(CHANNEL_ID, "<@U0BOT1234> shoppers leave items in the cart")
    (first, second) = segment.wait_for(
        lambda ms: len(segment.tracks("Use Case Recommended")) >= 2 and segment.tracks("Use Case Recommended")
    ) or (None, None)
    assert first["properties"] == {
        "use_case": "mitigate-high-value-churn",
        "goal": first["properties"]["goal"],
        "via": "mention",
        "verdict": "confident",
    }
    assert first["userId"] == pseudonym(SALT, "user", TEAM_ID, HUMAN_ID) != HUMAN_ID
    assert first["context"]["groupId"] == pseudonym(SALT, "team", TEAM_ID)
    assert HUMAN_ID not in json.dumps(segment.messages) and TEAM_ID not in json.dumps(segment.messages)
    groups = [m for m in segment.messages if m["type"] == "group"]
    assert len(groups) == 1 and groups[0]["traits"] == {}
    assert segment.write_key_of(segment.auth[0]) == WRITE_KEY


def test_a_redelivered_event_is_one_message_to_segment(counted, segment):
    event = {
        "type": "app_mention",
        "user": HUMAN_ID,
        "channel": CHANNEL_ID,
        "text": ASK,
        "ts": "1700000001.000100",
        "event_ts": "1700000001.000100",
    }
    body = counted.slack.event_body(event, event_id="Ev0ANALYTICS")
    counted.slack.signed(body, "application/json")
    counted.slack.signed(body, "application/json", extra_headers={"x-slack-retry-num": "1"})
    counted.settle()
    tracks = segment.wait_for(lambda ms: segment.tracks("Use Case Recommended"))
    ids = {m["messageId"] for m in tracks}
    assert len(ids) == 1 and ids == {
        message_id(f"message:{CHANNEL_ID}:{event['ts']}", "Use Case Recommended")
    }


def test_a_double_click_counts_once(counted, segment):
    mark = counted.mark()
    message, _ = counted.slack.say(CHANNEL_ID, ASK)
    card = counted.wait_for_message("Recommended:", thread_ts=message.ts, after=mark)
    as_shown = copy.deepcopy(card)
    counted.slack.click(as_shown, ":thumbsup: Helpful")
    counted.slack.click(as_shown, ":thumbsup: Helpful")
    counted.settle()
    rated = segment.wait_for(lambda ms: segment.tracks("Recommendation Rated"))
    counted.settle()
    assert len(segment.tracks("Recommendation Rated")) == 1
    assert rated[0]["properties"]["helpful"] is True


def test_every_event_the_issue_names_is_sent_with_its_properties(counted, segment):
    counted.slack.slash(CHANNEL_ID, "")  # the guided flow
    counted.slack.slash(CHANNEL_ID, "where is the office wifi password")  # no use case
    mark = counted.mark()
    message, _ = counted.slack.say(CHANNEL_ID, ASK)
    card = counted.wait_for_message("Recommended:", thread_ts=message.ts, after=mark)
    mark = counted.mark()
    counted.slack.click(card, "Tracking plan")
    chooser = counted.wait_for_message("pick a format", thread_ts=message.ts, after=mark)
    counted.slack.click(chooser, "CSV")
    names = ("Guided Flow Started", "No Use Case Matched", "Use Case Recommended", "Tracking Plan Requested")
    segment.wait_for(lambda ms: all(segment.tracks(n) for n in names))
    assert segment.tracks("Tracking Plan Requested")[0]["properties"]["format"] == "csv"
    unmatched = segment.tracks("No Use Case Matched")[0]["properties"]
    assert unmatched["reply"] == "off-topic" and "text" not in unmatched  # the kind of reply; no words sent


def test_nothing_is_sent_without_a_write_key(stand_in, catalog, matcher, segment, monkeypatch):
    h = harness_with(stand_in, catalog, matcher, monkeypatch)
    mark = h.mark()
    message, _ = h.slack.say(CHANNEL_ID, ASK)
    h.wait_for_message("Recommended:", thread_ts=message.ts, after=mark)
    h.settle()
    assert not segment.messages
    assert load_settings({}).analytics_write_key is None


def test_a_failing_segment_changes_no_reply(counted, segment, caplog):
    segment.failing = True
    mark = counted.mark()
    message, sent = counted.slack.say(CHANNEL_ID, ASK)
    assert sent.status == 200
    counted.wait_for_message("Recommended:", thread_ts=message.ts, after=mark)
    mark = counted.mark()
    counted.slack.slash(CHANNEL_ID, "")
    counted.wait_for_message("What is your main business goal?", after=mark)


def test_a_write_key_needs_a_salt():
    with pytest.raises(SettingsError, match="USECASE_ANALYTICS_SALT"):
        load_settings({"SEGMENT_WRITE_KEY": WRITE_KEY})


def test_words_are_sent_only_when_the_operator_allows_it(segment):
    allowed = Analytics(WRITE_KEY, SALT, host=segment.url, send_text=True)
    withheld = Analytics(WRITE_KEY, SALT, host=segment.url)
    from bot.analytics import Usage

    usage = Usage("No Use Case Matched", {"reply": "no_match", "text": "the snack cart is empty"})
    allowed.record([usage], team="T1", user="U1", slack_ids="a")
    withheld.record([usage], team="T1", user="U1", slack_ids="b")
    allowed.close()
    withheld.close()
    sent = segment.tracks("No Use Case Matched")
    assert sorted("text" in m["properties"] for m in sent) == [False, True]
