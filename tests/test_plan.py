"""The tracking plan, in every format for every use case: the Protocols rules are JSON Schema
draft-07 that accept the very values the code sends; the code is valid in its language and sends
one track call per event, with those values; the CSV has one row per property. And the
`usecase-bot plan` command, including --create against a stand-in for Segment on 127.0.0.1."""

from __future__ import annotations

import ast
import csv
import dataclasses
import io
import json
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path
from types import MappingProxyType

import jsonschema
import pytest

from bot import cli, plan
from bot.catalog import Property, load_catalog
from tests.support.segment_api_standin import SegmentAPIStandIn

CATALOG = load_catalog()
USE_CASES = list(CATALOG.use_cases)
NODE = shutil.which("node")
TOKEN = "sgp_cli-SECRET-token"


def the_plan(use_case_id: str, goal_id: str | None = None) -> plan.Plan:
    return plan.build_plan(CATALOG, use_case_id, goal_id)


def flattened(props, prefix="") -> list[str]:
    """Property paths as the CSV writes them: `products`, `products.$.sku`, ..."""
    out = []
    for p in props:
        out.append(prefix + p.name)
        out += flattened(p.properties, f"{prefix}{p.name}.")
        if p.items is not None:
            out += flattened(p.items.properties, f"{prefix}{p.name}.$.")
    return out


# A catalog whose event names would break naive quoting in every language.
AWKWARD_NAME = 'Order "Big" $total \\ Köln'


def awkward_plan() -> plan.Plan:
    base = CATALOG.events["Order Completed"]
    event = dataclasses.replace(
        base,
        name=AWKWARD_NAME,
        property_facts=base.property_facts
        + (
            Property(
                name="note",
                type="string",
                description="a note",
                example_json=json.dumps('say "hi" ${x} \\ \n'),
            ),
        ),
        properties=base.properties + ("note",),
    )
    events = dict(CATALOG.events, **{AWKWARD_NAME: event})
    use_case = dataclasses.replace(
        CATALOG.use_case("mitigate-high-value-churn"), events=(AWKWARD_NAME, "Install Attributed")
    )
    catalog = dataclasses.replace(
        CATALOG,
        events=MappingProxyType(events),
        use_cases=MappingProxyType(dict(CATALOG.use_cases, **{use_case.id: use_case})),
    )
    return plan.build_plan(catalog, use_case.id)


# =========================================================================== protocols


@pytest.mark.parametrize("use_case_id", USE_CASES)
def test_protocols_has_one_track_rule_per_event_of_the_use_case(use_case_id):
    p = the_plan(use_case_id)
    out = json.loads(plan.render(p, "protocols"))
    assert list(out) == ["rules"]
    assert [r["key"] for r in out["rules"]] == list(CATALOG.use_case(use_case_id).events)
    for r, event in zip(out["rules"], p.events):
        assert (r["type"], r["version"]) == ("TRACK", 1)
        schema = r["jsonSchema"]
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        props = schema["properties"]["properties"]
        assert list(props["properties"]) == list(event.properties)
        for name, prop in props["properties"].items():
            fact = event.property(name)
            assert (prop["type"], prop["description"]) == (fact.type, fact.description)


@pytest.mark.parametrize("use_case_id", USE_CASES)
def test_every_rule_is_valid_draft_07_and_accepts_the_values_the_code_sends(use_case_id):
    p = the_plan(use_case_id)
    for r, event in zip(plan.protocols(p)["rules"], p.events):
        jsonschema.Draft7Validator.check_schema(r["jsonSchema"])
        validator = jsonschema.Draft7Validator(r["jsonSchema"])
        call = {
            "type": "track",
            "event": event.name,
            "properties": plan.example_properties(event),
            "context": {},
            "traits": {},
        }
        assert not list(validator.iter_errors(call)), (event.name, list(validator.iter_errors(call)))


def test_a_rule_rejects_a_value_of_the_wrong_type():
    p = the_plan("mitigate-high-value-churn")
    (r,) = plan.protocols(p)["rules"]
    validator = jsonschema.Draft7Validator(r["jsonSchema"])
    wrong = dict(
        plan.example_properties(p.events[0]), total="27.50", products=[{"product_id": "x", "price": "cheap"}]
    )
    messages = sorted(e.message for e in validator.iter_errors({"properties": wrong}))
    assert messages == ["'27.50' is not of type 'number'", "'cheap' is not of type 'number'"]


