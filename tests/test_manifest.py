"""manifest.yml creates the app in one step and subscribes to exactly what the bot handles;
manifest.distribution.yml does the same for an app any workspace installs (HTTP, OAuth), asking
for the same scopes, events and features."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.support.reference import ROOT, SLACK_REFERENCE, fixture_text

MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
DISTRIBUTION = yaml.safe_load((ROOT / "manifest.distribution.yml").read_text())
UNINSTALL_EVENTS = ["app_uninstalled", "tokens_revoked"]


@pytest.mark.parametrize("name", ["manifest.yml", "manifest.distribution.yml"])
def test_the_manifest_validates_against_slacks_schema(name):
    schema = json.loads(fixture_text(SLACK_REFERENCE / "schemas" / "slack-app-manifest.schema.1.0.0.json"))
    from jsonschema import Draft7Validator

    errors = list(Draft7Validator(schema).iter_errors(yaml.safe_load((ROOT / name).read_text())))
    assert not errors, [e.message for e in errors]


def test_the_distribution_manifest_is_for_http_and_oauth():
    from bot import oauth

    settings = DISTRIBUTION["settings"]
    assert settings["socket_mode_enabled"] is False and settings["token_rotation_enabled"] is True
    events_url = "https://YOUR-HOST/slack/events"
    assert settings["event_subscriptions"]["request_url"] == events_url
    assert settings["interactivity"]["request_url"] == events_url
    assert [c["url"] for c in DISTRIBUTION["features"]["slash_commands"]] == [events_url]
    assert DISTRIBUTION["oauth_config"]["redirect_urls"] == ["https://YOUR-HOST" + oauth.REDIRECT_PATH]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == sorted(
        MANIFEST["settings"]["event_subscriptions"]["bot_events"] + UNINSTALL_EVENTS
    )


def test_both_manifests_and_the_install_link_ask_for_the_same_scopes_and_features():
    from bot import oauth

    assert DISTRIBUTION["oauth_config"]["scopes"] == MANIFEST["oauth_config"]["scopes"]
    assert sorted(oauth.BOT_SCOPES) == sorted(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert DISTRIBUTION["display_information"] == MANIFEST["display_information"]
    strip_urls = [
        {k: v for k, v in c.items() if k != "url"} for c in DISTRIBUTION["features"]["slash_commands"]
    ]
    assert strip_urls == MANIFEST["features"]["slash_commands"]
    assert {k: v for k, v in DISTRIBUTION["features"].items() if k != "slash_commands"} == {
        k: v for k, v in MANIFEST["features"].items() if k != "slash_commands"
    }
    assert DISTRIBUTION["settings"]["interactivity"]["is_enabled"] is True
    assert DISTRIBUTION["settings"]["org_deploy_enabled"] == MANIFEST["settings"]["org_deploy_enabled"]


def test_the_manifest_declares_the_command_events_scopes_and_socket_mode():
    command = MANIFEST["features"]["slash_commands"][0]
    assert command["command"] == "/usecase" and command["usage_hint"]
    assert MANIFEST["features"]["bot_user"]["display_name"] == "usecase-bot"
    assert sorted(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == [
        "app_home_opened",
        "app_mention",
        "assistant_thread_started",
        "message.channels",
        "message.groups",
        "message.im",
    ]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(
        [
            "commands",
            "app_mentions:read",
            "chat:write",
            "im:history",
            "channels:history",
            "groups:history",
            "files:write",
            "im:write",
            "assistant:write",
            "users:read",
        ]
    )
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


@pytest.mark.parametrize("name", ["manifest.yml", "manifest.distribution.yml"])
def test_every_scope_says_why_it_is_there(name):
    lines = (ROOT / name).read_text().splitlines()
    for scope in MANIFEST["oauth_config"]["scopes"]["bot"]:
        line = next(x for x in lines if x.strip().startswith(f"- {scope} ") or x.strip() == f"- {scope}")
        assert "#" in line and line.split("#", 1)[1].strip(), f"scope {scope} has no comment saying why"


def test_the_message_shortcut_is_the_one_the_bot_and_the_sandbox_answer():
    from bot import home
    from bot.sandbox.workspace import APP_SHORTCUTS

    shortcuts = MANIFEST["features"]["shortcuts"]
    assert shortcuts == [
        {
            "name": home.SHORTCUT_NAME,
            "type": "message",
            "callback_id": home.SHORTCUT_CALLBACK_ID,
            "description": home.SHORTCUT_DESCRIPTION,
        }
    ]
    assert len(home.SHORTCUT_NAME) <= 24 and len(home.SHORTCUT_DESCRIPTION) <= 150
    assert [(s["type"], s["callback_id"], s["name"]) for s in APP_SHORTCUTS] == [
        (s["type"], s["callback_id"], s["name"]) for s in shortcuts
    ]


def test_the_assistant_view_is_generated_from_the_catalogs_goals(catalog):
    from bot import home, manifest

    view = MANIFEST["features"]["assistant_view"]
    assert view == home.assistant_view(catalog), "run .venv/bin/python -m bot.manifest --write"
    assert DISTRIBUTION["features"]["assistant_view"] == view
    for name in ("manifest.yml", "manifest.distribution.yml"):
        text = (ROOT / name).read_text()
        assert manifest.update(text, catalog) == text, f"{name}: run .venv/bin/python -m bot.manifest --write"
    assert manifest.main(["--check"]) == 0
    titles = [p["title"] for p in view["suggested_prompts"]]
    assert titles == [g.name for g in catalog.goals][:4] and len(titles) <= 4
    for goal in catalog.goals:
        assert goal.name in view["assistant_description"]
    assert len(view["assistant_description"]) <= home.ASSISTANT_DESCRIPTION_MAX


def test_manifest_check_fails_when_the_goals_change(catalog, tmp_path):
    import shutil

    from bot import manifest
    from bot.catalog import default_catalog_dir

    folder = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), folder)
    goals = folder / "goals.yml"
    goals.write_text(goals.read_text().replace("name: Optimize advertising", "name: Advertise better"))
    copy = tmp_path / "manifest.yml"
    copy.write_text((ROOT / "manifest.yml").read_text())
    assert manifest.main([str(copy), "--catalog", str(folder), "--check"]) == 1
    assert manifest.main([str(copy), "--catalog", str(folder), "--write"]) == 0
    assert manifest.main([str(copy), "--catalog", str(folder), "--check"]) == 0
    rewritten = yaml.safe_load(copy.read_text())
    assert rewritten["features"]["assistant_view"]["suggested_prompts"][0] == {
        "title": "Advertise better",
        "message": "Advertise better",
    }
    assert {k: v for k, v in rewritten.items() if k != "features"} == {
        k: v for k, v in MANIFEST.items() if k != "features"
    }
