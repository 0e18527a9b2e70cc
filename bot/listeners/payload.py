"""Reading Slack payloads defensively: a field of the wrong JSON type reads as absent; a body
Bolt itself cannot read (a field it routes by of the wrong type) is refused before it gets there."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.bounded import nested_within

log = logging.getLogger("usecase_bot")


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def as_str(value) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class ClickPayload:
    """One button press as a `block_actions` payload tells it, read once."""

    action_id: str
    value: object
    channel: str | None
    user_id: str | None
    ts: str | None  # the clicked message
    thread_ts: str | None  # the conversation's thread (the clicked message roots one)
    ephemeral: bool
    response_url: str | None
    blocks: list | None  # the clicked message's blocks, as Slack sent them
    trigger_id: str | None = None  # opens a modal
    selected: tuple[str, ...] = ()  # the values of the options ticked in the message's checkboxes
    picked_channel: str | None = None  # the conversation chosen in a conversations_select
    team_id: str | None = None
    action_ts: str | None = None  # Slack's id of this press (a retry repeats it)

    @property
    def in_dm(self) -> bool:
        return bool(self.channel and self.channel.startswith("D"))

    @classmethod
    def read(cls, body: dict, action: dict, context) -> ClickPayload:
        """`context` is Bolt's: its channel id is read from the same body."""
        container, message = as_dict(body.get("container")), as_dict(body.get("message"))
        ephemeral = container.get("is_ephemeral") is True
        ts = as_str(container.get("message_ts")) or as_str(message.get("ts"))
        thread_ts = as_str(container.get("thread_ts")) or as_str(message.get("thread_ts"))
        blocks = message.get("blocks")
        channel = as_str(context.channel_id) or as_str(container.get("channel_id"))
        in_dm = bool(channel and channel.startswith("D"))
        return cls(
            action_id=as_str(action.get("action_id")) or "",
            value=_value(action),
            channel=channel,
            # the clicker: Bolt's context.user_id falls back to the message's author when the
            # payload's user is missing, so it is read from the payload itself
            user_id=as_str(as_dict(body.get("user")).get("id")),
            ts=ts,
            # a step answered in a channel continues in the thread the clicked message roots; in
            # a DM the conversation stays at the top level, as DMs read
            thread_ts=thread_ts or (None if ephemeral or in_dm else ts),
            ephemeral=ephemeral,
            response_url=as_str(body.get("response_url")),
            blocks=blocks if isinstance(blocks, list) else None,
            trigger_id=as_str(body.get("trigger_id")),
            selected=_ticked(as_dict(as_dict(body.get("state")).get("values"))),
            picked_channel=as_str(action.get("selected_conversation")),
            team_id=as_str(context.team_id),
            action_ts=as_str(action.get("action_ts")),
        )


def _value(action: dict):
    """A button's value, a menu's chosen option's value, or (a conversations_select has no
    value) the state the bot put in its block_id."""
    if action.get("type") == "static_select":
        return as_dict(action.get("selected_option")).get("value")
    if action.get("type") == "conversations_select":
        return action.get("block_id")
    return action.get("value")


def _ticked(values: dict) -> tuple[str, ...]:
    """The values of the checked options of every checkboxes element in a message's state."""
    found = []
    for elements in values.values():
        for element in as_dict(elements).values():
            element = as_dict(element)
            if element.get("type") != "checkboxes" or not isinstance(element.get("selected_options"), list):
                continue
            found += [as_str(as_dict(o).get("value")) for o in element["selected_options"]]
    return tuple(v for v in found if v)


# --------------------------------------------------------------------------- malformed requests

# Interactions Bolt routes by a callback_id at the top of the payload (Slack's payload shapes:
# https://docs.slack.dev/reference/interaction-payloads)
_BY_CALLBACK_ID = (
    "shortcut",
    "message_action",
    "interactive_message",
    "dialog_submission",
    "dialog_cancellation",
    "dialog_suggestion",
    "workflow_step_edit",
)
_WHO_AND_WHERE = ("team", "user", "channel", "enterprise")  # an object, or an id (events), or null


def malformed(body) -> str | None:
    """Why a parsed, signed request body is not one Slack sends, or None when it could be one.

    Only what Bolt itself reads before any listener of ours runs is checked (its routing:
    `type`, `command`, `event`, `actions`, `callback_id`, `view`; its context: who and where,
    `authorizations`): a field there of the wrong JSON type would raise inside Bolt and log a
    traceback. Everything a listener reads it reads defensively (as_dict, as_str), so a junk
    `message`, `container` or `state` still reaches the listener, whose reply says the prompt
    expired."""
    if not isinstance(body, dict):
        return "not a JSON object"
    kind = body.get("type")
    if kind is None:
        if isinstance(body.get("command"), str) or "ssl_check" in body:
            return None  # a slash command, or Slack's SSL check (form fields, all strings)
        return "no type" if "command" not in body else "command is not a string"
    if not isinstance(kind, str):
        return "type is not a string"
    for key in _WHO_AND_WHERE:
        if not isinstance(body.get(key), (dict, str, type(None))):
            return f"{key} is neither an object nor an id"
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        return "authorizations is not a list of objects"
    if "event" in body or kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event is not an object with a type"
        if not all(isinstance(event.get(k), (dict, type(None))) for k in ("message", "previous_message")):
            return "event's message is not an object"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions is not a list of actions"
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "an action is not an object with an action_id"
    elif kind == "block_suggestion" and not isinstance(body.get("action_id"), str):
        return "action_id is not a string"
    elif kind in _BY_CALLBACK_ID and not isinstance(body.get("callback_id"), str):
        return "callback_id is not a string"
    elif kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not (isinstance(view, dict) and isinstance(view.get("callback_id"), str)):
            return "view is not an object with a callback_id"
        if not isinstance(view.get("type"), str):
            return "view has no type"
    if kind == "interactive_message" and not (
        isinstance(body.get("actions"), list) and all(isinstance(a, dict) for a in body["actions"])
    ):
        return "actions is not a list of objects"
    if kind == "workflow_step_edit" and not isinstance(body.get("workflow_step"), dict):
        return "workflow_step is not an object"
    return None


class RefuseMalformed(Middleware):
    """Bolt's first middleware after the signature check (App's `before_authorize`): a body that
    is not one Slack sends (see `malformed`; in Socket Mode also one nested deeper than Slack's
    shapes, bot.bounded) is answered 400 at once, with one line in the log, instead of raising
    inside Bolt. In HTTP mode bot.web refuses these before Bolt; this is the same gate for
    Socket Mode, whose envelopes reach the app already parsed."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]):  # noqa: A002 - Bolt's name
        problem = malformed(req.body)
        if problem is None and req.mode == "socket_mode" and not nested_within(req.body):
            problem = "nested too deep"
        if problem is None:
            return next()
        log.warning("malformed request refused: %s", problem)
        return BoltResponse(status=400, body={"error": "malformed request"})