def test_nothing_is_required_and_each_rule_says_why():
    for use_case_id in USE_CASES:
        for r in plan.protocols(the_plan(use_case_id))["rules"]:
            schema = r["jsonSchema"]
            assert schema["properties"]["properties"]["required"] == []
            if schema["properties"]["properties"]["properties"]:
                assert "Neither the Reference nor the Spec marks a property required" in schema["description"]
            else:
                assert "The Reference lists no properties for this event" in schema["description"]


def test_a_rule_names_the_spec_page_and_the_properties_no_spec_defines():
    (r,) = plan.protocols(the_plan("mitigate-high-value-churn"))["rules"]
    description = r["jsonSchema"]["description"]
    assert CATALOG.events["Order Completed"].spec in description
    assert "unverified: num_items." in description


def test_a_required_property_in_the_catalog_is_required_in_the_rule():
    base = CATALOG.events["Signed Up"]
    facts = (dataclasses.replace(base.property_facts[0], required=True),) + base.property_facts[1:]
    p = plan.Plan(
        CATALOG.use_case("accelerate-signup"), None, (dataclasses.replace(base, property_facts=facts),)
    )
    (r,) = plan.protocols(p)["rules"]
    assert r["jsonSchema"]["properties"]["properties"]["required"] == ["first_name"]
    assert "Required, as Segment's docs say: first_name." in r["jsonSchema"]["description"]
    validator = jsonschema.Draft7Validator(r["jsonSchema"])
    assert list(validator.iter_errors({"properties": {"last_name": "Gibbons"}}))


def test_a_goal_shows_in_the_plan_and_the_output_is_deterministic():
    p = the_plan("mitigate-cart-abandonment", "optimize-advertising")
    first = plan.render(p, "protocols")
    assert "Mitigate cart abandonment (Optimize advertising)" in first
    assert first == plan.render(the_plan("mitigate-cart-abandonment", "optimize-advertising"), "protocols")
    for fmt in plan.FORMATS:
        assert plan.render(p, fmt) == plan.render(p, fmt)


# =========================================================================== CSV


@pytest.mark.parametrize("use_case_id", USE_CASES)
def test_csv_has_a_header_and_one_row_per_property(use_case_id):
    p = the_plan(use_case_id)
    rows = list(csv.reader(io.StringIO(plan.render(p, "csv"))))
    assert rows[0] == ["event", "property", "type", "required", "description"]
    expected = []
    for event in p.events:
        paths = flattened(event.property_facts)
        expected += [(event.name, path) for path in paths] or [(event.name, "")]
    assert [(r[0], r[1]) for r in rows[1:]] == expected
    for r in rows[1:]:
        assert len(r) == 5
        if r[1]:
            assert r[2] in ("string", "number", "integer", "boolean", "array", "object") and r[3] == "false"
        else:
            assert r[4] == "the Reference lists none"


# =========================================================================== code


@pytest.mark.parametrize("use_case_id", USE_CASES)
def test_python_parses_and_sends_each_event_with_the_example_values(use_case_id, monkeypatch):
    p = the_plan(use_case_id)
    source = plan.render(p, "python")
    ast.parse(source)
    assert "import segment.analytics as analytics" in source
    calls = []
    fake = types.ModuleType("segment.analytics")
    fake.track = lambda **kw: calls.append(kw)
    package = types.ModuleType("segment")
    package.analytics = fake
    monkeypatch.setitem(sys.modules, "segment", package)
    monkeypatch.setitem(sys.modules, "segment.analytics", fake)
    exec(compile(source, "plan.py", "exec"), {})
    assert [c["event"] for c in calls] == [e.name for e in p.events]
    for call, event in zip(calls, p.events):
        assert call["user_id"] == "<USER_ID>"
        assert call.get("properties", {}) == plan.example_properties(event)
    assert fake.write_key == "<YOUR_WRITE_KEY>"


