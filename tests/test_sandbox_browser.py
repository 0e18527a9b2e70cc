"""The sandbox page in a real browser: Playwright driving Debian's headless Chromium.

Two kinds of tests:
- the page end to end: a person types `/usecase`, clicks, mentions the bot, and reads what
  the bot answered, with the production Bolt app behind the page (a fresh sandbox per test);
- the Block Kit renderer (static/blockkit.js) on its own, through renderer-test.html: every
  block type, mrkdwn, and text from people that tries to be markup.

Screenshots of the end-to-end tests land in test-artifacts/ (git-ignored).
Without Chromium these tests skip, unless USECASE_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import re
import time

import pytest

from bot.blocks import escape
from bot.matcher import Matcher
from tests.support.browser import Renderer, Sandbox, images_have_failed, is_control_image, require_browser
from tests.support.reference import ROOT

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails, in CI) with the reason
    expect = None

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT_MS = 10_000
LOADED = "body[data-loaded='true'][data-sse='open']"


# ---------------------------------------------------------------------------- the browser


def _browser_missing() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


def _no_browser(reason: str):
    if require_browser():
        pytest.fail(f"USECASE_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    reason = _browser_missing()
    if reason:
        _no_browser(reason)
    from playwright.sync_api import Error, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        try:
            # launch() gives every browser a fresh, temporary user-data dir (and deletes it)
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Error as exc:
            _no_browser(f"{CHROMIUM} did not start: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()


# ---------------------------------------------------------------------------- the sandbox


@pytest.fixture
def sandbox(catalog, matcher):
    running = Sandbox(catalog, matcher)
    yield running
    running.stop()


@pytest.fixture
def page(browser, sandbox, request):
    """The sandbox page, loaded and live; fails the test on any script or console error."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    offline(context, sandbox)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and not is_control_image(msg.location.get("url", ""))
            else None
        ),
    )
    page.goto(sandbox.url)
    page.wait_for_selector(LOADED)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"browser-{request.node.name}.png"))
    found = list(problems)
    context.close()
    assert not found, found


# ---------------------------------------------------------------------------- helpers


def offline(context, sandbox: Sandbox) -> None:
    """Keep the browser on the sandbox: images and links elsewhere are not fetched."""
    origin = sandbox.stand_in.base_url + "/"
    context.route(lambda url: not url.startswith(origin), lambda route: route.abort())


def send(page, text: str) -> None:
    """Type in #general's composer and press Enter, as a person does."""
    composer = page.locator("#composer")
    composer.fill(text)
    composer.press("Enter")


def thread_messages(page):
    return page.locator("#thread-messages > .message")


def pinned(page, pane: str, message):
    """A locator for this very message (by its ts), however many come after it."""
    return page.locator(f"{pane} > .message[data-ts='{message.get_attribute('data-ts')}']")


def bot_said_last(page, contains: str):
    """The last message of the open thread, once it is the bot's and says `contains`."""
    expect(thread_messages(page).last).to_contain_text(contains)
    said = pinned(page, "#thread-messages", thread_messages(page).filter(has_text=contains).last)
    expect(said).to_have_attribute("data-user", "U0BOT1234")
    return said


def button(scope, label: str):
    return scope.get_by_role("button", name=label, exact=True)


def recommend_by_mention(page, catalog, text: str = "we keep losing our biggest spenders"):
    """Mention the bot with a goal it is confident about: returns (use case, its message)."""
    result = Matcher(catalog).match(text)
    assert result.verdict == "confident", f"the matcher is not confident about {text!r}: {result}"
    use_case = catalog.use_cases[result.matches[0].use_case]
    send(page, f"@usecase-bot {text}")
    return use_case, bot_said_last(page, f"Recommended: {use_case.name}")


# ---------------------------------------------------------------------------- end to end


