"""Cold start: `usecase-bot match "x"` against `python -c pass`, and an HTTP worker's time to /healthz.

    .venv/bin/python bench/cold_start.py [--runs 15] [--http-runs 5]

1. `usecase-bot match "x"` (the console script, a fresh process each time) and `python -c pass`
   (the same venv interpreter) run alternately; medians of wall time (fork to exit). Target:
   `match` under 0.4 s.
2. `match` must not import Slack's libraries: a child runs the command's own code and lists
   which of slack_bolt / slack_sdk / gunicorn ended up in sys.modules; `python -X importtime`
   of the console script confirms it and gives the heaviest imports.
3. Where `match`'s time goes, in a fresh process each (median of the runs): interpreter start,
   importing bot.cli + bot.matcher (and what they pull in), loading the catalog (YAML + validation),
   building the Matcher, the first query.
4. `usecase-bot run --mode http --workers 1` with fake tokens and SLACK_API_URL pointing at a
   local fake that answers auth.test: time from launch to the first 200 from GET /healthz
   (polled every 5 ms), and how much of it came after the worker process was forked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

PY = sys.executable
TARGET_S = 0.4
HEAVY = ("slack_bolt", "slack_sdk", "gunicorn")

PHASES = r"""
import json, sys, time
t0 = time.perf_counter()
import bot.cli
from bot.matcher import Matcher
t1 = time.perf_counter()
catalog = bot.cli.load_catalog_or_explain()
t2 = time.perf_counter()
matcher = Matcher(catalog)
t3 = time.perf_counter()
matcher.match("x", limit=3)
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "catalog": t2 - t1, "matcher": t3 - t2, "query": t4 - t3,
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in %r)}))
""" % (HEAVY,)

MODULES_AFTER_MATCH = r"""
import io, sys, contextlib
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main(["match", "x"])
print(" ".join(sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in %r})))
""" % (HEAVY,)


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=str(h.ROOT))
    return time.perf_counter() - t


def importtime() -> tuple[list[tuple[int, int, str]], set[str]]:
    run = subprocess.run(
        [PY, "-X", "importtime", h.USECASE_BOT, "match", "x"], capture_output=True, text=True, cwd=str(h.ROOT)
    )
    rows = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:") :].split("|")
        rows.append((int(self_us), int(cum_us), name.rstrip()))
    return rows, {name.strip().split(".")[0] for _, _, name in rows}


async def healthz_once(workers: int) -> tuple[float, float | None]:
    fake = await h.FakeSlack(keep_calls=False).start()
    port = h.free_port()
    launched, t = time.time(), time.perf_counter()
    proc = h.start_bot(port, fake.api_url, workers)
    try:
        await h.wait_healthz(port, timeout=60, proc=proc)
        total = time.perf_counter() - t
        kids = h.children(proc.pid)
        after_fork = total - (_started_at(kids[0]) - launched) if kids else None
        return total, after_fork
    finally:
        h.stop(proc)
        await fake.stop()


def _started_at(pid: int) -> float:
    """Wall-clock time a process started (from /proc; 10 ms resolution)."""
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{pid}/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/stat") as f:
        btime = next(int(line.split()[1]) for line in f if line.startswith("btime"))
    return btime + start_ticks / ticks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    parser.add_argument("--http-runs", type=int, default=5, help="HTTP start-ups (default 5)")
    args = parser.parse_args()
    h.print_machine("bench/cold_start.py: start-up times")

    # 1. wall times, alternating
    wall(["true"])
    times = {"python -c pass": [], 'usecase-bot match "x"': []}
    for _ in range(args.runs):
        times["python -c pass"].append(wall([PY, "-c", "pass"]))
        times['usecase-bot match "x"'].append(wall([h.USECASE_BOT, "match", "x"]))
    base = h.median(times["python -c pass"])
    match_s = h.median(times['usecase-bot match "x"'])
    print()
    print(f"## 1. wall time, {args.runs} runs each, alternating (median, min, max)")
    for name, values in times.items():
        print(f"  {name:24} {h.median(values):.3f} s  (min {min(values):.3f}, max {max(values):.3f})")
    print(
        f"  match - pass = {match_s - base:.3f} s; match / pass = {match_s / base:.1f}x; "
        f"{'meets' if match_s < TARGET_S else 'MISSES'} the target < {TARGET_S} s"
    )

    # 2. no Slack libraries
    heavy = subprocess.run(
        [PY, "-c", MODULES_AFTER_MATCH], capture_output=True, text=True, cwd=str(h.ROOT)
    ).stdout.strip()
    rows, top_level = importtime()
    print()
    print("## 2. imports of `usecase-bot match x`")
    print(f"  slack_bolt / slack_sdk / gunicorn in sys.modules after match: {heavy or 'none'}")
    print(f"  in -X importtime: {', '.join(sorted(top_level & set(HEAVY))) or 'none'}")
    roots = [r for r in rows if not r[2].startswith("  ")]  # top level: one space before the name
    total_us = sum(r[1] for r in roots)
    print(f"  all imports (sum of top-level cumulative): {total_us / 1000:.1f} ms; heaviest top-level:")
    for _self_us, cum_us, name in sorted(roots, key=lambda r: -r[1])[:6]:
        print(f"    {cum_us / 1000:7.1f} ms  {name.strip()}")
    print("  heaviest single modules (self time):")
    for self_us, _cum_us, name in sorted(rows, key=lambda r: -r[0])[:8]:
        print(f"    {self_us / 1000:7.1f} ms  {name.strip()}")

    # 3. phases
    phases = {"imports": [], "catalog": [], "matcher": [], "query": []}
    for _ in range(max(5, args.runs // 3)):
        out = json.loads(
            subprocess.run(
                [PY, "-c", PHASES], capture_output=True, text=True, cwd=str(h.ROOT), check=True
            ).stdout
        )
        for key in phases:
            phases[key].append(out[key])
    print()
    print("## 3. where `match` spends it (fresh process each, median)")
    print(f"  interpreter start (python -c pass): {base * 1000:7.1f} ms")
    labels = {
        "imports": "import bot.cli + bot.matcher",
        "catalog": "load + validate the catalog",
        "matcher": "build the Matcher",
        "query": "first query",
    }
    for key, values in phases.items():
        print(f"  {labels[key]:34} {h.median(values) * 1000:7.1f} ms")

    # 4. HTTP worker
    starts = [asyncio.run(healthz_once(1)) for _ in range(args.http_runs)]
    print()
    print(
        f"## 4. `usecase-bot run --mode http --workers 1`: launch -> first 200 from /healthz ({args.http_runs} runs)"
    )
    totals = [s[0] for s in starts]
    forks = [s[1] for s in starts if s[1] is not None]
    print(
        f"  launch -> /healthz 200: median {h.median(totals):.3f} s (min {min(totals):.3f}, max {max(totals):.3f})"
    )
    if forks:
        print(f"  of which after the worker's fork (±10 ms): median {h.median(forks):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
