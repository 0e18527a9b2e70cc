"""Hardening (issue 17, "the small ones"): what an adversarial run found, reproduced through the
real app and shown fixed.

1. A button value nested 999 deep: the clicker hears that the prompt expired. Every JSON text from
   Slack (the request body, an interaction's `payload`, a button value) is measured before it is
   parsed (bot.bounded), so nothing nested deeper than Slack's own shapes reaches json.loads.
2. A signed interaction Bolt cannot read (`actions` null or not a list, an action that is not an
   object or has no action_id, no `type`, a payload that is not JSON, a JSON list, one too big or
   too deep): a 400 and one short line in the log, no traceback. Over HTTP (bot/web.py, before
   Bolt) and in Socket Mode (bot.listeners.payload.RefuseMalformed, Bolt's first middleware).
3. A person's words quoted by the bot render as they typed them: `*bold*`, `_x_`, `~strike~`
   and backticks do not format the bot's message, zero-width and direction controls are gone,
   bare URLs and emails are not turned into links (verbatim text objects), and &, <, > are
   escaped as before. The sandbox's renderer shows the same.

HTTP requests go through the production WSGI app (tests/support/wire.py) with signed requests
and the loopback Slack stand-in; Socket Mode runs `usecase-bot run --mode socket` against a fake
Socket Mode server (tests/support/socket_mode.py).
"""

from __future__ import annotations

import json
import logging
import re
from types import SimpleNamespace
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import advisor, blocks, bounded, home, metadata
from bot.advisor import Choice
from bot.sandbox.workspace import CHANNEL_ID, HUMAN_ID, TEAM_ID
from tests.support.processes import START_TIMEOUT, WAIT, Bot, clean_env, start_stand_in, wait_for
from tests.support.socket_mode import FakeSocketModeServer, envelope
from tests.support.wire import CHOOSER_TEXT, Wire
from tests.test_sandbox_browser import browser, renderer  # noqa: F401 - the renderer page, or a skip

EXPIRED = "This prompt has expired"
REFUSED = "malformed request refused"
FORMATTING = re.compile(r"[*_~`]")  # mrkdwn's formatting characters
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# what the look-alikes stand for, to read a quote back as a person reads it
READ_BACK = str.maketrans({"\u2217": "*", "\u02cd": "_", "\u223c": "~", "\u02cb": "`"})


@pytest.fixture
def wire(stand_in, catalog, matcher, block_kit_validator, monkeypatch):
    w = Wire(stand_in, catalog, block_kit_validator, monkeypatch, budgets={}, matcher=matcher)
    yield w
    w.close()


@pytest.fixture
def logged(caplog):
    """Every record logged while the test runs (any logger, any thread), from INFO up."""
    caplog.set_level(logging.INFO)
    return caplog


def tracebacks(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info] + (
        ["Traceback in the log"] if "Traceback" in caplog.text else []
    )


def chooser(wire: Wire):
    mark = wire.message_mark()
    assert wire.slack.slash(CHANNEL_ID, "").status == 200
    root = wire.wait_for_bot_message(CHOOSER_TEXT, after=mark, ephemeral=False)
    assert root is not None
    return root


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def click_payload(wire: Wire, message, action: dict) -> dict:
    return json.loads(dict(parse_qsl(wire.slack.click_body(message, action).decode()))["payload"])


def form(payload_text: str) -> bytes:
    return b"payload=" + quote(payload_text).encode()


# --------------------------------------------------------------------------- 1. deep values


@pytest.mark.parametrize("depth", [5, 990, 999])
def test_a_button_value_nested_deep_says_the_prompt_expired(wire, logged, depth):
    """The value is a string of 2 * depth brackets (within Slack's 2,000 characters; on Python
    3.11 json.loads raises RecursionError on 999 and parses 990): neither is a state of ours.
    The clicker is told privately, nothing else changes, nothing is logged as a crash."""
    root = chooser(wire)
    mark, calls = wire.message_mark(), wire.call_mark()
    before = json.dumps(wire.workspace.find(CHANNEL_ID, root.ts).blocks)
    clicked = wire.slack.click_action(root, {"action_id": "usecase.goal.1", "value": nested(depth)})
    assert clicked.status == 200
    sent = wire.sent_since(calls)
    assert [name for name, _ in sent] == ["response_url"], sent
    expired = wire.wait_for_bot_message(EXPIRED, after=mark, ephemeral=True)
    assert expired is not None, f"no 'expired' message; the bot sent {sent}"
    assert json.dumps(wire.workspace.find(CHANNEL_ID, root.ts).blocks) == before
    assert wire.crashes() == [] and tracebacks(logged) == []


