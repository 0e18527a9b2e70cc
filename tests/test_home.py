"""Where people already are: the App Home tab, the Messages tab's suggested prompts, the message
shortcut. Signed Slack requests drive the real Bolt app; the stand-in records what Slack shows.
Every Home view the bot publishes is checked against Slack's limits and the Block Kit schema."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from bot import advisor, blocks, home
from bot.app import build_app
from bot.catalog import default_catalog_dir, load_catalog
from bot.dedupe import MemorySeenOnce
from bot.matcher import Matcher
from bot.sandbox.people import buttons
from bot.sandbox.workspace import CHANNEL_ID, DM_ID
from tests.conftest import Harness, identity_of, make_settings


def texts(message) -> str:
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


def view_problems(validator, view: dict) -> list[str]:
    """Why Slack would refuse this Home view: its limits, and the Block Kit schema's home_view."""
    problems = []
    if len(view.get("blocks") or []) > home.HOME_BLOCKS_MAX:
        problems.append(f"{len(view['blocks'])} blocks (a Home view takes {home.HOME_BLOCKS_MAX})")
    if home.view_size(view) > home.VIEW_BYTES_MAX:
        problems.append(
            f"{home.view_size(view)} bytes (views.publish refuses more than {home.VIEW_BYTES_MAX})"
        )
    if len(view.get("private_metadata") or "") > home.PRIVATE_METADATA_MAX:
        problems.append("private_metadata too long")
    ids = [b["action_id"] for b in buttons(view.get("blocks") or [])]
    if len(ids) != len(set(ids)):
        problems.append("two buttons share an action_id")
    if validator is not None:
        from jsonschema import Draft202012Validator

        schema = {"$ref": "#/$defs/home_view", "$defs": validator.schema["$defs"]}
        problems += [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in Draft202012Validator(schema).iter_errors(view)
        ]
    return problems


@pytest.fixture
def h(harness, block_kit_validator):
    """The harness; and afterwards, every view the bot published is one Slack accepts."""
    yield harness
    for params in harness.calls("views.publish"):
        assert params.get("user_id") == harness.workspace.human_id
        assert not view_problems(block_kit_validator, params["view"]), view_problems(
            block_kit_validator, params["view"]
        )


def published(h: Harness, after: int = 0) -> dict:
    """The Home view published after the `after`-th views.publish call."""
    h.wait_until(lambda: len(h.calls("views.publish")) > after, what="views.publish")
    return h.calls("views.publish")[-1]["view"]


def open_home(h: Harness) -> dict:
    count = len(h.calls("views.publish"))
    sent = h.slack.open_home()
    assert sent.status == 200
    return published(h, count)


def home_buttons(view: dict) -> list[dict]:
    return buttons(view["blocks"])


