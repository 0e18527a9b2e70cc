"""How the bot runs: `usecase-bot run` in HTTP mode (gunicorn workers), in Socket Mode, and
how it refuses to start when the operator got something wrong.

The bot runs as a real subprocess, as an operator would start it. Slack's side is played from
this process: a loopback fake Web API (SlackStandIn, which also records what the bot posted),
signed requests over real HTTP, and a local WebSocket server standing in for Slack's Socket
Mode endpoint.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bot import signing
from bot.sandbox.people import buttons, find_button
from bot.sandbox.server import SlackStandIn
from bot.sandbox.workspace import CHANNEL_ID, Message
from bot.settings import DEFAULT_API_URL, DEFAULT_HOST, DEFAULT_PORT, SettingsError, load_settings
from tests.support.blockkit import block_kit_problems
from tests.support.harness import Harness, HttpHarness, SlowPosts
from tests.support.processes import (
    EXIT_TIMEOUT,
    START_TIMEOUT,
    USECASE_BOT,
    WAIT,
    Bot,
    child_pids,
    clean_env,
    free_port,
    http,
    ipv6_loopback,
    listening_addresses,
    other_local_addresses,
    start_stand_in,
    wait_for,
    wait_for_workers,
    wait_until_healthy,
)
from tests.support.reference import ROOT
from tests.support.socket_mode import FakeSocketModeServer, envelope

SIGNING_SECRET = "5f0c2b9e7d41a3c86e90b1d2f4a7c3e8"  # hex, for these tests only
BOT_TOKEN = "xoxb-1111-2222-modes"
APP_TOKEN = "xapp-1-A0KRD7HC3-3333-modes"
GOAL_CHOOSER = "What is your main business goal?"

ACK_DEADLINE = 3.0  # Slack's: an ack later than this counts as a failure


# ------------------------------------------------------------------ processes and ports


def http_env(stand_in: SlackStandIn, **extra: str) -> dict[str, str]:
    return clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=stand_in.api_url,
        **extra,
    )


def start_http_bot(
    stand_in: SlackStandIn, log_dir: Path, *extra_args: str, workers: int = 2
) -> tuple[Bot, int]:
    port = free_port()
    bot = Bot(
        ["run", "--mode", "http", "--port", str(port), "--workers", str(workers), *extra_args],
        http_env(stand_in),
        log_dir,
    )
    try:
        wait_until_healthy(bot, port)
    except BaseException:
        bot.stop()
        raise
    return bot, port


# ------------------------------------------------------------------ HTTP mode


@pytest.fixture(scope="module")
def http_stand_in():
    server = start_stand_in()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http_bot(http_stand_in, tmp_path_factory, request):
    bot, port = start_http_bot(http_stand_in, tmp_path_factory.mktemp("http-bot"))
    bot.port = port
    failed_before = request.session.testsfailed
    try:
        yield bot
    finally:
        bot.stop()
    if request.session.testsfailed == failed_before:
        assert_no_crash_after_stop(bot)


def assert_no_crash_after_stop(bot: Bot) -> None:
    """Once stopped (gracefully: work under way is finished), the bot has logged everything, the
    work that outlived a test's own check included."""
    assert "Traceback" not in bot.stderr(), f"the bot logged a crash:\n{bot.stderr()[-4000:]}"


@pytest.fixture
def h(http_bot, http_stand_in, catalog, request):
    harness = HttpHarness(
        http_stand_in, catalog, f"http://127.0.0.1:{http_bot.port}/slack/events", SIGNING_SECRET
    )
    logged = len(http_bot.stderr())
    failed_before = request.session.testsfailed
    yield harness
    assert http_bot.proc.poll() is None, f"the server died during the test: {http_bot.describe()}"
    if request.session.testsfailed > failed_before or request.node.get_closest_marker("xfail"):
        return  # the test already failed (or documents a known bug); its crash is in its report
    # what the bot logged by now; a crash in work still running is caught when the module ends
    new_output = http_bot.stderr()[logged:]
    assert "Traceback" not in new_output, f"the server logged a crash during this test:\n{new_output}"


def mention(h: Harness, text: str, channel: str = CHANNEL_ID) -> tuple[Message, dict]:
    """A person writes `text` mentioning the bot: their message, and Slack's app_mention event."""
    text = f"<@{h.workspace.bot_user_id}> {text}"
    message = h.workspace.post(channel, h.workspace.human_id, text, [])
    event = {
        "type": "app_mention",
        "user": h.workspace.human_id,
        "text": text,
        "ts": message.ts,
        "channel": channel,
        "event_ts": message.ts,
        "team": h.workspace.team_id,
        "client_msg_id": str(uuid.uuid4()),
    }
    return message, event