STUB_BROWSER = "const __calls = []; const analytics = { track: (event, properties) => __calls.push([event, properties ?? null]) };\n"
STUB_NODE_MODULE = """
exports.Analytics = class { constructor(o) { this.o = o; }
  track(m) { globalThis.__calls.push([m.event, m.properties ?? null, m.userId, this.o.writeKey]); } };
"""


def run_node(tmp_path: Path, source: str, fmt: str) -> list:
    script = tmp_path / f"plan-{fmt}.js"
    if fmt == "js":
        script.write_text(
            STUB_BROWSER + source + "\nconsole.log(JSON.stringify(__calls));\n", encoding="utf-8"
        )
    else:
        module = tmp_path / "node_modules" / "@segment" / "analytics-node"
        module.mkdir(parents=True, exist_ok=True)
        (module / "index.js").write_text(STUB_NODE_MODULE, encoding="utf-8")
        script.write_text(
            "globalThis.__calls = [];\n" + source + "\nconsole.log(JSON.stringify(__calls));\n",
            encoding="utf-8",
        )
    plain = tmp_path / f"as-printed-{fmt}.js"
    plain.write_text(source, encoding="utf-8")
    check = subprocess.run([NODE, "--check", str(plain)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    done = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JavaScript is not checked")
@pytest.mark.parametrize("fmt", ["js", "node"])
@pytest.mark.parametrize("use_case_id", USE_CASES)
def test_javascript_passes_node_check_and_sends_each_event_with_the_example_values(
    tmp_path, fmt, use_case_id
):
    p = the_plan(use_case_id)
    calls = run_node(tmp_path, plan.render(p, fmt), fmt)
    assert [c[0] for c in calls] == [e.name for e in p.events]
    for call, event in zip(calls, p.events):
        assert (call[1] or {}) == plan.example_properties(event)
        if fmt == "node":
            assert call[2:] == ["<USER_ID>", "<YOUR_WRITE_KEY>"]


# --- Swift and Kotlin: no compiler here, so a structural check plus reading the values back.


def strip_strings_and_comments(source: str) -> str:
    """The source with string literals emptied and // comments removed (for bracket counting)."""
    out, i = [], 0
    while i < len(source):
        ch = source[i]
        if ch == '"':
            j = i + 1
            while source[j] != '"':
                j += 2 if source[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif source.startswith("//", i):
            i = source.index("\n", i)
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def assert_balanced(source: str) -> None:
    stack, pairs = [], {")": "(", "]": "[", "}": "{"}
    for ch in strip_strings_and_comments(source):
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs:
            assert stack and stack.pop() == pairs[ch], source
    assert not stack, source


def decode_string(literal: str, lang: str) -> str:
    """A Swift or Kotlin string literal's value (the escapes plan.py writes)."""
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        if body[i] != "\\":
            assert not (lang == "kotlin" and body[i] == "$"), f"unescaped $ in {literal}"
            out.append(body[i])
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "u" and lang == "swift":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end], 16)))
            i = end + 1
        elif nxt == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            out.append({"n": "\n", "r": "\r", "t": "\t", "b": "\b"}.get(nxt, nxt))
            i += 2
    return "".join(out)


STRING = r'"(?:[^"\\]|\\.)*"'


class SwiftLiteral:
    """Reads back the dictionary and array literals plan.py writes for Swift."""

    TOKEN = re.compile(
        rf"\s*(?:(?P<c>//[^\n]*)|(?P<s>{STRING})|(?P<n>-?\d+(?:\.\d+)?)|(?P<b>true|false)"
        r"|(?P<cast> as \[String: Any\]| as \[Any\])|(?P<p>\[:\]|[\[\]:,]))"
    )

    def __init__(self, text: str):
        self.tokens = []
        pos = 0
        while text[pos:].strip():
            m = self.TOKEN.match(text, pos)
            assert m, f"unexpected Swift at {text[pos : pos + 40]!r}"
            if m.lastgroup != "c":  # a comment
                self.tokens.append((m.lastgroup, m.group(m.lastgroup)))
            pos = m.end()
        self.i = 0

    def value(self, nested=False):
        kind, tok = self.tokens[self.i]
        self.i += 1
        if kind == "s":
            return decode_string(tok, "swift")
        if kind == "n":
            return float(tok) if "." in tok else int(tok)
        if kind == "b":
            return tok == "true"
        if tok == "[:]":
            result = {}
        else:
            assert tok == "["
            is_dict = self.tokens[self.i + 1] == ("p", ":")
            result = {} if is_dict else []
            while self.tokens[self.i] != ("p", "]"):
                if is_dict:
                    key = self.value()
                    assert self.tokens[self.i] == ("p", ":")
                    self.i += 1
                    result[key] = self.value(nested=True)
                else:
                    result.append(self.value(nested=True))
                assert self.tokens[self.i] == ("p", ","), "every entry ends with a comma"
                self.i += 1
            self.i += 1
        if nested and isinstance(result, (dict, list)):
            want = " as [String: Any]" if isinstance(result, dict) else " as [Any]"
            assert self.tokens[self.i] == ("cast", want), "a nested collection spells out its type"
            self.i += 1
        return result


