"""Free text -> ranked use cases with a verdict (confident / ambiguous / none).

Pure: no Slack import, no I/O. Everything that can be precomputed is built once in
``Matcher.__init__``; a query then costs a few dictionary look-ups per word.

How a message is read:

1. ``normalize``: Slack markup (mentions, links, emoji codes, formatting), HTML entities,
   case, accents, punctuation, control characters and spacing.
2. Words: a word the catalog does not know is typo-corrected with rapidfuzz against the
   catalog's own words (same first letter; one edit for words of 5-9 letters, two beyond),
   so "abandonmnet" reads as "abandonment"; between two as close, the one the catalog uses
   most ("trails" reads as "trials", not "traits"). The words of the example messages are
   known (never corrected) but no typo becomes one of them. Words are stemmed (Snowball
   English), so plurals and verb forms match.
3. Concepts: the lexicon's synonym groups (``catalog/lexicon.yml``) are matched longest
   phrase first: "big spenders", "whales" and "VIPs" all read as the concept ``high-value``.
   A phrase written exactly as the person typed it wins over one that only shares its stems
   ("checked out" is not "check out"). Words no phrase covers count as their stems.
4. Scoring, two views of the same features blended half and half:
   - phrases: each use case's vocabulary (and its name) is a list of phrases, each read the
     same way into a set of concepts and stems, so word order does not matter. A use case
     scores by the IDF-weighted coverage of its best phrase, times how much of the message it
     explains (words the catalog never uses count against it too);
   - naive Bayes, learnt when the matcher is built from every text of a use case: its name,
     its vocabulary and its example messages (``examples`` in its file). It adds up evidence
     spread over the whole message, so a long message that mentions a use case's words in
     passing, among many others, still finds it. A use case gets its probability in
     proportion to how well its best phrase is covered, so the examples alone never make a
     recommendation.
   A message that writes a use case's whole name ("suppress with purchase, is that the one?")
   means that one. Words of a business goal (``vocabulary`` in ``goals.yml``) nudge the use
   cases under that goal and pick the goal of a use case that sits under several.
5. Verdict, as Rasa's fallback classifier does: a top score below a threshold -> ``none``;
   a top score too close to the runner-up -> ``ambiguous``; else ``confident``.

The vocabulary lives in the catalog; the code names no use case. It knows one lexicon
concept by name, ``off-topic`` (office, IT, HR, meetings, documents, bugs and builds, reports,
a person's own account...): its words weigh against a use case's own words in the message, so
one or two goal words next to one ("summarize the churn analysis deck") make no
recommendation, while a message of several goal words survives one.
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

THRESHOLD = 28.0  # a top score below this -> "none"
MARGIN = 8.0  # a top score within this of the runner-up -> "ambiguous"
CANDIDATES = 48  # use cases scored in full, the best-covered first (all of them in a small catalog)

BLEND = 0.5  # share of the naive Bayes view in a score; the rest is the phrase view
EXPLAINED_FLOOR = 0.6  # a use case explaining only its phrase's words keeps this share
UNKNOWN_WEIGHT = 1.0  # weight of a word the catalog never uses, against the words it knows
MODIFIER_WEIGHT = 0.6  # weight of a feature no phrase uses alone ("website", "ads")
NB_ALPHA = 0.5  # additive smoothing of the naive Bayes counts
NAME_SCORE = 90.0  # the least score of a use case whose whole name the message writes
GOAL_BOOST = 3.0  # points per goal-hint phrase, for a use case under that goal with a whole phrase
GOAL_BOOST_MAX = 6.0
OFF_TOPIC_FACTOR = 0.25  # score multiplier, to the power off-topic words / (use case's words - 2)
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


# --------------------------------------------------------------------------- the matcher's parts

# a feature read from text: (concept "#name" or stem, the words as typed, position)
_Feature = tuple[str, str, int]


def _cached_stemmer():
    """Snowball English stems (every number one stem), cached: a message repeats few words."""
    snowball = snowballstemmer.stemmer("english")

    def stem(word: str) -> str:
        return _NUMBER if word.isdigit() else snowball.stemWord(word)

    return lru_cache(maxsize=CACHE_SIZE)(stem)


class Concepts:
    """The lexicon, read for matching: stop words, and the synonym phrases of each concept by
    their exact words and by their stems. `features` turns a message's words into features."""

    def __init__(self, lexicon, stem):
        self.stem = stem
        self.stop_surface = frozenset(w for s in lexicon.stopwords for w in normalize(s).split())
        self.stop_stems = frozenset(stem(w) for w in self.stop_surface)
        # A stem form shared by phrases of different words ("checked out", "check out") belongs
        # to the concept listed first; the exact words still find their own concept.
        surface_map: dict[tuple[str, ...], list[str]] = defaultdict(list)
        stem_map: dict[tuple[str, ...], list[str]] = {}
        stem_owner: dict[tuple[str, ...], tuple[str, ...]] = {}
        for name, phrases in lexicon.concepts.items():
            feature = _CONCEPT + name
            for phrase in (name, *phrases):
                words = tuple(normalize(phrase).split())
                if not words:
                    continue
                if feature not in surface_map[words]:
                    surface_map[words].append(feature)
                stems = tuple(stem(w) for w in words)
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
        self._lengths = lru_cache(maxsize=CACHE_SIZE)(self._lengths_uncached)
        self._surface1 = {k[0]: v for k, v in self._surface_map.items() if len(k) == 1}
        self._stem1 = {k[0]: v for k, v in self._stem_map.items() if len(k) == 1}

    def words(self) -> frozenset[str]:
        """Every word of every concept phrase."""
        return frozenset(w for words in self._surface_map for w in words)

    def words_by_concept(self) -> dict[str, set[str]]:
        """The words of each concept's phrases, by feature."""
        found: dict[str, set[str]] = defaultdict(set)
        for words, features in self._surface_map.items():
            for f in features:
                found[f].update(words)
        return found

    def read(self, words: list[str]) -> list[_Feature]:
        """Catalog text (no typos to fix) -> features."""
        return self.features(words, words, [self.stem(w) for w in words])

    def features(self, typed: list[str], words: list[str], stems: list[str]) -> list[_Feature]:
        """The longest concept phrase starting at each word (phrases may overlap: "dont
        complete setup" reads as both; one inside another counts once), and the stem of each
        word no phrase covers, less stopwords; in word order. `words` are the typed words
        corrected, `stems` their stems."""
        n = len(words)
        out: list[_Feature] = []
        covered = [False] * n
        reach = 0  # end of the furthest phrase so far
        surface_get, stem_get = self._surface_map.get, self._stem_map.get
        surface1, stem1, lengths = self._surface1, self._stem1, self._lengths
        stop_surface, stop_stems = self.stop_surface, self.stop_stems
        for i in range(n):
            word, stem = words[i], stems[i]
            hit = None
            for size in lengths(word):
                if i + size > n:
                    continue
                if i + size <= reach:
                    break  # inside a phrase already read
                hit = surface_get(tuple(words[i : i + size]))
                if hit is None:
                    hit = stem_get(tuple(stems[i : i + size]))
                if hit is not None:
                    break
            else:
                if i >= reach:
                    size = 1
                    hit = surface1.get(word)
                    if hit is None and word not in stop_surface:
                        hit = stem1.get(stem)
            if hit is not None:
                surface = " ".join(typed[i : i + size])
                out.extend((f, surface, i) for f in hit)
                for j in range(i, i + size):
                    covered[j] = True
                reach = i + size
            elif not covered[i] and stem != _NUMBER and stem not in stop_stems:
                if word not in stop_surface:
                    out.append((stem, typed[i], i))
        return out

    def _lengths_uncached(self, word: str) -> tuple[int, ...]:
        """The lengths (two words or more, longest first) of the concept phrases that may
        start with this word, as written or by its stem."""
        found = set(self._sizes.get(word, ())) | set(self._stem_sizes.get(self.stem(word), ()))
        return tuple(sorted(found, reverse=True))