def test_guided_flow_from_usecase_to_recommendation(page, sandbox, catalog):
    goal = catalog.goals[0]
    first = goal.considerations[0]
    assert len(first.points_to) == 1, "the first question of the first goal points to one use case"
    expected = catalog.use_cases[first.points_to[0]]
    fit = expected.goals[goal.id]

    send(page, "/usecase")
    expect(page.locator("#messages > .message")).to_have_count(1)
    root = pinned(page, "#messages", page.locator("#messages > .message"))
    expect(root).to_contain_text("What is your main business goal?")
    for g in catalog.goals:
        expect(root.get_by_role("button", name=f"Choose {g.name}")).to_be_visible()
    expect(page.locator("#composer")).to_have_value("")

    root.get_by_role("button", name=f"Choose {goal.name}").click()
    expect(page.locator("#thread")).to_be_visible()  # the bot's reply in the thread opens it
    expect(root).to_contain_text(f"Goal: {goal.name}")
    expect(root.locator("button.bk-button")).to_have_count(0)

    total = len(goal.considerations)
    for index, consideration in enumerate(goal.considerations):
        question = bot_said_last(page, f"Question {index + 1} of {total}")
        expect(question).to_contain_text(consideration.question)
        button(question, "Yes" if index == 0 else "No").click()
        expect(question).to_contain_text("answered Yes" if index == 0 else "answered No")
        expect(question.locator("button.bk-button")).to_have_count(0)
        expect(question.locator(".edited")).to_have_count(0)  # as in Slack: no label on apps' blocks

    recommendation = bot_said_last(page, f"Recommended: {expected.name}")
    expect(recommendation.locator(".bk-header")).to_have_text(f"Recommended: {expected.name}")
    expect(recommendation).to_contain_text(f"For {goal.name}")
    expect(recommendation).to_contain_text(first.question)  # why: the question answered Yes
    codes = recommendation.locator("code").all_inner_texts()
    for event in expected.events:
        assert event in codes
    docs = recommendation.locator("button[data-action-id='usecase.docs']")
    expect(docs).to_have_text("Open Segment's docs")
    expect(docs).to_have_attribute("data-url", expected.docs_url)
    for label in ("Tracking plan", "Other options", "Share to channel", "Start over"):
        expect(button(recommendation, label)).to_be_visible()

    # the details come on demand, in the thread
    button(recommendation, "Setup details").click()
    details = bot_said_last(page, f"Setup details: {expected.name}")
    for event in expected.events:
        for prop in catalog.events[event].properties:
            expect(details).to_contain_text(getattr(prop, "name", prop))
    fields = " ".join(details.locator(".bk-field").all_inner_texts())
    for kind in fit.sources + fit.destinations:
        assert kind in fields
    expect(details).to_contain_text("Setup checklist")

    # the whole conversation is one thread under the /usecase message
    expect(thread_messages(page)).to_have_count(1 + total + 2)
    expect(root.locator(".replies")).to_have_text(f"{total + 2} replies")
    ws = sandbox.workspace
    root_ts = root.get_attribute("data-ts")
    bot_replies = [m for m in ws.snapshot() if m.ts != root_ts]
    assert len(bot_replies) == total + 2 and all(m.thread_ts == root_ts for m in bot_replies)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-guided-flow.png"))


def test_mentioning_the_bot_with_a_goal_answers_in_the_thread(page, sandbox, catalog):
    use_case, recommendation = recommend_by_mention(page, catalog)
    mine = pinned(page, "#messages", page.locator("#messages > .message[data-user='U061F7AUR']"))
    expect(mine.locator(".bk-user-mention")).to_have_text("@usecase-bot")
    expect(mine).to_contain_text("we keep losing our biggest spenders")
    expect(mine.locator(".replies")).to_have_text("1 reply")
    expect(page.locator("#thread")).to_be_visible()
    expect(thread_messages(page).first).to_have_attribute("data-ts", mine.get_attribute("data-ts"))
    expect(recommendation).to_contain_text("we keep losing our biggest spenders”")
    for event in use_case.events:
        expect(recommendation.locator("code", has_text=event).first).to_be_visible()


