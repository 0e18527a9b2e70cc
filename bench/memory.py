"""Memory of one HTTP worker over many requests, and whether it levels off.

    .venv/bin/python bench/memory.py [--requests 10000] [--concurrency 8] [--model waitress|gthread]
    .venv/bin/python bench/memory.py --requests 100000 --mappings          # ~10 min
    .venv/bin/python bench/memory.py --diagnose [--tracemalloc]            # where the memory is

Starts `usecase-bot run --mode http --workers 1` against a local fake Web API and sends a mix
of signed requests, each waiting for the bot's chat.postMessage before the next on its
connection (so the work after each ack is done too):
- 20% `/usecase` (the goal chooser),
- 10% `/usecase <free text>` (the matcher; a close call or a miss is answered in the ack),
- 40% clicks: "Choose" a goal or an answer to a question, each on a new message ts, so the
  seen-once table gets a new key every time,
- 30% mentions with a new event_id each (so the seen-once table grows); half of them carry a
  made-up word, as people's typos do, so the matcher's word caches see new words.
Channel ids and event ids are random (as Slack's are), so the table's index is written all over.
The worker's VmRSS (with its anonymous, file and shared parts) and VmHWM (peak) are read from
/proc/<pid>/status after a warm-up and at every tenth of the run. Target: no growth over the
second half of the run (every cache and table bounded, no leak); peak RSS reported.

--model gthread runs the bot on the old server model (gunicorn's gthread workers), for a before
and after. --env NAME=VALUE adds to the bot's environment (e.g. MALLOC_ARENA_MAX=16).
--mappings reports which of the worker's memory mappings grew between the first and the last
checkpoint (/proc/<pid>/smaps): glibc malloc's main heap, its other arenas, and the rest
(Python's own arenas, thread stacks, large blocks).
--diagnose serves the bot from this script (serve_http's app, database and server model) with a
GET /__mem that reports glibc malloc's bytes in use and free (mallinfo2) and SQLite's own count
at each checkpoint; with --tracemalloc, also the Python heap and its top growth.
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

GROWTH_TOLERANCE_KB = 1024  # allocator noise: below 1 MB over the second half counts as flat


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


def native_memory() -> dict:
    """What the C side holds, in bytes: glibc malloc's pieces in use and free (mallinfo2, over
    every arena; "mmapped": blocks malloc maps on their own), and SQLite's own count."""
    import ctypes
    import ctypes.util

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_size_t)
            for name in (
                "arena",
                "ordblks",
                "smblks",
                "hblks",
                "hblkhd",
                "usmblks",
                "fsmblks",
                "uordblks",
                "fordblks",
                "keepcost",
            )
        ]

    out = {}
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallinfo2.restype = MallInfo2
        info = libc.mallinfo2()
        out.update(in_use=info.uordblks, free=info.fordblks, mmapped=info.hblkhd)
    except (OSError, AttributeError):
        pass
    try:
        import sqlite3  # noqa: F401 - loads the library the bot's connections use

        lib = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        out["sqlite"] = lib.sqlite3_memory_used()
    except (OSError, AttributeError):
        pass
    return out


def serve_diagnostic(port: int, workers: int, model: str, trace: bool) -> None:
    """`usecase-bot run --mode http` as serve_http runs it (the same app, database and server
    model), with GET /__mem answering the traced Python heap and, with `trace`, its top growth
    since the previous GET /__mem (tracemalloc, started in the worker)."""
    import json
    import os
    import tracemalloc

    from bot.cli import load_catalog_or_explain
    from bot.server import configure_logging, serve_http
    from bot.settings import load_settings

    def wrap(inner):
        if trace:
            tracemalloc.start(1)
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
                {
                    "traced": tracemalloc.get_traced_memory()[0] if trace else None,
                    "top": rows,
                    "native": native_memory(),
                }
            ).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]

        return wsgi

    configure_logging()
    settings = load_settings(os.environ, mode="http", port=port, workers=workers)
    serve_http(settings, load_catalog_or_explain(), server=h.MODELS[model], wrap=wrap)


