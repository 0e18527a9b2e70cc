"""The tracking plan for a use case: Protocols rules, a CSV, and one track call per event in five
of Segment's libraries. Pure functions over the catalog; nothing here imports Slack.

Every fact comes from the catalog (events.yml holds each property's type and description from
Segment's Spec, and the Spec's example values). Where the Spec gives no example value, the code
shows a typed placeholder and marks it as one; where neither the Reference nor the Spec marks a
property required, none is required, and the plan says so instead of inventing requirements.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from bot.catalog import Catalog, Event, Goal, Property, UseCase

FORMATS = ("protocols", "csv", "js", "node", "python", "swift", "kotlin")
CODE_FORMATS = FORMATS[2:]
# how each format is offered in Slack, and the file it comes as
LABELS = {
    "protocols": "Protocols JSON",
    "csv": "CSV",
    "js": "analytics.js",
    "node": "Node.js",
    "python": "Python",
    "swift": "Swift",
    "kotlin": "Kotlin",
}
EXTENSIONS = {
    "protocols": "json",
    "csv": "csv",
    "js": "js",
    "node": "js",
    "python": "py",
    "swift": "swift",
    "kotlin": "kt",
}

# Protocols validates events with JSON Schema draft-07: Segment's "Edit underlying JSON Schema"
# example starts with this $schema (https://www.twilio.com/docs/segment/protocols/tracking-plan/create,
# segment-docs src/protocols/tracking-plan/create.md), and so do the rules Segment's Terraform
# provider shows (segmentio/terraform-provider-segment,
# examples/resources/segment_tracking_plan_rules/resource.tf).
JSON_SCHEMA_DRAFT_07 = "http://json-schema.org/draft-07/schema#"

NO_PROPERTIES = "the Reference lists none"
PLACEHOLDER = "placeholder"


class PlanError(ValueError):
    """An id that names nothing in the catalog: one line naming the valid choices."""


@dataclass(frozen=True)
class Plan:
    use_case: UseCase
    goal: Goal | None
    events: tuple[Event, ...]


def build_plan(catalog: Catalog, use_case_id: str, goal_id: str | None = None) -> Plan:
    """The plan for a use case (optionally under one of its goals); PlanError for an unknown id."""
    use_case = catalog.use_case(use_case_id)
    if use_case is None:
        raise PlanError(
            f"unknown use case '{_oneline(use_case_id)}': choose one of {', '.join(catalog.use_cases)}"
        )
    goal = None
    if goal_id is not None:
        served = ", ".join(use_case.goals)
        goal = catalog.goal(goal_id)
        if goal is None:
            raise PlanError(f"unknown goal '{_oneline(goal_id)}': use case '{use_case.id}' serves {served}")
        if goal.id not in use_case.goals:
            raise PlanError(
                f"use case '{use_case.id}' does not serve goal '{goal.id}': choose one of {served}"
            )
    return Plan(use_case, goal, tuple(catalog.events[name] for name in use_case.events))


def filename(plan: Plan, fmt: str) -> str:
    """`<use case>-tracking-plan.json`, `<use case>-tracking-python.py`, …"""
    suffix = "tracking-plan" if fmt in ("protocols", "csv") else f"tracking-{fmt}"
    return f"{plan.use_case.id}-{suffix}.{EXTENSIONS[fmt]}"


def render(plan: Plan, fmt: str) -> str:
    """The plan in one of FORMATS, as text ending in a newline."""
    if fmt == "protocols":
        return json.dumps(protocols(plan), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return csv_text(plan)
    if fmt in CODE_FORMATS:
        return code(plan, fmt)
    raise PlanError(f"unknown format '{_oneline(fmt)}': choose one of {', '.join(FORMATS)}")


# --------------------------------------------------------------------------- example values


def example_value(prop: Property):
    """What the code sends for a property: the Spec's example value, else a typed placeholder."""
    if prop.example is not None:
        return prop.example
    if prop.type == "array":
        return [example_value(prop.items)] if prop.items is not None and prop.items.type else []
    if prop.type == "object":
        return {child.name: example_value(child) for child in prop.properties}
    return {"string": f"<{prop.name}>", "integer": 1, "number": 1.0, "boolean": True}[prop.type]


