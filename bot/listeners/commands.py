"""/usecase: a private answer goes in the ack itself; a public one is posted before the ack.

A command is acted on once per `trigger_id` (unique to each invocation), so a replayed request
posts nothing more.
"""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.analytics import recorder
from bot.conversation import Conversation, Reply
from bot.dedupe import SeenOnce
from bot.listeners.background import on_defer, step
from bot.listeners.delivery import Delivery, settle_or_release
from bot.listeners.payload import as_str

COMMAND = "/usecase"


def register(app: App, conversation: Conversation, seen: SeenOnce, background, analytics=None) -> None:
    @app.command(COMMAND)
    def handle_usecase(ack: Ack, command: dict, client: WebClient) -> None:
        reply = conversation.command(as_str(command.get("text")) or "", as_str(command.get("user_id")))
        if reply.private and not reply.post:
            ack(response_type="ephemeral", **reply.private.as_kwargs())
            _recorder(command)(reply.events)
            return
        ack()  # sent when this returns, after the work (or the budget)
        background.run(answer_command, reply, command, client)

    def answer_command(reply: Reply, command: dict, client: WebClient) -> None:
        trigger_id = as_str(command.get("trigger_id"))
        key = f"command:{trigger_id}" if trigger_id else None
        if key and not step(lambda _: seen.claim(key)):
            return  # a replay of a command already answered
        if key:
            on_defer(lambda: seen.settle(key))
        delivery = Delivery(
            client,
            channel=command.get("channel_id"),
            user_id=command.get("user_id"),
            response_url=command.get("response_url"),
        )
        settle_or_release(seen, key, delivery.carry_out(reply))
        record = _recorder(command)
        step(lambda _: record(reply.events))

    def _recorder(command: dict):
        return recorder(
            analytics,
            team=as_str(command.get("team_id")),
            user=as_str(command.get("user_id")),
            slack_ids=f"command:{as_str(command.get('trigger_id'))}",
        )
