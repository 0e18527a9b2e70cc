"""Slow clients against HTTP mode: the old server model and the new one, side by side in one run.

    .venv/bin/python bench/slow_clients.py [--sockets 200] [--attack 15] [--workers 2]
                                           [--models gthread waitress] [--read-timeout 5]

Starts the bot twice, `usecase-bot run --mode http --workers 2` (waitress inside gunicorn's
workers, bot/serving.py) and the same bot on the model HTTP mode had before (gunicorn's gthread
workers, 16 threads, keep-alive 5 s, no read timeout; bench/_harness.py GTHREAD_SETTINGS),
against one local fake Web API. Then, for each at the same time:

1. quiet (--quiet seconds): probes only, for a baseline;
2. attack (--attack seconds): --sockets slow sockets per server, none of them signed, in four
   equal shares, each kept up for the whole phase (a socket the server closes is opened again
   at once, as an attacker would):
   - headers: sends part of a request's headers, then nothing;
   - drip:    sends part of the headers, then one more byte every second (an idle timeout
              alone never closes it);
   - body:    sends whole headers with Content-Length 4096, then 100 bytes of body, then nothing;
   - connect: connects and sends nothing.
   and the same probes.

Probes, every --interval ms each, each on a new connection (as a load balancer's health check
and Slack do), with a --probe-timeout client timeout: GET /healthz, and a signed `/usecase`
slash command (its ack: the HTTP answer). Reported per server and phase: p50, p99 and max
latency (a probe that timed out counts as the timeout, shown as ">"), and how many got no
answer. For the attack sockets: how many the server closed, how long each stayed open before it
did (p50, max), and how many were still open at the end and since when.

Target: with the --sockets slow sockets open, /healthz and `/usecase` ack p99 under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

TARGET = 1.0
KINDS = ("headers", "drip", "body", "connect")
PARTIAL_HEAD = (
    b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Slack"
)
BODY_HEAD = (
    b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"X-Slack-Request-Timestamp: 1700000000\r\nX-Slack-Signature: v0=00\r\nContent-Length: 4096\r\n\r\n"
)


class Target:
    def __init__(self, model: str, port: int, proc):
        self.model, self.port, self.proc = model, port, proc
        self.probes = {}  # (phase, probe) -> [seconds, or None when it got no answer]
        self.lifetimes = {k: [] for k in KINDS}  # seconds from open to the server's close
        self.opened = {k: 0 for k in KINDS}
        self.open_now = {}  # socket id -> (kind, opened at)
        self.refused = 0  # connections that could not even be opened


_channels = itertools.count(1)


async def probe(target: Target, phase: str, kind: str, timeout: float) -> None:
    conn = h.Connection("127.0.0.1", target.port)
    started = time.perf_counter()
    try:
        if kind == "healthz":
            status, _ = await asyncio.wait_for(conn.get("/healthz"), timeout)
        else:
            channel = f"CSLOW{target.model[:3].upper()}{next(_channels):07d}"
            status, _ = await asyncio.wait_for(h.post_signed(conn, h.command_body(channel), h.FORM), timeout)
        took = time.perf_counter() - started if status == 200 else None
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        took = None
    finally:
        conn.close()
    target.probes.setdefault((phase, kind), []).append(took)


async def probing(target: Target, phase: str, seconds: float, interval: float, timeout: float) -> None:
    tasks = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for kind in ("healthz", "usecase"):
            tasks.append(asyncio.create_task(probe(target, phase, kind, timeout)))
        await asyncio.sleep(interval)
    await asyncio.gather(*tasks)


async def drip(writer: asyncio.StreamWriter) -> None:
    """One more byte of the headers every second."""
    while True:
        await asyncio.sleep(1.0)
        writer.write(b"x")


async def slow_socket(target: Target, kind: str, until: float, ids) -> None:
    """One slow client, opened again whenever the server closes it, until `until`."""
    while time.perf_counter() < until:
        opened = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", target.port), 5)
        except (OSError, TimeoutError):
            target.refused += 1
            await asyncio.sleep(0.1)
            continue
        me = next(ids)
        target.opened[kind] += 1
        target.open_now[me] = (kind, opened, writer)
        dripper = None
        try:
            if kind in ("headers", "drip"):
                writer.write(PARTIAL_HEAD)
            elif kind == "body":
                writer.write(BODY_HEAD + b"x" * 100)
            if kind == "drip":
                dripper = asyncio.create_task(drip(writer))
            left = until - time.perf_counter()
            closed = False
            try:
                while left > 0:
                    data = await asyncio.wait_for(reader.read(4096), left)
                    if not data:
                        closed = True
                        break
                    left = until - time.perf_counter()
            except TimeoutError:
                pass
            except OSError:
                closed = True
            if closed:
                target.lifetimes[kind].append(time.perf_counter() - opened)
                del target.open_now[me]
            else:
                return  # still open at the end: left in open_now, closed by the caller
        finally:
            if dripper is not None:
                dripper.cancel()
            if me not in target.open_now:
                writer.close()


async def attack(target: Target, sockets: int, seconds: float, interval: float, timeout: float):
    until = time.perf_counter() + seconds
    ids = itertools.count()
    slow = [
        asyncio.create_task(slow_socket(target, KINDS[i % len(KINDS)], until, ids)) for i in range(sockets)
    ]
    await asyncio.sleep(0.5)  # let the sockets open before the first probe
    await probing(target, "attack", seconds - 0.5, interval, timeout)
    await asyncio.gather(*slow)
    still = [(kind, until - opened) for kind, opened, _ in target.open_now.values()]  # at the end
    for _, _, writer in target.open_now.values():
        writer.close()
    return still


def row(values: list, timeout: float) -> str:
    answered = [v for v in values if v is not None]
    filled = [v if v is not None else float("inf") for v in values]

    def show(x):
        return f">{timeout:.0f} s" if x == float("inf") else f"{x * 1000:.1f} ms"

    return (
        f"{len(values):4d} {len(values) - len(answered):8d} {show(h.pct(filled, 50)):>10} "
        f"{show(h.pct(filled, 99)):>10} {show(max(filled)) if filled else '-':>10}"
    )


async def run(args) -> int:
    h.print_machine("bench/slow_clients.py: slow clients against HTTP mode, old and new server model")
    fake = await h.FakeSlack(keep_calls=False, keep_posts=False).start()
    env = {"USECASE_HTTP_READ_TIMEOUT": str(args.read_timeout)} if args.read_timeout else {}
    targets = []
    try:
        for model in args.models:
            port = h.free_port()
            targets.append(
                Target(model, port, h.start_bot(port, fake.api_url, args.workers, model=model, env=env))
            )
        for t in targets:
            await h.wait_healthz(t.port, proc=t.proc)
        interval, timeout = args.interval / 1000.0, args.probe_timeout
        await asyncio.gather(*(probing(t, "quiet", args.quiet, interval, timeout) for t in targets))
        stills = await asyncio.gather(
            *(attack(t, args.sockets, args.attack, interval, timeout) for t in targets)
        )
        for t in targets:
            if t.proc.poll() is not None:
                print(f"!! {t.model}: the server exited ({t.proc.returncode})")
    finally:
        for t in targets:
            h.stop(t.proc)
        await fake.stop()

    read_timeout = args.read_timeout or 5.0
    print(
        f"# {args.sockets} slow sockets per server ({', '.join(KINDS)}: {args.sockets // len(KINDS)} each, "
        f"reopened when closed) for {args.attack:.0f} s; {args.workers} workers each; probes every "
        f"{args.interval:.0f} ms each, new connection, client timeout {args.probe_timeout:.0f} s"
    )
    print(
        "# models: gthread = the old one (gunicorn gthread, 16 threads, keep-alive 5 s, no read timeout); "
        "gthread-64 = the same with 64 threads; "
        f"waitress = bot/serving.py (read timeout {read_timeout:g} s, keep-alive 5 s, 64 request threads)"
    )
    print()
    print(
        f"{'model':9} {'phase':7} {'probe':8} {'n':>4} {'no answer':>8} {'p50':>10} {'p99':>10} {'max':>10}"
    )
    worst = {}
    for t in targets:
        for phase in ("quiet", "attack"):
            for kind in ("healthz", "usecase"):
                values = t.probes.get((phase, kind), [])
                print(f"{t.model:10} {phase:7} {kind:8} {row(values, args.probe_timeout)}")
                if phase == "attack":
                    filled = [v if v is not None else float("inf") for v in values]
                    worst[t.model] = max(worst.get(t.model, 0.0), h.pct(filled, 99))
    print()
    print(f"{'model':10} {'socket':8} {'opened':>6} {'closed by server':>16} {'open for p50':>12} {'max':>8}")
    for t, still in zip(targets, stills):
        for kind in KINDS:
            lives = t.lifetimes[kind]
            p50 = f"{h.pct(lives, 50):.1f} s" if lives else "-"
            top = f"{max(lives):.1f} s" if lives else "-"
            print(f"{t.model:10} {kind:8} {t.opened[kind]:6d} {len(lives):16d} {p50:>12} {top:>8}")
        oldest = max((age for _, age in still), default=0.0)
        print(
            f"{t.model:10} still open at the end: {len(still)} (the oldest for {oldest:.1f} s); "
            f"connections refused or not accepted within 5 s: {t.refused}"
        )
    print()
    for model, p99 in worst.items():
        verdict = "meets" if p99 < TARGET else "MISSES"
        shown = f">{args.probe_timeout:.0f} s" if p99 == float("inf") else f"{p99 * 1000:.1f} ms"
        print(f"{model}: worst p99 under attack {shown} ({verdict} the target < {TARGET:.0f} s)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=200, help="slow sockets per server (default 200)")
    parser.add_argument("--attack", type=float, default=15.0, help="seconds of attack (default 15)")
    parser.add_argument("--quiet", type=float, default=3.0, help="seconds of probes before it (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (default 2)")
    parser.add_argument("--interval", type=float, default=100.0, help="ms between probes of a kind (100)")
    parser.add_argument("--probe-timeout", type=float, default=10.0, help="client timeout, s (default 10)")
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=None,
        help="USECASE_HTTP_READ_TIMEOUT for the servers (default: the bot's own, 5 s)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=sorted(h.MODELS),
        default=["gthread", "waitress"],
        help="server models to run side by side (default: gthread waitress)",
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
