"""An in-memory Slack workspace: channels, messages, threads, ephemeral messages, response_urls.

It is what Slack keeps for the bot's conversations, with the answers Slack's Web API gives
(channel_not_found, not_in_channel, message_not_found …). The sandbox shows it in a page;
tests use it as the local fake Web API and read what a person would see.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field

TEAM_ID = "T0G9PQBBK"
APP_ID = "A0KRD7HC3"
BOT_USER_ID = "U0BOT1234"
BOT_ID = "B0BOT1234"
HUMAN_ID = "U061F7AUR"
CHANNEL_ID = "C0LAN2Q65"
DM_ID = "D0LAN0Z89"

RESPONSE_URL_USES = 5  # Slack allows five uses of a response_url
SUBSCRIBER_QUEUE_MAX = 1000
PROMPTS_MAX = 4  # assistant.threads.setSuggestedPrompts takes four prompts at most
HOME_BLOCKS_MAX = 100
VIEW_BYTES_MAX = 250_000  # views.publish answers view_too_large above this

# The app's message shortcuts, as its manifest declares them (Slack lists them in a message's
# "More actions" menu); tests/test_manifest.py keeps this and manifest.yml the same.
APP_SHORTCUTS = ({"type": "message", "callback_id": "find_use_case", "name": "Find a Segment use case"},)


class WebApiError(Exception):
    """What Slack answers with {"ok": false, "error": ...}."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


@dataclass
class Channel:
    id: str
    name: str
    kind: str  # "channel" | "im"
    members: set[str] = field(default_factory=set)


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str
    blocks: list
    thread_ts: str | None = None
    ephemeral: bool = False
    edited: bool = False
    bot_id: str | None = None
    subtype: str | None = None  # "assistant_app_thread": the root of an assistant thread
    files: list = field(default_factory=list)  # [{id, name, title, content}] shared with the message
    metadata: dict | None = None  # Slack message metadata {event_type, event_payload}, as posted

    def to_json(self) -> dict:
        return {
            "channel": self.channel,
            "ts": self.ts,
            "thread_ts": self.thread_ts,
            "user": self.user,
            "text": self.text,
            "blocks": self.blocks,
            "ephemeral": self.ephemeral,
            "edited": self.edited,
            "subtype": self.subtype,
            "files": self.files,
        }

    def slack_shape(self) -> dict:
        """The message as Slack puts it in a block_actions payload."""
        shape = {
            "type": "message",
            "user": self.user,
            "ts": self.ts,
            "text": self.text,
            "blocks": self.blocks,
            "team": TEAM_ID,
        }
        if self.bot_id:
            shape["bot_id"] = self.bot_id
        if self.thread_ts:
            shape["thread_ts"] = self.thread_ts
        if self.subtype:
            shape["subtype"] = self.subtype
        if self.files:
            shape["files"] = self.files
        return shape

    def replies_shape(self, with_metadata: bool) -> dict:
        """The message as conversations.replies lists it (metadata only when asked for)."""
        shape = self.slack_shape()
        if with_metadata and self.metadata is not None:
            shape["metadata"] = self.metadata
        return shape


@dataclass
class ResponseUrl:
    channel: str
    user: str
    thread_ts: str | None
    original_ts: str | None  # the message a click came from (replace_original replaces it)
    original_ephemeral: bool
    uses: int = 0


