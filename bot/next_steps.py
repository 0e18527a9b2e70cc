"""What the bot can honestly add after a recommendation, beyond the events and the source and
destination types: where to read on, who can use Segment's in-app onboarding and the way for
everyone else, named tools for each recommended destination type, and the products beyond
Connections the use case leans on. Pure: the facts live in the catalog (guide.yml's onboarding,
next-steps.yml), and nothing here imports Slack."""

from __future__ import annotations

from dataclasses import dataclass

from bot.catalog import AddOn, Catalog, NamedTool


@dataclass(frozen=True)
class Advice:
    docs_url: str  # the Use Cases Reference's section for the goal (else the use case's docs_url)
    setup_url: str | None  # Segment's Use Cases Setup page: the in-app flow
    eligibility: str | None  # who can use the in-app flow
    manual_path: str | None  # the way for everyone else
    tools: tuple[tuple[str, tuple[NamedTool, ...]], ...]  # (destination type, named tools), the goal's order
    add_ons: tuple[tuple[AddOn, str], ...]  # (add-on, what this use case would use it for)


def advice(catalog: Catalog, use_case_id: str, goal_id: str) -> Advice:
    """The next steps for a use case under one of its goals; ValueError for a pair that is not one."""
    use_case = catalog.use_case(use_case_id)
    if use_case is None or goal_id not in use_case.goals:
        raise ValueError(f"no use case '{use_case_id}' under goal '{goal_id}' in the catalog")
    fit = use_case.goals[goal_id]
    steps = catalog.next_steps
    onboarding = catalog.guide.onboarding
    docs_url = (steps.reference_sections.get(goal_id) if steps else None) or use_case.docs_url
    tools = tuple(
        (kind, steps.destination_examples[kind])
        for kind in fit.destinations
        if steps and steps.destination_examples.get(kind)
    )
    add_ons = tuple(
        (add_on, add_on.use_cases[use_case.id])
        for add_on in (steps.add_ons if steps else ())
        if use_case.id in add_on.use_cases
    )
    return Advice(
        docs_url=docs_url,
        setup_url=onboarding.setup_url if onboarding else None,
        eligibility=onboarding.eligibility if onboarding else None,
        manual_path=onboarding.manual_path if onboarding else None,
        tools=tools,
        add_ons=add_ons,
    )