class PhraseIndex:
    """Each use case's name and vocabulary as phrases, each a set of features, IDF-weighted:
    a use case scores by how well the message covers its best phrase."""

    def __init__(self, catalog: Catalog, concepts: Concepts):
        self.uc_ids = list(catalog.use_cases)
        self.words: set[str] = set()  # the phrases' words: typo targets
        self.empty: list[tuple[str, str]] = []  # (use case, phrase) that read as nothing
        self.features_of: list[frozenset[str]] = []  # by use case: every feature of its phrases
        phrase_sets: list[tuple[int, frozenset[str]]] = []
        for i, uc_id in enumerate(self.uc_ids):
            uc = catalog.use_cases[uc_id]
            seen: set[frozenset[str]] = set()
            for phrase in (uc.name, *uc.vocabulary):
                words = normalize(phrase).split()
                self.words.update(words)
                feats = frozenset(f[0] for f in concepts.read(words)) - {_OFF_TOPIC}
                if not feats:
                    self.empty.append((uc_id, phrase))
                elif feats not in seen:
                    seen.add(feats)
                    phrase_sets.append((i, feats))
            self.features_of.append(frozenset().union(*seen) if seen else frozenset())
        self.used = frozenset().union(*self.features_of)

        # IDF over use cases: a feature of one use case weighs most. A feature that some phrase
        # uses alone ("churn") means something by itself; one that only ever comes with others
        # ("website", "ads") is a modifier and weighs less.
        n = len(self.uc_ids)
        df: dict[str, int] = defaultdict(int)
        for feats in self.features_of:
            for f in feats:
                df[f] += 1
        alone = {next(iter(feats)) for _, feats in phrase_sets if len(feats) == 1}
        self.weight = {
            f: math.log(1.0 + n / d) * (1.0 if f in alone else MODIFIER_WEIGHT) for f, d in df.items()
        }
        self._phrase_uc = [i for i, _ in phrase_sets]
        self._phrase_total = [sum(self.weight[f] for f in feats) for _, feats in phrase_sets]
        postings: dict[str, list[int]] = defaultdict(list)
        for pid, (_, feats) in enumerate(phrase_sets):
            for f in feats:
                postings[f].append(pid)
        self._postings = {f: tuple(p) for f, p in postings.items()}
        uses: dict[str, list[int]] = defaultdict(list)
        for i, feats in enumerate(self.features_of):
            for f in feats:
                uses[f].append(i)
        self._uses = {f: tuple(u) for f, u in uses.items()}

        # A message that names a use case ("suppress with purchase, is that the one?") means it.
        names: dict[str, list[tuple[tuple[str, ...], int]]] = defaultdict(list)
        for i, uc_id in enumerate(self.uc_ids):
            stems = tuple(concepts.stem(w) for w in normalize(catalog.use_cases[uc_id].name).split())
            if stems:
                names[stems[0]].append((stems, i))
        self._names = dict(names)

    def coverage(self, message: dict[str, float]) -> tuple[dict[int, float], list[float], list[int]]:
        """For the message's weighted features: the coverage of each touched use case's best
        phrase, the weight of the message each use case explains, and how many of its
        features each one has."""
        explained = [0.0] * len(self.uc_ids)
        known = [0] * len(self.uc_ids)
        matched: dict[int, float] = defaultdict(float)
        postings, uses = self._postings, self._uses
        for key, weight in message.items():
            for pid in postings.get(key, ()):
                matched[pid] += weight
            for i in uses[key]:
                explained[i] += weight
                known[i] += 1
        best: dict[int, float] = {}
        phrase_uc, phrase_total = self._phrase_uc, self._phrase_total
        for pid, got in matched.items():
            coverage = got / phrase_total[pid]
            i = phrase_uc[pid]
            if coverage > best.get(i, 0.0):
                best[i] = coverage
        return best, explained, known

    def named(self, stems: list[str]) -> set[int]:
        """The use cases whose whole name the message writes (stems, in order)."""
        found = set()
        names = self._names
        for j, stem in enumerate(stems):
            for name, i in names.get(stem, ()):
                if tuple(stems[j : j + len(name)]) == name:
                    found.add(i)
        return found