def test_a_deep_value_is_refused_before_it_is_parsed(catalog, monkeypatch):
    """advisor.decode measures a value before json.loads sees it: a value nested deeper than ours
    never reaches the parser (so no RecursionError can start there); a real one still decodes."""
    parsed: list[str] = []
    spy = SimpleNamespace(dumps=json.dumps, loads=lambda text: parsed.append(text) or json.loads(text))
    monkeypatch.setattr(advisor, "json", spy)  # the codec's json only
    for value in (
        nested(999),
        nested(990),
        nested(advisor.MAX_VALUE_DEPTH + 1),
        '["1","f",' + nested(60) + "]",
    ):
        assert advisor.decode(catalog, value) is None
    assert parsed == []
    real = advisor.encode_choice(catalog, Choice(catalog.rows()[0].use_case.id, catalog.rows()[0].goal.id))
    assert advisor.decode(catalog, real) is not None and parsed == [real]


def test_a_click_whose_payload_nests_deeper_than_slack_is_a_quiet_400(wire, logged):
    """The value as nested JSON in the payload itself: 40 deep is within Slack's shapes (the
    listener reads it as no value: expired); 999 deep is refused before it is parsed, 400, one line."""
    root = chooser(wire)
    for depth, status in ((40, 200), (999, 400)):
        payload = click_payload(wire, root, {"action_id": "usecase.goal.1", "value": "VALUE"})
        text = json.dumps(payload).replace('"VALUE"', nested(depth))
        logged.clear()
        calls = wire.call_mark()
        answer = wire.signed(form(text), "application/x-www-form-urlencoded")
        assert answer.status == status, answer.describe()
        sent = wire.sent_since(calls)
        if status == 200:
            assert [n for n, p in sent] == ["response_url"] and EXPIRED in sent[0][1]["text"], sent
        else:
            assert json.loads(answer.body) == {"error": "malformed request"} and sent == []
            assert [r.getMessage() for r in logged.records if r.levelno >= logging.WARNING] == [
                f"{REFUSED}: JSON nested deeper or bigger than Slack sends"
            ]
        assert tracebacks(logged) == []
    wire.assert_still_serving()


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


