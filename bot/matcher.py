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
6. What is not a goal (``_kind``): the evidence is how many distinct features of the top use
   case's phrases the strongest clauses hold. With one, among words the catalog never uses and
   no one a business serves (the lexicon's cues ``population``, ``business-voice``), the message
   is chatter ("the snack cart is empty", "welcome back Jess!"); with two or fewer about a
   person's own things (``personal``: "my watch") too. Segment's own words (a support topic, or
   the ``product`` cues) make a weak goal a support question, unless the message asks how to set
   a goal up (``setup-ask``: "which events do I need for winback?").
7. Two asks: the message is cut where each part, read alone, means another use case, in a clause
   that asks; anywhere when the person says there are two (``two-asks``: "two things", "our
   priorities"), and in a long message only where the second is added ("also", "separately").

Speed: the cue phrases of a message are found in one pass (``Clauses.scan``, kept per thread),
each distinct word is read once (typo fix, stem, what it is alone: one cache), and the words
behind a match (``Match.terms``) are read only when asked for.

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
import threading
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.catalog import Catalog

# --------------------------------------------------------------------------- tuning

# Slack allows 40,000 characters in a message. The ask is usually in the first paragraphs or in
# the last sentence, so a longer text is read as its first HEAD_CHARS and its last TAIL_CHARS,
# cut before any regex.
MAX_INPUT_CHARS = 4000
HEAD_CHARS = 3000
TAIL_CHARS = MAX_INPUT_CHARS - HEAD_CHARS
MAX_TOKENS = 800  # words read from a message, after normalisation

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
OFF_TOPIC_SPAN = 12  # in a message of more features, off-topic words weigh this many / their number
OFF_TOPIC = "off-topic"  # the lexicon concept of requests the bot does not handle

# the weight of a clause's words by its role (the strongest role with catalog words counts 1)
ROLE_WEIGHT = {"ask": 1.0, "neutral": 0.6, "background": 0.2}
NEED_SHARE = 3.0  # a feature in a third of a use case's phrases is one it needs in full
NEGATED_PENALTY = 0.55  # a use case's score times exp(-this x the IDF weight of its negated words)
TWO_ASKS_MIN = 40.0  # each of two asks scores at least this on its own
TWO_ASKS_WEAK_MIN = 55.0  # … when they are joined only by "and" or a comma
TWO_ASKS_SPLITS = 8  # at most this many places are tried to cut a message in two asks
TWO_ASKS_SPLITS_LONG = 3  # … in a message of more than 60 words
TWO_ASKS_LONG_WORDS = 60  # a message of more words: only a new sentence or "also" starts a second ask
TWO_ASKS_REACH = 45  # words read on each side of the cut
SUPPORT_OVERRIDE = 55.0  # a use case beats a support topic's words from this score, when confident
WEAK_UNKNOWN_MAX = 2  # one goal word said as a goal ("we want …") survives this many unknown words
VAGUE_CLEAR = 50.0  # below this, a confident top match of a vague message is offered, not made

SCOPE_PIVOT = 40.0  # the use-case score at which the scope model alone decides goal or not
SCOPE_SCALE = 10.0  # use-case points worth a factor e in the scope model's odds
SCOPE_SURE = 10.0  # log-odds of a goal above which a use case found is kept, whatever the words
MIN_FIX_LEN = 5  # shorter words are never typo-corrected
CACHE_SIZE = 4096  # typo corrections and stems of words seen in messages

_CONCEPT = "#"  # prefix of concept features; a stem never contains it
_OFF_TOPIC = _CONCEPT + OFF_TOPIC
_NONE: frozenset[str] = frozenset()
_NO_SIZES: tuple[int, ...] = ()
_NO_TABLE: dict[int, tuple[int, ...]] = {}  # a cue list with no phrase in the message (never filled)
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
_HAS_DIGIT_LETTER = re.compile(r"\d[^\W\d_]")


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
    return _words(_clean(_clip(text)))


def _clip(text: str) -> str:
    """A long text's head and tail: the ask is in the first paragraphs or the last sentence."""
    if len(text) <= MAX_INPUT_CHARS:
        return text
    return text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]


def _clean(text: str) -> str:
    """Slack markup, HTML entities and emoji codes out, punctuation kept."""
    if "<" in text:
        text = _SLACK_ANGLE.sub(_slack_angle, text)
    if "&" in text:
        text = html.unescape(text)
    if ":" in text:
        text = _EMOJI.sub(" ", text)
    return text


# where a clause ends: a sentence's end (. ! ? ; a new line), a comma or colon before a space,
# brackets, a dash between spaces
_BOUNDARY = re.compile(r"([.!?;]+(?=\s|$)|\n+|[,:](?=\s)|[()\[\]]|\s[-–—]+\s)")
SENTENCE, COMMA, COLON = "sentence", "comma", "colon"


# boundaries travel through _words as marker words (letters only, so they survive it)
_MARK = {SENTENCE: "qqzsentencezqq", COMMA: "qqzcommazqq", COLON: "qqzcolonzqq", "?": "qqzquestionzqq"}
_MARK_KIND = {v: k for k, v in _MARK.items()}
_MARK_SPLIT = re.compile("(?:(?<= )|^)(" + "|".join(_MARK.values()) + ")(?= |$)")


def _mark(match: re.Match) -> str:
    sep = match.group(0)
    if ":" in sep:
        kind = COLON
    elif sep.strip() in (",", "(", ")", "[", "]") or (sep.strip() and sep.strip() in "-–—"):
        kind = COMMA
    else:
        kind = SENTENCE
    mark = f" {_MARK[kind]} "
    return mark + f"{_MARK['?']} " if "?" in sep else mark


def segments(text: str) -> list[tuple[list[str], str, bool]]:
    """The text cut where punctuation ends a clause: (its normalised words, how it ends:
    SENTENCE, COMMA or COLON, whether it ends a question). Its words are normalize(text)'s."""
    if not isinstance(text, str) or not text:
        return []
    marked = _words(_BOUNDARY.sub(_mark, _clean(_clip(text))))
    out: list[tuple[list[str], str, bool]] = []
    current: list[str] = []
    question = False
    kind = None
    # the runs of words between the markers, and the markers (odd places)
    for k, part in enumerate(_MARK_SPLIT.split(marked)):
        if k % 2 == 0:
            run = part.split()
            if not run:
                continue
            if kind is not None:
                if current:
                    out.append((current, kind, question))
                elif out and kind == SENTENCE:  # "…!!" after a clause: it ends the sentence
                    words, _, asked = out[-1]
                    out[-1] = (words, SENTENCE, asked or question)
                current, question, kind = [], False, None
            current.extend(run)
            continue
        mark = _MARK_KIND[part]
        if mark == "?":
            question = True
        elif kind is None or mark == SENTENCE or (mark == COLON and kind == COMMA):
            kind = mark
    if current:
        out.append((current, kind or SENTENCE, question))
    elif out and kind == SENTENCE:
        words, _, asked = out[-1]
        out[-1] = (words, SENTENCE, asked or question)
    return out


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _drop_combining(match: re.Match) -> str:
    return "" if unicodedata.combining(match.group()) else match.group()


@lru_cache(maxsize=1)
def _combining() -> re.Pattern:
    """The accents and other combining marks of the Basic Multilingual Plane, to delete."""
    marks = [c for c in range(0x300, 0x10000) if unicodedata.combining(chr(c))]
    ranges: list[list[int]] = []
    for c in marks:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]+")


