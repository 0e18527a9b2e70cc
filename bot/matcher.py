"""Free text -> ranked use cases with a verdict (confident / ambiguous / none).

Pure: no Slack import, no I/O. Everything that can be precomputed is built once in
``Matcher.__init__``; a query then costs a few dictionary look-ups per word.

How a message is read:

1. ``normalize``: Slack markup (mentions, links, emoji codes, formatting), HTML entities,
   case, accents, punctuation, control characters and spacing.
2. Words: a word the catalog does not know is typo-corrected with rapidfuzz against the
   catalog's own words (same first letter; one edit for words of 5-9 letters, two beyond),
   so "abandonmnet" reads as "abandonment". Words are stemmed (Snowball English), so
   plurals and verb forms match.
3. Concepts: the lexicon's synonym groups (``catalog/lexicon.yml``) are matched longest
   phrase first: "big spenders", "whales" and "VIPs" all read as the concept ``high-value``.
   A phrase written exactly as the person typed it wins over one that only shares its stems
   ("checked out" is not "check out"). Words no phrase covers count as their stems.
4. Scoring: each use case's vocabulary (and its name) is a list of phrases, each read the
   same way into a set of concepts and stems, so word order does not matter. A use case
   scores by the IDF-weighted coverage of its best phrase, times how much of the message's
   known words it explains. Words of a business goal (``vocabulary`` in ``goals.yml``) nudge
   the use cases under that goal and pick the goal of a use case that sits under several.
5. Verdict, as Rasa's fallback classifier does: a top score below a threshold -> ``none``;
   a top score too close to the runner-up -> ``ambiguous``; else ``confident``.

The vocabulary lives in the catalog; the code names no use case. It knows one lexicon
concept by name, ``off-topic`` (office, IT and admin words): a message using them needs far
stronger evidence before the bot recommends anything.
"""

from __future__ import annotations

import heapq
import html
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.catalog import Catalog

# --------------------------------------------------------------------------- tuning

MAX_INPUT_CHARS = 2000  # a goal is a sentence or two: longer text is cut before any regex
MAX_TOKENS = 80  # words read from a message, after normalisation

THRESHOLD = 45.0  # a top score below this -> "none"
MARGIN = 8.0  # a top score within this of the runner-up -> "ambiguous"

COVERAGE_POWER = 1.5  # half a phrase counts for less than half (0.5 ** 1.5 = 0.35)
EXPLAINED_FLOOR = 0.35  # a use case explaining only its phrase's words keeps this share
MODIFIER_WEIGHT = 0.6  # weight of a feature no phrase uses alone ("website", "ads")
GOAL_BOOST = 3.0  # points per goal-hint phrase, for a use case under that goal with a whole phrase
GOAL_BOOST_MAX = 6.0
OFF_TOPIC_FACTOR = 0.4  # score multiplier per off-topic word
OFF_TOPIC = "off-topic"  # the lexicon concept of requests the bot does not handle

MIN_FIX_LEN = 5  # shorter words are never typo-corrected
CACHE_SIZE = 4096  # typo corrections and stems of words seen in messages

_CONCEPT = "#"  # prefix of concept features; a stem never contains it
_OFF_TOPIC = _CONCEPT + OFF_TOPIC
_NUMBER = "0"  # the stem of every number: "first 30 days" matches "first 14 days"


