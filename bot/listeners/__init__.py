"""Thin glue from Slack requests to the core and back: ask the conversation, deliver, ack.

Each listener hands its work to `background` (bot/listeners/background.py), which does it before
the ack when it fits the budget, so an acknowledged request has been answered, and retries on a
timer when Slack asks to wait.
"""

from __future__ import annotations

from concurrent.futures import Executor

from slack_bolt import App

from bot.conversation import Conversation
from bot.dedupe import SeenOnce
from bot.listeners import actions, commands, events, home, shortcuts
from bot.listeners.background import Background, DelayQueue


def register(
    app: App,
    conversation: Conversation,
    seen: SeenOnce,
    executor: Executor,
    segment=None,
    analytics=None,
    insights=None,
    timers: DelayQueue | None = None,
    max_waiting: int = 32,
) -> Background:
    """`analytics` (bot.analytics.Sinks, or None) counts what the replies' `events` say;
    `insights(client, team_id, user_id)` gives an admin the team's insights on the Home tab."""
    background = Background(executor, timers, max_waiting=max_waiting)
    commands.register(app, conversation, seen, background, analytics)
    events.register(app, conversation, seen, background, analytics)
    # before actions: Home buttons are usecase.* too
    home.register(app, conversation, seen, background, analytics, insights)
    actions.register(app, conversation, seen, background, segment, analytics)
    shortcuts.register(app, conversation, background, analytics)
    return background
