"""What people actually write, end to end through signed requests: long messages, two asks,
vague goals, Segment support questions, near misses, and follow-ups in the thread."""

from __future__ import annotations

import json

from bot.sandbox.people import buttons
from bot.sandbox.workspace import CHANNEL_ID
from tests.support.harness import Harness

LONG = (
    "Some background first: we're an outdoor gear retailer, most revenue comes from the website and "
    "the rest from our iOS app. We run Meta and Google ads, we use Klaviyo for email and we have a "
    "loyalty program our best customers love. Last year we spent most of the budget on lookalikes. "
    "What I actually need help with right now: a lot of people add tents to the cart and never pay. "
    "How do we get those people to finish checkout?"
)


def texts(message) -> str:
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


def ask(h: Harness, text: str, expect: str):
    message, sent = h.slack.say(CHANNEL_ID, f"@usecase-bot {text}")
    assert sent is not None and sent.status == 200
    return message, h.wait_for_message(expect, thread_ts=message.ts)


def test_the_ask_wins_over_the_context_and_the_why_quotes_it(harness):
    _, reply = ask(harness, LONG, "Recommended: Mitigate cart abandonment")
    why = next(b["text"]["text"] for b in reply.blocks if "Why this one" in b.get("text", {}).get("text", ""))
    assert "cart" in why
    for context_word in ("lookalikes", "loyalty", "ios", "app"):
        assert f"“{context_word}" not in why.lower(), why


def test_two_asks_are_said_with_a_button_for_each(harness):
    _, reply = ask(
        harness,
        "two things: recover abandoned carts, and separately win back customers who haven't ordered in a year",
        "I see two goals here",
    )
    labels = [b["accessibility_label"] for b in buttons(reply.blocks) if b["text"] == "Choose"]
    assert labels == ["Choose Mitigate cart abandonment", "Choose Personalize winback"]
    assert "Start the guided flow" in {b["text"] for b in buttons(reply.blocks)}
    mark = harness.mark()
    harness.slack.click(reply, "Choose Personalize winback")
    harness.wait_for_message("Recommended: Personalize winback", after=mark, thread_ts=reply.thread_ts)


def test_a_vague_goal_gets_a_way_forward(harness):
    for text in ("improve LTV", "just tell me what to do, board meeting in 10 min"):
        _, reply = ask(harness, text, "a short way forward")
        shown = {b["text"] for b in buttons(reply.blocks)}
        assert {g.name for g in harness.catalog.goals} <= shown and "Start the guided flow" in shown


def test_a_support_question_gets_one_line_and_the_docs(harness):
    _, reply = ask(
        harness, "where do I find the write key for our iOS source?", "sounds like a question about Segment"
    )
    links = [b["url"] for b in buttons(reply.blocks) if b["url"]]
    assert links == ["https://www.twilio.com/docs/segment/connections/find-writekey"]
    assert "Recommended" not in texts(reply)


def test_near_misses_and_chatter_never_match(harness):
    for text in (
        "the snack cart is empty",
        "signup sheet for the team lunch",
        "our new-hire onboarding plan",
    ):
        _, reply = ask(harness, text, "couldn't match")
        assert "/usecase" in texts(reply) and "Recommended" not in texts(reply)


def test_chatter_and_support_questions_the_words_alone_would_answer_get_no_use_case(harness):
    """Goal words in office chatter and in a support problem: the scope model reads them as no goal."""
    _, reply = ask(
        harness, "checkout at the hotel is at noon, the bus to the venue leaves 12:30", "couldn't match"
    )
    assert "/usecase" in texts(reply) and "Recommended" not in texts(reply)
    _, reply = ask(
        harness,
        "trial users get merged into one profile because they share an inbox, how do I stop that?",
        "sounds like a question about Segment",
    )
    assert "Recommended" not in texts(reply)
    assert [b["url"] for b in buttons(reply.blocks) if b["url"]]  # a way to Segment's docs


