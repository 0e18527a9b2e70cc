"""Every way a person reaches the bot, end to end: signed requests in, what Slack shows out."""

from __future__ import annotations

import copy
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot import blocks
from bot.app import build_app
from bot.dedupe import MemorySeenOnce
from bot.matcher import Matcher
from bot.sandbox.people import buttons
from bot.sandbox.workspace import CHANNEL_ID, DM_ID
from tests.support.harness import Harness, identity_of, make_settings


def goal_of(catalog, index=0):
    return catalog.goals[index]


def click_goal(h: Harness, root, goal):
    h.slack.click(root, f"Choose {goal.name}")


def start_flow(h: Harness, goal):
    """/usecase, then pick `goal`: returns (root message, first question)."""
    mark = h.mark()
    sent = h.slack.slash(CHANNEL_ID, "")
    assert sent.status == 200
    root = h.wait_for_message("What is your main business goal?", after=mark)
    mark = h.mark()
    click_goal(h, root, goal)
    question = h.wait_for_message("Question 1 of", thread_ts=root.ts, after=mark)
    return root, question


def answer(h: Harness, question, label: str, expect: str):
    mark = h.mark()
    h.slack.click(question, label)
    return h.wait_for_message(expect, thread_ts=question.thread_ts, after=mark)


def texts(message) -> str:
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


def updated(h: Harness, ts: str, contains: str, channel: str = CHANNEL_ID):
    """The message at `ts` once it has been updated to contain `contains`."""
    return h.wait_until(
        lambda: (m := h.workspace.find(channel, ts)) is not None and contains in texts(m) and m,
        what=f"message {ts} to show {contains!r}",
    )


# ------------------------------------------------------------------ the guided flow


def test_usecase_posts_a_goal_chooser_as_a_thread_root(harness):
    mark = harness.mark()
    sent = harness.slack.slash(CHANNEL_ID, "")
    assert sent.status == 200 and sent.body == ""  # acked at once, nothing private
    root = harness.wait_for_message("What is your main business goal?", after=mark)
    assert root.thread_ts is None and not root.ephemeral
    labels = [b["accessibility_label"] for b in buttons(root.blocks)]
    assert labels == [f"Choose {g.name}" for g in harness.catalog.goals]
    assert "your own words" in texts(root)


def test_guided_flow_from_goal_to_recommendation_in_one_thread(harness):
    catalog = harness.catalog
    goal = goal_of(catalog)
    root, question = start_flow(harness, goal)

    chosen_root = updated(harness, root.ts, f"Goal: {goal.name}")
    assert not buttons(chosen_root.blocks)

    first = goal.considerations[0]
    assert first.question in texts(question)
    assert [b["text"] for b in buttons(question.blocks)] == ["Yes", "No", "Not sure", "← Back", "Start over"]

    current = answer(harness, question, "Yes", "Question 2 of")
    answered = updated(harness, question.ts, "answered *Yes*")
    assert not buttons(answered.blocks)
    for index in range(2, len(goal.considerations)):
        current = answer(harness, current, "No", f"Question {index + 1} of")
    recommendation = answer(harness, current, "No", "Recommended:")

    expected = catalog.use_cases[first.points_to[0]]
    assert len(first.points_to) == 1
    assert recommendation.thread_ts == root.ts
    body = texts(recommendation)
    fit = expected.goals[goal.id]
    assert f"Recommended: {expected.name}" in body and goal.name in body
    assert first.question in body  # why: the question answered Yes
    for event in expected.events:
        assert f"`{event}`" in body
    for kind in fit.sources:
        assert kind.replace("&", "&amp;") in body
    docs = [b for b in buttons(recommendation.blocks) if b["url"]]
    assert docs and docs[0]["url"] == expected.docs_url
    labels = {b["text"] for b in buttons(recommendation.blocks)}
    assert {"Setup details", "Tracking plan", "Other options", "Share to channel", "Start over"} <= labels

    # the details come on demand, in the same thread
    mark = harness.mark()
    harness.slack.click(recommendation, "Setup details")
    details = harness.wait_for_message("Setup details:", thread_ts=root.ts, after=mark)
    shown = texts(details)
    for event in expected.events:
        for prop in catalog.events[event].properties:
            assert getattr(prop, "name", prop) in shown
    for kind in fit.sources + fit.destinations:
        assert kind.replace("&", "&amp;") in shown
    assert "Setup checklist" in shown
    assert any("Helpful" in label for label in labels) and any("Not helpful" in label for label in labels)
    # every reply stayed in the thread of the /usecase message
    assert all(m.thread_ts == root.ts for m in harness.bot_messages(CHANNEL_ID) if m.ts != root.ts)