def home_text(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def click_home(h: Harness, label: str) -> dict:
    """Click a Home button; returns the Home view published again after the click."""
    count = len(h.calls("views.publish"))
    sent = h.slack.click_home(label)
    assert sent.status == 200 and sent.body == ""  # acked at once
    return published(h, count)


def intro_posted_in_the_dm(h: Harness):
    """The thread root the bot posted in the DM: the intro `/usecase` posts (it is updated at
    once to show the goal chosen, so it is found by what was posted)."""
    h.wait_until(lambda: h.calls("chat.postMessage"), what="a post")
    post = h.calls("chat.postMessage")[0]
    assert post["channel"] == DM_ID and post["text"] == blocks.build_intro(h.catalog).text
    assert post.get("thread_ts") is None
    return next(m for m in h.bot_messages(DM_ID) if m.thread_ts is None)


# ------------------------------------------------------------------ the Home tab


def test_opening_the_home_tab_publishes_the_goals_and_the_catalog(h, catalog):
    view = open_home(h)
    assert view["type"] == "home"
    labels = [b["accessibility_label"] for b in home_buttons(view)]
    for goal in catalog.goals:
        assert home.goal_label(goal) in labels
        for uc_id in goal.use_cases:  # each use case, under each goal it serves
            assert home.use_case_label(catalog.use_cases[uc_id].name, goal) in labels
    shown = home_text(view)
    assert "choose one of Segment's use cases" in shown
    assert "/usecase" in shown and home.SHORTCUT_NAME in shown and "Messages" in shown
    assert "recent" not in shown.lower()  # no history is kept, so none is shown
    assert "Next page" not in shown  # the bundled catalog fits on one page


def test_the_messages_tab_opening_publishes_nothing(h):
    sent = h.slack.open_home(tab="messages")
    assert sent.status == 200
    time.sleep(0.3)
    assert h.calls("views.publish") == []


def test_a_goal_on_home_starts_the_guided_flow_in_the_dm(h, catalog):
    goal = catalog.goals[1]
    open_home(h)
    mark = h.mark()
    again = click_home(h, home.goal_label(goal))
    assert [c["users"] for c in h.calls("conversations.open")] == [h.workspace.human_id]
    root = intro_posted_in_the_dm(h)
    question = h.wait_for_message("Question 1 of", channel=DM_ID, thread_ts=root.ts, after=mark)
    assert goal.considerations[0].question in texts(question)
    h.wait_until(
        lambda: f"Goal: {goal.name}" in texts(h.workspace.find(DM_ID, root.ts)),
        what="the intro to show the goal chosen",
    )
    assert f"I started *{goal.name}*" in home_text(again)  # the Home tab says where it went

    # the flow goes on in that thread, exactly as in a channel
    mark = h.mark()
    h.slack.click(question, "Yes")
    second = h.wait_for_message("Question 2 of", channel=DM_ID, thread_ts=root.ts, after=mark)
    mark = h.mark()
    h.slack.click(second, "← Back")
    back = h.wait_for_message("Question 1 of", channel=DM_ID, thread_ts=root.ts, after=mark)
    mark = h.mark()
    h.slack.click(back, "← Back")
    intro = h.wait_for_message(
        "What is your main business goal?", channel=DM_ID, thread_ts=root.ts, after=mark
    )
    other = catalog.goals[0]
    mark = h.mark()
    h.slack.click(intro, f"Choose {other.name}")  # the intro's goal buttons continue the thread
    h.wait_for_message(other.considerations[0].question, channel=DM_ID, thread_ts=root.ts, after=mark)
    assert not [m for m in h.bot_messages(CHANNEL_ID)]  # nothing went to a channel


def test_the_intro_posted_from_home_counts_its_goal_as_chosen(h, catalog):
    goal = catalog.goals[0]
    open_home(h)
    mark = h.mark()
    click_home(h, home.goal_label(goal))
    root = intro_posted_in_the_dm(h)
    h.wait_for_message("Question 1 of", channel=DM_ID, thread_ts=root.ts, after=mark)
    # a click on the intro's own buttons, sent before its update reached the person
    mark = h.mark()
    value = advisor.encode_flow(catalog, advisor.Flow(catalog.goals[2].id))
    h.slack.click_action(root, {"action_id": "usecase.goal.3", "value": value})
    h.wait_for_message("already answered", channel=DM_ID, after=mark, ephemeral=True)
    assert len([m for m in h.bot_messages(DM_ID) if "Question 1 of" in m.text]) == 1


def test_a_use_case_on_home_posts_its_recommendation_in_the_dm(h, catalog):
    goal = catalog.goals[2]
    use_case = catalog.use_cases[goal.use_cases[1]]
    open_home(h)
    mark = h.mark()
    again = click_home(h, home.use_case_label(use_case.name, goal))
    recommendation = h.wait_for_message(f"Recommended: {use_case.name}", channel=DM_ID, after=mark)
    assert recommendation.thread_ts is None and not recommendation.ephemeral
    body = texts(recommendation)
    assert goal.name.replace("&", "&amp;") in body and "you picked it" in body
    for event in use_case.events:
        assert f"`{event}`" in body
    labels = {b["text"] for b in buttons(recommendation.blocks)}
    assert {"Share to channel", "Other options", "Start over"} <= labels  # Share asks for a channel
    assert f"I posted *{use_case.name}*" in home_text(again)
    assert [c["users"] for c in h.calls("conversations.open")] == [h.workspace.human_id]
    # and it is a recommendation like any other: its buttons answer in the DM, at the top level
    mark = h.mark()
    h.slack.click(recommendation, "Other options")
    others = h.wait_for_message("Other options besides", channel=DM_ID, after=mark)
    assert others.thread_ts is None


def test_paging_and_stale_buttons_on_home(h):
    open_home(h)
    count = len(h.calls("views.publish"))
    sent = h.slack.click_view_action({"action_id": "usecase.homepick.3", "value": '["1","c","gone"]'})
    assert sent.status == 200
    fresh = published(h, count)
    assert "expired" in home_text(fresh) and len(home_buttons(fresh)) > 4
    count = len(h.calls("views.publish"))
    h.slack.click_view_action({"action_id": "usecase.homepage.999999999", "value": "x"})
    assert "expired" in home_text(published(h, count))
    assert h.calls("conversations.open") == [] and h.calls("chat.postMessage") == []


def test_when_the_dm_cannot_be_opened_home_says_so(h, catalog):
    open_home(h)
    h.stand_in.api.fail("conversations.open", error="ratelimited", times=1)
    again = click_home(h, home.goal_label(catalog.goals[0]))
    assert "couldn't post my answer" in home_text(again)
    assert h.calls("chat.postMessage") == []


# ------------------------------------------------------------------ the Messages tab


def test_a_new_assistant_thread_gets_the_goals_as_suggested_prompts(h, catalog):
    root, sent = h.slack.start_assistant_thread(context_channel=CHANNEL_ID)
    assert sent.status == 200
    h.wait_until(lambda: h.calls("assistant.threads.setSuggestedPrompts"), what="setSuggestedPrompts")
    call = h.calls("assistant.threads.setSuggestedPrompts")[0]
    assert call["channel_id"] == DM_ID and call["thread_ts"] == root.ts
    assert call["prompts"] == [{"title": g.name, "message": g.name} for g in catalog.goals][:4]
    assert call["title"]
    assert h.workspace.prompts[(DM_ID, root.ts)]["prompts"] == call["prompts"]
    assert not h.bot_messages(DM_ID)[1:]  # prompts, no message: the person speaks first


def test_a_suggested_prompt_starts_its_goals_flow_in_the_thread(h, catalog):
    root, _ = h.slack.start_assistant_thread()
    h.wait_until(lambda: h.workspace.prompts.get((DM_ID, root.ts)), what="the prompts")
    prompt = h.workspace.prompts[(DM_ID, root.ts)]["prompts"][3]
    goal = next(g for g in catalog.goals if g.name == prompt["message"])
    mark = h.mark()
    mine, sent = h.slack.say(DM_ID, prompt["message"], thread_ts=root.ts)
    assert sent.status == 200 and mine.thread_ts == root.ts
    question = h.wait_for_message("Question 1 of", channel=DM_ID, thread_ts=root.ts, after=mark)
    assert goal.considerations[0].question in texts(question)
    mark = h.mark()
    h.slack.click(question, "No")
    h.wait_for_message("Question 2 of", channel=DM_ID, thread_ts=root.ts, after=mark)


def test_a_message_in_an_assistant_thread_is_answered_in_that_thread(h):
    root, _ = h.slack.start_assistant_thread()
    mark = h.mark()
    h.slack.say(DM_ID, "turn free trials into paying customers", thread_ts=root.ts)
    reply = h.wait_for_message("Recommended:", channel=DM_ID, thread_ts=root.ts, after=mark)
    assert not reply.ephemeral
    assert [m for m in h.bot_messages(DM_ID) if m.thread_ts is None] == [h.workspace.find(DM_ID, root.ts)]


# ------------------------------------------------------------------ the message shortcut


def someone_wrote(h: Harness, text: str, *, thread_ts: str | None = None, files: list | None = None):
    """A colleague's message in #general (not to the bot: no event reaches it)."""
    h.workspace.users.setdefault("U0ALICE01", "alice")
    return h.workspace.post(CHANNEL_ID, "U0ALICE01", text, [], thread_ts=thread_ts, files=files)


def test_the_shortcut_tells_privately_what_the_bot_makes_of_a_message(h):
    message = someone_wrote(h, "honestly we keep losing our biggest spenders to competitors")
    mark = h.mark()
    sent = h.slack.shortcut(message, home.SHORTCUT_CALLBACK_ID)
    assert sent.status == 200 and sent.body == ""  # acked at once
    answer = h.wait_for_message("Recommended:", after=mark, ephemeral=True)
    body = texts(answer)
    assert "<@U0ALICE01> asked" in body and "we keep losing our biggest spenders" in body
    assert "Why this one" in body
    assert h.calls("response_url") and not h.calls("chat.postMessage")  # nothing public
    assert answer.thread_ts is None

    mark = h.mark()
    h.slack.click(answer, "Share to channel")
    shared = h.wait_for_message("Recommended:", after=mark, ephemeral=False)
    assert shared.thread_ts is None and "Setup details" in texts(shared)  # the whole card
    assert f"Asked by <@{h.workspace.human_id}>" in texts(shared)
    assert "Share to channel" not in {b["text"] for b in buttons(shared.blocks)}
    h.wait_until(
        lambda: "shared *" in texts(h.workspace.find(CHANNEL_ID, answer.ts)),
        what="the private answer to say it was shared",
    )


def test_the_shortcut_on_a_thread_reply_answers_in_that_thread(h):
    root = someone_wrote(h, "planning for Q3")
    reply = someone_wrote(h, "shoppers abandon their carts at checkout", thread_ts=root.ts)
    mark = h.mark()
    h.slack.shortcut(reply, home.SHORTCUT_CALLBACK_ID)
    answer = h.wait_for_message("Recommended:", after=mark, ephemeral=True)
    assert answer.thread_ts == root.ts
    mark = h.mark()
    h.slack.click(answer, "Share to channel")
    shared = h.wait_for_message("Recommended:", after=mark, ephemeral=False)
    assert shared.thread_ts == root.ts


def test_the_shortcut_on_an_unclear_or_hostile_message_says_so_privately(h):
    message = someone_wrote(h, "where is the office wifi password <!channel> <@U0EVIL>")
    mark = h.mark()
    h.slack.shortcut(message, home.SHORTCUT_CALLBACK_ID)
    answer = h.wait_for_message("couldn't match", after=mark, ephemeral=True)
    assert "<!channel>" not in texts(answer) and "&lt;!channel&gt;" in texts(answer)
    assert "Start the guided flow" in {b["text"] for b in buttons(answer.blocks)}


@pytest.mark.parametrize(
    "text,files,expected",
    [
        ("", [], home.NO_TEXT),
        ("   ", None, home.NO_TEXT),
        ("", [{"id": "F0123", "name": "plan.pdf", "mimetype": "application/pdf"}], home.ONLY_FILES),
        ("<@U0BOT1234>", [], home.NO_TEXT),
    ],
)
def test_the_shortcut_on_a_message_without_text_says_there_is_none(h, text, files, expected):
    message = someone_wrote(h, text, files=files)
    mark = h.mark()
    h.slack.shortcut(message, home.SHORTCUT_CALLBACK_ID)
    answer = h.wait_for_message(expected, after=mark, ephemeral=True)
    assert answer.text == expected and len(answer.blocks) == 1  # one line, nothing to click


# ------------------------------------------------------------------ a catalog of any size


def synthetic_catalog(folder, *, goals: int, use_cases: int):
    """The bundled catalog, plus `goals` more goals sharing `use_cases` more use cases, as the
    validator accepts them (then loaded, so validated)."""
    import shutil

    shutil.copytree(default_catalog_dir(), folder)
    goal_doc = yaml.safe_load((folder / "goals.yml").read_text())
    first = goal_doc["goals"][0]
    new_goals = [
        {
            "id": f"goal-{g:03d}",
            "name": f"Synthetic goal {g}",
            "summary": f"Summary of goal {g}.",
            "about": f"About goal {g}.",
            "use_cases": [],
            "considerations": [],
        }
        for g in range(goals)
    ]
    events = list(yaml.safe_load((folder / "events.yml").read_text())["events"])[:2]
    for n in range(use_cases):
        uc_id = f"synthetic-use-case-{n:04d}"
        owner = new_goals[n % goals] if goals else first
        # every tenth use case also sits under the first bundled goal
        homes = [owner] + ([first] if n % 10 == 0 and owner is not first else [])
        for g in homes:
            g["use_cases"].append(uc_id)
        doc = {
            "id": uc_id,
            "name": f"Synthetic use case number {n} with a rather long name"[:75],
            "purpose": f"do synthetic thing {n}",
            "docs_url": "https://example.com/docs",
            "events": events,
            "goals": {
                g["id"]: {"description": f"Thing {n}.", "sources": ["Website"], "destinations": ["Analytics"]}
                for g in homes
            },
            "vocabulary": [f"synthword{n}"],
        }
        (folder / "use-cases" / f"{uc_id}.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    for g in new_goals:
        g["considerations"] = [{"question": f"Question about {g['name']}?", "points_to": g["use_cases"][:1]}]
    goal_doc["goals"] += [g for g in new_goals if g["use_cases"]]
    (folder / "goals.yml").write_text(yaml.safe_dump(goal_doc, sort_keys=False))
    return load_catalog(folder)


SIZES = {"one huge goal": (0, 400), "many goals": (60, 120), "many of both": (35, 900)}


@pytest.fixture(scope="module")
def big_catalogs(tmp_path_factory):
    return {
        name: synthetic_catalog(tmp_path_factory.mktemp("catalog") / "catalog", goals=g, use_cases=u)
        for name, (g, u) in SIZES.items()
    }


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_of_a_big_catalog_fits_and_together_they_list_it_all(
    big_catalogs, block_kit_validator, size
):
    catalog = big_catalogs[size]
    total = home.page_count(catalog)
    assert total > 1
    seen = []
    for page in range(total):
        view = home.build_home(catalog, page=page, notice=home.posted_note("x" * 80))
        assert not view_problems(block_kit_validator, view), (page, view_problems(block_kit_validator, view))
        seen += [b["value"] for b in home_buttons(view) if b["action_id"].startswith("usecase.homepick.")]
        names = [b["text"] for b in home_buttons(view)]
        assert ("Next page →" in names) == (page < total - 1)
        assert ("← Previous page" in names) == (page > 0)
        assert f"Page {page + 1} of {total}" in home_text(view)
    pairs = [(c.use_case, c.goal) for c in (advisor.decode(catalog, v) for v in seen)]
    assert sorted(pairs) == sorted((row.use_case.id, row.goal.id) for row in catalog.rows())


def test_the_bundled_catalog_and_the_smallest_fit_on_one_page(catalog):
    assert home.page_count(catalog) == 1
    assert len(home.build_home(catalog)["blocks"]) <= 30


def test_a_big_catalog_is_paged_on_the_home_tab(stand_in, big_catalogs, block_kit_validator):
    catalog = big_catalogs["many of both"]
    app = build_app(
        make_settings(stand_in.api_url),
        catalog,
        identity=identity_of(stand_in.workspace),
        seen=MemorySeenOnce(),
        matcher=Matcher(catalog),
    )
    h = Harness(stand_in, app, catalog)
    first = open_home(h)
    second = click_home(h, "Next page →")
    assert "Page 2 of" in home_text(second) and home_buttons(second) != home_buttons(first)
    third = click_home(h, "Next page →")
    assert "Page 3 of" in home_text(third)
    # a use case on page 3: its recommendation in the DM, and the Home tab stays on page 3
    pick = next(b for b in home_buttons(third) if b["action_id"].startswith("usecase.homepick."))
    mark = h.mark()
    after = click_home(h, pick["accessibility_label"])
    assert "Page 3 of" in home_text(after) and "I posted" in home_text(after)
    h.wait_for_message(f"Recommended: {pick['text']}", channel=DM_ID, after=mark)
    back = click_home(h, "← Previous page")
    assert "Page 2 of" in home_text(back)
    for params in h.calls("views.publish"):
        assert not view_problems(block_kit_validator, params["view"])


def test_a_home_card_says_which_use_cases_of_a_goal_it_shows(big_catalogs):
    catalog = big_catalogs["one huge goal"]
    first_goal = catalog.goals[0]
    cards = [c for page in home.pages(catalog) for c in page if c.goal.id == first_goal.id]
    assert len(cards) > 1 and sum(len(c.use_cases) for c in cards) == len(first_goal.use_cases)
    view = home.build_home(catalog, page=1)
    assert "(continued)" in home_text(view) and f"of {len(first_goal.use_cases)}" in home_text(view)


def test_notes_escape_what_they_echo():
    from bot.catalog import Goal

    goal = Goal(
        id="g", name="<!channel> & co", summary="", about="", use_cases=(), considerations=(), vocabulary=()
    )
    for note in (home.posted_note(goal.name), home.started_note(goal)):
        assert "&lt;!channel&gt; &amp; co" in note and "<!channel>" not in note