def swift_calls(source: str) -> list[tuple[str, dict | None]]:
    """The analytics.track(name:properties:) calls, their dictionary literals read back."""
    calls = []
    for m in re.finditer(rf"analytics\.track\(name: ({STRING})(, properties: )?", source):
        name = decode_string(m[1], "swift")
        if not m[2]:
            assert source[m.end()] == ")"
            calls.append((name, None))
            continue
        rest = source[m.end() :]
        reader = SwiftLiteral(rest[: _matching(rest)])
        calls.append((name, reader.value()))
        assert reader.i == len(reader.tokens)
    return calls


def _matching(text: str) -> int:
    depth, i = 0, 0
    while True:
        ch = text[i]
        if ch == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            i = text.index("\n", i) - 1
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def kotlin_calls(source: str) -> list[tuple[str, dict | None]]:
    """Reads back the analytics.track(...) calls and their buildJsonObject bodies."""
    calls, stack = [], []
    for raw in source.splitlines():
        # a trailing comment (they hold no quotes); a line that is a comment
        line = re.sub(r'\s+// [^"]*$', "", raw.strip()) if not raw.strip().startswith("//") else ""
        if not line:
            continue
        m = re.fullmatch(rf"analytics\.track\(({STRING})\)", line)
        if m:
            calls.append((decode_string(m[1], "kotlin"), None))
            continue
        m = re.fullmatch(rf"analytics\.track\(({STRING}), buildJsonObject \{{", line)
        if m:
            calls.append((decode_string(m[1], "kotlin"), {}))
            stack = [calls[-1][1]]
            continue
        if not stack:
            continue
        top = stack[-1]
        if line in ("})", "}"):
            stack.pop()
            continue
        m = re.fullmatch(rf"put\(({STRING}), (.+)\)", line)
        if m:
            top[decode_string(m[1], "kotlin")] = kotlin_scalar(m[2])
            continue
        m = re.fullmatch(r"add\((.+)\)", line)
        if m:
            top.append(kotlin_scalar(m[1]))
            continue
        m = re.fullmatch(rf"(putJsonObject|putJsonArray)\(({STRING})\) \{{", line)
        if m:
            child = {} if m[1] == "putJsonObject" else []
            top[decode_string(m[2], "kotlin")] = child
            stack.append(child)
            continue
        m = re.fullmatch(r"(addJsonObject|addJsonArray) \{", line)
        assert m, f"unexpected Kotlin line: {raw!r}"
        child = {} if m[1] == "addJsonObject" else []
        top.append(child)
        stack.append(child)
    return calls


def kotlin_scalar(text: str):
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"'):
        return decode_string(text, "kotlin")
    return float(text) if "." in text else int(text)


@pytest.mark.parametrize("use_case_id", USE_CASES + ["awkward names"])
def test_swift_is_balanced_and_calls_track_once_per_event_with_the_example_values(use_case_id):
    p = awkward_plan() if use_case_id == "awkward names" else the_plan(use_case_id)
    source = plan.render(p, "swift")
    assert_balanced(source)
    assert source.count("analytics.track(") == len(p.events)
    assert "import Segment" in source and "func trackPlan(_ analytics: Analytics) {" in source
    calls = swift_calls(source)
    assert [name for name, _ in calls] == [e.name for e in p.events]
    for (_, props), event in zip(calls, p.events):
        expected = plan.example_properties(event)
        assert (props or {}) == expected
        assert (props is None) == (not expected)


