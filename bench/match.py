"""Measure the matcher: top-1, top-3, reject and microseconds per query.

    python bench/match.py [FILES...]      (default: eval/dev_goals.yml)

Each file has the format of eval/dev_goals.yml (see eval/README.md):
- top-1: in-scope lines whose verdict is not `none` and whose first match is right
  (`use_case` or one of `also`);
- top-3: in-scope lines whose verdict is not `none` and with a right answer among the first
  three matches (a recommendation the bot withholds helps nobody, however well ranked);
- reject: out-of-scope lines (`use_case: null`) answered with the verdict `none`.
Also shown: how often the verdict is `ambiguous` on in-scope lines, and the goal picked for
the lines labelled with one. Speed: the median over several passes, after a warm-up pass,
of the time per query once the matcher is built (time.perf_counter), and the best pass (on a
busy machine the best pass is the matcher's own cost); "cpu" is the best pass in CPU time
(time.process_time), which other processes do not inflate; "cold" clears the
typo-correction cache before each pass, so every misspelt word is corrected afresh.
Add -v to list the lines that miss (top-1 misses and out-of-scope lines answered).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.catalog import load_catalog  # noqa: E402
from bot.matcher import Matcher  # noqa: E402

DEFAULT = ROOT / "eval" / "dev_goals.yml"
PASSES = 15


def load_cases(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    cases = data.get("cases", data) if isinstance(data, dict) else data
    return [c for c in cases if isinstance(c, dict) and "text" in c]


def evaluate(matcher: Matcher, cases: list[dict], verbose: bool = False) -> dict:
    top1 = top3 = inscope = rejected = outscope = ambiguous = 0
    goal_right = goal_total = 0
    misses = []
    for case in cases:
        text = case.get("text") or ""
        result = matcher.match(text, limit=3)
        got = [m.use_case for m in result.matches]
        want = case.get("use_case")
        if want is None:
            outscope += 1
            if result.verdict == "none":
                rejected += 1
            else:
                misses.append(("reject", text, result))
            continue
        inscope += 1
        right = {want, *(case.get("also") or [])}
        ok1 = result.verdict != "none" and bool(got) and got[0] in right
        top1 += ok1
        top3 += result.verdict != "none" and any(g in right for g in got[:3])
        ambiguous += result.verdict == "ambiguous"
        if not ok1:
            misses.append((want, text, result))
        if case.get("goal") and ok1:
            goal_total += 1
            goal_right += result.matches[0].goal == case["goal"]
        elif case.get("goal"):
            goal_total += 1
    return {
        "top1": top1 / inscope if inscope else float("nan"),
        "top3": top3 / inscope if inscope else float("nan"),
        "reject": rejected / outscope if outscope else float("nan"),
        "ambiguous": ambiguous / inscope if inscope else float("nan"),
        "goal": goal_right / goal_total if goal_total else float("nan"),
        "n_in": inscope,
        "n_out": outscope,
        "n_goal": goal_total,
        "misses": misses,
    }


def speed(matcher: Matcher, texts: list[str], cold: bool) -> tuple[float, float, float]:
    """Microseconds per query: the median and the best of the passes in wall-clock time, and
    the best pass in CPU time."""
    for text in texts:  # warm-up
        matcher.match(text)
    per_pass, cpu = [], []
    for _ in range(PASSES):
        if cold:
            matcher.typos.correct.cache_clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        for text in texts:
            matcher.match(text)
        per_pass.append((time.perf_counter() - start) / len(texts))
        cpu.append((time.process_time() - start_cpu) / len(texts))
    return statistics.median(per_pass) * 1e6, min(per_pass) * 1e6, min(cpu) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("-v", "--verbose", action="store_true", help="list the lines that miss")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    matcher = Matcher(load_catalog())
    print(f"matcher built in {(time.perf_counter() - start) * 1e3:.0f} ms")
    for path in args.files:
        cases = load_cases(path)
        r = evaluate(matcher, cases)
        texts = [c.get("text") or "" for c in cases]
        (warm, best, cpu), (cold, _, _) = speed(matcher, texts, False), speed(matcher, texts, True)
        print(
            f"{path.name}: top-1 {r['top1']:.3f}  top-3 {r['top3']:.3f}  reject {r['reject']:.3f}"
            f"  ({r['n_in']} in scope, {r['n_out']} out)  ambiguous {r['ambiguous']:.3f}"
            f"  goal {r['goal']:.3f} of {r['n_goal']}  |  {warm:.1f} us/query median, {best:.1f} best,"
            f" {cpu:.1f} cpu, {cold:.1f} cold"
        )
        if args.verbose:
            for want, text, result in r["misses"]:
                got = ", ".join(f"{m.use_case} {m.score}" for m in result.matches) or "-"
                print(f"  want {want}: {text!r}\n      -> {result.verdict}: {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