TRICKY = st.text(alphabet='[]{}"\\/ab\u00e9\u2028', max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values, limit=st.integers(0, 12), ascii_only=st.booleans())
def test_the_depth_read_without_parsing_is_the_depth_json_reads(value, limit, ascii_only):
    """bounded.json_within counts brackets outside strings (escaped quotes and backslashes
    included) exactly as json.loads nests: the same verdict as the parsed value's depth."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert bounded.json_within(text, limit) == (_depth(value) <= limit)
    assert bounded.nested_within(value, limit) == (_depth(value) <= limit)


def test_text_that_is_not_json_never_hides_brackets_from_the_bound():
    """Whatever the scan reads as a string, json.loads reads the same way up to where the text
    stops being JSON: text the bound lets through is refused by json.loads without recursing."""
    unterminated = '["abc' + "[" * 5000  # an unterminated string: the brackets are its content
    assert bounded.json_within(unterminated)
    with pytest.raises(ValueError):  # not RecursionError
        json.loads(unterminated)
    assert not bounded.json_within('\\"' + nested(5000))  # a backslash outside a string
    assert not bounded.json_within('["\\\\",' + nested(5000) + "]")  # an escaped backslash ends the string


def test_message_metadata_bigger_than_the_bot_writes_is_no_state():
    """A thread's state is read only from metadata shaped as to_metadata writes it: lists no longer
    than it keeps, strings short, nothing nested where a string belongs; the size is checked
    before any item is looked at. A text Slack hands back with its characters as entities still reads."""
    state = metadata.ConversationState(texts=("we keep losing our biggest spenders",), people=(HUMAN_ID,))
    written = state.to_metadata()
    assert metadata.decode(written) == state

    def with_payload(**changes):
        return {**written, "event_payload": {**written["event_payload"], **changes}}

    entities = "&lt;" * metadata.TEXT_MAX
    assert metadata.decode(with_payload(texts=[entities])).texts == (entities[: metadata.TEXT_MAX],)
    for junk in (
        {"texts": ["x"] * 100_000},
        {"texts": ["x" * (metadata.TEXT_READ_MAX + 1)]},
        {"texts": [json.loads(nested(200))]},
        {"people": ["U1"] * (metadata.PEOPLE_MAX + 1)},
        {"options": ["x" * 10_000]},
        {"answer": "x" * 10_000},
        {"goal": ["x"]},
    ):
        assert metadata.decode(with_payload(**junk)) is None, junk


# --------------------------------------------------------------------------- 2. malformed interactions


def _block_actions(**changes) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": HUMAN_ID},
        "team": {"id": TEAM_ID},
        "channel": {"id": CHANNEL_ID},
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": CHANNEL_ID},
        "actions": [{"type": "button", "action_id": "usecase.goal.1", "value": "x"}],
    }
    payload.update(changes)
    return json.dumps({k: v for k, v in payload.items() if v != "DROP"})


MALFORMED = {  # name: (the signed body, the one line logged for it)
    "actions null, no type": (form('{"actions":null}'), "no type"),
    "actions null": (form(_block_actions(actions=None)), "actions is not a list of actions"),
    "actions a number": (form(_block_actions(actions=5)), "actions is not a list of actions"),
    "actions an object": (
        form(_block_actions(actions={"action_id": "x"})),
        "actions is not a list of actions",
    ),
    "actions empty": (form(_block_actions(actions=[])), "actions is not a list of actions"),
    "no actions": (form(_block_actions(actions="DROP")), "actions is not a list of actions"),
    "an action a number": (form(_block_actions(actions=[5])), "an action is not an object with an action_id"),
    "an action without action_id": (
        form(_block_actions(actions=[{"type": "button"}])),
        "an action is not an object with an action_id",
    ),
    "an action_id a number": (
        form(_block_actions(actions=[{"action_id": 5}])),
        "an action is not an object with an action_id",
    ),
    "no type": (form(_block_actions(type="DROP")), "no type"),
    "type a number": (form(_block_actions(type=5)), "type is not a string"),
    "user a number": (form(_block_actions(user=5)), "user is neither an object nor an id"),
    "team a list": (form(_block_actions(team=[TEAM_ID])), "team is neither an object nor an id"),
    "authorizations a number": (
        form(_block_actions(authorizations=5)),
        "authorizations is not a list of objects",
    ),
    "payload not JSON": (form("{actions: null"), "not JSON"),
    "payload a JSON list": (form("[1, 2]"), "not a JSON object"),
    "payload a JSON string": (form('"block_actions"'), "not a JSON object"),
    "payload empty": (b"payload=", "not JSON"),
    "payload too deep": (
        form(_block_actions(state=json.loads(nested(200)))),
        "JSON nested deeper or bigger than Slack sends",
    ),
    "shortcut without callback_id": (
        form('{"type":"message_action","callback_id":null}'),
        "callback_id is not a string",
    ),
    "view_submission without view": (
        form('{"type":"view_submission"}'),
        "view is not an object with a callback_id",
    ),
    "event_callback without event": (
        b'{"type":"event_callback","team_id":"T1"}',
        "event is not an object with a type",
    ),
    "event null": (b'{"type":"event_callback","event":null}', "event is not an object with a type"),
    "event without type": (
        b'{"type":"event_callback","event":{"text":"hi"}}',
        "event is not an object with a type",
    ),
    "event's message a string": (
        b'{"type":"event_callback","event":{"type":"message","channel_type":"im","message":"x"}}',
        "event's message is not an object",
    ),
    "JSON body a list": (b"[]", "not a JSON object"),
    "JSON body with no type": (b'{"token":"x"}', "no type"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_signed_malformed_request_is_a_quiet_400(wire, logged, name):
    """What used to log Bolt's 30-line traceback ("Failed to run a middleware … TypeError") is a
    400 with one short line, before any work: the Web API hears nothing."""
    body, line = MALFORMED[name]
    content_type = (
        "application/json" if body.startswith((b"{", b"[")) else "application/x-www-form-urlencoded"
    )
    calls = wire.call_mark()
    answer = wire.signed(body, content_type)
    assert answer.status == 400 and json.loads(answer.body) == {"error": "malformed request"}, (
        answer.describe()
    )
    assert wire.sent_since(calls) == [] and list(wire.workspace.calls)[calls:] == []
    assert tracebacks(logged) == []
    assert [r.getMessage() for r in logged.records if r.levelno >= logging.WARNING] == [f"{REFUSED}: {line}"]
    wire.assert_still_serving()


def test_a_payload_bigger_than_any_request_slack_sends_is_refused_unread(wire, logged):
    calls = wire.call_mark()
    huge = form(_block_actions(state={"values": {"x": "y" * (1 << 20)}}))
    answer = wire.signed(huge, "application/x-www-form-urlencoded")
    assert answer.status == 413 and list(wire.workspace.calls)[calls:] == []
    assert tracebacks(logged) == [] and not [r for r in logged.records if r.levelno >= logging.WARNING]


def test_well_formed_requests_still_pass_the_gate(wire, logged):
    """The gate refuses only what Slack never sends: a click, a slash command (whose text may say
    "payload"), Slack's SSL check and url_verification are answered as before."""
    root = chooser(wire)
    calls = wire.call_mark()
    assert wire.slack.click(root, "usecase.goal.1").status == 200
    assert "chat.postMessage" in [name for name, _ in wire.sent_since(calls)]  # its first question
    assert wire.slack.slash(CHANNEL_ID, "where does the payload go").status == 200
    assert wire.signed(b"ssl_check=1&token=x", "application/x-www-form-urlencoded").status == 200
    challenge = wire.signed(b'{"type":"url_verification","token":"x","challenge":"abc"}', "application/json")
    assert challenge.status == 200 and json.loads(challenge.body)["challenge"] == "abc"
    assert tracebacks(logged) == [] and wire.crashes() == []