def bot_posts_in_thread(h: Harness, channel: str, thread_ts: str) -> list[dict]:
    return [
        p
        for p in h.calls("chat.postMessage")
        if p.get("channel") == channel and p.get("thread_ts") == thread_ts
    ]


def quiet_channel(h: Harness) -> str:
    """A fresh channel with the bot in it, so a test can tell its own traffic apart."""
    channel_id = "C" + uuid.uuid4().hex[:9].upper()
    h.workspace.add_channel(
        channel_id, "quiet-" + channel_id.lower(), members={h.workspace.human_id, h.workspace.bot_user_id}
    )
    return channel_id


def touches(h: Harness, channel: str) -> list:
    """Web API calls and messages that concern `channel`."""
    calls = [(m, p) for m, p in list(h.workspace.calls) if p.get("channel") == channel]
    messages = [
        m for m in h.workspace.snapshot() if m.channel == channel and m.user == h.workspace.bot_user_id
    ]
    return calls + messages


def test_http_slash_command_is_acked_at_once_and_the_goal_chooser_is_posted(h):
    mark = h.mark()
    started = time.monotonic()
    sent = h.slack.slash(CHANNEL_ID, "")
    elapsed = time.monotonic() - started
    assert sent.status == 200, sent
    assert sent.body == ""  # a bare ack: the goal chooser is posted in the channel, not told privately
    assert elapsed < ACK_DEADLINE, f"the ack took {elapsed:.2f}s; Slack gives up after {ACK_DEADLINE}s"

    root = h.wait_for_message(GOAL_CHOOSER, after=mark, timeout=WAIT)
    assert root.thread_ts is None and not root.ephemeral
    posted = [p for p in h.calls("chat.postMessage") if GOAL_CHOOSER in (p.get("text") or "")]
    assert posted and posted[-1]["channel"] == CHANNEL_ID
    labels = {b["accessibility_label"] for b in buttons(root.blocks)}
    assert {f"Choose {g.name}" for g in h.catalog.goals} <= labels


def test_http_clicks_continue_the_flow_whichever_worker_serves_them(h, block_kit_validator):
    goal = h.catalog.goals[0]
    mark = h.mark()
    assert h.slack.slash(CHANNEL_ID, "").status == 200
    root = h.wait_for_message(GOAL_CHOOSER, after=mark, timeout=WAIT)

    # every request is a new connection: the kernel hands it to either worker, and the state
    # rides in the button values, so the flow goes on wherever a click lands
    mark = h.mark()
    sent = h.slack.click(root, f"Choose {goal.name}")
    assert sent.status == 200, sent
    current = h.wait_for_message("Question 1 of", thread_ts=root.ts, after=mark, timeout=WAIT)
    # Yes to the first question, No to the rest: the first question's use case is recommended
    for index in range(len(goal.considerations)):
        last = index == len(goal.considerations) - 1
        expect = "Recommended:" if last else f"Question {index + 2} of"
        mark = h.mark()
        sent = h.slack.click(current, "Yes" if index == 0 else "No")
        assert sent.status == 200, sent
        current = h.wait_for_message(expect, thread_ts=root.ts, after=mark, timeout=WAIT)
    expected = h.catalog.use_cases[goal.considerations[0].points_to[0]]
    assert f"Recommended: {expected.name}" in current.text + json.dumps(current.blocks)

    for params in h.calls("chat.postMessage") + h.calls("chat.update"):
        if params.get("channel") != CHANNEL_ID:
            continue
        blocks = params.get("blocks") or []
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        assert params.get("text"), params
        assert not block_kit_problems(block_kit_validator, blocks)


def test_http_a_redelivered_event_is_answered_once_across_workers(h, http_bot):
    channel = quiet_channel(h)
    message, event = mention(h, "which use case fits onboarding?", channel)
    event_id = "Ev" + uuid.uuid4().hex[:10].upper()
    body = h.slack.event_body(event, event_id=event_id)

    def deliver(attempt: int):
        # the first delivery, and Slack's retries of it (same body, same event_id)
        extra = (
            {}
            if attempt == 0
            else {"x-slack-retry-num": str(min(attempt, 3)), "x-slack-retry-reason": "http_timeout"}
        )
        return h.slack.signed(body, "application/json", extra_headers=extra)

    wait_for_workers(http_bot)  # both booted, so both take a share of the deliveries
    # more deliveries than Slack's four, in bursts, so that both workers surely get some
    results = []
    with ThreadPoolExecutor(max_workers=10) as pool:
        for _ in range(3):
            results += pool.map(deliver, range(10))
    assert all(r.status == 200 for r in results), results

    replies = wait_for(lambda: bot_posts_in_thread(h, channel, message.ts))
    assert replies, f"no reply to the mention; {http_bot.describe()}"
    # any duplicate was handed to a worker before these fresh mentions were, and they are answered
    answer_fresh_mentions(h)
    replies = bot_posts_in_thread(h, channel, message.ts)
    assert len(replies) == 1, [r.get("text") for r in replies]

    # a later retry, after the answer went out, is still acknowledged and still not answered
    assert deliver(3).status == 200
    answer_fresh_mentions(h)
    assert len(bot_posts_in_thread(h, channel, message.ts)) == 1


