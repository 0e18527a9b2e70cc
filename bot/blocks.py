"""Block Kit for every message the bot sends: pure build_* functions over catalog data.

Every piece of text that came from a person goes through `quote` or `literal` (escaped, and shown
as typed: no formatting, no links); the catalog's through `escape`; every string is cut to
Slack's limits with `clip`, so a wordy catalog is shortened with "…" rather than rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import action_ids, advisor
from bot.advisor import AskConsideration, Choice, ChooseAmong, Flow, PlanRequest, Why
from bot.catalog import Catalog, Goal, UseCase
from bot.next_steps import Advice

# Slack's limits (reference/slack/facts.md §c)
MAX_BLOCKS = 50
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
FALLBACK_TEXT_MAX = 3000
QUOTE_MAX = 300  # how much of a person's text is echoed back


@dataclass(frozen=True)
class Message:
    text: str  # the notification / screen-reader fallback
    blocks: list = field(default_factory=list)
    metadata: dict | None = None  # Slack message metadata (bot/metadata.py), on posts that carry state

    def as_kwargs(self) -> dict:
        kwargs = {"text": self.text, "blocks": self.blocks}
        if self.metadata is not None:
            kwargs["metadata"] = self.metadata
        return kwargs


# --------------------------------------------------------------------------- text helpers


def escape(text: str) -> str:
    """Make a person's text inert in mrkdwn: no mentions, broadcasts or disguised links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut text to `limit` characters, ending with "…" when cut, never inside an &entity;."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:] and len(cut) - amp <= 5:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def unescape(text: str) -> str:
    """Slack's own escaping undone (typed &, < and > arrive as entities)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# Characters a person cannot see, taken out of their words before the bot shows them: zero-width
# ones (U+200B-U+200D, U+2060, U+FEFF) that could split a word the bot is asked about or hide
# one, and direction controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) that could
# make the bot's own words read backwards. Other control characters read as a space.
_INVISIBLE = {
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff")),
    **dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")),
    **dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], " "),
}
# mrkdwn has no escape for its formatting characters (only &, < and > are escaped, as entities:
# https://docs.slack.dev/messaging/formatting-message-text; "there is no escape for *, _, ~
# or backticks", reference/slack/facts.md §d). In a person's words each is replaced by a
# character that looks like it and that mrkdwn does not read, so `*bold*`, `_x_`, `~x~` and
# `code` show as typed instead of formatting the bot's message. (`>` is escaped, and a quote is
# one line that starts with “, so it never opens a block quote.) Bare URLs and emails are left
# to `verbatim` on every mrkdwn text object (see _mrkdwn).
_LOOK_ALIKES = str.maketrans(
    {
        "*": "\u2217",  # ∗ ASTERISK OPERATOR
        "_": "\u02cd",  # ˍ MODIFIER LETTER LOW MACRON
        "~": "\u223c",  # ∼ TILDE OPERATOR
        "`": "\u02cb",  # ˋ MODIFIER LETTER GRAVE ACCENT
    }
)


def visible(text: str) -> str:
    """A person's text on one line, without the characters no one can see (see _INVISIBLE)."""
    return " ".join(text.translate(_INVISIBLE).split())


def literal(text: str) -> str:
    """A person's words made to render in mrkdwn exactly as they read: on one line, invisible
    characters gone, formatting characters replaced by look-alikes (_LOOK_ALIKES), escaped."""
    return escape(visible(text).translate(_LOOK_ALIKES))


def quote(text: str, limit: int = QUOTE_MAX) -> str:
    """A person's words (Slack's escaping undone), flattened to one line, clipped and shown
    literally (see `literal`), in quotes."""
    return f"“{literal(clip(visible(unescape(text)), limit))}”"


def _plain(text: str, limit: int) -> dict:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def _mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict:
    # verbatim: Slack does not turn bare URLs, emails or channel names into links, so a person's
    # `example.com` quoted by the bot is not a link the bot posted; the bot's own links and
    # mentions are written as <…> and still work (the `verbatim` field of
    # https://docs.slack.dev/reference/block-kit/composition-objects/text-object)
    return {"type": "mrkdwn", "text": clip(text, limit) or " ", "verbatim": True}


def section(text: str, accessory: dict | None = None) -> dict:
    block = {"type": "section", "text": _mrkdwn(text)}
    if accessory:
        block["accessory"] = accessory
    return block


def fields_section(fields: list[str]) -> dict:
    return {"type": "section", "fields": [_mrkdwn(f, FIELD_TEXT_MAX) for f in fields[:10]]}


def header(text: str) -> dict:
    return {"type": "header", "text": _plain(text, HEADER_TEXT_MAX)}


def context(*texts: str) -> dict:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS_MAX]]}


def divider() -> dict:
    return {"type": "divider"}


def button(
    text: str,
    kind: str,
    value: str | None = None,
    *,
    arg: str | int | None = None,
    style: str | None = None,
    url: str | None = None,
    label: str | None = None,
) -> dict:
    element = {
        "type": "button",
        "text": _plain(text, BUTTON_TEXT_MAX),
        "action_id": action_ids.make(kind, arg),
    }
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    if label:
        element["accessibility_label"] = clip(label, BUTTON_TEXT_MAX)
    return element


