"""The App Home tab, the Messages tab's suggested prompts and the message shortcut's answer.

Pure builders over catalog data, like bot.blocks (whose helpers they use): nothing here talks
to Slack. The Home tab lists the catalog by goal, one card per goal (its guided flow one click
away, and each of its use cases), in pages that stay within Slack's limits whatever the size of
the catalog: 100 blocks a view, 25 elements an actions block, and a modest number of buttons a
page. Which page is shown rides in the buttons (and the view's private_metadata), never in a store.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from bot import action_ids, advisor
from bot.advisor import Choice, Flow
from bot.analytics import Insights
from bot.blocks import (
    ACTIONS_ELEMENTS_MAX,
    BUTTON_TEXT_MAX,
    Message,
    actions,
    button,
    clip,
    context,
    divider,
    escape,
    header,
    message,
    quote,
    section,
)
from bot.catalog import Catalog, Goal

# Slack's limits for a Home view (reference/slack/facts.md §c; views.publish's view_too_large)
HOME_BLOCKS_MAX = 100
VIEW_BYTES_MAX = 250_000
PRIVATE_METADATA_MAX = 3000
# how much of the catalog one page of the Home tab shows
PAGE_BUTTONS = 60  # use-case buttons on one page, at most
ROW_BUTTONS = ACTIONS_ELEMENTS_MAX  # use-case buttons in one actions block
FIXED_BLOCKS = (
    12  # header, what the bot does, where answers go, a notice, insights (3), divider, pager (2), help (2)
)
CARD_BLOCKS = HOME_BLOCKS_MAX - FIXED_BLOCKS  # what the goal cards of one page may use

# The Messages tab (assistant.threads.setSuggestedPrompts takes four prompts at most)
PROMPTS_MAX = 4
PROMPT_TITLE_MAX = 75
PROMPTS_TITLE = "Start with your business goal"
ASSISTANT_DESCRIPTION_MAX = 300  # agent_description's limit in the manifest schema; kept for both
LIST_PROMPT = {"title": "Every use case, by goal", "message": "What use cases do you know?"}

# The message shortcut, as manifest.yml declares it (tests/test_manifest.py keeps them equal)
SHORTCUT_CALLBACK_ID = "find_use_case"
SHORTCUT_NAME = "Find a Segment use case"  # Slack: 24 characters at most
SHORTCUT_DESCRIPTION = "Reads the message and tells you privately which Segment use case fits it"

NO_TEXT = "That message has no text for me to read."
ONLY_FILES = "That message only has files, and I can only read text."


# --------------------------------------------------------------------------- the Home tab


@dataclass(frozen=True)
class Card:
    """One goal on one page: its use cases from `offset` (a goal too big for a page goes on)."""

    goal: Goal
    offset: int
    use_cases: tuple[str, ...]


def pages(catalog: Catalog) -> list[list[Card]]:
    """The catalog cut into pages of goal cards, each page within Slack's limits."""
    result: list[list[Card]] = []
    current: list[Card] = []
    blocks = buttons = 0
    for goal in catalog.goals:
        offset = 0
        while offset < len(goal.use_cases):
            left = goal.use_cases[offset:]
            room = min(PAGE_BUTTONS - buttons, (CARD_BLOCKS - blocks - 2) * ROW_BUTTONS)
            if current and (room <= 0 or (len(left) > room and len(left) <= ROW_BUTTONS)):
                # a small goal is not cut in two: it starts the next page
                result.append(current)
                current, blocks, buttons = [], 0, 0
                continue
            taken = left[:room]
            current.append(Card(goal, offset, taken))
            blocks += 2 + math.ceil(len(taken) / ROW_BUTTONS)  # section, rows of buttons, divider
            buttons += len(taken)
            offset += len(taken)
    if current:
        result.append(current)
    return result


def page_count(catalog: Catalog) -> int:
    return len(pages(catalog))


def goal_label(goal: Goal) -> str:
    """A goal's button, as a screen reader says it (Slack: 75 characters)."""
    return clip(f"Start with {goal.name}", BUTTON_TEXT_MAX)


def use_case_label(use_case_name: str, goal: Goal) -> str:
    return clip(f"Open {use_case_name}, for {goal.name}", BUTTON_TEXT_MAX)


