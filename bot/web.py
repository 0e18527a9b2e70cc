"""The HTTP endpoint as a WSGI app: POST /slack/events for Slack, GET /healthz for operators
(and, given `routes`, the OAuth pages: bot.oauth.routes).

A request that cannot be parsed is answered 401 when its signature is wrong (so an unsigned
stranger learns nothing) and 400 when it is signed but malformed; never a 500. Malformed is
decided here, before Bolt: a JSON text (the body, or an interaction's `payload` field) deeper or
bigger than Slack sends (bot.bounded) is refused before it is parsed, and a parsed body that
Bolt could not route (bot.listeners.payload.malformed: `actions` not a list, an action without
an action_id, no `type`, …) is refused with one line in the log instead of a traceback.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.request.internals import build_context

from bot import signing
from bot.bounded import json_within
from bot.listeners.payload import malformed

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1 << 20  # Slack's payloads are far smaller; anything bigger is not from Slack

log = logging.getLogger("usecase_bot.web")

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def make_wsgi_app(app: App, signing_secret: str, *, routes: dict | None = None, health=None):
    """`routes`: path -> handler(environ) -> BoltResponse; `health()`: False when the database
    is unreachable (then /healthz answers 503)."""
    routes = routes or {}

    def wsgi(environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return _reply(start_response, 405, {"error": "use GET"})
            if health is not None:
                reachable = health()
                status = {"ok": reachable, "database": "reachable" if reachable else "unreachable"}
                return _reply(start_response, 200 if reachable else 503, status)
            return _reply(start_response, 200, {"ok": True})
        if path in routes:
            return _bolt_reply(start_response, routes[path](environ), as_is=True)
        if path != EVENTS_PATH:
            return _reply(start_response, 404, {"error": "not found"})
        if method != "POST":
            return _reply(start_response, 405, {"error": "use POST"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _reply(start_response, 411, {"error": "bad Content-Length"})
        if length > MAX_BODY or length < 0:
            return _reply(start_response, 413, {"error": "request too large"})
        raw = environ["wsgi.input"].read(length) if length else b""
        headers = _headers(environ)
        if not signing.verify_headers(signing_secret, raw, headers):
            return _reply(start_response, 401, {"error": "invalid request"})
        try:
            request = slack_request(
                raw.decode("utf-8"), headers, query=dict(parse_qsl(environ.get("QUERY_STRING") or ""))
            )
            response = app.dispatch(request)
        except Malformed as exc:
            log.warning("malformed request refused: %s", exc)
            return _reply(start_response, 400, {"error": "malformed request"})
        except Exception as exc:  # noqa: BLE001 - a signed body Bolt cannot read is malformed input
            log.warning("malformed request refused: %s", type(exc).__name__)
            return _reply(start_response, 400, {"error": "malformed request"})
        return _bolt_reply(start_response, response)

    return wsgi


class Malformed(ValueError):
    """A signed request body that is not one Slack sends (the reason is the message)."""


def slack_request(body: str, headers: dict[str, str], query: dict | None = None) -> BoltRequest:
    """A BoltRequest for a request body, read here rather than by Bolt (read_body), then checked
    (bot.listeners.payload.malformed); raises Malformed. The body is read as Bolt reads it, with
    one misreading of Bolt's mended: a form body that merely contains the word "payload"
    (`/usecase where does the payload go`) is read by Bolt as an interaction without its
    payload, i.e. as nothing; it is the slash command it is."""
    request = BoltRequest(body="", query=query, headers={k: [v] for k, v in headers.items()})
    parsed = read_body(body, request.content_type)
    problem = malformed(parsed)
    if problem is not None:
        raise Malformed(problem)
    request.raw_body = body  # what Bolt's own signature check reads
    request.body = parsed
    request.context = build_context(BoltContext({}), parsed)
    return request


def read_body(body: str, content_type: str | None):
    """A request body as Bolt reads one (JSON, a form's `payload` field as JSON, or form fields),
    its JSON measured before it is parsed (bot.bounded); raises Malformed."""
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        text = body
    else:
        fields = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in fields:
            return fields  # a slash command, or Slack's SSL check
        text = fields["payload"]
    if not json_within(text):
        raise Malformed("JSON nested deeper or bigger than Slack sends")
    try:
        return json.loads(text)
    except ValueError:
        raise Malformed("not JSON") from None


def _headers(environ) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _reply(start_response, status: int, payload: dict):
    body = json.dumps(payload).encode()
    start_response(
        f"{status} {_REASONS.get(status, '')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _bolt_reply(start_response, response: BoltResponse, as_is: bool = False):
    status = response.status
    if status >= 500 and not as_is:  # Bolt answers 500 only when it could not read the request
        return _reply(start_response, 400, {"error": "malformed request"})
    body = response.body.encode("utf-8") if isinstance(response.body, str) else (response.body or b"")
    headers = [
        (k, v) for k, values in response.headers.items() for v in values if k.lower() != "content-length"
    ]
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} {_REASONS.get(status, '')}", headers)
    return [body]