def test_a_tracking_plan_arrives_as_a_file_in_the_thread(page, catalog):
    use_case, recommendation = recommend_by_mention(page, catalog)
    button(recommendation, "Tracking plan").click()
    chooser = bot_said_last(page, "Pick a format")
    button(chooser, "Protocols JSON").click()
    file = page.locator("#thread-messages .file-card").last
    expect(file).to_contain_text(f"{use_case.id}-tracking-plan.json")
    file.locator("summary").click()
    for event in use_case.events:
        expect(file.locator(".file-content")).to_contain_text(f'"key": "{event}"')


def test_the_readiness_check_ticks_what_is_tracked_and_lists_the_gap(page, catalog):
    use_case, recommendation = recommend_by_mention(
        page, catalog, "shoppers leave items in the cart and never buy"
    )
    assert len(use_case.events) >= 2
    button(recommendation, "Setup details").click()
    details = bot_said_last(page, f"Setup details: {use_case.name}")
    button(details, "What do we already track?").click()
    check = bot_said_last(page, "Which of these do you already track?")
    check.get_by_role("checkbox", name=use_case.events[0]).check()
    button(check, "Show what's missing").click()
    expect(check).to_contain_text("To add:")
    for event in use_case.events[1:]:
        expect(check.locator("code", has_text=event).first).to_be_visible()
    expect(check).to_contain_text(f"Already in place: {use_case.events[0]}")
    button(check, "CSV").click()
    file = page.locator("#thread-messages .file-card").last
    file.locator("summary").click()
    content = file.locator(".file-content")
    expect(content).to_contain_text(use_case.events[1])
    expect(content).not_to_contain_text(use_case.events[0] + ",")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "readiness.png"))


def test_start_over_from_a_recommendation_begins_again_in_the_thread(page, catalog):
    _, recommendation = recommend_by_mention(page, catalog)
    button(recommendation, "Start over").click()
    intro = bot_said_last(page, "What is your main business goal?")
    expect(intro.locator("button[aria-label^='Choose ']")).to_have_count(len(catalog.goals))
    expect(recommendation).to_contain_text("Recommended:")  # the answer stays

    goal = catalog.goals[-1]
    intro.get_by_role("button", name=f"Choose {goal.name}").click()
    question = bot_said_last(page, f"Question 1 of {len(goal.considerations)}")
    expect(intro).to_contain_text(f"Goal: {goal.name}")

    button(question, "Start over").click()  # from a question: it closes, the goals come back
    expect(question).to_contain_text("started over")
    expect(question.locator("button.bk-button")).to_have_count(0)
    bot_said_last(page, "What is your main business goal?")
    expect(thread_messages(page)).to_have_count(5)  # mention, answer, goals, question, goals


def test_helpful_replaces_the_feedback_buttons_with_a_thank_you(page, sandbox, catalog):
    _, recommendation = recommend_by_mention(page, catalog)
    count = thread_messages(page).count()
    recommendation.locator("button[data-action-id='usecase.helpful']").click()

    # `recommendation` is pinned by its ts: the same message, changed in place
    expect(recommendation).to_contain_text("@you found this helpful")
    expect(recommendation.locator("button[data-action-id='usecase.helpful']")).to_have_count(0)
    expect(recommendation.locator("button[data-action-id='usecase.unhelpful']")).to_have_count(0)
    expect(button(recommendation, "Start over")).to_be_visible()  # the rest is untouched
    expect(recommendation.locator(".bk-header")).to_have_text(re.compile("^Recommended: "))
    expect(recommendation.locator(".edited")).to_have_count(0)
    expect(thread_messages(page)).to_have_count(count)  # nothing new posted