class LearnedWeights:
    """Naive Bayes over the same features, learnt from every text of a use case: its name, its
    vocabulary and its example messages. It adds up evidence spread over a whole message."""

    def __init__(self, catalog: Catalog, concepts: Concepts, uc_ids: list[str]):
        self.words: set[str] = set()  # every word of these texts: known, never "corrected"
        stem_counts: dict[str, int] = defaultdict(int)
        counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        mass = [0] * len(uc_ids)
        for i, uc_id in enumerate(uc_ids):
            uc = catalog.use_cases[uc_id]
            for text in (uc.name, *uc.vocabulary, *uc.examples):
                words = normalize(text).split()[:MAX_TOKENS]
                self.words.update(words)
                for w in words:
                    stem_counts[concepts.stem(w)] += 1
                for f in {f[0] for f in concepts.read(words)} - {_OFF_TOPIC}:
                    counts[f][i] += 1
                    mass[i] += 1
        size = len(counts)
        self.stem_counts = dict(stem_counts)  # how often these texts use each stem
        # log P(feature | use case) of a feature its texts never use, and what using it adds
        self._base = [math.log(NB_ALPHA / (m + NB_ALPHA * size)) for m in mass]
        self._bonus = {
            f: tuple((i, math.log((c + NB_ALPHA) / NB_ALPHA)) for i, c in sorted(by_uc.items()))
            for f, by_uc in counts.items()
        }

    def knows(self, feature: str) -> bool:
        return feature in self._bonus

    def posterior(self, present: set[str], touched: dict[int, float]) -> dict[int, float]:
        """The probability of each touched use case given the message's features, among the
        touched ones (a uniform prior: a use case with more examples is not likelier)."""
        bonus = self._bonus
        feats = [f for f in present if f in bonus]
        base = self._base
        ll = {i: len(feats) * base[i] for i in touched}
        for f in feats:
            for i, v in bonus[f]:
                if i in ll:
                    ll[i] += v
        if not ll:
            return {}
        high = max(ll.values())
        odds = {i: math.exp(v - high) for i, v in ll.items()}
        total = sum(odds.values())
        return {i: v / total for i, v in odds.items()}


