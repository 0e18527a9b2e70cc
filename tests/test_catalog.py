"""The catalog: its content against Segment's guide and Reference, its validator, its CLI and API.

The validator tests break a temporary copy of the bundled catalog on purpose and run
`usecase-bot catalog check DIR` on it, the way an admin would. Edits find their line by searching
for stable text (`name: `, `id: `, ...), never by line number, so the tests keep working while the
YAML grows (comments, vocabulary); the expected line is the one the edit touched.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.catalog import (
    Catalog,
    CatalogError,
    GoalFit,
    Row,
    check_catalog,
    default_catalog_dir,
    load_catalog,
)
from tests.support.catalog_copy import CatalogCopy, usecase_bot
from tests.support.guide import Guide, parse_guide
from tests.support.reference import SEGMENT_REFERENCE

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "catalog"
REFERENCE = SEGMENT_REFERENCE  # Segment's pages, copied into tests/fixtures/segment (see SOURCES.md there)
GUIDE_MD = REFERENCE / "choosing-a-use-case.md"
FACTS_YML = REFERENCE / "segment-usecases-facts.yml"

# DESIGN.md: the goal ids, with the names the guide gives the goals, in the guide's order.
GOALS = [
    ("optimize-advertising", "Optimize advertising"),
    ("personalize-first-conversion", "Personalize first conversion"),
    ("boost-retention-upsell-cross-sell", "Boost retention, upsell, and cross-sell"),
    ("personalize-communications-product-experiences", "Personalize communications and product experiences"),
]

# A use case under one goal only: edits to its goal entry concern one goal.
UC = "use-cases/accelerate-signup.yml"


def loose(name: str) -> str:
    """A name as the guide's spellings compare: case and hyphens ignored."""
    return " ".join(name.lower().replace("-", " ").split())


# --------------------------------------------------------------------------- the sources of truth