def example_properties(event: Event) -> dict:
    """The properties object the code sends for an event (the tests validate it against the rules)."""
    return {prop.name: example_value(prop) for prop in event.property_facts}


def placeholders(event: Event) -> set[str]:
    """The event's properties whose value in the code is a placeholder, not the Spec's example."""
    return {prop.name for prop in event.property_facts if prop.example is None}


# --------------------------------------------------------------------------- Protocols rules


def protocols(plan: Plan) -> dict:
    """The plan as Segment's Public API takes it: the body of "Replace Rules in Tracking Plan".

    The shape is the Public API's ReplaceRulesInTrackingPlanV1Input, `{"rules": [RuleInputV1]}`,
    each rule `{type, key, version, jsonSchema}` with type one of COMMON, GROUP, IDENTIFY, PAGE,
    SCREEN, TRACK (segmentio/public-api-sdk-typescript, model/replaceRulesInTrackingPlanV1Input.ts
    and model/ruleInputV1.ts; docs.segmentapis.com/tag/Tracking-Plans). A TRACK rule's key is the
    event name, and its jsonSchema describes the whole call with the event's properties under
    properties.properties, as in segmentio/terraform-provider-segment's tracking-plan rules example.
    """
    return {"rules": [rule(plan, event) for event in plan.events]}


def rule(plan: Plan, event: Event) -> dict:
    return {"type": "TRACK", "key": event.name, "version": 1, "jsonSchema": json_schema(plan, event)}


def json_schema(plan: Plan, event: Event) -> dict:
    """A JSON Schema draft-07 document for one track call of the event."""
    return {
        "$schema": JSON_SCHEMA_DRAFT_07,
        "type": "object",
        "description": _rule_description(plan, event),
        "properties": {
            "context": {},
            "traits": {},
            "properties": {
                "type": "object",
                "properties": {p.name: _property_schema(p) for p in event.property_facts},
                "required": [p.name for p in event.property_facts if p.required],
            },
        },
    }


def _property_schema(prop: Property) -> dict:
    schema: dict = {"type": prop.type}
    if prop.description:
        schema["description"] = prop.description
    if prop.items is not None and prop.items.type:
        schema["items"] = _property_schema(prop.items)
    if prop.properties:
        schema["properties"] = {child.name: _property_schema(child) for child in prop.properties}
        required = [child.name for child in prop.properties if child.required]
        if required:
            schema["required"] = required
    return schema


def _rule_description(plan: Plan, event: Event) -> str:
    who = f"{plan.use_case.name}" + (f" ({plan.goal.name})" if plan.goal else "")
    parts = [f"{event.name}, as Segment's Use Cases Reference lists it for {who}."]
    if not event.property_facts:
        parts.append("The Reference lists no properties for this event.")
        return " ".join(parts)
    parts.append(
        f"Types and descriptions from Segment's Spec ({event.spec})."
        if event.spec
        else "No Segment Spec page defines this event itself."
    )
    unverified = [p.name for p in event.property_facts if p.basis == "unverified"]
    if unverified:
        parts.append(
            f"Not defined by any Segment Spec page, so their types are unverified: {', '.join(unverified)}."
        )
    required = [p.name for p in event.property_facts if p.required]
    parts.append(
        f"Required, as Segment's docs say: {', '.join(required)}."
        if required
        else "Neither the Reference nor the Spec marks a property required, so none is required here."
    )
    return " ".join(parts)


# --------------------------------------------------------------------------- CSV

CSV_HEADER = ("event", "property", "type", "required", "description")


