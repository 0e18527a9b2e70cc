"""The catalog: Segment's goals, use cases, events and guide text, loaded from YAML.

Loading validates everything and reports every problem found in one run as
``path:line: problem``, so an admin who edits the YAML by hand learns exactly what to fix.
Nothing here names a goal or a use case: the catalog is data.
"""

from __future__ import annotations

import dataclasses
import json
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlparse

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.scope import ScopeModel

BUTTON_TEXT_MAX = 75  # Slack: a button's text
HEADER_TEXT_MAX = 150  # Slack: a header block's text
PURPOSE_MAX = 80  # a use case's purpose is the one line under its name in a list of choices

GOALS_FILE = "goals.yml"
EVENTS_FILE = "events.yml"
GUIDE_FILE = "guide.yml"
LEXICON_FILE = "lexicon.yml"
USE_CASES_DIR = "use-cases"
NEXT_STEPS_FILE = "next-steps.yml"
SCOPE_FILE = "scope.json"  # the goal / support / chatter model's weights (bot/scope.py); optional

CHECKLIST_PLACEHOLDERS = frozenset({"use_case", "goal", "events", "sources", "destinations"})
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml, when PyYAML has it


def default_catalog_dir() -> Path:
    """The catalog bundled with the bot: ``catalog/`` at the project's top level."""
    return Path(__file__).resolve().parent.parent / "catalog"


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Consideration:
    question: str
    points_to: tuple[str, ...]


@dataclass(frozen=True)
class Goal:
    id: str
    name: str
    summary: str
    about: str
    use_cases: tuple[str, ...]
    considerations: tuple[Consideration, ...]
    vocabulary: tuple[str, ...]


@dataclass(frozen=True)
class GoalFit:
    """What a use case looks like under one goal: the guide's description and the Reference's types."""

    description: str
    sources: tuple[str, ...]
    destinations: tuple[str, ...]


JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object")
# How a property's type and description are known (events.yml explains each value).
PROPERTY_BASES = ("spec", "spec-example", "spec-analogy", "unverified")


@dataclass(frozen=True)
class Property:
    """One property of an event: its JSON type and one-line description, and how they are known.

    `basis` is "spec" when Segment's Spec page defines the property, "spec-example" when the Spec
    gives no type and the type is read off its example value, "spec-analogy" when the Spec defines
    it under another name or for another event, and "unverified" when no Segment page defines it.
    """

    name: str
    type: str  # a JSON type: one of JSON_TYPES
    description: str
    basis: str = "spec"
    required: bool = False  # only where the Reference or the Spec says so
    example_json: str | None = None  # the Spec's example value, as JSON text (None: it gives none)
    items: Property | None = None  # an array's items (`products.$` in the Spec)
    properties: tuple[Property, ...] = ()  # an object's own properties

    @property
    def example(self):
        """The Spec's example value (a fresh copy), or None when the Spec gives none."""
        return None if self.example_json is None else json.loads(self.example_json)


@dataclass(frozen=True)
class Event:
    name: str
    properties: tuple[str, ...]  # the names, in the Reference's order
    spec: str | None
    property_facts: tuple[Property, ...] = ()  # the same properties with their types and descriptions

    def property(self, name: str) -> Property | None:
        return next((p for p in self.property_facts if p.name == name), None)


@dataclass(frozen=True, eq=False)
class UseCase:
    id: str
    name: str
    purpose: str
    fit: str | None
    docs_url: str
    events: tuple[str, ...]
    goals: Mapping[str, GoalFit]  # goal id -> fit, in the file's order
    vocabulary: tuple[str, ...]
    examples: tuple[str, ...] = ()  # messages people write for it; the matcher learns from them


@dataclass(frozen=True)
class Onboarding:
    """Who can use Segment's in-app use-case onboarding, and the way for everyone else."""

    eligibility: str
    manual_path: str
    setup_url: str  # Segment's Use Cases Setup page: the in-app flow step by step


@dataclass(frozen=True, eq=False)
class Guide:
    docs: Mapping[str, str]
    source_types: tuple[str, ...]
    destination_types: tuple[str, ...]
    selection_method: tuple[str, ...]
    next_steps: tuple[str, ...]
    setup_checklist: tuple[str, ...]
    before_you_start: tuple[str, ...]
    onboarding: Onboarding | None = None


@dataclass(frozen=True)
class NamedTool:
    """A destination Segment's catalog lists under a destination type."""

    name: str
    url: str


@dataclass(frozen=True, eq=False)
class AddOn:
    """A Segment product beyond Connections that some use cases lean on, and the plan it needs."""

    name: str
    plan: str  # what Segment says it requires
    docs_url: str
    inferred: bool  # True: Segment's docs do not say which use cases need it; `use_cases` is inferred
    use_cases: Mapping[str, str]  # use case id -> what it would be used for


@dataclass(frozen=True, eq=False)
class NextSteps:
    """next-steps.yml: the facts the bot adds after a recommendation."""

    reference_sections: Mapping[str, str]  # goal id -> the Use Cases Reference's section for it
    destination_examples: Mapping[str, tuple[NamedTool, ...]]  # destination type -> named tools
    add_ons: tuple[AddOn, ...]