class GoalHints:
    """Words of a business goal (`vocabulary` in goals.yml): each phrase a set of features,
    found through its first feature. They nudge the use cases under that goal and pick the
    goal of a use case that sits under several."""

    def __init__(self, catalog: Catalog, concepts: Concepts, uc_ids: list[str]):
        self.goal_ids = [g.id for g in catalog.goals]
        self.words: set[str] = set()  # the phrases' words: typo targets
        self.used: set[str] = set()
        position = {g: gi for gi, g in enumerate(self.goal_ids)}
        anchors: dict[str, list[tuple[int, frozenset[str]]]] = defaultdict(list)
        for gi, goal in enumerate(catalog.goals):
            for phrase in goal.vocabulary:
                words = normalize(phrase).split()
                self.words.update(words)
                feats = frozenset(f[0] for f in concepts.read(words))
                if feats:
                    self.used.update(feats)
                    anchors[min(feats)].append((gi, feats))
        self._anchors = dict(anchors)
        self.goals_of = [tuple(catalog.use_cases[uc].goals) for uc in uc_ids]
        self.positions_of = [tuple(position[g] for g in goals) for goals in self.goals_of]

    def count(self, present: set[str]) -> list[float]:
        """How many of each goal's phrases the message's features contain."""
        hints = [0.0] * len(self.goal_ids)
        anchors = self._anchors.get
        for key in present:
            for gi, feats in anchors(key, ()):
                if feats <= present:
                    hints[gi] += 1.0
        return hints

    def best_for(self, i: int, hints: list[float]) -> float:
        return max(hints[gi] for gi in self.positions_of[i])

    def goal_for(self, i: int, hints: list[float]) -> str | None:
        """The goal of use case i the words point to: its only goal, or the one of its goals
        with the most hint words; None on no hint or a tie."""
        goals = self.goals_of[i]
        if len(goals) == 1:
            return goals[0]
        scores = [hints[gi] for gi in self.positions_of[i]]
        high = max(scores)
        if high <= 0 or scores.count(high) > 1:
            return None
        return goals[scores.index(high)]

    def overall(self, hints: list[float], first: int | None) -> str | None:
        """The goal with the most hint words; on a tie, the one the best match sits under."""
        high = max(hints, default=0.0)
        if high <= 0:
            return None
        leaders = [g for g, s in zip(self.goal_ids, hints) if s == high]
        if len(leaders) > 1 and first is not None:
            leaders = [g for g in leaders if g in self.goals_of[first]]
        return leaders[0] if len(leaders) == 1 else None


