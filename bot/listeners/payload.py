"""Reading Slack payloads defensively: a field of the wrong JSON type reads as absent."""

from __future__ import annotations

from dataclasses import dataclass


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
