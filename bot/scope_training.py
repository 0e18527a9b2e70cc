"""Learn the scope model (bot/scope.py) from the catalog's examples and the eval sets we tune on,
and write its weights to catalog/scope.json:

    python -m bot.scope_training
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from bot.catalog import SCOPE_FILE, load_catalog
from bot.matcher import Matcher
from bot.scope import ScopeModel, dumps, train

# The eval sets the model learns from (eval/*.yml): the project's dev and tuning sets. Never a
# set reported as blind (heldout_d, heldout_e, blind4_*): those measure it.
TRAINING_SETS = (
    "dev_goals",
    "dev_hard",
    "heldout_a",
    "heldout_b",
    "heldout_c",
    "blind_long",
    "blind_two_asks",
    "blind_support",
    "blind_near_miss",
    "blind2_long",
    "blind2_two_asks",
    "blind2_support",
    "blind2_near_miss",
    "blind3_long",
    "blind3_two_asks",
    "blind3_support",
    "blind3_near_miss",
)


def label(case: Mapping) -> str:
    """An eval line's class: a goal (a use case, two asks, or a vague goal), a support question
    (a `topic`, or kind `support`), or chatter (any other line with no use case)."""
    if case.get("use_case") or case.get("asks") or case.get("kind") == "vague":
        return "goal"
    if case.get("topic") or case.get("kind") == "support":
        return "support"
    return "chatter"


def eval_cases(eval_dir: Path, name: str) -> list[dict]:
    """The lines of one eval set (eval/<name>.yml) that have a text."""
    data = yaml.safe_load((eval_dir / f"{name}.yml").read_text(encoding="utf-8")) or {}
    cases = data.get("cases", data) if isinstance(data, dict) else data
    return [c for c in cases if isinstance(c, dict) and isinstance(c.get("text"), str)]


def training_messages(catalog, eval_dir: Path) -> list[tuple[str, str]]:
    """(text, class) of every catalog example and every line of the training sets."""
    found = [(text, "goal") for uc in catalog.use_cases.values() for text in uc.examples]
    for name in TRAINING_SETS:
        found.extend((case["text"], label(case)) for case in eval_cases(eval_dir, name))
    return found


def build(catalog_dir: Path, eval_dir: Path) -> ScopeModel:
    """The model learnt from a catalog folder's examples and the training sets, read as the
    matcher reads a message."""
    catalog = load_catalog(catalog_dir)
    matcher = Matcher(catalog)
    return train((matcher.scope_stems(text), cls) for text, cls in training_messages(catalog, eval_dir))


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    catalog_dir = root / "catalog"
    model = build(catalog_dir, root / "eval")
    (catalog_dir / SCOPE_FILE).write_text(dumps(model), encoding="utf-8")
    print(f"wrote {catalog_dir / SCOPE_FILE}: {len(model.weights)} features")


if __name__ == "__main__":
    main()