def _tied_question(catalog):
    for goal in catalog.goals:
        for index, consideration in enumerate(goal.considerations):
            if len(consideration.points_to) > 1:
                return goal, index, consideration
    pytest.fail(
        "the bundled catalog has no question that points to several use cases: "
        "this test needs one to rehearse a tie"
    )


def test_a_tie_asks_which_is_closest_and_the_pick_is_recommended(harness):
    catalog = harness.catalog
    goal, tied_index, consideration = _tied_question(catalog)
    _, current = start_flow(harness, goal)
    for index in range(len(goal.considerations)):
        label = "Yes" if index == tied_index else "Not sure"
        expect = "Which is closest?" if index == len(goal.considerations) - 1 else f"Question {index + 2} of"
        current = answer(harness, current, label, expect)
    offered = [b["accessibility_label"] for b in buttons(current.blocks) if b["text"] == "Choose"]
    assert offered == [f"Choose {catalog.use_cases[uc].name}" for uc in consideration.points_to]
    for uc in consideration.points_to:
        assert blocks.helps_you(catalog.use_cases[uc]) in texts(current)
    assert {"← Back", "Start over"} <= {b["text"] for b in buttons(current.blocks)}
    picked = catalog.use_cases[consideration.points_to[-1]]
    recommendation = answer(harness, current, f"Choose {picked.name}", f"Recommended: {picked.name}")
    assert consideration.question in texts(recommendation)
    updated(harness, current.ts, f"chose *{picked.name}*")


def test_all_no_shows_every_use_case_of_the_goal(harness):
    catalog = harness.catalog
    goal = goal_of(catalog, 1)
    _, current = start_flow(harness, goal)
    for index in range(len(goal.considerations)):
        expect = (
            "here are all of the use cases"
            if index == len(goal.considerations) - 1
            else f"Question {index + 2} of"
        )
        current = answer(harness, current, "No", expect)
    offered = [b["accessibility_label"] for b in buttons(current.blocks) if b["text"] == "Choose"]
    assert offered == [f"Choose {catalog.use_cases[uc].name}" for uc in goal.use_cases]


def test_back_returns_to_the_previous_question_then_to_the_goals(harness):
    goal = goal_of(harness.catalog, 2)
    root, q1 = start_flow(harness, goal)
    q2 = answer(harness, q1, "Yes", "Question 2 of")
    again = answer(harness, q2, "← Back", "Question 1 of")
    assert goal.considerations[0].question in texts(again) and again.ts != q1.ts
    updated(harness, q2.ts, "went back")
    intro = answer(harness, again, "← Back", "What is your main business goal?")
    assert intro.thread_ts == root.ts


def test_start_over_posts_the_goal_chooser_in_the_thread(harness):
    goal = goal_of(harness.catalog, 3)
    root, q1 = start_flow(harness, goal)
    intro = answer(harness, q1, "Start over", "What is your main business goal?")
    assert intro.thread_ts == root.ts
    updated(harness, q1.ts, "started over")
    # and the new chooser works like the first one
    mark = harness.mark()
    click_goal(harness, intro, goal)
    harness.wait_for_message("Question 1 of", thread_ts=root.ts, after=mark)


def test_a_restarted_process_continues_a_flow_in_progress(harness, stand_in, catalog):
    goal = goal_of(catalog)
    _, q1 = start_flow(harness, goal)
    q2 = answer(harness, q1, "Yes", "Question 2 of")
    # a new process: a new app, nothing remembered
    harness.app = build_app(
        make_settings(stand_in.api_url),
        catalog,
        identity=identity_of(stand_in.workspace),
        seen=MemorySeenOnce(),
    )
    q3 = answer(harness, q2, "No", "Question 3 of")
    assert goal.considerations[2].question in texts(q3)


