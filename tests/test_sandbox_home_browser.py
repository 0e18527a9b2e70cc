"""The sandbox page's Home tab, the Messages tab's suggested prompts and the message shortcut,
in headless Chromium, with the production Bolt app behind the page (see test_sandbox_browser)."""

from __future__ import annotations

import re

import pytest

from bot import home
from bot.catalog import load_catalog
from bot.matcher import Matcher
from tests import test_sandbox_browser as base
from tests.test_sandbox_browser import ARTIFACTS, bot_said_last, button, pinned, send, thread_messages

# the page, its browser and sandbox, and the renderer page: the fixtures of test_sandbox_browser
browser, sandbox, page, renderer = base.browser, base.sandbox, base.page, base.renderer

try:
    from playwright.sync_api import expect
except ImportError:
    expect = None

pytestmark = pytest.mark.browser

BOT_DM = "D0LAN0Z89"


def open_app(page):
    """Open the DM with the app: its Home tab shows first, as in Slack."""
    page.locator(f".sidebar-item[data-channel-id='{BOT_DM}']").click()
    expect(page.get_by_role("tab", name="Home")).to_have_attribute("aria-selected", "true")
    home_view = page.locator("#home-view")
    expect(home_view.locator(".bk-header")).to_have_text("Find the right Segment use case")
    return home_view


def test_the_home_tab_renders_the_published_view(page, sandbox, catalog):
    view = open_app(page)
    for goal in catalog.goals:
        expect(view.get_by_role("button", name=home.goal_label(goal))).to_be_visible()
        expect(view).to_contain_text(goal.summary)
    picks = view.locator("button[data-action-id^='usecase.homepick.']")
    expect(picks).to_have_count(len(catalog.rows()))
    expect(view).to_contain_text(home.SHORTCUT_NAME)
    expect(page.locator("#composer")).to_be_hidden()  # Home has no composer
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-home-tab.png"))


def test_a_use_case_on_home_is_posted_in_messages(page, sandbox, catalog):
    view = open_app(page)
    goal = catalog.goals[0]
    use_case = catalog.use_cases[goal.use_cases[-1]]
    view.get_by_role("button", name=home.use_case_label(use_case.name, goal)).click()
    expect(view).to_contain_text(f"I posted {use_case.name} in our Messages tab")
    messages_tab = page.get_by_role("tab", name="Messages")
    expect(messages_tab).to_have_class(re.compile(r"\bunread\b"))
    messages_tab.click()
    expect(messages_tab).to_have_attribute("aria-selected", "true")
    posted = page.locator("#messages > .message").last
    expect(posted.locator(".bk-header")).to_have_text(f"Recommended: {use_case.name}")
    expect(page.locator("#home-pane")).to_be_hidden()
    expect(page.locator("#composer")).to_be_visible()


def test_a_goal_on_home_waits_in_its_thread_in_messages(page, sandbox, catalog):
    view = open_app(page)
    goal = catalog.goals[1]
    view.get_by_role("button", name=home.goal_label(goal)).click()
    expect(view).to_contain_text(f"I started {goal.name}")
    expect(page.locator("#thread")).to_be_hidden()  # Home stays as it is, as in Slack
    page.get_by_role("tab", name="Messages").click()
    expect(page.locator("#thread")).to_be_visible()  # the thread the Home button started
    question = bot_said_last(page, f"Question 1 of {len(goal.considerations)}")
    expect(question).to_contain_text(goal.considerations[0].question)
    button(question, "Yes").click()
    bot_said_last(page, f"Question 2 of {len(goal.considerations)}")
    root = page.locator("#messages > .message").first
    expect(root).to_contain_text(f"Goal: {goal.name}")


def test_home_buttons_page_through_a_big_catalog(browser, tmp_path):
    from tests.test_home import synthetic_catalog
    from tests.test_sandbox_browser import LOADED, Sandbox, offline

    catalog = synthetic_catalog(tmp_path / "catalog", goals=8, use_cases=150)
    total = home.page_count(catalog)
    assert total > 2
    served = Sandbox(catalog)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        offline(context, served)
        tab = context.new_page()
        tab.goto(served.url)
        tab.wait_for_selector(LOADED)
        view = open_app(tab)
        expect(view).to_contain_text(f"Page 1 of {total}")
        view.get_by_role("button", name="Next page →").click()
        expect(view).to_contain_text(f"Page 2 of {total}")
        expect(view.get_by_role("button", name="← Previous page")).to_be_visible()
        assert tab.evaluate("document.getElementById('home-pane').scrollTop") == 0
        view.get_by_role("button", name="← Previous page").click()
        expect(view).to_contain_text(f"Page 1 of {total}")
    finally:
        context.close()
        served.stop()


