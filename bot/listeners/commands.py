"""/usecase: ack at once (with the answer itself when it is private), post after the ack."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.conversation import Conversation
from bot.listeners.delivery import Delivery
from bot.listeners.payload import as_str

COMMAND = "/usecase"


def register(app: App, conversation: Conversation, background) -> None:
    @app.command(COMMAND)
    def handle_usecase(ack: Ack, command: dict, client: WebClient) -> None:
        reply = conversation.command(as_str(command.get("text")) or "", as_str(command.get("user_id")))
        if reply.private and not reply.post:
            ack(response_type="ephemeral", **reply.private.as_kwargs())
            return
        ack()
        delivery = Delivery(
            client,
            channel=command.get("channel_id"),
            user_id=command.get("user_id"),
            response_url=command.get("response_url"),
        )
        background.run(delivery.carry_out, reply)