def actions(*elements: dict) -> dict:
    return {"type": "actions", "elements": list(elements[:ACTIONS_ELEMENTS_MAX])}


def message(text: str, blocks: list[dict]) -> Message:
    if len(blocks) > MAX_BLOCKS:  # keep the closing buttons, drop from the middle
        blocks = blocks[: MAX_BLOCKS - 2] + blocks[-2:]
    return Message(text=clip(" ".join(text.split()), FALLBACK_TEXT_MAX), blocks=blocks)


def mention(user_id: str | None) -> str:
    """A user mention, for a Slack user id the bot got from Slack (never from typed text)."""
    return f"<@{user_id}>" if user_id and user_id.isalnum() else "someone"


# --------------------------------------------------------------------------- the guided flow


def build_intro(catalog: Catalog, started_by: str | None = None) -> Message:
    """The goal chooser that starts the guided flow (a thread root after /usecase)."""
    blocks = [
        section(
            "*Let's find the right Segment use case.* :mag:\n"
            "What is your main business goal? Choose one and I'll ask a few quick questions in the thread."
        )
    ]
    for goal in catalog.goals:
        blocks.append(
            section(
                f"*{escape(goal.name)}*\n{escape(goal.summary)}",
                button(
                    "Choose",
                    "goal",
                    advisor.encode_flow(catalog, Flow(goal.id)),
                    arg=len(blocks),
                    label=f"Choose {goal.name}",
                ),
            )
        )
    hint = "Or just describe it in your own words: `/usecase we keep losing our biggest spenders`"
    blocks.append(context(hint + (f" · Started by {mention(started_by)}" if started_by else "")))
    return message("Let's find the right Segment use case. What is your main business goal?", blocks)


def build_goal_chosen(goal: Goal, user_id: str | None) -> Message:
    return message(
        f"Goal: {goal.name}",
        [
            section(f":white_check_mark: *Goal:* {escape(goal.name)}\n{escape(goal.about)}"),
            context(
                f"Chosen by {mention(user_id)} · {len(goal.considerations)} quick questions follow in the thread"
            ),
        ],
    )


def _question_text(step: AskConsideration) -> str:
    return f"*Question {step.index + 1} of {step.total}* · {escape(step.goal.name)}\n{escape(step.question)}"


def _flow_controls(catalog: Catalog, flow: Flow) -> dict:
    value = advisor.encode_flow(catalog, flow)
    return actions(
        button("← Back", "back", value),
        button("Start over", "restart", value),
    )


def build_question(catalog: Catalog, step: AskConsideration) -> Message:
    value = advisor.encode_flow(catalog, step.flow)
    return message(
        f"Question {step.index + 1} of {step.total}: {step.question}",
        [
            section(_question_text(step)),
            actions(
                *(
                    button(label, "answer", value, arg=letter, style="primary" if letter == "y" else None)
                    for letter, label in advisor.ANSWER_LABELS.items()
                ),
            ),
            _flow_controls(catalog, step.flow),
        ],
    )


def build_question_closed(step: AskConsideration, note: str) -> Message:
    """A question once dealt with: its buttons gone, and what happened (already escaped mrkdwn)."""
    return message(
        f"Question {step.index + 1} of {step.total}: {step.question} ({note})",
        [section(_question_text(step)), context(note)],
    )


def answered_note(letter: str, user_id: str | None) -> str:
    return f"{mention(user_id)} answered *{advisor.ANSWER_LABELS[letter]}*"


def build_choose(catalog: Catalog, step: ChooseAmong) -> Message:
    if step.tied:
        intro = "*Which is closest?* Your answers point to more than one use case:"
        text = "Which is closest? Your answers point to more than one use case."
    else:
        intro = (
            f"None of the questions was a clear yes, so here are all of the use cases for "
            f"*{escape(step.goal.name)}*. Pick the one that fits your most pressing need; you can "
            f"always add others later."
        )
        text = f"Here are the use cases for {step.goal.name}. Which fits best?"
    blocks = [section(intro)]
    blocks += _pick_sections(
        catalog,
        [(uc, step.goal.id) for uc in step.use_cases],
        lambda uc, goal_id: Choice(uc, goal_id, answers=step.flow.answers, picked_from=len(step.use_cases)),
    )
    blocks.append(_flow_controls(catalog, step.flow))
    return message(text, blocks)


def _pick_sections(catalog: Catalog, pairs, make_choice) -> list[dict]:
    blocks = []
    for index, (uc_id, goal_id) in enumerate(pairs):
        uc = catalog.use_cases[uc_id]
        goal = catalog.goal(goal_id)
        goal_note = f" · _{escape(goal.name)}_" if goal else ""
        blocks.append(
            section(
                f"*{escape(uc.name)}*{goal_note}\n{escape(helps_you(uc))}",
                button(
                    "Choose",
                    "pick",
                    advisor.encode_choice(catalog, make_choice(uc_id, goal_id)),
                    arg=index,
                    label=f"Choose {uc.name}",
                ),
            )
        )
    return blocks