@dataclass(frozen=True, eq=False)
class SupportTopic:
    """A part of Segment's product people ask how-to and support questions about (lexicon.yml's
    `support`): the bot answers those with a link to the docs, not with a use case."""

    id: str
    name: str  # "the Source Debugger": shown in "Segment's docs on …"
    docs_url: str
    phrases: tuple[str, ...]


# the kinds of cue words the matcher reads a message's clauses with (lexicon.yml's `cues`)
CUE_KINDS = frozenset(
    {
        "ask",  # the clause states the request: "we want", "how do i", "looking to"
        "imperative",  # a clause that starts with one of these verbs is a request: "stop", "find"
        "problem",  # the clause states the pain, which is the request too: "is killing us", "stuck"
        "background",  # the clause tells the company's story: "context", "we sell", "last year"
        "negation",  # what follows in the clause is not wanted: "not", "forget", "instead of"
        "done",  # negations that take out even a trouble: "we already retarget cart abandoners"
        "negation-at-start",  # the same, only when they open the clause: "no lookalikes please"
        "settled",  # what comes before (after a copula) is not the problem: "is fine", "handled"
        "copula",  # the verbs before a `settled` word: "is", "are", "works"
        "relative",  # "people who dont …" describes people: no negation after these
        "contrast",  # the clause after these is the point, those before it background: "but"
        "concession",  # a clause with these concedes, so it is background: "although"
        "background-at-start",  # background when they open the clause: "last year we …"
        "two-asks",  # the person says there are two: "two things", "priority two", "second goal"
        "personal",  # a person's own things ("my watch", "my kid's app"): with a weak goal, chatter
        "population",  # who a goal is about and what it moves: "customers", "revenue", "b2b"
        "product",  # Segment's product: "workspace", "destination"; no clear goal -> support
        "business-voice",  # "we want", "how do we": a goal said as one, among unknown words
        "setup-ask",  # setting a use case up: "which events do i need"; a goal word wins support
        "joiner",  # where one clause ends and another starts: "but", "and we", "while"
        "second-ask",  # words that add a second ask: "also", "plus", "another thing"
        "second-ask-at-start",  # … only when they open a sentence: "And in the shop, …"
        "anaphora",  # a clause starting with these goes on with the same ask: "them", "it"
        "refers-back",  # an ask with these points at the sentence before it: "bring them back"
        "vague",  # goal-ish words too broad for one use case: "grow", "ltv", "revenue"
        "follow-up",  # a reply in the thread that refines the conversation: "we only", "also", "actually"
        "why-not",  # a reply that asks about another use case: "why not", "what about"
        "other-ask",  # a reply that asks for the second of two asks: "the other goal"
        "problem-concepts",  # lexicon concepts that name the trouble ("churn"): "dont want churn" wants it gone
    }
)


@dataclass(frozen=True, eq=False)
class Lexicon:
    stopwords: tuple[str, ...]
    concepts: Mapping[str, tuple[str, ...]]
    cues: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    support: tuple[SupportTopic, ...] = ()
    docs_home: str = ""  # Segment's docs, for a support question no topic names


@dataclass(frozen=True)
class Row:
    """One goal/use-case pair of the guide's tables."""

    goal: Goal
    use_case: UseCase
    fit: GoalFit


@dataclass(frozen=True, eq=False)
class Catalog:
    goals: tuple[Goal, ...]
    use_cases: Mapping[str, UseCase]  # id -> use case, in the order goals first list them
    events: Mapping[str, Event]
    guide: Guide
    lexicon: Lexicon
    next_steps: NextSteps | None = None
    scope: ScopeModel | None = None  # is a message a goal at all? (None: the matcher never asks)

    def goal(self, goal_id: str) -> Goal | None:
        return next((g for g in self.goals if g.id == goal_id), None)

    def use_case(self, use_case_id: str) -> UseCase | None:
        return self.use_cases.get(use_case_id)

    def goal_for(self, use_case_id: str, preferred: str | None = None) -> str:
        """The goal a use case is shown under: `preferred` when it serves that goal, else the
        first goal its file lists (its default when a person's words name none)."""
        goals = self.use_cases[use_case_id].goals
        return preferred if preferred in goals else next(iter(goals))

    def rows(self) -> list[Row]:
        return [
            Row(goal, self.use_cases[uc_id], self.use_cases[uc_id].goals[goal.id])
            for goal in self.goals
            for uc_id in goal.use_cases
        ]


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class CatalogError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --------------------------------------------------------------------------- reading YAML nodes

_KIND = {MappingNode: "a mapping", SequenceNode: "a list", ScalarNode: "text"}


def _kind(node: Node) -> str:
    if isinstance(node, ScalarNode) and node.tag != "tag:yaml.org,2002:str":
        if node.tag.endswith(":null"):
            return "empty"
        kind = node.tag.rsplit(":", 1)[-1]
        return ("an " if kind[0] in "aeiou" else "a ") + kind
    return _KIND.get(type(node), "something else")