def show_mappings(before: dict, after: dict, start: int, end: int) -> None:
    """The mappings whose Rss grew most between two checkpoints."""
    grown = sorted(((after[k][1] - before.get(k, (0, 0))[1], k, after[k]) for k in after), reverse=True)
    total = sum(g for g, *_ in grown)
    print(
        f"      Rss growth {start} -> {end} requests by mapping (total {total / 1024:+.1f} MB), the largest:"
    )
    for growth, key, (size, rss) in grown[:8]:
        print(f"        {growth / 1024:+6.1f} MB  now {rss / 1024:5.1f} of {size / 1024:6.1f} MB  {key}")
    kinds = {}
    for key, (_, rss) in after.items():
        start, _, path = key.split(" ", 2)
        if path != "[anonymous]":
            kind = "[heap]" if path == "[heap]" else "files"
        elif int(start, 16) % (64 << 20) == 0:
            kind = "malloc arenas (64 MB-aligned heaps)"
        else:
            kind = "other anonymous (Python's arenas, thread stacks, large blocks)"
        grew = rss - before.get(key, (0, 0))[1]
        total_rss, total_growth = kinds.get(kind, (0, 0))
        kinds[kind] = (total_rss + rss, total_growth + grew)
    for kind, (rss, grew) in sorted(kinds.items()):
        print(f"        {kind}: {rss / 1024:.1f} MB ({grew / 1024:+.1f} MB)")
    new = [k for k in after if k not in before]
    gone = [k for k in before if k not in after]
    print(f"      mappings: {len(before)} -> {len(after)} ({len(new)} new, {len(gone)} gone)")


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
    extra = dict(pair.split("=", 1) for pair in args.env)
    print(f"# server model: {args.model}; environment: {extra or 'as is'}")
    if args.diagnose:
        import shutil
        import subprocess
        import tempfile

        print(f"# DIAGNOSIS: GET /__mem in each worker; tracemalloc: {'on' if args.tracemalloc else 'off'}")
        data_dir = tempfile.mkdtemp(prefix="bench-memory-")
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-diagnostic", str(port), "--model", args.model]
            + (["--tracemalloc"] if args.tracemalloc else []),
            env={**h.bot_env(fake.api_url, USECASE_DATA_DIR=data_dir), **extra},
            start_new_session=True,
        )
        proc.cleanup = lambda: shutil.rmtree(data_dir, ignore_errors=True)
    else:
        proc = h.start_bot(port, fake.api_url, 1, model=args.model, env=extra)
    checkpoints = sorted({args.requests * k // 10 for k in range(1, 11)})
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
        maps_before = None
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
            if args.mappings and maps_before is None:
                maps_before = h.mappings(worker)
            elif args.mappings and checkpoint == checkpoints[-1]:
                show_mappings(maps_before, h.mappings(worker), checkpoints[0], checkpoint)
            now = readings[-1][1]
            print(
                f"  {checkpoint:6d} requests  VmRSS {now['VmRSS'] / 1024:6.1f} MB (anonymous "
                f"{now.get('RssAnon', 0) / 1024:5.1f}, files {now.get('RssFile', 0) / 1024:4.1f}, shared "
                f"{now.get('RssShmem', 0) / 1024:4.1f})  VmHWM {now['VmHWM'] / 1024:6.1f} MB  "
                f"threads {now['Threads']:3d}  ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            if args.diagnose:
                report = await mem_report(port)
                native = {k: f"{v / 2**20:.1f} MB" for k, v in report["native"].items()}
                print(f"      malloc and SQLite: {native}")
            if args.diagnose and args.tracemalloc and checkpoint >= args.requests // 5:
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
    # the trend over the second half's checkpoints (least squares), less at the mercy of one
    # reading than the difference of two: RSS moves a megabyte either way between checkpoints
    points = [(n, r["VmRSS"]) for n, r in readings if isinstance(n, int) and n >= args.requests // 2]
    mean_n = sum(n for n, _ in points) / len(points)
    mean_r = sum(r for _, r in points) / len(points)
    slope = sum((n - mean_n) * (r - mean_r) for n, r in points) / (
        sum((n - mean_n) ** 2 for n, _ in points) or 1
    )
    trend = slope * (args.requests - args.requests // 2)
    verdict = "flat (meets the target)" if trend <= GROWTH_TOLERANCE_KB else "GROWS (misses the target)"
    print(
        f"growth {args.requests // 2} -> {args.requests}: {growth / 1024:+.1f} MB; trend over the second "
        f"half's {len(points)} checkpoints: {trend / 1024:+.1f} MB ({slope * 10_000 / 1024:+.2f} MB per "
        f"10,000 requests): {verdict}"
    )
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
        help="serve the bot as serve_http does, from this script, with GET /__mem (for --tracemalloc)",
    )
    parser.add_argument(
        "--mappings",
        action="store_true",
        help="report which memory mappings of the worker grew (/proc/<pid>/smaps)",
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="with --diagnose: report Python allocation growth"
    )
    parser.add_argument(
        "--model",
        choices=sorted(h.MODELS),
        default="waitress",
        help="the server model (default waitress, HTTP mode's own; gthread: the old one)",
    )
    parser.add_argument(
        "--env",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="add to the bot's environment, e.g. MALLOC_ARENA_MAX=2",
    )
    parser.add_argument("--serve-diagnostic", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_diagnostic is not None:
        serve_diagnostic(args.serve_diagnostic, 1, args.model, args.tracemalloc)
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