def helps_you(use_case: UseCase) -> str:
    """The use case's purpose as a sentence: "Helps you …"."""
    return f"Helps you {use_case.purpose.rstrip('.')}."


def build_picked(text: str, note: str) -> Message:
    """A list of options once someone picked: the options collapse to what was picked."""
    return message(text, [section(note)])


# --------------------------------------------------------------------------- recommendations


def _goal_and_fit(catalog: Catalog, choice: Choice):
    use_case = catalog.use_cases[choice.use_case]
    goal = catalog.goal(choice.goal)
    return use_case, goal, use_case.goals[choice.goal]


def _why(why: Why) -> str:
    if why.picked_from:  # chosen by hand: say so, and what the answers or words pointed to
        picked = f"*Why this one:* you picked it from {why.picked_from} options"
        if why.questions:
            return (
                picked
                + "; your *Yes* to "
                + "; ".join(f"“{escape(q)}”" for q in why.questions)
                + " pointed to it."
            )
        if why.words:
            return picked + " for " + ", ".join(f"“{literal(w)}”" for w in why.words) + "."
        return picked + "."
    if why.questions:
        listed = "\n".join(f"• {escape(q)}" for q in why.questions)
        return f"*Why this one:* you answered *Yes* to\n{listed}"
    if why.words:
        said = ", ".join(f"“{literal(w)}”" for w in why.words)
        return f"*Why this one:* you mentioned {said}."
    return "*Why this one:* you picked it."


def _events_text(catalog: Catalog, use_case: UseCase) -> str:
    lines = ["*Events to track*"]
    for name in use_case.events:
        props = catalog.events[name].properties
        listed = ", ".join(props) if props else "the Reference lists none"
        lines.append(f"• `{escape(name)}`: {escape(listed)}")
    return "\n".join(lines)


def _one_of(items: tuple[str, ...], word: str) -> str:
    """ "A, B or C" (escaped)."""
    escaped = [escape(i) for i in items]
    return escaped[0] if len(escaped) == 1 else f"{', '.join(escaped[:-1])} {word} {escaped[-1]}"


def checklist_lines(catalog: Catalog, choice: Choice) -> list[str]:
    use_case, goal, fit = _goal_and_fit(catalog, choice)
    values = {
        "use_case": escape(use_case.name),
        "goal": escape(goal.name),
        "events": ", ".join(f"`{escape(e)}`" for e in use_case.events),
        "sources": _one_of(fit.sources, "or"),
        "destinations": _one_of(fit.destinations, "and"),
    }
    return [step.format_map(values) for step in catalog.guide.setup_checklist]


def _recommendation_blocks(
    catalog: Catalog, choice: Choice, why: Why, asked_by: str | None, query: str | None
) -> list[dict]:
    """The card: the use case, its goal, why, the events by name and the next action."""
    use_case, goal, fit = _goal_and_fit(catalog, choice)
    blocks = [
        header(f"Recommended: {use_case.name}"),
        section(f"For *{escape(goal.name)}*: {escape(fit.description)}"),
    ]
    if asked_by or query:
        who = mention(asked_by) if asked_by else "Someone"
        blocks.append(context(f"{who} asked: {quote(query)}" if query else f"Asked by {who}"))
    blocks.append(section(_why(why)))
    events = ", ".join(f"`{escape(e)}`" for e in use_case.events)
    sources = _one_of(fit.sources, "or")
    blocks.append(
        section(
            f"*Events to track:* {events}\n"
            f"*Next:* connect a {sources} source, then give your developers the *Tracking plan*. "
            "*Setup details* lists the properties, destinations and checklist."
        )
    )
    return blocks


def build_recommendation(
    catalog: Catalog,
    choice: Choice,
    why: Why,
    *,
    shareable: bool = True,
    asked_by: str | None = None,
    query: str | None = None,
    feedback: tuple[bool, str | None] | None = None,
    reason: str | None = None,
    docs_url: str | None = None,
    shared_by: str | None = None,
) -> Message:
    """The answer, on one screen: the use case, its goal, why, the events and the next action,
    with the details and the tracking plan one click away.

    `feedback` (helpful, user) replaces the Helpful / Not helpful buttons with a thank-you.
    """
    use_case, goal, _ = _goal_and_fit(catalog, choice)
    value = advisor.encode_choice(catalog, choice)
    blocks = _recommendation_blocks(catalog, choice, why, asked_by, query)
    controls = [
        button("Setup details", "details", value, style="primary"),
        button("Tracking plan", "plan", value),
        button("Open Segment's docs", "docs", value, url=docs_url or use_case.docs_url),
        button("Other options", "others", value),
    ]
    if shareable and shared_by is None:
        controls.append(button("Share to channel", "share", value))
    controls.append(button("Start over", "restart", value))
    blocks.append(actions(*controls))
    if shared_by is not None:
        blocks.append(_shared_note(shared_by))
    if feedback is None:
        blocks.append(
            actions(
                button(":thumbsup: Helpful", "helpful", value),
                button(":thumbsdown: Not helpful", "unhelpful", value),
            )
        )
    elif reason is not None:
        blocks.append(_reason_note(reason, feedback[1]))
    else:
        blocks += _feedback_blocks(catalog, choice, *feedback)
    return message(f"Recommended: {use_case.name} (for {goal.name})", blocks)