def answer_fresh_mentions(h: HttpHarness, count: int = 10) -> None:
    """A positive signal: `count` new mentions, sent at once so that every worker gets some, are
    all answered. Work a worker was handed before them has had its turn."""
    sent = []
    for _ in range(count):
        channel = quiet_channel(h)
        message, event = mention(h, "which use case fits onboarding?", channel)
        sent.append((channel, message, h.slack.event_body(event)))
    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(lambda s: h.slack.signed(s[2], "application/json"), sent))
    assert all(r.status == 200 for r in results), results
    for channel, message, _ in sent:
        assert wait_for(lambda: bot_posts_in_thread(h, channel, message.ts)), f"no reply in {channel}"  # noqa: B023 - waited on at once


REFUSALS = [
    "unsigned",
    "no timestamp",
    "signed with another secret",
    "timestamp an hour old",
    "timestamp an hour ahead",
    "signature of another body",
    "garbage signature",
    "non-ASCII signature",
    "non-numeric timestamp",
    "not UTF-8, unsigned",
]


def _refused_request(h: HttpHarness, channel: str, kind: str, why: str) -> tuple[bytes, dict[str, str]]:
    """A request that would make the bot post in `channel`, with its signature broken as `why` says."""
    if kind == "command":
        body, content_type = h.slack.command_body(channel, "")
    else:
        _, event = mention(h, "onboarding", channel)
        body, content_type = h.slack.event_body(event), "application/json"
    now = int(time.time())
    good = sign(SIGNING_SECRET, body, now, content_type)
    if why == "unsigned":
        return body, {"content-type": content_type}
    if why == "no timestamp":
        return body, {"content-type": content_type, "x-slack-signature": good["x-slack-signature"]}
    if why == "signed with another secret":
        return body, sign("0000000000000000deadbeefdeadbeef", body, now, content_type)
    # an hour, not 301 s: a request that arrives a second late must not fall back inside the
    # five minutes (the window's edges are tested at a fixed clock in test_signing.py)
    if why == "timestamp an hour old":
        return body, sign(SIGNING_SECRET, body, now - 3600, content_type)
    if why == "timestamp an hour ahead":
        return body, sign(SIGNING_SECRET, body, now + 3600, content_type)
    if why == "signature of another body":
        return body + b"&x=1", good
    if why == "garbage signature":
        return body, {**good, "x-slack-signature": "v0=" + "0" * 64}
    if why == "non-ASCII signature":
        return body, {**good, "x-slack-signature": "v0=" + "\u00e9" * 64}
    if why == "non-numeric timestamp":
        return body, {**good, "x-slack-request-timestamp": "soon"}
    if why == "not UTF-8, unsigned":
        return b"\xff" + body, good
    raise AssertionError(why)


def sign(secret: str, body: bytes, timestamp: int, content_type: str) -> dict[str, str]:
    """Slack's headers for `body`, computed over the raw bytes (valid for any bytes, UTF-8 or not)."""
    return signing.signed_headers(secret, body, content_type, timestamp=timestamp)


@pytest.mark.parametrize("kind", ["command", "event"])
@pytest.mark.parametrize("why", REFUSALS)
def test_http_unsigned_or_badly_signed_requests_are_refused_without_touching_slack(h, why, kind):
    channel = quiet_channel(h)
    body, headers = _refused_request(h, channel, kind, why)
    status, answer = h.post_raw(body, headers)
    assert status == 401, (status, answer[:300])
    assert json.loads(answer) == {"error": "invalid request"}
    assert touches(h, channel) == []
    # nothing runs after a refusal, not even later: a signed /usecase sent after it in the same
    # channel is answered, and that answer is all the bot ever posted there
    mark = h.mark()
    assert h.slack.slash(channel, "").status == 200
    h.wait_for_message(GOAL_CHOOSER, channel=channel, after=mark, timeout=WAIT)
    posted = [m for m in h.workspace.snapshot() if m.channel == channel and m.user == h.workspace.bot_user_id]
    assert [GOAL_CHOOSER in m.text for m in posted] == [True], [m.text for m in posted]


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"payload=not-json", "application/x-www-form-urlencoded"),
        (b"payload=%7B%22type%22%3A", "application/x-www-form-urlencoded"),  # truncated JSON
        (b"{not json", "application/json"),
        (b"\xff\xfe\xfa binary", "application/json"),
        (b"\xff\xfe\xfa binary", "application/x-www-form-urlencoded"),
    ],
)
def test_http_signed_but_malformed_bodies_get_400(h, body, content_type):
    status, answer = h.post_raw(body, _signed_headers(h, body, content_type))
    assert status == 400, (status, answer)
    assert h.post_raw(*_ok_probe(h))[0] == 200  # and the worker that got it still serves


