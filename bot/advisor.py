"""The guided flow as a pure state machine, and the codec that makes its state a button value.

A flow is a goal and the answers so far (one letter per consideration: y, n, u). Nothing is
stored between clicks: every button carries the state it belongs to, versioned and checked
against the catalog when it comes back, so any process can serve any click.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field

from bot.bounded import json_within
from bot.catalog import Catalog, Goal

ANSWER_LABELS = {"y": "Yes", "n": "No", "u": "Not sure"}
VALUE_VERSION = "1"
MAX_WORDS = 4  # matched words carried in a value, for "why this one"
MAX_WORD_LEN = 40
MAX_OTHERS = 5
MAX_PICKED_FROM = 99
MAX_VALUE = 2000  # Slack's limit on a button's value
MAX_VALUE_DEPTH = 4  # ours nest two deep (the words and the runners-up lists inside the value)


# --------------------------------------------------------------------------- state


@dataclass(frozen=True)
class Flow:
    """Where a guided flow is: the goal chosen (None before) and the answers given so far."""

    goal: str | None = None
    answers: str = ""

    def answered(self, letter: str) -> Flow:
        return Flow(self.goal, self.answers + letter)

    def back(self) -> Flow:
        return Flow(self.goal, self.answers[:-1]) if self.answers else Flow()


@dataclass(frozen=True)
class Choice:
    """A use case recommended (or offered) under a goal, with what led to it.

    `answers` is set when the guided flow led here (its Yes answers explain the choice);
    `words` holds the person's matched words when free text led here; `others` are the
    runners-up shown by "Other options".
    """

    use_case: str
    goal: str
    answers: str | None = None
    words: tuple[str, ...] = ()
    others: tuple[str, ...] = field(default=())
    picked_from: int = 0  # chosen by hand from this many options (0: the bot chose)


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class AskGoal:
    pass


@dataclass(frozen=True)
class AskConsideration:
    goal: Goal
    index: int  # 0-based
    flow: Flow  # the state while this question is open (answers before it)

    @property
    def question(self) -> str:
        return self.goal.considerations[self.index].question

    @property
    def total(self) -> int:
        return len(self.goal.considerations)


@dataclass(frozen=True)
class ChooseAmong:
    """The considerations did not settle it: the person picks.

    `tied` is True when several use cases lead with the same Yes count; False when no answer
    was Yes and the goal's whole list is shown (the guide's step 2).
    """

    goal: Goal
    use_cases: tuple[str, ...]
    tied: bool
    flow: Flow


@dataclass(frozen=True)
class Recommend:
    choice: Choice


@dataclass(frozen=True)
class PlanRequest:
    """A tracking plan asked for: a use case under a goal, and which of its events (all of them,
    or the ones a readiness check found missing)."""

    use_case: str
    goal: str
    events: tuple[str, ...]

    @classmethod
    def whole(cls, catalog: Catalog, choice: Choice) -> PlanRequest:
        return cls(choice.use_case, choice.goal, catalog.use_cases[choice.use_case].events)


Step = AskGoal | AskConsideration | ChooseAmong | Recommend


def next_step(catalog: Catalog, flow: Flow) -> Step:
    """What the guided flow shows next for this state. The state must be valid (see decode)."""
    goal = catalog.goal(flow.goal) if flow.goal else None
    if goal is None:
        return AskGoal()
    if len(flow.answers) < len(goal.considerations):
        return AskConsideration(goal=goal, index=len(flow.answers), flow=flow)
    ranked = rank(goal, flow.answers)
    best = yes_counts(goal, flow.answers)
    top = best[ranked[0]]
    if top == 0:
        return ChooseAmong(goal=goal, use_cases=goal.use_cases, tied=False, flow=flow)
    leaders = tuple(uc for uc in ranked if best[uc] == top)
    if len(leaders) > 1:
        return ChooseAmong(goal=goal, use_cases=leaders, tied=True, flow=flow)
    return Recommend(
        Choice(
            use_case=leaders[0],
            goal=goal.id,
            answers=flow.answers,
            others=tuple(uc for uc in ranked[1 : MAX_OTHERS + 1]),
        )
    )


def yes_counts(goal: Goal, answers: str) -> dict[str, int]:
    """How many Yes answers speak for each of the goal's use cases."""
    counts = {uc: 0 for uc in goal.use_cases}
    for consideration, answer in zip(goal.considerations, answers):
        if answer == "y":
            for uc in consideration.points_to:
                counts[uc] += 1
    return counts


def rank(goal: Goal, answers: str) -> list[str]:
    """The goal's use cases, most Yes answers first, then in the guide's order."""
    counts = yes_counts(goal, answers)
    return sorted(goal.use_cases, key=lambda uc: -counts[uc])


def supporting_questions(catalog: Catalog, choice: Choice) -> tuple[str, ...]:
    """The questions answered Yes that point to the chosen use case."""
    goal = catalog.goal(choice.goal)
    if goal is None or not choice.answers:
        return ()
    return tuple(
        c.question
        for c, a in zip(goal.considerations, choice.answers)
        if a == "y" and choice.use_case in c.points_to
    )


@dataclass(frozen=True)
class Why:
    """Why a use case is shown: the Yes answers that point to it, or the person's words."""

    questions: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    picked_from: int = 0  # the person picked it from this many options


def why(catalog: Catalog, choice: Choice) -> Why:
    return Why(
        questions=supporting_questions(catalog, choice), words=choice.words, picked_from=choice.picked_from
    )


