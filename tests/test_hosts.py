"""Served by any number of hosts: two `usecase-bot run --mode http` processes (two workers each),
as two hosts behind a load balancer would run them, sharing one PostgreSQL database.

What one host learns, the other knows: a workspace installed through host A is served by host B;
the same event delivered to both at once (Slack's retries) is answered once; the same button
clicked on both is acted on once; a token near its expiry is refreshed once, whichever hosts ask;
an uninstall through one stops both. Also: the seen-once keys survive a restart, an unreachable
database stops the bot at start in one line, and /healthz says when the database is down.

Slack's side is played from this process (tests/support): the loopback fake Web API, signed
requests over real HTTP, a browser for the install pages.
"""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.sandbox.workspace import CHANNEL_ID
from tests.support.harness import HttpHarness
from tests.support.oauth import CLIENT_ID, CLIENT_SECRET, Browser, install
from tests.support.postgres import Cluster, NoPostgres, drop_database, fresh_database
from tests.support.processes import (
    WAIT,
    Bot,
    clean_env,
    free_port,
    http,
    start_stand_in,
    wait_for,
    wait_for_workers,
    wait_until_healthy,
)
from tests.test_modes import (
    BOT_TOKEN,
    GOAL_CHOOSER,
    SIGNING_SECRET,
    answer_fresh_mentions,
    bot_posts_in_thread,
    mention,
    quiet_channel,
    run_expecting_operator_error,
)

pytestmark = pytest.mark.postgres


def start_host(env: dict[str, str], log_dir: Path, workers: int = 2) -> Bot:
    port = free_port()
    bot = Bot(["run", "--mode", "http", "--port", str(port), "--workers", str(workers)], env, log_dir)
    bot.port = port
    bot.url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(bot, port)
    except BaseException:
        bot.stop()
        raise
    return bot


def oauth_env(stand_in, database_url: str, **extra: str) -> dict[str, str]:
    return clean_env(
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=stand_in.api_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="DEBUG",  # the most a log could say: still no token in it
        **extra,
    )


# ------------------------------------------------------------------ two hosts, one database


@pytest.fixture(scope="module")
def shared_database(postgres_server):
    url = fresh_database(postgres_server)
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def hosts(shared_database, tmp_path_factory, request):
    stand_in = start_stand_in()
    stand_in.api.register_app(CLIENT_ID, CLIENT_SECRET, rotation=True)
    started = []
    try:
        env = oauth_env(stand_in, shared_database)
        for name in ("a", "b"):
            started.append(start_host(env, tmp_path_factory.mktemp(f"host-{name}")))
        for host in started:
            wait_for_workers(host)  # both workers of both hosts booted: each takes a share
        failed_before = request.session.testsfailed
        yield stand_in, started[0], started[1]
    finally:
        for host in started:
            host.stop()
        stand_in.stop()
    if request.session.testsfailed == failed_before:
        secrets = [t for t in stand_in.api.installed] + list(stand_in.api.refreshes) + [CLIENT_SECRET]
        for host in started:
            log = host.stderr()
            assert "Traceback" not in log, f"a host logged a crash:\n{log[-4000:]}"
            leaked = [s for s in secrets if s in log]
            assert not leaked, "a token reached a host's log"


@pytest.fixture(scope="module")
def installed(hosts, catalog):
    """The workspace, installed through host A (install page and redirect both there)."""
    stand_in, a, b = hosts
    page = install(Browser(a.url), stand_in.api)
    assert page.status == 200 and page.title == "Use Case Advisor is installed", page.text[:300]
    return hosts


def harness_for(host: Bot, stand_in, catalog) -> HttpHarness:
    return HttpHarness(stand_in, catalog, f"{host.url}/slack/events", SIGNING_SECRET)


def test_a_workspace_installed_through_host_a_is_served_by_host_b(installed, catalog):
    stand_in, a, b = installed
    on_b = harness_for(b, stand_in, catalog)
    channel = quiet_channel(on_b)
    mark = on_b.mark()
    assert on_b.slack.slash(channel, "").status == 200
    on_b.wait_for_message(GOAL_CHOOSER, channel=channel, after=mark, timeout=WAIT)
    tokens = stand_in.api.tokens_of(stand_in.workspace.team_id)
    used = [
        t
        for (m, t), (_, p) in zip(list(stand_in.api.tokens_used), list(stand_in.workspace.calls))
        if m == "chat.postMessage" and p.get("channel") == channel
    ]
    assert used and used[0] in tokens