def test_private_answers_and_composer_errors(page, sandbox):
    send(page, "/usecase help")
    note = page.locator("#messages > .message.is-ephemeral").last
    expect(note).to_contain_text("Only visible to you")
    expect(note).to_contain_text("I help your team pick the Segment use case")

    send(page, "/giphy cats")
    error = page.locator("#composer-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("/giphy is not a command here")
    expect(page.locator("#composer")).to_have_value("/giphy cats")  # nothing typed is lost
    assert not [m for m in sandbox.workspace.snapshot() if "giphy" in m.text]


HOSTILE = 'zzqx <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> <!channel> &lt;b&gt;'


def test_markup_typed_by_a_person_stays_text_on_the_page(page):
    send(page, f"@usecase-bot {HOSTILE}")
    mine = pinned(page, "#messages", page.locator("#messages > .message[data-user='U061F7AUR']"))
    expect(mine.locator(".message-content")).to_have_text("@usecase-bot " + HOSTILE)
    reply = bot_said_last(page, "zzqx")
    for where in (mine, reply):
        expect(where.locator("img, script, .bk-broadcast")).to_have_count(0)
    images_have_failed(page)  # an injected image would have failed and fired onerror by now
    assert page.evaluate("window.__pwned") is None


def test_the_bot_echoes_what_a_person_typed_exactly(page):
    send(page, "@usecase-bot zzqx <b> & co")
    expect(bot_said_last(page, "zzqx")).to_contain_text("“zzqx <b> & co”", timeout=1_000)


def test_the_answer_to_a_mention_quotes_the_words_without_the_mention(page, catalog):
    _, recommendation = recommend_by_mention(page, catalog)
    expect(recommendation).to_contain_text("@you asked: “we keep losing our biggest spenders”", timeout=1_000)


# ---------------------------------------------------------------------------- the renderer


@pytest.fixture(scope="module")
def renderer(browser, catalog, matcher):
    """renderer-test.html as the sandbox serves it (with its Content-Security-Policy)."""
    served = Sandbox(catalog, matcher)
    context = browser.new_context()
    offline(context, served)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(served.url + "renderer-test.html")
    page.wait_for_function("() => !!window.BlockKit")
    yield Renderer(page, errors)
    context.close()
    served.stop()
    assert not errors, errors


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def test_header_block(renderer):
    out = renderer.blocks([{"type": "header", "text": plain("Recommended: *not bold* :tada:")}])
    header = out.locator(".bk-block")
    expect(header).to_have_class(re.compile(r"\bbk-header\b"))
    expect(header).to_have_attribute("role", "heading")
    expect(header).to_have_text("Recommended: *not bold* 🎉")  # plain_text: no mrkdwn, emoji on
    expect(header.locator("b")).to_have_count(0)


def test_section_with_text_fields_and_an_accessory_button(renderer):
    out = renderer.blocks(
        [
            {
                "type": "section",
                "block_id": "pick",
                "text": mrkdwn("*Build lookalikes*\nFind people like your best customers"),
                "fields": [mrkdwn("*Sources*\nWebsite\nMobile"), mrkdwn("*Destinations*\nAdvertising")],
                "accessory": {
                    "type": "button",
                    "text": plain("Choose"),
                    "action_id": "usecase.pick.0",
                    "value": '["1","c"]',
                    "accessibility_label": "Choose Build lookalikes",
                },
            }
        ]
    )
    section = out.locator(".bk-section")
    assert renderer.simplified(section.locator(".bk-section-text")) == (
        "<div><b>Build lookalikes</b><br>Find people like your best customers</div>"
    )
    expect(section.locator(".bk-field")).to_have_text(
        ["Sources\nWebsite\nMobile", "Destinations\nAdvertising"], use_inner_text=True
    )
    accessory = section.locator(".bk-accessory button")
    expect(accessory).to_have_text("Choose")
    expect(accessory).to_have_attribute("aria-label", "Choose Build lookalikes")
    accessory.click()
    assert renderer.actions() == [
        {"action_id": "usecase.pick.0", "block_id": "pick", "value": '["1","c"]', "url": None}
    ]


def test_divider_and_context_blocks(renderer):
    out = renderer.blocks(
        [
            {"type": "divider"},
            {
                "type": "context",
                "elements": [
                    mrkdwn("Asked by <@U0BOT1234> · _just now_"),
                    plain("plain *text*"),
                    {"type": "image", "image_url": "https://example.com/logo.png", "alt_text": "logo"},
                ],
            },
        ]
    )
    expect(out.locator("hr.bk-divider")).to_have_count(1)
    context = out.locator(".bk-context")
    assert renderer.simplified(context.locator(".bk-context-text").first) == (
        "<span>Asked by <span>@usecase-bot</span> · <i>just now</i></span>"
    )
    expect(context.locator(".bk-context-text").nth(1)).to_have_text("plain *text*")
    expect(context.locator("img")).to_have_attribute("alt", "logo")


def test_image_block_and_unsafe_image_urls(renderer):
    out = renderer.blocks(
        [
            {
                "type": "image",
                "image_url": "https://example.com/chart.png",
                "alt_text": "a chart",
                "title": plain("Weekly churn"),
            },
            {"type": "image", "image_url": "javascript:alert(1)", "alt_text": "sneaky"},
            {"type": "image", "image_url": "data:image/svg+xml,<svg onload=alert(1)>", "alt_text": "svg"},
        ]
    )
    first = out.locator(".bk-image").first
    expect(first.locator(".bk-image-title")).to_have_text("Weekly churn")
    expect(first.locator("img")).to_have_attribute("src", "https://example.com/chart.png")
    expect(first.locator("img")).to_have_attribute("alt", "a chart")
    expect(out.locator("img")).to_have_count(1)  # only http(s) images are loaded
    expect(out.locator(".bk-image-missing")).to_have_text(["[image: sneaky]", "[image: svg]"])


def test_actions_with_primary_danger_and_url_buttons(renderer):
    out = renderer.blocks(
        [
            {
                "type": "actions",
                "block_id": "controls",
                "elements": [
                    {
                        "type": "button",
                        "text": plain("Yes"),
                        "action_id": "usecase.answer.y",
                        "value": "v1",
                        "style": "primary",
                    },
                    {
                        "type": "button",
                        "text": plain("Delete"),
                        "action_id": "usecase.delete",
                        "style": "danger",
                    },
                    {
                        "type": "button",
                        "text": plain("Open Segment's docs"),
                        "action_id": "usecase.docs",
                        "url": "https://segment.com/docs/getting-started/use-cases/",
                    },
                    {
                        "type": "button",
                        "text": plain("Evil"),
                        "action_id": "usecase.evil",
                        "url": "javascript:alert(1)",
                    },
                    {"type": "datepicker", "action_id": "usecase.date"},
                ],
            }
        ]
    )
    buttons = out.locator(".bk-actions > button")
    expect(buttons).to_have_text(["Yes", "Delete", "Open Segment's docs", "Evil"])
    expect(buttons.nth(0)).to_have_class(re.compile(r"\bbk-primary\b"))
    expect(buttons.nth(1)).to_have_class(re.compile(r"\bbk-danger\b"))
    expect(buttons.nth(2)).to_have_class(re.compile(r"\bbk-link-button\b"))
    expect(buttons.nth(2)).to_have_attribute(
        "data-url", "https://segment.com/docs/getting-started/use-cases/"
    )
    assert buttons.nth(3).get_attribute("data-url") is None
    for plain_button in (buttons.nth(0), buttons.nth(3)):
        expect(plain_button).not_to_have_class(re.compile(r"\bbk-link-button\b"))
    expect(out.locator(".bk-unsupported")).to_have_text("[unsupported element: datepicker]")

    buttons.nth(0).click()
    buttons.nth(3).click()
    assert renderer.actions() == [
        {"action_id": "usecase.answer.y", "block_id": "controls", "value": "v1", "url": None},
        {"action_id": "usecase.evil", "block_id": "controls", "value": None, "url": None},
    ]


def test_unknown_and_malformed_blocks_are_shown_not_fatal(renderer):
    out = renderer.blocks(
        [
            {"type": "video"},
            None,
            "text",
            {"type": "section"},
            {"type": "section", "text": mrkdwn("still here")},
        ]
    )
    expect(out.locator(".bk-unsupported")).to_have_text(
        ["[unsupported block: video]", "[unsupported block: unknown]", "[unsupported block: unknown]"]
    )
    expect(out).to_contain_text("still here")
    assert not renderer.errors


@pytest.mark.parametrize(
    "text,expected",
    [
        ("*bold* _italic_ ~strike~ `code`", "<b>bold</b> <i>italic</i> <s>strike</s> <code>code</code>"),
        ("*bold with _italic_ inside*", "<b>bold with <i>italic</i> inside</b>"),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("`*not bold* <!here>`", "<code>*not bold* &lt;!here&gt;</code>"),
        (
            "<https://segment.com/docs|Segment's docs>",
            '<a href="https://segment.com/docs">Segment\'s docs</a>',
        ),
        ("see <https://segment.com>", 'see <a href="https://segment.com">https://segment.com</a>'),
        ("<mailto:team@example.com|write to us>", '<a href="mailto:team@example.com">write to us</a>'),
        ("<javascript:alert(1)|click me>", "&lt;javascript:alert(1)|click me&gt;"),
        (
            "• one\n• two\n1. first\n2. second",
            "<span>• one</span><br><span>• two</span><br>1. first<br>2. second",
        ),
        ("line one\nline two\n\nafter a blank", "line one<br>line two<br><br>after a blank"),
        ("Tom &amp; Jerry &lt;3 &gt; all", "Tom &amp; Jerry &lt;3 &gt; all"),
        ("&amp;lt;b&amp;gt;", "&amp;lt;b&amp;gt;"),
        ("*Why:* you said *Yes* :thumbsup:", "<b>Why:</b> you said <b>Yes</b> 👍"),
        ("<@U0BOT1234> <!here>", "<span>@usecase-bot</span> <span>@here</span>"),
        ("```\nraw *stars* &amp; <b>\n```", "<pre>raw *stars* &amp; &lt;b&gt;</pre>"),
        ("> quoted\nnot quoted", "<blockquote>quoted</blockquote>not quoted"),
    ],
)
def test_mrkdwn(renderer, text, expected):
    # the expectation is DOM text serialized as markup: "&amp;" is a literal "&" on screen
    assert renderer.mrkdwn(text) == expected


# What a person might type; the bot escapes it (bot.blocks.escape) before echoing it.
TYPED = [
    "<script>window.__pwned='script'</script>",
    "<img src=x onerror=\"window.__pwned='img'\">",
    "<!channel> <!here> <@U0BOT1234>",
    "&lt;script&gt;window.__pwned='entity'&lt;/script&gt;",
    "<https://evil.example|Segment docs> <javascript:window.__pwned='link'|x>",
]


@pytest.mark.parametrize("typed", TYPED)
def test_text_from_people_stays_inert(renderer, typed):
    said = escape(typed)
    out = renderer.blocks(
        [
            {"type": "header", "text": plain(typed)},
            {
                "type": "section",
                "text": mrkdwn(f"You asked: “{said}”"),
                "fields": [mrkdwn(said)],
                "accessory": {"type": "button", "text": plain(typed), "action_id": "a", "value": typed},
            },
            {"type": "context", "elements": [mrkdwn(said), plain(typed)]},
            {"type": "actions", "elements": [{"type": "button", "text": plain(typed), "action_id": "b"}]},
        ]
    )
    expect(out.locator(".bk-header")).to_have_text(typed)
    expect(out.locator(".bk-section-text")).to_have_text(f"You asked: “{typed}”")
    expect(out.locator(".bk-field")).to_have_text(typed)
    expect(out.locator(".bk-context-text")).to_have_text([typed, typed])
    expect(out.locator("button")).to_have_text([typed, typed])
    # nothing became an element: no script, image, link, mention or broadcast
    expect(out.locator("script, img, a, .bk-mention")).to_have_count(0)
    images_have_failed(renderer.page)
    assert renderer.page.evaluate("window.__pwned") is None


@pytest.mark.parametrize(
    "raw",
    [
        "<script>window.__pwned='raw script'</script>",
        "<img src=x onerror=\"window.__pwned='raw img'\">",
        "<b onmouseover=\"window.__pwned='raw b'\">hi</b>",
    ],
)
def test_unescaped_markup_in_mrkdwn_is_shown_verbatim(renderer, raw):
    out = renderer.blocks([{"type": "section", "text": mrkdwn(raw)}])
    expect(out.locator(".bk-section-text")).to_have_text(raw)
    expect(out.locator(".bk-section-text *")).to_have_count(0)
    images_have_failed(renderer.page)
    assert renderer.page.evaluate("window.__pwned") is None


def test_every_emoji_the_bot_writes_is_drawn(renderer):
    codes = sorted(set(re.findall(r":[a-z0-9_+-]+:", (ROOT / "bot" / "blocks.py").read_text())))
    assert ":thumbsup:" in codes
    drawn = {code: renderer.mrkdwn(code) for code in codes}
    assert not [code for code, shown in drawn.items() if shown == code], drawn


def test_the_bots_messages_render_without_unsupported_parts(renderer, catalog):
    from bot.conversation import Conversation

    talk = Conversation(catalog, Matcher(catalog))
    replies = [
        talk.command("", "U1"),
        talk.command("help", "U1"),
        talk.command("list", "U1"),
        talk.message("zzqx", "U1"),
        talk.message("cart abandonment", "U1"),
        talk.message("we keep losing our biggest spenders", "U1"),
    ]
    for reply in replies:
        message = reply.post or reply.private
        out = renderer.blocks(message.blocks)
        expect(out.locator(".bk-block")).to_have_count(len(message.blocks))
        expect(out.locator(".bk-unsupported, .bk-image-missing")).to_have_count(0)


def test_the_sandbox_sends_what_a_person_types_as_slack_does(page, sandbox):
    send(page, "@usecase-bot hi @channel and @here, see https://example.com/pricing.")
    mine = page.locator("#messages > .message[data-user='U061F7AUR']").last
    expect(mine.locator(".bk-user-mention")).to_have_text("@usecase-bot")
    expect(mine.locator("a", has_text="https://example.com/pricing")).to_be_visible()
    posted = next(m for m in sandbox.workspace.snapshot() if m.user == "U061F7AUR")
    assert "<@U0BOT1234>" in posted.text and "<!channel>" in posted.text and "<!here>" in posted.text
    assert "<https://example.com/pricing>." in posted.text


def test_times_are_when_a_message_was_posted_and_one_authors_run_is_grouped(page, sandbox):
    before = time.time()
    send(page, "first line from me")
    send(page, "second line from me")
    mine = page.locator("#messages > .message[data-user='U061F7AUR']")
    expect(mine).to_have_count(2)
    expect(mine.nth(1)).to_have_class(re.compile(r"\bis-grouped\b"))
    expect(mine.nth(0)).not_to_have_class(re.compile(r"\bis-grouped\b"))
    expect(mine.nth(1).locator(".avatar")).to_be_hidden()
    for m in sandbox.workspace.snapshot():
        assert before - 0.05 <= float(m.ts) <= time.time() + 0.05  # the time it was posted, not the start


def test_the_composer_hints_stay_whole_in_a_narrow_window(browser, sandbox):
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    try:
        page = context.new_page()
        page.goto(sandbox.url)
        page.wait_for_selector(LOADED)
        for chip in page.locator("#composer-hint .hint code").all():
            box = chip.bounding_box()
            assert box is not None and box["height"] < 24, box  # one line, not broken across two
    finally:
        context.close()


def test_a_private_answer_is_shared_once_to_the_channel(page, sandbox):
    send(page, "/usecase we keep losing our biggest spenders")
    private = page.locator("#messages > .message.is-ephemeral").last
    expect(private).to_contain_text("Only visible to you")
    expect(private).to_contain_text("Recommended:")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "free-text-private.png"))
    button(private, "Share to channel").click()
    shared = page.locator("#messages > .message:not(.is-ephemeral)", has_text="Recommended:")
    expect(shared).to_have_count(1)
    expect(private).to_contain_text("shared this to the channel")
    expect(button(private, "Share to channel")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "shared.png"))