def test_a_double_click_posts_the_next_question_once(harness):
    goal = goal_of(harness.catalog)
    root, q1 = start_flow(harness, goal)
    mark = harness.mark()
    as_shown = copy.deepcopy(q1)  # both presses on the same card, before its buttons are gone
    with ThreadPoolExecutor(2) as pool:
        sent = list(pool.map(lambda label: harness.slack.click(as_shown, label), ["Yes", "No"]))
    assert [s.status for s in sent] == [200, 200]
    harness.wait_for_message("already answered", after=mark, ephemeral=True)
    harness.settle()  # both clicks' work is done: nothing more will be posted
    nexts = [m for m in harness.bot_messages(CHANNEL_ID) if "Question 2 of" in m.text]
    assert len(nexts) == 1


# ------------------------------------------------------------------ free text


def test_usecase_with_a_clear_goal_answers_privately_until_shared(harness):
    mark = harness.mark()
    sent = harness.slack.slash(CHANNEL_ID, "we keep losing our biggest spenders")
    assert sent.status == 200
    recommendation = harness.wait_for_message("Recommended:", after=mark, ephemeral=True)
    body = texts(recommendation)
    assert f"<@{harness.workspace.human_id}> asked" in body
    assert "we keep losing our biggest spenders" in body and "Why this one" in body
    assert not harness.calls("chat.postMessage")  # nothing in the channel until Share

    as_shown = copy.deepcopy(recommendation)  # a double click: both presses on the same card
    harness.slack.click(as_shown, "Share to channel")
    harness.slack.click(as_shown, "Share to channel")  # the second shares nothing more
    shared = harness.wait_for_message("Recommended:", after=mark, ephemeral=False)  # the whole card
    assert shared.thread_ts is None
    harness.wait_until(lambda: "shared this to the channel" in texts(recommendation), what="the share noted")
    harness.settle()
    assert len(harness.calls("chat.postMessage")) == 1
    assert "Share to channel" not in {b["text"] for b in buttons(recommendation.blocks)}


def _ambiguous_text(catalog) -> str:
    matcher = Matcher(catalog)
    for text in ("lookalikes", "lookalike audiences", "personalize", "subscriptions", "app install"):
        if matcher.match(text).verdict == "ambiguous":
            return text
    pytest.fail(
        "none of the sample texts is a close call for the matcher any more: "
        "add one that is, so the did-you-mean flow stays tested"
    )


def test_a_close_call_asks_did_you_mean_privately_and_a_pick_is_posted(harness):
    text = _ambiguous_text(harness.catalog)
    mark = harness.mark()
    sent = harness.slack.slash(CHANNEL_ID, text)
    assert sent.status == 200
    private = harness.wait_for_message("Did you mean", after=mark, ephemeral=True)
    choices = [b for b in buttons(private.blocks) if b["text"] == "Choose"]
    assert 2 <= len(choices) <= 3
    assert "Start the guided flow" in {b["text"] for b in buttons(private.blocks)}
    name = choices[0]["accessibility_label"].removeprefix("Choose ")
    mark = harness.mark()
    harness.slack.click(private, choices[0]["accessibility_label"])
    answer = harness.wait_for_message(f"Recommended: {name}", after=mark, ephemeral=True)
    assert "you picked it from" in texts(answer)  # the why says it was a manual pick
    assert not harness.calls("chat.postMessage")  # still private


def test_text_out_of_scope_says_so_and_offers_the_guided_flow(harness):
    mark = harness.mark()
    harness.slack.slash(CHANNEL_ID, "where is the office wifi password")
    private = harness.wait_for_message("couldn't match", after=mark, ephemeral=True)
    assert "/usecase" in texts(private)  # an example of what works
    mark = harness.mark()
    harness.slack.click(private, "Start the guided flow")
    intro = harness.wait_for_message("What is your main business goal?", after=mark, ephemeral=False)
    assert intro.thread_ts is None


