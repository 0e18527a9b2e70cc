"""/usecase: ack at once (with the answer itself when it is private), post after the ack."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.conversation import Conversation, Reply
from bot.listeners.delivery import Delivery

COMMAND = "/usecase"


def register(app: App, conversation: Conversation) -> None:
    def handle_usecase_ack(ack: Ack, command: dict) -> None:
        reply = conversation.command(command.get("text") or "", command.get("user_id"))
        if reply.private and not reply.post:
            ack(response_type="ephemeral", **reply.private.as_kwargs())
        else:
            ack()

    def handle_usecase(command: dict, client: WebClient) -> None:
        reply = conversation.command(command.get("text") or "", command.get("user_id"))
        if not reply.post:
            return  # private answers went back with the ack
        Delivery(
            client,
            channel=command.get("channel_id"),
            user_id=command.get("user_id"),
            response_url=command.get("response_url"),
        ).carry_out(Reply(post=reply.post))

    app.command(COMMAND)(ack=handle_usecase_ack, lazy=[handle_usecase])
