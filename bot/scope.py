"""Is a message a use-case goal, a Segment support question, or chatter?

A naive Bayes model over a message's word stems and pairs of neighbouring stems, learnt from
labelled messages: the catalog's own example messages (goals) and the eval sets we tune on
(`bot.scope_training.TRAINING_SETS`; the blind sets are never among them). It knows no use case and no goal, only
how people write when they ask for one, when they ask Segment for help, and when they chat.
The matcher asks it only about a message it would otherwise answer with a use case.

The weights are data, in `catalog/scope.json`, learnt by bot/scope_training.py: after changing
a training set or the catalog's examples, write them again with `python -m bot.scope_training`
(tests/test_scope.py fails while the file is out of date).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CLASSES = ("goal", "support", "chatter")
ALPHA = 0.5  # additive smoothing of the counts
MIN_COUNT = 2  # a feature seen fewer times over all training messages is left out
DIGITS = 4  # the weights file's precision


def features(stems: list[str]) -> set[str]:
    """Each stem, and each pair of neighbouring stems."""
    found = set(stems)
    found.update(map(" ".join, zip(stems, stems[1:])))
    return found


@dataclass(frozen=True)
class ScopeModel:
    prior: tuple[float, ...]  # log P(class)
    weights: Mapping[str, tuple[float, ...]]  # feature -> log P(feature | class)

    def scores(self, stems: list[str]) -> dict[str, float]:
        """log P(class, message) for each class, up to a constant."""
        goal, support, chatter = self.prior
        get = self.weights.get
        for f in features(stems):
            found = get(f)
            if found is not None:
                goal += found[0]
                support += found[1]
                chatter += found[2]
        return {"goal": goal, "support": support, "chatter": chatter}

    def goal_log_odds(self, scores: Mapping[str, float]) -> float:
        """log P(goal) / P(not a goal), from `scores`."""
        others = [v for c, v in scores.items() if c != "goal"]
        high = max(others)
        return scores["goal"] - high - math.log(sum(math.exp(v - high) for v in others))

    def to_json(self) -> dict:
        return {
            "classes": list(CLASSES),
            "prior": list(self.prior),
            "weights": {f: list(w) for f, w in sorted(self.weights.items())},
        }

    @classmethod
    def from_json(cls, data: object) -> ScopeModel:
        """The model of a weights file's contents; ValueError says what is wrong with them."""
        if not isinstance(data, dict) or data.get("classes") != list(CLASSES):
            raise ValueError(f"expected a mapping whose classes are {list(CLASSES)}")
        prior, weights = data.get("prior"), data.get("weights")
        if not _numbers(prior):
            raise ValueError(f"prior: expected {len(CLASSES)} numbers")
        if not isinstance(weights, dict) or not all(
            isinstance(f, str) and _numbers(w) for f, w in weights.items()
        ):
            raise ValueError(f"weights: expected a mapping of features to {len(CLASSES)} numbers each")
        return cls(tuple(prior), {f: tuple(w) for f, w in weights.items()})


def _numbers(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == len(CLASSES)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    )


def train(messages: Iterable[tuple[list[str], str]]) -> ScopeModel:
    """Naive Bayes over (stems, class) pairs: each feature counted once a message."""
    counts: dict[str, list[int]] = {}
    per_class = [0] * len(CLASSES)
    for stems, label in messages:
        k = CLASSES.index(label)
        per_class[k] += 1
        for f in features(stems):
            counts.setdefault(f, [0] * len(CLASSES))[k] += 1
    kept = {f: c for f, c in counts.items() if sum(c) >= MIN_COUNT}
    mass = [sum(c[k] for c in kept.values()) for k in range(len(CLASSES))]
    size = len(kept)
    messages_seen = sum(per_class)
    prior = tuple(round(math.log(n / messages_seen), DIGITS) for n in per_class)
    weights = {
        f: tuple(
            round(math.log((c[k] + ALPHA) / (mass[k] + ALPHA * size)), DIGITS) for k in range(len(CLASSES))
        )
        for f, c in kept.items()
    }
    return ScopeModel(prior, weights)


def dumps(model: ScopeModel) -> str:
    return json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"