def goal_button_text(goal: Goal) -> str:
    count = len(goal.considerations)
    return f"Start: {count} question{'' if count == 1 else 's'}"


def build_home(
    catalog: Catalog, page: int = 0, notice: str | None = None, insights: Insights | None = None
) -> dict:
    """The Home tab view: what the bot does, the catalog by goal (a guided flow per goal, a
    recommendation per use case), and help. `notice` (already mrkdwn) tops it after a click;
    `insights`, for the workspace's admins only, say what the team asked in the last 30 days."""
    all_pages = pages(catalog)
    page = max(0, min(page, len(all_pages) - 1))
    blocks = [
        header("Find the right Segment use case"),
        section(
            "*I help your team choose one of Segment's use cases, and tell you how to set it up.*\n"
            "Start with a business goal and answer a few quick questions, or open a use case to see "
            "the events to track, the sources and destinations to connect, and a setup checklist."
        ),
        context(
            ":speech_balloon: Whatever you choose here, I answer in our direct messages: "
            "the *Messages* tab, next to this one."
        ),
    ]
    if notice:
        blocks.append(section(notice))
    if insights is not None:
        blocks += _insights(catalog, insights)
    blocks.append(divider())
    index = 0
    for card in all_pages[page]:
        goal = card.goal
        total = len(goal.use_cases)
        if card.offset or len(card.use_cases) < total:
            shown = f"use cases {card.offset + 1}–{card.offset + len(card.use_cases)} of {total}"
        else:
            shown = f"{total} use case{'' if total == 1 else 's'}"
        blocks.append(
            section(
                f"*{escape(goal.name)}*{' (continued)' if card.offset else ''} · {shown}\n{escape(goal.summary)}",
                button(
                    goal_button_text(goal),
                    "homegoal",
                    advisor.encode_flow(catalog, Flow(goal.id)),
                    arg=index,
                    style="primary",
                    label=goal_label(goal),
                ),
            )
        )
        index += 1
        for start in range(0, len(card.use_cases), ROW_BUTTONS):
            row = []
            for uc_id in card.use_cases[start : start + ROW_BUTTONS]:
                use_case = catalog.use_cases[uc_id]
                value = advisor.encode_choice(catalog, Choice(uc_id, goal.id))
                row.append(
                    button(
                        use_case.name, "homepick", value, arg=index, label=use_case_label(use_case.name, goal)
                    )
                )
                index += 1
            blocks.append(actions(*row))
        blocks.append(divider())
    if len(all_pages) > 1:
        blocks += _pager(catalog, page, len(all_pages))
    blocks += _help(catalog)
    return {"type": "home", "blocks": blocks, "private_metadata": str(page)}


def _insights(catalog: Catalog, insights: Insights) -> list[dict]:
    """Three blocks: what was recommended, how it was rated, what could not be answered."""

    def named(pairs, name_of) -> str:
        return ", ".join(f"{escape(name_of(key))} ({n})" for key, n in pairs) or "none yet"

    def goal_name(goal_id: str) -> str:
        goal = catalog.goal(goal_id)
        return goal.name if goal else goal_id

    def use_case_name(uc_id: str) -> str:
        use_case = catalog.use_case(uc_id)
        return use_case.name if use_case else uc_id

    share = (
        f"{round(100 * insights.helpful / insights.rated)}% of {insights.rated}"
        if insights.rated
        else "no ratings yet"
    )
    unanswered = "\n".join(f"• {quote(text, 120)} ({n})" for text, n in insights.unanswered) or "• none"
    return [
        section(
            "*Insights: the last 30 days* (only admins see this)\n"
            f"*Goals:* {named(insights.goals, goal_name)}\n"
            f"*Use cases:* {named(insights.use_cases, use_case_name)}\n"
            f"*Found helpful:* {share}"
        ),
        section(f"*Asked, but not answered* (most common first)\n{unanswered}"),
        context("Counts come from this workspace's requests; the words of unanswered ones are kept 30 days."),
    ]


