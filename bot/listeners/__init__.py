"""Thin glue from Slack requests to the core and back: ack, ask the conversation, deliver.

Each listener answers Slack's request at once (the ack) and hands the Web API calls to the
`background` pool, so nothing slow stands between a person and the acknowledgement.
"""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import Executor

from slack_bolt import App

from bot.conversation import Conversation
from bot.dedupe import SeenOnce
from bot.listeners import actions, commands, events, home, shortcuts

log = logging.getLogger("usecase_bot")


class Background:
    """Runs work after the ack; an exception is logged, never lost silently in a Future."""

    def __init__(self, executor: Executor):
        self.executor = executor

    def run(self, work, *args, **kwargs) -> None:
        # the request's context goes along (the workspace its feedback is stored under)
        self.executor.submit(contextvars.copy_context().run, self._logged, work, *args, **kwargs)

    @staticmethod
    def _logged(work, *args, **kwargs) -> None:
        try:
            work(*args, **kwargs)
        except Exception:  # noqa: BLE001 - a bug in one reply must not take the worker down
            log.exception("answering a Slack request failed")


def register(
    app: App,
    conversation: Conversation,
    seen: SeenOnce,
    executor: Executor,
    segment=None,
    analytics=None,
    insights=None,
) -> None:
    """`analytics` (bot.analytics.Sinks, or None) counts what the replies' `events` say;
    `insights(client, team_id, user_id)` gives an admin the team's insights on the Home tab."""
    background = Background(executor)
    commands.register(app, conversation, background, analytics)
    events.register(app, conversation, seen, background, analytics)
    # before actions: Home buttons are usecase.* too
    home.register(app, conversation, seen, background, analytics, insights)
    actions.register(app, conversation, seen, background, segment, analytics)
    shortcuts.register(app, conversation, background, analytics)
