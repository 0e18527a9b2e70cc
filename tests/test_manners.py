"""Slack manners, through signed requests: quiet by default, share once with a link back, DMs
like DMs, a way back from every list, a Start over that tidies the thread's root, a browsable
list, and a thumbs-down that asks what was missing."""

from __future__ import annotations

import copy
import json
import logging

from bot import action_ids
from bot.sandbox.people import buttons
from bot.sandbox.workspace import CHANNEL_ID, DM_ID
from tests.test_app_flows import start_flow, texts, updated

ASK = "<@U0BOT1234> we keep losing our biggest spenders"


def recommend_in_thread(h, text: str = ASK):
    mark = h.mark()
    message, sent = h.slack.say(CHANNEL_ID, text)
    assert sent is not None and sent.status == 200
    return message, h.wait_for_message("Recommended:", thread_ts=message.ts, after=mark)


def test_share_posts_once_in_the_channel_with_a_link_back_to_the_thread(harness):
    root, card = recommend_in_thread(harness)
    posts_before = len(harness.calls("chat.postMessage"))
    mark = harness.mark()
    as_shown = copy.deepcopy(card)  # a double click: both presses on the same card
    harness.slack.click(as_shown, "Share to channel")
    harness.slack.click(as_shown, "Share to channel")
    shared = harness.wait_for_message("shared a recommendation", after=mark)
    harness.settle()
    assert shared.thread_ts is None
    assert len(harness.calls("chat.postMessage")) == posts_before + 1  # once
    (link,) = harness.calls("chat.getPermalink")
    assert link["message_ts"] == root.ts
    assert "View the whole conversation" in texts(shared) and f"/p{root.ts.replace('.', '')}" in texts(shared)
    marked = updated(harness, card.ts, "shared this to the channel")
    assert "Share to channel" not in {b["text"] for b in buttons(marked.blocks)}


def test_sharing_from_a_dm_asks_which_channel_and_posts_there(harness):
    mark = harness.mark()
    harness.slack.say(DM_ID, "we keep losing our biggest spenders")
    card = harness.wait_for_message("Recommended:", channel=DM_ID, after=mark)
    mark = harness.mark()
    harness.slack.click(card, "Share to channel")
    picker = harness.wait_for_message("Share to which channel?", channel=DM_ID, after=mark, ephemeral=True)
    select = next(b for b in picker.blocks if b["type"] == "actions")
    action = {
        "action_id": select["elements"][0]["action_id"],
        "block_id": select["block_id"],
        "type": "conversations_select",
        "selected_conversation": CHANNEL_ID,
    }
    mark = harness.mark()
    harness.slack.click_action(picker, action)
    shared = harness.wait_for_message("shared a recommendation", channel=CHANNEL_ID, after=mark)
    assert shared.thread_ts is None
    assert not any(m.channel == DM_ID and "shared a recommendation" in m.text for m in harness.bot_messages())


def test_sharing_from_a_dm_to_a_channel_without_the_bot_says_how_to_invite_it(harness):
    harness.workspace.add_channel("C0NOBOT02", "marketing")
    mark = harness.mark()
    harness.slack.say(DM_ID, "we keep losing our biggest spenders")
    card = harness.wait_for_message("Recommended:", channel=DM_ID, after=mark)
    harness.slack.click(card, "Share to channel")
    picker = harness.wait_for_message("Share to which channel?", channel=DM_ID, after=mark, ephemeral=True)
    select = next(b for b in picker.blocks if b["type"] == "actions")
    mark = harness.mark()
    harness.slack.click_action(
        picker,
        {
            "action_id": select["elements"][0]["action_id"],
            "block_id": select["block_id"],
            "type": "conversations_select",
            "selected_conversation": "C0NOBOT02",
        },
    )
    harness.wait_for_message("/invite @usecase-bot", channel=DM_ID, after=mark, ephemeral=True)


def test_start_over_updates_the_threads_root(harness):
    goal = harness.catalog.goals[0]
    root, question = start_flow(harness, goal)
    updated(harness, root.ts, f"Goal: {goal.name}")
    mark = harness.mark()
    harness.slack.click(question, "Start over")
    harness.wait_for_message("What is your main business goal?", thread_ts=root.ts, after=mark)
    fresh = updated(harness, root.ts, "started over")
    assert f"Goal: {goal.name}" not in texts(fresh)


def test_other_options_has_a_way_back(harness):
    _, card = recommend_in_thread(harness)
    mark = harness.mark()
    harness.slack.click(card, "Other options")
    others = harness.wait_for_message("Other options besides", thread_ts=card.thread_ts, after=mark)
    labels = [b["text"] for b in buttons(others.blocks)]
    back = next(label for label in labels if label.startswith("← Back to"))
    assert "Start over" in labels
    mark = harness.mark()
    harness.slack.click(others, back)
    again = harness.wait_for_message("Recommended:", thread_ts=card.thread_ts, after=mark)
    assert again.text == card.text


def test_the_list_is_browsable_each_use_case_one_pick_from_its_recommendation(harness):
    sent = harness.slack.slash(CHANNEL_ID, "list")
    assert sent.status == 200
    listed = harness.wait_for_message("Segment use cases by business goal", ephemeral=True)
    menus = [b["accessory"] for b in listed.blocks if b.get("accessory", {}).get("type") == "static_select"]
    assert len(menus) == len(harness.catalog.goals)
    assert sum(len(m["options"]) for m in menus) == len(harness.catalog.rows())
    option = menus[0]["options"][0]
    action = {
        "action_id": menus[0]["action_id"],
        "block_id": "list",
        "type": "static_select",
        "selected_option": option,
    }
    mark = harness.mark()
    harness.slack.click_action(listed, action)
    answer = harness.wait_for_message(f"Recommended: {option['text']['text']}", after=mark, ephemeral=True)
    assert not answer.thread_ts


def test_a_thumbs_down_asks_what_was_missing_and_keeps_the_answer(harness, caplog):
    _, card = recommend_in_thread(harness)
    harness.slack.click(card, ":thumbsdown: Not helpful")
    asked = updated(harness, card.ts, "What was missing?")
    reasons = [b for b in buttons(asked.blocks) if action_ids.has_kind(b["action_id"], "missing")]
    assert [b["text"] for b in reasons][:2] == ["Wrong use case", "Too vague"]
    with caplog.at_level(logging.INFO, logger="usecase_bot.feedback"):
        harness.slack.click(asked, "Too vague")
        noted = updated(harness, card.ts, "said: Too vague")
        harness.settle()
    assert not [b for b in buttons(noted.blocks) if action_ids.has_kind(b["action_id"], "missing")]
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "usecase_bot.feedback"]
    assert {"event": "feedback_reason", "reason": "Too vague"}.items() <= records[-1].items()


def test_help_says_what_the_bot_is_for_with_an_example_per_way_and_the_guided_flow(harness):
    sent = harness.slack.slash(CHANNEL_ID, "help")
    body = json.dumps(sent.json()["blocks"])
    for example in ("`/usecase`", "`/usecase we keep losing", "`@usecase-bot", "`/usecase list`"):
        assert example in body
    assert "Start the guided flow" in body and "I help your team pick" in body
