"""Installable by any workspace: the "Add to Slack" page, Slack's redirect back, what goes wrong
and what the installer is told, each workspace answered with its own token, token rotation,
uninstalling, and tokens kept out of sight (encrypted at rest, never in a log, page or message).

The production app (build_app with OAuth settings, behind the production WSGI endpoint) runs
in-process over a real database (each test on SQLite and on PostgreSQL); Slack is the loopback
fake Web API (bot/sandbox/webapi.py), which plays the authorize page, oauth.v2.access, and
auth.test for each token it issued.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import replace
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from bot import oauth
from bot.app import build_app
from bot.sandbox.people import SlackSide
from bot.sandbox.workspace import CHANNEL_ID
from bot.storage import Database, bots, feedback, installations, oauth_states
from bot.tokens import TokenCipher, new_key
from bot.web import make_wsgi_app
from tests.support.harness import SECRET, Harness, make_settings
from tests.support.jobs import track_background_work
from tests.support.oauth import CLIENT_ID, CLIENT_SECRET, STATE_COOKIE, Browser, install, wsgi_call

GOAL_CHOOSER = "What is your main business goal?"


class OAuthBot(Harness):
    """The app as an OAuth app: a browser to install it with, and Slack's side to talk to it."""

    def __init__(self, stand_in, app, catalog, jobs, db, wsgi):
        self.db, self.wsgi = db, wsgi
        super().__init__(stand_in, app, catalog, jobs=jobs)
        self.slack = SlackSide(self.workspace, self.dispatch, SECRET, stand_in.base_url)
        self.api = stand_in.api

    def dispatch(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        page = wsgi_call(self.wsgi, "POST", "/slack/events", body, headers=headers)
        return page.status, page.body

    def browser(self) -> Browser:
        return Browser(self.wsgi)

    def rows(self, table) -> list[dict]:
        with self.db.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(table)).mappings()]

    def posts_in(self, channel: str = CHANNEL_ID) -> list[tuple[str, str]]:
        """(text, token) of each chat.postMessage in `channel`, in order."""
        calls = [p for m, p in list(self.workspace.calls) if m == "chat.postMessage"]
        tokens = [t for m, t in list(self.api.tokens_used) if m == "chat.postMessage"]
        return [(p.get("text") or "", t) for p, t in zip(calls, tokens) if p.get("channel") == channel]

    def chooser_tokens(self, channel: str = CHANNEL_ID) -> list[str]:
        """The token of each goal chooser posted in `channel`."""
        return [token for text, token in self.posts_in(channel) if GOAL_CHOOSER in text]


def start_oauth_bot(stand_in, catalog, matcher, url, monkeypatch, **settings_overrides) -> OAuthBot:
    jobs = track_background_work(monkeypatch)
    settings = make_settings(
        stand_in.api_url,
        bot_token=None,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        **settings_overrides,
    )
    db = Database.open(url)
    app = build_app(settings, catalog, seen=db.seen_once(), matcher=matcher, database=db)
    wsgi = make_wsgi_app(app, SECRET, routes=oauth.routes(app), health=db.ping)
    return OAuthBot(stand_in, app, catalog, jobs, db, wsgi)


@pytest.fixture
def bot(stand_in, catalog, matcher, database_url, monkeypatch):
    stand_in.api.register_app(CLIENT_ID, CLIENT_SECRET)
    b = start_oauth_bot(stand_in, catalog, matcher, database_url, monkeypatch)
    yield b
    b.settle()
    b.db.dispose()


def slash_is_answered(bot: OAuthBot, channel: str = CHANNEL_ID) -> bool:
    mark = bot.mark()
    sent = bot.slack.slash(channel, "")
    assert sent.status == 200, sent
    bot.settle()
    return any(
        m.user == bot.workspace.bot_user_id and GOAL_CHOOSER in m.text
        for m in bot.workspace.snapshot()[mark:]
    )


# ------------------------------------------------------------------ the install page