def test_an_install_started_on_one_host_finishes_on_the_other_once(installed):
    stand_in, a, b = installed
    browser = Browser(b.url)
    _, state = browser.start_install()  # the page on host B, the redirect lands on host A
    cookies = dict(browser.cookies)
    page = browser.finish_install(stand_in.api.grant(), state, target=a.url)
    assert page.status == 200 and page.title == "Use Case Advisor is installed"
    browser.cookies = cookies
    replayed = browser.finish_install(stand_in.api.grant(), state, target=b.url)
    assert replayed.status == 401 and replayed.title == "This installation link has expired"


def test_the_same_event_delivered_to_both_hosts_at_once_is_answered_once(installed, catalog):
    stand_in, a, b = installed
    on_a, on_b = harness_for(a, stand_in, catalog), harness_for(b, stand_in, catalog)
    channel = quiet_channel(on_a)
    message, event = mention(on_a, "which use case fits onboarding?", channel)
    body = on_a.slack.event_body(event, event_id="Ev" + uuid.uuid4().hex[:10].upper())

    def deliver(attempt: int):
        side = (on_a if attempt % 2 else on_b).slack
        extra = (
            {}
            if attempt < 2
            else {"x-slack-retry-num": str(min(attempt // 2, 3)), "x-slack-retry-reason": "http_timeout"}
        )
        return side.signed(body, "application/json", extra_headers=extra)

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(deliver, range(24)))
    assert all(r.status == 200 for r in results), results
    assert wait_for(lambda: bot_posts_in_thread(on_a, channel, message.ts)), "no reply to the mention"
    answer_fresh_mentions(on_a)  # work handed to either host before these has had its turn
    answer_fresh_mentions(on_b)
    replies = bot_posts_in_thread(on_a, channel, message.ts)
    assert len(replies) == 1, [r.get("text") for r in replies]


def test_the_same_button_clicked_on_both_hosts_is_acted_on_once(installed, catalog):
    stand_in, a, b = installed
    on_a, on_b = harness_for(a, stand_in, catalog), harness_for(b, stand_in, catalog)
    goal = catalog.goals[0]
    channel = quiet_channel(on_a)
    mark = on_a.mark()
    assert on_a.slack.slash(channel, "").status == 200
    root = on_a.wait_for_message(GOAL_CHOOSER, channel=channel, after=mark, timeout=WAIT)

    start = threading.Barrier(8)

    def click(i: int):
        start.wait()
        return (on_a if i % 2 else on_b).slack.click(root, f"Choose {goal.name}").status

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(click, range(8))) == [200] * 8
    on_a.wait_for_message("Question 1 of", channel=channel, thread_ts=root.ts, timeout=WAIT)
    # every other click is told, privately, that the question was already answered
    assert wait_for(
        lambda: (
            len(
                [
                    m
                    for m in on_a.workspace.snapshot()
                    if m.channel == channel and m.ephemeral and "already answered" in m.text
                ]
            )
            == 7
        )
    ), [m.text for m in on_a.workspace.snapshot() if m.channel == channel]
    questions = [
        m for m in on_a.workspace.thread(channel, root.ts) if "Question 1 of" in m.text and not m.ephemeral
    ]
    assert len(questions) == 1, [m.text for m in questions]


def test_a_token_near_its_expiry_is_refreshed_once_whichever_hosts_ask(installed, catalog):
    stand_in, a, b = installed
    api = stand_in.api
    api.oauth_app.expires_in = 600  # reinstalled: this token has ten minutes to live
    try:
        assert install(Browser(a.url), api).status == 200
    finally:
        api.oauth_app.expires_in = 43200
    refreshed_before = len(api.refreshes)
    on_a, on_b = harness_for(a, stand_in, catalog), harness_for(b, stand_in, catalog)
    channels = [quiet_channel(on_a) for _ in range(12)]
    start = threading.Barrier(len(channels))

    def slash(i: int):
        start.wait()
        return (on_a if i % 2 else on_b).slack.slash(channels[i], "").status

    with ThreadPoolExecutor(max_workers=len(channels)) as pool:
        assert list(pool.map(slash, range(len(channels)))) == [200] * len(channels)
    for channel in channels:
        on_a.wait_for_message(GOAL_CHOOSER, channel=channel, timeout=WAIT)
    assert len(api.refreshes) == refreshed_before + 1


def test_an_uninstall_through_one_host_stops_both(installed, catalog):
    stand_in, a, b = installed
    on_a, on_b = harness_for(a, stand_in, catalog), harness_for(b, stand_in, catalog)
    stand_in.api.revoke_team(stand_in.workspace.team_id)
    assert on_a.slack.app_uninstalled().status == 200
    for side in (on_a, on_b):
        channel = quiet_channel(side)
        assert side.slack.slash(channel, "").status == 200
        side.wait_for_message(
            "not installed in this workspace", channel=channel, ephemeral=True, timeout=WAIT
        )
        assert not [p for p in side.calls("chat.postMessage") if p.get("channel") == channel]
    # installed again, both serve it again
    assert install(Browser(b.url), stand_in.api).status == 200
    channel = quiet_channel(on_a)
    assert on_a.slack.slash(channel, "").status == 200
    on_a.wait_for_message(GOAL_CHOOSER, channel=channel, timeout=WAIT)


# ------------------------------------------------------------------ restarts, and a database that is not there


def test_seen_once_keys_survive_a_restart(tmp_path, catalog):
    """One workspace, the default SQLite file in the data folder: a retry that arrives after a
    restart is still recognised."""
    stand_in = start_stand_in()
    data = tmp_path / "data"
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=stand_in.api_url,
        USECASE_DATA_DIR=str(data),
    )
    try:
        host = start_host(env, tmp_path / "first", workers=1)
        h = harness_for(host, stand_in, catalog)
        channel = quiet_channel(h)
        message, event = mention(h, "which use case fits onboarding?", channel)
        body = h.slack.event_body(event)
        try:
            assert h.slack.signed(body, "application/json").status == 200
            assert wait_for(lambda: bot_posts_in_thread(h, channel, message.ts))
        finally:
            host.stop()
        assert (data / "usecase-bot.sqlite3").is_file()

        host = start_host(env, tmp_path / "second", workers=1)
        h = harness_for(host, stand_in, catalog)
        try:
            retry = {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
            assert h.slack.signed(body, "application/json", extra_headers=retry).status == 200
            answer_fresh_mentions(h, count=3)
            assert len(bot_posts_in_thread(h, channel, message.ts)) == 1
        finally:
            host.stop()
    finally:
        stand_in.stop()


@pytest.mark.parametrize("oauth", [False, True], ids=["one-workspace", "oauth"])
def test_an_unreachable_database_fails_fast_naming_database_url(oauth):
    stand_in = start_stand_in()
    dead = f"postgresql://usecase:hunter2@127.0.0.1:{free_port()}/usecase"  # nothing listens there
    try:
        if oauth:
            env = oauth_env(stand_in, dead)
        else:
            env = clean_env(
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=stand_in.api_url,
                DATABASE_URL=dead,
            )
        line = run_expecting_operator_error(env, "--mode", "http")
        assert "DATABASE_URL" in line and "cannot reach" in line and "hunter2" not in line, line
    finally:
        stand_in.stop()


def test_healthz_says_503_while_the_database_is_down(tmp_path, catalog, postgres_server):
    """A database of its own, stopped and started again under the running bot."""
    try:
        cluster = Cluster.start()
    except NoPostgres as exc:
        pytest.skip(f"needs the PostgreSQL server binaries to stop a server: {exc}")
    stand_in = start_stand_in()
    try:
        env = clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=stand_in.api_url,
            DATABASE_URL=cluster.url,
        )
        host = start_host(env, tmp_path / "bot", workers=1)
        try:
            assert http("GET", host.url + "/healthz") == (
                200,
                json.dumps({"ok": True, "database": "reachable"}),
            )
            cluster.pause()
            status, body = http("GET", host.url + "/healthz")
            assert status == 503 and json.loads(body) == {"ok": False, "database": "unreachable"}
            cluster.resume()
            # its pooled connections died with the server: replaced on first use, nothing fails
            assert http("GET", host.url + "/healthz")[0] == 200
            h = harness_for(host, stand_in, catalog)
            mark = h.mark()
            assert h.slack.slash(CHANNEL_ID, "").status == 200
            h.wait_for_message(GOAL_CHOOSER, after=mark, timeout=WAIT)
        finally:
            host.stop()
        assert "Traceback" not in host.stderr(), host.stderr()[-3000:]
    finally:
        stand_in.stop()
        cluster.stop()