def alternatives(catalog: Catalog, choice: Choice) -> tuple[tuple[str, str], ...]:
    """Runners-up as (use case, goal) pairs: the matcher's or the flow's, else the goal's others."""
    if choice.others:
        return tuple(
            (uc_id, catalog.goal_for(uc_id, choice.goal))
            for uc_id in choice.others
            if catalog.use_case(uc_id) is not None
        )
    goal = catalog.goal(choice.goal)
    if goal is None:
        return ()
    return tuple((uc, goal.id) for uc in goal.use_cases if uc != choice.use_case)


# --------------------------------------------------------------------------- the value codec


def fingerprint(goal: Goal) -> str:
    """Short checksum of a goal's questions: answers given to an edited question list expire."""
    text = "\n".join(c.question for c in goal.considerations)
    return format(zlib.crc32(text.encode("utf-8")) & 0xFFFF, "04x")


def encode_flow(catalog: Catalog, flow: Flow) -> str:
    goal = catalog.goal(flow.goal) if flow.goal else None
    return _dump(["f", flow.goal or "", flow.answers, fingerprint(goal) if goal else ""])


def encode_choice(catalog: Catalog, choice: Choice) -> str:
    goal = catalog.goal(choice.goal)
    words = [w[:MAX_WORD_LEN] for w in choice.words[:MAX_WORDS]]
    parts = [
        "c",
        choice.use_case,
        choice.goal,
        choice.answers,
        words,
        list(choice.others[:MAX_OTHERS]),
        fingerprint(goal) if goal else "",
    ]
    if choice.picked_from:
        parts.append(min(choice.picked_from, MAX_PICKED_FROM))
    return _dump(parts)


def encode_plan(catalog: Catalog, plan: PlanRequest) -> str:
    """The events ride as a mask over the use case's own list ("101": the first and third)."""
    events = catalog.use_cases[plan.use_case].events
    mask = "".join("1" if e in plan.events else "0" for e in events)
    goal = catalog.goal(plan.goal)
    return _dump(["p", plan.use_case, plan.goal, mask, fingerprint(goal) if goal else ""])


def _dump(parts: list) -> str:
    return json.dumps([VALUE_VERSION, *parts], separators=(",", ":"), ensure_ascii=False)


def decode(catalog: Catalog, value: object) -> Flow | Choice | PlanRequest | None:
    """The state a button value carries, or None when it is not one of ours and current."""
    # measured before it is parsed: a value nested deeper than ours never reaches json.loads
    if not isinstance(value, str) or not json_within(value, MAX_VALUE_DEPTH, MAX_VALUE):
        return None
    try:
        parts = json.loads(value)
    except ValueError:
        return None
    if not isinstance(parts, list) or len(parts) < 2 or parts[0] != VALUE_VERSION:
        return None
    kind, rest = parts[1], parts[2:]
    if kind == "f":
        return _decode_flow(catalog, rest)
    if kind == "c":
        return _decode_choice(catalog, rest)
    if kind == "p":
        return _decode_plan(catalog, rest)
    return None


def _decode_plan(catalog: Catalog, rest: list) -> PlanRequest | None:
    if len(rest) != 4 or not all(isinstance(x, str) for x in rest):
        return None
    uc_id, goal_id, mask, check = rest
    use_case, goal = catalog.use_case(uc_id), catalog.goal(goal_id)
    if use_case is None or goal is None or goal_id not in use_case.goals or check != fingerprint(goal):
        return None
    if len(mask) != len(use_case.events) or set(mask) - {"0", "1"} or "1" not in mask:
        return None
    return PlanRequest(uc_id, goal_id, tuple(e for e, bit in zip(use_case.events, mask) if bit == "1"))


def _decode_flow(catalog: Catalog, rest: list) -> Flow | None:
    if len(rest) != 3 or not all(isinstance(x, str) for x in rest):
        return None
    goal_id, answers, check = rest
    if not goal_id:
        return Flow() if not answers and not check else None
    goal = catalog.goal(goal_id)
    if goal is None or check != fingerprint(goal) or not _valid_answers(answers, goal):
        return None
    return Flow(goal_id, answers)


def _decode_choice(catalog: Catalog, rest: list) -> Choice | None:
    if len(rest) == 7:  # picked by hand from this many options
        *rest, picked_from = rest
        if not (
            isinstance(picked_from, int)
            and not isinstance(picked_from, bool)
            and 0 < picked_from <= MAX_PICKED_FROM
        ):
            return None
    else:
        picked_from = 0
    if len(rest) != 6:
        return None
    uc_id, goal_id, answers, words, others, check = rest
    if not (isinstance(uc_id, str) and isinstance(goal_id, str) and isinstance(check, str)):
        return None
    use_case, goal = catalog.use_case(uc_id), catalog.goal(goal_id)
    if use_case is None or goal is None or goal_id not in use_case.goals or check != fingerprint(goal):
        return None
    if answers is not None and not (isinstance(answers, str) and _valid_answers(answers, goal)):
        return None
    if not (
        isinstance(words, list)
        and len(words) <= MAX_WORDS
        and all(isinstance(w, str) and len(w) <= MAX_WORD_LEN for w in words)
    ):
        return None
    if not (
        isinstance(others, list)
        and len(others) <= MAX_OTHERS
        and all(isinstance(o, str) and catalog.use_case(o) is not None for o in others)
    ):
        return None
    return Choice(uc_id, goal_id, answers, tuple(words), tuple(others), picked_from)


def _valid_answers(answers: str, goal: Goal) -> bool:
    return len(answers) <= len(goal.considerations) and all(a in ANSWER_LABELS for a in answers)