# ASCII text in one pass, as bytes: lowercase, apostrophes out ("didn't" -> "didnt"), every
# other mark a space
_ASCII_WORDS = bytes(
    c + 32 if 65 <= c <= 90 else c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256)
)


def _words(text: str) -> str:
    if text.isascii():
        text = text.encode("ascii").translate(_ASCII_WORDS, b"'").decode("ascii")
        if _HAS_DIGIT_LETTER.search(text):
            text = _DIGIT_LETTER.sub(_split_digits, text)
        return " ".join(text.split())
    text = _FORMAT.sub(" ", text)
    text = _APOSTROPHE.sub("", text)  # "didn't" -> "didnt"
    if text.isascii():
        text = _NOT_WORD_ASCII.sub(" ", text.lower())
    else:
        text = _combining().sub("", unicodedata.normalize("NFKD", text.casefold()))
        if _ASTRAL.search(text):  # beyond the table (emoji, old scripts): look each one up
            text = _ASTRAL.sub(_drop_combining, text)
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
    # the person's words (normalised) that matched, at most 4: read when first asked for
    words: tuple[str, ...] | Callable[[], tuple[str, ...]] = field(default=(), repr=False, compare=False)

    @property
    def terms(self) -> tuple[str, ...]:
        found = self.words
        if callable(found):
            found = found()
            object.__setattr__(self, "words", found)
        return found


@dataclass(frozen=True)
class MatchResult:
    query: str
    verdict: str  # "confident" | "ambiguous" | "none"
    matches: tuple[Match, ...]  # best first, at most `limit`
    goal: str | None  # the goal the words as a whole point to, if any
    asks: tuple[MatchResult, ...] = ()  # two asks in one message: each read alone, in order
    kind: str | None = None  # not a clear use-case goal: "support" | "vague" | "off-topic"
    topic: str | None = None  # for kind "support": the lexicon's support topic it is about

    def to_json(self) -> dict:
        data = {
            "query": self.query,
            "verdict": self.verdict,
            "matches": [_match_json(m) for m in self.matches],
        }
        if self.asks:
            data["asks"] = [[_match_json(m) for m in ask.matches] for ask in self.asks]
        if self.kind:
            data["kind"] = self.kind
        return data

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


def _match_json(m: Match) -> dict:
    return {"use_case": m.use_case, "name": m.name, "goal": m.goal, "score": m.score}


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
                if name == OFF_TOPIC and len(words) == 1:
                    continue  # an office word counts as written: "bugging me" is no bug
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
        # the lengths of the phrases of two words or more, by their first two words and stems
        pairs: dict[tuple[str, str], set[int]] = defaultdict(set)
        stem_pairs: dict[tuple[str, str], set[int]] = defaultdict(set)
        for k in self._surface_map:
            if len(k) > 1:
                pairs[k[:2]].add(len(k))
        for k in self._stem_map:
            if len(k) > 1:
                stem_pairs[k[:2]].add(len(k))
        self._pairs = {k: tuple(sorted(v, reverse=True)) for k, v in pairs.items()}
        self._stem_pairs = {k: tuple(sorted(v, reverse=True)) for k, v in stem_pairs.items()}
        self._both: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[int, ...]] = {}
        pair_next: dict[str, set[str]] = defaultdict(set)
        stem_pair_next: dict[str, set[str]] = defaultdict(set)
        for k in self._pairs:
            pair_next[k[0]].add(k[1])
        for k in self._stem_pairs:
            stem_pair_next[k[0]].add(k[1])
        self._pair_next = {w: frozenset(v) for w, v in pair_next.items()}
        self._stem_pair_next = {w: frozenset(v) for w, v in stem_pair_next.items()}
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

    def word(
        self, word: str, stem: str
    ) -> tuple[tuple[str, ...] | None, bool, frozenset[str], frozenset[str]]:
        """What a word (and its stem) is on its own: the concepts it reads as alone, whether it
        counts as its stem when no phrase covers it, and the second words (and stems) of the
        longer phrases that start with it."""
        hit = self._surface1.get(word)
        if hit is None and word not in self.stop_surface:
            hit = self._stem1.get(stem)
        alone = stem != _NUMBER and stem not in self.stop_stems and word not in self.stop_surface
        return hit, alone, self._pair_next.get(word, _NONE), self._stem_pair_next.get(stem, _NONE)

    def features(
        self,
        typed: list[str],
        words: list[str],
        stems: list[str],
        each: list[tuple[tuple[str, ...] | None, bool, frozenset[str], frozenset[str]]] | None = None,
    ) -> list[_Feature]:
        """The longest concept phrase starting at each word (phrases may overlap: "dont
        complete setup" reads as both; one inside another counts once), and the stem of each
        word no phrase covers, less stopwords; in word order. `words` are the typed words
        corrected, `stems` their stems, `each` what `word` says of each (computed if not given)."""
        n = len(words)
        if each is None:
            each = [self.word(w, s) for w, s in zip(words, stems)]
        out: list[_Feature] = []
        append = out.append
        reach = 0  # end of the furthest phrase so far: the words before it are covered
        surface_get, stem_get = self._surface_map.get, self._stem_map.get
        pairs, stem_pairs, both = self._pairs.get, self._stem_pairs.get, self._both
        last = n - 1
        for i in range(n):
            alone_hit, alone, nexts, stem_nexts = each[i]
            hit = None
            single = True  # no phrase of two words or more starts here
            # the phrases of two words or more here, by their first two words or stems
            if i < last and (words[i + 1] in nexts or stems[i + 1] in stem_nexts):
                a = pairs((words[i], words[i + 1]))
                b = stem_pairs((stems[i], stems[i + 1]))
                if a is not None or b is not None:
                    if a is None:
                        sizes = b
                    elif b is None or a == b:
                        sizes = a
                    else:
                        sizes = both.get((a, b)) or both.setdefault(
                            (a, b), tuple(sorted({*a, *b}, reverse=True))
                        )
                    for size in sizes:
                        if i + size > n:
                            continue
                        if i + size <= reach:
                            single = False
                            break  # inside a phrase already read
                        hit = surface_get(tuple(words[i : i + size]))
                        if hit is None:
                            hit = stem_get(tuple(stems[i : i + size]))
                        if hit is not None:
                            single = False
                            break
            if single and i >= reach:
                size = 1
                hit = alone_hit
            if hit is not None:
                surface = typed[i] if size == 1 else " ".join(typed[i : i + size])
                for f in hit:
                    append((f, surface, i))
                reach = i + size
            elif alone and i >= reach:
                append((stems[i], typed[i], i))
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
        self.need: list[dict[str, float]] = []  # by use case: how much it needs each feature
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
            # how much the use case needs each feature: the share of its phrases that use it
            uses_f: dict[str, int] = defaultdict(int)
            for feats in seen:
                for f in feats:
                    uses_f[f] += 1
            self.need.append({f: min(1.0, NEED_SHARE * c / len(seen)) for f, c in uses_f.items()})
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
        self._name_starts = frozenset(names)

    def coverage(self, message: dict[str, float]) -> tuple[dict[int, float], list[float], list[int]]:
        """For the message's weighted features: the coverage of each touched use case's best
        phrase, the weight of the message each use case explains, and how many of its
        features each one has."""
        explained = [0.0] * len(self.uc_ids)
        known = [0] * len(self.uc_ids)
        matched = [0.0] * len(self._phrase_uc)
        hit: list[int] = []  # the phrases touched, in the order first touched
        postings, uses = self._postings.get, self._uses
        for key, weight in message.items():
            for pid in postings(key, ()):
                if not matched[pid]:
                    hit.append(pid)
                matched[pid] += weight
            for i in uses[key]:
                explained[i] += weight
                known[i] += 1
        best: dict[int, float] = {}
        phrase_uc, phrase_total = self._phrase_uc, self._phrase_total
        for pid in hit:
            coverage = matched[pid] / phrase_total[pid]
            i = phrase_uc[pid]
            if coverage > best.get(i, 0.0):
                best[i] = coverage
        return best, explained, known

    def named_at(self, stems: list[str]) -> list[tuple[int, int, int]]:
        """(start, end, use case) of each use case name the message writes (stems, in order)."""
        found: list[tuple[int, int, int]] = []
        if self._name_starts.isdisjoint(stems):
            return found
        names = self._names
        for j, stem in enumerate(stems):
            for name, i in names.get(stem, ()):
                if tuple(stems[j : j + len(name)]) == name:
                    found.append((j, j + len(name), i))
        return found

    def named(self, stems: list[str]) -> set[int]:
        """The use cases whose whole name the message writes (stems, in order)."""
        found: set[int] = set()
        names = self._names
        if self._name_starts.isdisjoint(stems):
            return found
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

    def posterior(self, present: dict[str, float], touched: dict[int, float]) -> dict[int, float]:
        """The probability of each touched use case given the message's features (each counted
        by its weight in the message), among the touched ones (a uniform prior: a use case with
        more examples is not likelier)."""
        if len(touched) == 1:
            return {i: 1.0 for i in touched}
        if not touched:
            return {}
        bonus, base = self._bonus.get, self._base
        ll = [0.0] * len(base)
        mass = 0.0
        for f, w in present.items():
            found = bonus(f)
            if found is not None:
                mass += w
                for i, v in found:
                    ll[i] += v * w
        scores = {i: ll[i] + mass * base[i] for i in touched}
        high = max(scores.values())
        exp = math.exp
        odds = {i: exp(v - high) for i, v in scores.items()}
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
        near: dict[str, set[str]] = defaultdict(set)
        for w in targets | stop_words:
            if len(w) >= MIN_FIX_LEN - 1 and w.isalpha():
                near[w[0]].add(w)
        self._near = {k: tuple(sorted(v)) for k, v in near.items()}
        self.correct = lru_cache(maxsize=CACHE_SIZE)(self._correct_uncached)

    def near(self, word: str) -> bool:
        """Whether a word the catalog does not know is one edit from a word it uses or a stop
        word, even a short one ("hihg", "aceclerate"): a likely typo, not another subject's."""
        if len(word) < MIN_FIX_LEN - 1 or not word.isalpha():
            return False
        choices = self._near.get(word[0])
        return (
            bool(choices)
            and process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=1) is not None
        )

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