def test_a_reply_in_the_thread_refines_the_answer_without_a_mention(harness):
    message, first = ask(
        harness, "we keep losing our biggest spenders", "Recommended: Mitigate high value churn"
    )
    assert first.metadata and first.metadata["event_type"] == "usecase_conversation"
    mark = harness.mark()
    _, sent = harness.slack.say(
        CHANNEL_ID, "actually it's about trial users not converting to paid", thread_ts=message.ts
    )
    assert sent is not None and sent.status == 200
    harness.wait_for_message(
        "Recommended: Convert trials to paid subscriptions", after=mark, thread_ts=message.ts
    )
    replies = [c for c in harness.calls("conversations.replies")]
    assert replies and str(replies[-1].get("include_all_metadata")).lower() in ("true", "1")


def test_why_not_and_the_other_goal_are_answered_in_the_thread(harness):
    message, _ = ask(harness, "we keep losing our biggest spenders", "Recommended:")
    mark = harness.mark()
    harness.slack.say(CHANNEL_ID, "why not winback?", thread_ts=message.ts)
    why_not = harness.wait_for_message("Why not Personalize winback?", after=mark, thread_ts=message.ts)
    assert {"Choose Personalize winback", "Keep Mitigate high value churn"} <= {
        b["text"] for b in buttons(why_not.blocks)
    }

    two, _ = ask(
        harness,
        "two things: recover abandoned carts, and separately win back customers who haven't ordered in a year",
        "I see two goals here",
    )
    mark = harness.mark()
    harness.slack.say(CHANNEL_ID, "what about the other goal?", thread_ts=two.ts)
    harness.wait_for_message("Recommended: Personalize winback", after=mark, thread_ts=two.ts)


def test_replies_not_for_the_bot_are_left_alone(harness):
    ws = harness.workspace
    ws.users["U0OTHER01"] = "sam"
    # a thread the bot is not part of
    root, _ = harness.slack.say(CHANNEL_ID, "lunch plans?")
    harness.slack.say(CHANNEL_ID, "abandoned carts are up again", thread_ts=root.ts)
    # the bot's thread: another bot, an edit, and someone else's chatter
    message, _ = ask(harness, "we keep losing our biggest spenders", "Recommended:")
    harness.settle()
    posted = len(harness.calls("chat.postMessage"))
    for extra in ({"bot_id": "B0OTHER", "user": "U0OTHER01"}, {"subtype": "message_changed"}):
        event = {
            "type": "message",
            "channel_type": "channel",
            "channel": CHANNEL_ID,
            "user": ws.human_id,
            "text": "actually it's about trial users not converting to paid",
            "ts": ws.next_ts(),
            "thread_ts": message.ts,
            **extra,
        }
        assert harness.slack.signed(harness.slack.event_body(event), "application/json").status == 200
    harness.slack.say(CHANNEL_ID, "see you at the standup", thread_ts=message.ts, user="U0OTHER01")
    harness.slack.say(CHANNEL_ID, "thanks!", thread_ts=message.ts)
    harness.settle()
    assert len(harness.calls("chat.postMessage")) == posted


def test_junk_and_chatter_with_a_goal_word_get_no_recommendation(harness):
    # issue 17: `/usecase payload=%7B%7D` once got a confident "Suppress based on time"
    mark = harness.mark()
    assert harness.slack.slash(CHANNEL_ID, "payload=%7B%7D").status == 200
    private = harness.wait_for_message("couldn't match", after=mark, ephemeral=True)
    assert "Recommended" not in texts(private)
    for text in ("who won the game last night", "welcome back Jess! how was the honeymoon?"):
        _, reply = ask(harness, text, "couldn't match")
        assert "Recommended" not in texts(reply)


def test_a_support_question_with_goal_words_links_its_part_of_the_docs(harness):
    _, reply = ask(
        harness, "events from the android source aren't showing up in the debugger", "question about Segment"
    )
    links = [b["url"] for b in buttons(reply.blocks) if b["url"]]
    assert links == ["https://www.twilio.com/docs/segment/connections/sources/debugger"]
    assert "Recommended" not in texts(reply)
