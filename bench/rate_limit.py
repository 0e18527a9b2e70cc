"""Rate limits: one busy channel must not delay the others.

    .venv/bin/python bench/rate_limit.py [--limited 80] [--retry-after 8] [--probes 30] [--workers 2]

Starts `usecase-bot run --mode http` against a local fake Web API (bench/_harness.py FakeSlack)
whose chat.postMessage answers HTTP 429 with `Retry-After: --retry-after` in --limited channels
for that many seconds. Each of those channels gets a `/usecase` at once; then --probes `/usecase`
in channels that are not limited, one after another, each timed from sending it to its first post
arriving at the fake Web API. The same probes run against an unlimited bot in the same run.

Reported: p50/p99 of the probes' first post with and without the limited channels, their ratio,
and whether every limited channel got its post once after the wait (none lost, none twice).
Before this issue's fix, Retry-After was slept in the shared pool: with 80 channels limited for
8 s, a probe was answered 17 s after its ack.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402


class LimitedSlack(h.FakeSlack):
    """chat.postMessage in `limited` channels answers 429 until `until` (perf_counter)."""

    limited: frozenset = frozenset()
    until: float = 0.0
    retry_after: int = 8

    def _handle(self, path: str, body: bytes, content_type: str, at: float):
        if path.startswith("/api/chat.postMessage") and at < self.until:
            channel = str(h.parse_params(body, content_type).get("channel") or "")
            if channel in self.limited:
                self.counts["429"] = self.counts.get("429", 0) + 1
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": self.retry_after}
        return super()._handle(path, body, content_type, at)


async def probe(port: int, fake: h.FakeSlack, channel: str) -> float:
    conn = h.Connection("127.0.0.1", port)
    try:
        body = h.command_body(channel, "", response_url=fake.response_url(channel))
        sent = time.perf_counter()
        status, _ = await h.post_signed(conn, body, "application/x-www-form-urlencoded")
        assert status == 200, status
        post = await fake.wait_post(channel, 0, timeout=60)
        assert post is not None, f"no post in {channel}"
        return post.at - sent
    finally:
        conn.close()


async def scenario(args, limited_count: int) -> dict:
    fake = LimitedSlack(keep_calls=False)
    fake.retry_after = args.retry_after
    await fake.start()
    port = h.free_port()
    proc = h.start_bot(port, fake.api_url, args.workers)
    try:
        await h.wait_healthz(port, timeout=60, proc=proc)
        for warm in range(5):
            await probe(port, fake, f"C0WARM{warm:04d}")
        limited = [f"C0LIMIT{i:04d}" for i in range(limited_count)]
        fake.limited = frozenset(limited)
        fake.until = time.perf_counter() + args.retry_after
        conns = [h.Connection("127.0.0.1", port) for _ in limited]

        async def start(conn, channel):
            body = h.command_body(channel, "", response_url=fake.response_url(channel))
            return (await h.post_signed(conn, body, "application/x-www-form-urlencoded"))[0]

        acks = await asyncio.gather(*(start(c, ch) for c, ch in zip(conns, limited, strict=True)))
        times = [await probe(port, fake, f"C0PROBE{i:04d}") for i in range(args.probes)]
        # the limited channels: each answered once, after its wait
        await asyncio.gather(*(fake.wait_post(ch, 0, timeout=args.retry_after * 4 + 30) for ch in limited))
        await asyncio.sleep(1.0)
        delivered = [len(fake.channel_posts(ch)) for ch in limited]
        for conn in conns:
            conn.close()
        return {
            "acks": acks,
            "probe_p50": h.median(times),
            "probe_p99": h.pct(times, 99),
            "limited_once": sum(1 for n in delivered if n == 1),
            "limited_lost": sum(1 for n in delivered if n == 0),
            "limited_twice": sum(1 for n in delivered if n > 1),
            "rate_limited_answers": fake.counts.get("429", 0),
        }
    finally:
        h.stop(proc)
        await fake.stop()


async def run(args) -> int:
    h.print_machine("rate limits: one busy channel must not delay the others")
    plain = await scenario(args, 0)
    busy = await scenario(args, args.limited)
    print(f"probes: {args.probes} /usecase in channels that are not limited, one after another")
    print(
        f"  no channel limited:        first post p50 {h.ms(plain['probe_p50'])}, p99 {h.ms(plain['probe_p99'])}"
    )
    print(
        f"  {args.limited} channels limited {args.retry_after} s: first post p50 {h.ms(busy['probe_p50'])}, "
        f"p99 {h.ms(busy['probe_p99'])}"
    )
    print(f"  p99 ratio, limited / not: {busy['probe_p99'] / plain['probe_p99']:.2f}x")
    print(
        f"limited channels: {busy['limited_once']} answered once after the wait, {busy['limited_lost']} lost, "
        f"{busy['limited_twice']} twice; acks {sorted(set(busy['acks']))}; "
        f"429s served {busy['rate_limited_answers']}"
    )
    return 0 if busy["limited_lost"] == 0 and busy["limited_twice"] == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limited", type=int, default=80)
    parser.add_argument("--retry-after", type=int, default=8)
    parser.add_argument("--probes", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
