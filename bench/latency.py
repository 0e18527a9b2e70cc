"""First-post latency of the bot against bare Bolt apps and a framework-free floor, side by side.

    .venv/bin/python bench/latency.py [--requests 300] [--workers 2] [--bots waitress gthread]
                                      [--bare floor floor-wsgi plain lazy lazy-big direct]

The bot runs as `usecase-bot run --mode http` (waitress inside gunicorn's workers, bot/serving.py);
`--bots ... gthread` adds the same bot on the old server model (gunicorn gthread, 16 threads:
bench/_harness.py GTHREAD_SETTINGS), named bot-gthread. The bare Bolt apps run from this script
under the bot's server settings (bench/_harness.py GUNICORN_SETTINGS), each a few lines below:
- "plain": Bolt's defaults, one listener calls ack() and then posts one line of text: the
  headline comparison ("a bare Bolt app that acks and posts one fixed message");
- "lazy": the bot's pattern (process_before_response=True, an ack listener and a lazy
  listener that posts one line of text): takes Bolt's lazy machinery out of the ratio;
- "lazy-big": as lazy, but the fixed message is a recommendation as big as the bot's
  (~4 KB of blocks, built once at start-up): takes the message size out too, leaving the
  bot's own code. (The big message is the bot's reply to the first mention text; the goal
  chooser and the questions the bot posts are 1-2 KB.)
- "direct": process_before_response=True, and an ack listener that calls ack() and then submits
  the post to a thread pool of its own (no lazy listener): the same fast ack as the bot's
  pattern, without Bolt's lazy machinery (which deep-copies the request for the lazy call).
And the floor, what any Slack app must do and nothing more (class Floor):
- "floor": check the signature (stdlib hmac), answer 200, then post the bot's own message for
  that kind of request (captured from the bot at start-up) with one POST on a keep-alive
  connection (http.client); a thread per connection, no server library, no framework;
- "floor-wsgi": the same as a WSGI app under the bot's server (the post once the answer is out).
One fake Web API on loopback (bench/_harness.py FakeSlack) serves all of them and timestamps
each chat.postMessage when it has fully arrived. Requests alternate between the apps (the order
rotates every round), one at a time, each on its app's keep-alive connection.

Three kinds of request, each timed from the signed request's first byte sent to the first
chat.postMessage for it arriving at the fake:
- slash:   `/usecase` (no text)            -> the goal chooser posted in the channel
- click:   "Yes" on a question             -> the next question posted in the thread
           (the bot first calls chat.update on the clicked message; bare just posts)
- mention: `@bot <goal in words>` (a rotating set of in-scope goals) -> the reply in the thread

Also reported: the ack's time (HTTP answer received) and, for the click, the first Web API call.
Targets: bot first-post p50 <= 1.10 x the bare app's ("plain") first-post p50, for each kind;
and (issue 17) the `/usecase` first post p50 <= 1.10 x the floor's.

    .venv/bin/python bench/latency.py --databases [--db-mode oauth|single]

compares the bot with itself instead: on PostgreSQL (a throwaway cluster, or
USECASE_TEST_POSTGRES_URL's server) against its default SQLite file, side by side in the same
run, the same requests alternating between the two. --db-mode oauth (the default) runs both as
apps any workspace installs (each request reads its workspace's installation; the bench team's
is stored before they start); single runs them with SLACK_BOT_TOKEN (the database holds only the
seen-once keys and feedback). Target: PostgreSQL first-post p50 <= 1.15 x SQLite's, each kind.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import http.client
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

FIXED_TEXT = "Hello from a bare Bolt app"
MENTIONS = [
    "abandoned basket emails",
    "keep our most profitable customers from leaving",
    "trial users should become paying customers",
    "reactivate customers who went quiet",
    "build lookalikes from our highest lifetime value customers",
    "welcome series for new customers",
]
KINDS = ("slash", "click", "mention")
TARGET_RATIO = 1.10
DATABASE_TARGET_RATIO = 1.15


# --------------------------------------------------------------------------- the bare app


def fixed_message(kind: str) -> dict:
    """The one message a bare app posts: a line of text, or (kind "big") a recommendation the
    size of the bot's, built once at start-up, to tell message size apart from the bot's code."""
    if kind != "big":
        return {"text": FIXED_TEXT}
    from bot.catalog import load_catalog
    from bot.conversation import Conversation
    from bot.matcher import Matcher

    catalog = load_catalog()
    return Conversation(catalog, Matcher(catalog)).message(MENTIONS[0], h.HUMAN_ID).post.as_kwargs()


def build_bare_wsgi(api_url: str, style: str, message: str = "text"):
    """A bare Bolt app: ack, and post one fixed message where the request came from."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    fixed = fixed_message(message)

    app = App(
        client=WebClient(token=h.BOT_TOKEN, base_url=api_url),
        signing_secret=h.SECRET,
        token_verification_enabled=False,
        process_before_response=(style in ("lazy", "direct")),
    )

    def post_fixed(client, channel, thread_ts=None):
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, **fixed)

    def on_command(command, client):
        post_fixed(client, command["channel_id"])

    def on_click(body, client):
        container = body.get("container") or {}
        post_fixed(
            client, container.get("channel_id"), container.get("thread_ts") or container.get("message_ts")
        )

    def on_mention(event, client):
        post_fixed(client, event["channel"], event.get("thread_ts") or event["ts"])

    def just_ack(ack):
        ack()

    if style == "direct":  # the ack listener acks, then hands the work to a pool itself
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=32)

        def direct(work):
            def ack_then_submit(ack, body, client):
                ack()
                pool.submit(work, body, client)

            return ack_then_submit

        app.command("/usecase")(direct(lambda body, client: on_command(body, client)))
        app.action(re.compile(".*"))(direct(on_click))
        app.event("app_mention")(direct(lambda body, client: on_mention(body["event"], client)))
    elif style == "lazy":  # the bot's pattern: the ack answers, the work runs after it
        app.command("/usecase")(ack=just_ack, lazy=[on_command])
        app.action(re.compile(".*"))(ack=just_ack, lazy=[on_click])
        app.event("app_mention")(ack=just_ack, lazy=[on_mention])
    else:  # Bolt's everyday pattern: ack() first in the listener, then the work

        @app.command("/usecase")
        def command(ack, command, client):
            ack()
            on_command(command, client)

        @app.action(re.compile(".*"))
        def action(ack, body, client):
            ack()
            on_click(body, client)

        @app.event("app_mention")
        def mention(event, client):
            on_mention(event, client)

    return SlackRequestHandler(app)


