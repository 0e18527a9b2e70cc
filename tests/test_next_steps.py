"""The honest next steps for a recommendation: the Reference's section for its goal, who can use
the in-app flow and the way for everyone else, named tools for that goal's destination types, and
the add-ons the use case leans on, marked when Segment does not say so itself."""

from __future__ import annotations

import dataclasses

import pytest

from bot.next_steps import advice


def test_every_row_gets_its_goals_section_and_tools_for_exactly_its_destination_types(catalog):
    for row in catalog.rows():
        a = advice(catalog, row.use_case.id, row.goal.id)
        assert a.docs_url == catalog.next_steps.reference_sections[row.goal.id]
        assert [kind for kind, _ in a.tools] == list(row.fit.destinations)
        for kind, tools in a.tools:
            assert tools == catalog.next_steps.destination_examples[kind]
        assert a.setup_url == catalog.guide.onboarding.setup_url
        assert a.eligibility and a.manual_path


def test_the_tools_follow_the_goal_when_a_use_case_serves_several(catalog):
    shared = next(
        uc for uc in catalog.use_cases.values() if len({fit.destinations for fit in uc.goals.values()}) > 1
    )
    kinds = {
        goal_id: [kind for kind, _ in advice(catalog, shared.id, goal_id).tools] for goal_id in shared.goals
    }
    assert len({tuple(k) for k in kinds.values()}) > 1
    sections = {advice(catalog, shared.id, goal_id).docs_url for goal_id in shared.goals}
    assert len(sections) == len(shared.goals)


def test_add_ons_come_with_why_and_only_for_the_use_cases_listed(catalog):
    (engage,) = catalog.next_steps.add_ons
    for row in catalog.rows():
        a = advice(catalog, row.use_case.id, row.goal.id)
        if row.use_case.id in engage.use_cases:
            assert a.add_ons == ((engage, engage.use_cases[row.use_case.id]),)
            assert a.add_ons[0][0].inferred
        else:
            assert a.add_ons == ()


def test_a_catalog_without_next_steps_data_falls_back_to_the_use_cases_own_link(catalog):
    bare = dataclasses.replace(
        catalog, next_steps=None, guide=dataclasses.replace(catalog.guide, onboarding=None)
    )
    row = catalog.rows()[0]
    a = advice(bare, row.use_case.id, row.goal.id)
    assert a.docs_url == row.use_case.docs_url
    assert (a.tools, a.add_ons, a.eligibility, a.setup_url) == ((), (), None, None)


def test_a_use_case_under_a_goal_it_does_not_serve_is_refused(catalog):
    goal = next(g for g in catalog.goals if "mitigate-high-value-churn" not in g.use_cases)
    with pytest.raises(ValueError):
        advice(catalog, "mitigate-high-value-churn", goal.id)
    with pytest.raises(ValueError):
        advice(catalog, "no-such-use-case", goal.id)