class Workspace:
    def __init__(self) -> None:
        self.team_id = TEAM_ID
        self.bot_user_id = BOT_USER_ID
        self.bot_id = BOT_ID
        self.human_id = HUMAN_ID
        self.users = {HUMAN_ID: "you", BOT_USER_ID: "usecase-bot"}
        self.admins: set[str] = set()  # workspace admins and owners, as users.info says
        self.channels: dict[str, Channel] = {
            CHANNEL_ID: Channel(CHANNEL_ID, "general", "channel", {HUMAN_ID, BOT_USER_ID}),
            DM_ID: Channel(DM_ID, "usecase-bot", "im", {HUMAN_ID, BOT_USER_ID}),
        }
        self.messages: list[Message] = []
        self.views: dict[str, dict] = {}  # user id -> the Home view the app published for them
        self.prompts: dict[tuple[str, str], dict] = {}  # (channel, thread_ts) -> {title, prompts}
        self.shortcuts = [dict(s) for s in APP_SHORTCUTS]
        self.calls: list[tuple[str, dict]] = []  # every Web API call and response_url use
        self._response_urls: dict[str, ResponseUrl] = {}
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._subscribers: list[queue.Queue] = []
        self._last_ts = 0.0
        self._ts_lock = threading.Lock()

    # ------------------------------------------------------------------ reading

    def channel(self, channel_id: str) -> Channel | None:
        return self.channels.get(channel_id)

    def add_channel(
        self, channel_id: str, name: str, *, kind: str = "channel", members: set[str] | None = None
    ) -> Channel:
        with self._lock:
            channel = Channel(channel_id, name, kind, set(members or {self.human_id}))
            self.channels[channel_id] = channel
            return channel

    def dm_with(self, user: str) -> Channel:
        """The DM between a person and the bot (opened when there is none yet)."""
        with self._lock:
            for channel in self.channels.values():
                if channel.kind == "im" and channel.members == {user, self.bot_user_id}:
                    return channel
            channel_id = "D0" + format(len(self.channels) + 1, "07d")
            channel = Channel(
                channel_id, self.users.get(self.bot_user_id, "bot"), "im", {user, self.bot_user_id}
            )
            self.channels[channel_id] = channel
            self._notify({"type": "reset"})
            return channel

    def find(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        with self._lock:
            return [
                m
                for m in self.messages
                if m.channel == channel and (m.ts == thread_ts or m.thread_ts == thread_ts)
            ]

    def snapshot(self) -> list[Message]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, predicate, timeout: float = 5.0):
        """Wait until predicate(workspace) is truthy; return its value (None on time-out)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)

    # ------------------------------------------------------------------ what Slack does

    def next_ts(self) -> str:
        # the time of posting, as Slack's ts is, kept unique and increasing (a clock that steps
        # back or two posts in one microsecond still give distinct, ordered ts)
        with self._ts_lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def post(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: list | None = None,
        *,
        thread_ts: str | None = None,
        ephemeral: bool = False,
        as_bot: bool = False,
        subtype: str | None = None,
        files: list | None = None,
        metadata: dict | None = None,
    ) -> Message:
        with self._lock:
            if channel not in self.channels:
                raise WebApiError("channel_not_found")
            if thread_ts and not ephemeral:
                root = self.find(channel, thread_ts)
                if root is not None and root.thread_ts and root.thread_ts != root.ts:
                    thread_ts = root.thread_ts  # a reply to a reply goes to the thread's root
                elif root is None:
                    thread_ts = None  # Slack posts to the channel when thread_ts matches nothing
            message = Message(
                channel=channel,
                ts=self.next_ts(),
                user=user,
                text=text,
                blocks=list(blocks or []),
                thread_ts=thread_ts,
                ephemeral=ephemeral,
                bot_id=self.bot_id if as_bot else None,
                subtype=subtype,
                files=list(files or []),
                metadata=metadata,
            )
            self.messages.append(message)
            self._notify({"type": "message", "message": message.to_json()})
            return message

    def update(
        self, channel: str, ts: str, text: str, blocks: list | None, metadata: dict | None = None
    ) -> Message:
        with self._lock:
            message = self.find(channel, ts)
            if message is None:
                raise WebApiError("message_not_found")
            message.text = text
            message.blocks = list(blocks or [])
            if metadata is not None:
                message.metadata = metadata
            message.edited = not message.ephemeral
            self._notify({"type": "message", "message": message.to_json()})
            return message

    def delete(self, channel: str, ts: str) -> None:
        with self._lock:
            self.messages = [m for m in self.messages if not (m.channel == channel and m.ts == ts)]
            self._notify({"type": "delete", "channel": channel, "ts": ts})

    def publish_view(self, user: str, view: dict) -> dict:
        """views.publish: the Home tab `user` sees from now on."""
        with self._lock:
            if user not in self.users:
                raise WebApiError("user_not_found")
            blocks = view.get("blocks") if isinstance(view, dict) else None
            if view.get("type") != "home" or not isinstance(blocks, list) or len(blocks) > HOME_BLOCKS_MAX:
                raise WebApiError("invalid_arguments")
            if len(json.dumps(view, ensure_ascii=False).encode("utf-8")) > VIEW_BYTES_MAX:
                raise WebApiError("view_too_large")
            published = {
                **view,
                "id": f"V0HOME{user[-4:]}",
                "team_id": self.team_id,
                "hash": f"{time.time():.6f}.sandbox",
                "app_id": APP_ID,
                "bot_id": self.bot_id,
            }
            self.views[user] = published
            self._notify({"type": "view", "user": user, "view": published})
            return published

    def set_prompts(self, channel: str, thread_ts: str, title: str | None, prompts: list) -> None:
        """assistant.threads.setSuggestedPrompts: the prompts shown in an assistant thread."""
        with self._lock:
            if channel not in self.channels or self.channels[channel].kind != "im":
                raise WebApiError("channel_not_found")
            if self.find(channel, thread_ts) is None:
                raise WebApiError("invalid_thread_ts")
            if not (
                isinstance(prompts, list)
                and 0 < len(prompts) <= PROMPTS_MAX
                and all(
                    isinstance(p, dict)
                    and isinstance(p.get("title"), str)
                    and p["title"]
                    and isinstance(p.get("message"), str)
                    and p["message"]
                    for p in prompts
                )
            ):
                raise WebApiError("invalid_arguments")
            shown = {
                "title": title or "",
                "prompts": [{"title": p["title"], "message": p["message"]} for p in prompts],
            }
            self.prompts[(channel, thread_ts)] = shown
            self._notify({"type": "prompts", "channel": channel, "thread_ts": thread_ts, **shown})

    def new_response_url(
        self,
        base_url: str,
        channel: str,
        user: str,
        *,
        thread_ts: str | None = None,
        original_ts: str | None = None,
        original_ephemeral: bool = False,
    ) -> str:
        token = secrets.token_urlsafe(12)
        with self._lock:
            self._response_urls[token] = ResponseUrl(
                channel, user, thread_ts, original_ts, original_ephemeral
            )
        return f"{base_url}/response/{token}"

    def respond(self, token: str, body: dict) -> None:
        """A POST to a response_url, as Slack treats it."""
        with self._lock:
            target = self._response_urls.get(token)
            if target is None:
                raise WebApiError("invalid_url")
            if target.uses >= RESPONSE_URL_USES:
                raise WebApiError("used_url")
            target.uses += 1
            self.calls.append(("response_url", body))
            text, blocks = str(body.get("text") or ""), body.get("blocks") or []
            if body.get("delete_original") and target.original_ts:
                self.delete(target.channel, target.original_ts)
                return
            if body.get("replace_original") and target.original_ts:
                self.update(target.channel, target.original_ts, text, blocks)
                return
            public = body.get("response_type") == "in_channel"
            self.post(
                target.channel,
                self.bot_user_id,
                text,
                blocks,
                as_bot=True,
                thread_ts=body.get("thread_ts") or target.thread_ts,
                ephemeral=not public,
            )

    # ------------------------------------------------------------------ change feed (the page)

    def subscribe(self) -> queue.Queue:
        feed: queue.Queue = queue.Queue(maxsize=SUBSCRIBER_QUEUE_MAX)
        with self._lock:
            self._subscribers.append(feed)
        return feed

    def unsubscribe(self, feed: queue.Queue) -> None:
        with self._lock:
            if feed in self._subscribers:
                self._subscribers.remove(feed)

    def _notify(self, change: dict) -> None:
        for feed in list(self._subscribers):
            try:
                feed.put_nowait(change)
            except queue.Full:  # a page that stopped reading: drop it, it reloads on reconnect
                self.unsubscribe(feed)
        self._changed.notify_all()

    def state(self) -> dict:
        with self._lock:
            return {
                "team": {"id": self.team_id, "name": "Sandbox"},
                "me": {"id": self.human_id, "name": self.users[self.human_id]},
                "bot": {"id": self.bot_user_id, "name": self.users[self.bot_user_id]},
                "users": dict(self.users),
                "channels": [{"id": c.id, "name": c.name, "kind": c.kind} for c in self.channels.values()],
                "messages": [m.to_json() for m in self.messages],
                "home": self.views.get(self.human_id),
                "prompts": [
                    {"channel": c, "thread_ts": t, **shown} for (c, t), shown in self.prompts.items()
                ],
                "shortcuts": [dict(s) for s in self.shortcuts],
            }
