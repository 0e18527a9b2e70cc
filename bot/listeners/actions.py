"""Button clicks: let the conversation decide, deliver what it says, then ack.

A click that moves a conversation on is acted on once (its `once` group): the clicked message is
claimed first, and the claim is settled only once the next step exists; when the post fails the
claim is released and the person told, so the same buttons can be clicked again.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import action_ids, blocks
from bot.analytics import recorder
from bot.conversation import Conversation, Reply
from bot.dedupe import SeenOnce
from bot.listeners.background import on_defer, step
from bot.listeners.delivery import Delivery, settle_or_release
from bot.listeners.payload import ClickPayload


def register(
    app: App, conversation: Conversation, seen: SeenOnce, background, segment=None, analytics=None
) -> None:
    """`segment(name, rules)` creates a tracking plan in Segment (None when not configured)."""

    @app.action(action_ids.PATTERN)
    def handle_click(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
        ack()  # sent when this returns, after the work (or the budget)
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
        key = f"click:{reply.once}:{click.channel}:{click.ts}" if reply.once else None
        if key and not step(lambda _: seen.claim(key)):
            reply, key = Reply(private=blocks.build_notice(blocks.ALREADY_ANSWERED)), None
        if key:
            on_defer(lambda: seen.settle(key))  # a retry is on its way: not a second click's turn
        done = Delivery.for_click(client, click, segment).carry_out(reply)
        settle_or_release(seen, key, done)
        record = recorder(
            analytics, team=click.team_id, user=click.user_id, slack_ids=f"click:{click.ts}:{click.action_ts}"
        )
        step(lambda _: record(reply.events))
