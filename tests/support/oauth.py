"""A person installing the app, as a browser and Slack would do it: open /slack/install, follow
"Add to Slack" (Slack's authorize page is played by FakeWebApi.grant: the person allows, Slack
redirects back with a one-time code and the state), and land on /slack/oauth_redirect.

`Browser` keeps the cookies one browser would (per host, as the bot sets them) and talks either to
a WSGI callable in-process or to a running server over HTTP.
"""

from __future__ import annotations

import html
import io
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "1234567890.9876543210"
CLIENT_SECRET = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"  # for tests only
STATE_COOKIE = "slack-app-oauth-state"


@dataclass
class Page:
    status: int
    headers: dict[str, list[str]]  # lower-case names
    body: str

    @property
    def title(self) -> str:
        found = re.search(r"<h1>(.*?)</h1>", self.body, re.S)
        return html.unescape(found.group(1)) if found else ""

    @property
    def text(self) -> str:
        """What a person reads: the page without its markup and style."""
        body = re.sub(r"<(style|title)>.*?</\1>", " ", self.body, flags=re.S)
        body = re.sub(r"</?(?:p|h1|div|br)\b[^>]*>", " ", body)
        return " ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split())

    def link(self, label: str) -> str:
        for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', self.body, re.S):
            if html.unescape(re.sub(r"<[^>]+>", "", text)).strip() == label:
                return html.unescape(href)
        raise AssertionError(f"no link {label!r} on the page: {self.text[:300]}")


class Browser:
    """One person's browser: its cookies, and GET requests to the bot."""

    def __init__(self, target):
        """`target`: a WSGI callable (in-process), or a base URL such as http://127.0.0.1:PORT."""
        self.target = target
        self.cookies: dict[str, str] = {}

    def get(self, path: str, query: dict | None = None, *, target=None) -> Page:
        target = target if target is not None else self.target
        query_string = urlencode(query or {})
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if callable(target):
            page = _wsgi_get(target, path, query_string, headers)
        else:
            page = _http_get(
                target.rstrip("/") + path + (f"?{query_string}" if query_string else ""), headers
            )
        for cookie in page.headers.get("set-cookie", []):
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Expires=Thu, 01 Jan 1970" in cookie or "Max-Age=0" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return page

    def start_install(self, target=None) -> tuple[Page, str]:
        """Open the install page; the state its "Add to Slack" link carries."""
        page = self.get("/slack/install", target=target)
        assert page.status == 200, (page.status, page.text[:300])
        link = page.link("Add to Slack")
        state = parse_qs(urlsplit(link).query)["state"][0]
        return page, state

    def finish_install(self, code: str, state: str, target=None) -> Page:
        """Slack sends the browser back to the redirect URL with the code and the state."""
        return self.get("/slack/oauth_redirect", {"code": code, "state": state}, target=target)


def install(browser: Browser, api, team_id: str | None = None, team_name: str = "Sandbox") -> Page:
    """The whole install, on the browser's target: the page it ends on."""
    _, state = browser.start_install()
    return browser.finish_install(api.grant(team_id=team_id, team_name=team_name), state)


def _wsgi_get(wsgi, path: str, query_string: str, headers: dict[str, str]) -> Page:
    return wsgi_call(wsgi, "GET", path, query_string=query_string, headers=headers)


def wsgi_call(
    wsgi, method: str, path: str, body: bytes = b"", *, query_string: str = "", headers: dict | None = None
) -> Page:
    """One request to a WSGI callable, as a server would make it."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query_string,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in (headers or {}).items():
        if name.lower() == "content-type":
            environ["CONTENT_TYPE"] = value
        else:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), response_headers

    body = b"".join(wsgi(environ, start_response)).decode("utf-8")
    collected: dict[str, list[str]] = {}
    for name, value in answer["headers"]:
        collected.setdefault(name.lower(), []).append(value)
    return Page(answer["status"], collected, body)


def _http_get(url: str, headers: dict[str, str]) -> Page:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers=headers)
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as exc:
        response = exc
    with response:
        collected: dict[str, list[str]] = {}
        for name, value in response.headers.items():
            collected.setdefault(name.lower(), []).append(value)
        return Page(response.status, collected, response.read().decode("utf-8", "replace"))
