"""Button clicks: ack at once, then let the conversation decide and deliver what it says."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import action_ids, blocks
from bot.analytics import recorder
from bot.conversation import Conversation, Reply
from bot.dedupe import SeenOnce
from bot.listeners.delivery import Delivery
from bot.listeners.payload import ClickPayload


def register(
    app: App, conversation: Conversation, seen: SeenOnce, background, segment=None, analytics=None
) -> None:
    """`segment(name, rules)` creates a tracking plan in Segment (None when not configured)."""

    @app.action(action_ids.PATTERN)
    def handle_click(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
        ack()
        background.run(answer_click, ClickPayload.read(body, action, context), client)

    def answer_click(click: ClickPayload, client: WebClient) -> None:
        reply = conversation.click(
            click.action_id,
            click.value,
            click.user_id,
            in_thread=click.thread_ts is not None,
            message_blocks=click.blocks,
            selected=click.selected,
            in_dm=click.in_dm,
            picked_channel=click.picked_channel,
            private=click.ephemeral,
        )
        if reply.once and not seen.first(f"click:{reply.once}:{click.channel}:{click.ts}"):
            reply = Reply(private=blocks.build_notice(blocks.ALREADY_ANSWERED))
        Delivery.for_click(client, click, segment).carry_out(reply)
        recorder(
            analytics, team=click.team_id, user=click.user_id, slack_ids=f"click:{click.ts}:{click.action_ts}"
        )(reply.events)