def serve_bare(port: int, api_url: str, workers: int, style: str, message: str) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            settings = {
                "bind": f"127.0.0.1:{port}",
                "workers": workers,
                "proc_name": "bare-bolt",
                **h.GUNICORN_SETTINGS,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return build_bare_wsgi(api_url, style, message)

    Server().run()


def start_bare(port: int, api_url: str, workers: int, style: str, message: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve-bare",
            str(port),
            "--api-url",
            api_url,
            "--workers",
            str(workers),
            "--bare-style",
            style,
            "--bare-message",
            message,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


# --------------------------------------------------------------------------- the floor


class Floor:
    """What any Slack app must do, framework-free: check the signature, answer 200, then post
    the message (the bot's own blocks for that kind of request, captured from it at start-up)
    with one POST on a keep-alive connection to the Web API."""

    def __init__(self, api_url: str, messages: dict):
        from urllib.parse import urlsplit

        self.api = urlsplit(api_url)
        self.messages = messages  # kind -> {"text": ..., "blocks": [...]}
        self.secret = h.SECRET.encode()
        self.local = threading.local()

    def signed(self, body: bytes, timestamp: bytes, signature: bytes) -> bool:
        try:
            fresh = abs(time.time() - int(timestamp)) <= 300
        except ValueError:
            return False
        mac = hmac.new(self.secret, b"v0:" + timestamp + b":" + body, hashlib.sha256).hexdigest()
        return fresh and hmac.compare_digest(b"v0=" + mac.encode(), signature)

    def post(self, body: bytes, content_type: str) -> None:
        """Where the request came from, and the one chat.postMessage that answers it."""
        if content_type.startswith("application/json"):
            event = json.loads(body)["event"]
            kind, channel, thread_ts = "mention", event["channel"], event.get("thread_ts") or event["ts"]
        else:
            form = dict(parse_qsl(body.decode()))
            if "payload" in form:
                container = json.loads(form["payload"])["container"]
                kind, channel = "click", container["channel_id"]
                thread_ts = container.get("thread_ts") or container["message_ts"]
            else:
                kind, channel, thread_ts = "slash", form["channel_id"], None
        message = {"channel": channel, **self.messages[kind]}
        if thread_ts:
            message["thread_ts"] = thread_ts
        connection = getattr(self.local, "web", None)
        if connection is None:
            connection = self.local.web = http.client.HTTPConnection(self.api.hostname, self.api.port)
        connection.request(
            "POST",
            self.api.path + "chat.postMessage",
            json.dumps(message).encode(),
            {"Content-Type": "application/json;charset=utf-8", "Authorization": "Bearer " + h.BOT_TOKEN},
        )
        connection.getresponse().read()

    def serve_raw(self, port: int) -> None:
        """No server framework either: a thread per keep-alive connection, reading with a file."""
        listener = socket.create_server(("127.0.0.1", port), backlog=128)
        while True:
            sock, _ = listener.accept()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._connection, args=(sock,), daemon=True).start()

    def _connection(self, sock: socket.socket) -> None:
        with sock, sock.makefile("rb") as reader:
            while line := reader.readline():
                headers = {}
                while (header := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.partition(b":")
                    headers[name.strip().lower()] = value.strip()
                body = reader.read(int(headers.get(b"content-length", b"0")))
                if not line.startswith(b"POST"):
                    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    continue
                if not self.signed(
                    body,
                    headers.get(b"x-slack-request-timestamp", b""),
                    headers.get(b"x-slack-signature", b""),
                ):
                    sock.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
                    continue
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                self.post(body, headers.get(b"content-type", b"").decode())

    def wsgi(self, environ, start_response):
        """The same as a WSGI app, for the bot's own server: the post runs once the answer is
        sent (the server calls close() on what the app returned after writing it)."""
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if environ["REQUEST_METHOD"] != "POST":
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]
        if not self.signed(
            body,
            environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "").encode(),
            environ.get("HTTP_X_SLACK_SIGNATURE", "").encode(),
        ):
            start_response("401 Unauthorized", [("Content-Length", "0")])
            return [b""]
        # the answer goes out now (waitress sends the headers of an empty body only when it is
        # done with the app, after close()), and the post after it
        start_response("200 OK", [("Content-Length", "0")])(b"")
        floor, content_type = self, environ.get("CONTENT_TYPE", "")

        class ThenPost(list):
            def close(self):
                floor.post(body, content_type)

        return ThenPost()