# --------------------------------------------------------------------------- clauses


@dataclass
class _Clause:
    start: int  # first word (index into the message's words)
    end: int  # one past the last word
    sentence: int  # which sentence it belongs to
    colon: bool = False  # its segment ends with ":" ("What I need: …")
    question: bool = False  # its sentence ends with "?"
    role: str = "neutral"  # "ask" | "neutral" | "background"
    cued: bool = False  # its role is its own (a cue, a question), not its sentence's
    cues: set[int] | None = None  # the cue lists with a phrase inside it, once read


class _Phrases:
    """Cue phrases by their first word: find them in a run of words. Within a message that
    `Clauses.scan` has read (in this thread), the phrases found are looked up, not searched."""

    def __init__(self, phrases: tuple[str, ...], state: threading.local | None = None, slot: int = 0):
        by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for phrase in phrases:
            words = tuple(normalize(phrase).split())
            if words:
                by_first[words[0]].append(words)
        self._by_first = {w: tuple(sorted(set(v), key=len, reverse=True)) for w, v in by_first.items()}
        self.first = frozenset(self._by_first)
        self._state = state if state is not None else threading.local()
        self.slot = slot

    def _table(self, words: list[str]) -> dict[int, tuple[int, ...]] | None:
        """The phrases of the message being read: position -> lengths (longest first)."""
        state = self._state
        if getattr(state, "words", None) is words:
            return state.tables[self.slot]
        return None

    def lengths(self, words: list[str]) -> dict[int, tuple[int, ...]]:
        """Every phrase in the words: position -> lengths, longest first."""
        table: dict[int, tuple[int, ...]] = {}
        by_first = self._by_first
        n = len(words)
        for i, word in enumerate(words):
            phrases = by_first.get(word)
            if phrases:
                found = tuple(
                    len(p) for p in phrases if i + len(p) <= n and tuple(words[i : i + len(p)]) == p
                )
                if found:
                    table[i] = found
        return table

    def any_in(self, words: list[str], start: int, end: int, present: set[str] | None = None) -> bool:
        """Whether a phrase is in words[start:end] (`present`: those words, as a set)."""
        table = self._table(words)
        if table is not None:
            return any(start <= i < end and i + sizes[-1] <= end for i, sizes in table.items())
        return not self.first.isdisjoint(present) and bool(self.find(words, start, end))

    def at(self, words: list[str], i: int, end: int) -> int:
        """The length of the longest phrase starting at word i (and ending by `end`), or 0."""
        if i >= end:
            return 0
        table = self._table(words)
        if table is not None:
            for n in table.get(i, ()):
                if i + n <= end:
                    return n
            return 0
        for phrase in self._by_first.get(words[i], ()):
            n = len(phrase)
            if i + n <= end and tuple(words[i : i + n]) == phrase:
                return n
        return 0

    def find(self, words: list[str], start: int, end: int) -> list[tuple[int, int]]:
        """(position, length) of every phrase in words[start:end], left to right, not overlapping."""
        table = self._table(words)
        found: list[tuple[int, int]] = []
        if table is not None:
            after = start
            for i in sorted(table):
                if i < after or i >= end:
                    continue
                for n in table[i]:
                    if i + n <= end:
                        found.append((i, n))
                        after = i + n
                        break
            return found
        i = start
        by_first = self._by_first
        while i < end:
            n = self.at(words, i, end) if words[i] in by_first else 0
            if n:
                found.append((i, n))
                i += n
            else:
                i += 1
        return found