def test_the_messages_tab_offers_the_suggested_prompts(page, sandbox, catalog):
    open_app(page)
    page.get_by_role("tab", name="Messages").click()
    # an empty DM: opening Messages starts a chat, which opens with the app's prompts
    prompts = page.locator("#thread-prompts")
    expect(prompts).to_be_visible()
    expect(prompts.locator(".prompts-title")).to_have_text(home.PROMPTS_TITLE)
    expect(prompts.locator("button.prompt")).to_have_text([g.name for g in catalog.goals][:4])
    goal = catalog.goals[2]
    prompts.get_by_role("button", name=goal.name, exact=True).click()
    expect(page.locator("#thread-messages > .message[data-user='U061F7AUR']")).to_have_text(
        re.compile(re.escape(goal.name))
    )
    question = bot_said_last(page, f"Question 1 of {len(goal.considerations)}")
    expect(question).to_contain_text(goal.considerations[0].question)
    # "+ New chat" starts another thread with the same prompts
    page.get_by_role("button", name="+ New chat").click()
    expect(thread_messages(page)).to_have_count(1)
    expect(prompts.locator("button.prompt")).to_have_count(min(4, len(catalog.goals)))


def test_the_shortcut_menu_tells_privately_then_shares(page, sandbox, catalog):
    text = "we keep losing our biggest spenders"
    result = Matcher(catalog).match(text)
    assert result.verdict == "confident"
    use_case = catalog.use_cases[result.matches[0].use_case]
    send(page, text)  # no mention: the bot hears nothing
    mine = pinned(page, "#messages", page.locator("#messages > .message[data-user='U061F7AUR']"))
    mine.hover()
    mine.get_by_role("button", name="More actions").click()
    menu = page.get_by_role("menu", name="Message shortcuts")
    expect(menu).to_be_visible()
    item = menu.get_by_role("menuitem", name=re.compile(home.SHORTCUT_NAME))
    expect(item).to_be_focused()
    item.click()
    expect(menu).to_be_hidden()
    private = page.locator("#messages > .message.is-ephemeral").last
    expect(private).to_contain_text("Only visible to you")
    expect(private.locator(".bk-header")).to_have_text(f"Recommended: {use_case.name}")
    expect(private).to_contain_text(f"@you asked: “{text}”")
    button(private, "Share to channel").click()
    public_copy = page.locator("#messages > .message:not(.is-ephemeral)[data-user='U0BOT1234']").last
    expect(public_copy.locator(".bk-header")).to_have_text(f"Recommended: {use_case.name}")
    # the private copy now says who put it in the conversation, and offers no second share
    expect(private).to_have_text(re.compile(rf"@you \w+ {re.escape(use_case.name)} with the conversation\."))
    expect(private.get_by_role("button", name="Share to channel")).to_have_count(0)


def test_the_shortcut_menu_closes_with_escape_and_says_when_there_is_no_text(page, sandbox):
    sandbox.workspace.post("C0LAN2Q65", "U061F7AUR", "", [], files=[{"id": "F1", "name": "deck.pdf"}])
    message = page.locator("#messages > .message[data-user='U061F7AUR']").last
    message.hover()
    message.get_by_role("button", name="More actions").click()
    menu = page.get_by_role("menu", name="Message shortcuts")
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    message.hover()
    message.get_by_role("button", name="More actions").click()
    menu.get_by_role("menuitem").first.click()
    note = page.locator("#messages > .message.is-ephemeral").last
    expect(note.locator(".message-content")).to_have_text(home.ONLY_FILES)


def test_every_emoji_the_home_tab_writes_is_drawn(renderer):
    from pathlib import Path

    codes = sorted(set(re.findall(r":[a-z0-9_+-]+:", Path(home.__file__).read_text())))
    assert codes
    drawn = {code: renderer.mrkdwn(code) for code in codes}
    assert not [code for code, shown in drawn.items() if shown == code], drawn


def test_home_views_render_without_unsupported_parts(renderer):
    view = home.build_home(load_catalog(), notice=home.posted_note("x"))
    out = renderer.blocks(view["blocks"])
    expect(out.locator(".bk-block")).to_have_count(len(view["blocks"]))
    expect(out.locator(".bk-unsupported, .bk-image-missing")).to_have_count(0)