class TypoCorrector:
    """A word the catalog does not know, corrected to one it uses (same first letter; one edit
    for words of 5-9 letters, two beyond); between two as close, the one whose stem the
    catalog uses most ("trails" is a misspelt "trials", not "traits")."""

    def __init__(
        self,
        targets: set[str],
        known: set[str],
        stop_words: frozenset[str],
        stem,
        stem_counts: dict[str, int],
    ):
        self._stem = stem
        self._stem_counts = stem_counts
        self._known_surface = frozenset(known | targets | stop_words)
        self._known_stems = frozenset(stem(w) for w in self._known_surface)
        buckets: dict[str, list[str]] = defaultdict(list)
        for w in sorted(targets - stop_words):
            if len(w) >= MIN_FIX_LEN - 1 and w.isalpha():
                buckets[w[0]].append(w)
        self._buckets = {k: tuple(v) for k, v in buckets.items()}
        self.correct = lru_cache(maxsize=CACHE_SIZE)(self._correct_uncached)

    def _correct_uncached(self, word: str) -> str:
        """The catalog word a typed word stands for: itself when known or not fixable."""
        if len(word) < MIN_FIX_LEN or word in self._known_surface or not word.isalpha():
            return word
        if self._stem(word) in self._known_stems:
            return word
        choices = self._buckets.get(word[0])
        if not choices:
            return word
        found = process.extract(
            word, choices, scorer=OSA.distance, score_cutoff=_max_typos(len(word)), limit=None
        )
        if not found:
            return word
        counts, stem = self._stem_counts, self._stem
        return min(found, key=lambda c: (c[1], -counts.get(stem(c[0]), 0), c[0]))[0]


# --------------------------------------------------------------------------- the matcher