# --------------------------------------------------------------------------- 2b. Socket Mode

BOT_TOKEN = "xoxb-1111-2222-harden"
APP_TOKEN = "xapp-1-A0KRD7HC3-3333-harden"


@pytest.fixture(scope="module")
def socket_bot(tmp_path_factory):
    stand_in = start_stand_in()
    server = FakeSocketModeServer().start()
    stand_in.api.socket_url = server.url
    env = clean_env(SLACK_APP_TOKEN=APP_TOKEN, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=stand_in.api_url)
    bot = Bot(["run", "--mode", "socket"], env, tmp_path_factory.mktemp("socket-harden"))
    try:
        if not server.connected.wait(START_TIMEOUT):
            pytest.fail(f"usecase-bot never opened the Socket Mode connection: {bot.describe()}")
        yield stand_in, server, bot
    finally:
        bot.stop()
        server.stop()
        stand_in.stop()


SOCKET_MALFORMED = {
    "actions null": ("interactive", {"type": "block_actions", "actions": None, "user": {"id": HUMAN_ID}}),
    "an action without action_id": (
        "interactive",
        {"type": "block_actions", "actions": [{"type": "button"}]},
    ),
    "no type": ("interactive", {"actions": [{"action_id": "usecase.goal.1"}]}),
    "shortcut without callback_id": ("interactive", {"type": "message_action", "callback_id": 5}),
    "event null": ("events_api", {"type": "event_callback", "event": None}),
    "nested too deep": (
        "interactive",
        {
            "type": "block_actions",
            "actions": [{"action_id": "usecase.goal.1", "value": "x"}],
            "state": json.loads(nested(200)),
        },
    ),
}


def test_socket_mode_refuses_malformed_envelopes_without_a_traceback(socket_bot, catalog):
    """Socket Mode envelopes reach the Bolt app parsed; the same gate (Bolt's first middleware)
    refuses them with one line each, and the bot goes on answering."""
    stand_in, server, bot = socket_bot
    logged_before = len(bot.stderr())
    for kind, payload in SOCKET_MALFORMED.values():
        server.send(envelope(kind, payload))

    def refusals() -> list[str]:
        return [line for line in bot.stderr()[logged_before:].splitlines() if REFUSED in line]

    assert wait_for(lambda: len(refusals()) >= len(SOCKET_MALFORMED)), bot.describe()
    assert any(line.endswith(f"{REFUSED}: nested too deep") for line in refusals()), refusals()
    # and a well-formed /usecase right after is acked and answered
    mark = len(stand_in.workspace.snapshot())
    command = {
        "command": "/usecase",
        "text": "",
        "team_id": stand_in.workspace.team_id,
        "channel_id": CHANNEL_ID,
        "user_id": HUMAN_ID,
        "response_url": stand_in.workspace.new_response_url(stand_in.base_url, CHANNEL_ID, HUMAN_ID),
        "trigger_id": "1.2.socket",
    }
    sent = envelope("slash_commands", command)
    server.send(sent)
    assert server.ack_for(sent["envelope_id"], timeout=WAIT) == {"envelope_id": sent["envelope_id"]}
    assert wait_for(lambda: any(CHOOSER_TEXT in m.text for m in stand_in.workspace.snapshot()[mark:])), (
        bot.describe()
    )
    output = bot.stderr()[logged_before:]
    assert "Traceback" not in output and "Failed to run" not in output, output
    assert len(refusals()) == len(SOCKET_MALFORMED), refusals()


