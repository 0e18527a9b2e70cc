"""The scope model measured on text it has not learnt from: leave one training set out.

    python bench/scope_cv.py

For each set of bot.scope_training.TRAINING_SETS, the model is learnt from the catalog's
examples and the other sets, and the matcher with that model answers the left-out set. Printed
per set and over all: top-1 (in-scope lines whose first match is right and not withheld) and
reject (out-of-scope lines answered `none`), with no scope model and with it. Every set of ours
was written by a different author, so leaving one out is the nearest thing to a new author's
text that the training sets allow; the blind sets (eval/README.md) stay the honest check.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.catalog import load_catalog  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from bot.scope import train  # noqa: E402
from bot.scope_training import TRAINING_SETS, eval_cases, label  # noqa: E402


def score(matcher: Matcher, lines: list[dict]) -> tuple[int, int, int, int]:
    right = inscope = rejected = outscope = 0
    for case in lines:
        result = matcher.match(case["text"])
        asks = case.get("asks") or []
        wanted = case.get("use_case") or (asks[0] if asks else None)
        if wanted is None and case.get("kind") != "vague":
            outscope += 1
            rejected += result.verdict == "none"
        elif wanted is not None:
            inscope += 1
            good = {wanted, *(case.get("also") or [])}
            right += result.verdict != "none" and bool(result.matches) and result.matches[0].use_case in good
    return right, inscope, rejected, outscope


def main() -> None:
    catalog = load_catalog()
    plain = Matcher(dataclasses.replace(catalog, scope=None))
    sets = {name: eval_cases(ROOT / "eval", name) for name in TRAINING_SETS}
    stems = {c["text"]: plain.scope_stems(c["text"]) for lines in sets.values() for c in lines}
    examples = [(plain.scope_stems(t), "goal") for uc in catalog.use_cases.values() for t in uc.examples]
    totals = [[0, 0, 0, 0], [0, 0, 0, 0]]
    print(f"{'left out':20s} {'top-1 without → with':>24s} {'reject without → with':>24s}")
    for name in TRAINING_SETS:
        rest = [(stems[c["text"]], label(c)) for other, lines in sets.items() if other != name for c in lines]
        with_model = Matcher(dataclasses.replace(catalog, scope=train(rest + examples)))
        before, after = score(plain, sets[name]), score(with_model, sets[name])
        for total, figures in zip(totals, (before, after)):
            for k, v in enumerate(figures):
                total[k] += v
        print(
            f"{name:20s} {before[0]:>5}/{before[1]:<4} → {after[0]:>4}/{after[1]:<6}"
            f" {before[2]:>7}/{before[3]:<4} → {after[2]:>4}/{after[3]:<4}"
        )
    (r0, i0, j0, o0), (r1, i1, j1, o1) = totals
    print(f"{'all':20s} top-1 {r0 / i0:.3f} → {r1 / i1:.3f}   reject {j0 / o0:.3f} → {j1 / o1:.3f}")


if __name__ == "__main__":
    main()