@pytest.mark.parametrize("use_case_id", USE_CASES + ["awkward names"])
def test_kotlin_is_balanced_and_calls_track_once_per_event_with_the_example_values(use_case_id):
    p = awkward_plan() if use_case_id == "awkward names" else the_plan(use_case_id)
    source = plan.render(p, "kotlin")
    assert_balanced(source)
    assert source.count("analytics.track(") == len(p.events)
    calls = kotlin_calls(source)
    assert [name for name, _ in calls] == [e.name for e in p.events]
    for (_, props), event in zip(calls, p.events):
        assert (props or {}) == plan.example_properties(event)
    imported = set(re.findall(r"^import kotlinx\.serialization\.json\.(\w+)$", source, flags=re.M))
    used = set(
        re.findall(
            r"\b(buildJsonObject|putJsonObject|putJsonArray|addJsonObject|addJsonArray|put|add)\b[ (]",
            source.split("fun trackPlan", 1)[1],
        )
    )
    assert used <= imported, used - imported
    assert "import com.segment.analytics.kotlin.core.Analytics" in source


def test_awkward_event_names_survive_python_and_javascript(tmp_path, monkeypatch):
    p = awkward_plan()
    source = plan.render(p, "python")
    tree = ast.parse(source)
    events = [
        kw.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "event"
    ]
    assert events == [AWKWARD_NAME, "Install Attributed"]
    if NODE is not None:
        for fmt in ("js", "node"):
            calls = run_node(tmp_path, plan.render(p, fmt), fmt)
            assert [c[0] for c in calls] == [AWKWARD_NAME, "Install Attributed"]
            assert calls[0][1]["note"] == 'say "hi" ${x} \\ \n'


def test_placeholders_are_marked_and_spec_examples_are_not():
    source = plan.render(the_plan("mitigate-high-value-churn"), "js")
    lines = {
        re.match(r'\s*"(\w+)"', line)[1]: line
        for line in source.splitlines()
        if re.match(r'\s*"\w+": ', line)
    }
    assert lines["num_items"].endswith("// placeholder")  # no Spec example: num_items is defined nowhere
    assert '"order_id": "50314b8e9bcf000000000000",' == lines["order_id"].strip()  # the Spec's example


def test_an_event_the_reference_lists_no_properties_for_is_tracked_bare_and_says_so():
    p = the_plan("build-lookalikes-for-app-install")
    for fmt in plan.CODE_FORMATS:
        source = plan.render(p, fmt)
        assert (
            "Install Attributed: the Reference lists none" in source
            or "properties: the Reference lists none" in source
        ), fmt


# =========================================================================== errors


def test_unknown_ids_name_the_valid_choices():
    with pytest.raises(plan.PlanError) as raised:
        plan.build_plan(CATALOG, "no-such-use-case")
    assert "unknown use case 'no-such-use-case'" in str(raised.value)
    assert all(uc in str(raised.value) for uc in USE_CASES)
    with pytest.raises(plan.PlanError, match="unknown goal 'nope'.*serves boost-retention"):
        plan.build_plan(CATALOG, "mitigate-high-value-churn", "nope")
    with pytest.raises(plan.PlanError, match="does not serve goal 'personalize-first-conversion'"):
        plan.build_plan(CATALOG, "mitigate-high-value-churn", "personalize-first-conversion")