# --------------------------------------------------------------------------- 3. quoted words


TYPED = (
    "zqx *bold* _x_ ~strike~ `code` ```block``` > quoted zero\u200bwidth\u200c\u200d\u2060\ufeff "
    "bidi\u202eevil\u202c\u2066x\u2069 example.com mail@example.com https://evil.example/x <!channel> & co"
)


def _mrkdwn_objects(node) -> list[dict]:
    if isinstance(node, list):
        return [o for item in node for o in _mrkdwn_objects(item)]
    if isinstance(node, dict):
        found = [node] if node.get("type") == "mrkdwn" else []
        return found + [o for v in node.values() for o in _mrkdwn_objects(v)]
    return []


def quotes_in(message_blocks) -> list[tuple[dict, str]]:
    """Each mrkdwn text object that quotes a person (“…”), with the quoted words."""
    if isinstance(message_blocks, str):
        message_blocks = json.loads(message_blocks)
    return [
        (obj, said)
        for obj in _mrkdwn_objects(message_blocks or [])
        for said in re.findall("“([^”]*)”", obj.get("text", ""))
    ]


def as_typed(text: str) -> str:
    """What a person typed, as the bot is to show it: one line, invisible characters gone, and
    escaped for mrkdwn as before."""
    return blocks.escape(" ".join(INVISIBLE.sub("", text).split()))


def assert_shown_literally(message_blocks, typed: str) -> None:
    found = [
        (obj, said) for obj, said in quotes_in(message_blocks) if said.translate(READ_BACK) == as_typed(typed)
    ]
    assert found, f"{typed!r} is not quoted as typed in {quotes_in(message_blocks)}"
    for obj, said in found:
        assert not FORMATTING.search(said), said  # nothing for mrkdwn to format
        assert obj.get("verbatim") is True, obj  # Slack does not link example.com or mail@…
    everything = json.dumps(message_blocks, ensure_ascii=False)
    assert not INVISIBLE.search(everything), "an invisible or direction character was echoed"
    assert "<!channel>" not in everything and "&lt;!channel&gt;" in everything  # escaping as before


def test_a_slash_command_quotes_the_words_as_typed(wire):
    """ "I couldn't match “…”": the ack shows the words as typed, none of them formatting it."""
    answer = wire.slack.slash(CHANNEL_ID, TYPED)
    assert answer.status == 200
    shown = json.loads(answer.body)
    assert "I couldn't match" in json.dumps(shown)
    assert_shown_literally(shown["blocks"], TYPED)
    assert not wire.message_problems(shown["text"], shown["blocks"], [HUMAN_ID])


def test_a_mention_and_the_shortcut_quote_the_asker_as_typed(wire):
    """ "<@U…> asked: “…”" on a recommendation in the thread of a mention, and the message
    shortcut's private answer about that message."""
    typed = "we keep losing our *biggest* _spenders_ ~fast~ `now`, see example.com or ask ops@example.com"
    calls = wire.call_mark()
    message, sent = wire.slack.say(CHANNEL_ID, "@usecase-bot " + typed)
    assert sent is not None and sent.status == 200
    posts = [p for name, p in wire.sent_since(calls) if name == "chat.postMessage"]
    assert posts, "the mention was not answered"
    assert_asked(posts[0]["blocks"], typed)
    calls = wire.call_mark()
    assert wire.slack.shortcut(message, home.SHORTCUT_CALLBACK_ID).status == 200
    answers = [p for name, p in wire.sent_since(calls) if name == "response_url"]
    assert answers, "the shortcut was not answered"
    assert_asked(answers[0]["blocks"], typed)
    for params in posts + answers:
        assert not wire.message_problems(params["text"], params["blocks"], [HUMAN_ID])


def assert_asked(message_blocks, typed: str) -> None:
    quoted = [(o, s) for o, s in quotes_in(message_blocks) if "biggest" in s]
    assert quoted, quotes_in(message_blocks)
    obj, said = quoted[0]
    assert said.translate(READ_BACK) == typed  # what a person reads is what was typed
    assert not FORMATTING.search(said) and obj.get("verbatim") is True