# what a 👎 asks next: the answers a person can give to "what was missing?"
MISSING_REASONS = ("Wrong use case", "Too vague", "Missing setup steps", "Something else")


def _feedback_blocks(catalog: Catalog, choice: Choice, helpful: bool, user_id: str | None) -> list[dict]:
    if helpful:
        return [_feedback_note(True, user_id)]
    value = advisor.encode_choice(catalog, choice)
    return [
        context(f":thumbsdown: Thanks {mention(user_id)}. *What was missing?*"),
        actions(*(button(r, "missing", value, arg=i) for i, r in enumerate(MISSING_REASONS))),
    ]


def _reason_note(reason: str, user_id: str | None) -> dict:
    return context(
        f":thumbsdown: {mention(user_id)} said: {literal(reason)}. Thanks, that goes to the "
        "people who run this bot. *Other options* or *Start over* may find a better fit."
    )


def _shared_note(user_id: str | None) -> dict:
    return context(f":white_check_mark: {mention(user_id)} shared this to the channel")


def _destination_lines(fit, advice: Advice | None) -> str:
    """Each destination type, with the destinations Segment's catalog lists under it."""
    named = dict(advice.tools) if advice else {}
    lines = []
    for kind in fit.destinations:
        tools = named.get(kind, ())
        examples = ", ".join(f"<{t.url}|{escape(t.name)}>" for t in tools)
        lines.append(f"{escape(kind)}" + (f" (e.g. {examples})" if examples else ""))
    return "\n".join(lines)


def build_setup_details(catalog: Catalog, choice: Choice, advice: Advice | None = None) -> Message:
    """Everything to set the use case up: events with properties, sources, destinations with
    named tools, the checklist, who can use Segment's guided onboarding (and the way for
    everyone else), the add-ons it leans on; posted in the thread on request."""
    use_case, goal, fit = _goal_and_fit(catalog, choice)
    value = advisor.encode_choice(catalog, choice)
    blocks = [
        header(f"Setup details: {use_case.name}"),
        section(_events_text(catalog, use_case)),
        fields_section(
            [
                "*Sources to connect*\n" + "\n".join(escape(s) for s in fit.sources),
                "*Destinations to connect*\n" + _destination_lines(fit, advice),
            ]
        ),
    ]
    steps = "\n".join(f"{i}. {line}" for i, line in enumerate(checklist_lines(catalog, choice), 1))
    blocks.append(section(f"*Setup checklist*\n{steps}"))
    if advice and advice.eligibility:
        page = f" <{advice.setup_url}|Segment's Use Cases Setup page>" if advice.setup_url else ""
        manual = f"\n*Everyone else:* {escape(advice.manual_path)}" if advice.manual_path else ""
        blocks.append(
            section(f"*Who can use Segment's guided setup:* {escape(advice.eligibility)}{page}{manual}")
        )
    for add_on, why in advice.add_ons if advice else ():
        guess = " (our reading of Segment's docs)" if add_on.inferred else ""
        blocks.append(
            section(
                f"*Needs <{add_on.docs_url}|{escape(add_on.name)}>* ({escape(add_on.plan)}){guess}: {escape(why)}"
            )
        )
    notes = [f"Best for {escape(use_case.fit)}, as Segment's guide says."] if use_case.fit else []
    notes += [escape(n) for n in catalog.guide.before_you_start]
    if notes:
        blocks.append(context(*notes))
    others = [g for g in use_case.goals if g != goal.id]
    if others:
        blocks.append(section("*It also serves other goals:* see it set up for one of them."))
        blocks.append(
            actions(
                *(
                    button(
                        f"For {catalog.goal(g).name}",
                        "under",
                        advisor.encode_choice(catalog, Choice(use_case.id, g)),
                        arg=i,
                    )
                    for i, g in enumerate(others)
                )
            )
        )
    blocks.append(
        actions(
            button("Tracking plan", "plan", value, style="primary"),
            button("What do we already track?", "ready", value),
            button(
                "Open Segment's docs", "docs", value, url=advice.docs_url if advice else use_case.docs_url
            ),
        )
    )
    return message(f"Setup details: {use_case.name} (for {goal.name})", blocks)


def build_plan_formats(catalog: Catalog, plan: PlanRequest, formats: dict[str, str]) -> Message:
    """Which file the tracking plan comes as; `formats` maps format ids to labels."""
    use_case = catalog.use_cases[plan.use_case]
    value = advisor.encode_plan(catalog, plan)
    events = ", ".join(f"`{escape(e)}`" for e in plan.events)
    blocks = [
        section(
            f"*Tracking plan for {escape(use_case.name)}:* {events}\n"
            "Pick a format and I'll post it in the thread as a file."
        )
    ]
    buttons = [button(label, "planfile", value, arg=fmt) for fmt, label in formats.items()]
    for start in range(0, len(buttons), 5):
        blocks.append(actions(*buttons[start : start + 5]))
    return message(f"Tracking plan for {use_case.name}: pick a format", blocks)


