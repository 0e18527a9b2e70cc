"""The scope model (bot/scope.py): is a message a use-case goal, a support question or chatter?
Its weights file is learnt from the repository's own sets, and the matcher asks it before it
answers with a use case."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from bot import scope, scope_training
from bot.catalog import SCOPE_FILE, check_catalog, load_catalog
from bot.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def without_scope(catalog):
    return Matcher(dataclasses.replace(catalog, scope=None))


def test_the_weights_file_is_what_the_training_sets_teach():
    """Someone who changes a training set or a catalog example and forgets `python -m bot.scope_training`
    is told here, before the bot answers from stale weights."""
    built = scope.dumps(scope_training.build(ROOT / "catalog", ROOT / "eval"))
    shipped = (ROOT / "catalog" / SCOPE_FILE).read_text(encoding="utf-8")
    assert built == shipped, "catalog/scope.json is out of date: run `python -m bot.scope_training`"


def test_no_blind_set_is_learnt_from():
    blind = {"heldout_d", "heldout_e"} | {p.stem for p in (ROOT / "eval").glob("blind4_*.yml")}
    assert blind.isdisjoint(scope_training.TRAINING_SETS)
    for name in scope_training.TRAINING_SETS:
        assert (ROOT / "eval" / f"{name}.yml").is_file()


@pytest.mark.parametrize(
    "case, expected",
    [
        ({"use_case": "personalize-winback", "text": "x"}, "goal"),
        ({"asks": ["a", "b"], "text": "x"}, "goal"),
        ({"kind": "vague", "use_case": None, "text": "x"}, "goal"),
        ({"use_case": None, "topic": "debugger", "text": "x"}, "support"),
        ({"kind": "support", "use_case": None, "text": "x"}, "support"),
        ({"kind": "near-miss", "use_case": None, "text": "x"}, "chatter"),
        ({"use_case": None, "text": "x"}, "chatter"),
    ],
)
def test_eval_lines_are_labelled_by_what_they_are(case, expected):
    assert scope_training.label(case) == expected


@pytest.mark.parametrize(
    "text, kind",
    [
        ("checkout at the hotel is at noon, the bus to the venue leaves 12:30", "off-topic"),
        (
            "trial users get merged into one profile because they share an inbox, how do I stop that?",
            "support",
        ),
    ],
)
def test_office_chatter_and_support_questions_get_no_use_case(matcher, without_scope, text, kind):
    assert without_scope.match(text).verdict == "confident"  # the words alone pick a use case
    result = matcher.match(text)
    assert (result.verdict, result.kind) == ("none", kind)


@pytest.mark.parametrize(
    "text, use_case",
    [
        ("mitigate high value churn", "mitigate-high-value-churn"),
        ("which events do we need for a winback campaign?", "personalize-winback"),
        ("get one-time buyers to order again", "increase-repeat-purchases"),
        ("how do i get a LAL of our whales into google ads", "build-high-value-lookalikes"),
        ("abandoned cart flow in klaviyo, need the data to trigger it", "mitigate-cart-abandonment"),
    ],
)
def test_goals_in_a_technical_voice_keep_their_use_case(matcher, text, use_case):
    result = matcher.match(text)
    assert result.verdict == "confident" and result.matches[0].use_case == use_case


def test_a_damaged_weights_file_is_a_catalog_problem_that_says_how_to_fix_it(tmp_path):
    folder = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", folder)
    (folder / SCOPE_FILE).write_text(json.dumps({"classes": ["goal"], "prior": [0]}), encoding="utf-8")
    problems = check_catalog(folder)
    assert len(problems) == 1
    assert problems[0].path.endswith(SCOPE_FILE) and "python -m bot.scope" in problems[0].message


def test_without_a_weights_file_the_matcher_answers_from_the_words_alone(tmp_path):
    folder = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", folder)
    (folder / SCOPE_FILE).unlink()
    catalog = load_catalog(folder)
    assert catalog.scope is None
    text = "checkout at the hotel is at noon, the bus to the venue leaves 12:30"
    assert Matcher(catalog).match(text).verdict == "confident"


def test_the_model_reads_support_questions_and_chatter_apart(catalog, matcher):
    model = catalog.scope
    support = model.scores(matcher.scope_stems("how do I rotate the write key of our Android source?"))
    chatter = model.scores(matcher.scope_stems("who wants to grab tacos after the all hands?"))
    goal = model.scores(matcher.scope_stems("we want lapsed customers to come back and buy again"))
    assert max(support, key=support.get) == "support"
    assert max(chatter, key=chatter.get) == "chatter"
    assert model.goal_log_odds(goal) > 0 > model.goal_log_odds(support)


def test_a_long_goal_that_names_segment_stays_a_goal(matcher, without_scope):
    """Segment's name in the question and a stack in the story made this a support question; the
    scope model is sure it states a goal (a line of eval/blind2_long.yml, learnt from)."""
    text = (
        "Pre-launch fintech. We have a waitlist signup on the website, 22k signups so far. No app yet "
        "(coming Q2, so nothing install-related), no purchases, no trial. Investors want waitlist growth "
        "before launch. I think lookalikes built from the people who've already signed up are the way, "
        "pushed to ads on Meta and Reddit. We're not touching the landing page for now, it converts OK. "
        "Which Segment use case maps to that?"
    )
    assert without_scope.match(text).kind == "support"
    result = matcher.match(text)
    assert result.verdict != "none" and result.matches[0].use_case == "increase-signups-with-lookalikes"
