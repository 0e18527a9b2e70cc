"""From a recommendation to a ready setup, through signed requests: the compact card, the setup
details, the tracking plan as a file (and inline when Slack refuses the file), the readiness
check, and creating the plan in Segment for admins."""

from __future__ import annotations

import json

from bot import plan as plans
from bot.sandbox.people import buttons
from bot.sandbox.workspace import CHANNEL_ID
from tests.test_app_flows import texts

ASK = "<@U0BOT1234> we keep losing our biggest spenders"


def recommend(h, text: str = ASK):
    mark = h.mark()
    message, sent = h.slack.say(CHANNEL_ID, text)
    assert sent is not None and sent.status == 200
    return message, h.wait_for_message("Recommended:", thread_ts=message.ts, after=mark)


def use_case_of(h, card):
    name = card.text.removeprefix("Recommended: ").split(" (for ")[0]
    return next(uc for uc in h.catalog.use_cases.values() if uc.name == name)


def visible_lines(message) -> int:
    """How many lines of text a person sees: each block's text split on newlines, one per
    context or actions row."""
    lines = 0
    for block in message.blocks:
        if block["type"] in ("section", "header"):
            text = block.get("text", {}).get("text", "")
            lines += text.count("\n") + 1 + sum(f["text"].count("\n") + 1 for f in block.get("fields", []))
        elif block["type"] in ("context", "actions"):
            lines += 1
    return lines


def test_the_card_fits_one_screen_and_names_the_events(harness):
    _, card = recommend(harness)
    use_case = use_case_of(harness, card)
    assert visible_lines(card) <= 12, visible_lines(card)
    for event in use_case.events:
        assert f"`{event}`" in texts(card)
    assert "Setup checklist" not in texts(card)  # details come on demand
    assert [b["text"] for b in buttons(card.blocks)][:2] == ["Setup details", "Tracking plan"]


def choose_format(h, root, card, label: str):
    mark = h.mark()
    h.slack.click(card, "Tracking plan")
    chooser = h.wait_for_message("pick a format", thread_ts=root.ts, after=mark)
    assert [b["text"] for b in buttons(chooser.blocks)] == list(plans.LABELS.values())
    mark = h.mark()
    h.slack.click(chooser, label)
    return mark


def test_a_tracking_plan_is_posted_in_the_thread_as_a_file(harness):
    root, card = recommend(harness)
    use_case = use_case_of(harness, card)
    mark = choose_format(harness, root, card, plans.LABELS["protocols"])
    shared = harness.wait_until(
        lambda: next((m for m in harness.workspace.snapshot()[mark:] if m.files), None), what="a file")
    assert shared.thread_ts == root.ts and shared.channel == CHANNEL_ID
    (file,) = shared.files
    assert file["name"].endswith(".json")
    rules = json.loads(file["content"])["rules"]
    assert [r["key"] for r in rules] == list(use_case.events)
    assert all(r["type"] == "TRACK" for r in rules)
    (completed,) = harness.calls("files.completeUploadExternal")
    assert completed["channel_id"] == CHANNEL_ID and completed["thread_ts"] == root.ts


def test_a_refused_upload_comes_inline_instead(harness):
    root, card = recommend(harness)
    use_case = use_case_of(harness, card)
    harness.stand_in.api.fail("files.getUploadURLExternal", error="missing_scope")
    mark = choose_format(harness, root, card, plans.LABELS["python"])
    inline = harness.wait_for_message("inline", thread_ts=root.ts, after=mark)
    shown = texts(inline)
    assert "```" in shown and "missing_scope" in shown
    for event in use_case.events:
        assert event in shown
    assert not any(m.files for m in harness.workspace.snapshot()[mark:])


def test_the_readiness_check_gives_the_plan_for_just_the_gap(harness):
    root, card = recommend(harness, "<@U0BOT1234> shoppers leave items in the cart and never come back")
    use_case = use_case_of(harness, card)
    assert len(use_case.events) >= 2
    mark = harness.mark()
    harness.slack.click(card, "Setup details")
    details = harness.wait_for_message("Setup details:", thread_ts=root.ts, after=mark)
    mark = harness.mark()
    harness.slack.click(details, "What do we already track?")
    check = harness.wait_for_message("already track", thread_ts=root.ts, after=mark)
    boxes = next(b for b in check.blocks if b["type"] == "actions" and b["elements"][0]["type"] == "checkboxes")
    first = boxes["elements"][0]["options"][0]
    state = {"values": {boxes["block_id"]: {boxes["elements"][0]["action_id"]: {
        "type": "checkboxes", "selected_options": [first]}}}}
    harness.slack.click(check, "Show what's missing", state=state)
    gap = harness.wait_until(
        lambda: (m := harness.workspace.find(CHANNEL_ID, check.ts)) is not None and "To add" in texts(m) and m,
        what="the gap")
    tracked, missing = use_case.events[0], use_case.events[1:]
    assert f"*Already in place:* `{tracked}`" in texts(gap)
    mark = harness.mark()
    harness.slack.click(gap, plans.LABELS["csv"])
    shared = harness.wait_until(
        lambda: next((m for m in harness.workspace.snapshot()[mark:] if m.files), None), what="a file")
    rows = shared.files[0]["content"].splitlines()[1:]
    assert {row.split(",")[0] for row in rows} == set(missing)


def test_only_admins_are_offered_to_create_the_plan_in_segment(harness):
    root, card = recommend(harness)
    mark = harness.mark()
    harness.slack.click(card, "Tracking plan")
    harness.wait_for_message("pick a format", thread_ts=root.ts, after=mark)
    assert not any("Create it in Segment" in texts(m) for m in harness.workspace.snapshot()[mark:])
