"""Shared plumbing for the benchmarks: a fast fake Slack Web API, signed Slack-shaped requests,
a keep-alive HTTP client, process control and statistics. Standard library only.

Everything network-facing is asyncio on one loop, so a benchmark's clients and its fake Web API
share one thread: the fake timestamps each Web API call when its body has fully arrived
(`time.perf_counter()`, CLOCK_MONOTONIC, the same clock the clients read).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
USECASE_BOT = str(VENV_BIN / "usecase-bot")

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # signing secret for benchmarks only
BOT_TOKEN = "xoxb-bench-token"
TEAM_ID = "T0BENCH01"
APP_ID = "A0BENCH01"
BOT_USER_ID = "U0BOTBENCH"
BOT_ID = "B0BOTBENCH"
HUMAN_ID = "U0HUMAN001"
ACTION_PREFIX = "usecase."

from bot import signing  # noqa: E402
from bot.sandbox.people import buttons as all_buttons  # noqa: E402
from bot.sandbox.webapi import parse_params  # noqa: E402
from bot.serving import gunicorn_settings  # noqa: E402

# serve_http's gunicorn settings (bot/serving.py: waitress in each gunicorn worker), so a bare
# app can run under the same server as the bot
GUNICORN_SETTINGS = gunicorn_settings()
# the server model HTTP mode had before (gunicorn's threaded workers, which read each request on
# a request thread, with no read timeout): `start_bot(..., model="gthread")` runs the bot on it,
# for the benchmarks that compare the two
GTHREAD_SETTINGS = {
    "worker_class": "gthread",
    "threads": 16,
    "timeout": 30,
    "graceful_timeout": 10,
    "keepalive": 5,
    "accesslog": None,
    "errorlog": "-",
    "loglevel": "warning",
}
# None: serve_http's own; "gthread-64": the old model with as many request threads as the new
MODELS = {
    "waitress": None,
    "gthread": GTHREAD_SETTINGS,
    "gthread-64": {**GTHREAD_SETTINGS, "threads": 64},
    "waitress-16": {**GUNICORN_SETTINGS, "threads": 16},
}

# --------------------------------------------------------------------------- the machine


def code_version() -> str:
    """The commit, whether bot/ or catalog/ differ from it, and a digest of those working files."""
    head = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=str(ROOT)
        ).stdout.strip()
        or "?"
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "bot", "catalog"],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    ).stdout.strip()
    digest = hashlib.sha1()
    for path in sorted(list((ROOT / "bot").rglob("*.py")) + list((ROOT / "catalog").rglob("*.yml"))):
        digest.update(path.read_bytes())
    return f"{head}{'+uncommitted' if dirty else ''} (bot/ + catalog/ digest {digest.hexdigest()[:10]})"


def machine() -> dict:
    return {
        "code": code_version(),
        "date": subprocess.run(["date"], capture_output=True, text=True).stdout.strip(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def print_machine(title: str) -> None:
    m = machine()
    print(f"# {title}")
    print(
        f"# {m['date']} | {m['cores']} cores | Python {m['python']} | {m['platform']} | "
        f"load average {m['load']}"
    )
    print(f"# code: {m['code']}")


# --------------------------------------------------------------------------- statistics


def pct(values, p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = max(0, min(len(data) - 1, math.ceil(p / 100.0 * len(data)) - 1))
    return data[k]


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# --------------------------------------------------------------------------- signing and bodies


def signed_headers(
    body: bytes, content_type: str, secret: str = SECRET, timestamp: int | None = None
) -> dict[str, str]:
    return signing.signed_headers(secret, body, content_type, timestamp=timestamp)


_ids = itertools.count(1)


def command_body(
    channel: str, text: str = "", *, user: str = HUMAN_ID, response_url: str = "http://127.0.0.1:9/response/x"
) -> bytes:
    form = {
        "token": "bench-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "bench",
        "channel_id": channel,
        "channel_name": "bench",
        "user_id": user,
        "user_name": "bench-person",
        "command": "/usecase",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{next(_ids)}.{int(time.time())}.bench",
    }
    return urlencode(form).encode()


def click_body(
    *,
    channel: str,
    message_ts: str,
    thread_ts: str | None,
    blocks: list,
    text: str,
    action: dict,
    user: str = HUMAN_ID,
    response_url: str = "http://127.0.0.1:9/response/x",
) -> bytes:
    """A block_actions payload as Slack sends it (the shape of bot/sandbox/people.py click_body)."""
    container = {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False}
    message = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "ts": message_ts,
        "text": text,
        "blocks": blocks,
        "team": TEAM_ID,
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
        message["thread_ts"] = thread_ts
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "bench-person", "name": "bench-person", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "bench-verification-token",
        "container": container,
        "trigger_id": f"{next(_ids)}.{int(time.time())}.bench",
        "team": {"id": TEAM_ID, "domain": "bench"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "bench"},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [{**action, "type": "button", "action_ts": f"{time.time():.6f}"}],
    }
    return b"payload=" + quote(json.dumps(payload)).encode()


def mention_body(
    *, channel: str, ts: str, text: str, event_id: str, user: str = HUMAN_ID, thread_ts: str | None = None
) -> bytes:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "team": TEAM_ID,
        "client_msg_id": f"bench-{next(_ids)}",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return _envelope(event, event_id)


def dm_body(*, channel: str, ts: str, text: str, event_id: str, user: str = HUMAN_ID) -> bytes:
    event = {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "team": TEAM_ID,
        "client_msg_id": f"bench-{next(_ids)}",
    }
    return _envelope(event, event_id)


def _envelope(event: dict, event_id: str) -> bytes:
    return json.dumps(
        {
            "token": "bench-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-bench-{next(_ids)}",
        }
    ).encode()


def buttons(blocks: list) -> list[dict]:
    """Every button of a message (not link buttons) as the `action` part of a click."""
    return [
        {
            "action_id": b["action_id"],
            "block_id": b["block_id"],
            **({"value": b["value"]} if b["value"] is not None else {}),
            "text": {"type": "plain_text", "text": b["text"]},
        }
        for b in all_buttons(blocks)
        if not b["url"]
    ]


# --------------------------------------------------------------------------- the fake Web API


@dataclass
class Post:
    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: list
    at: float  # perf_counter when the request had fully arrived


@dataclass
class Call:
    method: str
    at: float
    params: dict | None  # None when not kept (keep_params=False)


@dataclass
class FakeSlack:
    """Slack's Web API and response_urls on loopback, as lean as asyncio allows.

    chat.postMessage answers a fresh ts and is kept per channel (with its blocks); every call is
    timestamped on arrival. `wait_post(channel, index)` waits for a channel's index-th post.
    """

    keep_calls: bool = True
    keep_posts: bool = True
    host: str = "127.0.0.1"
    port: int = 0
    posts: dict = field(default_factory=dict)  # channel -> [Post]
    calls: list = field(default_factory=list)  # [Call] (when keep_calls)
    counts: dict = field(default_factory=dict)  # method -> number of calls
    first_call: dict = field(default_factory=dict)  # channel -> perf_counter of its first Web API call
    _waiters: dict = field(default_factory=dict)  # channel -> [(index, future)]
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _server: asyncio.AbstractServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self, channel: str) -> str:
        return f"{self.base_url}/response/{channel}"

    async def start(self) -> FakeSlack:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, backlog=1024, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    # -------------------------------------------------------------- reading what arrived

    def channel_posts(self, channel: str) -> list[Post]:
        return self.posts.get(channel, [])

    async def wait_post(self, channel: str, index: int = 0, timeout: float = 10.0) -> Post | None:
        found = self.posts.get(channel)
        if found is not None and len(found) > index:
            return found[index]
        future = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel, []).append((index, future))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            waiters = self._waiters.get(channel)
            if waiters is not None:
                waiters[:] = [w for w in waiters if w[1] is not future]
                if not waiters:
                    del self._waiters[channel]

    def forget(self, channel: str) -> None:
        self.posts.pop(channel, None)
        self.first_call.pop(channel, None)

    # -------------------------------------------------------------- HTTP

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                method, path, _ = lines[0].decode("latin-1").split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if b":" in line:
                        k, v = line.split(b":", 1)
                        headers[k.strip().lower()] = v.strip()
                length = int(headers.get(b"content-length", b"0") or 0)
                body = await reader.readexactly(length) if length else b""
                at = time.perf_counter()
                status, answer, *more = self._handle(
                    path, body, headers.get(b"content-type", b"").decode(), at
                )
                extra = b"".join(
                    b"%s: %s\r\n" % (k.encode(), str(v).encode()) for k, v in (more or [{}])[0].items()
                )
                data = json.dumps(answer).encode()
                close = headers.get(b"connection", b"").lower() == b"close"
                writer.write(
                    b"HTTP/1.1 %d OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                    b"Content-Length: %d\r\n%s%s\r\n"
                    % (status, len(data), extra, b"Connection: close\r\n" if close else b"")
                    + data
                )
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    def _handle(self, path: str, body: bytes, content_type: str, at: float) -> tuple:
        """(status, JSON answer) or (status, JSON answer, extra headers)."""
        if path.startswith("/response/"):
            self.counts["response_url"] = self.counts.get("response_url", 0) + 1
            if self.keep_calls:  # the token names the channel (see response_url())
                params = {**parse_params(body, content_type), "channel": path[len("/response/") :]}
                self.calls.append(Call("response_url", at, params))
            return 200, {"ok": True}
        if not path.startswith("/api/"):
            return 404, {"ok": False, "error": "not_found"}
        method = path[len("/api/") :].split("?", 1)[0]
        self.counts[method] = self.counts.get(method, 0) + 1
        params = parse_params(body, content_type)
        if self.keep_calls:
            self.calls.append(Call(method, at, params))
        channel = str(params.get("channel") or "")
        if channel and channel not in self.first_call:
            self.first_call[channel] = at
        if method == "auth.test":
            return 200, {
                "ok": True,
                "url": "https://bench.slack.local/",
                "team": "Bench",
                "user": "usecase-bot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = f"{1700000000 + next(self._ts) / 1000:.6f}"
            blocks = params.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            post = Post(
                channel,
                ts,
                params.get("thread_ts") or None,
                str(params.get("text") or ""),
                blocks if self.keep_posts else [],
                at,
            )
            found = self.posts.setdefault(channel, [])
            found.append(post)
            for index, future in self._waiters.get(channel, ()):
                if index < len(found) and not future.done():
                    future.set_result(found[index])
            return 200, {"ok": True, "channel": channel, "ts": ts}
        if method == "chat.update":
            return 200, {"ok": True, "channel": channel, "ts": params.get("ts"), "text": params.get("text")}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": f"{1700000000 + next(self._ts) / 1000:.6f}"}
        return 200, {"ok": True}


# --------------------------------------------------------------------------- HTTP client


class Connection:
    """One keep-alive HTTP/1.1 connection to the bot (or the bare app), asyncio streams."""

    IDLE_REOPEN = 3.0  # gunicorn closes idle keep-alive connections after 5 s

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last = 0.0
        self.opened = 0

    async def _open(self) -> None:
        self.close()
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self.opened += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self._writer is None or time.monotonic() - self._last > self.IDLE_REOPEN:
            await self._open()
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        try:
            self._writer.write(head.encode() + body)
            return await self._response()
        except BaseException:
            self.close()
            raise

    async def get(self, path: str) -> tuple[int, bytes]:
        if self._writer is None or time.monotonic() - self._last > self.IDLE_REOPEN:
            await self._open()
        try:
            self._writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
            return await self._response()
        except BaseException:
            self.close()
            raise

    async def _response(self) -> tuple[int, bytes]:
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if b":" in line:
                k, v = line.split(b":", 1)
                headers[k.strip().lower()] = v.strip()
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = b""
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                chunk = await self._reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self._reader.readexactly(int(headers.get(b"content-length", b"0")))
        self._last = time.monotonic()
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, body


async def post_signed(conn: Connection, body: bytes, content_type: str) -> tuple[int, bytes]:
    return await conn.post("/slack/events", body, signed_headers(body, content_type))


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bot_env(api_url: str, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("USECASE_CATALOG", None)
    env.update(extra)
    return env


def start_bot(
    port: int,
    api_url: str,
    workers: int,
    *,
    log_path: str | None = None,
    env: dict | None = None,
    model: str = "waitress",
) -> subprocess.Popen:
    """`usecase-bot run --mode http` (its own gunicorn master; the workers are its children).
    `env` adds to (or, with None values, removes from) its environment; unless it names a
    database, the bot's SQLite file goes in a temporary data folder, removed by stop().
    `model` "gthread": the same, on the old server model (this file run as a script calls
    serve_http with GTHREAD_SETTINGS)."""
    import shutil
    import tempfile

    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    data_dir = tempfile.mkdtemp(prefix="bench-usecase-bot-")
    environment = bot_env(api_url, USECASE_DATA_DIR=data_dir)
    for key, value in (env or {}).items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    if model == "waitress":
        command = [USECASE_BOT, "run", "--mode", "http"]
    else:
        command = [sys.executable, __file__, "--serve-http", model]
    proc = subprocess.Popen(
        command + ["--port", str(port), "--workers", str(workers)],
        env=environment,
        stdout=out,
        stderr=out,
        cwd=str(ROOT),
        start_new_session=True,
    )
    proc.cleanup = lambda: shutil.rmtree(data_dir, ignore_errors=True)
    return proc


def stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM to the process we started (gunicorn's master stops its own workers)."""
    try:
        if proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    finally:
        getattr(proc, "cleanup", lambda: None)()