class _Reader:
    """Walks one file's YAML nodes, turning them into values and collecting problems with lines."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = str(path)
        self.problems = problems
        self.loaded = False  # False until the file parsed: its contents are then unknown, not absent

    def problem(self, node: Node | int, message: str) -> None:
        line = node if isinstance(node, int) else node.start_mark.line + 1
        self.problems.append(Problem(self.path, line, message))

    def load(self) -> Node | None:
        try:
            text = Path(self.path).read_text(encoding="utf-8")
        except OSError as exc:
            self.problem(1, f"cannot read the file: {exc.strerror or exc}")
            return None
        except UnicodeDecodeError:
            self.problem(1, "the file is not UTF-8 text")
            return None
        try:
            node = yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            node = None  # reparsed below with the pure-Python loader, whose messages are clearer
        if node is not None or not text.strip():
            self.loaded = node is not None
            if node is None:
                self.problem(1, "the file is empty")
            return node
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else 1
            what = getattr(exc, "problem", None) or str(exc)
            self.problem(line, f"YAML syntax error: {what}")
            return None
        if node is None:
            self.problem(1, "the file is empty")
        self.loaded = node is not None
        return node

    def fields(
        self, node: Node, what: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Node] | None:
        """A mapping's values by key; reports unknown, duplicate and missing keys."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} must be a mapping, not {_kind(node)}")
            return None
        required, optional = list(required), list(optional)
        known = required + optional
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None or key not in known:
                self.problem(key_node, f"unknown key '{key}' in {what} (expected: {', '.join(known)})")
            elif key in out:
                self.problem(key_node, f"duplicate key '{key}' in {what}")
            else:
                out[key] = value_node
        for key in required:
            if key not in out:
                self.problem(node, f"{what} is missing '{key}'")
        return out

    def entries(self, node: Node, what: str) -> list[tuple[Node, Node]]:
        """A mapping whose keys are names (ids, event names): its (key, value) node pairs."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} must be a mapping, not {_kind(node)}")
            return []
        seen: dict[str, int] = {}
        out = []
        for key_node, value_node in node.value:
            if not (isinstance(key_node, ScalarNode) and key_node.value.strip()):
                self.problem(key_node, f"a key in {what} must be text")
                continue
            if key_node.value in seen:
                self.problem(
                    key_node,
                    f"duplicate '{key_node.value}' in {what} (first at line {seen[key_node.value]})",
                )
                continue
            seen[key_node.value] = key_node.start_mark.line + 1
            out.append((key_node, value_node))
        return out

    def items(self, node: Node, what: str, allow_empty: bool = True) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{what} must be a list, not {_kind(node)}")
            return []
        if not node.value and not allow_empty:
            self.problem(node, f"{what} must not be empty")
        return list(node.value)

    def text(
        self,
        node: Node | None,
        what: str,
        max_len: int | None = None,
        room: str = "Slack allows {max_len} there",
    ) -> str:
        if node is None:
            return ""
        if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            self.problem(node, f"{what} must be text, not {_kind(node)}")
            return ""
        value = " ".join(node.value.split())
        if not value:
            self.problem(node, f"{what} must not be empty")
        elif max_len is not None and len(value) > max_len:
            self.problem(
                node,
                f"{what} is {len(value)} characters; {room.format(max_len=max_len)}, so shorten it",
            )
        return value

    def texts(self, node: Node | None, what: str, allow_empty: bool = True) -> tuple[str, ...]:
        if node is None:
            return ()
        return tuple(self.text(item, f"an item of {what}") for item in self.items(node, what, allow_empty))

    def identifier(self, node: Node | None, what: str) -> str:
        value = self.text(node, what)
        if value and not _ID.match(value):
            self.problem(node, f"{what} '{value}' must be lowercase words joined by hyphens")
        return value

    def url(self, node: Node | None, what: str) -> str:
        value = self.text(node, what)
        if value:
            parts = urlparse(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
                self.problem(node, f"{what} is not a valid http(s) URL: '{value}'")
        return value


# --------------------------------------------------------------------------- loading


def load_catalog(directory: str | Path | None = None) -> Catalog:
    """Load and validate a catalog folder; raise CatalogError listing every problem."""
    catalog, problems = _load(Path(directory) if directory else default_catalog_dir())
    if problems:
        raise CatalogError(problems)
    assert catalog is not None
    return catalog


def check_catalog(directory: str | Path) -> list[Problem]:
    """Every problem of a catalog folder, in file order (empty when it is valid)."""
    return _load(Path(directory))[1]


def _load(directory: Path) -> tuple[Catalog | None, list[Problem]]:
    """Parse each file on its own, then check what the files say of each other."""
    problems: list[Problem] = []
    if not directory.is_dir():
        return None, [Problem(str(directory), 0, "catalog folder not found")]

    guide_reader = _Reader(directory / GUIDE_FILE, problems)
    guide = _read_guide(guide_reader)
    events_reader = _Reader(directory / EVENTS_FILE, problems)
    events = _read_events(events_reader)
    lexicon = _read_lexicon(_Reader(directory / LEXICON_FILE, problems))
    use_cases, unreadable = _read_use_cases(directory, problems)
    goals_reader = _Reader(directory / GOALS_FILE, problems)
    goals = _read_goals(goals_reader)
    next_steps = _read_next_steps(_Reader(directory / NEXT_STEPS_FILE, problems))
    scope = _read_scope(directory / SCOPE_FILE, problems)

    # a file that did not parse is reported once; the others are not checked against its contents
    _check_use_cases(use_cases, guide, events if events_reader.loaded else None)
    _check_goals(goals, {uc_id: parsed.use_case for uc_id, parsed in use_cases.items()}, unreadable)
    if goals_reader.loaded:
        _check_goal_entries(use_cases, goals)
    _check_next_steps(
        next_steps, guide, {g.goal.id for g in goals} if goals_reader.loaded else None, use_cases, unreadable
    )

    problems.sort(key=lambda p: (p.path, p.line))
    if problems:
        return None, problems
    ordered = {uc_id: use_cases[uc_id].use_case for g in goals for uc_id in g.goal.use_cases}
    catalog = Catalog(
        goals=tuple(g.goal for g in goals),
        use_cases=MappingProxyType(ordered),
        events=MappingProxyType(events),
        guide=guide,
        lexicon=lexicon,
        next_steps=next_steps.next_steps,
        scope=scope,
    )
    return catalog, problems


def _read_scope(path: Path, problems: list[Problem]) -> ScopeModel | None:
    if not path.is_file():
        return None
    try:
        return ScopeModel.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError) as e:  # json's errors are ValueErrors
        problems.append(Problem(str(path), 0, f"{e}; write it again with `python -m bot.scope_training`"))
        return None


def _read_guide(r: _Reader) -> Guide:
    root = r.load()
    f = (
        r.fields(
            root,
            GUIDE_FILE,
            [
                "docs",
                "source_types",
                "destination_types",
                "selection_method",
                "next_steps",
                "setup_checklist",
            ],
            ["before_you_start", "onboarding"],
        )
        if root is not None
        else None
    ) or {}
    docs: dict[str, str] = {}
    if "docs" in f:
        for key, value in r.entries(f["docs"], "docs"):
            docs[key.value] = r.url(value, f"docs link '{key.value}'")
    checklist = r.texts(f.get("setup_checklist"), "setup_checklist", allow_empty=False)
    for node, step in zip(getattr(f.get("setup_checklist"), "value", []), checklist):
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(step)] if step else []
        except ValueError as exc:
            r.problem(
                node,
                f"malformed placeholder in setup_checklist: {exc} (write {{{{ or }}}} for a literal brace)",
            )
            continue
        for name in fields:
            if name is not None and name not in CHECKLIST_PLACEHOLDERS:
                r.problem(
                    node,
                    f"unknown placeholder {{{name}}} in setup_checklist "
                    f"(known: {', '.join('{' + p + '}' for p in sorted(CHECKLIST_PLACEHOLDERS))})",
                )
    return Guide(
        docs=MappingProxyType(docs),
        source_types=r.texts(f.get("source_types"), "source_types", allow_empty=False),
        destination_types=r.texts(f.get("destination_types"), "destination_types", allow_empty=False),
        selection_method=r.texts(f.get("selection_method"), "selection_method", allow_empty=False),
        next_steps=r.texts(f.get("next_steps"), "next_steps", allow_empty=False),
        setup_checklist=checklist,
        before_you_start=r.texts(f.get("before_you_start"), "before_you_start"),
        onboarding=_read_onboarding(r, f["onboarding"]) if "onboarding" in f else None,
    )


def _read_onboarding(r: _Reader, node: Node) -> Onboarding:
    f = r.fields(node, "onboarding", ["eligibility", "manual_path", "setup_url"]) or {}
    return Onboarding(
        eligibility=r.text(f.get("eligibility"), "eligibility"),
        manual_path=r.text(f.get("manual_path"), "manual_path"),
        setup_url=r.url(f.get("setup_url"), "setup_url"),
    )


def _read_events(r: _Reader) -> dict[str, Event]:
    root = r.load()
    f = (r.fields(root, EVENTS_FILE, ["events"]) if root is not None else None) or {}
    events: dict[str, Event] = {}
    if "events" not in f:
        return events
    for key, value in r.entries(f["events"], "events"):
        name = key.value
        ef = r.fields(value, f"event '{name}'", ["properties"], ["spec"]) or {}
        facts = _read_properties(r, ef.get("properties"), f"properties of event '{name}'", f"event '{name}'")
        spec = r.url(ef["spec"], f"spec of event '{name}'") if "spec" in ef else None
        events[name] = Event(
            name=name, properties=tuple(p.name for p in facts), spec=spec, property_facts=facts
        )
    return events


def _read_properties(r: _Reader, node: Node | None, what: str, owner: str) -> tuple[Property, ...]:
    """A list of properties (each a mapping with name, type, description, ...), names unique."""
    if node is None:
        return ()
    out: list[Property] = []
    seen: dict[str, int] = {}
    for item in r.items(node, what):
        prop = _read_property(r, item, owner)
        if prop is None or not prop.name:
            continue
        if prop.name in seen:
            r.problem(item, f"duplicate property '{prop.name}' in {owner} (first at line {seen[prop.name]})")
            continue
        seen[prop.name] = item.start_mark.line + 1
        out.append(prop)
    return tuple(out)


def _read_property(r: _Reader, node: Node, owner: str, named: bool = True) -> Property | None:
    """One property; `named=False` reads an array's `items` (a type, maybe properties, no name)."""
    if named and isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        r.problem(
            node,
            f"property '{node.value}' of {owner} needs a type and a description: write "
            f"it as a mapping with name, type and description",
        )
        return None
    label = _mapping_value(node, "name") if named else None
    what = (f"property '{label}' of {owner}" if label else f"a property of {owner}") if named else owner
    pf = r.fields(
        node,
        what,
        ["name", "type", "description"] if named else ["type"],
        ["basis", "required", "example", "items", "properties"] + ([] if named else ["description"]),
    )
    if pf is None:
        return None
    type_ = r.text(pf.get("type"), f"type of {what}")
    if type_ and type_ not in JSON_TYPES:
        r.problem(pf["type"], f"unknown type '{type_}' for {what} (JSON types: {', '.join(JSON_TYPES)})")
        type_ = ""
    basis = r.text(pf["basis"], f"basis of {what}") if "basis" in pf else "spec"
    if basis and basis not in PROPERTY_BASES:
        r.problem(pf["basis"], f"unknown basis '{basis}' for {what} (known: {', '.join(PROPERTY_BASES)})")
    required = False
    if "required" in pf:
        if isinstance(pf["required"], ScalarNode) and pf["required"].tag == "tag:yaml.org,2002:bool":
            required = bool(_construct(pf["required"]))
        else:
            r.problem(
                pf["required"], f"required of {what} must be true or false, not {_kind(pf['required'])}"
            )
    items = None
    if "items" in pf:
        if type_ and type_ != "array":
            r.problem(pf["items"], f"{what} has items but is of type {type_}: only an array has items")
        else:
            items = _read_property(r, pf["items"], f"the items of {what}", named=False)
    properties: tuple[Property, ...] = ()
    if "properties" in pf:
        if type_ and type_ != "object":
            r.problem(
                pf["properties"], f"{what} has properties but is of type {type_}: only an object has them"
            )
        else:
            properties = _read_properties(r, pf["properties"], f"properties of {what}", what)
    prop = Property(
        name=r.text(pf.get("name"), f"name of {what}") if named else "$",
        type=type_,
        description=r.text(pf.get("description"), f"description of {what}"),
        basis=basis,
        required=required,
        items=items,
        properties=properties,
    )
    if "example" in pf:
        try:
            value = _construct(pf["example"])
            example_json = json.dumps(value, ensure_ascii=False)
        except (yaml.YAMLError, TypeError, ValueError):
            r.problem(pf["example"], f"the example of {what} is not a JSON value (quote dates and times)")
        else:
            mismatch = _example_mismatch(prop, value) if type_ else None
            if mismatch:
                r.problem(pf["example"], f"the example of {what} does not fit its type: {mismatch}")
            else:
                prop = dataclasses.replace(prop, example_json=example_json)
    return prop