def _signed_headers(h: HttpHarness, body: bytes, content_type: str) -> dict[str, str]:
    return sign(SIGNING_SECRET, body, int(time.time()), content_type)


def _ok_probe(h: HttpHarness) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"type": "url_verification", "token": "x", "challenge": "still-here"}).encode()
    return body, _signed_headers(h, body, "application/json")


def test_http_url_verification_echoes_the_challenge(h):
    status, answer = h.post_raw(*_ok_probe(h))
    assert status == 200 and json.loads(answer) == {"challenge": "still-here"}


def test_http_routes_other_than_the_two_endpoints(h, http_bot):
    base = f"http://127.0.0.1:{http_bot.port}"
    status, body = http("GET", base + "/healthz")
    assert status == 200 and json.loads(body) == {"ok": True, "database": "reachable"}
    assert http("GET", base + "/slack/events")[0] == 405
    assert http("GET", base + "/slack/install")[0] == 404  # one workspace: nothing to install
    assert http("PUT", base + "/slack/events", b"{}")[0] == 405
    assert http("POST", base + "/healthz", b"")[0] == 405
    assert http("GET", base + "/")[0] == 404
    assert http("GET", base + "/nope")[0] == 404
    assert http("POST", base + "/slack/events/extra", b"{}")[0] == 404


def test_http_listens_on_loopback_only_by_default(http_bot):
    assert listening_addresses(http_bot.port) == {DEFAULT_HOST}
    for address in other_local_addresses():
        with socket.socket() as s:
            s.settimeout(3)
            with pytest.raises(OSError):
                s.connect((address, http_bot.port))


def test_http_runs_several_worker_processes(http_bot):
    workers = wait_for_workers(http_bot, settled=0)
    assert len(workers) >= 2 and http_bot.pid not in workers
    # the master hands the one listening socket to every worker; no worker runs a server of its own
    assert listening_addresses(http_bot.port) == {DEFAULT_HOST}


def test_http_sigterm_stops_master_and_workers_cleanly(tmp_path, catalog):
    stand_in = start_stand_in()
    slow = SlowPosts(stand_in.api, delay=2.0)
    stand_in.api.handle = slow
    bot, port = start_http_bot(stand_in, tmp_path)
    try:
        workers = wait_for_workers(bot, settled=0)
        # busy when it is asked to stop: the post that follows the ack is under way
        h = HttpHarness(stand_in, catalog, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
        mark = h.mark()
        assert h.slack.slash(CHANNEL_ID, "").status == 200
        assert slow.started.wait(WAIT), bot.describe()
        bot.proc.send_signal(signal.SIGTERM)
        try:
            code = bot.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"usecase-bot did not stop within {EXIT_TIMEOUT}s of SIGTERM")
        assert code == 0, bot.describe()
        # a graceful stop: the work under way was finished, not dropped
        h.wait_for_message(GOAL_CHOOSER, after=mark, timeout=1.0)
        assert wait_for(lambda: not any(Path(f"/proc/{w}").exists() for w in workers), timeout=10), (
            f"workers {workers} outlived their master"
        )
        assert "Traceback" not in bot.stderr(), bot.stderr()
        with socket.socket() as s:  # the port is free again
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    finally:
        bot.stop()
        stand_in.stop()


