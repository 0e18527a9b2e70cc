"""A small client for Segment's Public API: create a tracking plan, then set its rules.

What it relies on, as Segment documents it:
- Base URL https://api.segmentapis.com (https://eu1.api.segmentapis.com for EU workspaces):
  segmentio/public-api-sdk-typescript, api/trackingPlansApi.ts (defaultBasePath) and
  api/apis.ts (configureEuApis).
- Authentication: "Configure the `Authorization` Header as a `Bearer Token` with the value of the
  newly generated Public API token" (https://www.twilio.com/docs/segment/api/public-api/,
  segment-docs src/api/public-api/index.md). Tokens are made in Settings > Workspace settings >
  Access Management > Tokens, by a Workspace Owner.
- "Create Tracking Plan": POST /tracking-plans with {name, description?, type}, type one of
  ENGAGE, LIVE, PROPERTY_LIBRARY, RULE_LIBRARY, TEMPLATE; the answer is
  {"data": {"trackingPlan": {"id", ...}}} (public-api-sdk-typescript, model/createTrackingPlanV1Input.ts,
  createTrackingPlan200Response.ts, createTrackingPlanV1Output.ts, trackingPlanV1.ts).
- "Replace Rules in Tracking Plan": PUT /tracking-plans/{trackingPlanId}/rules with {"rules": [...]}
  (api/trackingPlansApi.ts replaceRulesInTrackingPlan, model/replaceRulesInTrackingPlanV1Input.ts).
  Both need the workspace to have the Protocols feature (the endpoints' descriptions there), which
  is "available as an add-on for Business plans only" (segment-docs src/_data/products.yml).
- Errors (https://docs.segmentapis.com/tag/Error-Handling): 401 is a missing or invalid token, or
  one without permission for the resource; 404 a resource that does not exist; 422 invalid
  parameters; 429 too many requests; 5xx an internal failure. Error bodies are
  {"errors": [{"type", "message", ...}]}.
- Rate limits (https://docs.segmentapis.com/tag/Rate-Limits): a rate-limited request fails with 429,
  and its errors[].data.msBeforeNext says how many milliseconds until the limit lifts.

429 and 5xx answers are retried a bounded number of times, waiting what Retry-After says (seconds
or an HTTP date; anything else is ignored), else msBeforeNext, else an exponential backoff. The
token is sent only in the Authorization header: it never appears in a message this module makes.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlparse

from bot.retries import retry_after_seconds

DEFAULT_BASE_URL = "https://api.segmentapis.com"
EU_BASE_URL = "https://eu1.api.segmentapis.com"
TOKEN_ENV = "SEGMENT_PUBLIC_API_TOKEN"
URL_ENV = "SEGMENT_PUBLIC_API_URL"
TOKEN_HELP = "Settings > Workspace settings > Access Management > Tokens"

ATTEMPTS = 4  # one request and at most three retries
MAX_WAIT = 30.0  # seconds: the longest wait between two tries, whatever the answer asks for


class PublicAPIError(Exception):
    """A failure with one line that says what happened and what to do."""

    def __init__(self, message: str, status: int | None = None):
        self.status = status
        super().__init__(" ".join(str(message).split()))


class MissingToken(PublicAPIError):
    pass


class HalfCreatedPlan(PublicAPIError):
    """The tracking plan exists in Segment, but its rules could not be set."""

    def __init__(self, plan_id: str, cause: PublicAPIError):
        self.plan_id = plan_id
        self.cause = cause
        super().__init__(
            f"created tracking plan {plan_id} but setting its rules failed: {cause}; "
            f"set them again, or delete the plan in Segment (Protocols)",
            cause.status,
        )


@dataclass(frozen=True)
class CreatedPlan:
    id: str
    name: str
    rules: int


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the token to wherever it points: refuse it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class PublicAPI:
    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        attempts: int = ATTEMPTS,
        timeout: float = 30.0,
        max_wait: float = MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not token:
            raise MissingToken(
                f"{TOKEN_ENV} is not set: create a Public API token in Segment "
                f"({TOKEN_HELP}) and export it as {TOKEN_ENV}"
            )
        parts = urlparse(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise PublicAPIError(
                f"{URL_ENV} is not an http(s) URL: {base_url!r} (leave it unset for {DEFAULT_BASE_URL})"
            )
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.attempts = max(1, attempts)
        self.timeout = timeout
        self.max_wait = max_wait
        self._sleep = sleep
        self._opener = urllib.request.build_opener(_NoRedirects)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **options) -> PublicAPI:
        return cls(
            environ.get(TOKEN_ENV, "").strip(),
            environ.get(URL_ENV, "").strip() or DEFAULT_BASE_URL,
            **options,
        )

    def __repr__(self) -> str:
        return f"PublicAPI(base_url={self.base_url!r})"

    # ----------------------------------------------------------------------- the calls

    def create_tracking_plan(self, name: str, description: str = "") -> str:
        """POST /tracking-plans: a new LIVE tracking plan; its id."""
        body = {"name": name, "type": "LIVE"}
        if description:
            body["description"] = description
        answer = self._call("POST", "/tracking-plans", body, "create the tracking plan")
        plan_id = ((answer.get("data") or {}).get("trackingPlan") or {}).get("id")
        if not isinstance(plan_id, str) or not plan_id:
            raise PublicAPIError(
                "Segment's Public API answered the tracking plan's creation without "
                "its id: check it in Segment (Protocols) before trying again"
            )
        return plan_id

    def replace_rules(self, plan_id: str, rules: list[dict]) -> None:
        """PUT /tracking-plans/{id}/rules: the plan's rules become exactly these."""
        self._call(
            "PUT",
            f"/tracking-plans/{quote(plan_id, safe='')}/rules",
            {"rules": rules},
            f"set the rules of tracking plan {plan_id}",
            plan_id=plan_id,
        )

    def create_plan(self, name: str, description: str, rules: list[dict]) -> CreatedPlan:
        """Create a tracking plan, then set its rules; HalfCreatedPlan when only the first worked."""
        plan_id = self.create_tracking_plan(name, description)
        try:
            self.replace_rules(plan_id, rules)
        except PublicAPIError as exc:
            raise HalfCreatedPlan(plan_id, exc) from None
        return CreatedPlan(plan_id, name, len(rules))

    # ----------------------------------------------------------------------- HTTP

    def _call(self, method: str, path: str, body: dict, doing: str, plan_id: str | None = None) -> dict:
        url = self.base_url + path
        data = json.dumps(body).encode("utf-8")
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(
                url,
                data=data,
                method=method,
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "User-Agent": "usecase-bot",
                },
            )
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    return self._json(response.read())
            except urllib.error.HTTPError as exc:
                status, headers = exc.code, exc.headers
                try:
                    answer = self._json(exc.read())
                except OSError:
                    answer = {}
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", None) or exc
                raise PublicAPIError(
                    self._scrub(
                        f"cannot reach Segment's Public API at {self.base_url} to {doing}: {reason}; "
                        f"check {URL_ENV} and the network"
                    )
                ) from None
            retriable = status == 429 or 500 <= status <= 599
            if retriable and attempt < self.attempts:
                self._sleep(self._wait(headers, answer, attempt))
                continue
            raise self._error(status, answer, doing, attempt, plan_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, headers, answer: dict, attempt: int) -> float:
        """How long to wait before the next try: Retry-After, else msBeforeNext, else backoff."""
        wait = retry_after_seconds(headers.get("Retry-After") if headers is not None else None)
        if wait is None:
            wait = _ms_before_next(answer)
        if wait is None:
            wait = 2.0 ** (attempt - 1)  # 1, 2, 4 seconds
        return min(max(wait, 0.0), self.max_wait)

    def _error(
        self, status: int, answer: dict, doing: str, attempts: int, plan_id: str | None
    ) -> PublicAPIError:
        said = _first_error_message(answer)
        detail = f" (Segment says: {said})" if said else ""
        if status == 401:
            text = (
                f"Segment's Public API did not accept the token (401 Unauthorized) to {doing}: "
                f"check that {TOKEN_ENV} holds a current Public API token of this workspace "
                f"({TOKEN_HELP})"
            )
        elif status == 403:
            text = (
                f"Segment's Public API forbids this token to {doing} (403 Forbidden){detail}: "
                f"give the token Workspace Owner access, and check that the workspace has "
                f"Protocols, which tracking plans need"
            )
        elif status == 404 and plan_id is not None:
            text = (
                f"tracking plan {plan_id} was not found (404 Not Found) when trying to {doing}: "
                f"it may have been deleted in Segment"
            )
        elif status == 404:
            text = (
                f"Segment's Public API at {self.base_url} has no such endpoint (404 Not Found) "
                f"to {doing}: check {URL_ENV} ({DEFAULT_BASE_URL}, or {EU_BASE_URL} for an EU "
                f"workspace)"
            )
        elif status == 429:
            text = (
                f"Segment's Public API is rate-limiting these requests (429 Too Many Requests), "
                f"still after {attempts} tries to {doing}: wait a minute, then run it again"
            )
        elif 500 <= status <= 599:
            text = (
                f"Segment's Public API failed ({status}) {attempts} times trying to {doing}"
                f"{detail}: try again in a few minutes"
            )
        elif 300 <= status <= 399:
            text = (
                f"Segment's Public API answered {status} (a redirect) to {doing}; the token is not "
                f"sent on: check {URL_ENV}"
            )
        else:
            text = f"Segment's Public API refused to {doing} ({status}){detail}"
        return PublicAPIError(self._scrub(text), status)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "[token]") if self._token else text

    @staticmethod
    def _json(raw: bytes) -> dict:
        try:
            value = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}


def _ms_before_next(answer: dict) -> float | None:
    for error in answer.get("errors") or []:
        data = error.get("data") if isinstance(error, dict) else None
        ms = data.get("msBeforeNext") if isinstance(data, dict) else None
        if isinstance(ms, (int, float)) and not isinstance(ms, bool) and math.isfinite(ms):
            return ms / 1000.0
    return None


def _first_error_message(answer: dict) -> str:
    for error in answer.get("errors") or []:
        message = error.get("message") if isinstance(error, dict) else None
        if isinstance(message, str) and message.strip():
            text = "".join(ch if ch.isprintable() else " " for ch in message)
            return " ".join(text.split())[:200]
    return ""
