"""@mentions and direct messages: answer in the thread of the message, once per event."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.analytics import recorder
from bot.conversation import Conversation
from bot.dedupe import SeenOnce
from bot.listeners.delivery import Delivery
from bot.listeners.payload import as_str

# message subtypes that are a person writing; edits, joins and bot posts are not
PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


def register(app: App, conversation: Conversation, seen: SeenOnce, background, analytics=None) -> None:
    def answer(event: dict, client: WebClient) -> None:
        if event.get("bot_id") or event.get("subtype") not in PERSON_SUBTYPES:
            return  # never answer bots (Bolt already drops the bot's own events)
        channel, ts = as_str(event.get("channel")), as_str(event.get("ts"))
        if not (channel and ts):
            return
        # once per message: Slack redelivers an event it thinks failed, and a mention in a DM
        # can come both as app_mention and as message.im
        if not seen.first(f"message:{channel}:{ts}"):
            return
        user, text = as_str(event.get("user")), as_str(event.get("text")) or ""
        # in a channel the answer goes in the message's thread; a DM reads top to bottom, so
        # there it answers at the top level unless the person wrote in a thread
        in_dm = event.get("channel_type") == "im"
        thread_ts = as_str(event.get("thread_ts")) or (None if in_dm else ts)
        reply = conversation.message(text, user, via="dm" if in_dm else "mention")
        Delivery(client, channel=channel, user_id=user, thread_ts=thread_ts).carry_out(reply)
        # the message's own ids: the same message arriving as app_mention and message.im counts once
        recorder(analytics, team=as_str(event.get("team")), user=user, slack_ids=f"message:{channel}:{ts}")(
            reply.events
        )

    @app.event("app_mention")
    def handle_app_mention(event: dict, client: WebClient) -> None:
        background.run(answer, event, client)  # Bolt acks the event when this returns

    # every message event is acknowledged (an unhandled one would be a 404 that Slack retries)
    @app.event("message")
    def handle_message(event: dict, client: WebClient) -> None:
        if event.get("channel_type") == "im":
            background.run(answer, event, client)