def build_create_offer(catalog: Catalog, plan: PlanRequest) -> Message:
    """For admins only, privately: the same plan created in the Segment workspace."""
    return message(
        "You can also create this tracking plan in Segment",
        [
            section(
                "You can also create this tracking plan in your Segment workspace "
                "(you are on the bot's admin list). You will see what it creates first."
            ),
            actions(button("Create it in Segment…", "create", advisor.encode_plan(catalog, plan))),
        ],
    )


def build_plan_modal(title: str, content: str) -> dict:
    """A modal holding a plan too long for a message (up to 100 blocks of code)."""
    chunk = SECTION_TEXT_MAX - 10
    parts = [content[i : i + chunk] for i in range(0, len(content), chunk)] or [""]
    return {
        "type": "modal",
        "title": _plain("Tracking plan", 24),
        "close": _plain("Close", 24),
        "blocks": [section(f"*{escape(title)}*")] + [section(f"```{escape(p)}```") for p in parts[:99]],
    }


def build_plan_created(name: str, plan_id: str | None, ok: bool, problem: str = "") -> Message:
    """How creating the plan in Segment went (a plan half created is named with its id)."""
    if ok:
        text = (
            f":white_check_mark: Created the tracking plan *{escape(name)}* in Segment "
            f"(id `{escape(plan_id or '')}`). Find it under Protocols → Tracking Plans."
        )
    else:
        text = f":warning: Segment did not create *{escape(name)}*: {escape(problem)}"
    return message(text, [section(text)])


def build_plan_inline(title: str, content: str, why: str) -> Message:
    """A tracking plan that could not be uploaded as a file, as code blocks in the message."""
    chunk = SECTION_TEXT_MAX - 10
    parts = [content[i : i + chunk] for i in range(0, len(content), chunk)] or [""]
    blocks = [section(f"*{escape(title)}* ({escape(why)})")]
    blocks += [section(f"```{escape(part)}```") for part in parts[: MAX_BLOCKS - 1]]
    return message(title, blocks)


def plan_fits_inline(content: str) -> bool:
    return len(content) <= 3 * (SECTION_TEXT_MAX - 10)


READINESS_BLOCK = "readiness"


def build_readiness(catalog: Catalog, choice: Choice) -> Message:
    """The guide's step 3, "evaluate your current data collection": tick what is tracked."""
    use_case = catalog.use_cases[choice.use_case]
    value = advisor.encode_choice(catalog, choice)
    options = [{"text": _plain(e, 75), "value": str(i)} for i, e in enumerate(use_case.events[:10])]
    return message(
        f"Which {use_case.name} events do you already track?",
        [
            section(
                f"*Which of these do you already track?* ({escape(use_case.name)})\n"
                "Tick what is in place; I'll list what to add and give you the plan for just that."
            ),
            {
                "type": "actions",
                "block_id": READINESS_BLOCK,
                "elements": [
                    {"type": "checkboxes", "action_id": action_ids.make("tracked"), "options": options}
                ],
            },
            actions(button("Show what's missing", "gap", value, style="primary")),
        ],
    )


def build_gap(catalog: Catalog, choice: Choice, tracked: tuple[str, ...], formats: dict[str, str]) -> Message:
    """What the readiness check found: in place, to add, and the plan for what to add."""
    use_case = catalog.use_cases[choice.use_case]
    missing = tuple(e for e in use_case.events if e not in tracked)
    have = ", ".join(f"`{escape(e)}`" for e in use_case.events if e in tracked) or "none of them yet"
    if not missing:
        return message(
            "Every event is in place",
            [
                section(
                    f":white_check_mark: *Already in place:* {have}\n"
                    "Every event this use case needs is tracked: connect the destinations in "
                    "*Setup details* and you are ready."
                )
            ],
        )
    todo = ", ".join(f"`{escape(e)}`" for e in missing)
    plan = advisor.encode_plan(catalog, PlanRequest(choice.use_case, choice.goal, missing))
    buttons = [button(label, "planfile", plan, arg=fmt) for fmt, label in formats.items()]
    blocks = [
        section(
            f"*Already in place:* {have}\n*To add:* {todo}\n"
            "Here is the tracking plan for just what is missing:"
        )
    ]
    for start in range(0, len(buttons), 5):
        blocks.append(actions(*buttons[start : start + 5]))
    return message(f"To add: {', '.join(missing)}", blocks)


def build_create_preview(catalog: Catalog, plan: PlanRequest, name: str) -> Message:
    """What creating the plan in Segment will do, before it does it."""
    value = advisor.encode_plan(catalog, plan)
    events = ", ".join(f"`{escape(e)}`" for e in plan.events)
    return message(
        f"Create the tracking plan {name} in Segment?",
        [
            section(
                f"*Create a tracking plan in your Segment workspace?*\nName: *{escape(name)}*\n"
                f"Rules: {len(plan.events)} track events ({events})"
            ),
            actions(
                button("Create it", "confirm", value, style="primary"), button("Cancel", "cancel", value)
            ),
        ],
    )


