"""Fixtures: the bundled catalog, the Block Kit validator, and a Slack stand-in driving the real
Bolt app (the harnesses themselves are in tests/support/).

The app under test is the production `build_app`; Slack's side is played by signed,
Slack-shaped requests (bot.sandbox.people.SlackSide) and a loopback fake Web API
(bot.sandbox.server.SlackStandIn) that keeps the conversation, so tests read what a person
would see.
"""

from __future__ import annotations

import json

import pytest

from bot.app import build_app
from bot.catalog import load_catalog
from bot.dedupe import MemorySeenOnce
from bot.sandbox.server import SlackStandIn
from tests.support.blockkit import block_kit_problems, load_block_kit_validator
from tests.support.harness import Harness, identity_of, make_settings


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def block_kit_validator():
    return load_block_kit_validator()


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