@pytest.fixture(scope="module")
def guide() -> Guide:
    assert GUIDE_MD.is_file(), f"Segment's guide is missing from the repository: {GUIDE_MD}"
    return parse_guide(GUIDE_MD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def facts() -> dict:
    assert FACTS_YML.is_file(), f"the Use Cases Reference facts are missing from the repository: {FACTS_YML}"
    return yaml.safe_load(FACTS_YML.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(BUNDLED)


# --------------------------------------------------------------------------- a copy to break


@pytest.fixture
def copy(tmp_path: Path) -> CatalogCopy:
    root = tmp_path / "catalog"
    shutil.copytree(BUNDLED, root)
    return CatalogCopy(root)


def goal_line(goal_id: str) -> str:
    """A regex for the line that starts a goal in goals.yml."""
    return rf"^\s*- id: {re.escape(goal_id)}\s*$"


# =========================================================================== content


def test_the_bundled_catalog_is_the_default_one():
    assert default_catalog_dir() == BUNDLED
    assert [g.id for g in load_catalog().goals] == [g.id for g in load_catalog(BUNDLED).goals]


def test_goal_ids_and_names_are_the_ones_design_md_lists(catalog):
    assert [(g.id, g.name) for g in catalog.goals] == GOALS


def test_the_catalog_has_4_goals_25_rows_and_16_use_cases(catalog):
    assert len(catalog.goals) == 4
    assert len(catalog.rows()) == 25
    assert len(catalog.use_cases) == 16
    assert {row.use_case.id for row in catalog.rows()} == set(catalog.use_cases)


def test_goals_are_the_guides_goals_in_its_order(catalog, guide):
    assert [g.listed_name for g in guide.goals] == [g.name for g in catalog.goals]
    for ours, theirs in zip(catalog.goals, guide.goals):
        assert loose(theirs.heading) == loose(ours.name)
        assert ours.about == theirs.about


def test_each_goals_rows_are_the_guides_table_with_its_names_and_descriptions(catalog, guide):
    assert sum(len(g.rows) for g in guide.goals) == 25
    assert len({loose(name) for g in guide.goals for name, _ in g.rows}) == 16
    for goal, theirs in zip(catalog.goals, guide.goals):
        ours = [(loose(r.use_case.name), r.fit.description) for r in catalog.rows() if r.goal.id == goal.id]
        assert ours == [(loose(name), description) for name, description in theirs.rows], goal.id


def test_each_goals_considerations_are_the_guides_questions_in_order(catalog, guide):
    for goal, theirs in zip(catalog.goals, guide.goals):
        assert [c.question for c in goal.considerations] == theirs.questions, goal.id


def test_next_steps_are_the_guides(catalog, guide):
    assert list(catalog.guide.next_steps) == guide.next_steps


def test_use_cases_have_the_references_ids_names_and_goals(catalog, facts):
    assert set(catalog.use_cases) == {uc["id"] for uc in facts["use_cases"]}
    for uc in facts["use_cases"]:
        ours = catalog.use_case(uc["id"])
        assert ours.name == uc["name"]
        # the order of a use case's goals is the admin's preference (the first is the default)
        assert set(ours.goals) == set(uc["goals"]), uc["id"]
    for goal in facts["goals"]:
        assert list(catalog.goal(goal["id"]).use_cases) == goal["use_cases"]
        assert catalog.goal(goal["id"]).name == goal["name"]


def test_use_cases_name_the_references_events_with_their_properties(catalog, facts):
    for uc in facts["use_cases"]:
        assert list(catalog.use_case(uc["id"]).events) == uc["events"], uc["id"]
        for event in uc["events"]:
            assert list(catalog.events[event].properties) == facts["events"][event]["properties"]
    assert set(catalog.events) == set(facts["events"])


def test_events_link_the_spec_that_defines_them(catalog, facts):
    specs = {page["id"]: page["docs_path"] for page in facts["meta"]["pages_used"]}
    for name, event in facts["events"].items():
        ours = catalog.events[name].spec
        if event["spec"] is None:
            assert ours is None, name
        else:
            path = specs[f"spec-{event['spec']}"].removeprefix("/docs").rstrip("/")
            assert ours is not None and ours.rstrip("/").endswith(path), (name, ours)


def test_each_goal_of_a_use_case_has_the_references_sources_and_destinations(catalog, facts):
    for uc in facts["use_cases"]:
        for goal_id, types in uc["by_goal"].items():
            fit = catalog.use_case(uc["id"]).goals[goal_id]
            assert list(fit.sources) == types["sources"], (uc["id"], goal_id)
            assert list(fit.destinations) == types["destinations"], (uc["id"], goal_id)


def test_source_and_destination_types_are_the_references(catalog, facts):
    assert list(catalog.guide.source_types) == facts["source_types"]
    assert list(catalog.guide.destination_types) == facts["destination_types"]


# =========================================================================== the object API


def test_rows_are_one_per_goal_and_use_case_in_the_goals_order(catalog):
    rows = catalog.rows()
    assert len(rows) == 25 and all(isinstance(row, Row) for row in rows)
    assert [(r.goal.id, r.use_case.id) for r in rows] == [
        (g.id, uc_id) for g in catalog.goals for uc_id in g.use_cases
    ]
    for row in rows:
        assert row.fit == row.use_case.goals[row.goal.id]


def test_a_use_case_holds_its_description_sources_and_destinations_per_goal(catalog):
    churn = catalog.use_case("mitigate-high-value-churn")
    assert set(churn.goals) == {g for g, _ in GOALS if g != "personalize-first-conversion"}
    fit = churn.goals["boost-retention-upsell-cross-sell"]
    assert isinstance(fit, GoalFit)
    assert fit.description.startswith("Identify high-value customers at risk of churning")
    assert "Website" in fit.sources
    assert "Email Marketing" in fit.destinations
    assert "Email Marketing" not in churn.goals["optimize-advertising"].destinations
    assert catalog.use_case("no-such-use-case") is None
    assert catalog.goal("no-such-goal") is None


def test_the_catalog_cannot_be_changed_after_loading():
    catalog = load_catalog(BUNDLED)  # its own: were it not frozen, this test would change it
    goal = catalog.goals[0]
    use_case = catalog.use_case("mitigate-high-value-churn")
    row = catalog.rows()[0]
    event = catalog.events["Order Completed"]
    for obj, field in [
        (catalog, "goals"),
        (goal, "name"),
        (goal.considerations[0], "question"),
        (use_case, "name"),
        (row.fit, "description"),
        (row, "goal"),
        (event, "properties"),
        (catalog.guide, "next_steps"),
        (catalog.lexicon, "stopwords"),
    ]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, field, None)
    for mapping, key in [
        (catalog.use_cases, "x"),
        (use_case.goals, "x"),
        (catalog.events, "x"),
        (catalog.guide.docs, "x"),
        (catalog.lexicon.concepts, "x"),
    ]:
        with pytest.raises(TypeError):
            mapping[key] = None


# =========================================================================== catalog check


def test_the_bundled_catalog_checks_clean():
    run = usecase_bot("catalog", "check", str(BUNDLED))
    assert (run.returncode, run.stdout.strip()) == (0, f"{BUNDLED}: ok"), run.stderr
    assert check_catalog(BUNDLED) == []


def test_an_untouched_copy_checks_clean(copy):
    """The other tests rely on it: every problem they see comes from their own edit."""
    run = copy.check()
    assert run.returncode == 0, run.stdout + run.stderr


def test_check_without_dir_checks_the_bundled_catalog():
    run = usecase_bot("catalog", "check")
    assert run.returncode == 0 and str(BUNDLED) in run.stdout


def test_a_missing_dir_is_a_clear_message_and_exit_1(tmp_path):
    missing = tmp_path / "no-such-catalog"
    run = usecase_bot("catalog", "check", str(missing))
    assert run.returncode == 1
    assert "catalog folder not found" in run.stderr and str(missing) in run.stderr
    assert "Traceback" not in run.stderr
    with pytest.raises(CatalogError, match="catalog folder not found"):
        load_catalog(missing)


# --- one problem each. Each case edits the copy and returns (file, line, words of the message).

Case = Callable[[CatalogCopy], tuple[str, int, list[str]]]


def yaml_error_in_a_use_case(c):
    line = c.replace(UC, r"^name: ", "name: Accelerate: signup")
    return UC, line, ["YAML syntax error", "mapping values are not allowed here"]


def yaml_error_in_guide(c):
    line = c.append("guide.yml", "colour: blue: green")
    return "guide.yml", line, ["YAML syntax error"]


def unknown_key_in_a_use_case(c):
    line = c.insert_after(UC, r"^name: ", "colour: blue")
    return UC, line, ["unknown key 'colour'"]


def unknown_key_in_a_goal(c):
    line = c.insert_after(
        "goals.yml", r"^    name: ", "    owner: growth team", after=goal_line("personalize-first-conversion")
    )
    return "goals.yml", line, ["unknown key 'owner'", "a goal"]


def unknown_key_in_a_use_cases_goal(c):
    line = c.insert_after(UC, r"^    sources: ", "    budget: high")
    return UC, line, ["unknown key 'budget'", "personalize-first-conversion"]


def unknown_key_in_an_event(c):
    line = c.insert_after("events.yml", r"^  Signed Up:", "    owner: data team")
    return "events.yml", line, ["unknown key 'owner'", "Signed Up"]


def unknown_key_in_guide(c):
    line = c.append("guide.yml", "colour: blue")
    return "guide.yml", line, ["unknown key 'colour'"]


def missing_field_in_a_use_case(c):
    c.delete(UC, r"^purpose: ")
    return UC, c.first_key_line(UC), ["missing 'purpose'"]


def missing_field_in_a_goal(c):
    c.delete("goals.yml", r"^    summary: ", after=goal_line("personalize-first-conversion"))
    line = c.find("goals.yml", goal_line("personalize-first-conversion"))
    return "goals.yml", line, ["missing 'summary'"]


def missing_destinations_of_a_use_cases_goal(c):
    c.delete(UC, r"^    destinations: ")
    line = c.find(UC, r"^    description: ")  # where that goal's mapping starts
    return UC, line, ["missing 'destinations'", "personalize-first-conversion"]


def missing_properties_of_an_event(c):
    c.delete_block("events.yml", r"^    properties:", after=r"^  Signed Up:")
    line = c.find("events.yml", r"^    spec: ", after=r"^  Signed Up:")
    return "events.yml", line, ["event 'Signed Up' is missing 'properties'"]


def missing_lexicon_file(c):
    os.remove(c.path("lexicon.yml"))
    return "lexicon.yml", 1, ["cannot read the file"]


def name_is_a_number(c):
    line = c.replace(UC, r"^name: ", "name: 42")
    return UC, line, ["name must be text", "int"]


def events_is_text(c):
    line = c.replace(UC, r"^events: ", "events: Page Viewed")
    return UC, line, ["events must be a list", "text"]


def an_example_is_a_number(c):
    line = c.replace(UC, r"^  - ", "  - 42", after=r"^examples:")
    return UC, line, ["an item of examples must be text", "int"]


def fit_is_a_boolean(c):
    rel = "use-cases/acquire-paid-subscriptions.yml"
    line = c.replace(rel, r"^fit: ", "fit: true")
    return rel, line, ["fit must be text", "bool"]


def goal_name_is_a_list(c):
    line = c.replace(
        "goals.yml",
        r"^    name: ",
        "    name: [Personalize, first conversion]",
        after=goal_line("personalize-first-conversion"),
    )
    return "goals.yml", line, ["goal name must be text", "a list"]


def sources_is_text(c):
    line = c.replace(UC, r"^    sources: ", "    sources: Website")
    return UC, line, ["sources must be a list"]


def event_properties_is_a_mapping(c):
    line = c.replace_block(
        "events.yml", r"^    properties:", "    properties: {first_name: text}", after=r"^  Signed Up:"
    )
    return "events.yml", line, ["properties of event 'Signed Up' must be a list", "a mapping"]


def duplicate_event(c):
    first = c.find("events.yml", r"^  Signed Up:")
    line = c.append("events.yml", "  Signed Up:\n    properties: []")
    return "events.yml", line, ["duplicate 'Signed Up'", f"first at line {first}"]


def unknown_property_type(c):
    line = c.replace("events.yml", r"^        type: string", "        type: text", after=r"^  Signed Up:")
    return (
        "events.yml",
        line,
        [
            "unknown type 'text'",
            "property 'first_name' of event 'Signed Up'",
            "string, number, integer, boolean, array, object",
        ],
    )


def property_without_a_description(c):
    c.delete("events.yml", r"^        description: ", after=r"^  Signed Up:")
    line = c.find("events.yml", r"^      - name: first_name", after=r"^  Signed Up:")
    return "events.yml", line, ["property 'first_name' of event 'Signed Up' is missing 'description'"]


def property_given_by_name_only(c):
    line = c.replace_block(
        "events.yml", r"^    properties:", "    properties: [first_name]", after=r"^  Signed Up:"
    )
    return "events.yml", line, ["property 'first_name' of event 'Signed Up' needs a type and a description"]


def property_example_of_the_wrong_type(c):
    line = c.replace("events.yml", r"^        example: Peter", "        example: 42", after=r"^  Signed Up:")
    return (
        "events.yml",
        line,
        [
            "example of property 'first_name' of event 'Signed Up' does not fit its type",
            "42 is not of type string",
        ],
    )


def nested_example_of_the_wrong_type(c):
    c.replace(
        "events.yml", r"^            price: 19", "            price: nineteen", after=r"^  Order Completed:"
    )
    # reported where the example starts: its first item
    line = c.find("events.yml", r"^          - product_id: ", after=r"^        example:$")
    return (
        "events.yml",
        line,
        [
            "example of property 'products' of event 'Order Completed' does not fit its type",
            'item[0].price "nineteen" is not of type number',
        ],
    )


def unknown_property_basis(c):
    line = c.insert_after(
        "events.yml", r"^        type: string", "        basis: hearsay", after=r"^  Signed Up:"
    )
    return "events.yml", line, ["unknown basis 'hearsay'", "spec, spec-example, spec-analogy, unverified"]


def required_is_not_a_boolean(c):
    line = c.insert_after(
        "events.yml", r"^        type: string", "        required: sometimes", after=r"^  Signed Up:"
    )
    return (
        "events.yml",
        line,
        ["required of property 'first_name' of event 'Signed Up' must be true or false"],
    )


def items_on_a_property_that_is_not_an_array(c):
    line = c.insert_after(
        "events.yml", r"^        type: string", "        items: {type: string}", after=r"^  Signed Up:"
    )
    return "events.yml", line, ["has items but is of type string"]


def duplicate_property(c):
    first = c.find("events.yml", r"^      - name: first_name", after=r"^  Signed Up:")
    line = c.insert_after(
        "events.yml",
        r"^        example: pgibbons",
        "      - {name: first_name, type: string, description: again}",
        after=r"^  Signed Up:",
    )
    return (
        "events.yml",
        line,
        ["duplicate property 'first_name' in event 'Signed Up'", f"first at line {first}"],
    )


def reference_section_of_an_unknown_goal(c):
    line = c.insert_after(
        "next-steps.yml",
        r"^reference_sections:",
        "  no-such-goal: https://www.twilio.com/docs/segment/getting-started/use-cases/reference",
    )
    return "next-steps.yml", line, ["reference_sections names unknown goal 'no-such-goal'"]


def tools_for_an_unknown_destination_type(c):
    line = c.replace("next-steps.yml", r"^  Analytics:$", "  Carrier Pigeons:")
    return (
        "next-steps.yml",
        line,
        ["unknown destination type 'Carrier Pigeons' in destination_examples", "SMS & Push Notifications"],
    )


def tool_with_a_malformed_url(c):
    line = c.replace(
        "next-steps.yml", r"^      url: ", "      url: catalog/actions-amplitude", after=r"^  Analytics:$"
    )
    return "next-steps.yml", line, ["url of a destination under 'Analytics' is not a valid http(s) URL"]


def tool_without_a_name(c):
    line = c.replace("next-steps.yml", r"^    - name: ", "    -", after=r"^  Analytics:$") + 1  # its url
    return "next-steps.yml", line, ["a destination listed under 'Analytics' is missing 'name'"]


def add_on_for_an_unknown_use_case(c):
    line = c.insert_after(
        "next-steps.yml", r"^    use_cases:", "      no-such-use-case: an audience", after=r"^add_ons:"
    )
    return "next-steps.yml", line, ["add-on 'Engage' names unknown use case 'no-such-use-case'"]


def add_on_inferred_is_not_a_boolean(c):
    line = c.replace("next-steps.yml", r"^    inferred: ", "    inferred: probably", after=r"^add_ons:")
    return "next-steps.yml", line, ["inferred of add-on 'Engage' must be true or false"]


def missing_next_steps_file(c):
    os.remove(c.path("next-steps.yml"))
    return "next-steps.yml", 1, ["cannot read the file"]


def onboarding_without_eligibility(c):
    c.delete_block("guide.yml", r"^  eligibility:", after=r"^onboarding:")
    line = c.find("guide.yml", r"^  manual_path:", after=r"^onboarding:")
    return "guide.yml", line, ["onboarding is missing 'eligibility'"]


def onboarding_setup_url_malformed(c):
    line = c.replace("guide.yml", r"^  setup_url: ", "  setup_url: the setup page", after=r"^onboarding:")
    return "guide.yml", line, ["setup_url is not a valid http(s) URL"]


def consideration_points_to_an_unknown_use_case(c):
    line = c.replace(
        "goals.yml",
        r"^\s+points_to: \[accelerate-onboarding\]",
        lambda s: s.replace("accelerate-onboarding", "accelerate-onboard"),
        after=goal_line("personalize-first-conversion"),
    )
    return "goals.yml", line, ["consideration points to unknown use case 'accelerate-onboard'"]


def consideration_points_to_a_use_case_its_goal_does_not_list(c):
    line = c.replace(
        "goals.yml",
        r"^\s+points_to: \[build-lookalikes-for-app-install\]",
        lambda s: s.replace("build-lookalikes-for-app-install", "accelerate-signup"),
        after=goal_line("optimize-advertising"),
    )
    return "goals.yml", line, ["'accelerate-signup'", "'optimize-advertising' does not list"]


def goal_lists_an_unknown_use_case(c):
    line = c.insert_after(
        "goals.yml",
        r"^    use_cases:",
        "      - no-such-use-case",
        after=goal_line("boost-retention-upsell-cross-sell"),
    )
    return (
        "goals.yml",
        line,
        ["goal 'boost-retention-upsell-cross-sell' lists unknown use case 'no-such-use-case'"],
    )


def goal_lists_a_use_case_without_its_description(c):
    line = c.insert_after(
        "goals.yml", r"^    use_cases:", "      - accelerate-signup", after=goal_line("optimize-advertising")
    )
    return (
        "goals.yml",
        line,
        [
            "use case 'accelerate-signup' is listed under goal "
            "'optimize-advertising' but has no description for it"
        ],
    )


def use_case_describes_a_goal_that_does_not_list_it(c):
    rel = "use-cases/personalize-winback.yml"
    c.delete(
        "goals.yml", r"^\s+- personalize-winback\s*$", after=goal_line("boost-retention-upsell-cross-sell")
    )
    line = c.find(rel, r"^  boost-retention-upsell-cross-sell:")
    return rel, line, ["has an entry for goal 'boost-retention-upsell-cross-sell'", "does not list it"]


def event_without_properties(c):
    line = c.replace(UC, r"^events: \[", lambda s: s.replace("]", ", Form Submitted]"))
    return UC, line, ["event 'Form Submitted' has no properties", "events.yml"]


def malformed_docs_url(c):
    line = c.replace(UC, r"^docs_url: ", "docs_url: www.twilio.com/docs/segment")
    return UC, line, ["docs_url is not a valid http(s) URL", "www.twilio.com/docs/segment"]


def malformed_guide_link(c):
    line = c.replace(
        "guide.yml",
        r"^  setup: ",
        "  setup: https//www.twilio.com/docs/segment/getting-started/use-cases/setup",
    )
    return "guide.yml", line, ["docs link 'setup' is not a valid http(s) URL"]


def malformed_event_spec(c):
    line = c.replace("events.yml", r"^    spec: ", "    spec: ftp://example.com/spec", after=r"^  Signed Up:")
    return "events.yml", line, ["spec of event 'Signed Up' is not a valid http(s) URL"]


def use_case_name_of_76_characters(c):
    name = "Accelerate signup " + "x" * (76 - len("Accelerate signup "))
    line = c.replace(UC, r"^name: ", f"name: {name}")
    return UC, line, ["name is 76 characters", "75"]


def goal_name_of_151_characters(c):
    name = "Personalize first conversion " + "x" * (151 - len("Personalize first conversion "))
    line = c.replace(
        "goals.yml", r"^    name: ", f"    name: {name}", after=goal_line("personalize-first-conversion")
    )
    return "goals.yml", line, ["goal name is 151 characters", "150"]


def unknown_source_type(c):
    line = c.replace(UC, r"^    sources: ", "    sources: [Website, Smart TV]")
    return UC, line, ["unknown source type 'Smart TV'"]


def unknown_destination_type(c):
    line = c.replace(UC, r"^    destinations: ", "    destinations: [Analytics, Carrier Pigeon]")
    return UC, line, ["unknown destination type 'Carrier Pigeon'"]


def unknown_checklist_placeholder(c):
    line = c.replace(
        "guide.yml",
        r"^\s+- .*\{sources\}",
        lambda s: s.replace("{sources}", "{source_list}"),
        after=r"^setup_checklist:",
    )
    return "guide.yml", line, ["unknown placeholder {source_list} in setup_checklist"]


def use_case_file_named_after_another_id(c):
    os.rename(c.path(UC), c.path("use-cases/signup.yml"))
    line = c.find("use-cases/signup.yml", r"^id: ")
    return "use-cases/signup.yml", line, ["should be named accelerate-signup.yml"]


def duplicate_use_case_id(c):
    shutil.copyfile(c.path(UC), c.path("use-cases/zz-accelerate-signup-again.yml"))
    rel = "use-cases/zz-accelerate-signup-again.yml"
    return rel, c.find(rel, r"^id: "), ["duplicate use case id 'accelerate-signup'", c.path(UC)]


def duplicate_goal_id(c):
    start = c.find("goals.yml", goal_line("optimize-advertising"))
    end = c.find("goals.yml", r"^\s*- id: ", after=goal_line("optimize-advertising"))
    block = (Path(c.path("goals.yml")).read_text(encoding="utf-8").splitlines())[start - 1 : end - 1]
    line = c.append("goals.yml", "\n".join(block))
    return "goals.yml", line, ["duplicate goal id 'optimize-advertising'", f"first at line {start}"]


CASES: list[Case] = [
    yaml_error_in_guide,
    unknown_key_in_a_use_case,
    unknown_key_in_a_goal,
    unknown_key_in_a_use_cases_goal,
    unknown_key_in_an_event,
    unknown_key_in_guide,
    missing_field_in_a_use_case,
    missing_field_in_a_goal,
    missing_destinations_of_a_use_cases_goal,
    missing_properties_of_an_event,
    missing_lexicon_file,
    name_is_a_number,
    events_is_text,
    an_example_is_a_number,
    fit_is_a_boolean,
    goal_name_is_a_list,
    sources_is_text,
    event_properties_is_a_mapping,
    unknown_property_type,
    property_without_a_description,
    property_given_by_name_only,
    property_example_of_the_wrong_type,
    nested_example_of_the_wrong_type,
    unknown_property_basis,
    required_is_not_a_boolean,
    items_on_a_property_that_is_not_an_array,
    duplicate_property,
    reference_section_of_an_unknown_goal,
    tools_for_an_unknown_destination_type,
    tool_with_a_malformed_url,
    tool_without_a_name,
    add_on_for_an_unknown_use_case,
    add_on_inferred_is_not_a_boolean,
    missing_next_steps_file,
    onboarding_without_eligibility,
    onboarding_setup_url_malformed,
    duplicate_goal_id,
    duplicate_use_case_id,
    duplicate_event,
    use_case_file_named_after_another_id,
    consideration_points_to_an_unknown_use_case,
    consideration_points_to_a_use_case_its_goal_does_not_list,
    goal_lists_an_unknown_use_case,
    goal_lists_a_use_case_without_its_description,
    use_case_describes_a_goal_that_does_not_list_it,
    event_without_properties,
    malformed_docs_url,
    malformed_guide_link,
    malformed_event_spec,
    use_case_name_of_76_characters,
    goal_name_of_151_characters,
    unknown_source_type,
    unknown_destination_type,
    unknown_checklist_placeholder,
]


@pytest.mark.parametrize("break_it", CASES, ids=[case.__name__ for case in CASES])
def test_check_reports_the_problem_at_its_file_and_line(copy, break_it):
    rel, line, words = break_it(copy)
    problem = copy.check().only_problem()
    assert (problem.path, problem.line) == (copy.path(rel), line), problem
    for word in words:
        assert word in problem.message


def test_a_stray_brace_in_setup_checklist_is_a_problem_not_a_crash(copy):
    line = copy.replace(
        "guide.yml",
        r"^\s+- .*\{sources\}",
        lambda s: s.replace("{sources}", "{sources"),
        after=r"^setup_checklist:",
    )
    run = copy.check()
    assert "Traceback" not in run.stderr, run.stderr
    problem = run.only_problem()
    assert (problem.path, problem.line) == (copy.path("guide.yml"), line)
    assert "setup_checklist" in problem.message


def yaml_error_in_goals(c):
    line = c.insert_after(
        "goals.yml", r"^    name: ", " oops: 1", after=goal_line("personalize-first-conversion")
    )
    return "goals.yml", line, ["YAML syntax error"]


def yaml_error_in_events(c):
    line = c.append("events.yml", "colour: blue: green")
    return "events.yml", line, ["YAML syntax error"]


# Files other files refer to: a syntax error in one of them leaves the others' references dangling.
REFERRED_TO = [yaml_error_in_a_use_case, yaml_error_in_goals, yaml_error_in_events]


@pytest.mark.parametrize("break_it", REFERRED_TO, ids=[case.__name__ for case in REFERRED_TO])
def test_a_yaml_error_in_a_file_others_refer_to_is_reported_at_its_line(copy, break_it):
    rel, line, words = break_it(copy)
    run = copy.check()
    assert run.returncode == 1
    mine = [p for p in run.problems if p.path == copy.path(rel)]
    assert [p.line for p in mine] == [line], run.stdout
    assert all(word in mine[0].message for word in words)


@pytest.mark.parametrize("break_it", REFERRED_TO, ids=[case.__name__ for case in REFERRED_TO])
def test_a_yaml_error_does_not_make_other_files_look_wrong(copy, break_it):
    """A file that does not parse is one problem: the files that refer to it are not at fault,
    and `usecase-bot run`, which shows only the first problem, must show the syntax error."""
    rel, _, _ = break_it(copy)
    assert [p.path for p in copy.check().problems] == [copy.path(rel)]


@pytest.mark.parametrize("length", [75, 74])
def test_a_use_case_name_of_at_most_75_characters_is_fine(copy, length):
    copy.replace(UC, r"^name: ", "name: " + "Accelerate signup ".ljust(length, "x"))
    assert copy.check().returncode == 0


def test_a_goal_name_of_150_characters_is_fine(copy):
    copy.replace(
        "goals.yml",
        r"^    name: ",
        "    name: " + "Personalize first conversion ".ljust(150, "x"),
        after=goal_line("personalize-first-conversion"),
    )
    assert copy.check().returncode == 0


def _break_in_many_places(c: CatalogCopy) -> list[tuple[str, int]]:
    """Five problems in five files; returns where each must be reported."""
    return sorted(
        [
            (c.path(UC), c.insert_after(UC, r"^name: ", "colour: blue")),
            (c.path("lexicon.yml"), c.append("lexicon.yml", "colour: blue: green")),
            (
                c.path("goals.yml"),
                c.replace(
                    "goals.yml",
                    r"^    name: ",
                    "    name: " + "x" * 151,
                    after=goal_line("optimize-advertising"),
                ),
            ),
            (
                c.path("guide.yml"),
                c.replace(
                    "guide.yml",
                    r"^\s+- .*\{events\}",
                    lambda s: s.replace("{events}", "{event_names}"),
                    after=r"^setup_checklist:",
                ),
            ),
            (
                c.path("events.yml"),
                c.replace("events.yml", r"^    spec: ", "    spec: not a url", after=r"^  Trial Started:"),
            ),
        ]
    )


def test_every_problem_is_reported_in_one_run_in_file_order(copy):
    expected = _break_in_many_places(copy)
    run = copy.check()
    assert run.returncode == 1
    assert [(p.path, p.line) for p in run.problems] == expected
    assert "5 problem(s)" in run.stderr


def test_load_catalog_raises_catalog_error_with_the_same_problems(copy):
    _break_in_many_places(copy)
    printed = copy.check().stdout.splitlines()
    with pytest.raises(CatalogError) as raised:
        load_catalog(copy.root)
    assert [str(p) for p in raised.value.problems] == printed
    assert str(raised.value).splitlines() == printed
    assert [str(p) for p in check_catalog(copy.root)] == printed


def test_check_without_dir_honours_usecase_catalog(copy):
    line = copy.insert_after(UC, r"^name: ", "colour: blue")
    run = usecase_bot("catalog", "check", catalog_env=str(copy.root))
    problem = run.only_problem()
    assert (problem.path, problem.line) == (copy.path(UC), line)


# =========================================================================== catalog list


def test_list_json_has_the_contracts_fields_for_all_25_rows(catalog):
    run = usecase_bot("catalog", "list", "--json")
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert len(rows) == 25
    for row in rows:
        assert {"goal", "goal_name", "use_case", "use_case_name", "description"} <= set(row)
    assert [
        (r["goal"], r["goal_name"], r["use_case"], r["use_case_name"], r["description"]) for r in rows
    ] == [(r.goal.id, r.goal.name, r.use_case.id, r.use_case.name, r.fit.description) for r in catalog.rows()]


def test_list_json_descriptions_differ_by_goal(catalog):
    rows = json.loads(usecase_bot("catalog", "list", "--json").stdout)
    churn = {r["goal"]: r["description"] for r in rows if r["use_case"] == "mitigate-high-value-churn"}
    assert len(churn) == 3 and len(set(churn.values())) == 3


def test_list_prints_every_row_under_its_goal(catalog):
    run = usecase_bot("catalog", "list")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    headers = [i for i, line in enumerate(lines) if line and not line[0].isspace()]
    assert len(headers) == 4
    row_lines = [line for line in lines if line[:1].isspace()]
    assert len(row_lines) == 25
    for goal, start, end in zip(catalog.goals, headers, headers[1:] + [len(lines)]):
        assert goal.name in lines[start] and goal.id in lines[start]
        block = lines[start + 1 : end]
        assert len(block) == len(goal.use_cases)
        for text, uc_id in zip(block, goal.use_cases):
            use_case = catalog.use_case(uc_id)
            for part in (use_case.name, use_case.id, use_case.goals[goal.id].description):
                assert part in text


def test_list_honours_usecase_catalog(copy):
    copy.replace(
        "goals.yml",
        r"^    name: ",
        "    name: Optimize advertising (staging copy)",
        after=goal_line("optimize-advertising"),
    )
    rows = json.loads(usecase_bot("catalog", "list", "--json", catalog_env=str(copy.root)).stdout)
    assert {r["goal_name"] for r in rows if r["goal"] == "optimize-advertising"} == {
        "Optimize advertising (staging copy)"
    }
    plain = usecase_bot("catalog", "list", catalog_env=str(copy.root)).stdout
    assert "Optimize advertising (staging copy)" in plain


def test_list_of_a_broken_catalog_says_what_is_wrong_and_fails(copy):
    copy.insert_after(UC, r"^name: ", "colour: blue")
    run = usecase_bot("catalog", "list", catalog_env=str(copy.root))
    assert run.returncode != 0 and run.stdout == ""
    assert "unknown key 'colour'" in run.stderr and "catalog check" in run.stderr
    assert "Traceback" not in run.stderr


# =========================================================================== property facts


def test_every_property_has_a_json_type_and_a_one_line_description(catalog):
    def walk(props):
        for p in props:
            yield p
            if p.items is not None:
                yield from walk(p.items.properties)
            yield from walk(p.properties)

    for event in catalog.events.values():
        assert [p.name for p in event.property_facts] == list(event.properties)
        for prop in walk(event.property_facts):
            assert prop.type in ("string", "number", "integer", "boolean", "array", "object"), prop
            assert prop.description and "\n" not in prop.description, prop


def test_no_property_is_required_since_neither_the_reference_nor_the_spec_says_so(catalog):
    assert not [(e.name, p.name) for e in catalog.events.values() for p in e.property_facts if p.required]


def test_a_property_no_segment_page_defines_says_so(catalog):
    unverified = [p for e in catalog.events.values() for p in e.property_facts if p.basis == "unverified"]
    assert unverified, "the Reference names properties no Spec page defines (num_items, screen_id, ...)"
    for prop in unverified:
        assert prop.description.startswith("Not defined by Segment's Spec"), prop
        assert prop.example is None, prop  # no Spec example to take it from


# =========================================================================== next steps


def kramdown_anchor(heading: str) -> str:
    """The id kramdown gives a heading (segment-docs renders with kramdown): lowercase, spaces as
    hyphens, other punctuation dropped; Twilio Docs keeps them ("optimize-advertising page anchor")."""
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


def test_each_goal_links_its_section_of_the_reference_and_each_use_case_its_first_goals(catalog):
    reference = catalog.guide.docs["reference"]
    sections = catalog.next_steps.reference_sections
    assert set(sections) == {g.id for g in catalog.goals}
    for goal in catalog.goals:  # the Reference's "###" headings are the goals' names (guide tests)
        assert sections[goal.id] == f"{reference}#{kramdown_anchor(goal.name)}"
    assert sections["boost-retention-upsell-cross-sell"].endswith("#boost-retention-upsell-and-cross-sell")
    for uc in catalog.use_cases.values():
        assert uc.docs_url == sections[next(iter(uc.goals))], uc.id


def test_every_destination_type_has_a_few_named_tools(catalog):
    examples = catalog.next_steps.destination_examples
    assert set(examples) == set(catalog.guide.destination_types)
    for kind, tools in examples.items():
        assert 1 <= len(tools) <= 5, kind
        assert len({t.name for t in tools}) == len(tools), kind
        assert all(
            t.url.startswith("https://www.twilio.com/docs/segment/connections/destinations/catalog/")
            for t in tools
        ), kind


def test_engage_is_marked_as_inferred_for_the_use_cases_that_need_audiences(catalog, facts):
    (engage,) = [a for a in catalog.next_steps.add_ons if a.name == "Engage"]
    assert engage.inferred, "Segment's Reference names no plan or product per use case"
    assert facts["per_use_case_prerequisites_in_reference"] == "none"
    assert "Business tier" in engage.plan
    said = {
        uc["id"] for uc in facts["use_cases"] if "Engage" in (uc.get("likely_needs") or {}).get("text", "")
    }
    assert said and said <= set(engage.use_cases)
    assert set(engage.use_cases) <= set(catalog.use_cases)


def test_onboarding_says_who_can_use_the_in_app_flow_and_the_way_for_everyone_else(catalog, facts):
    onboarding = catalog.guide.onboarding
    assert "new Business Tier customers" in onboarding.eligibility
    assert "haven't yet connected a source and a destination" in onboarding.eligibility
    assert "Workspace Owner" in onboarding.eligibility
    assert "by hand" in onboarding.manual_path and "Debugger" in onboarding.manual_path
    assert onboarding.setup_url == catalog.guide.docs["setup"]
    assert {p["id"] for p in facts["global_prerequisites"]} >= {"eligibility", "workspace-owner"}