def _feedback_note(helpful: bool, user_id: str | None) -> dict:
    if helpful:
        return context(f":thumbsup: {mention(user_id)} found this helpful. Thanks for letting us know!")
    return context(
        f":thumbsdown: {mention(user_id)} found this not helpful. Thanks: try *Other options*, "
        "or *Start over* and describe the goal differently."
    )


def _replace_actions(original: list, kind: str, new_blocks) -> list | None:
    """The blocks as posted (from a click's payload), the actions row holding a button of `kind`
    replaced by `new_blocks(row)`; None when no such row is there (or a block is not a dict)."""
    out, found = [], False
    for block in original:
        if not isinstance(block, dict):
            return None
        elements = block.get("elements")
        ids = [
            e.get("action_id")
            for e in (elements if isinstance(elements, list) else [])
            if isinstance(e, dict)
        ]
        if block.get("type") == "actions" and any(action_ids.has_kind(i, kind) for i in ids):
            out += new_blocks(block)
            found = True
        else:
            out.append(block)
    return out if found else None


def with_feedback(
    catalog: Catalog, original: list, helpful: bool, user_id: str | None, choice: Choice
) -> Message | None:
    """The recommendation as posted, its feedback buttons replaced by a thank-you (and, for a
    👎, the question of what was missing); None when those buttons are not there."""
    out = _replace_actions(original, "helpful", lambda _: _feedback_blocks(catalog, choice, helpful, user_id))
    if out is None:
        return None
    verdict = "helpful" if helpful else "not helpful"
    return message(f"Recommendation marked {verdict}", out)


def with_reason(original: list, reason: str, user_id: str | None) -> Message | None:
    out = _replace_actions(original, "missing", lambda _: [_reason_note(reason, user_id)])
    return message(f"Feedback: {reason}", out) if out is not None else None


def with_shared(original: list, user_id: str | None, _channel: str | None) -> Message | None:
    """The recommendation as posted, its Share button gone and a note of who shared it."""

    def without_share(row: dict) -> list[dict]:
        kept = [e for e in row["elements"] if not action_ids.has_kind(e.get("action_id"), "share")]
        return [{**row, "elements": kept}, _shared_note(user_id)]

    out = _replace_actions(original, "share", without_share)
    return message("Recommendation shared to the channel", out) if out is not None else None


def with_permalink(shared: Message, permalink: str) -> Message:
    """The shared copy, with a link back to the conversation it came from."""
    link = context(f"<{permalink}|View the whole conversation>")
    return message(shared.text, [*shared.blocks[:-1], link, shared.blocks[-1]] if shared.blocks else [link])


def build_share_picker(catalog: Catalog, choice: Choice) -> Message:
    """From a DM: which channel to share to. A conversations_select has no value, so the
    choice rides in its block_id (a short one: the use case and goal)."""
    compact = advisor.encode_choice(catalog, Choice(choice.use_case, choice.goal))
    return message(
        "Share to which channel?",
        [
            section("*Share to which channel?* I'll post a short summary there."),
            {
                "type": "actions",
                "block_id": compact,
                "elements": [
                    {
                        "type": "conversations_select",
                        "action_id": action_ids.make("sharepick"),
                        "placeholder": _plain("Pick a channel", 150),
                        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                    }
                ],
            },
        ],
    )


def build_root_restarted(user_id: str | None) -> Message:
    """The thread's root once someone started over: no longer the old goal."""
    note = f":arrows_counterclockwise: {mention(user_id)} started over: choose a goal in the thread."
    return message("Started over: choose a goal in the thread", [section(note)])


def build_shared(catalog: Catalog, choice: Choice, user_id: str | None) -> Message:
    """The compact copy posted to the channel by "Share to channel"."""
    use_case, goal, fit = _goal_and_fit(catalog, choice)
    events = ", ".join(f"`{escape(e)}`" for e in use_case.events)
    return message(
        f"{use_case.name} is the recommended Segment use case for {goal.name}",
        [
            section(
                f":bulb: {mention(user_id)} shared a recommendation: *{escape(use_case.name)}* "
                f"for *{escape(goal.name)}*\n{escape(fit.description)}"
            ),
            context(f"Track {events} · full setup steps in the thread"),
            actions(button("Open Segment's docs", "docs", None, url=use_case.docs_url)),
        ],
    )


def build_alternatives(catalog: Catalog, choice: Choice, pairs: tuple[tuple[str, str], ...]) -> Message:
    """The runners-up (use case, goal pairs) to a recommendation, each a button."""
    current = catalog.use_cases[choice.use_case].name
    if not pairs:
        return message("No other options", [section(f"*{escape(current)}* is the only option here.")])
    blocks = [section(f"*Other options* besides {escape(current)}:")]
    blocks += _pick_sections(
        catalog,
        pairs,
        lambda uc, goal_id: Choice(
            uc, goal_id, answers=choice.answers, words=choice.words, picked_from=len(pairs)
        ),
    )
    value = advisor.encode_choice(catalog, choice)
    blocks.append(
        actions(
            button(f"← Back to {current}", "pick", value, arg=len(pairs)),
            button("Start over", "restart", value),
        )
    )
    return message(f"Other options besides {current}", blocks)