def _mapping_value(node: Node, key: str) -> str | None:
    """The text under `key` in a mapping node, read before the mapping is checked (for messages)."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == key and isinstance(value_node, ScalarNode):
                return value_node.value
    return None


def _construct(node: Node):
    """A YAML node's plain Python value."""
    return yaml.constructor.SafeConstructor().construct_document(node)


_PYTHON_TYPES = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _example_mismatch(prop: Property, value, path: str = "") -> str | None:
    """Why an example value does not fit a property's type (and its items'), or None when it does."""
    where = path or "the value"
    fits = isinstance(value, _PYTHON_TYPES[prop.type]) and not (
        isinstance(value, bool) and prop.type in ("number", "integer")
    )
    if not fits:
        return f"{where} {json.dumps(value, ensure_ascii=False, default=str)} is not of type {prop.type}"
    if prop.type == "array" and prop.items is not None and prop.items.type:
        for i, item in enumerate(value):
            mismatch = _example_mismatch(prop.items, item, f"{path or 'item'}[{i}]")
            if mismatch:
                return mismatch
    if prop.type == "object":
        for child in prop.properties:
            if child.name in value and child.type:
                mismatch = _example_mismatch(child, value[child.name], f"{path}.{child.name}".lstrip("."))
                if mismatch:
                    return mismatch
    return None


