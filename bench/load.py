"""Load: N people run the whole guided flow at once against HTTP mode.

    .venv/bin/python bench/load.py [--flows 500] [--workers 2] [--ramp 1.0] [--think 0]
    .venv/bin/python bench/load.py --flows 1000 --hosts 2 --database postgres --mode oauth

With --hosts H (H >= 2 needs --database postgres: a throwaway cluster, or
USECASE_TEST_POSTGRES_URL's server), H bot processes (each with --workers) share one database,
as hosts behind a load balancer would: each person's requests go to the hosts in turn, so the
clicks of one flow land on every host. --mode oauth runs them as an app any workspace installs
(every request reads its workspace's installation from the database).

Starts `usecase-bot run --mode http --workers W` (W >= 2) against a local fake Web API
(bench/_harness.py FakeSlack: chat.postMessage answers a fresh ts and is kept per channel with
its blocks; chat.update, chat.postEphemeral and response_urls are recorded).

Each simulated person has a channel of their own and one keep-alive connection (so N flows means
N connections), starts within --ramp seconds of the others, and then:
  `/usecase` -> waits for the goal chooser the bot posts -> clicks one of its goal buttons ->
  waits for the question the bot posts in the thread -> clicks Yes / No / Not sure ... -> (when
  the answers tie or are all No: clicks one of the offered use cases) -> the recommendation
  (a message with the Helpful button) ends the flow.
Every click is built from the buttons of the message the bot actually posted (action_id,
block_id, value, and the message's blocks in the payload), as Slack sends it.

Reported: flows completed and lost (a step whose post never came within --step-timeout, an
HTTP error, or a message without the expected buttons), duplicate posts (more chat.postMessage
calls in a flow's channel than the requests it made), private notices (chat.postEphemeral or
response_url: "already answered", "expired", a failure), acks over 3 s, ack p50/p99/max, flow
durations, and the client's own event-loop lag (how late this script itself ran, an upper bound
on how much of the measured times is the client's doing).
Target: 500 concurrent flows, 0 lost, 0 duplicates, every ack under 3 s.
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

ACK_LIMIT = 3.0
MAX_STEPS = 20


class Results:
    def __init__(self):
        self.acks: list[float] = []
        self.durations: list[float] = []
        self.completed = 0
        self.lost: dict[str, int] = {}
        self.requests: dict[str, int] = {}  # channel -> requests that each should bring one post
        self.http_errors = 0
        self.steps = 0

    def lose(self, why: str) -> None:
        self.lost[why] = self.lost.get(why, 0) + 1


def choose(rng: random.Random, message: h.Post) -> dict | None:
    """The button a person clicks next on this message (None: it is the recommendation)."""
    found = h.buttons(message.blocks)
    ids = [b["action_id"] for b in found]
    if h.ACTION_PREFIX + "helpful" in ids:
        return None
    for kind in ("answer.", "goal.", "pick."):
        options = [b for b in found if b["action_id"].startswith(h.ACTION_PREFIX + kind)]
        if options:
            return rng.choice(options)
    return {}


async def flow(k: int, args, fake: h.FakeSlack, ports: list[int], results: Results) -> None:
    rng = random.Random(args.seed * 1_000_003 + k)
    channel = f"CLOAD{k:06d}"
    conns = [h.Connection("127.0.0.1", port) for port in ports]  # one per host, as a balancer's
    turn = [k]
    await asyncio.sleep(rng.uniform(0, args.ramp))
    started = time.perf_counter()
    results.requests[channel] = 0

    async def send(body: bytes) -> bool:
        results.requests[channel] += 1
        results.steps += 1
        t = time.perf_counter()
        conn = conns[turn[0] % len(conns)]  # the next host
        turn[0] += 1
        try:
            status, _ = await h.post_signed(conn, body, h.FORM)
        except (OSError, asyncio.IncompleteReadError) as exc:
            results.http_errors += 1
            results.lose(f"connection error ({type(exc).__name__})")
            return False
        results.acks.append(time.perf_counter() - t)
        if status != 200:
            results.http_errors += 1
            results.lose(f"HTTP {status}")
            return False
        return True

    try:
        if not await send(h.command_body(channel, response_url=fake.response_url(channel))):
            return
        message = await fake.wait_post(channel, 0, timeout=args.step_timeout)
        for _ in range(MAX_STEPS):
            if message is None:
                results.lose("post never came")
                return
            action = choose(rng, message)
            if action is None:
                results.completed += 1
                results.durations.append(time.perf_counter() - started)
                return
            if not action:
                results.lose("no button to click")
                return
            if args.think:
                await asyncio.sleep(rng.uniform(0, 2 * args.think))
            body = h.click_body(
                channel=channel,
                message_ts=message.ts,
                thread_ts=message.thread_ts,
                blocks=message.blocks,
                text=message.text,
                action=action,
                response_url=fake.response_url(channel),
            )
            if not await send(body):
                return
            message = await fake.wait_post(channel, results.requests[channel] - 1, timeout=args.step_timeout)
        results.lose("too many steps")
    finally:
        for conn in conns:
            conn.close()


async def lag_meter(stop: asyncio.Event, lags: list[float], every: float = 0.05) -> None:
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(every)
        lags.append(time.perf_counter() - t - every)


async def run(args) -> int:
    h.print_machine(
        f"bench/load.py: {args.flows} concurrent guided flows, {args.hosts} host(s) x {args.workers} workers, "
        f"{args.database}, {args.mode}"
    )
    fake = await h.FakeSlack(keep_calls=True).start()
    postgres = h.Postgres() if args.database == "postgres" else None
    env = {}
    if postgres is not None:
        env["DATABASE_URL"] = postgres.database()
    if args.mode == "oauth":
        if postgres is None:
            import tempfile

            env["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='bench-load-')}/usecase-bot.sqlite3"
        h.seed_installation(env["DATABASE_URL"])
        env.update(h.oauth_env(env["DATABASE_URL"]))
    ports = [h.free_port() for _ in range(args.hosts)]
    procs = [h.start_bot(port, fake.api_url, args.workers, log_path=args.log, env=env) for port in ports]
    results = Results()
    lags: list[float] = []
    try:
        for port, proc in zip(ports, procs):
            await h.wait_healthz(port, proc=proc)
        stop = asyncio.Event()
        meter = asyncio.create_task(lag_meter(stop, lags))
        started = time.perf_counter()
        await asyncio.gather(*(flow(k, args, fake, ports, results) for k in range(args.flows)))
        elapsed = time.perf_counter() - started
        await asyncio.sleep(args.settle)  # late or repeated posts still arrive
        stop.set()
        await meter
        workers_alive = sum(len(h.children(proc.pid)) for proc in procs)
    finally:
        for proc in procs:
            h.stop(proc)
        await fake.stop()
        if postgres is not None:
            postgres.close()

    duplicates = sum(max(0, len(fake.channel_posts(ch)) - n) for ch, n in results.requests.items())
    notices: dict[str, int] = {}
    for call in fake.calls:
        if call.method in ("chat.postEphemeral", "response_url"):
            text = str((call.params or {}).get("text") or "")[:60]
            notices[text] = notices.get(text, 0) + 1
    acks = results.acks
    over = sum(1 for a in acks if a >= ACK_LIMIT)
    print(
        f"# {args.flows} flows, {args.hosts} host(s) x {args.workers} workers, {args.database}, {args.mode}, "
        f"ramp {args.ramp} s, think {args.think} s; "
        f"{len(acks)} requests in {elapsed:.1f} s ({len(acks) / elapsed:.0f} req/s); "
        f"Web API calls: {dict(sorted(fake.counts.items()))}"
    )
    print(
        f"flows completed: {results.completed} / {args.flows}; lost: {sum(results.lost.values())} "
        f"{results.lost or ''}"
    )
    print(
        f"duplicate posts: {duplicates}; private notices: {sum(notices.values())} {notices or ''}; "
        f"HTTP errors: {results.http_errors}; workers alive at the end: {workers_alive}"
    )
    print(
        f"acks: p50 {h.ms(h.pct(acks, 50))}, p99 {h.ms(h.pct(acks, 99))}, max {h.ms(max(acks))}; "
        f"over {ACK_LIMIT:.0f} s: {over}"
    )
    if results.durations:
        d = results.durations
        print(
            f"flow duration: p50 {h.pct(d, 50):.2f} s, p99 {h.pct(d, 99):.2f} s, max {max(d):.2f} s "
            f"({results.steps / max(1, args.flows):.1f} requests per flow)"
        )
    print(
        f"client event-loop lag: p50 {h.ms(h.pct(lags, 50))}, p99 {h.ms(h.pct(lags, 99))}, max {h.ms(max(lags))}"
    )
    ok = not results.lost and results.completed == args.flows and duplicates == 0 and over == 0
    print(
        f"{'meets' if ok else 'MISSES'} the target: {args.flows} flows, 0 lost, 0 duplicates, every ack under 3 s"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=500, help="concurrent flows (default 500)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument(
        "--ramp", type=float, default=1.0, help="flows start within this many seconds (default 1)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause before each click, seconds (default 0: click as soon as the post lands)",
    )
    parser.add_argument(
        "--step-timeout", type=float, default=30.0, help="wait for a post, seconds (default 30)"
    )
    parser.add_argument(
        "--settle", type=float, default=2.0, help="wait for stray posts at the end (default 2)"
    )
    parser.add_argument("--hosts", type=int, default=1, help="bot processes sharing the database (default 1)")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="sqlite: the bot's default file (one host); postgres: a throwaway cluster (default sqlite)",
    )
    parser.add_argument(
        "--mode",
        choices=["single", "oauth"],
        default="single",
        help="single: SLACK_BOT_TOKEN; oauth: an app any workspace installs (default single)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log", default=None, help="append the bot's output to this file")
    args = parser.parse_args()
    if args.workers < 2:
        parser.error("--workers must be at least 2")
    if args.hosts > 1 and args.database != "postgres":
        parser.error("--hosts above 1 need --database postgres: hosts share one database")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
