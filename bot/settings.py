"""Environment -> settings, failing fast with one line that names the variable and what to do."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_SEGMENT_API_URL = "https://api.segmentapis.com"  # Segment's Public API
DEFAULT_PORT = 3000
DEFAULT_HOST = "127.0.0.1"


class SettingsError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    mode: str  # "socket" | "http" | "sandbox"
    bot_token: str | None = None
    app_token: str | None = None
    signing_secret: str | None = None
    api_url: str = DEFAULT_API_URL
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 2
    threads: int = 32  # listener threads per process (Bolt's pool runs the work after each ack)
    admins: frozenset[str] = frozenset()  # Slack user ids allowed admin actions (USECASE_ADMINS)
    segment_token: str | None = None  # Segment Public API token: create tracking plans
    segment_api_url: str = DEFAULT_SEGMENT_API_URL
    analytics_write_key: str | None = None  # the bot's own usage, to Segment (SEGMENT_WRITE_KEY)
    analytics_host: str | None = None  # SEGMENT_API_HOST (default Segment's own)
    analytics_salt: str | None = None  # USECASE_ANALYTICS_SALT: hashes team and user ids
    analytics_text: bool = False  # USECASE_ANALYTICS_TEXT=1: send the words of unmatched requests
    insights: bool = True  # USECASE_INSIGHTS=0: keep no usage rows (and no admin insights)
    # OAuth (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET): an app any workspace installs, in HTTP mode
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None  # SLACK_REDIRECT_URI, when the app has several redirect URLs
    database_url: str | None = None  # DATABASE_URL; None: a SQLite file in data_dir
    data_dir: str = "./var"  # USECASE_DATA_DIR
    token_keys: tuple[str, ...] = ()  # USECASE_TOKEN_KEY: Fernet keys, the first encrypts
    feedback_days: int = 180  # USECASE_FEEDBACK_DAYS: how long feedback is kept; 0: not stored
    http_read_timeout: float = 5.0  # USECASE_HTTP_READ_TIMEOUT: seconds for a request to arrive whole

    @property
    def oauth(self) -> bool:
        """Installable by any workspace: the tokens come from the installations in the database."""
        return bool(self.client_id and self.client_secret)


def load_settings(
    env: Mapping[str, str],
    *,
    mode: str = "auto",
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
) -> Settings:
    bot_token = _token(env, "SLACK_BOT_TOKEN", "xoxb-", "the bot token (OAuth & Permissions page)")
    app_token = _token(
        env, "SLACK_APP_TOKEN", "xapp-", "an app-level token with connections:write (Basic Information page)"
    )
    secret = (env.get("SLACK_SIGNING_SECRET") or "").strip() or None
    if secret is not None and not re.fullmatch(r"[0-9A-Za-z]{16,128}", secret):
        raise SettingsError(
            "SLACK_SIGNING_SECRET looks malformed: copy the Signing Secret from your app's Basic Information page"
        )
    client_id, client_secret = _client_credentials(env)
    oauth = bool(client_id and client_secret)

    if mode == "auto":
        if app_token:
            mode = "socket"
        elif secret and (bot_token or oauth):
            mode = "http"
        elif not (bot_token or secret or oauth):
            mode = "sandbox"
        elif oauth and not secret:
            raise SettingsError(
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set but SLACK_SIGNING_SECRET is not: set the "
                "Signing Secret (Basic Information page) too, to run as an app any workspace can install"
            )
        elif bot_token:
            raise SettingsError(
                "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET "
                "(HTTP mode) is: set one of them, or unset SLACK_BOT_TOKEN to try the local sandbox"
            )
        else:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not: set the bot token (xoxb-…) too, "
                "or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to run as an app any workspace can install"
            )
    if mode == "socket":
        _require(app_token, "SLACK_APP_TOKEN", "Socket Mode needs an app-level token (xapp-…)")
        _require(bot_token, "SLACK_BOT_TOKEN", "Socket Mode needs the bot token (xoxb-…) too")
    elif mode == "http":
        _require(secret, "SLACK_SIGNING_SECRET", "HTTP mode needs the signing secret")
        if bot_token and oauth:
            raise SettingsError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set: unset SLACK_BOT_TOKEN "
                "to run as an app any workspace can install, or unset the client id and secret for one workspace"
            )
        if not oauth:
            _require(
                bot_token,
                "SLACK_BOT_TOKEN",
                "HTTP mode needs the bot token (xoxb-…), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth)",
            )
    elif mode != "sandbox":
        raise SettingsError(f"unknown mode '{mode}': use auto, socket, http or sandbox")

    return Settings(
        mode=mode,
        bot_token=bot_token,
        app_token=app_token,
        signing_secret=secret,
        api_url=_api_url(env.get("SLACK_API_URL")),
        host=host or DEFAULT_HOST,
        port=_port(port if port is not None else env.get("PORT")),
        workers=_workers(workers if workers is not None else env.get("WEB_CONCURRENCY")),
        admins=_admins(env.get("USECASE_ADMINS")),
        segment_token=(env.get("SEGMENT_PUBLIC_API_TOKEN") or "").strip() or None,
        segment_api_url=_http_url(
            env.get("SEGMENT_PUBLIC_API_URL"), "SEGMENT_PUBLIC_API_URL", DEFAULT_SEGMENT_API_URL
        ),
        client_id=client_id if mode == "http" else None,
        client_secret=client_secret if mode == "http" else None,
        redirect_uri=_optional_url(env.get("SLACK_REDIRECT_URI"), "SLACK_REDIRECT_URI"),
        database_url=(env.get("DATABASE_URL") or "").strip() or None,
        data_dir=(env.get("USECASE_DATA_DIR") or "").strip() or "./var",
        token_keys=_token_keys(env.get("USECASE_TOKEN_KEY")),
        feedback_days=_bounded_int(
            env.get("USECASE_FEEDBACK_DAYS"), 180, 0, 36500, "USECASE_FEEDBACK_DAYS (days; 0 stores none)"
        ),
        http_read_timeout=_seconds(
            env.get("USECASE_HTTP_READ_TIMEOUT"), 5.0, 0.5, 300.0, "USECASE_HTTP_READ_TIMEOUT"
        ),
        **_analytics(env),
    )


def _client_credentials(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    client_id = (env.get("SLACK_CLIENT_ID") or "").strip() or None
    client_secret = (env.get("SLACK_CLIENT_SECRET") or "").strip() or None
    where = "copy it from your app's Basic Information page (App Credentials)"
    if client_id is not None and not re.fullmatch(r"[0-9]+\.[0-9]+", client_id):
        raise SettingsError(f"SLACK_CLIENT_ID looks malformed (digits.digits): {where}")
    if client_secret is not None and not re.fullmatch(r"[0-9A-Za-z]{16,128}", client_secret):
        raise SettingsError(f"SLACK_CLIENT_SECRET looks malformed: {where}")
    if client_id and not client_secret:
        raise SettingsError(f"SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not: set both ({where})")
    if client_secret and not client_id:
        raise SettingsError(f"SLACK_CLIENT_SECRET is set but SLACK_CLIENT_ID is not: set both ({where})")
    return client_id, client_secret


def _token_keys(raw: str | None) -> tuple[str, ...]:
    from bot.tokens import TokenKeyError, check_keys

    try:
        return check_keys(raw)
    except TokenKeyError as exc:
        raise SettingsError(str(exc)) from None


def _optional_url(raw: str | None, name: str) -> str | None:
    if not raw or not raw.strip():
        return None
    return _http_url(raw, name, "https://YOUR-HOST/slack/oauth_redirect")


def _analytics(env: Mapping[str, str]) -> dict:
    key = (env.get("SEGMENT_WRITE_KEY") or "").strip() or None
    salt = (env.get("USECASE_ANALYTICS_SALT") or "").strip() or None
    if key and not salt:
        raise SettingsError(
            "SEGMENT_WRITE_KEY is set but USECASE_ANALYTICS_SALT is not: set a long random salt "
            "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`), which keeps the ids "
            "sent to Segment from being traced back to people"
        )
    host = env.get("SEGMENT_API_HOST")
    return {
        "analytics_write_key": key,
        "analytics_host": _http_url(host, "SEGMENT_API_HOST", "https://api.segment.io") if host else None,
        "analytics_salt": salt,
        "analytics_text": (env.get("USECASE_ANALYTICS_TEXT") or "").strip() == "1",
        "insights": (env.get("USECASE_INSIGHTS") or "").strip() != "0",
    }


def _admins(raw: str | None) -> frozenset[str]:
    """Comma-separated Slack user ids (U…/W…), each checked, so a typo is caught at start."""
    ids = [part.strip() for part in (raw or "").split(",") if part.strip()]
    for user_id in ids:
        if not re.fullmatch(r"[UW][A-Z0-9]{2,20}", user_id):
            raise SettingsError(
                f"USECASE_ADMINS has '{user_id}', which is not a Slack user id: list ids like U061F7AUR, "
                "comma-separated (a person's profile → ⋮ → Copy member ID)"
            )
    return frozenset(ids)


def _token(env: Mapping[str, str], name: str, prefix: str, what: str) -> str | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    if not value.startswith(prefix) or not re.fullmatch(r"[0-9A-Za-z-]+", value):
        raise SettingsError(f"{name} looks malformed: it should start with {prefix}; use {what}")
    return value


def _require(value, name: str, why: str) -> None:
    if not value:
        raise SettingsError(f"{name} is not set: {why}")


def _api_url(raw: str | None) -> str:
    url = _http_url(raw, "SLACK_API_URL", DEFAULT_API_URL)
    return url if url.endswith("/") else url + "/"


def _http_url(raw: str | None, name: str, default: str) -> str:
    if not raw or not raw.strip():
        return default
    url = raw.strip()
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http(s) URL such as {default}, got '{raw}'")
    return url


def _bounded_int(raw, default: int, low: int, high: int, what: str) -> int:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise SettingsError(f"{what} must be a number between {low} and {high}, got '{raw}'")
    return value


def _seconds(raw: str | None, default: float, low: float, high: float, name: str) -> float:
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:  # NaN fails both comparisons
        raise SettingsError(f"{name} must be a number of seconds between {low:g} and {high:g}, got '{raw}'")
    return value


def _port(raw) -> int:
    return _bounded_int(raw, DEFAULT_PORT, 1, 65535, "PORT")


def _workers(raw) -> int:
    return _bounded_int(raw, max(2, 2 * (os.cpu_count() or 1)), 1, 64, "WEB_CONCURRENCY (or --workers)")
