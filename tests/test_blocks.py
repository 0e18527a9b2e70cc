"""Block Kit builders: every message the bot can build stays within Slack's limits and echoes
people's text inertly (no Slack, no mocks)."""

from __future__ import annotations

import dataclasses
import json
from types import MappingProxyType

import pytest

from bot import action_ids, advisor, blocks
from bot import plan as plans
from bot.advisor import Choice, Flow
from bot.catalog import Catalog, Consideration, GoalFit
from tests.support.blockkit import block_kit_problems

HOSTILE = "<!channel> <@U0EVIL> <https://evil.example|click> & <#C0X|x> <!subteam^S1>"


def every_message(catalog: Catalog, query: str = "shoppers abandon carts") -> list[blocks.Message]:
    """One of each message the bot can send, for every goal and use case of the catalog."""
    out = [
        blocks.build_intro(catalog, "U061F7AUR"),
        blocks.build_help(catalog),
        blocks.build_list(catalog),
        blocks.build_no_match(catalog, query),
        blocks.build_notice(blocks.EXPIRED),
    ]
    for goal in catalog.goals:
        out.append(blocks.build_goal_chosen(goal, "U061F7AUR"))
        flow = Flow(goal.id)
        for _ in goal.considerations:
            step = advisor.next_step(catalog, flow)
            out += [
                blocks.build_question(catalog, step),
                blocks.build_question_closed(step, blocks.answered_note("y", "U1")),
            ]
            flow = flow.answered("n")
        out.append(blocks.build_choose(catalog, advisor.next_step(catalog, flow)))
    choices = []
    for row in catalog.rows():
        choice = Choice(
            row.use_case.id,
            row.goal.id,
            answers="y" * len(row.goal.considerations),
            words=("abandon", "cart"),
            others=tuple(list(catalog.use_cases)[:3]),
        )
        choices.append(choice)
        out += [
            blocks.build_recommendation(
                catalog, choice, advisor.why(catalog, choice), shareable=True, asked_by="U1", query=query
            ),
            blocks.build_recommendation(
                catalog, choice, advisor.why(catalog, choice), shareable=False, feedback=(False, "U1")
            ),
            blocks.build_recommendation(
                catalog,
                choice,
                advisor.why(catalog, choice),
                feedback=(False, "U1"),
                reason="Too vague",
                shared_by="U2",
            ),
            blocks.build_shared(catalog, choice, "U1"),
            blocks.build_alternatives(catalog, choice, advisor.alternatives(catalog, choice)),
            blocks.build_setup_details(catalog, choice),
            blocks.build_readiness(catalog, choice),
            blocks.build_gap(catalog, choice, row.use_case.events[:1], plans.LABELS),
            blocks.build_gap(catalog, choice, row.use_case.events, plans.LABELS),
        ]
        whole = advisor.PlanRequest.whole(catalog, choice)
        rendered = plans.render(plans.build_plan(catalog, row.use_case.id, row.goal.id), "protocols")
        out += [
            blocks.build_plan_formats(catalog, whole, plans.LABELS),
            blocks.build_create_offer(catalog, whole),
            blocks.build_create_preview(catalog, whole, row.use_case.name),
            blocks.build_plan_inline("Tracking plan", rendered, "Slack refused the file"),
        ]
    out.append(blocks.build_did_you_mean(catalog, choices[:3], query))
    return out


def assert_acceptable(message: blocks.Message, validator):
    assert message.text and len(message.text) <= blocks.FALLBACK_TEXT_MAX
    assert not block_kit_problems(validator, message.blocks)
    for block in message.blocks:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= blocks.BUTTON_TEXT_MAX
                assert len(element.get("value", "")) <= 2000
                assert len(element["action_id"]) <= 255


def test_every_message_of_the_bundled_catalog_is_one_slack_accepts(catalog, block_kit_validator):
    messages = every_message(catalog)
    assert len(messages) > 100
    for message in messages:
        assert_acceptable(message, block_kit_validator)