@pytest.mark.parametrize("host", ["127.0.0.2", "::1"])
def test_http_host_option_chooses_the_listening_address(http_stand_in, tmp_path, host):
    if ":" in host and not ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    port = free_port()
    url_host = f"[{host}]" if ":" in host else host
    bot = Bot(
        ["run", "--mode", "http", "--host", host, "--port", str(port), "--workers", "1"],
        http_env(http_stand_in),
        tmp_path,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if bot.proc.poll() is not None:
                pytest.fail(f"usecase-bot --host {host} exited: {bot.describe()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no answer on {url_host}:{port}: {bot.describe()}")
            try:
                if http("GET", f"http://{url_host}:{port}/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        assert listening_addresses(port) == {host}
    finally:
        bot.stop()


def test_sandbox_mode_serves_its_page_on_loopback(tmp_path):
    port = free_port()
    bot = Bot(["run", "--no-browser", "--port", str(port)], clean_env(), tmp_path)  # no credentials
    try:
        wait_until_healthy(bot, port)
        status, body = http("GET", f"http://127.0.0.1:{port}/state")
        assert status == 200 and json.loads(body)["bot"]["id"]
        assert listening_addresses(port) == {DEFAULT_HOST}
        assert wait_for(lambda: f"http://127.0.0.1:{port}" in bot.stdout_path.read_text()), bot.describe()
    finally:
        bot.stop()


# ------------------------------------------------------------------ Socket Mode


@pytest.fixture(scope="module")
def socket_side(tmp_path_factory, request):
    stand_in = start_stand_in()
    server = FakeSocketModeServer().start()
    stand_in.api.socket_url = server.url
    env = clean_env(SLACK_APP_TOKEN=APP_TOKEN, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=stand_in.api_url)
    bot = Bot(["run", "--mode", "socket"], env, tmp_path_factory.mktemp("socket-bot"))
    try:
        if not server.connected.wait(START_TIMEOUT):
            pytest.fail(f"usecase-bot never opened the Socket Mode connection: {bot.describe()}")
        failed_before = request.session.testsfailed
        yield stand_in, server, bot
    finally:
        bot.stop()
        server.stop()
        stand_in.stop()
    if request.session.testsfailed == failed_before:
        assert_no_crash_after_stop(bot)


@pytest.fixture
def sh(socket_side, catalog, request):
    stand_in, server, bot = socket_side
    logged = len(bot.stderr())
    failed_before = request.session.testsfailed

    def nothing(body, headers):  # Socket Mode: the test sends envelopes, not HTTP requests
        raise AssertionError("use the Socket Mode server")

    harness = Harness(stand_in, None, catalog)
    harness.slack.dispatch = nothing
    harness.server = server
    harness.bot = bot
    yield harness
    assert bot.proc.poll() is None, f"the bot died: {bot.describe()}"
    if request.session.testsfailed == failed_before and not request.node.get_closest_marker("xfail"):
        # what the bot logged by now; a crash in work still running is caught when the module ends
        new_output = bot.stderr()[logged:]
        assert "Traceback" not in new_output, f"the bot logged a crash during this test:\n{new_output}"


def command_payload(h: Harness, text: str, channel: str = CHANNEL_ID) -> dict:
    body, _ = h.slack.command_body(channel, text)
    return dict(parse_qsl(body.decode()))


def click_payload(h: Harness, message: Message, label: str) -> dict:
    action = find_button(message.blocks, label)
    assert action is not None, f"no button {label!r}"
    body = h.slack.click_body(message, action)
    return json.loads(dict(parse_qsl(body.decode()))["payload"])


def event_payload(h: Harness, event: dict, event_id: str) -> dict:
    return json.loads(h.slack.event_body(event, event_id=event_id))


def test_socket_mode_connects_with_the_app_token(sh):
    opened = [p for m, p in list(sh.workspace.calls) if m == "apps.connections.open"]
    assert opened, "apps.connections.open was never called"
    assert sh.server.connections >= 1
    assert [m for m, _ in list(sh.workspace.calls)][:1] == ["auth.test"]  # the bot token is checked first


def test_socket_mode_slash_command_acks_then_posts_and_a_click_continues(sh):
    goal = sh.catalog.goals[0]
    mark = sh.mark()
    command = envelope("slash_commands", command_payload(sh, ""))
    sh.server.send(command)
    assert sh.server.ack_for(command["envelope_id"], timeout=ACK_DEADLINE + WAIT) == {
        "envelope_id": command["envelope_id"]
    }
    root = sh.wait_for_message(GOAL_CHOOSER, after=mark, timeout=WAIT)
    assert root.thread_ts is None and not root.ephemeral

    mark = sh.mark()
    click = envelope("interactive", click_payload(sh, root, f"Choose {goal.name}"))
    sh.server.send(click)
    assert sh.server.ack_for(click["envelope_id"]) == {"envelope_id": click["envelope_id"]}
    question = sh.wait_for_message("Question 1 of", thread_ts=root.ts, after=mark, timeout=WAIT)

    mark = sh.mark()
    answer = envelope("interactive", click_payload(sh, question, "Yes"))
    sh.server.send(answer)
    sh.server.ack_for(answer["envelope_id"])
    expect = "Question 2 of" if len(goal.considerations) > 1 else "Recommended:"
    sh.wait_for_message(expect, thread_ts=root.ts, after=mark, timeout=WAIT)


def test_socket_mode_help_is_answered_privately_in_the_ack(sh):
    mark = sh.mark()
    help_request = envelope("slash_commands", command_payload(sh, "help"))
    sh.server.send(help_request)
    ack = sh.server.ack_for(help_request["envelope_id"])
    assert ack["envelope_id"] == help_request["envelope_id"]
    payload = ack.get("payload") or {}
    assert payload.get("response_type") == "ephemeral", ack
    assert payload.get("text") and payload.get("blocks"), ack
    # nothing public: the answer rode in the ack. A /usecase sent after it is answered in the
    # channel, and that is the only message the bot posted since
    probe = envelope("slash_commands", command_payload(sh, ""))
    sh.server.send(probe)
    sh.server.ack_for(probe["envelope_id"])
    sh.wait_for_message(GOAL_CHOOSER, after=mark, timeout=WAIT)
    posted = [m for m in sh.workspace.snapshot()[mark:] if m.user == sh.workspace.bot_user_id]
    assert [GOAL_CHOOSER in m.text for m in posted] == [True], [m.text for m in posted]


def test_socket_mode_a_retried_event_is_answered_once(sh):
    channel = quiet_channel(sh)
    message, event = mention(sh, "which use case fits onboarding?", channel)
    event_id = "Ev" + uuid.uuid4().hex[:10].upper()
    first = envelope("events_api", event_payload(sh, event, event_id))
    sh.server.send(first)
    assert sh.server.ack_for(first["envelope_id"]) == {"envelope_id": first["envelope_id"]}
    retry = envelope(
        "events_api", event_payload(sh, event, event_id), retry_attempt=1, retry_reason="timeout"
    )
    sh.server.send(retry)
    assert sh.server.ack_for(retry["envelope_id"]) == {"envelope_id": retry["envelope_id"]}

    assert wait_for(lambda: bot_posts_in_thread(sh, channel, message.ts)), "no reply to the mention"
    # a positive signal: a new mention, sent after the retry, is answered
    later, later_event = mention(sh, "which use case fits onboarding?", channel)
    probe = envelope("events_api", event_payload(sh, later_event, "Ev" + uuid.uuid4().hex[:10].upper()))
    sh.server.send(probe)
    assert wait_for(lambda: bot_posts_in_thread(sh, channel, later.ts)), "no reply to the later mention"
    replies = bot_posts_in_thread(sh, channel, message.ts)
    assert len(replies) == 1, [r.get("text") for r in replies]
    assert len(sh.server.acks_for(first["envelope_id"])) == 1


# ------------------------------------------------------------------ operator errors


def run_expecting_operator_error(env: dict[str, str], *args: str) -> str:
    """Run `usecase-bot run ARGS`; it must exit 2 at once with one line on stderr. Returns the line."""
    if not any(a.startswith("--port") for a in args) and "PORT" not in env:
        args = (*args, "--port", str(free_port()))  # if it wrongly starts, it must not take port 3000
    proc = subprocess.Popen(
        [USECASE_BOT, "run", *args],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        pytest.fail(f"usecase-bot kept running instead of refusing to start; stderr: {err[-2000:]}")
    finally:
        for child in child_pids(proc.pid):
            os.kill(child, signal.SIGKILL)
    assert "Traceback" not in err, err
    assert proc.returncode == 2, (proc.returncode, err)
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    line = lines[0]
    assert line.startswith("usecase-bot: "), line
    # short, however long the paths it names (a temporary folder's length depends on the machine)
    assert len(re.sub(r"(?:/[^/\s:`'\"]+)+", "/…", line)) < 400, line
    return line


def says_what_to_do(line: str) -> bool:
    """Besides naming the problem, the line tells the operator what to do about it."""
    advice = (
        "set ",
        "use ",
        "copy ",
        "choose ",
        "check",
        "run ",
        "unset",
        "fix",
        "reinstall",
        "needs",
        "must be",
        "should",
    )
    return any(word in line.lower() for word in advice)


@pytest.fixture(scope="module")
def refusing_stand_in():
    """A fake Web API that is up (so only the thing under test is wrong)."""
    server = start_stand_in()
    yield server
    server.stop()


@pytest.mark.parametrize(
    "env_vars,args,names",
    [
        ({"SLACK_BOT_TOKEN": "abc", "SLACK_SIGNING_SECRET": SIGNING_SECRET}, (), "SLACK_BOT_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": SIGNING_SECRET},
            (),
            "SLACK_BOT_TOKEN",
        ),
        ({"SLACK_BOT_TOKEN": "abc", "SLACK_APP_TOKEN": APP_TOKEN}, ("--mode", "socket"), "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": BOT_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN}, (), "SLACK_APP_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-not-an-app-token"}, ("--mode", "socket"), "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, (), "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, (), "SLACK_APP_TOKEN"),
        ({"SLACK_SIGNING_SECRET": SIGNING_SECRET}, (), "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": APP_TOKEN}, (), "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "not a secret!"}, (), "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, ("--mode", "http"), "SLACK_SIGNING_SECRET"),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET},
            ("--mode", "socket"),
            "SLACK_APP_TOKEN",
        ),
        (
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": "not-a-url",
            },
            (),
            "SLACK_API_URL",
        ),
        (
            {
                "SLACK_APP_TOKEN": APP_TOKEN,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_API_URL": "ftp://slack.com/api/",
            },
            (),
            "SLACK_API_URL",
        ),
    ],
    ids=[
        "bot-token-abc",
        "bot-token-user-token",
        "bot-token-abc-socket",
        "app-token-is-a-bot-token",
        "app-token-malformed",
        "bot-token-alone-names-secret",
        "bot-token-alone-names-app-token",
        "secret-alone",
        "app-token-alone",
        "secret-malformed",
        "http-without-secret",
        "socket-without-app-token",
        "api-url-not-a-url",
        "api-url-ftp",
    ],
)
def test_malformed_or_missing_settings_fail_fast(env_vars, args, names):
    line = run_expecting_operator_error(clean_env(**env_vars), *args)
    assert names in line, line
    assert says_what_to_do(line), line