def test_help_and_list_answer_privately(harness):
    sent = harness.slack.slash(CHANNEL_ID, "help")
    assert sent.status == 200 and "/usecase" in json.dumps(sent.json()["blocks"])
    assert sent.json().get("response_type") == "ephemeral"
    listing = harness.slack.slash(CHANNEL_ID, "list").json()
    listed = json.dumps(listing["blocks"])
    for row in harness.catalog.rows():
        assert row.goal.name.replace("&", "&amp;") in listed and row.use_case.name in listed
    assert not [m for m in harness.bot_messages() if not m.ephemeral]


def test_a_mention_is_answered_in_its_thread(harness):
    message, sent = harness.slack.say(CHANNEL_ID, "@usecase-bot shoppers abandon their carts at checkout")
    assert sent.status == 200
    reply = harness.wait_for_message("Recommended:", thread_ts=message.ts)
    assert not reply.ephemeral and "Share to channel" in {b["text"] for b in buttons(reply.blocks)}


def test_a_mention_inside_a_thread_answers_in_that_thread(harness):
    root, _ = harness.slack.say(CHANNEL_ID, "we need a plan for next quarter")
    reply, sent = harness.slack.say(CHANNEL_ID, "@usecase-bot win back lapsed customers", thread_ts=root.ts)
    assert sent.status == 200 and reply.thread_ts == root.ts
    harness.wait_for_message("Recommended:", thread_ts=root.ts)


def test_a_bare_mention_gets_short_help(harness):
    message, _ = harness.slack.say(CHANNEL_ID, "@usecase-bot")
    harness.wait_for_message("I help your team pick the Segment use case", thread_ts=message.ts)


def test_a_direct_message_is_answered_in_the_dm(harness):
    message, sent = harness.slack.say(DM_ID, "turn free trials into paying customers")
    assert sent.status == 200
    reply = harness.wait_for_message("Recommended:", channel=DM_ID)
    assert reply.channel == DM_ID and reply.thread_ts is None  # a DM reads top to bottom: no "1 reply"
    # written in a thread of the DM, the answer stays in that thread
    reply_in_thread, sent = harness.slack.say(DM_ID, "what about cart abandonment?", thread_ts=reply.ts)
    harness.wait_for_message("Recommended:", channel=DM_ID, thread_ts=reply.ts)


def test_a_redelivered_event_gets_one_reply(harness):
    event = {
        "type": "app_mention",
        "user": harness.workspace.human_id,
        "channel": CHANNEL_ID,
        "text": f"<@{harness.workspace.bot_user_id}> abandoned carts",
        "ts": "1700000001.000100",
        "event_ts": "1700000001.000100",
    }
    body = harness.slack.event_body(event, event_id="Ev0REDELIVER")
    first = harness.slack.signed(body, "application/json")
    retry = harness.slack.signed(
        body,
        "application/json",
        extra_headers={"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"},
    )
    assert first.status == retry.status == 200
    harness.wait_for_message("Recommended:")
    harness.settle()  # the work after both acks is done
    assert len(harness.calls("chat.postMessage")) == 1


def test_bots_and_edits_are_never_answered(harness):
    for extra in (
        {"bot_id": "B0OTHER"},
        {"subtype": "bot_message", "bot_id": "B0OTHER"},
        {"subtype": "message_changed"},
        {"user": harness.workspace.bot_user_id},
    ):
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": DM_ID,
            "user": harness.workspace.human_id,
            "text": "abandoned carts",
            "ts": f"17000000{len(extra)}.000200",
            **extra,
        }
        sent = harness.slack.signed(harness.slack.event_body(event), "application/json")
        assert sent.status == 200
    harness.settle()  # whatever those acks started has finished
    assert harness.calls("chat.postMessage") == []
    # and the same DM from a person is answered: the bot was listening all along
    harness.slack.say(DM_ID, "abandoned carts")
    harness.wait_for_message("Recommended:", channel=DM_ID)


# ------------------------------------------------------------------ recommendation buttons


def _recommendation_in_thread(h: Harness):
    message, _ = h.slack.say(CHANNEL_ID, "@usecase-bot shoppers abandon their carts")
    return h.wait_for_message("Recommended:", thread_ts=message.ts)