class Clauses:
    """What each part of a message does: states the request ("we want…", "how do I…", a
    question, an imperative), tells the background ("we sell…", "context:"), or negates
    ("not for ads", "forget lookalikes", "churn is fine"). The cue words are the lexicon's
    `cues`; with none listed, every word counts alike."""

    def __init__(self, cues, concepts: Concepts):
        self._state = threading.local()  # the message being read in this thread, and its phrases
        self._all: list[_Phrases] = []

        def get(kind: str) -> _Phrases:
            phrases = _Phrases(tuple(cues.get(kind, ())), self._state, len(self._all))
            self._all.append(phrases)
            return phrases

        self.ask, self.imperative, self.problem = get("ask"), get("imperative"), get("problem")
        self.background, self.negation, self.settled = get("background"), get("negation"), get("settled")
        self.joiner, self.second, self.vague = get("joiner"), get("second-ask"), get("vague")
        self.two = get("two-asks")
        self.second_at_start = get("second-ask-at-start")
        self._leads = self.second.first | self.joiner.first
        self._lead_slots = {self.second.slot, self.joiner.slot}
        self.contrast, self.concession = get("contrast"), get("concession")
        self.negation_at_start = get("negation-at-start")
        self.background_at_start = get("background-at-start")
        self.done = get("done")
        self.reply_cues = {kind: get(kind) for kind in ("follow-up", "why-not", "other-ask")}
        self.copula = frozenset(normalize(" ".join(cues.get("copula", ()))).split())
        self.relative = frozenset(normalize(" ".join(cues.get("relative", ()))).split())
        self.anaphora = frozenset(normalize(" ".join(cues.get("anaphora", ()))).split())
        # the words of an ask that point back at what was said before it
        self.anaphora_refs = frozenset(normalize(" ".join(cues.get("refers-back", ()))).split())
        # … less the relative pronouns: "campaigns that find …" points at nothing before it
        self.refs = self.anaphora_refs
        self.problem_concepts = frozenset(_CONCEPT + c for c in cues.get("problem-concepts", ()))
        # who a business goal is about ("customers", "subscribers") and the measures it moves
        self.population = get("population")
        # words that name Segment's product ("workspace", "Segment"): a support question's
        self.product = get("product")
        # a use-case setup question ("which events do I need for …"): the goal wins over support
        self.setup = get("setup-ask")
        self.voice = get("business-voice")
        self.personal = get("personal")
        self.enabled = bool(cues)
        ones: dict[str, list[int]] = defaultdict(list)
        twos: dict[tuple[str, str], list[tuple[tuple[str, ...], int]]] = defaultdict(list)
        for phrases in self._all:
            for word, found in phrases._by_first.items():
                for phrase in found:
                    if len(phrase) == 1:
                        ones[word].append(phrases.slot)
                    else:
                        twos[phrase[:2]].append((phrase, phrases.slot))
        self._ones = {w: tuple(v) for w, v in ones.items()}
        self._cue_starts = frozenset(ones) | {k[0] for k in twos}
        cue_next: dict[str, set[str]] = defaultdict(set)
        for k in twos:
            cue_next[k[0]].add(k[1])
        self._cue_next = {w: frozenset(v) for w, v in cue_next.items()}
        self._twos = {k: tuple(sorted(v, key=lambda e: -len(e[0]))) for k, v in twos.items()}

    def scan(self, words: list[str]) -> None:
        """Find every cue phrase of the message once; until the next scan in this thread, the
        cue lists look them up. The phrases are indexed by their first word (one-word phrases)
        and their first two words, so a word costs a look-up or two, whatever the cue lists."""
        ones, twos = self._ones, self._twos
        tables: list[dict[int, tuple[int, ...]]] = [_NO_TABLE] * len(self._all)  # filled as found
        n = len(words)
        found: dict[int, list[int]] = {}
        hits: list[tuple[int, int, int]] = []  # (position, cue list, shortest length)
        starts, nexts = self._cue_starts, self._cue_next
        for i, word in enumerate(words):
            if word not in starts:
                continue
            slots = ones.get(word)
            if slots is not None:
                for slot in slots:
                    found[slot] = [1]
            if i + 1 < n and words[i + 1] in nexts.get(word, _NONE):
                entries = twos.get((word, words[i + 1]))
                if entries is not None:
                    for phrase, slot in entries:  # longest first
                        size = len(phrase)
                        if size == 2 or (i + size <= n and tuple(words[i : i + size]) == phrase):
                            if slot in found:
                                found[slot].append(size)
                            else:
                                found[slot] = [size]
            if found:
                for slot, sizes in found.items():
                    sizes.sort(reverse=True)
                    table = tables[slot]
                    if table is _NO_TABLE:
                        table = tables[slot] = {}
                    table[i] = tuple(sizes)
                    hits.append((i, slot, sizes[-1]))
                found = {}
        state = self._state
        state.words, state.tables, state.hits = words, tables, hits

    def slots_by_clause(self, words: list[str], clauses: list[_Clause]) -> list[set[int]]:
        """For each clause, the cue lists with a phrase inside it."""
        state = self._state
        if getattr(state, "words", None) is not words:
            return [
                {p.slot for p in self._all if p.any_in(words, c.start, c.end, set(words[c.start : c.end]))}
                for c in clauses
            ]
        out: list[set[int]] = [set() for _ in clauses]
        k, last = 0, len(clauses) - 1
        for i, slot, size in state.hits:  # in word order, as the clauses are
            while k < last and i >= clauses[k].end:
                k += 1
            c = clauses[k]
            if c.start <= i and i + size <= c.end:
                out[k].add(slot)
        return out

    def split(self, segs: list[tuple[list[str], str, bool]]) -> tuple[list[str], list[_Clause]]:
        """The message's words, and its clauses: segments cut at the joiner words. The words'
        cue phrases are found (`scan`) on the way."""
        words = [w for seg_words, _, _ in segs for w in seg_words]
        self.scan(words)
        clauses: list[_Clause] = []
        sentence = 0
        first = 0  # the first clause of this sentence
        end = 0
        for seg_words, ends, question in segs:
            base, end = end, end + len(seg_words)
            cuts = [base]
            if self.enabled and not self.joiner.first.isdisjoint(seg_words):
                for pos, _ in self.joiner.find(words, base, end):
                    if pos > base:
                        cuts.append(pos)
            cuts.append(end)
            for a, b in zip(cuts, cuts[1:]):
                if b > a:
                    clauses.append(_Clause(a, b, sentence, question=question))
            if clauses:
                clauses[-1].colon = ends == COLON
            if ends == SENTENCE:
                if question:
                    for c in clauses[first:]:
                        c.question = True
                first = len(clauses)
                sentence += 1
        return words, clauses

    def _lead(self, words: list[str], c: _Clause) -> int:
        """How many words a clause's opening joiner takes ("and separately win back …")."""
        n = 0
        leads = self._leads
        while c.start + n < c.end and words[c.start + n] in leads:
            step = self.second.at(words, c.start + n, c.end) or self.joiner.at(words, c.start + n, c.end)
            if not step:
                break
            n += step
        return n

    def strip(self, kind: str, words: list[str]) -> list[str]:
        """The words without the cues of this kind ("why not winback" -> "winback")."""
        cues = self.reply_cues.get(kind)
        if cues is None:
            return words
        drop = {j for pos, n in cues.find(words, 0, len(words)) for j in range(pos, pos + n)}
        return [w for j, w in enumerate(words) if j not in drop]

    def roles(self, words: list[str], clauses: list[_Clause]) -> None:
        """Each clause's role: what it says of itself, then what its sentence says."""
        ask, problem, background = self.ask.slot, self.problem.slot, self.background.slot
        opening = (self.background_at_start, self.imperative, self.concession)
        leads = self._lead_slots
        for c, inside in zip(clauses, self.slots_by_clause(words, clauses)):
            c.cues = inside
            # the cues that count only where the clause opens: looked for where one is inside
            at_start, imperative, concession = (
                (
                    p.slot in inside and p.at(words, c.start + self._lead(words, c), c.end)
                    if leads & inside
                    else p.slot in inside and p.at(words, c.start, c.end)
                )
                for p in opening
            )
            if at_start:
                c.role = "background"  # "last year was all about acquisition"
            elif c.question or ask in inside or problem in inside or imperative:
                c.role = "ask"
            elif background in inside or concession:
                c.role = "background"
            c.cued = c.role == "ask"
        # a colon hands its role on ("What I need: …", "Context: …"); in a sentence, a clause
        # with no role of its own takes the sentence's
        by_sentence: dict[int, list[_Clause]] = defaultdict(list)
        for c in clauses:
            by_sentence[c.sentence].append(c)
        for group in by_sentence.values():
            role = None
            for c in group:
                if c.role != "neutral":
                    if role is None or c.colon:
                        role = c.role
                elif role is not None:
                    c.role = role
            if role is not None:  # clauses before the one that said it
                for c in group:
                    if c.role == "neutral":
                        c.role = role
        # "… Is there a way to bring them back?": the ask points at the sentence before it
        for k, c in enumerate(clauses):
            if c.cued and any(
                words[j] in self.refs and (j + 1 >= c.end or words[j + 1] not in self.relative)
                for j in range(c.start, c.end)
            ):
                prev = c.sentence - 1
                for before in clauses[:k]:
                    if before.sentence == prev and before.role == "neutral":
                        before.role = "ask"

    def negated(
        self, words: list[str], clauses: list[_Clause], covered: list[bool], concept_at
    ) -> list[bool]:
        """The words a negation or a settled matter takes out: "not for ads", "forget
        lookalikes", "we already do welcome emails", "churn is fine"."""
        out = [False] * len(words)
        if not self.enabled:
            return out
        settled_first, negation_first = self.settled.first, self.negation.first
        settled, negation = self.settled.slot, self.negation.slot
        at_start = self.negation_at_start
        for k, c in enumerate(clauses):
            if c.cues is not None and at_start.slot not in c.cues:
                start_cue = 0
            else:
                start_cue = at_start.at(words, c.start, c.end)
            if c.cues is not None:
                if settled not in c.cues and negation not in c.cues and not start_cue:
                    continue
            else:
                present = set(words[c.start : c.end])
                if settled_first.isdisjoint(present) and negation_first.isdisjoint(present) and not start_cue:
                    continue
            # "… is fine", "… is handled by another team": the words before the copula
            for pos, n in self.settled.find(words, c.start, c.end):
                before = [j for j in range(max(c.start, pos - 2), pos) if words[j] in self.copula]
                if before:
                    for j in range(c.start, before[0]):
                        out[j] = True
                    prev = clauses[k - 1] if k else None
                    if (
                        prev
                        and prev.sentence == c.sentence
                        and all(words[j] in self.anaphora for j in range(c.start, before[0]))
                    ):  # "cart emails run in Klaviyo, that works fine": the clause it points back at
                        for j in range(prev.start, prev.end):
                            out[j] = True
                elif n > 1:  # a phrase that says it alone: "not the issue", "converts well"
                    for j in range(c.start, pos):
                        out[j] = True
            cues = self.negation.find(words, c.start, c.end)
            if start_cue and not (cues and cues[0][0] == c.start):
                cues.insert(0, (c.start, start_cue))
            for pos, n in cues:
                if covered[pos] or any(words[j] in self.relative for j in range(max(c.start, pos - 2), pos)):
                    continue  # part of a concept ("dont finish"), or describes people
                begin = pos + n
                asked = self.ask.at(words, begin, c.end)  # "dont need …", "not looking for …"
                if asked and "to" not in words[begin + asked + 1 : begin + asked + 3]:
                    begin += asked  # (but "dont want them to leave" is a trouble, wanted gone)
                stop = c.end
                for j in range(begin, c.end):  # "not lookalikes we want …": the ask ends it
                    if self.ask.at(words, j, c.end):
                        stop = j
                        break
                span = range(begin, stop)
                if not self.done.at(words, pos, c.end) and any(
                    concept_at(j) & self.problem_concepts for j in span
                ):
                    continue  # "so they dont drift off", "we dont want churn": the trouble, gone
                for j in span:
                    out[j] = True
        return out

    def weights(self, clauses: list[_Clause], count: int, known: list[int]) -> list[float]:
        """Each word's weight by its clause's role, scaled so the strongest role that has
        catalog words (`known`: their positions, in order) counts 1."""
        if not self.enabled or not clauses:
            return [1.0] * count
        top = 0.0
        for c in clauses:
            role = ROLE_WEIGHT[c.role]
            if role > top:
                k = bisect_left(known, c.start)
                if k < len(known) and known[k] < c.end:
                    top = role
        top = top or 1.0
        weight: list[float] = []
        for c in clauses:
            weight.extend([min(1.0, ROLE_WEIGHT[c.role] / top)] * (c.end - c.start))
        weight.extend([1.0] * (count - len(weight)))
        return weight

    def splits(
        self, words: list[str], clauses: list[_Clause], explicit: bool = False, short: bool = False
    ) -> list[tuple[int, bool]]:
        """Where a message may hold two asks: (first word of the second, strong?). Strong: the
        start of a sentence that states an ask, or words that add one ("also", "plus", "2)");
        weak: a comma or "and" before a clause that states an ask of its own."""
        found: dict[int, bool] = {}
        for prev, c in zip(clauses, clauses[1:]):
            if explicit and words[c.start] not in self.anaphora:  # "two things: …": any clause may start one
                found[c.start] = found.get(c.start, False) or c.sentence != prev.sentence
            if short and c.sentence != prev.sentence and self.second_at_start.at(words, c.start, c.end):
                found[c.start] = True  # "… converts badly. And in the shop, …"
            if not c.cued or words[c.start] in self.anaphora:
                continue  # "… and get them to come back": the same ask goes on
            strong = c.sentence != prev.sentence or bool(self.second.at(words, c.start, c.end))
            found[c.start] = found.get(c.start, False) or strong
        if self.has(self.second, words):
            for c in clauses:
                if c.cues is None or self.second.slot in c.cues:
                    for pos, _ in self.second.find(words, c.start + 1, c.end):
                        found[pos] = True
        adds = self.second.first
        order = sorted(found.items(), key=lambda item: (not item[1], words[item[0]] not in adds, item[0]))
        # a long message: its two asks are a sentence apart, or one says "also"
        return order[: TWO_ASKS_SPLITS if len(words) <= 60 else TWO_ASKS_SPLITS_LONG]

    def says(self, kind: str, words: list[str]) -> bool:
        """Whether the words hold a cue of this kind ("why-not", "other-ask", "follow-up")."""
        cues = self.reply_cues.get(kind)
        return cues is not None and not cues.first.isdisjoint(words) and bool(cues.find(words, 0, len(words)))

    def has(self, cues: _Phrases, words: list[str]) -> bool:
        """Whether the words hold one of these cues."""
        table = cues._table(words)
        if table is not None:
            return bool(table)
        return not cues.first.isdisjoint(words) and bool(cues.find(words, 0, len(words)))

    def has_vague(self, words: list[str]) -> bool:
        return self.has(self.vague, words)


