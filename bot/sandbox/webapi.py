"""Slack's Web API, played by the sandbox: the methods the bot calls, answered from a Workspace.

`FakeWebApi.call` takes a method name and its arguments and returns Slack's JSON answer (or
raises `Fault` for an HTTP-level failure a test asked for). Faults can be queued to rehearse
rate limits, server errors and API errors.

It also plays Slack's side of an app's installation (OAuth v2): `register_app` says which client
id and secret the app has (and whether its tokens rotate); `grant(...)` is a person clicking
"Allow" on Slack's authorize page, giving the one-time code Slack sends to the redirect URL;
`oauth.v2.access` exchanges a code for a fresh bot token of that team, and a refresh token for a
new token, as Slack documents them. `auth.test` answers for the team each token belongs to, and
`tokens_used` records which token each call came with.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from bot.sandbox.workspace import WebApiError, Workspace


@dataclass
class Fault:
    """An injected failure for one method: an HTTP status, or an API error with HTTP 200; or a
    hang (`hang` seconds before any answer, e.g. past the caller's timeout). `retry_after` is sent
    as given (Slack sends whole seconds; a test may send anything). `channel`: only calls for that
    channel. `until` (a time.monotonic() value): every matching call until then, instead of `times`."""

    method: str
    status: int = 200
    error: str | None = None
    retry_after: int | str | None = None
    times: int = 1
    hang: float = 0.0
    channel: str | None = None
    until: float | None = None


@dataclass
class Installed:
    """A team's bot, as oauth.v2.access issued it."""

    team_id: str
    team_name: str
    bot_user_id: str
    bot_id: str
    scope: str
    expires_at: float | None = None  # rotating tokens expire
    revoked: bool = False


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    app_id: str
    rotation: bool = False
    expires_in: int = 43200  # Slack's rotating tokens live twelve hours
    codes: dict = field(default_factory=dict)  # code -> (team_id, team_name, user_id, scope)
    refresh_tokens: dict = field(default_factory=dict)  # refresh token -> bot token it renews


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
        self.oauth_app: OAuthApp | None = None
        self.installed: dict[str, Installed] = {}  # bot token -> its team and bot
        self.tokens_used: list[tuple[str, str]] = []  # (method, token) of every call
        self.refreshes: list[str] = []  # each refresh token spent, in order

    # ------------------------------------------------------------------ installation (OAuth v2)

    def register_app(
        self,
        client_id: str,
        client_secret: str,
        *,
        app_id: str = "A0USECASEBOT",
        rotation: bool = False,
        expires_in: int = 43200,
    ) -> OAuthApp:
        with self._lock:
            self.oauth_app = OAuthApp(client_id, client_secret, app_id, rotation, expires_in)
            return self.oauth_app

    def grant(
        self,
        team_id: str | None = None,
        team_name: str = "Sandbox",
        user_id: str | None = None,
        scope: str = "commands,chat:write",
    ) -> str:
        """A person allows the app on Slack's authorize page: the one-time code Slack puts in the
        redirect to the app (by default for the stand-in's own team)."""
        assert self.oauth_app is not None, "register_app first"
        code = f"{int(time.time())}.{secrets.token_hex(12)}"
        with self._lock:
            self.oauth_app.codes[code] = (
                team_id or self.workspace.team_id,
                team_name,
                user_id or self.workspace.human_id,
                scope,
            )
        return code

    def revoke_team(self, team_id: str) -> None:
        """The team uninstalled the app: its tokens stop working."""
        with self._lock:
            for installed in self.installed.values():
                if installed.team_id == team_id:
                    installed.revoked = True

    def tokens_of(self, team_id: str) -> list[str]:
        with self._lock:
            return [t for t, i in self.installed.items() if i.team_id == team_id and not i.revoked]

    def expire(self, token: str) -> None:
        with self._lock:
            self.installed[token].expires_at = time.time() - 1

    def _oauth_v2_access(self, p: dict, authorization: str) -> dict:
        app = self.oauth_app
        client_id, client_secret = p.get("client_id"), p.get("client_secret")
        if authorization.startswith("Basic "):
            try:
                client_id, _, client_secret = (
                    base64.b64decode(authorization[len("Basic ") :]).decode("utf-8").partition(":")
                )
            except ValueError:
                raise WebApiError("invalid_client_id") from None
        if app is None or client_id != app.client_id:
            raise WebApiError("invalid_client_id")
        if client_secret != app.client_secret:
            raise WebApiError("bad_client_secret")
        with self._lock:
            if p.get("grant_type") == "refresh_token":
                old = app.refresh_tokens.pop(str(p.get("refresh_token") or ""), None)
                if old is None:
                    raise WebApiError("invalid_refresh_token")
                self.refreshes.append(str(p.get("refresh_token")))
                before = self.installed[old]
                team = (before.team_id, before.team_name, None, before.scope)
            elif p.get("grant_type") not in (None, "", "authorization_code"):
                raise WebApiError("invalid_grant_type")
            else:
                team = app.codes.pop(str(p.get("code") or ""), None)
                if team is None:
                    raise WebApiError("invalid_code")
            team_id, team_name, user_id, scope = team
            bot_user_id, bot_id = self._bot_of(team_id)
            serial = len(self.installed) + 1
            if app.rotation:
                token = f"xoxe.xoxb-1-{serial}{secrets.token_hex(16)}"
                refresh = f"xoxe-1-{serial}{secrets.token_hex(16)}"
                app.refresh_tokens[refresh] = token
            else:
                token, refresh = f"xoxb-{serial}-{secrets.token_hex(16)}", None
            self.installed[token] = Installed(
                team_id,
                team_name,
                bot_user_id,
                bot_id,
                scope,
                expires_at=time.time() + app.expires_in if app.rotation else None,
            )
        answer = {
            "access_token": token,
            "token_type": "bot",
            "scope": scope,
            "bot_user_id": bot_user_id,
            "app_id": app.app_id,
            "team": {"name": team_name, "id": team_id},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if user_id is not None:
            answer["authed_user"] = {"id": user_id}
        if refresh is not None:
            answer.update(refresh_token=refresh, expires_in=app.expires_in)
        return answer

    def _bot_of(self, team_id: str) -> tuple[str, str]:
        if team_id == self.workspace.team_id:
            return self.workspace.bot_user_id, self.workspace.bot_id
        digest = team_id[1:].upper().ljust(8, "0")[:8]
        return f"U0B{digest}", f"B0B{digest}"

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | str | None = None,
        times: int = 1,
        hang: float = 0.0,
        channel: str | None = None,
        until: float | None = None,
    ) -> None:
        with self._lock:
            self._faults.append(Fault(method, status, error, retry_after, times, hang, channel, until))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str, params: dict) -> Fault | None:
        now = time.monotonic()
        with self._lock:
            for fault in self._faults:
                if fault.method != method or (fault.channel and params.get("channel") != fault.channel):
                    continue
                if fault.until is not None:
                    if now < fault.until:
                        return fault
                elif fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def handle(
        self, method: str, body: bytes, content_type: str, authorization: str
    ) -> tuple[int, dict, dict]:
        """(HTTP status, headers, JSON body) for one Web API request."""
        params = parse_params(body, content_type)
        self.workspace.calls.append((method, params))
        token = authorization.removeprefix("Bearer ").strip()
        with self._lock:
            self.tokens_used.append((method, token))
        fault = self._take_fault(method, params)
        if fault is not None and fault.hang:
            time.sleep(fault.hang)  # the caller has given up by now, or is about to
            if fault.status == 200 and fault.error is None:
                fault = None  # a slow answer, not a failed one
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            if fault.status != 200:
                return fault.status, headers, {"ok": False, "error": fault.error or "fault"}
            return 200, headers, {"ok": False, "error": fault.error or "fault"}
        try:
            if method == "oauth.v2.access":  # the app's client id and secret, not a token
                return 200, {}, {"ok": True, **self._oauth_v2_access(params, authorization)}
            installed = self.installed.get(token)
            if installed is not None and installed.revoked:
                return 200, {}, {"ok": False, "error": "token_revoked"}
            if (
                installed is not None
                and installed.expires_at is not None
                and installed.expires_at < time.time()
            ):
                return 200, {}, {"ok": False, "error": "token_expired"}
            if (
                method != "api.test"
                and installed is None
                and not token.startswith((self.token_prefix, "xapp-"))
            ):
                return 200, {}, {"ok": False, "error": "not_authed"}
            if method == "auth.test" and installed is not None:
                return 200, {}, {"ok": True, **self._auth_test_for(installed)}
            return 200, {}, {"ok": True, **self.call(method, params)}
        except WebApiError as exc:
            return 200, {}, {"ok": False, "error": exc.error}

    def _auth_test_for(self, installed: Installed) -> dict:
        return {
            "url": f"https://{installed.team_name.lower().replace(' ', '-') or 'team'}.slack.local/",
            "team": installed.team_name,
            "user": "usecase-bot",
            "team_id": installed.team_id,
            "user_id": installed.bot_user_id,
            "bot_id": installed.bot_id,
            "is_enterprise_install": False,
        }

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
        if method == "users.info":
            user = str(p.get("user") or "")
            if user not in ws.users:
                raise WebApiError("user_not_found")
            return {
                "user": {
                    "id": user,
                    "name": ws.users[user],
                    "team_id": ws.team_id,
                    "is_admin": user in ws.admins,
                    "is_owner": False,
                    "is_bot": user == ws.bot_user_id,
                }
            }
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
