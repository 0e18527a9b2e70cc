"""Nothing acknowledged is lost: every way a Web API call can fail ends with the person told, a
rate-limited or hung call is tried again later, a failed step leaves its prompt usable, and what
should act once acts once, also across a restart. Driven through signed requests against the
loopback fake Web API, whose faults stand in for Slack's bad days."""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.app import build_app
from bot.dedupe import MemorySeenOnce
from bot.sandbox.people import buttons
from bot.sandbox.workspace import CHANNEL_ID
from bot.storage import open_database
from tests.support.harness import Harness, identity_of, make_settings
from tests.support.jobs import track_background_work
from tests.support.processes import wait_for

FOREVER = 3600.0  # a fault window longer than any test


def goal_chooser(h: Harness, channel: str = CHANNEL_ID):
    mark = h.mark()
    assert h.slack.slash(channel, "").status == 200
    return h.wait_for_message("What is your main business goal?", channel=channel, after=mark)


def told_privately(h: Harness, mark: int, contains: str = "couldn't post my answer", channel=CHANNEL_ID):
    return h.wait_for_message(contains, channel=channel, after=mark, ephemeral=True, timeout=15)


def labels(message) -> list[str]:
    return [b["text"] for b in buttons(message.blocks)]


def since(h: Harness, mark: int, channel: str = CHANNEL_ID) -> list:
    """The bot's messages in `channel` after the `mark`-th message of the workspace."""
    bot_user = h.workspace.bot_user_id
    return [m for m in h.workspace.snapshot()[mark:] if m.user == bot_user and m.channel == channel]


def short_timeout(h: Harness, seconds: float = 0.3) -> None:
    """Each Web API try gives up after `seconds` (the request clients copy the app client's)."""
    h.app.client.timeout = seconds


def recommendation(h: Harness):
    """A guided flow answered to its end: the recommendation in the thread."""
    goal = h.catalog.goals[0]
    root = goal_chooser(h)
    mark = h.mark()
    h.slack.click(root, f"Choose {goal.name}")
    current = h.wait_for_message("Question 1 of", thread_ts=root.ts, after=mark)
    for index in range(len(goal.considerations)):
        mark = h.mark()
        h.slack.click(current, "Yes" if index == 0 else "No")
        last = index == len(goal.considerations) - 1
        current = h.wait_for_message(
            "Recommended:" if last else f"Question {index + 2} of", thread_ts=root.ts, after=mark
        )
    return root, current


# ------------------------------------------------------------------ every failure reaches the person


# how the post fails, and whether trying again could help (an API error says what is wrong)
FAILURES = {
    "an API error (ok: false)": (dict(error="invalid_blocks"), False),
    "a server error (HTTP 500)": (dict(status=500), True),
    "a rate limit with a Retry-After that is not a number": (dict(status=429, retry_after="soon"), True),
    "a rate limit with a fractional Retry-After": (dict(status=429, retry_after="0.2"), True),
    "a post that hangs past the timeout": (dict(error="never_answered", hang=0.6), True),
}


@pytest.mark.parametrize("kind", FAILURES)
def test_every_kind_of_failed_post_is_told_to_the_person(harness, kind):
    h = harness
    short_timeout(h)  # the hang outlasts it
    fault, transient = FAILURES[kind]
    h.stand_in.api.fail("chat.postMessage", until=time.monotonic() + FOREVER, **fault)
    mark = h.mark()
    assert h.slack.slash(CHANNEL_ID, "").status == 200
    told = told_privately(h, mark)
    assert "try again" in told.text
    h.settle()
    tries = len(h.calls("chat.postMessage"))
    assert (tries > 1) == transient, f"{kind}: {tries} tries"
    assert tries <= 4  # bounded


def test_a_refused_connection_is_told_through_the_response_url(stand_in, catalog, matcher, monkeypatch):
    jobs = track_background_work(monkeypatch)
    with socket.socket() as probe:  # a port nothing listens on: every Web API call is refused
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"
    app = build_app(
        make_settings(dead),
        catalog,
        identity=identity_of(stand_in.workspace),
        seen=MemorySeenOnce(),
        matcher=matcher,
    )
    h = Harness(stand_in, app, catalog, jobs=jobs)
    mark = h.mark()
    assert h.slack.slash(CHANNEL_ID, "").status == 200
    told = told_privately(h, mark, "could not reach Slack")
    assert "try again" in told.text
    h.settle()


def test_a_rate_limited_post_arrives_once_after_its_wait(harness):
    h = harness
    h.stand_in.api.fail("chat.postMessage", status=429, retry_after=1, times=1)
    mark = h.mark()
    assert h.slack.slash(CHANNEL_ID, "").status == 200  # acked without waiting out the second
    h.wait_for_message("What is your main business goal?", after=mark, timeout=10)
    h.settle()
    posted = [m for m in since(h, mark) if "main business goal" in m.text]
    assert len(posted) == 1 and len(h.calls("chat.postMessage")) == 2


def test_a_hung_post_is_tried_again(harness):
    h = harness
    short_timeout(h)
    h.stand_in.api.fail("chat.postMessage", error="never_answered", hang=0.6, times=1)
    mark = h.mark()
    assert h.slack.slash(CHANNEL_ID, "").status == 200
    h.wait_for_message("What is your main business goal?", after=mark, timeout=10)


# ------------------------------------------------------------------ a step is used once its next exists