@pytest.mark.parametrize(
    "port_env,args",
    [
        ("abc", ()),
        ("70000", ()),
        ("0", ()),
        ("-1", ()),
        (None, ("--port", "70000")),
        (None, ("--port", "0")),
    ],
)
def test_bad_port_fails_fast(refusing_stand_in, port_env, args):
    env = http_env(refusing_stand_in, **({"PORT": port_env} if port_env is not None else {}))
    line = run_expecting_operator_error(env, *args)
    assert "PORT" in line or "--port" in line, line
    assert (port_env or args[-1]) in line, line  # it repeats what it was given
    assert "1 and 65535" in line, line


def test_bad_port_option_fails_fast():
    line = run_expecting_operator_error(clean_env(), "--port", "abc")
    assert "port" in line.lower() and "abc" in line, line


def test_a_port_in_use_fails_fast(refusing_stand_in):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = run_expecting_operator_error(http_env(refusing_stand_in), "--port", str(port))
    assert f"127.0.0.1:{port}" in line, line
    assert "--port" in line or "PORT" in line, line
    assert not [m for m, _ in list(refusing_stand_in.workspace.calls) if m != "auth.test"]


def test_a_missing_catalog_folder_fails_fast(refusing_stand_in, tmp_path):
    missing = tmp_path / "no-such-catalog"
    line = run_expecting_operator_error(http_env(refusing_stand_in, USECASE_CATALOG=str(missing)))
    assert str(missing) in line and "not found" in line, line
    assert "USECASE_CATALOG" in line, line  # the setting to fix