def csv_rows(plan: Plan) -> list[tuple[str, str, str, str, str]]:
    """One row per property (an array's item fields as `products.$.sku`, the Spec's notation),
    and one row with an empty property for an event the Reference lists none for."""
    rows = []
    for event in plan.events:
        if not event.property_facts:
            rows.append((event.name, "", "", "", NO_PROPERTIES))
        for prop in event.property_facts:
            rows.extend(_csv_property_rows(event.name, prop.name, prop))
    return rows


def _csv_property_rows(event: str, path: str, prop: Property):
    yield event, path, prop.type, "true" if prop.required else "false", prop.description
    for child in prop.properties:
        yield from _csv_property_rows(event, f"{path}.{child.name}", child)
    if prop.items is not None:
        for child in prop.items.properties:
            yield from _csv_property_rows(event, f"{path}.$.{child.name}", child)


def csv_text(plan: Plan) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(plan))
    return out.getvalue()


# --------------------------------------------------------------------------- code

# The call shapes, from Segment's library pages (segment-docs, src/connections/sources/catalog/libraries/):
#   js      website/javascript/index.md: analytics.track(event, [properties], [options], [callback])
#   node    server/node/index.md: import/require { Analytics } from '@segment/analytics-node',
#           new Analytics({ writeKey }), analytics.track({ userId | anonymousId, event, properties })
#   python  server/python/index.md: import segment.analytics as analytics; analytics.write_key = ...;
#           track fields user_id, event, properties (pip install segment-analytics-python)
#   swift   mobile/apple/index.md and implementation.md (import Segment, Analytics(configuration:
#           Configuration(writeKey:))); analytics-swift Sources/Segment/Events.swift:
#           public func track(name: String, properties: [String: Any]? = nil)
#   kotlin  mobile/kotlin-android/implementation.md: fun track(name: String, properties: JsonObject),
#           analytics.track("View Product", buildJsonObject { put("productId", 123) }); nested
#           values with kotlinx.serialization's putJsonObject, putJsonArray, add and addJsonObject.


def code(plan: Plan, language: str) -> str:
    if language not in CODE_FORMATS:
        raise PlanError(
            f"unknown code format '{_oneline(language)}': choose one of {', '.join(CODE_FORMATS)}"
        )
    return {"js": _js, "node": _node, "python": _python, "swift": _swift, "kotlin": _kotlin}[language](plan)


def _header(plan: Plan, library: str, comment: str) -> list[str]:
    who = plan.use_case.name + (f" ({plan.goal.name})" if plan.goal else "")
    return [
        f"{comment} Tracking plan for {who}: one track call per event, with {library}.",
        f'{comment} Values are the examples in Segment\'s Spec; those marked "{PLACEHOLDER}" are not',
        f"{comment} from Segment: put your own values there.",
        "",
    ]


@dataclass(frozen=True)
class _Literals:
    """How a language writes a JSON-like value as a literal spread over lines."""

    string: callable
    true: str
    false: str
    comment: str
    obj: tuple[str, str]  # open, close
    arr: tuple[str, str]
    empty_obj: str
    empty_arr: str
    nested_obj_suffix: str = ""
    nested_arr_suffix: str = ""

    def scalar(self, value) -> str:
        if isinstance(value, bool):
            return self.true if value else self.false
        if isinstance(value, (int, float)):
            return json.dumps(value)
        if isinstance(value, str):
            return self.string(value)
        raise TypeError(f"no literal for {value!r}")

    def value(self, value, indent: str, step: str, nested: bool) -> list[str]:
        """The lines of a value; the first has no indent of its own, the last no trailing comma."""
        if isinstance(value, dict):
            if not value:
                return [self.empty_obj + (self.nested_obj_suffix if nested else "")]
            lines = [self.obj[0]]
            for key, item in value.items():
                lines += self._entry(f"{self.string(key)}: ", item, indent + step, step)
            return lines + [indent + self.obj[1] + (self.nested_obj_suffix if nested else "")]
        if isinstance(value, list):
            if not value:
                return [self.empty_arr + (self.nested_arr_suffix if nested else "")]
            lines = [self.arr[0]]
            for item in value:
                lines += self._entry("", item, indent + step, step)
            return lines + [indent + self.arr[1] + (self.nested_arr_suffix if nested else "")]
        return [self.scalar(value)]

    def _entry(self, prefix: str, item, indent: str, step: str) -> list[str]:
        lines = self.value(item, indent, step, nested=True)
        lines[0] = indent + prefix + lines[0]
        lines[-1] += ","
        return lines

    def properties(self, event: Event, indent: str, step: str) -> list[str]:
        """An event's properties as a literal (`{` ... `}`), placeholder lines marked."""
        marked = placeholders(event)
        lines = [self.obj[0]]
        for key, item in example_properties(event).items():
            entry = self._entry(f"{self.string(key)}: ", item, indent + step, step)
            if key in marked:
                entry[-1] += ("  " if self.comment == "#" else " ") + f"{self.comment} {PLACEHOLDER}"
            lines += entry
        return lines + [indent + self.obj[1]]


