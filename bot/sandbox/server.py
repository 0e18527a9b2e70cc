"""The local stand-in for Slack: its Web API, response_urls, and (for people) a page.

`SlackStandIn` is one loopback HTTP server holding a Workspace. The bot's WebClient points
at `/api/`; response_urls point at `/response/…`. With a `SlackSide` attached it also serves
the sandbox page: `/` (static), `/state`, `/events` (server-sent events), `/send`, `/click`,
and for the app's own surfaces `/home-opened`, `/click-view`, `/assistant-thread`, `/shortcut`.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

from bot.blocks import escape
from bot.sandbox.people import COMMAND, SlackSide
from bot.sandbox.webapi import FakeWebApi
from bot.sandbox.workspace import WebApiError, Workspace

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 1 << 20
SSE_KEEPALIVE = 15.0
STOP_POLL = 0.02  # how often the server thread checks for stop(): stopping waits up to this long

log = logging.getLogger("usecase_bot.sandbox")


class SlackStandIn:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, workspace: Workspace | None = None):
        self.workspace = workspace or Workspace()
        self.api = FakeWebApi(self.workspace)
        self.people: SlackSide | None = None  # set to serve the page
        handler = type("Handler", (_Handler,), {"stand_in": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self.api_url = self.base_url + "/api/"
        self.api.upload_base = self.base_url + "/upload/"
        self._thread: threading.Thread | None = None

    def start(self) -> SlackStandIn:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": STOP_POLL},
            name="slack-stand-in",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    stand_in: SlackStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        log.debug("%s " + format, self.address_string(), *args)

    # ------------------------------------------------------------------ plumbing

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._json(413, {"ok": False, "error": "request_too_large"})
            return None
        return self.rfile.read(length) if length else b""

    def _json(self, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    # ------------------------------------------------------------------ routes

    def do_POST(self):  # noqa: N802 - http.server's naming
        path = urlparse(self.path).path
        body = self._body()
        if body is None:
            return
        stand_in = self.stand_in
        if path.startswith("/api/"):
            status, headers, answer = stand_in.api.handle(
                path[len("/api/") :],
                body,
                self.headers.get("Content-Type", ""),
                self.headers.get("Authorization", ""),
            )
            self._json(status, answer, headers)
        elif path.startswith("/upload/"):
            if stand_in.api.receive_upload(path[len("/upload/") :], body):
                self._json(200, {"ok": True})
            else:
                self._json(404, {"ok": False, "error": "not_found"})
        elif path.startswith("/response/"):
            try:
                stand_in.workspace.respond(path[len("/response/") :], _loads(body))
            except WebApiError as exc:
                self._json(404, {"ok": False, "error": exc.error})
                return
            self._json(200, {"ok": True})
        elif path == "/send" and stand_in.people:
            self._json(200, _send(stand_in.people, _loads(body)))
        elif path == "/click" and stand_in.people:
            self._json(200, _click(stand_in.people, _loads(body)))
        elif path == "/home-opened" and stand_in.people:
            self._json(200, _home_opened(stand_in.people, _loads(body)))
        elif path == "/click-view" and stand_in.people:
            self._json(200, _click_view(stand_in.people, _loads(body)))
        elif path == "/assistant-thread" and stand_in.people:
            self._json(200, _assistant_thread(stand_in.people, _loads(body)))
        elif path == "/shortcut" and stand_in.people:
            self._json(200, _shortcut(stand_in.people, _loads(body)))
        else:
            self._json(404, {"ok": False, "error": "not_found"})

    def do_GET(self):  # noqa: N802
        path = urlparse(self.path).path
        if path == "/healthz":
            self._json(200, {"ok": True})
        elif not self.stand_in.people:
            self._json(404, {"ok": False, "error": "not_found"})
        elif path == "/state":
            self._json(200, self.stand_in.workspace.state())
        elif path == "/events":
            self._events()
        else:
            self._static("index.html" if path == "/" else path.removeprefix("/static/").lstrip("/"))

    def _static(self, name: str) -> None:
        target = (STATIC / name).resolve()
        if STATIC.resolve() not in target.parents or not target.is_file():
            self._json(404, {"ok": False, "error": "not_found"})
            return
        data = target.read_bytes()
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header(
            "Content-Type",
            kind + ("; charset=utf-8" if kind.startswith("text/") or kind.endswith("javascript") else ""),
        )
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        )
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def _events(self) -> None:
        workspace = self.stand_in.workspace
        feed = workspace.subscribe()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            while True:
                try:
                    change = feed.get(timeout=SSE_KEEPALIVE)
                    self.wfile.write(b"data: " + json.dumps(change).encode() + b"\n\n")
                except queue.Empty:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            workspace.unsubscribe(feed)


def _loads(body: bytes) -> dict:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _send(people: SlackSide, request: dict) -> dict:
    channel, text = str(request.get("channel") or ""), str(request.get("text") or "")
    thread_ts = request.get("thread_ts") or None
    if people.workspace.channel(channel) is None:
        return {"ok": False, "error": "That conversation doesn't exist."}
    if not text.strip():
        return {"ok": False, "error": "Type a message first."}
    text = escape(text)  # as Slack's composer does: typed &, < and > arrive as entities
    if text.startswith("/"):
        command, _, rest = text.partition(" ")
        if command != COMMAND:
            return {"ok": False, "error": f"{command} is not a command here. Try {COMMAND}."}
        sent = people.slash(channel, rest.strip())
    else:
        _, sent = people.say(channel, text, thread_ts=thread_ts)
    if sent is not None and sent.status >= 400:
        return {"ok": False, "error": f"The bot answered HTTP {sent.status}."}
    return {"ok": True}


def _click(people: SlackSide, request: dict) -> dict:
    message = people.workspace.find(str(request.get("channel") or ""), str(request.get("ts") or ""))
    if message is None:
        return {"ok": False, "error": "That message is gone."}
    action = {
        "action_id": str(request.get("action_id") or ""),
        "block_id": str(request.get("block_id") or ""),
    }
    if request.get("value") is not None:
        action["value"] = str(request["value"])
    if request.get("type") in ("static_select", "conversations_select"):  # a menu: what was chosen
        action["type"] = request["type"]
        if isinstance(request.get("selected_option"), dict):
            option = request["selected_option"]
            action["selected_option"] = {
                "value": str(option.get("value") or ""),
                "text": {"type": "plain_text", "text": str(option.get("text") or "")},
            }
        if isinstance(request.get("selected_conversation"), str):
            action["selected_conversation"] = request["selected_conversation"]
    state = request.get("state") if isinstance(request.get("state"), dict) else None
    sent = people.click_action(message, action, state=state)
    if sent.status >= 400:
        return {"ok": False, "error": f"The bot answered HTTP {sent.status}."}
    return {"ok": True}


def _answered(sent) -> dict:
    if sent.status >= 400:
        return {"ok": False, "error": f"The bot answered HTTP {sent.status}."}
    return {"ok": True}


def _home_opened(people: SlackSide, request: dict) -> dict:
    """The person opened the Home or the Messages tab of the app."""
    tab = request.get("tab")
    if tab not in ("home", "messages"):
        return {"ok": False, "error": "No such tab."}
    return _answered(people.open_home(tab))


def _click_view(people: SlackSide, request: dict) -> dict:
    """A button on the person's Home tab."""
    action = {
        "action_id": str(request.get("action_id") or ""),
        "block_id": str(request.get("block_id") or ""),
    }
    if request.get("value") is not None:
        action["value"] = str(request["value"])
    return _answered(people.click_view_action(action))


def _assistant_thread(people: SlackSide, request: dict) -> dict:
    """A new chat in the Messages tab: an assistant thread in the person's DM with the app."""
    channel = people.workspace.channel(str(request.get("channel") or ""))
    if channel is None or channel.kind != "im" or people.workspace.bot_user_id not in channel.members:
        return {"ok": False, "error": "Chats start in the DM with the app."}
    root, sent = people.start_assistant_thread()
    return {**_answered(sent), "ts": root.ts}


def _shortcut(people: SlackSide, request: dict) -> dict:
    """A message shortcut, from a message's "More actions" menu."""
    message = people.workspace.find(str(request.get("channel") or ""), str(request.get("ts") or ""))
    if message is None or message.ephemeral:
        return {"ok": False, "error": "That message is gone."}
    callback_id = str(request.get("callback_id") or "")
    if callback_id not in {s["callback_id"] for s in people.workspace.shortcuts}:
        return {"ok": False, "error": "The app has no such shortcut."}
    return _answered(people.shortcut(message, callback_id))
