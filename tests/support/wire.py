"""The HTTP endpoint as production serves it, called as a WSGI callable, for the hostile-input tests.

`Wire` wraps `bot.web.make_wsgi_app(build_app(...), secret)` over a loopback SlackStandIn: it builds
the WSGI environ by hand, counts an exception from the callable as the 500 any WSGI server would
answer, waits for the work after each ack through a counting thread pool (tests/support/jobs.py),
collects errors the bot logs, and checks what the bot sent: escaped, within Slack's limits.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
import traceback
from dataclasses import dataclass

from bot import signing
from bot.app import build_app
from bot.dedupe import MemorySeenOnce
from bot.sandbox.people import SlackSide
from bot.sandbox.workspace import CHANNEL_ID, HUMAN_ID
from bot.web import EVENTS_PATH, HEALTH_PATH, make_wsgi_app
from tests.support.blockkit import block_kit_problems
from tests.support.harness import SECRET, identity_of, make_settings
from tests.support.jobs import JOB_TIMEOUT, track_background_work

FALLBACK_TEXT_KEEP = 4_000  # facts.md §c: keep the top-level text at or below this
SENT = ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url")
CHOOSER_TEXT = "What is your main business goal?"

# Slack markup that pings, links or renders when it reaches mrkdwn unescaped
MARKUP = re.compile(r"<(?:[!#@]|https?:|mailto:)", re.IGNORECASE)
BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")

BOT_LOG = "usecase_bot"  # every error logged under it is a crash (malformed input is refused before Bolt)


@dataclass
class Answer:
    """What a WSGI server would send back for one request."""

    status: int
    body: bytes
    headers: list
    error: str | None = None  # the traceback when the WSGI app raised (a server answers 500)

    def describe(self) -> str:
        return f"HTTP {self.status} {self.body[:300]!r}" + (f"\n{self.error}" if self.error else "")


def sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Slack's v0 signature: HMAC-SHA256 over "v0:<ts>:" and the raw body, byte for byte."""
    return signing.sign(secret, body, timestamp)


def now() -> str:
    return str(int(time.time()))