def test_share_to_channel_posts_a_compact_copy_in_the_channel(harness):
    recommendation = _recommendation_in_thread(harness)
    mark = harness.mark()
    harness.slack.click(recommendation, "Share to channel")
    shared = harness.wait_for_message("shared a recommendation", after=mark)
    assert shared.thread_ts is None and len(shared.blocks) < len(recommendation.blocks)


def test_helpful_is_acknowledged_in_place_and_logged(harness, caplog):
    recommendation = _recommendation_in_thread(harness)
    with caplog.at_level(logging.INFO, logger="usecase_bot.feedback"):
        harness.slack.click(recommendation, ":thumbsup: Helpful")
        updated = harness.wait_until(
            lambda: (
                "found this helpful" in texts(harness.workspace.find(CHANNEL_ID, recommendation.ts))
                and harness.workspace.find(CHANNEL_ID, recommendation.ts)
            ),
            what="the thank-you",
        )
    assert not any("Helpful" in b["text"] for b in buttons(updated.blocks))
    assert "Recommended:" in texts(updated)  # the recommendation itself stays
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "usecase_bot.feedback"]
    assert logged and logged[0]["helpful"] is True and logged[0]["use_case"]


def test_other_options_lists_runners_up_that_can_be_picked(harness):
    recommendation = _recommendation_in_thread(harness)
    mark = harness.mark()
    harness.slack.click(recommendation, "Other options")
    options = harness.wait_for_message("Other options", after=mark, thread_ts=recommendation.thread_ts)
    choices = [b for b in buttons(options.blocks) if b["text"] == "Choose"]
    assert choices
    name = choices[0]["accessibility_label"].removeprefix("Choose ")
    mark = harness.mark()
    harness.slack.click(options, choices[0]["accessibility_label"])
    harness.wait_for_message(f"Recommended: {name}", after=mark, thread_ts=recommendation.thread_ts)


def test_start_over_from_a_recommendation_keeps_it_and_starts_below(harness):
    recommendation = _recommendation_in_thread(harness)
    mark = harness.mark()
    harness.slack.click(recommendation, "Start over")
    harness.wait_for_message(
        "What is your main business goal?", after=mark, thread_ts=recommendation.thread_ts
    )
    assert "Recommended:" in texts(harness.workspace.find(CHANNEL_ID, recommendation.ts))


# ------------------------------------------------------------------ broken input and faults


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "",
        "[]",
        '["0","f","","",""]',
        '["1","f","optimize-advertising","yy","0000"]',
        '["1","f","no-such-goal","",""]',
        '["1","c","no-such-use-case","optimize-advertising",null,[],[],""]',
        '["1","f","optimize-advertis',
        "x" * 3000,
    ],
)
def test_a_button_value_that_does_not_decode_says_the_prompt_expired(harness, value):
    root_mark = harness.mark()
    harness.slack.slash(CHANNEL_ID, "")
    root = harness.wait_for_message("What is your main business goal?", after=root_mark)
    mark = harness.mark()
    sent = harness.slack.click_action(
        root, {"action_id": "usecase.answer.y", "block_id": "b", "value": value}
    )
    assert sent.status == 200
    harness.wait_for_message("This prompt has expired", after=mark, ephemeral=True)


def test_a_value_for_another_goal_or_a_question_past_the_end_expires(harness, catalog):
    from bot import advisor

    goal = goal_of(catalog)
    _, q1 = start_flow(harness, goal)
    past_the_end = advisor.encode_flow(catalog, advisor.Flow(goal.id, "y" * len(goal.considerations)))
    mark = harness.mark()
    harness.slack.click_action(q1, {"action_id": "usecase.answer.y", "value": past_the_end})
    harness.wait_for_message("This prompt has expired", after=mark, ephemeral=True)


