"""From a recommendation to a ready setup, through signed requests: the compact card, the setup
details, the tracking plan as a file (and inline when Slack refuses the file), the readiness
check, and creating the plan in Segment for admins."""

from __future__ import annotations

import copy
import json

import pytest

from bot import blocks
from bot import plan as plans
from bot.app import build_app
from bot.conversation import PlanFile
from bot.dedupe import MemorySeenOnce
from bot.listeners.delivery import Delivery
from bot.sandbox.people import buttons
from bot.sandbox.workspace import CHANNEL_ID, HUMAN_ID
from bot.webapi import build_client
from tests.support.harness import BOT_TOKEN, Harness, identity_of, make_settings
from tests.support.jobs import track_background_work
from tests.support.segment_api_standin import SegmentAPIStandIn
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
        lambda: next((m for m in harness.workspace.snapshot()[mark:] if m.files), None), what="a file"
    )
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
    boxes = next(
        b for b in check.blocks if b["type"] == "actions" and b["elements"][0]["type"] == "checkboxes"
    )
    first = boxes["elements"][0]["options"][0]
    state = {
        "values": {
            boxes["block_id"]: {
                boxes["elements"][0]["action_id"]: {"type": "checkboxes", "selected_options": [first]}
            }
        }
    }
    harness.slack.click(check, "Show what's missing", state=state)
    gap = harness.wait_until(
        lambda: (
            (m := harness.workspace.find(CHANNEL_ID, check.ts)) is not None and "To add" in texts(m) and m
        ),
        what="the gap",
    )
    tracked, missing = use_case.events[0], use_case.events[1:]
    assert f"*Already in place:* `{tracked}`" in texts(gap)
    mark = harness.mark()
    harness.slack.click(gap, plans.LABELS["csv"])
    shared = harness.wait_until(
        lambda: next((m for m in harness.workspace.snapshot()[mark:] if m.files), None), what="a file"
    )
    rows = shared.files[0]["content"].splitlines()[1:]
    assert {row.split(",")[0] for row in rows} == set(missing)


def test_only_admins_are_offered_to_create_the_plan_in_segment(harness):
    root, card = recommend(harness)
    mark = harness.mark()
    harness.slack.click(card, "Tracking plan")
    harness.wait_for_message("pick a format", thread_ts=root.ts, after=mark)
    assert not any("Create it in Segment" in texts(m) for m in harness.workspace.snapshot()[mark:])


SEGMENT_TOKEN = "sgp_test_0123456789abcdef"


@pytest.fixture
def segment():
    with SegmentAPIStandIn() as server:
        yield server


@pytest.fixture
def admin_harness(stand_in, catalog, matcher, segment, monkeypatch):
    jobs = track_background_work(monkeypatch)
    settings = make_settings(
        stand_in.api_url,
        admins=frozenset({HUMAN_ID}),
        segment_token=SEGMENT_TOKEN,
        segment_api_url=segment.url,
    )
    app = build_app(
        settings, catalog, identity=identity_of(stand_in.workspace), seen=MemorySeenOnce(), matcher=matcher
    )
    jobs.expect_pool()
    h = Harness(stand_in, app, catalog, jobs=jobs)
    yield h
    h.settle()


def offer_and_preview(h):
    root, card = recommend(h)
    mark = h.mark()
    h.slack.click(card, "Tracking plan")
    offer = h.wait_for_message("create this tracking plan", ephemeral=True, after=mark)
    mark = h.mark()
    h.slack.click(offer, "Create it in Segment…")
    preview = h.wait_for_message(
        "Create a tracking plan in your Segment workspace?", ephemeral=True, after=mark
    )
    return card, preview


def replaced(h, message, contains: str):
    """The (ephemeral) message once its response_url replaced it with one that says `contains`."""
    return h.wait_until(
        lambda: (
            (m := h.workspace.find(message.channel, message.ts)) is not None and contains in texts(m) and m
        ),
        what=f"the message to say {contains!r}",
    )


def test_an_admin_previews_then_creates_the_plan_in_segment(admin_harness, segment):
    h = admin_harness
    card, preview = offer_and_preview(h)
    use_case = use_case_of(h, card)
    assert not segment.calls  # the preview creates nothing
    for event in use_case.events:
        assert event in texts(preview)
    as_first_seen = copy.deepcopy(preview)  # the workspace replaces `preview` in place
    h.slack.click(preview, "Create it")
    done = replaced(h, preview, "Created the tracking plan")
    created, rules = segment.calls
    assert (created.method, created.path) == ("POST", "/tracking-plans")
    assert created.headers["Authorization"] == f"Bearer {SEGMENT_TOKEN}"
    assert (rules.method, rules.path.endswith("/rules")) == ("PUT", True)
    assert [r["key"] for r in rules.body["rules"]] == list(use_case.events)
    assert "tp_standin1" in texts(done)
    assert all(SEGMENT_TOKEN not in texts(m) for m in h.workspace.snapshot())
    # a second click of the same preview creates nothing more
    mark = h.mark()
    h.slack.click(as_first_seen, "Create it")
    h.wait_for_message("already", ephemeral=True, after=mark)
    assert len(segment.calls) == 2


def test_a_half_created_plan_is_reported_with_its_id(admin_harness, segment):
    h = admin_harness
    _, preview = offer_and_preview(h)
    segment.fail(403, method="PUT", path_suffix="/rules")
    h.slack.click(preview, "Create it")
    failed = replaced(h, preview, "did not create")
    assert "tp_standin1" in texts(failed) and "setting its rules failed" in texts(failed)


def test_someone_not_on_the_admin_list_cannot_create_plans(admin_harness, segment):
    h = admin_harness
    _, preview = offer_and_preview(h)
    h.workspace.channels[CHANNEL_ID].members.add("U0STRANGER")
    mark = h.mark()
    h.slack.click(preview, "Create it", user="U0STRANGER")
    h.wait_for_message("Only the people the bot's operator allows", ephemeral=True, after=mark)
    assert not segment.calls


def test_a_refused_file_too_long_for_a_message_opens_in_a_modal(stand_in):
    stand_in.api.fail("files.getUploadURLExternal", error="missing_scope")
    client = build_client(BOT_TOKEN, stand_in.api_url)
    delivery = Delivery(client, channel=CHANNEL_ID, user_id=HUMAN_ID, thread_ts=None, trigger_id="1.2.abc")
    content = "\n".join(f'{{"key": "Event {i}", "type": "TRACK"}},' for i in range(400))
    assert not blocks.plan_fits_inline(content)
    assert delivery.upload(PlanFile("big.json", "Tracking plan: Big (Protocols JSON)", content))
    (opened,) = [p for name, p in stand_in.workspace.calls if name == "views.open"]
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    shown = "".join(b["text"]["text"] for b in view["blocks"])
    assert view["type"] == "modal" and "Event 399" in shown and len(view["blocks"]) <= 100