def test_a_broken_catalog_fails_fast_naming_file_and_line(refusing_stand_in, tmp_path):
    broken = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", broken)
    target = sorted(broken.glob("*.yml"))[0]
    lines = target.read_text().splitlines(keepends=True)
    index = next(
        i for i, text in enumerate(lines) if text.rstrip().endswith(":") and not text.lstrip().startswith("#")
    )
    lines[index] = lines[index].rstrip("\n") + " broken: here\n"  # `key: broken: here` is not YAML
    target.write_text("".join(lines))

    line = run_expecting_operator_error(http_env(refusing_stand_in, USECASE_CATALOG=str(broken)))
    assert f"{target}:{index + 1}:" in line, line  # file and line
    assert "catalog check" in line, line  # what to do: see every problem


def test_a_catalog_that_is_a_file_fails_fast(refusing_stand_in, tmp_path):
    not_a_folder = tmp_path / "catalog.yml"
    not_a_folder.write_text("goals: []\n")
    line = run_expecting_operator_error(http_env(refusing_stand_in, USECASE_CATALOG=str(not_a_folder)))
    assert str(not_a_folder) in line, line


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_a_token_slack_refuses_fails_fast(mode, tmp_path):
    stand_in = start_stand_in()
    try:
        stand_in.api.fail("auth.test", error="invalid_auth", times=5)
        env = (
            http_env(stand_in)
            if mode == "http"
            else clean_env(
                SLACK_APP_TOKEN=APP_TOKEN, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=stand_in.api_url
            )
        )
        line = run_expecting_operator_error(env, "--mode", mode)
        assert "SLACK_BOT_TOKEN" in line and "invalid_auth" in line, line
        assert says_what_to_do(line), line
        calls = [m for m, _ in list(stand_in.workspace.calls)]
        assert calls == ["auth.test"], calls  # no connection opened with a token Slack refused
    finally:
        stand_in.stop()


def test_an_unreachable_api_url_fails_fast():
    dead = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=dead)
    line = run_expecting_operator_error(env)
    assert "SLACK_API_URL" in line, line