# --------------------------------------------------------------------------- free text


def build_did_you_mean(catalog: Catalog, choices: list[Choice], query: str) -> Message:
    blocks = [section(f"I'm not sure which you mean by {quote(query)}. *Did you mean…?*")]
    blocks += _pick_sections(
        catalog,
        [(c.use_case, c.goal) for c in choices],
        lambda uc, _goal: next(c for c in choices if c.use_case == uc),
    )
    blocks.append(actions(button("Start the guided flow", "guided", advisor.encode_flow(catalog, Flow()))))
    return message("Did you mean one of these use cases?", blocks)


WHAT_I_DO = "I help your team pick the Segment use case that fits a business goal, and set it up."
WAYS_TO_ASK = (
    "• `/usecase`: a few Yes / No questions in a thread\n"
    "• `/usecase we keep losing our biggest spenders`: your goal in your own words (answered privately)\n"
    "• `@usecase-bot shoppers leave items in the cart` in a channel, or the same in a DM\n"
    "• `/usecase list`: every use case, by business goal"
)


def build_no_match(catalog: Catalog, query: str) -> Message:
    """Text that is not a use-case goal: one line on what the bot does and how to start."""
    return message(
        "I couldn't match that to a Segment use case.",
        [
            section(
                f"I couldn't match {quote(query)} to a Segment use case. {WHAT_I_DO} "
                "Tell me the business problem (`@usecase-bot shoppers leave items in the cart`), "
                "or run `/usecase` for a few quick questions."
            ),
            actions(
                button(
                    "Start the guided flow", "guided", advisor.encode_flow(catalog, Flow()), style="primary"
                )
            ),
        ],
    )


# --------------------------------------------------------------------------- help and notices


def build_help(catalog: Catalog) -> Message:
    steps = "\n".join(f"{i}. {escape(s)}" for i, s in enumerate(catalog.guide.selection_method, 1))
    after = "\n".join(f"{i}. {escape(s)}" for i, s in enumerate(catalog.guide.next_steps, 1))
    guide = catalog.guide.docs.get("guide")
    return message(
        WHAT_I_DO,
        [
            section(f"*{WHAT_I_DO}*\n{WAYS_TO_ASK}"),
            actions(
                button(
                    "Start the guided flow", "guided", advisor.encode_flow(catalog, Flow()), style="primary"
                )
            ),
            section(f"*How Segment suggests choosing*\n{steps}"),
            section(f"*Once you have chosen*\n{after}"),
            context(
                f"<{guide}|Segment's guide to choosing a use case>"
                if guide
                else "Segment's guide: Choosing a Use Case"
            ),
        ],
    )


def build_list(catalog: Catalog) -> Message:
    """Every use case by goal, each one pick away from its recommendation (a menu per goal)."""
    blocks = [header("Segment use cases by business goal")]
    for index, goal in enumerate(catalog.goals[: MAX_BLOCKS - 3]):
        names = ", ".join(escape(catalog.use_cases[uc].name) for uc in goal.use_cases)
        options = [
            {
                "text": _plain(catalog.use_cases[uc].name, 75),
                "value": advisor.encode_choice(catalog, Choice(uc, goal.id)),
            }
            for uc in goal.use_cases[:100]
        ]
        blocks.append(
            section(
                f"*{escape(goal.name)}*\n{names}",
                {
                    "type": "static_select",
                    "action_id": action_ids.make("browse", index),
                    "placeholder": _plain("See one", 150),
                    "options": options,
                },
            )
        )
    blocks.append(
        context(
            "Pick a use case to see it, run `/usecase` to choose with a few questions, "
            "or describe your goal: `/usecase <your goal>`."
        )
    )
    return message("Segment use cases by business goal", blocks)


def build_notice(text: str) -> Message:
    """A short private note (expired prompt, already answered, cannot post here)."""
    return message(text, [section(text)])


ADMINS_ONLY = (
    "Only the people the bot's operator allows (USECASE_ADMINS) can create tracking plans "
    "in Segment. Pick a format instead and hand the file to whoever can."
)
NO_SEGMENT_TOKEN = (
    "Creating tracking plans in Segment is not set up here: the operator sets "
    "SEGMENT_PUBLIC_API_TOKEN to turn it on."
)
EXPIRED = "This prompt has expired. Run `/usecase` to start again."
ALREADY_ANSWERED = "That question was already answered. The conversation continues in the thread."
FAILED = "Sorry, I couldn't post my answer just now (Slack didn't accept it). Please try again in a moment."
FAILED_BECAUSE = {
    "ratelimited": "Slack asked me to slow down and still refused after several tries",
    "HTTP 429": "Slack asked me to slow down and still refused after several tries",
    "timeout": "Slack did not answer in time, several times",
    "connection_failed": "I could not reach Slack, several times",
}


def failed(error: str | None) -> str:
    """What to tell a person whose answer could not be posted, by how the post failed."""
    why = FAILED_BECAUSE.get(error or "")
    if why is None and error and error.startswith("HTTP 5"):
        why = "Slack had an error on its side, several times"
    if why is None:
        why = f"Slack didn't accept it: `{escape(error or 'error')}`"
    return (
        f"Sorry, I couldn't post my answer just now ({why}). Nothing was lost: please try again in a moment."
    )