def test_user_text_is_escaped_wherever_it_is_echoed(harness):
    hostile = "<!channel> <@U0EVIL> <https://evil.example|click me> & <#C0OTHER|general> zzqx"
    message, _ = harness.slack.say(CHANNEL_ID, f"<@{harness.workspace.bot_user_id}> {hostile}")
    reply = harness.wait_for_message("couldn't match", thread_ts=message.ts)
    body = texts(reply)
    assert "&lt;!channel&gt;" in body and "&lt;@U0EVIL&gt;" in body and "&amp;" in body
    for raw in ("<!channel>", "<@U0EVIL>", "<https://evil.example", "<#C0OTHER"):
        assert raw not in body
    mark = harness.mark()
    harness.slack.slash(CHANNEL_ID, "stop losing top customers <!here> <https://evil.example|x>")
    posted = harness.wait_for_message("Recommended:", after=mark)
    assert "<!here>" not in texts(posted) and "&lt;!here&gt;" in texts(posted)


def test_a_channel_without_the_bot_gets_a_private_how_to(harness):
    harness.workspace.add_channel("C0NOBOT01", "random")
    mark = harness.mark()
    harness.slack.slash("C0NOBOT01", "")
    note = harness.wait_for_message("/invite @usecase-bot", channel="C0NOBOT01", after=mark, ephemeral=True)
    assert "What is your main business goal?" in texts(note)  # nothing lost: the flow itself comes along
    mark = harness.mark()
    harness.slack.slash("C0NOBOT01", "we keep losing our biggest spenders")  # private anyway
    harness.wait_for_message("Recommended:", channel="C0NOBOT01", after=mark, ephemeral=True)


def test_a_dm_between_other_people_suggests_a_dm_with_the_bot(harness):
    harness.workspace.add_channel("D0OTHERS1", "someone-else", kind="im")
    mark = harness.mark()
    harness.slack.slash("D0OTHERS1", "")
    harness.wait_for_message("Send me a direct message", channel="D0OTHERS1", after=mark, ephemeral=True)


def test_slack_errors_are_retried_then_reported(harness):
    harness.stand_in.api.fail("chat.postMessage", status=429, retry_after=0, times=1)
    harness.stand_in.api.fail("chat.postMessage", status=503, times=1)
    mark = harness.mark()
    harness.slack.slash(CHANNEL_ID, "")
    harness.wait_for_message("What is your main business goal?", after=mark)  # got through on the third try
    assert len(harness.calls("chat.postMessage")) == 3

    harness.stand_in.api.fail("chat.postMessage", status=500, times=3)
    mark = harness.mark()
    harness.slack.slash(CHANNEL_ID, "")
    harness.wait_for_message("couldn't post my answer", after=mark, ephemeral=True)


def test_a_failing_update_does_not_stop_the_flow(harness):
    goal = goal_of(harness.catalog)
    _, q1 = start_flow(harness, goal)
    harness.stand_in.api.fail("chat.update", error="message_not_found", times=1)
    answer(harness, q1, "Yes", "Question 2 of")


def test_web_api_errors_are_logged_without_the_token(harness, caplog):
    harness.stand_in.api.fail("chat.postMessage", error="invalid_blocks", times=1)
    with caplog.at_level(logging.INFO):
        mark = harness.mark()
        harness.slack.slash(CHANNEL_ID, "")
        harness.wait_for_message("couldn't post my answer", after=mark, ephemeral=True)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "chat.postMessage" in logged and "invalid_blocks" in logged
    assert "xoxb-" not in logged


# ------------------------------------------------------------------ the request gate


def test_unsigned_and_stale_requests_are_refused(harness):
    body, content_type = harness.slack.command_body(CHANNEL_ID, "")
    # an hour old: far outside Slack's five minutes, however slow the machine (the window's edges
    # are tested at a fixed clock in test_signing.py)
    stale = harness.slack.signed(body, content_type, timestamp=int(time.time()) - 3600)
    assert stale.status == 401
    status, _ = harness.dispatch(
        body,
        {
            "content-type": content_type,
            "x-slack-request-timestamp": str(int(time.time())),
            "x-slack-signature": "v0=" + "0" * 64,
        },
    )
    assert status == 401
    harness.settle()
    assert harness.workspace.calls == []


def test_url_verification_echoes_the_challenge(harness):
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    sent = harness.slack.signed(body, "application/json")
    assert sent.status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in sent.body