def _read_lexicon(r: _Reader) -> Lexicon:
    root = r.load()
    f = (
        r.fields(root, LEXICON_FILE, ["stopwords", "concepts"], ["cues", "support"])
        if root is not None
        else None
    ) or {}
    concepts: dict[str, tuple[str, ...]] = {}
    if "concepts" in f:
        for key, value in r.entries(f["concepts"], "concepts"):
            concepts[key.value] = r.texts(value, f"concept '{key.value}'", allow_empty=False)
    cues: dict[str, tuple[str, ...]] = {}
    if "cues" in f:
        for key, value in r.entries(f["cues"], "cues"):
            if key.value not in CUE_KINDS:
                r.problem(key, f"unknown cue kind '{key.value}' (expected: {', '.join(sorted(CUE_KINDS))})")
                continue
            cues[key.value] = r.texts(value, f"cues '{key.value}'", allow_empty=False)
        for name in cues.get("problem-concepts", ()):
            if name not in concepts:
                r.problem(f["cues"], f"cues 'problem-concepts' names '{name}', which is no concept")
    support, docs_home = _read_support(r, f.get("support"))
    return Lexicon(
        stopwords=r.texts(f.get("stopwords"), "stopwords"),
        concepts=MappingProxyType(concepts),
        cues=MappingProxyType(cues),
        support=support,
        docs_home=docs_home,
    )


