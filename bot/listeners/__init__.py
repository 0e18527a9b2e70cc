"""Thin glue from Slack requests to the core and back: ack, ask the conversation, deliver."""

from __future__ import annotations

from slack_bolt import App

from bot.conversation import Conversation
from bot.dedupe import SeenOnce
from bot.listeners import actions, commands, events


def register(app: App, conversation: Conversation, seen: SeenOnce) -> None:
    commands.register(app, conversation)
    events.register(app, conversation, seen)
    actions.register(app, conversation, seen)
