"""manifest.yml creates the app in one step and subscribes to exactly what the bot handles."""

from __future__ import annotations

import json

import yaml

from tests.support.reference import ROOT, SLACK_REFERENCE, fixture_text

MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_the_manifest_validates_against_slacks_schema():
    schema = json.loads(fixture_text(SLACK_REFERENCE / "schemas" / "slack-app-manifest.schema.1.0.0.json"))
    from jsonschema import Draft7Validator

    errors = list(Draft7Validator(schema).iter_errors(MANIFEST))
    assert not errors, [e.message for e in errors]


def test_the_manifest_declares_the_command_events_scopes_and_socket_mode():
    command = MANIFEST["features"]["slash_commands"][0]
    assert command["command"] == "/usecase" and command["usage_hint"]
    assert MANIFEST["features"]["bot_user"]["display_name"] == "usecase-bot"
    assert sorted(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == ["app_mention", "message.im"]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(
        ["commands", "app_mentions:read", "chat:write", "im:history", "files:write"])
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
