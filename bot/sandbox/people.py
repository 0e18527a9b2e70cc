"""What a person does in Slack, turned into the signed, Slack-shaped requests Slack would send.

`SlackSide` plays Slack's half of a conversation: a person types `/usecase …`, writes a message
or clicks a button; it records what they wrote in the Workspace, builds the request body and
headers exactly as Slack does (form-encoded commands, `payload=` interactions, JSON events,
signed with the signing secret) and hands them to a `dispatch` function: the Bolt app
in-process, or an HTTP POST to a running server.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from bot import signing
from bot.sandbox.workspace import APP_ID, Message, Workspace

Dispatch = Callable[[bytes, dict[str, str]], tuple[int, str]]
COMMAND = "/usecase"


@dataclass(frozen=True)
class Sent:
    """What Slack got back from the app for one request."""

    status: int
    body: str

    def json(self) -> dict:
        return json.loads(self.body) if self.body else {}


class SlackSide:
    def __init__(self, workspace: Workspace, dispatch: Dispatch, signing_secret: str, response_base_url: str):
        self.workspace = workspace
        self.dispatch = dispatch
        self.signing_secret = signing_secret
        self.response_base_url = response_base_url.rstrip("/")
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ requests

    def signed(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Sent:
        headers = {
            **signing.signed_headers(self.signing_secret, body, content_type, timestamp=timestamp),
            **(extra_headers or {}),
        }
        status, text = self.dispatch(body, headers)
        return Sent(status, text)

    def command_body(self, channel: str, text: str, user: str | None = None) -> tuple[bytes, str]:
        user = user or self.workspace.human_id
        response_url = self.workspace.new_response_url(self.response_base_url, channel, user)
        channel_obj = self.workspace.channel(channel)
        form = {
            "token": "sandbox-verification-token",
            "team_id": self.workspace.team_id,
            "team_domain": "sandbox",
            "channel_id": channel,
            "channel_name": channel_obj.name if channel_obj else "unknown",
            "user_id": user,
            "user_name": self.workspace.users.get(user, user),
            "command": COMMAND,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self._trigger_id(),
        }
        return urlencode(form).encode(), "application/x-www-form-urlencoded"

    def _trigger_id(self) -> str:
        """Unique to each invocation, as Slack's are: the bot dedupes commands by it."""
        return f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(8)}"

    def slash(self, channel: str, text: str = "", user: str | None = None) -> Sent:
        """`/usecase text` typed in a channel; Slack shows the ack's body privately."""
        body, content_type = self.command_body(channel, text, user)
        sent = self.signed(body, content_type)
        self._show_ack(sent, channel)
        return sent

    def _show_ack(self, sent: Sent, channel: str) -> None:
        if sent.status != 200 or not sent.body:
            return
        try:
            answer = json.loads(sent.body)
        except ValueError:
            answer = {"text": sent.body}
        if not isinstance(answer, dict) or not (answer.get("text") or answer.get("blocks")):
            return
        public = answer.get("response_type") == "in_channel"
        self.workspace.post(
            channel,
            self.workspace.bot_user_id,
            str(answer.get("text") or ""),
            answer.get("blocks") or [],
            ephemeral=not public,
            as_bot=True,
        )

    def event_body(self, event: dict, event_id: str | None = None) -> bytes:
        envelope = {
            "token": "sandbox-verification-token",
            "team_id": self.workspace.team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}SANDBOX",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.workspace.team_id,
                    "user_id": self.workspace.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-sandbox-{next(self._ids)}",
        }
        return json.dumps(envelope).encode()

    def say(
        self, channel: str, text: str, *, thread_ts: str | None = None, user: str | None = None
    ) -> tuple[Message, Sent | None]:
        """A person writes a message. Slack tells the bot when it is mentioned or in a DM with it."""
        user = user or self.workspace.human_id
        text = self.with_mentions(text)
        message = self.workspace.post(channel, user, text, [], thread_ts=thread_ts)
        found = self.workspace.channel(channel)
        event = {
            "user": user,
            "text": text,
            "ts": message.ts,
            "channel": channel,
            "event_ts": message.ts,
            "team": self.workspace.team_id,
            "client_msg_id": f"sandbox-{next(self._ids)}",
        }
        if message.thread_ts:
            event["thread_ts"] = message.thread_ts
        if found and found.kind == "im":
            event.update(type="message", channel_type="im")
            return message, self.signed(self.event_body(event), "application/json")
        if not (found and self.workspace.bot_user_id in found.members):
            return message, None
        sent = None
        if f"<@{self.workspace.bot_user_id}>" in text:
            sent = self.signed(self.event_body({**event, "type": "app_mention"}), "application/json")
        if message.thread_ts:
            # message.channels / message.groups: Slack tells an app in the channel of every
            # message there; the sandbox sends those of threads (the only ones the bot reads)
            kind = "group" if found.kind == "group" else "channel"
            reply = self.signed(
                self.event_body({**event, "type": "message", "channel_type": kind}), "application/json"
            )
            sent = sent or reply
        return message, sent

    def with_mentions(self, text: str) -> str:
        """What Slack's composer sends for what a person typed: &, < and > escaped, "@name" as
        <@U…>, @channel / @here / @everyone as <!channel> …, and links as <https://…>."""
        text = _escape_outside_markup(text)
        for user_id, name in self.workspace.users.items():
            text = re.sub(rf"(?<![\w<])@{re.escape(name)}\b", f"<@{user_id}>", text)
        text = re.sub(r"(?<![\w<])@(channel|here|everyone)\b", r"<!\1>", text)
        return re.sub(r"(?<![<|\w])(https?://[^\s<>]+[^\s<>.,;:!?)\]'\"])", r"<\1>", text)

    def _interaction_common(self, user: str) -> dict:
        """The fields every interaction payload carries: who acted, the app, the token."""
        name = self.workspace.users.get(user, user)
        return {
            "user": {"id": user, "username": name, "name": name, "team_id": self.workspace.team_id},
            "api_app_id": APP_ID,
            "token": "sandbox-verification-token",
        }

    def click_body(
        self, message: Message, action: dict, user: str | None = None, state: dict | None = None
    ) -> bytes:
        user = user or self.workspace.human_id
        channel = self.workspace.channel(message.channel)
        container = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": message.ephemeral,
        }
        if message.thread_ts:
            container["thread_ts"] = message.thread_ts
        payload = {
            "type": "block_actions",
            **self._interaction_common(user),
            "container": container,
            "trigger_id": self._trigger_id(),
            "team": {"id": self.workspace.team_id, "domain": "sandbox"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": message.channel, "name": channel.name if channel else "unknown"},
            "state": state if isinstance(state, dict) else {"values": {}},
            "response_url": self.workspace.new_response_url(
                self.response_base_url,
                message.channel,
                user,
                thread_ts=message.thread_ts,
                original_ts=message.ts,
                original_ephemeral=message.ephemeral,
            ),
            "actions": [{"type": "button", **action, "action_ts": f"{time.time():.6f}"}],
        }
        if not message.ephemeral:
            payload["message"] = message.slack_shape()
        return b"payload=" + quote(json.dumps(payload)).encode()

    def click(
        self, message: Message, label_or_action: str, user: str | None = None, state: dict | None = None
    ) -> Sent:
        """Click the button whose text (or action_id) is `label_or_action` on `message`."""
        action = find_button(message.blocks, label_or_action)
        if action is None:
            raise LookupError(
                f"no button {label_or_action!r} on message {message.ts}: {buttons(message.blocks)}"
            )
        return self.click_action(message, action, user, state=state)

    def click_action(
        self, message: Message, action: dict, user: str | None = None, state: dict | None = None
    ) -> Sent:
        return self.signed(self.click_body(message, action, user, state), "application/x-www-form-urlencoded")

    def open_home(self, tab: str = "home", user: str | None = None) -> Sent:
        """A person opens the app's Home (or Messages) tab: the app_home_opened event."""
        user = user or self.workspace.human_id
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.workspace.dm_with(user).id,
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
        if tab == "home" and user in self.workspace.views:
            event["view"] = self.workspace.views[user]
        return self.signed(self.event_body(event), "application/json")

    def click_view_body(self, action: dict, user: str | None = None) -> bytes:
        """A button on the person's Home tab, as Slack sends it: a view, and no channel."""
        user = user or self.workspace.human_id
        view = self.workspace.views.get(user) or {"id": "V0NONE", "type": "home", "blocks": []}
        payload = {
            "type": "block_actions",
            **self._interaction_common(user),
            "container": {"type": "view", "view_id": view.get("id")},
            "trigger_id": self._trigger_id(),
            "team": {"id": self.workspace.team_id, "domain": "sandbox"},
            "enterprise": None,
            "is_enterprise_install": False,
            "view": view,
            "state": {"values": {}},
            "actions": [{**action, "type": "button", "action_ts": f"{time.time():.6f}"}],
        }
        return b"payload=" + quote(json.dumps(payload)).encode()

    def click_home(self, label_or_action: str, user: str | None = None) -> Sent:
        """Click the button whose text, action_id or accessibility label this is on the Home tab."""
        user = user or self.workspace.human_id
        blocks = (self.workspace.views.get(user) or {}).get("blocks") or []
        action = find_button(blocks, label_or_action)
        if action is None:
            raise LookupError(f"no button {label_or_action!r} on the Home tab: {buttons(blocks)}")
        return self.click_view_action(action, user)

    def click_view_action(self, action: dict, user: str | None = None) -> Sent:
        return self.signed(self.click_view_body(action, user), "application/x-www-form-urlencoded")

    def start_assistant_thread(
        self, user: str | None = None, context_channel: str | None = None
    ) -> tuple[Message, Sent]:
        """A person opens the app's Messages tab as an assistant: Slack starts a thread in their
        DM with the app (its root is Slack's, not the person's) and tells the app."""
        user = user or self.workspace.human_id
        dm = self.workspace.dm_with(user)
        root = self.workspace.post(
            dm.id, self.workspace.bot_user_id, "New chat", [], as_bot=True, subtype="assistant_app_thread"
        )
        context = {"team_id": self.workspace.team_id, "enterprise_id": None}
        if context_channel:
            context["channel_id"] = context_channel
        event = {
            "type": "assistant_thread_started",
            "assistant_thread": {
                "user_id": user,
                "context": context,
                "channel_id": dm.id,
                "thread_ts": root.ts,
            },
            "event_ts": f"{time.time():.6f}",
        }
        return root, self.signed(self.event_body(event), "application/json")

    def app_uninstalled(self) -> Sent:
        """Someone removed the app from the workspace: Slack sends app_uninstalled (and, with
        it, tokens_revoked for the bot's token)."""
        return self.signed(
            self.event_body({"type": "app_uninstalled", "event_ts": f"{time.time():.6f}"}), "application/json"
        )

    def tokens_revoked(self, bot: bool = True, users: tuple[str, ...] = ()) -> Sent:
        event = {
            "type": "tokens_revoked",
            "tokens": {"oauth": list(users), "bot": [self.workspace.bot_user_id] if bot else []},
            "event_ts": f"{time.time():.6f}",
        }
        return self.signed(self.event_body(event), "application/json")

    def shortcut_body(self, message: Message, callback_id: str, user: str | None = None) -> bytes:
        user = user or self.workspace.human_id
        channel = self.workspace.channel(message.channel)
        shown = message.slack_shape()
        if not message.blocks:  # a person's plain message has no blocks here
            shown.pop("blocks")
        payload = {
            "type": "message_action",
            "token": "sandbox-verification-token",
            "action_ts": f"{time.time():.6f}",
            "team": {"id": self.workspace.team_id, "domain": "sandbox"},
            "user": {
                "id": user,
                "name": self.workspace.users.get(user, user),
                "username": self.workspace.users.get(user, user),
                "team_id": self.workspace.team_id,
            },
            "channel": {"id": message.channel, "name": channel.name if channel else "unknown"},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self._trigger_id(),
            # the answer shows where the person is looking: in the thread, for a reply
            "response_url": self.workspace.new_response_url(
                self.response_base_url, message.channel, user, thread_ts=message.thread_ts
            ),
            "message_ts": message.ts,
            "message": shown,
        }
        return b"payload=" + quote(json.dumps(payload)).encode()

    def shortcut(self, message: Message, callback_id: str, user: str | None = None) -> Sent:
        """A person runs the app's message shortcut from the message's "More actions" menu."""
        return self.signed(
            self.shortcut_body(message, callback_id, user), "application/x-www-form-urlencoded"
        )


_MARKUP = re.compile(r"(<(?:[@#!][^<>\s]*|https?://[^<>\s]+|mailto:[^<>\s]+)>|&(?:amp|lt|gt);)")


def _escape_outside_markup(text: str) -> str:
    """&, < and > escaped as Slack escapes typed text, except in mentions and links already
    written as Slack markup (as the composer's pickers insert them) and entities."""
    parts = _MARKUP.split(text)
    return "".join(
        part if i % 2 else part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for i, part in enumerate(parts)
    )

    # ------------------------------------------------------------------ the App Home, shortcuts


def buttons(blocks: list) -> list[dict]:
    """Every button of a message, as {action_id, block_id, value, text, url}."""
    found = []
    for block in blocks or []:
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button":
                found.append(
                    {
                        "action_id": element.get("action_id"),
                        "block_id": block.get("block_id") or "",
                        "value": element.get("value"),
                        "text": (element.get("text") or {}).get("text", ""),
                        "url": element.get("url"),
                        "accessibility_label": element.get("accessibility_label"),
                    }
                )
    return found


def find_button(blocks: list, label_or_action: str) -> dict | None:
    for b in buttons(blocks):
        if label_or_action in (b["text"], b["action_id"], b["accessibility_label"]):
            return {k: b[k] for k in ("action_id", "block_id", "value") if b[k] is not None} | {
                "text": {"type": "plain_text", "text": b["text"]}
            }
    return None
