"""The bot, a workspace, and a person in it: Slack's side of a conversation for the app tests.

`Harness` drives the production Bolt app in-process with signed, Slack-shaped requests
(bot.sandbox.people.SlackSide) against a loopback fake Web API (bot.sandbox.server.SlackStandIn)
that keeps the conversation, so tests read what a person would see. `HttpHarness` sends the same
requests over real HTTP to a running `usecase-bot`.
"""

from __future__ import annotations

import json
import threading
import time

from bot.app import Identity
from bot.sandbox.people import SlackSide
from bot.sandbox.server import SlackStandIn
from bot.sandbox.workspace import CHANNEL_ID, Message, Workspace
from bot.settings import Settings
from bot.web import slack_request
from tests.support.jobs import Jobs
from tests.support.processes import http

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # a signing secret for tests only
BOT_TOKEN = "xoxb-test-token"


class Harness:
    """The bot, a workspace, and a person in it."""

    def __init__(
        self, stand_in: SlackStandIn, app, catalog, signing_secret: str = SECRET, jobs: Jobs | None = None
    ):
        self.stand_in = stand_in
        self.app = app
        self.catalog = catalog
        self.jobs = jobs  # the in-process app's work after its acks (tests/support/jobs.py)
        self.workspace: Workspace = stand_in.workspace
        self.slack = SlackSide(self.workspace, self.dispatch, signing_secret, stand_in.base_url)

    def dispatch(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        response = self.app.dispatch(slack_request(body.decode("utf-8"), headers))
        return response.status, response.body

    # -------------------------------------------------------------- reading the workspace

    def bot_messages(self, channel: str | None = None) -> list[Message]:
        return [
            m
            for m in self.workspace.snapshot()
            if m.user == self.workspace.bot_user_id and (channel is None or m.channel == channel)
        ]

    def wait_for_message(
        self,
        contains: str,
        *,
        channel: str = CHANNEL_ID,
        after: int = 0,
        thread_ts: str | None = None,
        ephemeral: bool | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """The first bot message posted after the `after`-th message that contains `contains`."""

        def found(ws: Workspace):
            for m in ws.snapshot()[after:]:
                if m.user != ws.bot_user_id or m.channel != channel:
                    continue
                if thread_ts is not None and m.thread_ts != thread_ts:
                    continue
                if ephemeral is not None and m.ephemeral != ephemeral:
                    continue
                if contains in m.text or contains in json.dumps(m.blocks, ensure_ascii=False):
                    return m
            return None

        message = self.workspace.wait_for(found, timeout)
        assert message is not None, f"no bot message containing {contains!r}; bot said: " + repr(
            [m.text for m in self.bot_messages()][-6:]
        )
        return message

    def wait_until(self, predicate, timeout: float = 5.0, what: str = "condition"):
        value = self.workspace.wait_for(lambda ws: predicate(), timeout)
        assert value, f"timed out waiting for {what}"
        return value

    def settle(self) -> None:
        """Wait until the work after every ack so far is done: nothing more will be sent."""
        assert self.jobs is not None, "settle() needs the in-process app's Jobs"
        self.jobs.drain()

    def mark(self) -> int:
        return len(self.workspace.snapshot())

    def calls(self, method: str) -> list[dict]:
        return [params for name, params in list(self.workspace.calls) if name == method]


def make_settings(api_url: str, **overrides) -> Settings:
    values = dict(mode="http", bot_token=BOT_TOKEN, signing_secret=SECRET, api_url=api_url, threads=8)
    values.update(overrides)
    return Settings(**values)


def identity_of(workspace: Workspace) -> Identity:
    return Identity(team_id=workspace.team_id, user_id=workspace.bot_user_id, bot_id=workspace.bot_id)


class HttpHarness(Harness):
    """Slack's side of the conversation, sent over real HTTP to the running bot."""

    def __init__(self, stand_in: SlackStandIn, catalog, url: str, signing_secret: str):
        self.url = url
        super().__init__(stand_in, None, catalog, signing_secret)

    def dispatch(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        return http("POST", self.url, body, headers)

    def post_raw(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        return http("POST", self.url, body, headers)


class SlowPosts:
    """Wraps a FakeWebApi so chat.postMessage takes `delay` seconds: work still running after the ack."""

    def __init__(self, api, delay: float):
        self.api, self.delay, self.handle_fast = api, delay, api.handle
        self.started = threading.Event()

    def __call__(self, method, body, content_type, authorization):
        if method == "chat.postMessage":
            self.started.set()
            time.sleep(self.delay)
        return self.handle_fast(method, body, content_type, authorization)
