"""@mentions, direct messages and replies in the bot's threads: answer in the thread, once per event.

A reply in a channel thread without an @mention (message.channels, message.groups) is read as
part of the conversation only in a thread the bot has answered: the latest of its posts there
must carry the conversation's state as message metadata (bot/metadata.py), fetched with
conversations.replies. Whether such a reply is answered at all is Conversation.follow_up's rule
(the people of the conversation, text that reads as a refinement); otherwise the bot stays quiet.
Other bots, edits, joins and the like are never answered.
"""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot import metadata
from bot.analytics import recorder
from bot.conversation import Conversation
from bot.dedupe import SeenOnce
from bot.listeners.background import on_defer, step
from bot.listeners.delivery import Delivery, _log_failure, settle_or_release, try_call
from bot.listeners.payload import as_str

# message subtypes that are a person writing; edits, joins and bot posts are not
PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
REPLIES_LIMIT = 200  # the thread's messages read back for its state


def _state(client: WebClient, channel: str, thread_ts: str, bot_user_id, bot_id):
    """The conversation's state on the bot's latest post in the thread, or None."""
    arguments = dict(channel=channel, ts=thread_ts, include_all_metadata=True, limit=REPLIES_LIMIT)

    def read(attempt: int):
        ok, error, answer = try_call(
            "conversations.replies", client.conversations_replies, arguments, attempt
        )
        if not ok:
            _log_failure("conversations.replies", error, channel)
        return (answer or {}).get("messages")

    return metadata.latest(step(read), bot_user_id, bot_id)


def register(app: App, conversation: Conversation, seen: SeenOnce, background, analytics=None) -> None:
    def answer(
        event: dict, client: WebClient, bot_user_id: str | None = None, bot_id: str | None = None
    ) -> None:
        if event.get("bot_id") or event.get("subtype") not in PERSON_SUBTYPES:
            return  # never answer bots (Bolt already drops the bot's own events)
        channel, ts = as_str(event.get("channel")), as_str(event.get("ts"))
        if not (channel and ts):
            return
        # once per message: Slack redelivers an event it thinks failed, and a mention in a DM
        # can come both as app_mention and as message.im
        key = f"message:{channel}:{ts}"
        if not step(lambda _: seen.claim(key)):
            return
        on_defer(lambda: seen.settle(key))
        user, text = as_str(event.get("user")), as_str(event.get("text")) or ""
        # in a channel the answer goes in the message's thread; a DM reads top to bottom, so
        # there it answers at the top level unless the person wrote in a thread
        in_dm = event.get("channel_type") == "im"
        in_thread = as_str(event.get("thread_ts"))
        thread_ts = in_thread or (None if in_dm else ts)
        delivery = Delivery(client, channel=channel, user_id=user, thread_ts=thread_ts)
        # the message's own ids: the same message arriving as app_mention and message.im counts once
        record = recorder(
            analytics, team=as_str(event.get("team")), user=user, slack_ids=f"message:{channel}:{ts}"
        )
        if in_thread and in_thread != ts:  # addressed to the bot inside a thread: its earlier answers count
            state = _state(client, channel, in_thread, bot_user_id, bot_id)
            if state is not None:
                reply = conversation.follow_up(text, user, state, addressed=True)
                if reply is not None:
                    settle_or_release(seen, key, delivery.carry_out(reply))
                    step(lambda _: record(reply.events))
                    return
        reply = conversation.message(text, user, via="dm" if in_dm else "mention")
        settle_or_release(seen, key, delivery.carry_out(reply))
        step(lambda _: record(reply.events))

    def follow_up(event: dict, client: WebClient, bot_user_id: str | None, bot_id: str | None) -> None:
        """A reply without an @mention in a channel thread: answered only in the bot's threads."""
        if event.get("bot_id") or event.get("subtype") not in PERSON_SUBTYPES:
            return
        channel, ts, thread_ts = (as_str(event.get(k)) for k in ("channel", "ts", "thread_ts"))
        user, text = as_str(event.get("user")), as_str(event.get("text")) or ""
        if not (channel and ts and thread_ts and user) or thread_ts == ts:
            return  # a top-level message in a channel is not for the bot unless it mentions it
        if bot_user_id and f"<@{bot_user_id}" in text:
            return  # a mention: app_mention answers it
        state = _state(client, channel, thread_ts, bot_user_id, bot_id)
        if state is None:
            return  # a thread the bot is not part of
        reply = conversation.follow_up(text, user, state)
        key = f"message:{channel}:{ts}"
        if reply is None or not step(lambda _: seen.claim(key)):
            return
        on_defer(lambda: seen.settle(key))
        done = Delivery(client, channel=channel, user_id=user, thread_ts=thread_ts).carry_out(reply)
        settle_or_release(seen, key, done)
        record = recorder(analytics, team=as_str(event.get("team")), user=user, slack_ids=key)
        step(lambda _: record(reply.events))

    @app.event("app_mention")
    def handle_app_mention(event: dict, client: WebClient, context) -> None:
        # Bolt acks the event when this returns: after the work (or the budget)
        background.run(answer, event, client, context.bot_user_id, context.bot_id)

    # every message event is acknowledged (an unhandled one would be a 404 that Slack retries)
    @app.event("message")
    def handle_message(event: dict, client: WebClient, context) -> None:
        if event.get("channel_type") == "im":
            background.run(answer, event, client, context.bot_user_id, context.bot_id)
        elif event.get("channel_type") in ("channel", "group") and event.get("thread_ts"):
            background.run(follow_up, event, client, context.bot_user_id, context.bot_id)