def build_cannot_post_here(channel_id: str | None, answer: Message) -> Message:
    """The answer the bot could not post where it was asked, told privately, with how to fix it."""
    return message(answer.text, [section(cannot_post_here(channel_id)), *answer.blocks])


def cannot_post_here(channel_id: str | None) -> str:
    if channel_id and channel_id.startswith("D"):
        return (
            "I can't post in this conversation: I'm not part of it. "
            "Send me a direct message instead (find *usecase-bot* under Apps), and I'll help there."
        )
    return (
        "I can't post in this channel because I'm not a member of it. "
        "Invite me with `/invite @usecase-bot` and try again, or send me a direct message."
    )


# --------------------------------------------------------------------------- what people actually write


def _guided_button(catalog: Catalog, primary: bool = False) -> dict:
    return button(
        "Start the guided flow",
        "guided",
        advisor.encode_flow(catalog, Flow()),
        style="primary" if primary else None,
    )


def build_two_asks(catalog: Catalog, choices: list[Choice], query: str) -> Message:
    """One message, two goals: say so, with a button for each and the guided flow."""
    names = [catalog.use_cases[c.use_case].name for c in choices]
    said = " and ".join(f"*{escape(n)}*" for n in names)
    blocks = [section(f"I see two goals here: {said}. Let's take them one at a time: pick one to start.")]
    blocks += _pick_sections(
        catalog,
        [(c.use_case, c.goal) for c in choices],
        lambda uc, _goal: next(c for c in choices if c.use_case == uc),
    )
    blocks.append(
        context(f"From {quote(query, 200)} · Reply in this thread with “the other goal” for the second one.")
    )
    blocks.append(actions(_guided_button(catalog)))
    return message(f"I see two goals here: {' and '.join(names)}", blocks)


def build_way_forward(catalog: Catalog, choices: list[Choice], goal: Goal | None, query: str) -> Message:
    """A goal too broad for one use case: the closest use cases and the goals, never a dead end."""
    blocks = [
        section(
            f"{quote(query, 200)} is a broad goal, so here's a short way forward: "
            + (
                "pick the closest use case below, or a business goal to answer a few questions."
                if choices
                else "pick the business goal closest to it and I'll ask a few quick questions."
            )
        )
    ]
    if choices:
        blocks += _pick_sections(
            catalog,
            [(c.use_case, c.goal) for c in choices],
            lambda uc, _goal: next(c for c in choices if c.use_case == uc),
        )
    goals = [goal] if goal is not None else []
    goals += [g for g in catalog.goals if g not in goals]
    blocks.append(
        actions(
            *[
                button(
                    g.name, "goal", advisor.encode_flow(catalog, Flow(g.id)), arg=i, label=f"Choose {g.name}"
                )
                for i, g in enumerate(goals[: ACTIONS_ELEMENTS_MAX - 1])
            ],
            _guided_button(catalog, primary=True),
        )
    )
    return message("A short way forward: the closest use cases and goals", blocks)


def build_support(catalog: Catalog, topic_name: str | None, docs_url: str, query: str) -> Message:
    """A Segment how-to or support question: what the bot is for, and where Segment's docs say."""
    where = f"Segment's docs on {escape(topic_name)}" if topic_name else "Segment's docs"
    return message(
        f"That's a question for {where}",
        [
            section(
                f"{quote(query, 200)} sounds like a question about Segment itself: I help choose and set up "
                f"use cases, so <{docs_url}|{where}> are the place for it."
            ),
            actions(
                button("Open Segment's docs", "docs", None, url=docs_url),
                _guided_button(catalog),
            ),
        ],
    )


def build_why_not(catalog: Catalog, asked: Choice, current: Choice, words: tuple[str, ...]) -> Message:
    """ "Why not winback?": what the other use case is for, why the bot chose the one it did, and
    a button for each."""
    other, chosen = catalog.use_cases[asked.use_case], catalog.use_cases[current.use_case]
    because = " for " + ", ".join(f"“{literal(w)}”" for w in words) if words else ""
    return message(
        f"Why not {other.name}?",
        [
            section(
                f"*{escape(other.name)}* {escape(helps_you(other)[0].lower() + helps_you(other)[1:])} "
                f"I suggested *{escape(chosen.name)}*{because}. Which fits better?"
            ),
            actions(
                button(
                    f"Choose {other.name}",
                    "pick",
                    advisor.encode_choice(catalog, asked),
                    arg=0,
                    label=f"Choose {other.name}",
                ),
                button(
                    f"Keep {chosen.name}",
                    "pick",
                    advisor.encode_choice(catalog, current),
                    arg=1,
                    label=f"Keep {chosen.name}",
                ),
            ),
        ],
    )


def with_metadata(answer: Message, metadata: dict | None) -> Message:
    """The same message, carrying a conversation's state (bot/metadata.py) when posted."""
    return Message(answer.text, answer.blocks, metadata)
