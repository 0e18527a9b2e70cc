"""Memory of one HTTP worker over 10,000 requests, and whether it keeps growing.

    .venv/bin/python bench/memory.py [--requests 10000] [--concurrency 8]

Starts `usecase-bot run --mode http --workers 1` against a local fake Web API and sends a mix
of signed requests, each waiting for the bot's chat.postMessage before the next on its
connection (so the work after each ack is done too):
- 20% `/usecase` (the goal chooser),
- 10% `/usecase <free text>` (the matcher; a close call or a miss is answered in the ack),
- 40% clicks: "Choose" a goal or an answer to a question, each on a new message ts, so the
  worker's click first-time table gets a new key every time,
- 30% mentions with a new event_id each (so the event first-time table grows); half of them
  carry a made-up word, as people's typos do, so the matcher's word caches see new words.
Channel ids and event ids are random (as Slack's are), so the table's index is written all over.
The worker's VmRSS and VmHWM (peak) are read from /proc/<pid>/status after a warm-up and at
every checkpoint. Target: no growth between 5,000 and 10,000 requests (every cache and
first-time table bounded); peak RSS reported.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402
from matcher_scale import dev_queries  # noqa: E402

GROWTH_TOLERANCE_KB = 1024  # allocator noise: below 1 MB between 5k and 10k counts as flat


class Mix:
    def __init__(self, fake: h.FakeSlack, seed: int = 7, typos: float = 0.5):
        self.fake = fake
        self.typos = typos
        self.rng = random.Random(seed)
        self.texts = dev_queries()
        self.question: dict | None = None  # a question message to click answers on
        self.intro: h.Post | None = None
        self.n = 0
        self.posts_missing = 0
        self.non_200 = 0

    def ts(self) -> str:
        return f"{time.time():.6f}"

    def made_up_word(self) -> str:
        letters = "abcdefghijklmnopqrstuvwxyz"
        return "".join(self.rng.choice(letters) for _ in range(self.rng.randint(5, 10)))

    async def one(self, conn: h.Connection) -> None:
        self.n += 1
        i = self.n
        # ids in no particular order, as Slack's are (the first-time table's index sees random keys)
        channel = f"C{self.rng.getrandbits(48):012X}{i:06d}"
        roll = self.rng.random()
        expect_post = True
        if roll < 0.20:
            body, ctype = h.command_body(channel), h.FORM
        elif roll < 0.30:
            body, ctype = h.command_body(channel, self.rng.choice(self.texts)), h.FORM
            expect_post = False  # a confident answer is posted, the rest go back in the ack
        elif roll < 0.70:
            if self.rng.random() < 0.5:
                intro = self.intro
                action = self.rng.choice(
                    [
                        b
                        for b in h.buttons(intro.blocks)
                        if b["action_id"].startswith(h.ACTION_PREFIX + "goal.")
                    ]
                )
                body = h.click_body(
                    channel=channel,
                    message_ts=self.ts(),
                    thread_ts=None,
                    blocks=intro.blocks,
                    text=intro.text,
                    action=action,
                )
            else:
                q = self.question
                action = self.rng.choice(
                    [
                        b
                        for b in h.buttons(q["blocks"])
                        if b["action_id"].startswith(h.ACTION_PREFIX + "answer.")
                    ]
                )
                body = h.click_body(
                    channel=channel,
                    message_ts=self.ts(),
                    thread_ts=q["thread_ts"],
                    blocks=q["blocks"],
                    text=q["text"],
                    action=action,
                )
            ctype = h.FORM
        else:
            text = self.rng.choice(self.texts)
            if self.rng.random() < self.typos:
                text += " " + self.made_up_word()
            body = h.mention_body(
                channel=channel, ts=self.ts(), text=text, event_id=f"Ev{self.rng.getrandbits(48):012X}{i:06d}"
            )
            ctype = h.JSON
        status, _ = await h.post_signed(conn, body, ctype)
        if status != 200:
            self.non_200 += 1
        if expect_post:
            if await self.fake.wait_post(channel, 0, timeout=15) is None:
                self.posts_missing += 1
        else:
            await asyncio.sleep(0.005)  # a confident answer may still be posted: let it land
        self.fake.forget(channel)

    async def prepare(self, conn: h.Connection) -> None:
        channel = "CMEMPREP"
        await h.post_signed(conn, h.command_body(channel), h.FORM)
        self.intro = await self.fake.wait_post(channel, 0)
        goal = h.buttons(self.intro.blocks)[0]
        await h.post_signed(
            conn,
            h.click_body(
                channel=channel,
                message_ts=self.intro.ts,
                thread_ts=None,
                blocks=self.intro.blocks,
                text=self.intro.text,
                action=goal,
            ),
            h.FORM,
        )
        question = await self.fake.wait_post(channel, 1)
        self.question = {"blocks": question.blocks, "text": question.text, "thread_ts": self.intro.ts}
        self.fake.forget(channel)


# --------------------------------------------------------------------------- diagnosis


def serve_diagnostic(port: int, api_url: str, seen_kind: str, trace: bool) -> None:
    """The bot's app built as serve_http builds it, under the same gunicorn settings (1 worker),
    optionally with another first-time table and with tracemalloc; GET /__mem answers the
    top Python allocation growth since the previous GET /__mem."""
    import json
    import os
    import tempfile
    import tracemalloc

    from gunicorn.app.base import BaseApplication

    from bot.app import Identity, build_app
    from bot.catalog import load_catalog
    from bot.dedupe import MemorySeenOnce
    from bot.settings import Settings
    from bot.storage import Database
    from bot.web import make_wsgi_app

    class NoSeen:
        def first(self, key: str) -> bool:
            return True

    settings = Settings(
        mode="http", bot_token=h.BOT_TOKEN, signing_secret=h.SECRET, api_url=api_url, port=port, workers=1
    )
    catalog = load_catalog()
    identity = Identity(team_id=h.TEAM_ID, user_id=h.BOT_USER_ID, bot_id=h.BOT_ID)
    seen_path = os.path.join(tempfile.mkdtemp(prefix="bench-memory-"), "seen.sqlite3")

    def build():
        if trace:
            tracemalloc.start(1)
        seen = {
            "sqlite": lambda: Database.open(f"sqlite:///{seen_path}").seen_once(),
            "memory": MemorySeenOnce,
            "none": NoSeen,
        }[seen_kind]()
        inner = make_wsgi_app(build_app(settings, catalog, identity=identity, seen=seen), h.SECRET)
        previous = [tracemalloc.take_snapshot() if trace else None]

        def wsgi(environ, start_response):
            if environ.get("PATH_INFO") != "/__mem":
                return inner(environ, start_response)
            rows = []
            if trace:
                snapshot = tracemalloc.take_snapshot().filter_traces(
                    [tracemalloc.Filter(False, tracemalloc.__file__)]
                )
                for stat in snapshot.compare_to(previous[0], "lineno")[:12]:
                    frame = stat.traceback[0]
                    rows.append(
                        [
                            f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}",
                            stat.size_diff,
                            stat.count_diff,
                        ]
                    )
                previous[0] = snapshot
            body = json.dumps(
                {"traced": tracemalloc.get_traced_memory()[0] if trace else None, "top": rows}
            ).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]

        return wsgi

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {"bind": f"127.0.0.1:{port}", "workers": 1, **h.GUNICORN_SETTINGS}.items():
                self.cfg.set(key, value)

        def load(self):
            return build()

    Server().run()


async def mem_report(port: int) -> dict:
    import json

    conn = h.Connection("127.0.0.1", port)
    try:
        _, body = await conn.get("/__mem")
    finally:
        conn.close()
    return json.loads(body)


# --------------------------------------------------------------------------- the run


async def run(args) -> int:
    h.print_machine("bench/memory.py: one HTTP worker's memory over many requests")
    fake = await h.FakeSlack(keep_calls=False).start()
    port = h.free_port()
    if args.diagnose:
        print(
            f"# DIAGNOSIS: the bot's app in a bench-built gunicorn (serve_http's settings), "
            f"first-time table: {args.seen}, tracemalloc: {'on' if args.tracemalloc else 'off'}"
        )
        import subprocess

        proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve-diagnostic",
                str(port),
                "--api-url",
                fake.api_url,
                "--seen",
                args.seen,
            ]
            + (["--tracemalloc"] if args.tracemalloc else []),
            env=h.bot_env(fake.api_url),
            start_new_session=True,
        )
    else:
        proc = h.start_bot(port, fake.api_url, 1)
    checkpoints = sorted(
        {args.requests // 10, args.requests // 4, args.requests // 2, 3 * args.requests // 4, args.requests}
    )
    readings = []
    try:
        await h.wait_healthz(port, proc=proc)
        worker = h.children(proc.pid)[0]
        readings.append((0, h.proc_status(worker)))
        if args.diagnose and args.tracemalloc:
            await mem_report(port)
        conns = [h.Connection("127.0.0.1", port) for _ in range(args.concurrency)]
        mix = Mix(fake, typos=args.typos)
        await mix.prepare(conns[0])
        readings.append(("prepared", h.proc_status(worker)))
        started = time.perf_counter()
        done = 0
        for checkpoint in checkpoints:
            todo = checkpoint - done

            async def lane(conn, count):
                for _ in range(count):
                    await mix.one(conn)

            share = [todo // len(conns) + (1 if k < todo % len(conns) else 0) for k in range(len(conns))]
            await asyncio.gather(*(lane(c, n) for c, n in zip(conns, share)))
            done = checkpoint
            await asyncio.sleep(0.5)  # let the worker's threads finish and settle
            readings.append((checkpoint, h.proc_status(worker)))
            print(
                f"  {checkpoint:6d} requests  VmRSS {readings[-1][1]['VmRSS'] / 1024:7.1f} MB  "
                f"VmHWM {readings[-1][1]['VmHWM'] / 1024:7.1f} MB  threads {readings[-1][1]['Threads']:3d}  "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            if args.diagnose and args.tracemalloc and checkpoint >= args.requests // 2:
                report = await mem_report(port)
                print(
                    f"      Python heap traced: {report['traced'] / 2**20:.1f} MB; top growth since the last report:"
                )
                for where, size, count in report["top"][:8]:
                    print(f"        {size / 1024:+9.1f} kB {count:+7d} blocks  {where}")
        elapsed = time.perf_counter() - started
        assert h.children(proc.pid) == [worker], "the worker was replaced during the run"
    finally:
        h.stop(proc)
        await fake.stop()

    by = dict(readings)
    half, full = by[args.requests // 2], by[args.requests]
    growth = full["VmRSS"] - half["VmRSS"]
    print()
    print(
        f"# {args.requests} requests in {elapsed:.0f} s over {args.concurrency} connections; "
        f"non-200: {mix.non_200}; posts that never came: {mix.posts_missing}; "
        f"Web API calls: {dict(sorted(fake.counts.items()))}"
    )
    print(
        f"worker RSS at start {by[0]['VmRSS'] / 1024:.1f} MB; at {args.requests // 2}: {half['VmRSS'] / 1024:.1f} MB; "
        f"at {args.requests}: {full['VmRSS'] / 1024:.1f} MB; peak (VmHWM) {full['VmHWM'] / 1024:.1f} MB"
    )
    verdict = "flat (meets the target)" if growth <= GROWTH_TOLERANCE_KB else "GROWS (misses the target)"
    print(f"growth {args.requests // 2} -> {args.requests}: {growth / 1024:+.1f} MB: {verdict}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8, help="connections sending at once (default 8)")
    parser.add_argument(
        "--typos", type=float, default=0.5, help="share of mentions carrying a made-up word (default 0.5)"
    )
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="run the bot's app in a bench-built gunicorn instead of `usecase-bot run`, "
        "to try --seen and --tracemalloc",
    )
    parser.add_argument(
        "--seen",
        choices=["sqlite", "memory", "none"],
        default="sqlite",
        help="with --diagnose: the first-time table (default sqlite, as serve_http)",
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="with --diagnose: report Python allocation growth"
    )
    parser.add_argument("--serve-diagnostic", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_diagnostic is not None:
        serve_diagnostic(args.serve_diagnostic, args.api_url, args.seen, args.tracemalloc)
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
