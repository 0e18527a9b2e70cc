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

Where a set's lines say more (eval/dev_hard.yml's format), more figures:
- confidently wrong: in-scope lines answered `confident` with a wrong first match;
- two asks (lines with `asks: [first, second]`): "said" when the matcher reports two asks whose
  first matches are the two labelled ones, "in top 3" when both labelled asks are among the
  first three matches of the message or of its asks; on lines without `asks`, how often two
  asks are reported all the same;
- vague lines (`kind: vague`) are counted apart: right when the answer is a way forward (not
  `confident`), never in the reject figure.
Speed is also measured on 2,000-character messages made of the set's own lines run together.
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


def _ids(items) -> list[str]:
    """The use case ids of a label list: ids, or mappings with a `use_case`."""
    out = []
    for item in items or []:
        if isinstance(item, dict):
            item = item.get("use_case")
        if isinstance(item, str):
            out.append(item)
    return out


def evaluate(matcher: Matcher, cases: list[dict], verbose: bool = False) -> dict:
    top1 = top3 = inscope = rejected = outscope = ambiguous = 0
    goal_right = goal_total = 0
    wrong_confident = 0
    two_total = two_said = two_top3 = single_total = single_said = 0
    vague_total = vague_ok = 0
    misses = []
    for case in cases:
        text = case.get("text") or ""
        result = matcher.match(text, limit=3)
        got = [m.use_case for m in result.matches]
        asks = _ids(case.get("asks"))
        want = case.get("use_case") or (asks[0] if asks else None)
        seen_asks = getattr(result, "asks", ()) or ()
        if case.get("kind") == "vague":
            vague_total += 1
            vague_ok += result.verdict != "confident"
            if result.verdict == "confident":
                misses.append(("vague", text, result))
            continue
        if len(asks) >= 2:
            two_total += 1
            firsts = {a.matches[0].use_case for a in seen_asks if a.matches}
            two_said += set(asks[:2]) <= firsts
            pool = set(got[:3]) | {m.use_case for a in seen_asks for m in a.matches[:3]}
            two_top3 += set(asks[:2]) <= pool
        elif want is not None:
            single_total += 1
            single_said += len(seen_asks) >= 2
        if want is None:
            outscope += 1
            if result.verdict == "none":
                rejected += 1
            else:
                misses.append(("reject", text, result))
            continue
        inscope += 1
        right = {want, *(case.get("also") or []), *asks}
        ok1 = result.verdict != "none" and bool(got) and got[0] in right
        wrong_confident += result.verdict == "confident" and not ok1
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
        "wrong_confident": wrong_confident,
        "two": (two_said, two_top3, two_total),
        "single_said": (single_said, single_total),
        "vague": (vague_ok, vague_total),
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
            matcher._read.cache_clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        for text in texts:
            matcher.match(text)
        per_pass.append((time.perf_counter() - start) / len(texts))
        cpu.append((time.process_time() - start_cpu) / len(texts))
    return statistics.median(per_pass) * 1e6, min(per_pass) * 1e6, min(cpu) * 1e6


LONG_CHARS = 2000


def long_texts(texts: list[str], count: int = 20) -> list[str]:
    """Messages of 2,000 characters made of the set's own lines run together (each starting at
    another line), so they read like long messages of the set's kind."""
    texts = [t for t in texts if t.strip()]
    if not texts:
        return []
    out = []
    for start in range(min(count, len(texts))):
        parts, size, i = [], 0, start
        while size < LONG_CHARS:
            line = texts[i % len(texts)].strip()
            parts.append(line if line.endswith((".", "?", "!")) else line + ".")
            size += len(parts[-1]) + 1
            i += 1
        out.append(" ".join(parts)[:LONG_CHARS])
    return out


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
        short = [t for t in texts if len(t) < 200]
        (short_median, _, _) = speed(matcher, short, False) if short else (float("nan"),) * 3
        (long_median, _, long_cpu) = speed(matcher, long_texts(texts), False)
        print(
            f"{path.name}: top-1 {r['top1']:.3f}  top-3 {r['top3']:.3f}  reject {r['reject']:.3f}"
            f"  ({r['n_in']} in scope, {r['n_out']} out)  ambiguous {r['ambiguous']:.3f}"
            f"  goal {r['goal']:.3f} of {r['n_goal']}  |  {warm:.1f} us/query median, {best:.1f} best,"
            f" {cpu:.1f} cpu, {cold:.1f} cold"
        )
        extra = [f"confidently wrong {r['wrong_confident']} of {r['n_in']}"]
        said, top3, total = r["two"]
        if total:
            extra.append(f"two asks: said {said} of {total}, both in top 3 {top3} of {total}")
        single_said, single_total = r["single_said"]
        if total or single_said:
            extra.append(f"two asks said on single-ask lines {single_said} of {single_total}")
        vague_ok, vague_total = r["vague"]
        if vague_total:
            extra.append(f"vague given a way forward {vague_ok} of {vague_total}")
        extra.append(
            f"speed: {short_median:.1f} us median under 200 chars, {long_median:.1f} us at 2,000 chars"
            f" ({long_cpu:.1f} cpu)"
        )
        print("    " + "; ".join(extra))
        if args.verbose:
            for want, text, result in r["misses"]:
                got = ", ".join(f"{m.use_case} {m.score}" for m in result.matches) or "-"
                print(f"  want {want}: {text!r}\n      -> {result.verdict}: {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