def _read_support(r: _Reader, node: Node | None) -> tuple[tuple[SupportTopic, ...], str]:
    if node is None:
        return (), ""
    f = r.fields(node, "support", ["docs_home", "topics"]) or {}
    docs_home = r.url(f.get("docs_home"), "support's docs_home")
    topics = []
    for key, value in r.entries(f["topics"], "support topics") if "topics" in f else ():
        what = f"support topic '{key.value}'"
        t = r.fields(value, what, ["name", "docs_url", "phrases"]) or {}
        topics.append(
            SupportTopic(
                id=r.identifier(key, "a support topic's id"),
                name=r.text(t.get("name"), f"{what}'s name"),
                docs_url=r.url(t.get("docs_url"), f"{what}'s docs_url"),
                phrases=r.texts(t.get("phrases"), f"{what}'s phrases", allow_empty=False),
            )
        )
    return tuple(topics), docs_home


# --------------------------------------------------------------------------- use cases and goals, parsed


@dataclass
class _ParsedUseCase:
    """A use case, and the nodes it was read from, for the checks against the other files."""

    use_case: UseCase
    reader: _Reader
    events: list[tuple[Node, str]]  # each event named, with its node
    types: list[tuple[Node, str, str]]  # each source or destination type: node, value, "sources"
    goal_keys: dict[str, Node]  # the key of each goal entry


@dataclass
class _ParsedGoal:
    goal: Goal
    reader: _Reader
    listed: list[tuple[Node, str]]  # use_cases, with their nodes
    points_to: list[list[tuple[Node, str]]]  # each consideration's points_to, with their nodes


def _with_nodes(node: Node | None, values: tuple[str, ...]) -> list[tuple[Node, str]]:
    return list(zip(getattr(node, "value", []), values))


def _read_use_cases(directory: Path, problems: list[Problem]) -> tuple[dict[str, _ParsedUseCase], set[str]]:
    """The use cases by id, and the ids (file names) of the files that did not parse."""
    folder = directory / USE_CASES_DIR
    use_cases: dict[str, _ParsedUseCase] = {}
    first_seen: dict[str, str] = {}
    unreadable: set[str] = set()
    if not folder.is_dir():
        problems.append(Problem(str(folder), 0, "use-case folder not found"))
        return use_cases, unreadable
    files = sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml"))
    if not files:
        problems.append(Problem(str(folder), 0, "no use-case files (*.yml) in the folder"))
    for path in files:
        r = _Reader(path, problems)
        root = r.load()
        if root is None:
            unreadable.add(path.stem)
            continue
        f = r.fields(
            root,
            "the use case",
            ["id", "name", "purpose", "docs_url", "events", "goals"],
            ["fit", "vocabulary", "examples"],
        )
        if f is None:
            continue
        uc_id = r.identifier(f.get("id"), "id")
        if uc_id and uc_id in first_seen:
            r.problem(f["id"], f"duplicate use case id '{uc_id}' (also in {first_seen[uc_id]})")
            continue
        if uc_id:
            first_seen[uc_id] = str(path)
            if path.stem != uc_id:
                r.problem(f["id"], f"the file of use case '{uc_id}' should be named {uc_id}.yml")
        name = r.text(f.get("name"), "name", max_len=BUTTON_TEXT_MAX)
        event_names = r.texts(f.get("events"), "events", allow_empty=False)
        fits: dict[str, GoalFit] = {}
        goal_keys: dict[str, Node] = {}
        types: list[tuple[Node, str, str]] = []
        if "goals" in f:
            for key, value in r.entries(f["goals"], "goals"):
                goal_id = key.value
                goal_keys[goal_id] = key
                gf = (
                    r.fields(
                        value,
                        f"goal '{goal_id}' of use case '{uc_id}'",
                        ["description", "sources", "destinations"],
                    )
                    or {}
                )
                description = r.text(gf.get("description"), f"description for goal '{goal_id}'")
                sources = r.texts(gf.get("sources"), "sources", allow_empty=False)
                types += [(n, v, "sources") for n, v in _with_nodes(gf.get("sources"), sources)]
                destinations = r.texts(gf.get("destinations"), "destinations", allow_empty=False)
                types += [
                    (n, v, "destinations") for n, v in _with_nodes(gf.get("destinations"), destinations)
                ]
                fits[goal_id] = GoalFit(description=description, sources=sources, destinations=destinations)
        fit = r.text(f["fit"], "fit") if "fit" in f else None
        use_case = UseCase(
            id=uc_id,
            name=name,
            purpose=r.text(
                f.get("purpose"),
                "purpose",
                max_len=PURPOSE_MAX,
                room="a list of choices shows {max_len} under a use case's name",
            ),
            fit=fit,
            docs_url=r.url(f.get("docs_url"), "docs_url"),
            events=event_names,
            goals=MappingProxyType(fits),
            vocabulary=r.texts(f.get("vocabulary"), "vocabulary"),
            examples=r.texts(f.get("examples"), "examples"),
        )
        if uc_id:
            use_cases[uc_id] = _ParsedUseCase(
                use_case, r, _with_nodes(f.get("events"), event_names), types, goal_keys
            )
    return use_cases, unreadable