def test_the_install_page_links_to_slack_with_a_fresh_state_also_set_in_a_cookie(bot):
    browser = bot.browser()
    page, state = browser.start_install()
    assert page.title == "Add Use Case Advisor to Slack"
    link = urlsplit(page.link("Add to Slack"))
    assert (link.scheme, link.netloc, link.path) == ("https", "slack.com", "/oauth/v2/authorize")
    query = parse_qs(link.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(oauth.BOT_SCOPES)
    assert browser.cookies[STATE_COOKIE] == state
    cookie = page.headers["set-cookie"][0]
    assert "HttpOnly" in cookie and "Secure" in cookie
    assert "default-src 'none'" in page.headers["content-security-policy"][0]
    _, another = Browser(bot.wsgi).start_install()
    assert another != state  # fresh each time
    assert {r["state"] for r in bot.rows(oauth_states)} == {state, another}


def test_installing_stores_the_team_and_its_requests_are_answered_with_its_token(bot):
    assert not slash_is_answered(bot)  # not installed yet: nothing is posted
    told = bot.wait_for_message("not installed in this workspace", ephemeral=True)
    assert "xox" not in told.text

    browser = bot.browser()
    _, state = browser.start_install()
    page = browser.finish_install(bot.api.grant(team_name="Acme & Co"), state)
    assert page.status == 200 and page.title == "Use Case Advisor is installed"
    assert "Use Case Advisor is now in Acme & Co." in page.text and "/usecase" in page.text
    assert STATE_COOKIE not in browser.cookies  # the state cookie is cleared

    exchanged = [p for m, p in bot.workspace.calls if m == "oauth.v2.access"]
    assert len(exchanged) == 1 and "code" in exchanged[0]  # through SLACK_API_URL, with the code
    [installed] = bot.rows(installations)
    assert installed["team_id"] == bot.workspace.team_id and installed["team_name"] == "Acme & Co"
    assert (
        installed["bot_user_id"] == bot.workspace.bot_user_id and installed["bot_id"] == bot.workspace.bot_id
    )

    assert slash_is_answered(bot)
    [token] = bot.api.tokens_of(bot.workspace.team_id)
    assert bot.chooser_tokens()[-1] == token  # with the team's own token


def test_a_replayed_or_foreign_state_is_refused_with_a_page_saying_what_to_do(bot):
    browser = bot.browser()
    _, state = browser.start_install()
    code = bot.api.grant()
    cookie = dict(browser.cookies)
    assert browser.finish_install(code, state).status == 200

    browser.cookies = cookie  # the same redirect again (a reload, or someone replaying it)
    replayed = browser.finish_install(bot.api.grant(), state)
    assert replayed.status == 401 and replayed.title == "This installation link has expired"
    assert "Nothing was installed" in replayed.text and replayed.link("Start again") == "/slack/install"

    _, fresh = Browser(bot.wsgi).start_install()
    stranger = Browser(bot.wsgi).finish_install(bot.api.grant(), fresh)  # no cookie: not this browser's
    assert stranger.status == 400 and "This browser did not start the installation" in stranger.text
    assert len(bot.rows(installations)) == 1


def test_an_expired_state_is_refused(bot):
    browser = bot.browser()
    _, state = browser.start_install()
    with bot.db.engine.begin() as conn:  # the link is more than ten minutes old
        conn.execute(oauth_states.update().values(expire_at=datetime(2000, 1, 1)))
    page = browser.finish_install(bot.api.grant(), state)
    assert page.status == 401 and page.title == "This installation link has expired"
    assert bot.rows(installations) == []


@pytest.mark.parametrize(
    "query,status,title",
    [
        ({"error": "access_denied"}, 200, "Installation cancelled"),
        ({"code": "not-a-code"}, 401, "Slack did not confirm the installation"),
        ({}, 401, "Installation not finished"),
    ],
    ids=["denied", "bad-code", "no-code"],
)
def test_a_failed_install_gets_a_page_saying_what_to_do(bot, query, status, title):
    browser = bot.browser()
    _, state = browser.start_install()
    page = browser.get("/slack/oauth_redirect", {**query, "state": state})
    assert (page.status, page.title) == (status, title)
    assert "Nothing was installed" in page.text or "nothing was installed" in page.text
    assert page.link("Start again") == "/slack/install"
    assert bot.rows(installations) == []


def test_the_client_secret_slack_refuses_is_reported_without_leaking_it(bot, caplog):
    bot.api.register_app(CLIENT_ID, "ffffffffffffffffffffffffffffffff")  # the app's secret was changed
    browser = bot.browser()
    _, state = browser.start_install()
    with caplog.at_level(logging.DEBUG):
        page = browser.finish_install(bot.api.grant(), state)
    assert page.status == 401 and "SLACK_CLIENT_SECRET" in page.text
    assert CLIENT_SECRET not in page.body and CLIENT_SECRET not in caplog.text


def test_the_pages_escape_what_they_echo(bot):
    browser = bot.browser()
    _, state = browser.start_install()
    page = browser.get("/slack/oauth_redirect", {"error": "<img src=x onerror=alert(1)>", "state": state})
    assert "<img" not in page.body and "&lt;img src=x onerror=alert(1)&gt;" in page.body
    _, state = browser.start_install()
    page = browser.finish_install(bot.api.grant(team_name="<script>alert(1)</script>"), state)
    assert "<script>" not in page.body and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.body
    hostile = browser.get("/slack/install", {"team": '"><script>alert(1)</script>'})
    assert "<script>" not in hostile.body


def test_the_oauth_pages_answer_get_only(bot):
    assert wsgi_call(bot.wsgi, "POST", "/slack/install", b"x").status == 405
    assert wsgi_call(bot.wsgi, "GET", "/healthz").status == 200


# ------------------------------------------------------------------ uninstalling


def test_uninstalling_removes_the_teams_rows_and_it_is_no_longer_served(bot):
    install(bot.browser(), bot.api)
    message, _ = bot.slack.say(CHANNEL_ID, "@usecase-bot shoppers abandon their carts")
    recommendation = bot.wait_for_message("Recommended:", thread_ts=message.ts)
    bot.slack.click(recommendation, ":thumbsup: Helpful")
    bot.settle()
    [stored] = bot.rows(feedback)
    assert stored["team_id"] == bot.workspace.team_id and json.loads(stored["record"])["helpful"] is True

    bot.api.revoke_team(bot.workspace.team_id)  # Slack revokes the tokens, and says so
    assert bot.slack.app_uninstalled().status == 200
    assert bot.slack.tokens_revoked().status == 200
    bot.settle()
    assert bot.rows(installations) == [] and bot.rows(bots) == [] and bot.rows(feedback) == []

    posted = len(bot.posts_in())
    assert not slash_is_answered(bot)
    assert len(bot.posts_in()) == posted
    bot.wait_for_message("not installed in this workspace", ephemeral=True)


def test_a_revoked_bot_token_removes_the_installation(bot):
    install(bot.browser(), bot.api)
    assert slash_is_answered(bot)
    bot.api.revoke_team(bot.workspace.team_id)
    assert bot.slack.tokens_revoked().status == 200
    assert bot.rows(installations) == [] and bot.rows(bots) == []
    assert not slash_is_answered(bot)


def test_an_uninstall_leaves_other_workspaces_alone(bot):
    install(bot.browser(), bot.api)
    install(bot.browser(), bot.api, team_id="T0OTHERTEAM", team_name="Other")
    bot.db.record_feedback({"event": "feedback"}, team_id="T0OTHERTEAM")
    assert bot.slack.app_uninstalled().status == 200
    assert {r["team_id"] for r in bot.rows(installations)} == {"T0OTHERTEAM"}
    assert [r["team_id"] for r in bot.rows(feedback)] == ["T0OTHERTEAM"]


# ------------------------------------------------------------------ tokens: rotation, at rest, out of sight


def test_a_rotating_token_is_refreshed_once_under_concurrent_requests(bot, caplog):
    bot.api.register_app(CLIENT_ID, CLIENT_SECRET, rotation=True, expires_in=600)  # 10 minutes left
    caplog.set_level(logging.DEBUG)
    install(bot.browser(), bot.api)
    [first] = bot.api.tokens_of(bot.workspace.team_id)
    bot.api.oauth_app.expires_in = 43200  # the refreshed token lives twelve hours

    channels = []
    for i in range(12):
        channel = f"C0ROT{i:05d}"
        bot.workspace.add_channel(
            channel, f"rot-{i}", members={bot.workspace.human_id, bot.workspace.bot_user_id}
        )
        channels.append(channel)
    start = threading.Barrier(len(channels))

    def slash(channel):
        start.wait()
        return bot.slack.slash(channel, "").status

    threads = [threading.Thread(target=lambda c=c: results.append(slash(c))) for c in channels]
    results: list[int] = []
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    bot.settle()
    assert results == [200] * len(channels)
    assert len(bot.api.refreshes) == 1  # one refresh, not one per request
    [second] = [t for t in bot.api.tokens_of(bot.workspace.team_id) if t != first]
    for channel in channels:  # every request answered, with the refreshed token
        assert bot.chooser_tokens(channel) == [second]
    [stored] = bot.rows(installations)
    assert TokenCipher(()).open(stored["bot_token"]) == second

    everything = caplog.text + "".join(m.text + json.dumps(m.blocks) for m in bot.workspace.snapshot())
    secrets = [first, second, *bot.api.refreshes, CLIENT_SECRET]
    assert not [s for s in secrets if s in everything], "a token reached a log line or a message"


def test_tokens_are_encrypted_at_rest_and_the_key_can_be_rotated(
    stand_in, catalog, matcher, database_url, monkeypatch
):
    stand_in.api.register_app(CLIENT_ID, CLIENT_SECRET, rotation=True)
    old = new_key()
    bot = start_oauth_bot(stand_in, catalog, matcher, database_url, monkeypatch, token_keys=(old,))
    try:
        install(bot.browser(), bot.api)
        [token] = bot.api.tokens_of(bot.workspace.team_id)
        for table in (installations, bots):
            [row] = bot.rows(table)
            stored = json.dumps(row, default=str)
            assert row["bot_token"].startswith("fernet:") and row["bot_refresh_token"].startswith("fernet:")
            assert token not in stored and "xox" not in stored
        assert slash_is_answered(bot)
        assert bot.chooser_tokens()[-1] == token

        fresh = new_key()  # rotate: the new key first, the old one still listed, re-encrypt
        assert bot.db.reseal_tokens(TokenCipher((fresh, old))) == 4
        bot.db.dispose()
    finally:
        bot.settle()
    rotated = start_oauth_bot(stand_in, catalog, matcher, database_url, monkeypatch, token_keys=(fresh,))
    try:
        assert slash_is_answered(rotated)  # the old key is no longer needed
        assert rotated.chooser_tokens()[-1] == token
    finally:
        rotated.settle()
        rotated.db.dispose()


def test_single_workspace_settings_are_untouched_by_oauth(
    stand_in, catalog, matcher, database_url, monkeypatch
):
    """With SLACK_BOT_TOKEN (no client id), a database still keeps the seen-once keys and the
    feedback, and there is nothing to install."""
    from tests.support.harness import identity_of

    jobs = track_background_work(monkeypatch)
    db = Database.open(database_url)
    settings = make_settings(stand_in.api_url)
    app = build_app(
        settings,
        catalog,
        identity=identity_of(stand_in.workspace),
        seen=db.seen_once(),
        matcher=matcher,
        database=db,
    )
    wsgi = make_wsgi_app(app, SECRET, routes=oauth.routes(app), health=db.ping)
    h = OAuthBot(stand_in, app, catalog, jobs, db, wsgi)
    try:
        assert wsgi_call(wsgi, "GET", "/slack/install").status == 404
        assert slash_is_answered(h)
        message, _ = h.slack.say(CHANNEL_ID, "@usecase-bot shoppers abandon their carts")
        recommendation = h.wait_for_message("Recommended:", thread_ts=message.ts)
        h.slack.click(recommendation, ":thumbsup: Helpful")
        h.settle()
        assert [r["team_id"] for r in h.rows(feedback)] == [stand_in.workspace.team_id]
    finally:
        h.settle()
        db.dispose()


def test_no_feedback_is_stored_when_turned_off(stand_in, catalog, matcher, database_url, monkeypatch):
    stand_in.api.register_app(CLIENT_ID, CLIENT_SECRET)
    bot = start_oauth_bot(stand_in, catalog, matcher, database_url, monkeypatch, feedback_days=0)
    try:
        install(bot.browser(), bot.api)
        message, _ = bot.slack.say(CHANNEL_ID, "@usecase-bot shoppers abandon their carts")
        bot.slack.click(bot.wait_for_message("Recommended:", thread_ts=message.ts), ":thumbsup: Helpful")
        bot.settle()
        assert bot.rows(feedback) == []
    finally:
        bot.settle()
        bot.db.dispose()


def test_settings_for_oauth(monkeypatch):
    from bot.settings import SettingsError, load_settings

    env = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_SIGNING_SECRET": SECRET}
    settings = load_settings(env)
    assert settings.mode == "http" and settings.oauth and settings.bot_token is None
    for broken, names in [
        ({**env, "SLACK_CLIENT_SECRET": ""}, "SLACK_CLIENT_SECRET"),
        ({**env, "SLACK_CLIENT_ID": ""}, "SLACK_CLIENT_ID"),
        ({**env, "SLACK_CLIENT_ID": "abc"}, "SLACK_CLIENT_ID"),
        ({**env, "SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
        ({**env, "SLACK_BOT_TOKEN": "xoxb-1-2"}, "SLACK_BOT_TOKEN"),
        ({**env, "USECASE_TOKEN_KEY": "not-a-key"}, "USECASE_TOKEN_KEY"),
        ({**env, "USECASE_FEEDBACK_DAYS": "-1"}, "USECASE_FEEDBACK_DAYS"),
    ]:
        with pytest.raises(SettingsError) as info:
            load_settings(broken)
        assert names in str(info.value) and "\n" not in str(info.value), str(info.value)
    keys = f"{new_key()},{new_key()}"
    assert len(load_settings({**env, "USECASE_TOKEN_KEY": keys}).token_keys) == 2
    assert replace(settings, client_id=None).oauth is False


def test_a_random_team_id_is_not_served(bot):
    install(bot.browser(), bot.api)
    stranger = SlackSide(bot.workspace, bot.dispatch, SECRET, bot.stand_in.base_url)
    bot.workspace.team_id, real = "T0" + uuid.uuid4().hex[:8].upper(), bot.workspace.team_id
    try:
        assert not slash_is_answered(bot) and stranger
    finally:
        bot.workspace.team_id = real
    assert slash_is_answered(bot)