class SupportTopics:
    """lexicon.yml's `support` topics, found by their phrases' stems in a message."""

    def __init__(self, lexicon, stem):
        self.topics = {t.id: t for t in lexicon.support}
        self.docs_home = lexicon.docs_home
        by_first: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for topic in lexicon.support:
            for phrase in topic.phrases:
                stems = tuple(stem(w) for w in normalize(phrase).split())
                if stems:
                    by_first[stems[0]].append((stems, topic.id))
        self._by_first = {k: tuple(sorted(v, key=lambda p: -len(p[0]))) for k, v in by_first.items()}

    def find(self, stems: list[str], skip: list[bool]) -> str | None:
        """The topic most of the message's support phrases belong to (the first on a tie)."""
        counts: dict[str, int] = {}
        by_first = self._by_first
        for j, stem in enumerate(stems):
            if stem in by_first and not skip[j]:
                for phrase, topic in by_first[stem]:
                    if tuple(stems[j : j + len(phrase)]) == phrase:
                        counts[topic] = counts.get(topic, 0) + 1
                        break
        return max(counts, key=lambda t: counts[t]) if counts else None


# a feature with its word's weight (by its clause's role) and whether a negation takes it out
_Weighted = tuple[_Feature, float, bool]


@dataclass(frozen=True)
class _Ranked:
    scored: list[tuple[float, int]]  # (score, -use case index), best first; [] when nothing matched
    hints: list[float]
    verdict: str


