"""The message shortcut "Find a Segment use case": ack at once, answer privately after."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import home
from bot.analytics import recorder
from bot.conversation import Conversation
from bot.listeners.background import step
from bot.listeners.delivery import Delivery
from bot.listeners.payload import as_dict, as_str


def register(app: App, conversation: Conversation, background, analytics=None) -> None:
    @app.shortcut(home.SHORTCUT_CALLBACK_ID)
    def handle_find_use_case(ack: Ack, shortcut: dict, client: WebClient) -> None:
        ack()
        background.run(answer_shortcut, shortcut, client)

    def answer_shortcut(shortcut: dict, client: WebClient) -> None:
        message = as_dict(shortcut.get("message"))
        user = as_str(as_dict(shortcut.get("user")).get("id"))
        files = message.get("files")
        reply = conversation.shortcut(
            as_str(message.get("text")) or "",
            user,
            author=as_str(message.get("user")),
            has_files=isinstance(files, list) and bool(files),
        )
        # told through the response_url (ephemeral), else chat.postEphemeral where the message is
        Delivery(
            client,
            channel=as_str(as_dict(shortcut.get("channel")).get("id")),
            user_id=user,
            thread_ts=as_str(message.get("thread_ts")),
            response_url=as_str(shortcut.get("response_url")),
        ).carry_out(reply)
        ids = as_str(shortcut.get("action_ts")) or as_str(shortcut.get("trigger_id"))
        record = recorder(
            analytics,
            team=as_str(as_dict(shortcut.get("team")).get("id")),
            user=user,
            slack_ids=f"shortcut:{ids}" if ids else None,
        )
        step(lambda _: record(reply.events))  # once, also when the job is replayed
