"""Installable by any workspace: Bolt's OAuth flow over the bot's database, and its pages.

With SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET set, HTTP mode serves
`GET /slack/install` (an "Add to Slack" page whose link carries a fresh `state`, also set in a
cookie) and `GET /slack/oauth_redirect` (Slack sends the installer back there with a code; the
bot exchanges it through `oauth.v2.access`, stores the installation and says so, or says what
went wrong and what to do). Every request from Slack is then answered with the token of the
workspace it came from.

Built from Bolt's `OAuthSettings`/`OAuthFlow` and slack_sdk's SQLAlchemy stores, with these
changes of our own:
- tokens are encrypted at rest when USECASE_TOKEN_KEY is set (bot.tokens);
- an OAuth state is consumed by one atomic DELETE, so a state replayed on two hosts at once is
  accepted once;
- token rotation: a token near its expiry is refreshed under a per-workspace lock held across
  hosts (bot.storage.Database.lock), and re-read inside it, so a refresh token is spent once;
- every Web API call, the token refresh included, goes to SLACK_API_URL (Bolt's own authorize
  would refresh through a client of its own, pointed at slack.com);
- `app_uninstalled` and `tokens_revoked` delete the workspace's rows: its installations and bots
  and the feedback it gave.
"""

from __future__ import annotations

import html
import logging
import time
from collections import OrderedDict
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import sqlalchemy as sa
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.settings import Settings
from bot.storage import Database, feedback_sink, install_feedback_recorder, retrying
from bot.tokens import TokenCipher
from bot.webapi import build_client

log = logging.getLogger("usecase_bot.oauth")

