"""/usecase: ack at once (with the answer itself when it is private), post after the ack."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.analytics import recorder
from bot.conversation import Conversation
from bot.listeners.delivery import Delivery
from bot.listeners.payload import as_str

COMMAND = "/usecase"


def register(app: App, conversation: Conversation, background, analytics=None) -> None:
    @app.command(COMMAND)
    def handle_usecase(ack: Ack, command: dict, client: WebClient) -> None:
        reply = conversation.command(as_str(command.get("text")) or "", as_str(command.get("user_id")))
        record = recorder(
            analytics,
            team=as_str(command.get("team_id")),
            user=as_str(command.get("user_id")),
            slack_ids=f"command:{as_str(command.get('trigger_id'))}",
        )
        if reply.private and not reply.post:
            ack(response_type="ephemeral", **reply.private.as_kwargs())
            record(reply.events)
            return
        ack()
        record(reply.events)
        delivery = Delivery(
            client,
            channel=command.get("channel_id"),
            user_id=command.get("user_id"),
            response_url=command.get("response_url"),
        )
        background.run(delivery.carry_out, reply)
