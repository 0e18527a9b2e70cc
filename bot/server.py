"""Start the bot in the mode the settings chose: Socket Mode, HTTP (gunicorn), or the sandbox."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import sys
import threading

from bot.catalog import Catalog
from bot.errors import OperatorError
from bot.settings import Settings

log = logging.getLogger("usecase_bot")


def configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)
    # the bot logs each failed call itself, with its context; the client's own error lines repeat it
    logging.getLogger("slack_sdk.web.base_client").setLevel(logging.CRITICAL)
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
    logging.getLogger("waitress").setLevel(logging.WARNING)  # not a line per client that went away
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # nor per request queued in a burst
    from bot.tokens import redact_logs

    redact_logs()  # no token in any log line, whoever logs it


def serve(settings: Settings, catalog: Catalog, open_browser: bool = False) -> int:
    configure_logging()
    if settings.mode == "sandbox":
        return serve_sandbox(settings, catalog, open_browser=open_browser)
    if settings.mode == "socket":
        return serve_socket_mode(settings, catalog)
    return serve_http(settings, catalog)


def check_port(host: str, port: int) -> None:
    """Fail fast, in one line, when the port cannot be listened on."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise OperatorError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose another port with "
            f"--port or PORT, or stop what is using it"
        ) from None


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def identify(settings: Settings):
    """auth.test once, at start-up: a refused token stops the bot with a clear line."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.app import look_up_identity
    from bot.webapi import build_client

    try:
        return look_up_identity(build_client(settings.bot_token, settings.api_url, retries=True))
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "error"
        raise OperatorError(
            f"Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token from your "
            f"app's OAuth & Permissions page and reinstall the app if it was revoked"
        ) from None
    except (SlackClientError, OSError) as exc:
        raise OperatorError(
            f"cannot reach Slack's Web API at {settings.api_url} ({type(exc).__name__}): check the "
            f"network, or SLACK_API_URL"
        ) from None


def serve_socket_mode(settings: Settings, catalog: Catalog) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app

    identity = identify(settings)
    from bot.storage import open_database

    database = open_database(settings)
    app = build_app(
        settings, catalog, identity=identity, socket_mode=True, seen=database.seen_once(), database=database
    )
    log.info("usecase-bot connected as %s; Socket Mode, waiting for Slack", identity.user_id)
    handler = SocketModeHandler(app, settings.app_token)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    handler.connect()
    while not stop.wait(1.0):
        pass
    log.info("usecase-bot: closing the Socket Mode connection")
    handler.close()
    return 0


def worker_app(settings: Settings, catalog: Catalog, identity, matcher):
    """The WSGI app one HTTP worker serves (built in the worker, after the fork)."""
    from bot import oauth
    from bot.app import build_app
    from bot.storage import open_database
    from bot.web import make_wsgi_app

    # one database for every worker of every host: seen-once keys, feedback, installations
    database = open_database(settings, upgrade=False)
    app = build_app(
        settings,
        catalog,
        identity=identity,
        seen=database.seen_once(),
        matcher=matcher,
        database=database,
    )
    return make_wsgi_app(app, settings.signing_secret, routes=oauth.routes(app), health=database.ping)


def serve_http(settings: Settings, catalog: Catalog, server: dict | None = None, wrap=None) -> int:
    """gunicorn's arbiter and `settings.workers` workers, each serving with waitress (bot.serving);
    `server` replaces those gunicorn settings (the benchmarks run the old model through it), and
    `wrap(app)` wraps each worker's WSGI app (the memory benchmark's diagnosis)."""
    from gunicorn.app.base import BaseApplication

    from bot import serving
    from bot.matcher import Matcher
    from bot.storage import open_database

    if server is None:
        serving.reexec_with_malloc_tunables()  # returns only when already done, or not glibc
    check_port(settings.host, settings.port)
    identity = None if settings.oauth else identify(settings)  # with OAuth, each workspace's own
    # fails fast when unreachable, brings the schema up to date; each worker opens its own pool
    open_database(settings, prune=True, check_tokens=settings.oauth).dispose()

    matcher = Matcher(catalog)  # built once, before the workers fork, and shared by them

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": bind_address(settings.host, settings.port),
                "workers": settings.workers,
                "proc_name": "usecase-bot",
                **(server or serving.gunicorn_settings(settings.http_read_timeout)),
            }.items():
                self.cfg.set(key, value)

        def load(self):
            app = worker_app(settings, catalog, identity, matcher)
            return wrap(app) if wrap is not None else app

    log.info(
        "usecase-bot (%s) serving POST /slack/events%s and GET /healthz on http://%s with %d workers",
        identity.user_id if identity else "any workspace, OAuth",
        ", GET /slack/install, GET /slack/oauth_redirect" if settings.oauth else "",
        bind_address(settings.host, settings.port),
        settings.workers,
    )
    Server().run()
    return 0


def serve_sandbox(settings: Settings, catalog: Catalog, open_browser: bool = False) -> int:
    from dataclasses import replace

    from bot.app import Identity, build_app
    from bot.sandbox.people import SlackSide
    from bot.sandbox.server import SlackStandIn
    from bot.web import slack_request

    check_port(settings.host, settings.port)
    stand_in = SlackStandIn(settings.host, settings.port)
    workspace = stand_in.workspace
    secret = secrets.token_hex(16)
    bot_settings = replace(
        settings, bot_token="xoxb-sandbox", signing_secret=secret, api_url=stand_in.api_url
    )
    identity = Identity(team_id=workspace.team_id, user_id=workspace.bot_user_id, bot_id=workspace.bot_id)
    app = build_app(bot_settings, catalog, identity=identity)

    def dispatch(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        response = app.dispatch(slack_request(body.decode("utf-8"), headers))
        return response.status, response.body

    stand_in.people = SlackSide(workspace, dispatch, secret, stand_in.base_url)
    url = f"http://{settings.host}:{stand_in.port}"
    print(f"usecase-bot sandbox: open {url} (no Slack tokens set; Ctrl-C to stop)", flush=True)
    if open_browser and sys.stdout.isatty():
        import webbrowser

        webbrowser.open(url)
    try:
        stand_in.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