def _distinct_known(weighted: list[_Weighted], known) -> int:
    return len({f[0] for f, w, neg in weighted if not neg and w > 0.3 and f[0] in known})


# --------------------------------------------------------------------------- the matcher


class Matcher:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.stem = _cached_stemmer()
        self.concepts = Concepts(catalog.lexicon, self.stem)
        self.phrases = PhraseIndex(catalog, self.concepts)
        self.learnt = LearnedWeights(catalog, self.concepts, self.phrases.uc_ids)
        self.goals = GoalHints(catalog, self.concepts, self.phrases.uc_ids)
        self.clauses = Clauses(catalog.lexicon.cues, self.concepts)
        self.support = SupportTopics(catalog.lexicon, self.stem)
        self.scope = catalog.scope
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
        self._read = lru_cache(maxsize=CACHE_SIZE)(self._read_uncached)

    def _read_uncached(self, word: str) -> tuple[str, str, tuple[tuple[str, ...] | None, bool, bool]]:
        """A typed word as the catalog reads it: typo-corrected, its stem, and what it is alone."""
        fixed = self.typos.correct(word)
        stem = self.stem(fixed)
        return fixed, stem, self.concepts.word(fixed, stem)

    def match(self, text: str, limit: int = 3) -> MatchResult:
        query = text if isinstance(text, str) else ""
        limit = max(1, int(limit))
        words, clauses = self.clauses.split(segments(query))
        if len(words) > MAX_TOKENS:
            words = words[:MAX_TOKENS]
            clauses = [replace(c, end=min(c.end, MAX_TOKENS)) for c in clauses if c.start < MAX_TOKENS]
            self.clauses.scan(words)  # the words were cut short: their cues again
        if not words:
            return MatchResult(query, "none", (), None)
        read = self._read
        pairs = [read(w) for w in words]
        fixed = [p[0] for p in pairs]
        stems = [p[1] for p in pairs]
        features = self.concepts.features(words, fixed, stems, [p[2] for p in pairs])
        weighted, weight = self._weigh(words, clauses, features)

        names = self.phrases.named_at(stems)
        whole = self._rank(weighted, {i for _, _, i in names})
        asks = self._two_asks(query, words, clauses, weighted, names, whole, limit)
        answer = self._result(query, words, weighted, whole, limit, asks)
        result = self._kind(answer, words, stems, weighted, whole, weight)
        if self.scope is None or answer.verdict == "none":
            return result
        seen = self.scope.scores([self.stem(w) for w in words])  # how the scope model reads it
        if result.verdict == "none" and self.scope.goal_log_odds(seen) >= SCOPE_SURE:
            # the words look like a support question or chatter, but the model is sure the
            # message states a goal ("… Which Segment use case maps to that?")
            result = answer
        return self._in_scope(result, words, stems, bool(names), seen)

    def scope_stems(self, text: str) -> list[str]:
        """A message's words as the scope model reads them: as typed (not typo-corrected), stemmed."""
        words = [w for seg_words, _, _ in segments(text if isinstance(text, str) else "") for w in seg_words]
        return [self.stem(w) for w in words[:MAX_TOKENS]]

    def says(self, kind: str, text: str) -> bool:
        """Whether a reply holds one of the lexicon's cues of this kind: "why-not" ("why not
        winback?"), "other-ask" ("what about the other goal?"), "follow-up" ("we only have web")."""
        return self.clauses.says(kind, normalize(text).split())

    def without(self, kind: str, text: str) -> str:
        """The text without the lexicon's cues of this kind: "why not winback?" -> "winback"."""
        return " ".join(self.clauses.strip(kind, normalize(text).split()))

    def names(self, text: str) -> list[str]:
        """The use cases whose whole name (or, for a one-word name, its word) the text writes."""
        stems = [self.stem(self.typos.correct(w)) for w in normalize(text).split()[:MAX_TOKENS]]
        return [self.phrases.uc_ids[i] for i in sorted(self.phrases.named(stems))]

    # ------------------------------------------------------------------ reading the clauses

    def _weigh(
        self, words: list[str], clauses: list[_Clause], features: list[_Feature]
    ) -> tuple[list[_Weighted], list[float]]:
        """Each feature with its clause's weight, and whether a negation takes it out; and each
        word's weight."""
        n = len(words)
        covered = [False] * n  # inside a concept phrase: its negation words are the concept's
        concepts_at: dict[int, set[str]] = defaultdict(set)
        known: list[int] = []
        weight_of = self.phrases.weight
        for key, surface, start in features:
            if key[0] == _CONCEPT:
                size = surface.count(" ") + 1
                for j in range(start, min(n, start + size)):
                    covered[j] = True
                concepts_at[start].add(key)
            if key in weight_of:
                known.append(start)
        self.clauses.roles(words, clauses)
        negated = self.clauses.negated(words, clauses, covered, lambda j: concepts_at.get(j, _NONE))
        weight = self.clauses.weights(clauses, n, [j for j in known if not negated[j]])
        # off-topic words are never negated away: "no working projector" is still the office
        return [(f, weight[f[2]], negated[f[2]] and f[0] != _OFF_TOPIC) for f in features], weight

    def _rank(self, weighted: list[_Weighted], named: set[int]) -> _Ranked:
        present: dict[str, float] = {}
        negated: set[str] = set()
        off_topic = 0.0
        for (key, _, _), w, neg in weighted:
            if neg:
                negated.add(key)
            elif key == _OFF_TOPIC:
                off_topic += w
            elif w > present.get(key, 0.0):
                present[key] = w
        negated -= present.keys()  # said again outside the negation: it stands
        hints = self.goals.count({k for k, w in present.items() if w >= 0.4})
        scored = self._score(present, negated, off_topic, named, hints)
        if not scored:
            return _Ranked([], hints, "none")
        scored.sort(reverse=True)
        return _Ranked(scored, hints, _verdict(scored))

    def _score(
        self,
        present: dict[str, float],
        negated: set[str],
        off_topic: float,
        named: set[int],
        hints: list[float],
    ) -> list[tuple[float, int]] | None:
        """(score, -use case index) for each use case the message touches; None when no word
        of it is one the catalog's phrases use. `present`: each feature's weight in the message
        (by the role of its clause); `negated`: features a negation took out."""
        weight_of = self.phrases.weight.get
        message = {key: iw * w for key, w in present.items() if (iw := weight_of(key)) is not None}
        if not message:
            return None
        best, explained, known = self.phrases.coverage(message)
        # words the catalog never uses dilute the share too: they are what the message is about
        knows = self.learnt.knows
        unknown = sum(w for key, w in present.items() if not knows(key) and key[0] != _CONCEPT)
        total = sum(message.values()) + UNKNOWN_WEIGHT * unknown
        if len(best) > CANDIDATES:  # a big catalog: only the best-covered can come out on top
            keep = heapq.nlargest(CANDIDATES, best.items(), key=lambda item: item[1])
            best = {i: c for i, c in keep} | {i: best[i] for i in named if i in best}
        posterior = self.learnt.posterior(present, best)
        features_of = self.phrases.features_of
        # in a long message one office word among many is a figure of speech ("bugging me")
        dilute = min(1.0, OFF_TOPIC_SPAN / len(present)) if present else 1.0

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
                score *= OFF_TOPIC_FACTOR ** (off_topic / max(known[i] - 2, 0.5) * dilute)
            if negated:  # "forget lookalikes": a use case that needs the word loses ground
                need = self.phrases.need[i]
                against = sum((weight_of(f) or 0.0) * need[f] for f in negated & features_of[i])
                if against:
                    score *= math.exp(-NEGATED_PENALTY * against)
            scored.append((score, -i))
        return scored

    # ------------------------------------------------------------------ two asks

    def _two_asks(
        self,
        query: str,
        words: list[str],
        clauses: list[_Clause],
        weighted: list[_Weighted],
        names: list[tuple[int, int, int]],
        whole: _Ranked,
        limit: int,
    ) -> tuple[MatchResult, ...]:
        """Two asks in one message ("recover abandoned carts, and separately win back lapsed
        buyers"): the message cut where each part, read alone, confidently means a different
        use case. Tried only where the whole message already touches two use cases."""
        if len(clauses) < 2 and not self.clauses.has(self.clauses.second, words):
            return ()  # no place to cut
        if len([s for s, _ in whole.scored if s >= TWO_ASKS_MIN * 0.6]) < 2:
            return ()
        best = None
        weight_of = self.phrases.weight
        cued = [c for c in clauses if c.cued]
        # "two things: …", "priority one … priority two …": the person says there are two
        explicit = self.clauses.has(self.clauses.two, words) or is_list(query)
        long = len(words) > TWO_ASKS_LONG_WORDS
        if not explicit and long and len(cued) < 2 and not any(c.start < 2 and c.cued for c in clauses):
            return ()
        cued_at = [False] * len(words)
        for c in cued:
            for j in range(c.start, c.end):
                cued_at[j] = True
        starts = [f[0][2] for f in weighted]  # features come in word order
        sentence_starts = {c.start for prev, c in zip(clauses, clauses[1:]) if c.sentence != prev.sentence}
        for pos, strong in self.clauses.splits(words, clauses, explicit, short=not long):
            # in a short message, a new sentence or an added ask ("plus …") may state a goal
            # without asking ("pls stop showing ads to buyers. also want to push add-ons")
            says_added = any(self.clauses.second.at(words, j, len(words)) for j in range(pos, pos + 2))
            stated = explicit or (
                not long
                and (
                    says_added
                    or (pos in sentence_starts and self.clauses.second_at_start.at(words, pos, len(words)))
                )
            )
            # each part states an ask of its own; one joined by "and" or a comma starts with it
            if not stated and not (any(c.start < pos for c in cued) and any(c.end > pos for c in cued)):
                continue
            if (
                long
                and not explicit
                and not any(self.clauses.second.at(words, j, len(words)) for j in range(pos, pos + 4))
            ):
                continue  # a long message's story has many goals: its second ask says "also"
            # each part as far as TWO_ASKS_REACH words from the cut: an ask is said in a sentence or
            # two, and a long message's context is not an ask
            left = weighted[bisect_left(starts, pos - TWO_ASKS_REACH) : bisect_left(starts, pos)]
            right = weighted[bisect_left(starts, pos) : bisect_left(starts, pos + TWO_ASKS_REACH)]
            # words of the catalog in each part: one when the person says there is a second ask
            added = explicit or says_added
            need = 1 if added else 2
            if not (_distinct_known(left, weight_of) >= need and _distinct_known(right, weight_of) >= need):
                continue
            lo, hi = max(0, pos - TWO_ASKS_REACH), pos + TWO_ASKS_REACH
            a = self._rank(left, {i for start, end, i in names if lo <= start and end <= pos})
            b = self._rank(right, {i for start, end, i in names if pos <= start and end <= hi})
            # each part means one use case; said as a second ask ("also"), a close call will do
            settled = ("confident", "ambiguous") if added else ("confident",)
            if a.verdict not in settled or b.verdict not in settled or a.scored[0][1] == b.scored[0][1]:
                continue
            low = min(a.scored[0][0], b.scored[0][0])
            if low < (TWO_ASKS_MIN if strong or explicit else TWO_ASKS_WEAK_MIN):
                continue
            # each ask's use case is said in a clause that asks, not only in the story around it
            if not stated and not (self._asked(a, left, cued_at) and self._asked(b, right, cued_at)):
                continue
            if best is None or low > best[0]:
                best = (low, pos, a, b, left, right)
        if best is None:
            return ()
        _, pos, a, b, left, right = best
        return (
            self._result(" ".join(words[max(0, pos - TWO_ASKS_REACH) : pos]), words, left, a, limit, ()),
            self._result(" ".join(words[pos : pos + TWO_ASKS_REACH]), words, right, b, limit, ()),
        )

    def _asked(self, ranked: _Ranked, part: list[_Weighted], cued_at: list[bool]) -> bool:
        """Whether the part's top use case has a word of its own in a clause that asks."""
        own = self.phrases.features_of[-ranked.scored[0][1]]
        return any(not neg and key in own and cued_at[start] for (key, _, start), _, neg in part)

    # ------------------------------------------------------------------ the answer

    def _result(
        self,
        query: str,
        words: list[str],
        weighted: list[_Weighted],
        ranked: _Ranked,
        limit: int,
        asks: tuple[MatchResult, ...],
    ) -> MatchResult:
        if not ranked.scored:
            return MatchResult(query, "none", (), self.goals.overall(ranked.hints, None), asks=asks)
        matches = []
        for score, neg_i in ranked.scored[:limit]:
            i = -neg_i
            uc = self.catalog.use_cases[self.phrases.uc_ids[i]]
            terms = partial(_terms, words, weighted, self.phrases.features_of[i])
            matches.append(
                Match(uc.id, uc.name, self.goals.goal_for(i, ranked.hints), round(score, 1), terms)
            )
        first = -ranked.scored[0][1]
        goal = self.goals.overall(ranked.hints, first)
        return MatchResult(query, ranked.verdict, tuple(matches), goal, asks=asks)

    def _evidence(self, weighted: list[_Weighted], i: int) -> tuple[int, list[str]]:
        """How many distinct features of use case i's phrases the message's strongest clauses
        hold, and the words there the catalog never uses."""
        own, knows, weight_of = self.phrases.features_of[i], self.learnt.knows, self.phrases.weight
        mine: set[str] = set()
        unknown: list[str] = []
        for (key, surface, _), w, neg in weighted:
            if neg or w < 0.9:
                continue
            if key in own:
                mine.add(key)
            elif key[0] != _CONCEPT and key not in weight_of and not knows(key):
                unknown.append(surface)
        return len(mine), unknown

    def _only_vague(self, words: list[str], weighted: list[_Weighted], whole: _Ranked) -> bool:
        """Whether every word behind the top use case is a vague goal word ("engagement is down")."""
        vague = {j for pos, n in self.clauses.vague.find(words, 0, len(words)) for j in range(pos, pos + n)}
        own = self.phrases.features_of[-whole.scored[0][1]]
        spans = [
            (p, p + s.count(" ") + 1) for (k, s, p), w, neg in weighted if not neg and w >= 0.9 and k in own
        ]
        return bool(spans) and all(j in vague for a, b in spans for j in range(a, b))

    def _said(self, cues: _Phrases, words: list[str], weight: list[float]) -> bool:
        """Whether the message's strongest clauses hold one of these cues ("Segment" in "first
        month using Segment: we'd like …" is the story, not the question)."""
        top = max(weight, default=0.0)
        return any(weight[pos] >= 0.9 * top for pos, _ in cues.find(words, 0, len(words)))

    def _topic(self, stems: list[str], weighted: list[_Weighted]) -> str | None:
        """The support topic the message's strongest clauses are about, if any."""
        skip = [False] * len(stems)
        strongest = max((w for _, w, neg in weighted if not neg), default=0.0)
        for (_, surface, start), w, _neg in weighted:  # a topic in the background does not count
            if w < 0.9 * strongest:
                for j in range(start, min(len(skip), start + surface.count(" ") + 1)):
                    skip[j] = True
        return self.support.find(stems, skip)

    def _kind(
        self,
        result: MatchResult,
        words: list[str],
        stems: list[str],
        weighted: list[_Weighted],
        whole: _Ranked,
        weight: list[float],
    ) -> MatchResult:
        """What a message that is not a clear use-case goal is: a Segment support question
        (`topic` names its part of the docs), a vague goal, or off-topic. `weight`: each word's
        weight by its clause's role."""
        if result.asks:
            return result
        top = whole.scored[0][0] if whole.scored else 0.0
        evidence, unknown = self._evidence(weighted, -whole.scored[0][1]) if whole.scored else (0, [])
        clauses = self.clauses
        setup = clauses.has(clauses.setup, words)
        # one goal word among words the catalog never uses, about no one a business serves:
        # "the snack cart is empty", "welcome back Jess!", "the trial run of the fire drill"
        weak = evidence <= 1 and not (setup and result.verdict != "none")
        if result.verdict == "none" or top < SUPPORT_OVERRIDE or weak:  # a support topic may win
            topic = self._topic(stems, weighted)
            if topic is not None:
                return replace(result, verdict="none", kind="support", topic=topic)
        population = evidence <= 2 and clauses.has(clauses.population, words)
        if (
            result.verdict != "none"
            and (weak or (evidence <= 2 and not population and not setup))
            and not (population and clauses.has(clauses.voice, words))  # "… we'd like our customers to …"
            and self._said(clauses.product, words, weight)
        ):
            return replace(result, verdict="none", kind="support", topic=self._topic(stems, weighted))
        if (
            evidence <= 2
            and result.verdict != "none"
            and not population
            and clauses.has(clauses.personal, words)
            and not clauses.has(clauses.voice, words)
        ):
            return replace(result, verdict="none", kind="off-topic")  # "my kid's school app …"
        if (
            weak
            and result.verdict != "none"
            and not population
            and (unknown := [w for w in unknown if not self.typos.near(w)])
            and (len(unknown) > WEAK_UNKNOWN_MAX or not clauses.has(clauses.voice, words))
        ):
            return replace(result, verdict="none", kind="off-topic")
        vague = self.clauses.has_vague(words)
        if result.verdict != "none" and not (
            vague and (top < VAGUE_CLEAR or self._only_vague(words, weighted, whole))
        ):
            return result  # a clear goal, or a close call between use cases: did you mean…?
        off_topic = any(f[0][0] == _OFF_TOPIC and not f[2] for f in weighted)
        if vague or (result.verdict == "none" and any(whole.hints) and not off_topic):
            verdict = "ambiguous" if result.verdict == "confident" else result.verdict
            return replace(result, verdict=verdict, kind="vague")
        if result.verdict == "none":
            return replace(result, kind="off-topic")
        return result

    def _in_scope(
        self, result: MatchResult, words: list[str], stems: list[str], named: bool, seen: dict[str, float]
    ) -> MatchResult:
        """A use case found in a message the scope model reads (`seen`: its scores) as a support
        question or chatter is no answer: "our cart abandoners audience shows 0 users in Facebook", "saw a lookalike
        of Jeff at the coffee shop". Not asked when the person writes a use case's name or asks
        how to set a goal up, or when the message is a vague goal."""
        if (
            result.verdict == "none"
            or result.kind is not None
            or named
            or self.clauses.has(self.clauses.setup, words)
        ):
            return result
        # the model's words and word pairs overlap, so it is too sure of itself; the matcher's
        # own evidence counts against it: a use case scoring SCOPE_PIVOT needs even odds, each
        # SCOPE_SCALE points more odds e times surer that this is no goal
        if self.scope.goal_log_odds(seen) >= -(result.matches[0].score - SCOPE_PIVOT) / SCOPE_SCALE:
            return result
        topic = self.support.find(stems, [False] * len(stems))
        if topic is not None or seen["support"] >= seen["chatter"]:
            return replace(result, verdict="none", asks=(), kind="support", topic=topic)
        return replace(result, verdict="none", asks=(), kind="off-topic")