def _read_goals(r: _Reader) -> list[_ParsedGoal]:
    root = r.load()
    f = (r.fields(root, GOALS_FILE, ["goals"]) if root is not None else None) or {}
    goals: list[_ParsedGoal] = []
    first_seen: dict[str, int] = {}
    for node in r.items(f["goals"], "goals", allow_empty=False) if "goals" in f else []:
        g = r.fields(
            node,
            "a goal",
            ["id", "name", "summary", "about", "use_cases", "considerations"],
            ["vocabulary"],
        )
        if g is None:
            continue
        goal_id = r.identifier(g.get("id"), "goal id")
        if goal_id and goal_id in first_seen:
            r.problem(g["id"], f"duplicate goal id '{goal_id}' (first at line {first_seen[goal_id]})")
            continue
        first_seen[goal_id] = node.start_mark.line + 1
        listed = r.texts(g.get("use_cases"), f"use_cases of goal '{goal_id}'", allow_empty=False)
        if len(set(listed)) != len(listed):
            r.problem(g["use_cases"], f"use_cases of goal '{goal_id}' lists a use case twice")
        considerations, points = [], []
        for c_node in r.items(g["considerations"], "considerations", False) if "considerations" in g else []:
            c = r.fields(c_node, "a consideration", ["question", "points_to"]) or {}
            points_to = r.texts(c.get("points_to"), "points_to", allow_empty=False)
            points.append(_with_nodes(c.get("points_to"), points_to))
            considerations.append(
                Consideration(question=r.text(c.get("question"), "question"), points_to=points_to)
            )
        goal = Goal(
            id=goal_id,
            name=r.text(g.get("name"), "goal name", max_len=HEADER_TEXT_MAX),
            summary=r.text(g.get("summary"), "summary"),
            about=r.text(g.get("about"), "about"),
            use_cases=tuple(dict.fromkeys(listed)),
            considerations=tuple(considerations),
            vocabulary=r.texts(g.get("vocabulary"), "vocabulary"),
        )
        goals.append(_ParsedGoal(goal, r, _with_nodes(g.get("use_cases"), listed), points))
    return goals


# --------------------------------------------------------------------------- what the files say of each other


def _check_use_cases(
    use_cases: dict[str, _ParsedUseCase], guide: Guide, events: dict[str, Event] | None
) -> None:
    """Each use case's events are in events.yml; its source and destination types in guide.yml."""
    known_types = {"sources": guide.source_types, "destinations": guide.destination_types}
    for parsed in use_cases.values():
        r = parsed.reader
        for node, event in parsed.events:
            if event and events is not None and event not in events:
                r.problem(
                    node, f"event '{event}' has no properties: add it with its properties to {EVENTS_FILE}"
                )
        for node, value, what in parsed.types:
            known = known_types[what]
            if value and known and value not in known:
                r.problem(node, f"unknown {what[:-1]} type '{value}' (known: {', '.join(known)})")


def _check_goals(goals: list[_ParsedGoal], use_cases: dict[str, UseCase], unreadable: set[str]) -> None:
    """Each goal lists use cases that exist and describe themselves for it; its questions
    point to use cases it lists."""
    for parsed in goals:
        r, goal_id = parsed.reader, parsed.goal.id
        listed = [uc_id for _, uc_id in parsed.listed]
        for item, uc_id in parsed.listed:
            if not uc_id or uc_id in unreadable:
                continue
            if uc_id not in use_cases:
                r.problem(item, f"goal '{goal_id}' lists unknown use case '{uc_id}'")
            elif goal_id not in use_cases[uc_id].goals:
                r.problem(
                    item,
                    f"use case '{uc_id}' is listed under goal '{goal_id}' but has no description "
                    f"for it: add '{goal_id}:' with description, sources and destinations under "
                    f"goals: in {USE_CASES_DIR}/{uc_id}.yml",
                )
        for points_to in parsed.points_to:
            for item, uc_id in points_to:
                if uc_id in unreadable:
                    continue
                if uc_id and uc_id not in use_cases:
                    r.problem(item, f"consideration points to unknown use case '{uc_id}'")
                elif uc_id and uc_id not in listed:
                    r.problem(
                        item,
                        f"consideration points to use case '{uc_id}', which goal '{goal_id}' does not list",
                    )