BUTTON = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "a"}
REFUSED = [  # blocks Slack refuses
    [{"type": "header", "text": {"type": "mrkdwn", "text": "*headers are plain text*"}}],
    [{"type": "section"}],  # neither text nor fields
    [{"type": "actions", "elements": [{**BUTTON, "text": {"type": "plain_text", "text": "x" * 76}}]}],
    [{"type": "actions", "elements": [{**BUTTON, "value": "v" * 2001}]}],
    [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
    [{"type": "divider"}, {"type": "no-such-block"}],
]


def test_the_block_kit_check_agrees_with_the_whole_schema_and_refuses_what_slack_refuses(
    catalog, block_kit_validator
):
    """The tests check each distinct block once (tests/support/blockkit.py): the verdict on a
    message is the one the schema gives the whole array of its blocks."""

    def whole(message_blocks):
        return sorted(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in block_kit_validator.whole.iter_errors(message_blocks)
        )

    for message_blocks in [m.blocks for m in every_message(catalog)[::7]] + REFUSED:
        assert sorted(block_kit_problems(block_kit_validator, message_blocks)) == whole(message_blocks)
    for message_blocks in REFUSED:
        assert block_kit_problems(block_kit_validator, message_blocks), message_blocks
    assert block_kit_problems(block_kit_validator, [{"type": "divider"}] * 51) == [
        "51 blocks (Slack allows 50)"
    ]


def wordy(catalog: Catalog) -> Catalog:
    """The same catalog as an admin who writes far too much would leave it."""
    long = "very " * 900
    goals = tuple(
        dataclasses.replace(
            g,
            name=("Goal " + long)[:150],
            summary=long,
            about=long,
            considerations=tuple(
                Consideration(c.question + " " + long, c.points_to) for c in g.considerations
            ),
        )
        for g in catalog.goals
    )
    use_cases = {
        uc_id: dataclasses.replace(
            uc,
            name=("Use case " + long)[:75],
            purpose=long,
            goals=MappingProxyType(
                {g: GoalFit(long, fit.sources, fit.destinations) for g, fit in uc.goals.items()}
            ),
        )
        for uc_id, uc in catalog.use_cases.items()
    }
    guide = dataclasses.replace(
        catalog.guide,
        setup_checklist=tuple(s + " " + long for s in catalog.guide.setup_checklist),
        before_you_start=tuple(long for _ in range(12)),
    )
    return dataclasses.replace(catalog, goals=goals, use_cases=MappingProxyType(use_cases), guide=guide)


def test_a_wordy_catalog_is_shortened_gracefully_not_rejected(catalog, block_kit_validator):
    big = wordy(catalog)
    messages = every_message(big, query="x" * 40_000)
    for message in messages:
        assert_acceptable(message, block_kit_validator)
    text = json.dumps([m.blocks for m in messages], ensure_ascii=False)
    assert "…" in text


def test_escape_defuses_mentions_broadcasts_and_links():
    escaped = blocks.escape(HOSTILE)
    assert "<" not in escaped and ">" not in escaped
    assert escaped.startswith("&lt;!channel&gt;") and " &amp; " in escaped


@pytest.mark.parametrize(
    "text,limit", [("a" * 10, 5), ("ab &amp; cd", 6), ("ab &lt;!here&gt;", 8), ("short", 10)]
)
def test_clip_never_exceeds_the_limit_nor_cuts_an_entity(text, limit):
    clipped = blocks.clip(text, limit)
    assert len(clipped) <= limit
    if clipped != text:
        assert clipped.endswith("…")
        body = clipped[:-1]
        amp = body.rfind("&")
        assert amp == -1 or ";" in body[amp:]


def test_people_text_is_inert_on_every_surface_that_echoes_it(catalog):
    goal = catalog.goals[0]
    choice = Choice(goal.use_cases[0], goal.id, words=("<!channel>", "<@U0EVIL>"))
    surfaces = [
        blocks.build_no_match(catalog, HOSTILE),
        blocks.build_did_you_mean(catalog, [choice], HOSTILE),
        blocks.build_recommendation(
            catalog, choice, advisor.why(catalog, choice), asked_by="U061F7AUR", query=HOSTILE
        ),
        blocks.build_alternatives(catalog, choice, advisor.alternatives(catalog, choice)),
    ]
    for message in surfaces:
        dumped = " ".join(visible_texts(message.blocks)) + message.text
        for raw in ("<!channel>", "<@U0EVIL>", "<https://evil", "<#C0X", "<!subteam"):
            assert raw not in dumped


def visible_texts(node) -> list[str]:
    """Every text a person sees in blocks (button values are not shown)."""
    if isinstance(node, list):
        return [t for item in node for t in visible_texts(item)]
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [t for k, v in node.items() if k != "value" for t in visible_texts(v)]
    return []


def test_a_mention_is_only_made_of_a_slack_user_id():
    assert blocks.mention("U061F7AUR") == "<@U061F7AUR>"
    assert blocks.mention("U1> <!channel") == "someone"
    assert blocks.mention(None) == "someone"


def test_feedback_replaces_only_the_feedback_buttons(catalog):
    goal = catalog.goals[0]
    first = Choice(goal.use_cases[0], goal.id)
    posted = blocks.build_recommendation(
        catalog, first, advisor.why(catalog, first), asked_by="U1", query="q"
    )
    updated = blocks.with_feedback(catalog, posted.blocks, True, "U2", first)
    assert updated is not None and len(updated.blocks) == len(posted.blocks)
    dumped = json.dumps(updated.blocks)
    assert (
        "found this helpful" in dumped
        and action_ids.make("helpful") not in dumped
        and action_ids.make("others") in dumped
    )
    assert blocks.with_feedback(catalog, updated.blocks, False, "U2", first) is None  # already answered
    assert blocks.with_feedback(catalog, [1, 2], True, "U2", first) is None


def test_share_is_offered_only_inside_a_thread(catalog):
    goal = catalog.goals[0]
    choice = Choice(goal.use_cases[0], goal.id)
    assert action_ids.make("share") in json.dumps(
        blocks.build_recommendation(catalog, choice, advisor.why(catalog, choice), shareable=True).blocks
    )
    assert action_ids.make("share") not in json.dumps(
        blocks.build_recommendation(catalog, choice, advisor.why(catalog, choice), shareable=False).blocks
    )


def test_the_recommendation_gives_the_goal_specific_sources_and_destinations(catalog):
    shared = next(
        uc for uc in catalog.use_cases.values() if len({fit.destinations for fit in uc.goals.values()}) > 1
    )
    rendered = {}
    for goal_id, fit in shared.goals.items():
        message = blocks.build_setup_details(catalog, Choice(shared.id, goal_id))
        fields = next(b for b in message.blocks if "fields" in b)
        rendered[goal_id] = fields["fields"][1]["text"]
        for destination in fit.destinations:
            assert blocks.escape(destination) in rendered[goal_id]
    assert len(set(rendered.values())) > 1


def test_events_to_track_name_each_events_properties_or_say_the_reference_lists_none(catalog):
    """An event the Reference gives no properties for is not "no properties required": the
    Reference simply lists none, and the recommendation says so."""
    bare = next(
        uc
        for uc in catalog.use_cases.values()
        if any(not catalog.events[e].properties for e in uc.events)
        and any(catalog.events[e].properties for e in uc.events)
    )
    message = blocks.build_setup_details(catalog, Choice(bare.id, next(iter(bare.goals))))
    section = next(
        b["text"]["text"]
        for b in message.blocks
        if b.get("type") == "section" and "Events to track" in b.get("text", {}).get("text", "")
    )
    for event in bare.events:
        line = next(line for line in section.splitlines() if f"`{blocks.escape(event)}`" in line)
        props = catalog.events[event].properties
        if props:
            assert all(blocks.escape(p) in line for p in props), line
        else:
            assert line.endswith(": the Reference lists none"), line
    assert "no properties required" not in json.dumps(message.blocks)