# --------------------------------------------------------------------------- databases

CLIENT_ID = "1111111111.2222222222"  # OAuth mode in the benchmarks
CLIENT_SECRET = "0123456789abcdef0123456789abcdef"


class Postgres:
    """A PostgreSQL server for a benchmark: USECASE_TEST_POSTGRES_URL, or a throwaway cluster
    (tests/support/postgres.py) stopped and removed by close()."""

    def __init__(self):
        sys.path.insert(0, str(ROOT))
        from tests.support.postgres import URL_VARIABLE, Cluster

        self.cluster = None
        self.server_url = os.environ.get(URL_VARIABLE, "").strip()
        if not self.server_url:
            self.cluster = Cluster.start()
            self.server_url = self.cluster.url

    def database(self) -> str:
        from tests.support.postgres import fresh_database

        return fresh_database(self.server_url, prefix="usecase_bench")

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def oauth_env(database_url: str) -> dict:
    """The environment of an OAuth bot (any workspace) whose installations are in `database_url`."""
    return {
        "SLACK_BOT_TOKEN": None,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "DATABASE_URL": database_url,
    }


def seed_installation(database_url: str) -> None:
    """The bench team's installation, as the OAuth redirect would have stored it."""
    from slack_sdk.oauth.installation_store.models.installation import Installation

    from bot.oauth import InstallationStore
    from bot.storage import Database
    from bot.tokens import TokenCipher

    db = Database.open(database_url)
    try:
        InstallationStore(CLIENT_ID, db, TokenCipher(())).save(
            Installation(
                app_id=APP_ID,
                enterprise_id=None,
                team_id=TEAM_ID,
                team_name="Bench",
                bot_token=BOT_TOKEN,
                bot_id=BOT_ID,
                bot_user_id=BOT_USER_ID,
                bot_scopes="commands,chat:write",
                user_id=HUMAN_ID,
            )
        )
    finally:
        db.dispose()


