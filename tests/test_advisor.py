"""The guided flow as a pure state machine, and its state as button values (no Slack, no mocks)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot import advisor
from bot.advisor import AskConsideration, AskGoal, Choice, ChooseAmong, Flow, Recommend


def test_a_flow_without_a_goal_asks_for_one(catalog):
    assert isinstance(advisor.next_step(catalog, Flow()), AskGoal)


def test_every_goal_asks_its_considerations_in_order(catalog):
    for goal in catalog.goals:
        flow = Flow(goal.id)
        for index, consideration in enumerate(goal.considerations):
            step = advisor.next_step(catalog, flow)
            assert isinstance(step, AskConsideration)
            assert (step.index, step.total, step.question) == (
                index,
                len(goal.considerations),
                consideration.question,
            )
            flow = flow.answered("n")
        assert not isinstance(advisor.next_step(catalog, flow), AskConsideration)


@pytest.mark.parametrize("goal_index", range(4))
def test_each_single_yes_recommends_or_asks_among_what_its_question_points_to(catalog, goal_index):
    goal = catalog.goals[goal_index]
    for index, consideration in enumerate(goal.considerations):
        answers = "".join("y" if i == index else "n" for i in range(len(goal.considerations)))
        step = advisor.next_step(catalog, Flow(goal.id, answers))
        if len(consideration.points_to) == 1:
            assert isinstance(step, Recommend)
            assert step.choice.use_case == consideration.points_to[0]
            assert step.choice.goal == goal.id and step.choice.answers == answers
            assert advisor.supporting_questions(catalog, step.choice) == (consideration.question,)
            assert step.choice.use_case not in step.choice.others
        else:
            assert isinstance(step, ChooseAmong) and step.tied
            assert step.use_cases == consideration.points_to


def test_the_use_case_with_most_yes_answers_wins(catalog):
    for goal in catalog.goals:
        counts = {}
        for c in goal.considerations:
            for uc in c.points_to:
                counts[uc] = counts.get(uc, 0) + 1
        repeated = [uc for uc, n in counts.items() if n > 1]
        for uc in repeated:
            answers = "".join("y" if uc in c.points_to else "n" for c in goal.considerations)
            step = advisor.next_step(catalog, Flow(goal.id, answers))
            assert isinstance(step, Recommend) and step.choice.use_case == uc


def test_all_no_or_not_sure_offers_every_use_case_of_the_goal(catalog):
    for goal in catalog.goals:
        for letter in "nu":
            step = advisor.next_step(catalog, Flow(goal.id, letter * len(goal.considerations)))
            assert isinstance(step, ChooseAmong) and not step.tied
            assert step.use_cases == goal.use_cases


def test_back_steps_to_the_previous_question_then_to_the_goals(catalog):
    goal = catalog.goals[0]
    flow = Flow(goal.id, "yn")
    assert advisor.next_step(catalog, flow.back()).index == 1
    assert advisor.next_step(catalog, flow.back().back()).index == 0
    assert isinstance(advisor.next_step(catalog, flow.back().back().back()), AskGoal)


def test_alternatives_are_the_runners_up_and_never_the_choice(catalog):
    goal = catalog.goals[0]
    choice = Choice(goal.use_cases[0], goal.id)
    pairs = advisor.alternatives(catalog, choice)
    assert [uc for uc, _ in pairs] == list(goal.use_cases[1:])
    assert all(g == goal.id for _, g in pairs)
    other_goal_uc = next(uc for uc in catalog.use_cases if goal.id not in catalog.use_cases[uc].goals)
    pairs = advisor.alternatives(catalog, dataclasses.replace(choice, others=(other_goal_uc,)))
    assert pairs == ((other_goal_uc, next(iter(catalog.use_cases[other_goal_uc].goals))),)


# ------------------------------------------------------------------ the codec


def test_flows_and_choices_survive_the_round_trip(catalog):
    goal = catalog.goals[2]
    for flow in (Flow(), Flow(goal.id), Flow(goal.id, "ynu")):
        assert advisor.decode(catalog, advisor.encode_flow(catalog, flow)) == flow
    choice = Choice(
        goal.use_cases[1],
        goal.id,
        answers="yn",
        words=("losing", "big spenders"),
        others=(goal.use_cases[0],),
    )
    value = advisor.encode_choice(catalog, choice)
    assert advisor.decode(catalog, value) == choice
    assert len(value) < 2000


def test_values_are_versioned_and_checked_against_the_catalog(catalog):
    goal = catalog.goals[0]
    good = json.loads(advisor.encode_flow(catalog, Flow(goal.id, "y")))
    assert good[0] == advisor.VALUE_VERSION
    broken = [
        None,
        42,
        "",
        "garbage",
        "[]",
        "{}",
        '"1"',
        json.dumps(["0", *good[1:]]),
        json.dumps([*good[:-1], "ffff"]),  # questions changed since the button was posted
        json.dumps(["1", "f", goal.id, "y" * (len(goal.considerations) + 1), good[-1]]),
        json.dumps(["1", "f", goal.id, "yx", good[-1]]),
        json.dumps(["1", "f", "no-such-goal", "", ""]),
        json.dumps(["1", "z", goal.id]),
        advisor.encode_flow(catalog, Flow(goal.id, "y"))[:-3],  # truncated
        json.dumps(["1", "c", "no-such", goal.id, None, [], [], good[-1]]),
        json.dumps(["1", "c", catalog.goals[3].use_cases[0], goal.id, None, [], [], good[-1]]),
        json.dumps(["1", "c", goal.use_cases[0], goal.id, None, ["x" * 500], [], good[-1]]),
        json.dumps(["1", "c", goal.use_cases[0], goal.id, None, [], ["nope"], good[-1]]),
        "x" * 3000,
    ]
    for value in broken:
        assert advisor.decode(catalog, value) is None, value


def test_a_use_case_not_under_the_goal_is_refused(catalog):
    goal = catalog.goals[0]
    outsider = next(uc for uc in catalog.use_cases if goal.id not in catalog.use_cases[uc].goals)
    value = advisor.encode_choice(catalog, Choice(outsider, goal.id))
    assert advisor.decode(catalog, value) is None