def _json_string(value: str) -> str:
    """A double-quoted literal that JavaScript and Python both read as the same string."""
    return json.dumps(value)


def _escaped(value: str, extra: dict[str, str], other) -> str:
    out = []
    for ch in value:
        if ch in extra:
            out.append(extra[ch])
        elif ord(ch) < 0x20 or ch in "\u2028\u2029\x7f":
            out.append(other(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _swift_string(value: str) -> str:
    return _escaped(
        value,
        {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"},
        lambda ch: "\\u{%x}" % ord(ch),
    )


def _kotlin_string(value: str) -> str:
    return _escaped(
        value,
        {"\\": "\\\\", '"': '\\"', "$": "\\$", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b"},
        lambda ch: "\\u%04x" % ord(ch),
    )


_JS = _Literals(_json_string, "true", "false", "//", ("{", "}"), ("[", "]"), "{}", "[]")
_PY = _Literals(_json_string, "True", "False", "#", ("{", "}"), ("[", "]"), "{}", "[]")
# Swift needs the type of a nested heterogeneous collection literal spelled out.
_SWIFT = _Literals(
    _swift_string,
    "true",
    "false",
    "//",
    ("[", "]"),
    ("[", "]"),
    "[:]",
    "[]",
    nested_obj_suffix=" as [String: Any]",
    nested_arr_suffix=" as [Any]",
)


def _js(plan: Plan) -> str:
    lines = _header(plan, "analytics.js (Segment's JavaScript library in the browser)", "//")
    for i, event in enumerate(plan.events):
        if i:
            lines.append("")
        if not event.property_facts:
            lines.append(f"// {event.name}: {NO_PROPERTIES}")
            lines.append(f"analytics.track({_JS.string(event.name)});")
            continue
        props = _JS.properties(event, "", "  ")
        props[0] = f"analytics.track({_JS.string(event.name)}, {props[0]}"
        props[-1] += ");"
        lines += props
    return "\n".join(lines) + "\n"


def _node(plan: Plan) -> str:
    lines = _header(plan, "@segment/analytics-node (npm install @segment/analytics-node)", "//")
    lines += [
        'const { Analytics } = require("@segment/analytics-node");',
        "",
        'const analytics = new Analytics({ writeKey: "<YOUR_WRITE_KEY>" });',
        'const userId = "<USER_ID>"; // the id of the user in your database',
    ]
    for event in plan.events:
        lines += ["", "analytics.track({", "  userId,", f"  event: {_JS.string(event.name)},"]
        if event.property_facts:
            props = _JS.properties(event, "  ", "  ")
            props[0] = "  properties: " + props[0]
            props[-1] += ","
            lines += props
        else:
            lines.append(f"  // properties: {NO_PROPERTIES}")
        lines.append("});")
    return "\n".join(lines) + "\n"


def _python(plan: Plan) -> str:
    lines = _header(plan, "segment-analytics-python (pip install segment-analytics-python)", "#")
    lines += [
        "import segment.analytics as analytics",
        "",
        'analytics.write_key = "<YOUR_WRITE_KEY>"',
        'user_id = "<USER_ID>"  # the id of the user in your database',
    ]
    for event in plan.events:
        lines += ["", "analytics.track(", "    user_id=user_id,", f"    event={_PY.string(event.name)},"]
        if event.property_facts:
            props = _PY.properties(event, "    ", "    ")
            props[0] = "    properties=" + props[0]
            props[-1] += ","
            lines += props
        else:
            lines.append(f"    # properties: {NO_PROPERTIES}")
        lines.append(")")
    return "\n".join(lines) + "\n"


def _swift(plan: Plan) -> str:
    lines = _header(plan, "analytics-swift", "//")
    lines += [
        "import Segment",
        "",
        '// analytics: your app\'s Analytics(configuration: Configuration(writeKey: "<YOUR_WRITE_KEY>"))',
        "func trackPlan(_ analytics: Analytics) {",
    ]
    step = "    "
    for i, event in enumerate(plan.events):
        if i:
            lines.append("")
        if not event.property_facts:
            lines.append(f"{step}// {event.name}: {NO_PROPERTIES}")
            lines.append(f"{step}analytics.track(name: {_SWIFT.string(event.name)})")
            continue
        props = _SWIFT.properties(event, step, step)
        props[0] = f"{step}analytics.track(name: {_SWIFT.string(event.name)}, properties: {props[0]}"
        props[-1] += ")"
        lines += props
    lines.append("}")
    return "\n".join(lines) + "\n"


def _kotlin(plan: Plan) -> str:
    used: set[str] = set()
    body: list[str] = []
    step = "    "
    for i, event in enumerate(plan.events):
        if i:
            body.append("")
        name = _kotlin_string(event.name)
        if not event.property_facts:
            body.append(f"{step}// {event.name}: {NO_PROPERTIES}")
            body.append(f"{step}analytics.track({name})")
            continue
        used.add("buildJsonObject")
        body.append(f"{step}analytics.track({name}, buildJsonObject {{")
        marked = placeholders(event)
        for key, value in example_properties(event).items():
            entry = _kotlin_put(key, value, step * 2, step, used)
            if key in marked:
                entry[-1] += f" // {PLACEHOLDER}"
            body += entry
        body.append(f"{step}}})")
    imports = ["com.segment.analytics.kotlin.core.Analytics"] + [
        f"kotlinx.serialization.json.{name}" for name in sorted(used)
    ]
    lines = _header(plan, "analytics-kotlin", "//")
    lines += [f"import {name}" for name in imports]
    lines += ["", "fun trackPlan(analytics: Analytics) {", *body, "}"]
    return "\n".join(lines) + "\n"


def _kotlin_put(key: str | None, value, indent: str, step: str, used: set[str]) -> list[str]:
    """kotlinx.serialization builder calls: put(...) in an object (key given), add(...) in an array."""
    k = _kotlin_string(key) if key is not None else None
    if isinstance(value, dict):
        used.add("putJsonObject" if k else "addJsonObject")
        head = f"putJsonObject({k}) {{" if k else "addJsonObject {"
        lines = [indent + head]
        for child_key, child in value.items():
            lines += _kotlin_put(child_key, child, indent + step, step, used)
        return lines + [indent + "}"]
    if isinstance(value, list):
        used.add("putJsonArray" if k else "addJsonArray")
        head = f"putJsonArray({k}) {{" if k else "addJsonArray {"
        lines = [indent + head]
        for child in value:
            lines += _kotlin_put(None, child, indent + step, step, used)
        return lines + [indent + "}"]
    literal = (
        ("true" if value else "false")
        if isinstance(value, bool)
        else (json.dumps(value) if isinstance(value, (int, float)) else _kotlin_string(value))
    )
    used.add("put" if k else "add")
    return [indent + (f"put({k}, {literal})" if k else f"add({literal})")]


def _oneline(text: str) -> str:
    """Someone's text, safe to echo in a one-line message."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(text))[:80]
