"""The action-id scheme: what the builders make is what the conversation and listener read."""

from __future__ import annotations

import pytest

from bot import action_ids
from bot.action_ids import ActionId


def test_an_id_made_reads_back_as_its_kind_and_argument():
    assert action_ids.parse(action_ids.make("answer", "y")) == ActionId("answer", "y")
    assert action_ids.parse(action_ids.make("pick", 3)) == ActionId("pick", "3")
    assert action_ids.parse(action_ids.make("share")) == ActionId("share", "")
    assert action_ids.PATTERN.match(action_ids.make("goal", 1))


@pytest.mark.parametrize(
    "other",
    [
        None,
        5,
        "",
        "usecase",
        "usecase.",
        "usecase..",
        "USECASE.answer.y",
        " usecase.answer.y",
        "other_app.click",
        "usecase.answer.y.extra",
        "usecase.Answer",
        "usecase." + "a" * 300,
    ],
)
def test_ids_that_are_not_ours_read_as_nothing(other):
    assert action_ids.parse(other) is None
    assert not action_ids.has_kind(other, "answer")


def test_a_kind_is_lowercase_letters():
    with pytest.raises(ValueError):
        action_ids.make("answer.y")