# The bot scopes the app asks for: the same as manifest.yml's and manifest.distribution.yml's
# (tests/test_manifest.py checks all three agree).
BOT_SCOPES = (
    "commands",
    "app_mentions:read",
    "chat:write",
    "im:history",
    "channels:history",
    "groups:history",
    "files:write",
    "im:write",
    "assistant:write",
    "users:read",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an "Add to Slack" link is good for ten minutes
ROTATION_MINUTES = 120  # refresh a rotating token when it has less than this to live
NOT_INSTALLED = (
    ":warning: Use Case Advisor is not installed in this workspace any more. Ask whoever runs it for "
    "its install link (/slack/install) to add it again."
)
_TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


# ------------------------------------------------------------------ the stores


class InstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy store over the bot's tables, its tokens sealed at rest, and the
    workspace's rows removed when it uninstalls the app or revokes the bot's token."""

    def __init__(self, client_id: str, db: Database, cipher: TokenCipher):
        # each of its statements stands alone (slack_sdk's reads and writes are one statement each,
        # or a select and then a write that no transaction would make safer): the quick engine
        super().__init__(client_id=client_id, engine=db.quick, logger=logging.getLogger("usecase_bot.oauth"))
        self.db = db
        self.cipher = cipher

    # each read and write tried once more on a connection found dead (bot.storage.retry_once)
    find_bot = retrying(SQLAlchemyInstallationStore.find_bot)
    _find = retrying(SQLAlchemyInstallationStore.find_installation)

    def find_installation(self, *, enterprise_id, team_id, user_id=None, is_enterprise_install=False):
        """The workspace's latest installation. Asked for one person's (Bolt asks, for each
        request from someone other than the installer, to find their user token): there are
        none, this app asks for no user scopes, so no second query per request."""
        if user_id is not None:
            return None
        return self._find(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )

    @retrying
    def save(self, installation: Installation):
        sealed = Installation(**installation.to_dict_for_copying())
        for field in _TOKEN_FIELDS:
            setattr(sealed, field, self.cipher.seal(getattr(installation, field)))
        super().save(sealed)  # which saves the bot too, through save_bot

    def save_bot(self, bot: Bot):
        sealed = Bot(**bot.to_dict_for_copying())
        sealed.bot_token = self.cipher.seal(bot.bot_token)
        sealed.bot_refresh_token = self.cipher.seal(bot.bot_refresh_token)
        super().save_bot(sealed)

    def build_installation_entity(self, row) -> Installation:  # slack_sdk calls it on self
        values = dict(row)
        for field in _TOKEN_FIELDS:
            values[field] = self.cipher.open(values.get(field))
        return super().build_installation_entity(values)

    def build_bot_entity(self, row) -> Bot:
        values = dict(row)
        values["bot_token"] = self.cipher.open(values.get("bot_token"))
        values["bot_refresh_token"] = self.cipher.open(values.get("bot_refresh_token"))
        return super().build_bot_entity(values)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The bot's token was revoked: its installations hold the same token, so they go too
        (this app installs a bot only; there are no user tokens to keep)."""
        super().delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        super().delete_installation(enterprise_id=enterprise_id, team_id=team_id)
        log.info("tokens revoked: removed the installation of team %s", team_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        super().delete_all(enterprise_id=enterprise_id, team_id=team_id)
        self.db.forget_team(enterprise_id=enterprise_id, team_id=team_id)
        log.info("app uninstalled: removed the installation and feedback of team %s", team_id)

    def teams(self) -> list[str]:
        """The team ids with an installation (for `usecase-bot db status`)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(self.installations.c.team_id)
                .where(self.installations.c.client_id == self.client_id)
                .distinct()
            )
            return sorted(r[0] or "" for r in rows)


class StateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's SQLAlchemy state store, consuming a state with one atomic DELETE … RETURNING:
    of two hosts given the same state at once, one wins."""

    def __init__(self, db: Database, expiration_seconds: int = STATE_SECONDS):
        super().__init__(
            expiration_seconds=expiration_seconds,
            engine=db.engine,
            logger=logging.getLogger("usecase_bot.oauth"),
        )

    @retrying
    def issue(self, *args, **kwargs) -> str:
        with self.engine.begin() as conn:  # the expired ones go as new ones come
            now = normalize_datetime_for_db(datetime.now(tz=UTC))
            conn.execute(self.oauth_states.delete().where(self.oauth_states.c.expire_at < now))
        return super().issue(*args, **kwargs)

    @retrying
    def consume(self, state: str) -> bool:
        if not isinstance(state, str) or not state or len(state) > 200:
            return False
        now = normalize_datetime_for_db(datetime.now(tz=UTC))
        c = self.oauth_states.c
        with self.engine.begin() as conn:
            row = conn.execute(
                self.oauth_states.delete().where(c.state == state, c.expire_at > now).returning(c.id)
            ).first()
        return row is not None


# ------------------------------------------------------------------ authorize, with rotation under a lock


class _BoundedCache(OrderedDict):
    """Bolt's per-token cache of auth.test answers, kept to the most recent entries (a rotated
    token is a new key every twelve hours)."""

    LIMIT = 2000

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        while len(self) > self.LIMIT:
            self.popitem(last=False)


class Authorize(InstallationStoreAuthorize):
    """Bolt's authorize over the installations, with its token rotation done under a lock per
    workspace (across hosts), re-reading the installation inside the lock: whoever waited finds
    the token the first one got, and the refresh token is spent once."""

    def __init__(self, *, db: Database, **kwargs):
        super().__init__(**kwargs)
        self.db = db
        self.cache_enabled = True  # auth.test once per token, not once per request
        self.authorize_result_cache = _BoundedCache()

    def _expiring(self, installation: Installation) -> bool:
        soon = time.time() + self.token_rotation_expiration_minutes * 60
        return any(
            expires is not None and refresh is not None and expires <= soon
            for expires, refresh in (
                (installation.bot_token_expires_at, installation.bot_refresh_token),
                (installation.user_token_expires_at, installation.user_refresh_token),
            )
        )

    def _rotate_and_save_tokens_if_necessary(self, installation: Installation | None) -> Installation | None:
        if installation is None or not self._expiring(installation):
            return None
        with self.db.lock(f"token-rotation:{installation.enterprise_id}:{installation.team_id}"):
            current = self.installation_store.find_installation(
                enterprise_id=installation.enterprise_id,
                team_id=installation.team_id,
                is_enterprise_install=installation.is_enterprise_install,
            )
            if current is None:
                return None  # uninstalled meanwhile
            if not self._expiring(current):
                return current  # refreshed by another request, here or on another host
            return super()._rotate_and_save_tokens_if_necessary(current)


# ------------------------------------------------------------------ the pages


PAGE_HEADERS = {
    "cache-control": ["no-store"],
    "content-security-policy": ["default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"],
    "x-content-type-options": ["nosniff"],
    "referrer-policy": ["no-referrer"],  # the redirect's URL holds the code and state
}


def _page(status: int, title: str, body: str, *, clear_state_cookie: bool = False) -> BoltResponse:
    text = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d1c1d;max-width:36rem;"
        "margin:4rem auto;padding:0 1rem}h1{font-size:1.5rem}"
        "a.button{display:inline-block;background:#4a154b;color:#fff;padding:.6rem 1.2rem;border-radius:6px;"
        "text-decoration:none;font-weight:600}p.small{color:#616061;font-size:.9rem}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )
    headers = {"content-type": ["text/html; charset=utf-8"], **PAGE_HEADERS}
    if clear_state_cookie:
        headers["set-cookie"] = [
            "slack-app-oauth-state=deleted; Secure; HttpOnly; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        ]
    return BoltResponse(status=status, body=text, headers=headers)


def install_page(url: str) -> str:
    return (
        "<p>Use Case Advisor helps your team choose the right Segment use case, in Slack: type "
        "<code>/usecase</code>, answer a few questions, and get the events to track and the sources "
        "and destinations to connect.</p>"
        f'<p><a class="button" href="{html.escape(url, quote=True)}">Add to Slack</a></p>'
        '<p class="small">Slack asks you to pick a workspace and allow the bot to read its mentions and '
        "direct messages and to post its answers. The link works once, for ten minutes, in this browser.</p>"
    )


class Flow(OAuthFlow):
    """Bolt's OAuth flow with the bot's own install page."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return _page(200, "Add Use Case Advisor to Slack", install_page(url)).body


_START_AGAIN = f'<p><a class="button" href="{INSTALL_PATH}">Start again</a></p>'
FAILURES = {
    "access_denied": (
        "Installation cancelled",
        "<p>You chose not to allow Use Case Advisor, so nothing was installed.</p>"
        "<p>To install it after all, start again and choose <b>Allow</b>.</p>" + _START_AGAIN,
    ),
    "invalid_browser": (
        "Installation not finished",
        "<p>This browser did not start the installation (or it blocks cookies), so the bot cannot tell "
        "that the link is yours. Nothing was installed.</p><p>Start again in this browser, with cookies "
        "allowed for this site.</p>" + _START_AGAIN,
    ),
    "invalid_state": (
        "This installation link has expired",
        "<p>The link was used already, or it is more than ten minutes old. Nothing was installed.</p>"
        "<p>Start again to get a fresh one.</p>" + _START_AGAIN,
    ),
    "missing_code": (
        "Installation not finished",
        "<p>Slack did not send the confirmation this page needs. Nothing was installed.</p>" + _START_AGAIN,
    ),
    "invalid_code": (
        "Slack did not confirm the installation",
        "<p>Slack refused the confirmation code (it is good once, for a few minutes). Nothing was "
        "installed.</p><p>Start again. If it keeps failing, tell whoever runs the bot: the server's log "
        "says what Slack answered, and SLACK_CLIENT_ID and SLACK_CLIENT_SECRET may be wrong.</p>"
        + _START_AGAIN,
    ),
    "storage_error": (
        "The installation could not be saved",
        "<p>Slack confirmed the installation, but the bot could not store it. Try again in a minute; if it "
        "keeps failing, tell whoever runs the bot (the server's log says why).</p>" + _START_AGAIN,
    ),
}


def success(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    team = installation.team_name or installation.enterprise_name or "your workspace"
    where = ""
    if installation.team_id and installation.app_id:
        link = f"slack://app?team={installation.team_id}&id={installation.app_id}"
        where = f'<p><a class="button" href="{html.escape(link, quote=True)}">Open Slack</a></p>'
    log.info("installed in team %s", installation.team_id)
    return _page(
        200,
        "Use Case Advisor is installed",
        f"<p>Use Case Advisor is now in <b>{html.escape(team)}</b>.</p>"
        "<p>In Slack, type <code>/usecase</code> in any channel, mention <code>@usecase-bot</code> in a "
        "channel it was invited to (<code>/invite @usecase-bot</code>), or open it under <b>Apps</b> "
        "and send it a message.</p>" + where,
        clear_state_cookie=True,
    )


def failure(args: FailureArgs) -> BoltResponse:
    title, body = FAILURES.get(
        args.reason,
        (
            "Installation not finished",
            f"<p>Slack reported <code>{html.escape(str(args.reason))}</code>, so nothing was installed.</p>"
            + _START_AGAIN,
        ),
    )
    if args.reason == "storage_error" and args.error is not None:
        log.error("storing an installation failed: %s", type(args.error).__name__)
    else:
        log.info("installation refused: %s", args.reason)
    return _page(args.suggested_status_code, title, body, clear_state_cookie=True)


# ------------------------------------------------------------------ putting it together


def build_flow(settings: Settings, db: Database) -> tuple[Flow, InstallationStore]:
    """The OAuth flow for `build_app`: installations and states in `db`, every Web API call
    through a client pointed at SLACK_API_URL."""
    cipher = TokenCipher(settings.token_keys)
    store = InstallationStore(settings.client_id, db, cipher)
    oauth_settings = OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=success, failure=failure),
        installation_store=store,
        token_rotation_expiration_minutes=ROTATION_MINUTES,
        state_store=StateStore(db),
        state_expiration_seconds=STATE_SECONDS,
        logger=logging.getLogger("usecase_bot.bolt"),
    )
    client = build_client(None, settings.api_url, retries=True)
    oauth_settings.authorize = Authorize(
        db=db,
        logger=logging.getLogger("usecase_bot.bolt"),
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        token_rotation_expiration_minutes=ROTATION_MINUTES,
        installation_store=store,
        client=client,  # the token refresh (oauth.v2.access) goes to SLACK_API_URL too
    )
    return Flow(client=client, logger=logging.getLogger("usecase_bot.bolt"), settings=oauth_settings), store


def connect(app: App, db: Database, settings: Settings) -> None:
    """What the database adds to a built app: each request's workspace recorded with its
    feedback; with OAuth, the listeners that delete a workspace's rows when it leaves."""
    if settings.feedback_days > 0:
        install_feedback_recorder()

        @app.middleware
        def remember_the_workspace(context, next):  # noqa: A002 - Bolt passes `next` by name
            feedback_sink.set(
                lambda record, team=context.team_id, enterprise=context.enterprise_id: db.record_feedback(
                    record, team_id=team, enterprise_id=enterprise, keep_days=settings.feedback_days
                )
            )
            return next()

    if settings.oauth:
        app.enable_token_revocation_listeners()


def routes(app: App) -> dict:
    """path -> handler(environ) -> BoltResponse, for the WSGI endpoint: the install page and the
    OAuth redirect, when the app has an OAuth flow."""
    flow = app.oauth_flow
    if flow is None:
        return {}

    def handler(handle):
        def route(environ) -> BoltResponse:
            if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
                return BoltResponse(status=405, body='{"error": "use GET"}', headers={"Allow": ["GET"]})
            query = {}
            for key, value in parse_qsl(environ.get("QUERY_STRING") or "", keep_blank_values=True):
                query.setdefault(key, []).append(value)
            headers = {
                k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
            }
            response = handle(BoltRequest(body="", query=query, headers=headers))
            for name, values in PAGE_HEADERS.items():
                response.headers.setdefault(name, values)
            return response

        return route

    return {
        flow.install_path: handler(flow.handle_installation),
        flow.redirect_uri_path: handler(flow.handle_callback),
    }