def test_words_carried_in_a_button_are_shown_literally(wire, catalog):
    """ "Why this one: you picked it … for “…”": the words ride in the button's value, so they are
    a person's too (a tampered value carries any); they are shown, never rendered."""
    root = chooser(wire)
    row = catalog.rows()[0]
    words = ("*bold*", "_x_", "`tick`", "example.com")
    value = advisor.encode_choice(catalog, Choice(row.use_case.id, row.goal.id, words=words, picked_from=2))
    calls = wire.call_mark()
    assert wire.slack.click_action(root, {"action_id": "usecase.pick.0", "value": value}).status == 200
    sent = [p for name, p in wire.sent_since(calls) if name in ("chat.postMessage", "response_url")]
    cards = [p for p in sent if "Recommended" in p["text"]]
    assert cards, sent
    why = [(o, s) for o, s in quotes_in(cards[0]["blocks"]) if s.translate(READ_BACK) in words]
    assert sorted(s.translate(READ_BACK) for _, s in why) == sorted(words), quotes_in(cards[0]["blocks"])
    for obj, said in why:
        assert "Why this one" in obj["text"] and not FORMATTING.search(said) and obj.get("verbatim") is True


def test_the_builders_quote_every_person_literally(catalog):
    """Every place a person's words appear: their request, their words behind "Why this one" and
    "Why not", and a feedback reason."""
    row = catalog.rows()[0]
    choice = Choice(row.use_case.id, row.goal.id, words=("*w*",))
    other = Choice(catalog.rows()[1].use_case.id, catalog.rows()[1].goal.id)
    messages = [
        blocks.build_no_match(catalog, TYPED),
        blocks.build_did_you_mean(catalog, [choice], TYPED),
        blocks.build_recommendation(
            catalog, choice, advisor.why(catalog, choice), asked_by=HUMAN_ID, query=TYPED
        ),
        blocks.build_two_asks(catalog, [choice, other], TYPED),
        blocks.build_way_forward(catalog, [choice], None, TYPED),
        blocks.build_support(catalog, None, "https://segment.com/docs", TYPED),
    ]
    for message in messages:
        assert_shown_literally(message.blocks, TYPED)
    why_not = blocks.build_why_not(catalog, other, choice, ("*w*", "_v_"))
    assert [s for _, s in quotes_in(why_not.blocks)] == ["\u2217w\u2217", "\u02cdv\u02cd"]
    reason = blocks.with_reason(
        [{"type": "actions", "elements": [{"action_id": "usecase.missing.0"}]}], "*Too* vague", HUMAN_ID
    )
    assert "said: \u2217Too\u2217 vague." in json.dumps(reason.blocks, ensure_ascii=False)


def test_the_bots_own_formatting_is_untouched(catalog):
    """Only people's words are neutralised: the bot's bold, code and links still are mrkdwn."""
    row = catalog.rows()[0]
    choice = Choice(row.use_case.id, row.goal.id)
    card = blocks.build_recommendation(catalog, choice, advisor.why(catalog, choice))
    text = json.dumps(card.blocks, ensure_ascii=False)
    assert "*Events to track:* `" in text and "*Tracking plan*" in text
    help_ = json.dumps(blocks.build_help(catalog).blocks, ensure_ascii=False)
    assert "<https://" in help_ and "`/usecase`" in help_


# --------------------------------------------------------------------------- 3b. the sandbox renders the same


@pytest.mark.browser
def test_the_sandbox_renders_a_quote_as_typed(renderer, catalog):  # noqa: F811 - the fixture
    """The sandbox's renderer (static/blockkit.js) agrees: the quoted words show as typed, with no
    bold, italic, strike, code or link made from them, while the bot's own code spans render."""
    message = blocks.build_no_match(catalog, TYPED)
    out = renderer.blocks(message.blocks)
    section = out.locator(".bk-section-text").first
    shown = section.inner_text()
    quoted = re.search("“([^”]*)”", shown).group(1)
    assert quoted.translate(READ_BACK) == blocks.unescape(as_typed(TYPED))
    assert section.locator("b, i, s, a").count() == 0
    assert section.locator("code").all_inner_texts() == [
        "@usecase-bot shoppers leave items in the cart",
        "/usecase",
    ]
    # without verbatim the renderer links a bare URL, as Slack would: the flag is what stops it
    plain_text = {"type": "mrkdwn", "text": "see https://evil.example/x"}
    assert renderer.blocks([{"type": "section", "text": plain_text}]).locator("a").count() == 1
    assert (
        renderer.blocks([{"type": "section", "text": {**plain_text, "verbatim": True}}]).locator("a").count()
        == 0
    )
