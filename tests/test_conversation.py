"""What the bot decides to say, without Slack: the conversation's plans for each input."""

from __future__ import annotations

import json

from bot import action_ids, advisor
from bot.conversation import Conversation, asks_for_the_list
from bot.matcher import Matcher


def conversation(catalog) -> Conversation:
    return Conversation(catalog, Matcher(catalog))


def test_without_a_goal_in_the_words_the_first_goal_listed_is_used(catalog):
    talk = conversation(catalog)
    text = "we keep losing our biggest spenders"
    match = talk.matcher.match(text).matches[0]
    assert match.goal is None  # the words name no goal
    reply = talk.command(text, "U1")
    expected = catalog.goal(next(iter(catalog.use_cases[match.use_case].goals)))
    assert expected.name in reply.private.text and not reply.post  # answered privately


def test_words_that_point_to_a_goal_choose_it(catalog):
    talk = conversation(catalog)
    reply = talk.command("retarget people who abandoned checkout with facebook ads", "U1")
    assert "Optimize advertising" in reply.private.text


def test_help_list_and_start_are_told_apart(catalog):
    talk = conversation(catalog)
    assert talk.command("", "U1").post.text.startswith("Let's find")
    assert talk.command("help", "U1").private and not talk.command("help", "U1").post
    assert "by business goal" in talk.command("list", "U1").private.text
    assert "by business goal" in talk.message("<@U0BOT> what use cases do you know?", "U1").post.text
    assert asks_for_the_list("which use cases are there") and not asks_for_the_list("cart abandonment")


def test_a_mention_is_not_part_of_the_question(catalog):
    talk = conversation(catalog)
    reply = talk.message("<@U0BOT1234> we keep losing our biggest spenders", "U1")
    dumped = json.dumps(reply.post.blocks, ensure_ascii=False)
    assert "“we keep losing our biggest spenders”" in dumped and "U0BOT1234" not in dumped


def test_every_click_of_a_guided_step_is_acted_on_once(catalog):
    talk = conversation(catalog)
    goal = catalog.goals[0]
    value = advisor.encode_flow(catalog, advisor.Flow(goal.id))
    assert talk.click(action_ids.make("goal", "1"), value, "U1", in_thread=True).once
    assert talk.click(action_ids.make("answer", "y"), value, "U1", in_thread=True).once
    choice = advisor.encode_choice(catalog, advisor.Choice(goal.use_cases[0], goal.id))
    assert (
        talk.click(action_ids.make("others"), choice, "U1", in_thread=True).once == "others"
    )  # its own group


def test_a_click_whose_value_does_not_fit_its_button_expires(catalog):
    talk = conversation(catalog)
    goal = catalog.goals[0]
    flow = advisor.encode_flow(catalog, advisor.Flow(goal.id))
    choice = advisor.encode_choice(catalog, advisor.Choice(goal.use_cases[0], goal.id))
    for action, value in [
        (action_ids.make("pick", "0"), flow),
        (action_ids.make("answer", "y"), choice),
        (action_ids.make("answer", "x"), flow),
        (action_ids.make("nope"), flow),
        ("usecase", flow),
        (action_ids.make("goal", "0"), advisor.encode_flow(catalog, advisor.Flow(goal.id, "y"))),
    ]:
        reply = talk.click(action, value, "U1", in_thread=True)
        assert reply.private and "expired" in reply.private.text, action
        assert not (reply.post or reply.update)
    assert talk.click(action_ids.make("docs"), None, "U1", in_thread=True) == type(reply)()
