"""Shared fixtures: the bundled catalog, and a Slack stand-in driving the real Bolt app.

The app under test is the production `build_app`; Slack's side is played by signed,
Slack-shaped requests (bot.sandbox.people.SlackSide) and a loopback fake Web API
(bot.sandbox.server.SlackStandIn) that keeps the conversation, so tests read what a person
would see.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.app import Identity, build_app
from bot.catalog import load_catalog
from bot.dedupe import MemorySeenOnce
from bot.sandbox.people import SlackSide
from bot.sandbox.server import SlackStandIn
from bot.sandbox.workspace import CHANNEL_ID, Message, Workspace
from bot.settings import Settings
from bot.web import slack_request

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"  # third-party reference data, kept in the repository
SLACK_REFERENCE = FIXTURES / "slack"
SEGMENT_REFERENCE = FIXTURES / "segment"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # a signing secret for tests only
BOT_TOKEN = "xoxb-test-token"
MAX_BLOCKS = 50


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


def fixture_text(path: Path) -> str:
    """A fixture file's text; a missing fixture fails the test (it is in the repository)."""
    if not path.is_file():
        pytest.fail(f"fixture {path} is missing: it belongs in the repository (see tests/fixtures/README.md)",
                    pytrace=False)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def block_kit_validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(fixture_text(SLACK_REFERENCE / "schemas" / "slack-block-kit.schema.json")))


def block_kit_problems(validator, blocks: list) -> list[str]:
    """Why Slack would refuse these blocks: the 50-block limit and the Block Kit schema."""
    assert validator is not None, "block_kit_problems needs the Block Kit schema validator"
    problems = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks (Slack allows {MAX_BLOCKS})")
    if blocks:
        problems += [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                     for e in validator.iter_errors(blocks)]
    return problems


class Harness:
    """The bot, a workspace, and a person in it."""

    def __init__(self, stand_in: SlackStandIn, app, catalog):
        self.stand_in = stand_in
        self.app = app
        self.catalog = catalog
        self.workspace: Workspace = stand_in.workspace
        self.slack = SlackSide(self.workspace, self.dispatch, SECRET, stand_in.base_url)

    def dispatch(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        response = self.app.dispatch(slack_request(body.decode("utf-8"), headers))
        return response.status, response.body

    # -------------------------------------------------------------- reading the workspace

    def bot_messages(self, channel: str | None = None) -> list[Message]:
        return [m for m in self.workspace.snapshot()
                if m.user == self.workspace.bot_user_id and (channel is None or m.channel == channel)]

    def wait_for_message(self, contains: str, *, channel: str = CHANNEL_ID, after: int = 0,
                         thread_ts: str | None = None, ephemeral: bool | None = None,
                         timeout: float = 5.0) -> Message:
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
        assert message is not None, (
            f"no bot message containing {contains!r}; bot said: "
            + repr([m.text for m in self.bot_messages()][-6:])
        )
        return message

    def wait_until(self, predicate, timeout: float = 5.0, what: str = "condition"):
        value = self.workspace.wait_for(lambda ws: predicate(), timeout)
        assert value, f"timed out waiting for {what}"
        return value

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


@pytest.fixture
def stand_in():
    server = SlackStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def harness(stand_in, catalog, block_kit_validator):
    app = build_app(make_settings(stand_in.api_url), catalog, identity=identity_of(stand_in.workspace),
                    seen=MemorySeenOnce())
    h = Harness(stand_in, app, catalog)
    yield h
    # every message the bot sent during the test must be one Slack accepts
    for method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
        for params in h.calls(method):
            blocks = params.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            assert params.get("text"), f"{method} without a text fallback: {params}"
            assert not block_kit_problems(block_kit_validator, blocks), (
                method, block_kit_problems(block_kit_validator, blocks))


def require_browser() -> bool:
    return os.environ.get("USECASE_REQUIRE_BROWSER") == "1"