# a list item's marker: "1) …", "(2) …", "a. …", "(b) …", at the start of the text, a line or a clause
_LIST_MARK = re.compile(r"(?:^|[\n:;,.!?]|\s)\s*\(?([1-9]|[a-eA-E])[).]\s")
_BULLET = re.compile(r"(?:^|\n)\s*[•◦▪*\-–]\s+\S")


def is_list(text: str) -> bool:
    """Whether the text is a list of two or more items: "1) … 2) …", "(a) … (b) …", bullets."""
    if len(_BULLET.findall(text)) >= 2:
        return True
    marks = {m.lower() for m in _LIST_MARK.findall(text)}
    return {"1", "2"} <= marks or {"a", "b"} <= marks


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


def _terms(words: list[str], weighted: list[_Weighted], own: frozenset[str]) -> tuple[str, ...]:
    """The person's words behind a use case's features, overlapping phrases merged, at most 4:
    from the clauses that carried the decision (the ask first), never from a negated one."""
    mine = [(f, w) for f, w, neg in weighted if f[0] in own and not neg]
    if not mine:
        return ()
    strongest = max(w for _, w in mine)
    spans: list[list[int]] = []
    for (_key, surface, start), w in mine:  # features come in word order
        if w < 0.75 * strongest:
            continue
        end = start + surface.count(" ") + 1
        if spans and start < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        elif not spans or [start, end] != spans[-1]:
            spans.append([start, end])
    return tuple(dict.fromkeys(" ".join(words[a:b]) for a, b in spans))[:4]