def serve_floor(port: int, api_url: str, workers: int, messages_path: str, server: str) -> None:
    with open(messages_path) as f:
        floor = Floor(api_url, json.load(f))
    if server == "raw":
        floor.serve_raw(port)
        return
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            settings = {
                "bind": f"127.0.0.1:{port}",
                "workers": workers,
                "proc_name": "floor",
                **h.GUNICORN_SETTINGS,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return floor.wsgi

    Server().run()


def start_floor(port: int, api_url: str, workers: int, messages_path: str, server: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve-floor",
            str(port),
            "--api-url",
            api_url,
            "--workers",
            str(workers),
            "--floor-messages",
            messages_path,
            "--floor-server",
            server,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


# --------------------------------------------------------------------------- the measurement


class Target:
    def __init__(self, name: str, port: int):
        self.name = name
        self.conn = h.Connection("127.0.0.1", port)
        self.first_post = {k: [] for k in KINDS}
        self.first_call = {k: [] for k in KINDS}
        self.ack = {k: [] for k in KINDS}
        self.failures = {k: 0 for k in KINDS}


async def prepare_click(fake: h.FakeSlack, bot: Target) -> dict:
    """Walk the bot's real flow once: /usecase, Choose the first goal; keep the "Yes" button of
    the first question it posts (and that message), to replay as the click."""
    channel = "CPREP0001"
    status, _ = await h.post_signed(bot.conn, h.command_body(channel), h.FORM)
    intro = await fake.wait_post(channel, 0)
    assert status == 200 and intro is not None, "the bot did not post the goal chooser"
    goal = next(b for b in h.buttons(intro.blocks) if b["action_id"].startswith(h.ACTION_PREFIX + "goal."))
    body = h.click_body(
        channel=channel,
        message_ts=intro.ts,
        thread_ts=None,
        blocks=intro.blocks,
        text=intro.text,
        action=goal,
    )
    status, _ = await h.post_signed(bot.conn, body, h.FORM)
    question = await fake.wait_post(channel, 1)
    assert status == 200 and question is not None, "the bot did not post the first question"
    yes = next(b for b in h.buttons(question.blocks) if b["action_id"] == h.ACTION_PREFIX + "answer.y")
    fake.forget(channel)
    return {"action": yes, "blocks": question.blocks, "text": question.text, "thread_ts": intro.ts}


async def bot_messages(fake: h.FakeSlack, bot: Target, click: dict) -> dict:
    """The first message the bot posts for each kind of request (what the floor posts)."""
    found = {}
    for kind in KINDS:
        await one(fake, bot, kind, 999_999, click, record=False, keep=found)
    return {kind: {"text": post.text, "blocks": post.blocks} for kind, post in found.items()}


async def one(
    fake: h.FakeSlack, target: Target, kind: str, i: int, click: dict, record: bool, keep: dict | None = None
) -> None:
    channel = f"C{target.name.replace('-', '').upper()}{kind[:2].upper()}{i:06d}{'' if record else 'W'}"
    if kind == "slash":
        body, ctype = h.command_body(channel), h.FORM
    elif kind == "click":
        body = h.click_body(
            channel=channel,
            message_ts=f"1600000000.{i:06d}",
            thread_ts=click["thread_ts"],
            blocks=click["blocks"],
            text=click["text"],
            action=click["action"],
        )
        ctype = h.FORM
    else:
        ts = f"1600000000.{i:06d}"
        body = h.mention_body(
            channel=channel,
            ts=ts,
            text=MENTIONS[i % len(MENTIONS)],
            event_id=f"Ev{target.name.replace('-', '')}{i:08d}{'' if record else 'W'}",
        )
        ctype = h.JSON
    headers = h.signed_headers(body, ctype)
    t0 = time.perf_counter()
    status, _ = await target.conn.post("/slack/events", body, headers)
    t_ack = time.perf_counter()
    post = await fake.wait_post(channel, 0, timeout=10.0)
    first_call = fake.first_call.get(channel)
    fake.forget(channel)
    if keep is not None and post is not None:
        keep[kind] = post
    if not record:
        return
    if status != 200 or post is None:
        target.failures[kind] += 1
        return
    target.ack[kind].append(t_ack - t0)
    target.first_post[kind].append(post.at - t0)
    target.first_call[kind].append((first_call or post.at) - t0)


async def run(args) -> int:
    h.print_machine("bench/latency.py: first-post latency, the bot vs a bare Bolt app and the floor")
    fake = await h.FakeSlack(keep_calls=False).start()
    bots = ["bot" if model == "waitress" else f"bot-{model}" for model in args.bots]
    floors = [name for name in args.bare if name.startswith("floor")]
    bolts = [name for name in args.bare if not name.startswith("floor")]
    ports = {name: h.free_port() for name in (*bots, *args.bare)}
    procs = {
        name: h.start_bot(ports[name], fake.api_url, args.workers, model=model)
        for name, model in zip(bots, args.bots)
    }
    for name in bolts:
        style, _, size = name.partition("-")
        procs[name] = start_bare(ports[name], fake.api_url, args.workers, style, size or "text")
    messages_file = tempfile.NamedTemporaryFile("w", prefix="bench-floor-", suffix=".json")
    try:
        for name, proc in procs.items():
            await h.wait_healthz(ports[name], proc=proc, any_status=(name not in bots))
        targets = {name: Target(name, ports[name]) for name in procs}
        click = await prepare_click(fake, targets[bots[0]])
        if floors:  # the floor posts what the bot posts
            json.dump(await bot_messages(fake, targets[bots[0]], click), messages_file)
            messages_file.flush()
        for name in floors:
            server = "raw" if name == "floor" else "wsgi"
            procs[name] = start_floor(ports[name], fake.api_url, args.workers, messages_file.name, server)
            await h.wait_healthz(ports[name], proc=procs[name], any_status=True)
            targets[name] = Target(name, ports[name])
        order = [targets[name] for name in (*bots, *args.bare)]
        for i in range(args.warmup):  # imports, auth.test, thread pools, sqlite, caches
            for kind in KINDS:
                for target in order:
                    await one(fake, target, kind, i, click, record=False)
        started = time.perf_counter()
        for i in range(args.requests):
            for kind in KINDS:
                shift = i % len(order)  # rotate who goes first
                for target in order[shift:] + order[:shift]:
                    await one(fake, target, kind, i, click, record=True)
                    await asyncio.sleep(args.gap / 1000.0)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs.values():
            h.stop(proc)
        await asyncio.sleep(0.2)  # the fake reads the end of the floors' kept-alive connections
        await fake.stop()
        messages_file.close()

    print(
        f"# {args.requests} requests per kind per app, rotating order; {args.workers} workers each; "
        f"measured in {elapsed:.1f} s"
    )
    print(
        "# bot = usecase-bot run --mode http (waitress in gunicorn workers, bot/serving.py); bot-gthread = "
        "the same bot on the old server model (gunicorn gthread, 16 threads). Bare Bolt apps, under the "
        "bot's server: plain = ack() then post in one listener (Bolt's defaults); lazy = the bot's pattern "
        "(process_before_response, an ack listener + a lazy listener); direct = process_before_response, "
        "the ack listener acks then submits the post to its own pool; each posts one line of text, "
        "or with -big a fixed recommendation as big as the bot's (~4 KB of blocks). floor = no framework "
        "at all: check the signature, answer 200, then post the bot's own message for that kind with one "
        "POST on a keep-alive connection (a thread per connection, no server library); floor-wsgi = the "
        "same as a WSGI app under the bot's server"
    )
    bares = [targets[name] for name in args.bare]
    worst = {}
    for name in bots:
        bot = targets[name]
        print()
        head = f"{'kind':8} {'metric':15} {'pct':>4} {name:>11}"
        for b in bares:
            head += f" {b.name:>10} {'ratio':>5}"
        print(head)
        for kind in KINDS:
            rows = [("first post", "first_post"), ("ack", "ack")]
            if kind == "click":
                rows.insert(1, ("first API call", "first_call"))
            for label, attr in rows:
                for p in (50, 99):
                    mine = h.pct(getattr(bot, attr)[kind], p)
                    line = f"{kind:8} {label:15} {'p' + str(p):>4} {mine * 1e3:9.2f}ms"
                    for b in bares:
                        theirs = h.pct(getattr(b, attr)[kind], p)
                        line += f" {theirs * 1e3:8.2f}ms {mine / theirs:5.2f}"
                        if attr == "first_post" and p == 50:
                            key = (name, b.name)
                            worst[key] = max(worst.get(key, 0.0), mine / theirs)
                    print(line)
    print()
    print("failures per kind: " + ", ".join(f"{t.name} {t.failures}" for t in targets.values()))
    for (name, bare), ratio in worst.items():
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        print(
            f"worst first-post p50 ratio {name}/{bare}: {ratio:.2f} ({verdict} the target <= {TARGET_RATIO:.2f})"
        )
    if len(bots) > 1:
        for name in bots[1:]:
            ratios = [
                h.pct(targets[bots[0]].first_post[kind], 50) / h.pct(targets[name].first_post[kind], 50)
                for kind in KINDS
            ]
            shown = ", ".join(f"{kind} {r:.2f}" for kind, r in zip(KINDS, ratios))
            print(f"first-post p50 {bots[0]}/{name} (the server model alone): {shown}")
    if "floor" in args.bare:
        for name in bots:
            ratio = h.pct(targets[name].first_post["slash"], 50) / h.pct(
                targets["floor"].first_post["slash"], 50
            )
            print(f"/usecase first post p50, {name}/floor: {ratio:.2f} (issue 17's measure; target <= 1.10)")
    return 0


async def run_databases(args) -> int:
    h.print_machine(
        f"bench/latency.py --databases: first-post latency, PostgreSQL vs SQLite ({args.db_mode})"
    )
    fake = await h.FakeSlack(keep_calls=False).start()
    postgres = h.Postgres()
    pg_url = postgres.database()
    ports = {name: h.free_port() for name in ("sqlite", "postgres")}
    envs = {"sqlite": {}, "postgres": {"DATABASE_URL": pg_url}}
    procs = {}
    try:
        if args.db_mode == "oauth":
            import tempfile

            sqlite_url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-latency-')}/usecase-bot.sqlite3"
            envs = {"sqlite": h.oauth_env(sqlite_url), "postgres": h.oauth_env(pg_url)}
            for url in (sqlite_url, pg_url):
                h.seed_installation(url)
        for name in ports:
            procs[name] = h.start_bot(ports[name], fake.api_url, args.workers, env=envs[name])
        for name, proc in procs.items():
            await h.wait_healthz(ports[name], proc=proc)
        targets = [Target(name, ports[name]) for name in procs]
        click = await prepare_click(fake, targets[0])
        for i in range(args.warmup):
            for kind in KINDS:
                for target in targets:
                    await one(fake, target, kind, i, click, record=False)
        started = time.perf_counter()
        for i in range(args.requests):
            for kind in KINDS:
                shift = i % len(targets)
                for target in targets[shift:] + targets[:shift]:
                    await one(fake, target, kind, i, click, record=True)
                    await asyncio.sleep(args.gap / 1000.0)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs.values():
            h.stop(proc)
        await fake.stop()
        postgres.close()
    sqlite, pg = targets
    print(
        f"# {args.requests} requests per kind per database, alternating; {args.workers} gunicorn workers each; "
        f"mode {args.db_mode}; measured in {elapsed:.1f} s"
    )
    print()
    print(f"{'kind':8} {'metric':15} {'pct':>4} {'postgres':>10} {'sqlite':>10} {'ratio':>6}")
    worst = 0.0
    for kind in KINDS:
        for label, attr in (("first post", "first_post"), ("ack", "ack")):
            for p in (50, 99):
                mine, theirs = h.pct(getattr(pg, attr)[kind], p), h.pct(getattr(sqlite, attr)[kind], p)
                print(
                    f"{kind:8} {label:15} {'p' + str(p):>4} {mine * 1e3:8.2f}ms {theirs * 1e3:8.2f}ms {mine / theirs:6.2f}"
                )
                if attr == "first_post" and p == 50:
                    worst = max(worst, mine / theirs)
    print()
    print("failures per kind: " + ", ".join(f"{t.name} {t.failures}" for t in targets))
    verdict = "meets" if worst <= DATABASE_TARGET_RATIO else "MISSES"
    print(
        f"worst first-post p50 ratio postgres/sqlite: {worst:.2f} ({verdict} the target <= {DATABASE_TARGET_RATIO:.2f})"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per kind per app (default 300)")
    parser.add_argument(
        "--warmup", type=int, default=20, help="warm-up requests per kind per app (default 20)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for each app (default 2)")
    parser.add_argument("--gap", type=float, default=2.0, help="pause between requests, ms (default 2)")
    parser.add_argument(
        "--bots",
        nargs="+",
        choices=sorted(h.MODELS),
        default=["waitress"],
        help="server models to run the bot on, side by side (default waitress, HTTP mode's own; "
        "gthread: the old one, for a before/after in one run)",
    )
    parser.add_argument(
        "--bare",
        nargs="+",
        choices=["plain", "lazy", "plain-big", "lazy-big", "direct", "direct-big", "floor", "floor-wsgi"],
        default=["floor", "plain", "lazy", "lazy-big", "direct"],
        help="bare apps to compare with (default: plain lazy lazy-big direct). plain: ack() then "
        "post in one listener (Bolt's usual way); lazy: an ack listener plus a lazy "
        "listener, as the bot does; -big: the fixed message is a recommendation as "
        "big as the bot's (~4 KB of blocks) instead of one line of text; direct: "
        "process_before_response with an ack listener that acks and submits the "
        "work to its own thread pool (no lazy listener); floor: no framework (signature check, 200, "
        "one keep-alive POST of the bot's own message); floor-wsgi: the floor under the bot's server",
    )
    parser.add_argument(
        "--bare-style", choices=["plain", "lazy", "direct"], default="plain", help=argparse.SUPPRESS
    )
    parser.add_argument("--bare-message", choices=["text", "big"], default="text", help=argparse.SUPPRESS)
    parser.add_argument(
        "--databases",
        action="store_true",
        help="compare the bot on PostgreSQL with the bot on SQLite instead",
    )
    parser.add_argument(
        "--db-mode",
        choices=["oauth", "single"],
        default="oauth",
        help="with --databases: as an app any workspace installs (default), or one workspace's",
    )
    parser.add_argument("--serve-bare", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--serve-floor", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--floor-messages", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--floor-server", choices=["raw", "wsgi"], default="raw", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor is not None:
        serve_floor(args.serve_floor, args.api_url, args.workers, args.floor_messages, args.floor_server)
        return 0
    if args.serve_bare is not None:
        serve_bare(args.serve_bare, args.api_url, args.workers, args.bare_style, args.bare_message)
        return 0
    if args.databases:
        return asyncio.run(run_databases(args))
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