def _max_typos(length: int) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) a typo fix may undo."""
    return 1 if length <= 9 else 2


# --------------------------------------------------------------------------- normalisation

_SLACK_ANGLE = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_EMOJI = re.compile(r":[a-z0-9_+'\-]+:", re.IGNORECASE)
_FORMAT = re.compile(r"[*_~`]+")
_APOSTROPHE = re.compile(r"['’‘ʼ´]")
_NOT_WORD_ASCII = re.compile(r"[^a-z0-9]+")
_NOT_WORD = re.compile(r"[\W_]+")
_DIGIT_LETTER = re.compile(r"(?<![^\W\d_])(\d+)([^\W\d_]+)")
_ORDINAL = frozenset({"st", "nd", "rd", "th"})


def _slack_angle(match: re.Match) -> str:
    target, label = match.group(1), match.group(2)
    if target[:1] in ("@", "#", "!"):  # user, channel, special (<!here>) and group mentions
        return " "
    return f" {label} " if label else " "  # a link: keep its label, drop the URL


def _split_digits(match: re.Match) -> str:
    digits, letters = match.group(1), match.group(2)
    return match.group(0) if letters in _ORDINAL else f"{digits} {letters}"


def normalize(text: str) -> str:
    """Lowercase words separated by single spaces: Slack markup, emoji codes, formatting,
    HTML entities, accents, punctuation and control characters removed; "30d" -> "30 d"."""
    if not isinstance(text, str) or not text:
        return ""
    text = text[:MAX_INPUT_CHARS]
    if "<" in text:
        text = _SLACK_ANGLE.sub(_slack_angle, text)
    if "&" in text:
        text = html.unescape(text)
    if ":" in text:
        text = _EMOJI.sub(" ", text)
    text = _FORMAT.sub(" ", text)
    text = _APOSTROPHE.sub("", text)  # "didn't" -> "didnt"
    if text.isascii():
        text = _NOT_WORD_ASCII.sub(" ", text.lower())
    else:
        text = unicodedata.normalize("NFKD", text.casefold())
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        text = _NOT_WORD.sub(" ", text)
    text = _DIGIT_LETTER.sub(_split_digits, text)
    return " ".join(text.split())


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Match:
    use_case: str  # use case id
    name: str  # use case name
    goal: str | None  # goal the words point to; the only goal when the use case has one
    score: float  # 0..100, rounded to 1 decimal
    terms: tuple[str, ...]  # the person's words (normalised) that matched, at most 4


@dataclass(frozen=True)
class MatchResult:
    query: str
    verdict: str  # "confident" | "ambiguous" | "none"
    matches: tuple[Match, ...]  # best first, at most `limit`
    goal: str | None  # the goal the words as a whole point to, if any

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "verdict": self.verdict,
            "matches": [
                {"use_case": m.use_case, "name": m.name, "goal": m.goal, "score": m.score}
                for m in self.matches
            ],
        }

    def describe(self) -> str:
        shown = " ".join(self.query.split())
        if len(shown) > 80:
            shown = shown[:79] + "…"
        head = f"{self.verdict}: {shown!r}"
        if self.goal:
            head += f" (goal: {self.goal})"
        if not self.matches:
            return head + "\n  no match"
        lines = [head]
        for i, m in enumerate(self.matches, 1):
            line = f"  {i}. {m.name} ({m.use_case}) {m.score:.1f}"
            if m.goal:
                line += f", goal {m.goal}"
            if m.terms:
                line += "; words: " + ", ".join(m.terms)
            lines.append(line)
        return "\n".join(lines)


# --------------------------------------------------------------------------- the matcher

# a feature read from text: (concept "#name" or stem, the words as typed, position)
_Feature = tuple[str, str, int]


class Matcher:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._stemmer = snowballstemmer.stemmer("english")
        self._stem = lru_cache(maxsize=CACHE_SIZE)(self._stem_uncached)

        lex = catalog.lexicon
        self._stop_surface = frozenset(w for s in lex.stopwords for w in normalize(s).split())
        self._stop_stems = frozenset(self._stem(w) for w in self._stop_surface)

        # Concept phrases, by their exact words and by their stems. A stem form shared by
        # phrases of different words ("checked out", "check out") belongs to the concept
        # listed first; the exact words still find their own concept.
        surface_map: dict[tuple[str, ...], list[str]] = defaultdict(list)
        stem_map: dict[tuple[str, ...], list[str]] = {}
        stem_owner: dict[tuple[str, ...], tuple[str, ...]] = {}
        for name, phrases in lex.concepts.items():
            feature = _CONCEPT + name
            for phrase in (name, *phrases):
                words = tuple(normalize(phrase).split())
                if not words:
                    continue
                if feature not in surface_map[words]:
                    surface_map[words].append(feature)
                stems = tuple(self._stem(w) for w in words)
                if stems not in stem_map:
                    stem_map[stems], stem_owner[stems] = [feature], words
                elif stem_owner[stems] == words and feature not in stem_map[stems]:
                    stem_map[stems].append(feature)
        self._surface_map = {k: tuple(v) for k, v in surface_map.items()}
        self._stem_map = {k: tuple(v) for k, v in stem_map.items()}
        # the lengths of the phrases of two words or more, by their first word and first stem
        sizes: dict[str, set[int]] = defaultdict(set)
        stem_sizes: dict[str, set[int]] = defaultdict(set)
        for k in self._surface_map:
            if len(k) > 1:
                sizes[k[0]].add(len(k))
        for k in self._stem_map:
            if len(k) > 1:
                stem_sizes[k[0]].add(len(k))
        self._sizes = {w: tuple(sorted(v, reverse=True)) for w, v in sizes.items()}
        self._stem_sizes = {w: tuple(sorted(v, reverse=True)) for w, v in stem_sizes.items()}
        # Words a typo may be corrected to: those of concepts some use case or goal uses, and of
        # the vocabularies themselves (not of `off-topic` or of groups nothing uses).
        concept_words: dict[str, set[str]] = defaultdict(set)
        for words, features in self._surface_map.items():
            for f in features:
                concept_words[f].update(words)

        # Use cases: each phrase of the vocabulary (and the name) as a set of features.
        self._uc_ids = list(catalog.use_cases)
        typo_targets: set[str] = set()
        used: set[str] = set()
        phrase_sets: list[tuple[int, frozenset[str]]] = []
        self._uc_features: list[frozenset[str]] = []
        self.empty_phrases: list[tuple[str, str]] = []  # (use case, phrase) that read as nothing
        for i, uc_id in enumerate(self._uc_ids):
            uc = catalog.use_cases[uc_id]
            seen: set[frozenset[str]] = set()
            for phrase in (uc.name, *uc.vocabulary):
                words = normalize(phrase).split()
                typo_targets.update(words)
                feats = frozenset(f[0] for f in self._read(words, fix=False)) - {_OFF_TOPIC}
                if not feats:
                    self.empty_phrases.append((uc_id, phrase))
                elif feats not in seen:
                    seen.add(feats)
                    used.update(feats)
                    phrase_sets.append((i, feats))
            self._uc_features.append(frozenset().union(*seen) if seen else frozenset())

        # IDF over use cases: a feature of one use case weighs most.
        n = len(self._uc_ids)
        df: dict[str, int] = defaultdict(int)
        for feats in self._uc_features:
            for f in feats:
                df[f] += 1
        # A feature that some phrase uses alone ("churn") means something by itself; one that
        # only ever comes with others ("website", "ads") is a modifier and weighs less.
        alone = {next(iter(feats)) for _, feats in phrase_sets if len(feats) == 1}
        self._weight = {
            f: math.log(1.0 + n / d) * (1.0 if f in alone else MODIFIER_WEIGHT)
            for f, d in df.items()
        }
        self._phrase_uc = [i for i, _ in phrase_sets]
        self._phrase_total = [sum(self._weight[f] for f in feats) for _, feats in phrase_sets]
        postings: dict[str, list[int]] = defaultdict(list)
        for pid, (_, feats) in enumerate(phrase_sets):
            for f in feats:
                postings[f].append(pid)
        self._postings = {f: tuple(p) for f, p in postings.items()}
        uses: dict[str, list[int]] = defaultdict(list)
        for i, feats in enumerate(self._uc_features):
            for f in feats:
                uses[f].append(i)
        self._uses = {f: tuple(u) for f, u in uses.items()}

        # Goals: each vocabulary phrase as a feature set, found through its first feature.
        self._goal_ids = [g.id for g in catalog.goals]
        goal_pos = {g: gi for gi, g in enumerate(self._goal_ids)}
        anchors: dict[str, list[tuple[int, frozenset[str]]]] = defaultdict(list)
        for gi, goal in enumerate(catalog.goals):
            for phrase in goal.vocabulary:
                words = normalize(phrase).split()
                typo_targets.update(words)
                feats = frozenset(f[0] for f in self._read(words, fix=False))
                if feats:
                    used.update(feats)
                    anchors[min(feats)].append((gi, feats))
        self._goal_anchors = dict(anchors)
        self._uc_goals = [tuple(catalog.use_cases[uc].goals) for uc in self._uc_ids]
        self._uc_goal_pos = [tuple(goal_pos[g] for g in goals) for goals in self._uc_goals]

        # Typo targets by first letter. Every word the catalog lists is known, so never "fixed".
        for f in used - {_OFF_TOPIC}:
            typo_targets.update(concept_words.get(f, ()))
        listed = {w for words in self._surface_map for w in words} | typo_targets
        self._known_surface = frozenset(listed | self._stop_surface)
        self._known_stems = frozenset(self._stem(w) for w in self._known_surface)
        buckets: dict[str, list[str]] = defaultdict(list)
        for w in sorted(typo_targets - self._stop_surface):
            if len(w) >= MIN_FIX_LEN - 1 and w.isalpha():
                buckets[w[0]].append(w)
        self._fix_buckets = {k: tuple(v) for k, v in buckets.items()}
        self._correct = lru_cache(maxsize=CACHE_SIZE)(self._correct_uncached)

    # ------------------------------------------------------------------ words

    def _stem_uncached(self, word: str) -> str:
        return _NUMBER if word.isdigit() else self._stemmer.stemWord(word)

    def _correct_uncached(self, word: str) -> str:
        """The catalog word a typed word stands for: itself when known or not fixable."""
        if len(word) < MIN_FIX_LEN or word in self._known_surface or not word.isalpha():
            return word
        if self._stem(word) in self._known_stems:
            return word
        choices = self._fix_buckets.get(word[0])
        if not choices:
            return word
        best = process.extractOne(
            word, choices, scorer=OSA.distance, score_cutoff=_max_typos(len(word))
        )
        return best[0] if best else word

    def _read(self, typed: list[str], fix: bool = True) -> list[_Feature]:
        """Words -> features: the longest concept phrase starting at each word (phrases may
        overlap: "dont complete setup" reads as both; one inside another counts once), then
        the stems of the words no phrase covers, less stopwords."""
        words = [self._correct(w) for w in typed] if fix else typed
        stems = [self._stem(w) for w in words]
        n = len(words)
        out: list[_Feature] = []
        covered = [False] * n
        reach = 0  # end of the furthest phrase so far
        surface_get, stem_get = self._surface_map.get, self._stem_map.get
        for i in range(n):
            word = words[i]
            longer = self._sizes.get(word, ())
            from_stem = self._stem_sizes.get(stems[i])
            if from_stem:
                longer = tuple(sorted(set(longer) | set(from_stem), reverse=True))
            for size in (*longer, 1):
                if i + size > n:
                    continue
                if i + size <= reach:
                    break  # inside a phrase already read
                if size == 1:
                    hit = surface_get((word,))
                    if hit is None and word not in self._stop_surface:
                        hit = stem_get((stems[i],))
                else:
                    hit = surface_get(tuple(words[i : i + size]))
                    if hit is None:
                        hit = stem_get(tuple(stems[i : i + size]))
                if hit is not None:
                    surface = " ".join(typed[i : i + size])
                    out.extend((f, surface, i) for f in hit)
                    for j in range(i, i + size):
                        covered[j] = True
                    reach = i + size
                    break
        stop_surface, stop_stems = self._stop_surface, self._stop_stems
        for i in range(n):
            if not covered[i]:
                stem = stems[i]
                if stem != _NUMBER and stem not in stop_stems and words[i] not in stop_surface:
                    out.append((stem, typed[i], i))
        out.sort(key=lambda f: f[2])
        return out

    # ------------------------------------------------------------------ matching

    def match(self, text: str, limit: int = 3) -> MatchResult:
        query = text if isinstance(text, str) else ""
        limit = max(1, int(limit))
        words = normalize(query).split()[:MAX_TOKENS]
        if not words:
            return MatchResult(query, "none", (), None)
        features = self._read(words)

        present = {f[0] for f in features}
        off_topic = sum(1 for f in features if f[0] == _OFF_TOPIC)
        hints = [0.0] * len(self._goal_ids)
        message: dict[str, float] = {}
        weight_of, anchors = self._weight.get, self._goal_anchors.get
        for key in present:
            weight = weight_of(key)
            if weight is not None:
                message[key] = weight
            for gi, feats in anchors(key, ()):
                if feats <= present:
                    hints[gi] += 1.0
        if not message:
            return MatchResult(query, "none", (), self._overall_goal(hints, None))

        # coverage of each phrase touched, and the share of the message each use case explains;
        # only the use cases the message touches are looked at
        matched: dict[int, float] = defaultdict(float)
        explained: dict[int, float] = defaultdict(float)
        postings, uses = self._postings, self._uses
        for key, weight in message.items():
            for pid in postings.get(key, ()):
                matched[pid] += weight
            for i in uses[key]:
                explained[i] += weight
        total = sum(message.values())
        best: dict[int, float] = {}
        phrase_uc, phrase_total = self._phrase_uc, self._phrase_total
        for pid, got in matched.items():
            coverage = got / phrase_total[pid]
            i = phrase_uc[pid]
            if coverage > best.get(i, 0.0):
                best[i] = coverage

        penalty = OFF_TOPIC_FACTOR**off_topic
        scored = []
        for i, coverage in best.items():
            share = explained[i] / total
            score = 100.0 * coverage**COVERAGE_POWER
            score *= EXPLAINED_FLOOR + (1.0 - EXPLAINED_FLOOR) * share
            if coverage >= 1.0:
                hint = max(hints[gi] for gi in self._uc_goal_pos[i])
                score = min(100.0, score + min(GOAL_BOOST_MAX, GOAL_BOOST * hint))
            scored.append((score * penalty, -i))
        scored = heapq.nlargest(max(limit, 2), scored)

        top = scored[0][0] if scored else 0.0
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        if top < THRESHOLD:
            verdict = "none"
        elif top - runner_up < MARGIN:
            verdict = "ambiguous"
        else:
            verdict = "confident"

        matches = []
        for score, neg_i in scored[:limit]:
            i = -neg_i
            uc = self.catalog.use_cases[self._uc_ids[i]]
            terms = self._terms(words, features, self._uc_features[i])
            matches.append(Match(uc.id, uc.name, self._goal_for(i, hints), round(score, 1), terms))
        first = -scored[0][1] if scored else None
        return MatchResult(query, verdict, tuple(matches), self._overall_goal(hints, first))

    @staticmethod
    def _terms(words: list[str], features: list[_Feature], own: frozenset[str]) -> tuple[str, ...]:
        """The person's words behind a use case's features, overlapping phrases merged, at most 4."""
        spans: list[list[int]] = []
        for key, surface, start in features:  # features come in word order
            if key not in own:
                continue
            end = start + surface.count(" ") + 1
            if spans and start < spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            elif not spans or [start, end] != spans[-1]:
                spans.append([start, end])
        return tuple(dict.fromkeys(" ".join(words[a:b]) for a, b in spans))[:4]

    def _goal_for(self, i: int, hints: list[float]) -> str | None:
        """The goal of use case i the words point to: its only goal, or the one of its goals
        with the most hint words; None on no hint or a tie."""
        goals = self._uc_goals[i]
        if len(goals) == 1:
            return goals[0]
        scores = [hints[gi] for gi in self._uc_goal_pos[i]]
        high = max(scores)
        if high <= 0 or scores.count(high) > 1:
            return None
        return goals[scores.index(high)]

    def _overall_goal(self, hints: list[float], first: int | None) -> str | None:
        """The goal with the most hint words; on a tie, the one the best match sits under."""
        high = max(hints, default=0.0)
        if high <= 0:
            return None
        leaders = [g for g, s in zip(self._goal_ids, hints) if s == high]
        if len(leaders) > 1 and first is not None:
            leaders = [g for g in leaders if g in self._uc_goals[first]]
        return leaders[0] if len(leaders) == 1 else None