def test_an_unknown_mode_is_refused_by_the_cli():
    proc = subprocess.run(
        [USECASE_BOT, "run", "--mode", "lambda"],
        env=clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=EXIT_TIMEOUT,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "lambda" in proc.stderr


# ------------------------------------------------------------------ settings: choosing the mode


def test_auto_without_credentials_is_the_sandbox():
    settings = load_settings({})
    assert settings.mode == "sandbox"
    assert (settings.host, settings.port, settings.api_url) == (DEFAULT_HOST, DEFAULT_PORT, DEFAULT_API_URL)
    assert settings.host == "127.0.0.1"


def test_auto_with_an_app_token_is_socket_mode():
    settings = load_settings({"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN})
    assert settings.mode == "socket"
    assert (settings.app_token, settings.bot_token) == (APP_TOKEN, BOT_TOKEN)


def test_auto_prefers_socket_mode_when_everything_is_set():
    env = {"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    assert load_settings(env).mode == "socket"
    assert load_settings(env, mode="http").mode == "http"


def test_auto_with_signing_secret_and_bot_token_is_http():
    settings = load_settings({"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN})
    assert settings.mode == "http"
    assert settings.signing_secret == SIGNING_SECRET and settings.bot_token == BOT_TOKEN
    assert settings.workers >= 2


def test_blank_values_count_as_unset():
    env = {
        "SLACK_APP_TOKEN": "  ",
        "SLACK_BOT_TOKEN": "",
        "SLACK_SIGNING_SECRET": " ",
        "PORT": " ",
        "SLACK_API_URL": "",
    }
    settings = load_settings(env)
    assert (
        settings.mode == "sandbox" and settings.port == DEFAULT_PORT and settings.api_url == DEFAULT_API_URL
    )


def test_values_are_trimmed():
    settings = load_settings(
        {"SLACK_SIGNING_SECRET": f" {SIGNING_SECRET}\n", "SLACK_BOT_TOKEN": f"{BOT_TOKEN} "}
    )
    assert (
        settings.mode == "http"
        and settings.bot_token == BOT_TOKEN
        and settings.signing_secret == SIGNING_SECRET
    )


@pytest.mark.parametrize(
    "env,mode,names",
    [
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "auto", ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")),
        ({"SLACK_SIGNING_SECRET": SIGNING_SECRET}, "auto", ("SLACK_BOT_TOKEN",)),
        ({"SLACK_APP_TOKEN": APP_TOKEN}, "auto", ("SLACK_BOT_TOKEN",)),
        ({}, "socket", ("SLACK_APP_TOKEN",)),
        ({}, "http", ("SLACK_SIGNING_SECRET",)),
        ({"SLACK_SIGNING_SECRET": SIGNING_SECRET}, "http", ("SLACK_BOT_TOKEN",)),
        ({"SLACK_APP_TOKEN": APP_TOKEN}, "http", ("SLACK_SIGNING_SECRET",)),
        ({"SLACK_BOT_TOKEN": "abc"}, "auto", ("SLACK_BOT_TOKEN",)),
        ({"SLACK_BOT_TOKEN": "xoxb-has spaces"}, "auto", ("SLACK_BOT_TOKEN",)),
        ({"SLACK_APP_TOKEN": "xoxb-1-2"}, "auto", ("SLACK_APP_TOKEN",)),
        ({"SLACK_SIGNING_SECRET": "short"}, "auto", ("SLACK_SIGNING_SECRET",)),
        ({"SLACK_API_URL": "not-a-url"}, "sandbox", ("SLACK_API_URL",)),
        ({"SLACK_API_URL": "http://"}, "sandbox", ("SLACK_API_URL",)),
        ({"PORT": "abc"}, "sandbox", ("PORT",)),
        ({"PORT": "70000"}, "sandbox", ("PORT",)),
        ({"PORT": "0"}, "sandbox", ("PORT",)),
        ({"WEB_CONCURRENCY": "many"}, "sandbox", ("WEB_CONCURRENCY",)),
        ({}, "lambda", ("lambda",)),
    ],
)
def test_settings_errors_name_the_variable(env, mode, names):
    with pytest.raises(SettingsError) as info:
        load_settings(env, mode=mode)
    message = str(info.value)
    assert "\n" not in message
    for name in names:
        assert name in message, message


def test_explicit_mode_overrides_auto():
    env = {"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN}
    assert load_settings(env, mode="sandbox").mode == "sandbox"
    assert load_settings({}, mode="sandbox").mode == "sandbox"


def test_port_host_workers_and_api_url():
    env = {
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "PORT": "8080",
        "SLACK_API_URL": "http://127.0.0.1:9999/api",
        "WEB_CONCURRENCY": "3",
    }
    settings = load_settings(env)
    assert settings.port == 8080 and settings.workers == 3
    assert settings.api_url == "http://127.0.0.1:9999/api/"  # WebClient joins method names onto it
    settings = load_settings(env, port=9090, host="0.0.0.0", workers=5)
    assert (settings.port, settings.host, settings.workers) == (9090, "0.0.0.0", 5)
