"""The App Home's two tabs: the Home tab (views.publish) and the Messages tab's suggested prompts.

Thin glue, like the other listeners: ack (Bolt acks events itself), ask the conversation,
deliver. A Home click has no channel of its own, so what it starts is posted in the person's
DM with the bot (conversations.open), and the Home view is published again saying so.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import action_ids, blocks, home
from bot.analytics import recorder
from bot.blocks import Message
from bot.conversation import Conversation
from bot.dedupe import SeenOnce
from bot.listeners.background import step
from bot.listeners.delivery import Delivery, try_call
from bot.listeners.payload import as_dict, as_str

log = logging.getLogger("usecase_bot")

# the Home tab's buttons (usecase.homegoal, .homepick, .homepage); registered before the
# listener of every other button, since Bolt runs the first listener that matches
HOME_ACTIONS = re.compile("^" + re.escape(action_ids.PREFIX) + "home[a-z]*(\\.|$)")


@dataclass(frozen=True)
class HomeClick:
    action_id: str
    value: object
    user_id: str | None
    page: int  # the page of the catalog the Home view showed
    team_id: str | None = None
    action_ts: str | None = None

    @classmethod
    def read(cls, body: dict, action: dict, context) -> HomeClick:
        return cls(
            action_id=as_str(action.get("action_id")) or "",
            value=action.get("value"),
            user_id=as_str(context.user_id),
            page=home.page_of(as_dict(body.get("view")).get("private_metadata")),
            team_id=as_str(context.team_id),
            action_ts=as_str(action.get("action_ts")),
        )


def register(
    app: App, conversation: Conversation, seen: SeenOnce, background, analytics=None, insights=None
) -> None:
    """`insights(client, team_id, user_id)`: the team's insights when the person is an admin."""

    @app.event("app_home_opened")
    def handle_app_home_opened(event: dict, body: dict, client: WebClient) -> None:
        user = as_str(event.get("user"))
        if event.get("tab") == "home" and user:  # the Messages tab is answered message by message
            background.run(open_home, client, as_str(body.get("team_id")), user)

    def open_home(client: WebClient, team_id: str | None, user: str) -> None:
        found = insights(client, team_id, user) if insights is not None else None
        publish(client, user, conversation.home(user, insights=found))

    @app.event("assistant_thread_started")
    def handle_assistant_thread_started(event: dict, client: WebClient) -> None:
        thread = as_dict(event.get("assistant_thread"))
        channel, thread_ts = as_str(thread.get("channel_id")), as_str(thread.get("thread_ts"))
        if channel and thread_ts:
            title, prompts = conversation.suggested_prompts()
            background.run(
                _call,
                "assistant.threads.setSuggestedPrompts",
                client.assistant_threads_setSuggestedPrompts,
                channel_id=channel,
                thread_ts=thread_ts,
                title=title,
                prompts=prompts,
            )

    @app.action(HOME_ACTIONS)
    def handle_home_click(
        ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient
    ) -> None:
        ack()
        background.run(answer_home_click, HomeClick.read(body, action, context), client)

    def answer_home_click(click: HomeClick, client: WebClient) -> None:
        if not click.user_id:
            return
        reply = conversation.home_click(click.action_id, click.value, click.user_id, page=click.page)
        view = reply.view
        if reply.dm is not None and not in_direct_message(client, click.user_id, reply, seen):
            view = conversation.home(click.user_id, click.page, notice=blocks.FAILED)
        if view is not None:
            publish(client, click.user_id, view)
        record = recorder(
            analytics,
            team=click.team_id,
            user=click.user_id,
            slack_ids=f"home:{click.user_id}:{click.action_ts}",
        )
        step(lambda _: record(reply.events))  # once, also when the job is replayed


def in_direct_message(client: WebClient, user_id: str, reply, seen: SeenOnce) -> bool:
    """Post the reply's message in the person's DM with the bot, then carry out what follows
    in its thread; False when Slack took neither the DM nor the message."""
    opened = _call("conversations.open", client.conversations_open, users=user_id)
    channel = as_str(as_dict(opened.get("channel")).get("id")) if opened else None
    if not channel:
        return False
    ts = post_root(client, channel, reply.dm)
    if ts is None:
        return False
    if reply.then is not None:
        if reply.then.once:  # its buttons count as pressed: a click on them now is "already answered"
            key = f"click:{reply.then.once}:{channel}:{ts}"
            step(lambda _: seen.first(key))
        Delivery(client, channel=channel, user_id=user_id, thread_ts=ts, clicked_ts=ts).carry_out(reply.then)
    return True


def post_root(client: WebClient, channel: str, message: Message) -> str | None:
    answer = _call(
        "chat.postMessage",
        client.chat_postMessage,
        channel=channel,
        unfurl_links=False,
        unfurl_media=False,
        **message.as_kwargs(),
    )
    return as_str(answer.get("ts")) if answer else None


def publish(client: WebClient, user_id: str, view: dict) -> None:
    _call("views.publish", client.views_publish, user_id=user_id, view=view)


def _call(method: str, call, **arguments) -> dict | None:
    """A Web API call, once per job and tried again on a timer while it may still work (as
    Delivery's); its answer, or None (logged) when it failed."""

    def attempt(number: int):
        ok, error, answer = try_call(method, call, arguments, number)
        if not ok:
            log.warning("Slack API call failed: method=%s error=%s", method, error)
        return answer or {} if ok else None

    return step(attempt)
