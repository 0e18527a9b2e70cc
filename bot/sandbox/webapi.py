"""Slack's Web API, played by the sandbox: the methods the bot calls, answered from a Workspace.

`FakeWebApi.call` takes a method name and its arguments and returns Slack's JSON answer (or
raises `Fault` for an HTTP-level failure a test asked for). Faults can be queued to rehearse
rate limits, server errors and API errors.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs

from bot.sandbox.workspace import WebApiError, Workspace


@dataclass
class Fault:
    """An injected failure for one method: an HTTP status, or an API error with HTTP 200."""

    method: str
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    times: int = 1


class FakeWebApi:
    def __init__(self, workspace: Workspace, token_prefix: str = "xoxb-"):
        self.workspace = workspace
        self.token_prefix = token_prefix
        self.socket_url: str | None = None  # apps.connections.open answers this
        self.upload_base: str = "http://127.0.0.1/upload/"  # files.getUploadURLExternal's URLs
        self.uploads: dict[str, dict] = {}  # file id -> {name, content}: uploaded, not yet shared
        self._file_ids = itertools.count(1)
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        with self._lock:
            self._faults.append(Fault(method, status, error, retry_after, times))

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def handle(
        self, method: str, body: bytes, content_type: str, authorization: str
    ) -> tuple[int, dict, dict]:
        """(HTTP status, headers, JSON body) for one Web API request."""
        params = parse_params(body, content_type)
        self.workspace.calls.append((method, params))
        fault = self._take_fault(method)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            if fault.status != 200:
                return fault.status, headers, {"ok": False, "error": fault.error or "fault"}
            return 200, headers, {"ok": False, "error": fault.error or "fault"}
        token = authorization.removeprefix("Bearer ").strip()
        if method != "api.test" and not token.startswith((self.token_prefix, "xapp-")):
            return 200, {}, {"ok": False, "error": "not_authed"}
        try:
            return 200, {}, {"ok": True, **self.call(method, params)}
        except WebApiError as exc:
            return 200, {}, {"ok": False, "error": exc.error}

    def call(self, method: str, p: dict) -> dict:
        ws = self.workspace
        if method == "auth.test":
            return {
                "url": "https://sandbox.slack.local/",
                "team": "Sandbox",
                "user": "usecase-bot",
                "team_id": ws.team_id,
                "user_id": ws.bot_user_id,
                "bot_id": ws.bot_id,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            channel = self._member_channel(p)
            message = ws.post(
                channel,
                ws.bot_user_id,
                _text(p),
                _blocks(p),
                thread_ts=p.get("thread_ts") or None,
                as_bot=True,
                metadata=_metadata(p),
            )
            return {"channel": channel, "ts": message.ts, "message": message.slack_shape()}
        if method == "chat.update":
            channel, ts = str(p.get("channel") or ""), str(p.get("ts") or "")
            message = ws.find(channel, ts)
            if message is None:
                raise WebApiError("message_not_found")
            if message.user != ws.bot_user_id:
                raise WebApiError("cant_update_message")
            ws.update(channel, ts, _text(p), _blocks(p), _metadata(p))
            return {"channel": channel, "ts": ts, "text": _text(p)}
        if method == "conversations.replies":
            return self._replies(p)
        if method == "chat.postEphemeral":
            channel = self._member_channel(p)
            user = str(p.get("user") or "")
            if user not in ws.channels[channel].members:
                raise WebApiError("user_not_in_channel")
            message = ws.post(
                channel,
                ws.bot_user_id,
                _text(p),
                _blocks(p),
                ephemeral=True,
                thread_ts=p.get("thread_ts") or None,
                as_bot=True,
            )
            return {"message_ts": message.ts}
        if method == "chat.getPermalink":
            channel, ts = str(p.get("channel") or ""), str(p.get("message_ts") or "")
            if ws.find(channel, ts) is None:
                raise WebApiError("message_not_found")
            return {
                "channel": channel,
                "permalink": f"https://sandbox.slack.local/archives/{channel}/p{ts.replace('.', '')}",
            }
        if method == "views.publish":
            view = _json_arg(p.get("view"))
            if not isinstance(view, dict):
                raise WebApiError("invalid_arguments")
            return {"view": ws.publish_view(str(p.get("user_id") or ""), view)}
        if method == "conversations.open":
            users = [u for u in str(p.get("users") or "").split(",") if u]
            if not users:
                raise WebApiError("users_list_not_supplied")
            if len(users) > 1:
                raise WebApiError("not_supported")  # group DMs: the bot never opens one
            if users[0] not in ws.users or users[0] == ws.bot_user_id:
                raise WebApiError("user_not_found")
            return {"channel": {"id": ws.dm_with(users[0]).id}}
        if method == "assistant.threads.setSuggestedPrompts":
            ws.set_prompts(
                str(p.get("channel_id") or ""),
                str(p.get("thread_ts") or ""),
                p.get("title") if isinstance(p.get("title"), str) else None,
                _json_arg(p.get("prompts")),
            )
            return {}
        if method == "views.open":
            if not p.get("trigger_id"):
                raise WebApiError("invalid_trigger_id")
            return {"view": _json_arg(p.get("view"))}
        if method == "files.getUploadURLExternal":
            if not p.get("filename") or not str(p.get("length") or "").isdigit():
                raise WebApiError("invalid_arguments")
            file_id = f"F{next(self._file_ids):08d}"
            with self._lock:
                self.uploads[file_id] = {"name": str(p["filename"]), "content": None}
            return {"upload_url": self.upload_base + file_id, "file_id": file_id}
        if method == "files.completeUploadExternal":
            return self._complete_upload(p)
        if method == "apps.connections.open":
            if not self.socket_url:
                raise WebApiError("not_allowed_token_type")
            return {"url": self.socket_url}
        raise WebApiError("unknown_method")

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """The bytes POSTed to an upload URL; False for a URL this API never gave out."""
        with self._lock:
            if file_id not in self.uploads:
                return False
            self.uploads[file_id]["content"] = content.decode("utf-8", "replace")
            return True

    def _complete_upload(self, p: dict) -> dict:
        listed = _json_arg(p.get("files"))
        if not isinstance(listed, list) or not listed:
            raise WebApiError("invalid_arguments")
        files = []
        with self._lock:
            for item in listed:
                upload = self.uploads.get(str(item.get("id"))) if isinstance(item, dict) else None
                if upload is None or upload["content"] is None:
                    raise WebApiError("file_not_found")
                files.append(
                    {
                        "id": item["id"],
                        "name": upload["name"],
                        "title": str(item.get("title") or upload["name"]),
                        "content": upload["content"],
                    }
                )
        if p.get("channel_id"):
            channel = self._member_channel({"channel": p["channel_id"]})
            self.workspace.post(
                channel,
                self.workspace.bot_user_id,
                str(p.get("initial_comment") or ""),
                thread_ts=p.get("thread_ts") or None,
                as_bot=True,
                files=files,
            )
        return {"files": [{k: f[k] for k in ("id", "name", "title")} for f in files]}

    def _replies(self, p: dict) -> dict:
        """A thread's messages, oldest first, as Slack lists them: the root and its replies, with
        each message's metadata only when include_all_metadata is true."""
        channel = self._member_channel(p)
        ts = str(p.get("ts") or "")
        root = self.workspace.find(channel, ts)
        if root is None:
            raise WebApiError("thread_not_found")
        thread_ts = root.thread_ts or root.ts
        with_metadata = str(p.get("include_all_metadata")).lower() in ("true", "1")
        try:
            limit = max(1, min(1000, int(p.get("limit") or 1000)))
        except ValueError:
            limit = 1000
        messages = [
            m.replies_shape(with_metadata)
            for m in self.workspace.thread(channel, thread_ts)
            if not m.ephemeral
        ]
        return {"messages": messages[:limit], "has_more": len(messages) > limit}

    def _member_channel(self, p: dict) -> str:
        channel = str(p.get("channel") or "")
        found = self.workspace.channel(channel)
        if found is None:
            raise WebApiError("channel_not_found")
        if self.workspace.bot_user_id not in found.members:
            raise WebApiError("not_in_channel")
        return channel


def parse_params(body: bytes, content_type: str) -> dict:
    """Web API arguments arrive as JSON or as a form (with JSON-encoded blocks)."""
    if not body:
        return {}
    if "json" in content_type:
        try:
            parsed = json.loads(body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def _text(p: dict) -> str:
    return str(p.get("text") or "")


def _json_arg(value):
    """An argument that is JSON in a form (a view, prompts), or already parsed in a JSON body."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _metadata(p: dict) -> dict | None:
    """chat.postMessage's `metadata` (JSON text in a form, an object in a JSON body), kept as
    Slack keeps it: an event_type and an event_payload object, or nothing."""
    value = _json_arg(p.get("metadata"))
    if not (isinstance(value, dict) and isinstance(value.get("event_type"), str)):
        return None
    payload = value.get("event_payload")
    return {"event_type": value["event_type"], "event_payload": payload if isinstance(payload, dict) else {}}


def _blocks(p: dict) -> list:
    blocks = p.get("blocks") or []
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return []
    return blocks if isinstance(blocks, list) else []