class Matcher:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.stem = _cached_stemmer()
        self.concepts = Concepts(catalog.lexicon, self.stem)
        self.phrases = PhraseIndex(catalog, self.concepts)
        self.learnt = LearnedWeights(catalog, self.concepts, self.phrases.uc_ids)
        self.goals = GoalHints(catalog, self.concepts, self.phrases.uc_ids)
        # Typos are corrected to the words of the phrases and of the concepts some use case or
        # goal uses (not of `off-topic` or of groups nothing uses); every word the catalog
        # lists, example messages' included, is known, so never "fixed".
        by_concept = self.concepts.words_by_concept()
        targets = self.phrases.words | self.goals.words
        for f in (self.phrases.used | self.goals.used) - {_OFF_TOPIC}:
            targets |= by_concept.get(f, set())
        self.typos = TypoCorrector(
            targets,
            set(self.concepts.words()) | self.learnt.words,
            self.concepts.stop_surface,
            self.stem,
            self.learnt.stem_counts,
        )
        self.empty_phrases = self.phrases.empty

    def match(self, text: str, limit: int = 3) -> MatchResult:
        query = text if isinstance(text, str) else ""
        limit = max(1, int(limit))
        words = normalize(query).split()[:MAX_TOKENS]
        if not words:
            return MatchResult(query, "none", (), None)
        fixed = [self.typos.correct(w) for w in words]
        stems = [self.stem(w) for w in fixed]
        features = self.concepts.features(words, fixed, stems)
        present = {f[0] for f in features}
        hints = self.goals.count(present)
        scored = self._score(features, present, stems, hints)
        if scored is None:
            return MatchResult(query, "none", (), self.goals.overall(hints, None))
        scored = heapq.nlargest(max(limit, 2), scored)

        matches = []
        for score, neg_i in scored[:limit]:
            i = -neg_i
            uc = self.catalog.use_cases[self.phrases.uc_ids[i]]
            terms = _terms(words, features, self.phrases.features_of[i])
            matches.append(Match(uc.id, uc.name, self.goals.goal_for(i, hints), round(score, 1), terms))
        first = -scored[0][1] if scored else None
        return MatchResult(query, _verdict(scored), tuple(matches), self.goals.overall(hints, first))

    def _score(
        self, features: list[_Feature], present: set[str], stems: list[str], hints: list[float]
    ) -> list[tuple[float, int]] | None:
        """(score, -use case index) for each use case the message touches; None when no word
        of it is one the catalog's phrases use."""
        off_topic = sum(1 for f in features if f[0] == _OFF_TOPIC)
        weight_of = self.phrases.weight.get
        message = {key: w for key in present if (w := weight_of(key)) is not None}
        if not message:
            return None
        best, explained, known = self.phrases.coverage(message)
        # words the catalog never uses dilute the share too: they are what the message is about
        unknown = sum(1 for key in present if not self.learnt.knows(key) and key[0] != _CONCEPT)
        total = sum(message.values()) + UNKNOWN_WEIGHT * unknown
        named = self.phrases.named(stems)
        if len(best) > CANDIDATES:  # a big catalog: only the best-covered can come out on top
            keep = heapq.nlargest(CANDIDATES, best.items(), key=lambda item: item[1])
            best = {i: c for i, c in keep} | {i: best[i] for i in named if i in best}
        posterior = self.learnt.posterior(present, best)

        scored = []
        for i, coverage in best.items():
            share = explained[i] / total
            phrase = coverage * (EXPLAINED_FLOOR + (1.0 - EXPLAINED_FLOOR) * share)
            learnt = posterior[i] * coverage  # no phrase, no recommendation from examples alone
            score = 100.0 * ((1.0 - BLEND) * phrase + BLEND * learnt)
            if coverage >= 1.0:
                hint = self.goals.best_for(i, hints)
                score = min(100.0, score + min(GOAL_BOOST_MAX, GOAL_BOOST * hint))
            if i in named:
                score = max(score, NAME_SCORE)
            if off_topic:  # off-topic words weigh against the use case's own words past two
                score *= OFF_TOPIC_FACTOR ** (off_topic / max(known[i] - 2, 0.5))
            scored.append((score, -i))
        return scored


def _verdict(scored: list[tuple[float, int]]) -> str:
    """As Rasa's fallback classifier: a top score below the threshold is `none`, one too close
    to the runner-up `ambiguous`, else `confident`."""
    top = scored[0][0] if scored else 0.0
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if top < THRESHOLD:
        return "none"
    if top - runner_up < MARGIN:
        return "ambiguous"
    return "confident"


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