# =========================================================================== the command


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def env(monkeypatch):
    for name in ("SEGMENT_PUBLIC_API_TOKEN", "SEGMENT_PUBLIC_API_URL", "USECASE_CATALOG"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_cli_formats_are_the_plans():
    assert cli.PLAN_FORMATS == plan.FORMATS


def test_plan_prints_the_protocols_rules_by_default(capsys, env):
    code, out, err = run_cli(capsys, "plan", "mitigate-high-value-churn")
    assert (code, err) == (0, "")
    assert json.loads(out) == plan.protocols(the_plan("mitigate-high-value-churn"))


@pytest.mark.parametrize("fmt", plan.FORMATS)
def test_plan_prints_each_format_with_a_goal(capsys, env, fmt):
    code, out, err = run_cli(
        capsys, "plan", "personalize-winback", "--goal", "boost-retention-upsell-cross-sell", "--format", fmt
    )
    assert (code, err) == (0, "")
    assert out == plan.render(the_plan("personalize-winback", "boost-retention-upsell-cross-sell"), fmt)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["plan", "no-such-use-case"], ["unknown use case 'no-such-use-case'", "mitigate-high-value-churn"]),
        (
            ["plan", "mitigate-high-value-churn", "--goal", "nope"],
            ["unknown goal 'nope'", "optimize-advertising"],
        ),
        (
            ["plan", "mitigate-high-value-churn", "--goal", "personalize-first-conversion"],
            ["does not serve goal"],
        ),
        (["plan", "mitigate-high-value-churn", "--format", "cobol"], ["invalid choice: 'cobol'", "kotlin"]),
        (["plan", "mitigate-high-value-churn", "--create"], ["--create needs --name"]),
        (["plan", "mitigate-high-value-churn", "--name", "x"], ["--name goes with --create"]),
        (
            ["plan", "mitigate-high-value-churn", "--create", "--name", "x"],
            ["SEGMENT_PUBLIC_API_TOKEN is not set"],
        ),
    ],
)
def test_plan_mistakes_exit_2_with_one_line(capsys, env, argv, words):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


def test_plan_create_makes_the_plan_in_segment_and_says_its_id(capsys, env):
    with SegmentAPIStandIn() as standin:
        env.setenv("SEGMENT_PUBLIC_API_TOKEN", TOKEN)
        env.setenv("SEGMENT_PUBLIC_API_URL", standin.url)
        code, out, err = run_cli(
            capsys,
            "plan",
            "mitigate-cart-abandonment",
            "--goal",
            "optimize-advertising",
            "--create",
            "--name",
            "Cart plan",
        )
    assert (code, err) == (0, "")
    assert out.startswith("created tracking plan tp_standin1 (Cart plan) with 2 rule(s)")
    create, rules = standin.calls
    assert (create.method, create.path, create.body["name"], create.body["type"]) == (
        "POST",
        "/tracking-plans",
        "Cart plan",
        "LIVE",
    )
    assert "Mitigate cart abandonment (Optimize advertising)" in create.body["description"]
    p = the_plan("mitigate-cart-abandonment", "optimize-advertising")
    assert (rules.method, rules.path, rules.body) == (
        "PUT",
        "/tracking-plans/tp_standin1/rules",
        plan.protocols(p),
    )
    assert all(c.headers["Authorization"] == f"Bearer {TOKEN}" for c in standin.calls)


def test_plan_create_reports_a_half_created_plan_with_its_id_and_exits_1(capsys, env):
    with SegmentAPIStandIn() as standin:
        standin.fail(403, method="PUT", body={"errors": [{"type": "forbidden", "message": f"no {TOKEN}"}]})
        env.setenv("SEGMENT_PUBLIC_API_TOKEN", TOKEN)
        env.setenv("SEGMENT_PUBLIC_API_URL", standin.url)
        code, out, err = run_cli(capsys, "plan", "accelerate-signup", "--create", "--name", "Signup plan")
    assert code == 1 and out == ""
    assert err.startswith("usecase-bot: created tracking plan tp_standin1 but setting its rules failed: ")
    assert "403 Forbidden" in err and len(err.strip().splitlines()) == 1
    assert TOKEN not in out + err


def test_plan_create_with_a_refused_token_exits_1_without_showing_it(capsys, env):
    with SegmentAPIStandIn() as standin:
        standin.fail(401)
        env.setenv("SEGMENT_PUBLIC_API_TOKEN", TOKEN)
        env.setenv("SEGMENT_PUBLIC_API_URL", standin.url)
        code, out, err = run_cli(capsys, "plan", "accelerate-signup", "--create", "--name", "Signup plan")
    assert code == 1 and "401 Unauthorized" in err and TOKEN not in out + err
    assert [c.method for c in standin.calls] == ["POST"]


def test_the_installed_command_prints_a_plan():
    done = subprocess.run(
        [str(Path(sys.executable).parent / "usecase-bot"), "plan", "accelerate-signup", "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "event,property,type,required,description"