def test_a_failed_next_step_leaves_the_prompt_usable(harness):
    h = harness
    goal = h.catalog.goals[0]
    root = goal_chooser(h)
    before = labels(root)
    h.stand_in.api.fail("chat.postMessage", error="fatal_error", until=time.monotonic() + FOREVER)
    mark = h.mark()
    h.slack.click(root, f"Choose {goal.name}")
    told_privately(h, mark)
    h.settle()
    assert labels(h.workspace.find(CHANNEL_ID, root.ts)) == before  # its buttons are still there

    h.stand_in.api.clear_faults()  # Slack is back: the same button works
    mark = h.mark()
    h.slack.click(h.workspace.find(CHANNEL_ID, root.ts), f"Choose {goal.name}")
    h.wait_for_message("Question 1 of", thread_ts=root.ts, after=mark)
    h.settle()
    assert not [m for m in since(h, mark) if "already answered" in m.text]


# ------------------------------------------------------------------ one-shot buttons and commands


def concurrently(count: int, press) -> list:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: press(), range(count)))


@pytest.mark.parametrize("label", ["Share to channel", "Other options", "Start over"])
def test_five_clicks_at_once_act_once(harness, label):
    h = harness
    root, card = recommendation(h)
    as_shown = copy.deepcopy(card)  # five presses on the card as it was shown
    mark = h.mark()
    sent = concurrently(5, lambda: h.slack.click(as_shown, label))
    assert [s.status for s in sent] == [200] * 5
    h.settle()
    public = [m for m in since(h, mark) if not m.ephemeral]
    new_posts = [m for m in public if m.ts not in (root.ts, card.ts)]
    assert len(new_posts) == 1, [m.text[:60] for m in new_posts]
    refused = [m for m in since(h, mark) if m.ephemeral and "already" in m.text]
    assert len(refused) == 4


def test_a_replayed_slash_command_posts_once(harness):
    h = harness
    body, content_type = h.slack.command_body(CHANNEL_ID, "")
    mark = h.mark()
    sent = concurrently(3, lambda: h.slack.signed(body, content_type))  # one invocation, three copies
    assert [s.status for s in sent] == [200] * 3
    h.slack.signed(body, content_type)  # and once more, later
    h.settle()
    posted = [m for m in since(h, mark) if "main business goal" in m.text]
    assert len(posted) == 1


# ------------------------------------------------------------------ across a restart


def test_a_click_and_an_event_retry_straddling_a_restart_are_answered_once(
    stand_in, catalog, matcher, monkeypatch, tmp_path
):
    settings = make_settings(
        stand_in.api_url, data_dir=str(tmp_path)
    )  # the default: SQLite in the data folder

    def start():
        jobs = track_background_work(monkeypatch)
        database = open_database(settings)
        app = build_app(
            settings,
            catalog,
            identity=identity_of(stand_in.workspace),
            seen=database.seen_once(),
            matcher=matcher,
            database=database,
        )
        return Harness(stand_in, app, catalog, jobs=jobs), database

    before, database = start()
    root = goal_chooser(before)
    goal = catalog.goals[0]
    as_shown = copy.deepcopy(root)
    mark = before.mark()
    before.slack.click(as_shown, f"Choose {goal.name}")
    before.wait_for_message("Question 1 of", thread_ts=root.ts, after=mark)
    workspace = stand_in.workspace
    text = f"<@{workspace.bot_user_id}> we keep losing our biggest spenders"
    said = workspace.post(CHANNEL_ID, workspace.human_id, text, [])
    event = {
        "type": "app_mention",
        "user": workspace.human_id,
        "text": text,
        "ts": said.ts,
        "channel": CHANNEL_ID,
        "event_ts": said.ts,
        "team": workspace.team_id,
    }
    event_body = before.slack.event_body(event, event_id="Ev" + uuid.uuid4().hex[:10].upper())
    assert before.slack.signed(event_body, "application/json").status == 200
    before.wait_for_message("Recommended:", thread_ts=event["ts"], after=mark)
    before.settle()
    database.dispose()

    after, database = start()  # a new process on the same data folder
    mark = after.mark()
    after.slack.click(as_shown, f"Choose {goal.name}")  # the click again, after the restart
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert after.slack.signed(event_body, "application/json", extra_headers=retry).status == 200
    after.settle()
    database.dispose()
    new = since(after, mark)
    assert not [m for m in new if "Question 1 of" in m.text or "Recommended:" in m.text], [
        m.text for m in new
    ]
    assert [m for m in new if m.ephemeral and "already answered" in m.text]
    assert json.dumps(root.blocks)  # (the original card, unchanged by the replay)


# ------------------------------------------------------------------ an overloaded worker acks first


def test_an_overloaded_worker_acks_first_and_still_does_the_work():
    from bot.listeners.background import Background

    release, done = threading.Event(), []
    with ThreadPoolExecutor(4) as pool:
        background = Background(pool, budget=30.0, max_waiting=1)

        def work(name):
            release.wait(30)
            done.append(name)

        waiting = threading.Thread(target=background.run, args=(work, "first"), daemon=True)
        waiting.start()  # waits on its work, as a request does before its ack
        assert wait_for(lambda: background._waiting == 1)
        returned = threading.Event()
        threading.Thread(target=lambda: (background.run(work, "second"), returned.set()), daemon=True).start()
        assert returned.wait(10), "the second request waited although the worker was full"
        assert done == []  # acked before its work: that work goes on after the ack
        release.set()
        waiting.join(10)
    assert sorted(done) == ["first", "second"]