class _CrashLog(logging.Handler):
    """Errors the bot logs: a listener (or its work) that raised, or Bolt failing on a body the
    bot let through. The person then gets nothing."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.crashes: list[str] = []
        self._lock_ = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        with self._lock_:
            self.crashes.append(message)

    def take(self) -> list[str]:
        with self._lock_:
            taken, self.crashes = self.crashes, []
        return taken


class Wire:
    """The production WSGI app over a Slack stand-in, and ways to read what the bot sent."""

    def __init__(self, stand_in, catalog, validator, monkeypatch, budgets: dict[str, int], matcher=None):
        self.stand_in = stand_in
        self.budgets = budgets  # generated cases each test must run
        self.workspace = stand_in.workspace
        self.catalog = catalog
        self.validator = validator
        self.jobs = track_background_work(monkeypatch)  # the pool build_app makes, to wait on
        self.app = build_app(
            make_settings(stand_in.api_url),
            catalog,
            identity=identity_of(self.workspace),
            seen=MemorySeenOnce(),
            matcher=matcher,
        )
        self.jobs.expect_pool()
        self.wsgi = make_wsgi_app(self.app, SECRET)
        self.crash_log = _CrashLog()
        logging.getLogger(BOT_LOG).addHandler(self.crash_log)
        self.slack = SlackSide(self.workspace, self._dispatch, SECRET, stand_in.base_url)
        self.examples: dict[str, int] = {}
        self._schema_verdicts: dict[str, list[str]] = {}  # the same blocks get the same verdict

    def close(self) -> None:
        logging.getLogger(BOT_LOG).removeHandler(self.crash_log)
        try:
            self.jobs.drain(5)
        except AssertionError:
            pass

    # -------------------------------------------------------------- requests

    def request(
        self,
        body: bytes,
        *,
        content_type: str | None = "application/json",
        headers: dict[str, str] | None = None,
        method: str = "POST",
        path: str = EVENTS_PATH,
        content_length: str | None = None,
    ) -> Answer:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "3000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)) if content_length is None else content_length,
        }
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        started: dict = {}

        def start_response(status, response_headers, exc_info=None):
            started["status"], started["headers"] = status, response_headers
            return lambda data: None

        try:
            result = self.wsgi(environ, start_response)
            try:
                data = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:  # noqa: BLE001 - what a WSGI server turns into a 500
            return Answer(500, b"", [], traceback.format_exc())
        status = started["status"]
        assert re.fullmatch(r"\d{3} .*", status), f"malformed status line {status!r}"
        return Answer(int(status[:3]), data, started["headers"])

    def signed(
        self,
        body: bytes,
        content_type: str | None,
        *,
        timestamp: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> Answer:
        ts = now() if timestamp is None else timestamp
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(body, ts), **(extra or {})}
        return self.request(body, content_type=content_type, headers=headers)

    def _dispatch(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """SlackSide's way in: the same WSGI app, headers as Slack sends them."""
        headers = dict(headers)
        content_type = headers.pop("content-type", None)
        answer = self.request(body, content_type=content_type, headers=headers)
        assert answer.error is None, answer.describe()
        return answer.status, answer.body.decode("utf-8")

    def response_url(self, channel: str = CHANNEL_ID, user: str = HUMAN_ID) -> str:
        return self.workspace.new_response_url(self.stand_in.base_url, channel, user)

    # -------------------------------------------------------------- reading

    def call_mark(self) -> int:
        return len(self.workspace.calls)

    def sent_since(self, mark: int) -> list[tuple[str, dict]]:
        """Every message the bot sent since `mark`, once the work after the acks is done."""
        self.jobs.drain()
        return [(name, params) for name, params in list(self.workspace.calls)[mark:] if name in SENT]

    def message_mark(self) -> int:
        return len(self.workspace.snapshot())

    def wait_for_bot_message(
        self,
        contains: str,
        *,
        after: int,
        channel: str = CHANNEL_ID,
        ephemeral: bool | None = None,
        timeout: float = JOB_TIMEOUT,
    ):
        def found(ws):
            for m in ws.snapshot()[after:]:
                if (
                    m.user == ws.bot_user_id
                    and m.channel == channel
                    and contains in m.text
                    and (ephemeral is None or m.ephemeral == ephemeral)
                ):
                    return m
            return None

        return self.workspace.wait_for(found, timeout)

    def crashes(self) -> list[str]:
        self.jobs.drain()
        return self.crash_log.take()

    # -------------------------------------------------------------- properties shared by tests

    def assert_still_serving(self) -> None:
        """Property 4: the process is alive and a normal /usecase still works."""
        self.jobs.drain()
        health = self.request(b"", content_type=None, method="GET", path=HEALTH_PATH)
        assert health.status == 200, health.describe()
        mark = self.message_mark()
        calls = self.call_mark()
        assert self.slack.slash(CHANNEL_ID, "").status == 200
        chooser = self.wait_for_bot_message(CHOOSER_TEXT, after=mark, ephemeral=False)
        assert chooser is not None, "a normal /usecase no longer posts the goal chooser"
        assert any(name == "chat.postMessage" for name, _ in list(self.workspace.calls)[calls:])

    def count(self, name: str) -> None:
        self.examples[name] = self.examples.get(name, 0) + 1

    def assert_ran(self, name: str) -> None:
        ran = self.examples.get(name, 0)
        assert ran >= self.budgets[name], (
            f"Hypothesis ran {ran} cases of {name}, the budget is {self.budgets[name]}"
        )

    def allowed_tokens(self, user_ids) -> list[str]:
        """Markup the bot writes itself: mentions of the person who acted, and its own links."""
        tokens = [f"<@{u}>" for u in user_ids if isinstance(u, str) and u.isalnum()]
        urls = list(self.catalog.guide.docs.values()) + [
            uc.docs_url for uc in self.catalog.use_cases.values()
        ]
        steps, onboarding = self.catalog.next_steps, self.catalog.guide.onboarding
        if steps:
            urls += list(steps.reference_sections.values()) + [a.docs_url for a in steps.add_ons]
            urls += [tool.url for tools in steps.destination_examples.values() for tool in tools]
        if onboarding and onboarding.setup_url:
            urls.append(onboarding.setup_url)
        lexicon = self.catalog.lexicon  # support questions are answered with a link to the docs
        urls += [lexicon.docs_home] if lexicon.docs_home else []
        urls += [topic.docs_url for topic in lexicon.support]
        # chat.getPermalink's answers, from the stand-in: a shared post links back to its thread
        return tokens + [f"<{url}|" for url in urls] + ["<https://sandbox.slack.local/archives/"]

    def message_problems(self, text, message_blocks, user_ids) -> list[str]:
        """Why Slack would refuse this message, or why a person's markup would come alive."""
        if isinstance(message_blocks, str):
            message_blocks = json.loads(message_blocks)
        message_blocks = message_blocks or []
        key = json.dumps(message_blocks, sort_keys=True)
        if key not in self._schema_verdicts:
            self._schema_verdicts[key] = list(block_kit_problems(self.validator, message_blocks))
        problems = list(self._schema_verdicts[key])
        if not isinstance(text, str) or not text.strip():
            problems.append(f"no text fallback: {text!r}")
        elif len(text) > FALLBACK_TEXT_KEEP:
            problems.append(f"text fallback of {len(text)} characters")
        problems += markup_problems(
            text if isinstance(text, str) else "", message_blocks, self.allowed_tokens(user_ids)
        )
        return problems


def _displayed(node, mrkdwn: list[str], plain: list[str]) -> None:
    """Collect the strings Slack shows: text objects, labels and alt texts (not values or urls)."""
    if isinstance(node, list):
        for item in node:
            _displayed(item, mrkdwn, plain)
    elif isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            (mrkdwn if node["type"] == "mrkdwn" else plain).append(node["text"])
        for key, value in node.items():
            if key in ("accessibility_label", "alt_text", "title") and isinstance(value, str):
                plain.append(value)
            elif isinstance(value, (dict, list)):
                _displayed(value, mrkdwn, plain)


def markup_problems(text: str, message_blocks: list, allowed: list[str]) -> list[str]:
    mrkdwn, plain = [], []
    _displayed(message_blocks, mrkdwn, plain)
    problems = []
    for where, strings in (("text", [text]), ("mrkdwn", mrkdwn), ("plain_text", plain)):
        for s in strings:
            stripped = s
            for token in allowed:
                stripped = stripped.replace(token, "")
            found = MARKUP.search(stripped)
            if found:
                start = max(0, found.start() - 40)
                problems.append(f"unescaped markup in {where}: …{stripped[start : found.start() + 60]!r}…")
    for s in mrkdwn:  # in mrkdwn every & must begin an entity: everything shown there is escaped
        found = BARE_AMPERSAND.search(s)
        if found:
            problems.append(f"bare & in mrkdwn: …{s[max(0, found.start() - 40) : found.start() + 40]!r}…")
    return problems
