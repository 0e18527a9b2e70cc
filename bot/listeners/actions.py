"""Button clicks: ack at once, then let the conversation decide and deliver what it says."""

from __future__ import annotations

import re

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.conversation import Conversation, Reply
from bot.dedupe import SeenOnce
from bot.listeners.delivery import Delivery
from bot.listeners.payload import as_dict, as_str

OUR_ACTIONS = re.compile("^" + re.escape(blocks.ACTION_PREFIX))


def register(app: App, conversation: Conversation, seen: SeenOnce, background) -> None:
    @app.action(OUR_ACTIONS)
    def handle_click(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        background.run(answer_click, body, action, client)

    def answer_click(body: dict, action: dict, client: WebClient) -> None:
        container, message = as_dict(body.get("container")), as_dict(body.get("message"))
        channel = as_str(container.get("channel_id")) or as_str(as_dict(body.get("channel")).get("id"))
        user_id = as_str(as_dict(body.get("user")).get("id"))
        ephemeral = container.get("is_ephemeral") is True
        clicked_ts = as_str(container.get("message_ts")) or as_str(message.get("ts"))
        thread_ts = as_str(container.get("thread_ts")) or as_str(message.get("thread_ts")) or (
            None if ephemeral else clicked_ts
        )
        reply = conversation.click(
            str(action.get("action_id") or ""), action.get("value"), user_id,
            in_thread=thread_ts is not None,
            message_blocks=message.get("blocks") if isinstance(message.get("blocks"), list) else None,
        )
        if reply.once and not seen.first(f"click:{channel}:{clicked_ts}"):
            reply = Reply(private=blocks.build_notice(blocks.ALREADY_ANSWERED))
        Delivery(
            client,
            channel=channel,
            user_id=user_id,
            thread_ts=thread_ts,
            response_url=as_str(body.get("response_url")),
            clicked_ts=clicked_ts,
            clicked_ephemeral=ephemeral,
        ).carry_out(reply)