def _pager(catalog: Catalog, page: int, total: int) -> list[dict]:
    controls = []
    if page > 0:
        controls.append(button("← Previous page", "homepage", str(page - 1), arg=page - 1))
    if page < total - 1:
        controls.append(button("Next page →", "homepage", str(page + 1), arg=page + 1, style="primary"))
    counted = f"{len(catalog.use_cases)} use cases under {len(catalog.goals)} goals"
    return [actions(*controls), context(f"Page {page + 1} of {total} · {counted}")]


def _help(catalog: Catalog) -> list[dict]:
    guide = catalog.guide.docs.get("guide")
    link = (
        f"<{guide}|Segment's guide to choosing a use case>"
        if guide
        else "Segment's guide: Choosing a Use Case"
    )
    return [
        section(
            "*Other ways to ask me*\n"
            "• In a channel, `/usecase` asks a few questions in a thread; "
            "`/usecase <your goal in plain words>` answers at once\n"
            "• Mention @usecase-bot in a channel, or write to me in the *Messages* tab\n"
            f"• On any message, open *More actions* (⋯) and choose *{SHORTCUT_NAME}*: "
            "I read it and tell you, privately, which use case fits"
        ),
        context(f"Based on {link}"),
    ]


def page_of(private_metadata: object) -> int:
    """The page a Home view showed, from its private_metadata (0 when it does not say)."""
    if isinstance(private_metadata, str) and private_metadata.isdigit() and len(private_metadata) < 6:
        return int(private_metadata)
    return 0


def view_size(view: dict) -> int:
    return len(json.dumps(view, ensure_ascii=False).encode("utf-8"))


def started_note(goal: Goal) -> str:
    return (
        f":white_check_mark: I started *{escape(goal.name)}* in our *Messages* tab: "
        "the first question is waiting in the thread."
    )


def posted_note(name: str) -> str:
    return f":white_check_mark: I posted *{escape(name)}* in our *Messages* tab."


# --------------------------------------------------------------------------- the Messages tab


def suggested_prompts(catalog: Catalog) -> list[dict]:
    """Up to four prompts for the Messages tab, one per goal: its message is the goal's name,
    which starts that goal's guided flow. More goals than that: three, and one for the list."""
    goals = catalog.goals if len(catalog.goals) <= PROMPTS_MAX else catalog.goals[: PROMPTS_MAX - 1]
    prompts = [{"title": clip(g.name, PROMPT_TITLE_MAX), "message": g.name} for g in goals]
    if len(catalog.goals) > PROMPTS_MAX:
        prompts.append(dict(LIST_PROMPT))
    return prompts


def assistant_description(catalog: Catalog) -> str:
    """What the Messages tab says the bot does, naming the catalog's goals (as many as fit)."""
    lead = (
        "Tell me your business goal and I'll recommend the Segment use case that fits, "
        "with the events to track and the sources and destinations to connect. Goals: "
    )
    names = [g.name for g in catalog.goals]
    for shown in range(len(names), 0, -1):
        rest = len(names) - shown
        text = lead + "; ".join(names[:shown]) + (f"; and {rest} more." if rest else ".")
        if len(text) <= ASSISTANT_DESCRIPTION_MAX:
            return text
    return clip(lead.removesuffix(" Goals: "), ASSISTANT_DESCRIPTION_MAX)


def assistant_view(catalog: Catalog) -> dict:
    """The manifest's features.assistant_view, generated from the catalog (bot/manifest.py)."""
    return {
        "assistant_description": assistant_description(catalog),
        "suggested_prompts": suggested_prompts(catalog),
    }


# --------------------------------------------------------------------------- the message shortcut


def with_full_share(answer: Message) -> Message:
    """A recommendation told privately, its "Share to channel" button made to post the whole
    recommendation (there is no thread holding it that a compact copy could point to)."""
    shared = action_ids.make("sharefull")
    out = []
    for block in answer.blocks:
        if block.get("type") == "actions":
            elements = [
                {**e, "action_id": shared} if action_ids.has_kind(e.get("action_id"), "share") else e
                for e in block["elements"]
            ]
            block = {**block, "elements": elements}
        out.append(block)
    return message(answer.text, out)


def build_no_text(has_files: bool) -> Message:
    text = ONLY_FILES if has_files else NO_TEXT
    return message(text, [section(text)])


def shared_note(name: str, user_id_mention: str) -> str:
    return f"{user_id_mention} shared *{escape(name)}* with the conversation."
