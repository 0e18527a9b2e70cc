"""The sandbox as `usecase-bot run --mode sandbox` serves it, in this process, for the browser tests,
and a handle on the Block Kit renderer (static/blockkit.js) in a page."""

from __future__ import annotations

import os
import secrets

from slack_bolt import BoltRequest

from bot.app import Identity, build_app
from bot.sandbox.people import SlackSide
from bot.sandbox.server import SlackStandIn
from bot.settings import Settings
from tests.support.processes import free_port


def require_browser() -> bool:
    return os.environ.get("USECASE_REQUIRE_BROWSER") == "1"


CONTROL_IMAGE = """
() => new Promise((resolve) => {
  const probe = document.createElement('img');
  probe.style.display = 'none';
  probe.addEventListener('error', () => { probe.remove(); resolve(true); });
  probe.addEventListener('load', () => { probe.remove(); resolve(true); });
  probe.src = 'x?control-image=' + Date.now();  // the sandbox answers 404: an image that fails
  document.body.append(probe);
})
"""


def is_control_image(url: str) -> bool:
    """The control image's 404 (the one console error that is expected)."""
    return "?control-image=" in url


def images_have_failed(page) -> None:
    """A positive signal instead of a sleep: an image the test adds itself, which fails to load
    exactly as an injected `<img src=x onerror=…>` would, has fired its error event. An image
    the page was given before it has had the same time to fire its own."""
    assert page.evaluate(CONTROL_IMAGE) is True


class Sandbox:
    """What `usecase-bot run --mode sandbox` serves, on a free port, in this process."""

    def __init__(self, catalog, matcher=None):
        self.stand_in = SlackStandIn("127.0.0.1", free_port())
        self.workspace = workspace = self.stand_in.workspace
        secret = secrets.token_hex(16)
        settings = Settings(
            mode="sandbox",
            bot_token="xoxb-sandbox",
            signing_secret=secret,
            api_url=self.stand_in.api_url,
            threads=8,
        )
        identity = Identity(team_id=workspace.team_id, user_id=workspace.bot_user_id, bot_id=workspace.bot_id)
        self.app = build_app(settings, catalog, identity=identity, matcher=matcher)
        self.stand_in.people = SlackSide(workspace, self.dispatch, secret, self.stand_in.base_url)
        self.url = self.stand_in.base_url + "/"
        self.stand_in.start()

    def dispatch(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        response = self.app.dispatch(
            BoltRequest(body=body.decode("utf-8"), headers={k: [v] for k, v in headers.items()})
        )
        return response.status, response.body

    def stop(self) -> None:
        self.stand_in.stop()


# A DOM subtree as compact, attribute-free markup (href kept), to compare with expectations;
# text is written as in HTML: "&amp;" is a literal "&" on screen, "&lt;b&gt;" a literal "<b>".
SIMPLIFY = """
(node) => {
  const walk = (n) => {
    if (n.nodeType === Node.TEXT_NODE) {
      return n.data.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    }
    if (n.nodeType !== Node.ELEMENT_NODE && n.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return '';
    const inner = Array.from(n.childNodes).map(walk).join('');
    if (n.nodeType === Node.DOCUMENT_FRAGMENT_NODE) return inner;
    const tag = n.tagName.toLowerCase();
    const href = n.getAttribute('href');
    return tag === 'br' ? '<br>' : `<${tag}${href ? ` href="${href}"` : ''}>${inner}</${tag}>`;
  };
  return walk(node);
}
"""


class Renderer:
    def __init__(self, page, errors):
        self.page = page
        self.errors = errors

    def blocks(self, blocks: list):
        """Render blocks into #out (replacing what was there); returns the .bk-blocks locator."""
        self.page.evaluate(
            """(blocks) => {
                 window.__actions = [];
                 const out = document.getElementById('out');
                 out.replaceChildren(window.BlockKit.renderBlocks(blocks, {
                   users: {U0BOT1234: 'usecase-bot'},
                   onAction: (action) => window.__actions.push(action),
                 }));
               }""",
            blocks,
        )
        return self.page.locator("#out > .bk-blocks")

    def mrkdwn(self, text: str) -> str:
        return self.page.evaluate(
            f"(text) => ({SIMPLIFY})(window.BlockKit.renderMrkdwn(text, {{users: {{U0BOT1234: 'usecase-bot'}}}}))",
            text,
        )

    def simplified(self, locator) -> str:
        return locator.evaluate(SIMPLIFY)

    def actions(self) -> list[dict]:
        return self.page.evaluate("window.__actions")