def _check_goal_entries(use_cases: dict[str, _ParsedUseCase], goals: list[_ParsedGoal]) -> None:
    """Each goal entry of a use case is a goal that lists it; every use case has one."""
    listed = {(g.goal.id, uc) for g in goals for uc in g.goal.use_cases}
    goal_ids = {g.goal.id for g in goals}
    for uc_id, parsed in use_cases.items():
        reader = parsed.reader
        for goal_id, key_node in parsed.goal_keys.items():
            if goal_id not in goal_ids:
                reader.problem(key_node, f"use case '{uc_id}' has an entry for unknown goal '{goal_id}'")
            elif (goal_id, uc_id) not in listed:
                reader.problem(
                    key_node,
                    f"use case '{uc_id}' has an entry for goal '{goal_id}', but that goal does not "
                    f"list it under use_cases in {GOALS_FILE}",
                )
        if not parsed.goal_keys:
            reader.problem(1, f"use case '{uc_id}' belongs to no goal")


@dataclass
class _ParsedNextSteps:
    next_steps: NextSteps
    reader: _Reader
    section_keys: list[Node]  # each goal named in reference_sections
    type_keys: list[Node]  # each destination type named in destination_examples
    add_on_keys: list[tuple[str, Node]]  # (add-on name, a use case it names)


def _read_next_steps(r: _Reader) -> _ParsedNextSteps:
    root = r.load()
    f = (
        r.fields(root, NEXT_STEPS_FILE, ["reference_sections", "destination_examples", "add_ons"])
        if root is not None
        else None
    ) or {}
    sections: dict[str, str] = {}
    section_keys: list[Node] = []
    if "reference_sections" in f:
        for key, value in r.entries(f["reference_sections"], "reference_sections"):
            section_keys.append(key)
            sections[key.value] = r.url(value, f"reference section of goal '{key.value}'")
    examples: dict[str, tuple[NamedTool, ...]] = {}
    type_keys: list[Node] = []
    if "destination_examples" in f:
        for key, value in r.entries(f["destination_examples"], "destination_examples"):
            kind = key.value
            type_keys.append(key)
            tools = []
            for item in r.items(value, f"destination_examples of '{kind}'", allow_empty=False):
                tf = r.fields(item, f"a destination listed under '{kind}'", ["name", "url"]) or {}
                tools.append(
                    NamedTool(
                        name=r.text(
                            tf.get("name"), f"name of a destination under '{kind}'", max_len=BUTTON_TEXT_MAX
                        ),
                        url=r.url(tf.get("url"), f"url of a destination under '{kind}'"),
                    )
                )
            examples[kind] = tuple(tools)
    add_ons: list[AddOn] = []
    add_on_keys: list[tuple[str, Node]] = []
    for item in r.items(f["add_ons"], "add_ons") if "add_ons" in f else []:
        af = r.fields(item, "an add-on", ["name", "plan", "docs_url", "inferred", "use_cases"]) or {}
        name = r.text(af.get("name"), "add-on name")
        inferred = False
        if "inferred" in af:
            if isinstance(af["inferred"], ScalarNode) and af["inferred"].tag == "tag:yaml.org,2002:bool":
                inferred = bool(_construct(af["inferred"]))
            else:
                r.problem(
                    af["inferred"],
                    f"inferred of add-on '{name}' must be true or false, not {_kind(af['inferred'])}",
                )
        needs: dict[str, str] = {}
        if "use_cases" in af:
            for key, value in r.entries(af["use_cases"], f"use_cases of add-on '{name}'"):
                add_on_keys.append((name, key))
                needs[key.value] = r.text(value, f"what use case '{key.value}' needs {name} for")
        add_ons.append(
            AddOn(
                name=name,
                plan=r.text(af.get("plan"), f"plan of add-on '{name}'"),
                docs_url=r.url(af.get("docs_url"), f"docs_url of add-on '{name}'"),
                inferred=inferred,
                use_cases=MappingProxyType(needs),
            )
        )
    next_steps = NextSteps(
        reference_sections=MappingProxyType(sections),
        destination_examples=MappingProxyType(examples),
        add_ons=tuple(add_ons),
    )
    return _ParsedNextSteps(next_steps, r, section_keys, type_keys, add_on_keys)


def _check_next_steps(
    parsed: _ParsedNextSteps,
    guide: Guide,
    goal_ids: set[str] | None,
    use_cases: dict[str, _ParsedUseCase],
    unreadable: set[str],
) -> None:
    """next-steps.yml names goals (None: goals.yml did not load), destination types and use
    cases that exist. A goal without a Reference section links its use cases' own docs_url."""
    r = parsed.reader
    for key in parsed.section_keys:
        if goal_ids is not None and key.value not in goal_ids:
            r.problem(key, f"reference_sections names unknown goal '{key.value}'")
    for key in parsed.type_keys:
        if guide.destination_types and key.value not in guide.destination_types:
            r.problem(
                key,
                f"unknown destination type '{key.value}' in destination_examples (known: "
                f"{', '.join(guide.destination_types)})",
            )
    for name, key in parsed.add_on_keys:
        if key.value not in use_cases and key.value not in unreadable:
            r.problem(key, f"add-on '{name}' names unknown use case '{key.value}'")