async def wait_healthz(
    port: int,
    timeout: float = 30.0,
    proc: subprocess.Popen | None = None,
    path: str = "/healthz",
    any_status: bool = False,
) -> float:
    """Seconds until GET /healthz answers 200 (any HTTP answer with any_status), polled every 5 ms."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {path}")
        conn = Connection("127.0.0.1", port)
        try:
            status, _ = await asyncio.wait_for(conn.get(path), 2.0)
            if status == 200 or any_status:
                return time.perf_counter() - start
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            conn.close()
        await asyncio.sleep(0.005)
    raise RuntimeError(f"no answer from {path} on port {port} within {timeout} s")


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon, RssFile, … of a process, in kB, from /proc/<pid>/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.startswith(("Vm", "Rss")) or key == "Threads":
                out[key] = int(value.split()[0])
    return out


def mappings(pid: int) -> dict[str, tuple[int, int]]:
    """Each memory mapping of a process (from /proc/<pid>/smaps): "start perms path" ->
    (size, Rss) in kB. Unnamed ones are anonymous memory: malloc's heaps, thread stacks."""
    found, key, size = {}, None, 0
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):
                fields = line.split()
                start, end = (int(x, 16) for x in fields[0].split("-"))
                key = (
                    f"{fields[0].split('-')[0]} {fields[1]} {fields[5] if len(fields) > 5 else '[anonymous]'}"
                )
                size = (end - start) // 1024
            elif first == "Rss:" and key is not None:
                found[key] = (size, int(line.split()[1]))
    return found


# --------------------------------------------------------------------------- the old model


def serve_http_model(model: str, port: int, workers: int) -> int:
    """`usecase-bot run --mode http --port P --workers W`, on MODELS[model]'s gunicorn settings."""
    from bot.cli import load_catalog_or_explain
    from bot.server import configure_logging, serve_http
    from bot.settings import load_settings

    configure_logging()
    settings = load_settings(os.environ, mode="http", port=port, workers=workers)
    return serve_http(settings, load_catalog_or_explain(), server=MODELS[model])


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="the bot on another server model (bench only)")
    parser.add_argument("--serve-http", choices=sorted(MODELS), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    sys.exit(serve_http_model(arguments.serve_http, arguments.port, arguments.workers))
