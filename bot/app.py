"""build_app(settings, catalog) -> slack_bolt.App: the core wired to Slack through thin listeners."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import listeners
from bot.catalog import Catalog
from bot.conversation import Conversation, PlanOutcome
from bot.dedupe import MemorySeenOnce, SeenOnce
from bot.listeners.background import DelayQueue
from bot.listeners.payload import RefuseMalformed
from bot.matcher import Matcher
from bot.settings import Settings
from bot.webapi import build_client


@dataclass(frozen=True)
class Identity:
    """Who the bot is in the workspace (auth.test's answer), looked up once at start-up."""

    team_id: str | None
    user_id: str
    bot_id: str | None
    enterprise_id: str | None = None


class _TokenFromEnvironmentIsExpected(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused when `authorize` is given: by design here."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "`authorize` has been used" not in message and "`token` will be unused" not in message


BOLT_LOG = logging.getLogger("usecase_bot.bolt")
BOLT_LOG.addFilter(_TokenFromEnvironmentIsExpected())


def look_up_identity(client: WebClient) -> Identity:
    answer = client.auth_test()
    return Identity(
        team_id=answer.get("team_id"),
        user_id=answer["user_id"],
        bot_id=answer.get("bot_id"),
        enterprise_id=answer.get("enterprise_id"),
    )


def build_app(
    settings: Settings,
    catalog: Catalog,
    *,
    identity: Identity | None = None,
    seen: SeenOnce | None = None,
    socket_mode: bool = False,
    matcher: Matcher | None = None,
    database=None,
) -> App:
    """The Bolt app. Each request's work is done before its ack when it fits the budget
    (bot/listeners/background.py), in a pool of `settings.threads`; retries wait on timers.

    `database` (bot.storage.Database) stores feedback and, with OAuth settings, the
    installations whose tokens answer each workspace (bot.oauth)."""
    # with a known identity the token comes from `authorize` on each request
    client = build_client(None if identity else settings.bot_token, settings.api_url)
    background = ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="usecase-bot")
    options = dict(
        client=client,
        signing_secret=settings.signing_secret or "",
        # the response goes when the listener returns: after the work, so an acknowledged request
        # has been answered (Bolt's other way, an ack awaited in 10 ms sleeps, adds latency)
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=not socket_mode,
        logger=BOLT_LOG,
        before_authorize=RefuseMalformed(),  # a body Bolt cannot read: 400, not a traceback
    )
    if identity is not None:
        token = settings.bot_token

        def authorize(enterprise_id, team_id, logger):  # noqa: ARG001 - Bolt passes these by name
            return AuthorizeResult(
                enterprise_id=identity.enterprise_id,
                team_id=identity.team_id,
                bot_token=token,
                bot_user_id=identity.user_id,
                bot_id=identity.bot_id,
            )

        options["authorize"] = authorize
    elif settings.oauth:  # any workspace: its token comes from its installation (bot.oauth)
        from bot import oauth

        options["oauth_flow"], _ = oauth.build_flow(settings, database)
        options["user_facing_authorize_error_message"] = oauth.NOT_INSTALLED
    app = App(**options)
    if database is not None:
        from bot import oauth

        oauth.connect(app, database, settings)
    conversation = Conversation(
        catalog,
        matcher or Matcher(catalog),
        admins=settings.admins,
        can_create_plans=settings.segment_token is not None,
    )
    listeners.register(
        app,
        conversation,
        seen if seen is not None else MemorySeenOnce(),
        background,
        plan_creator(settings),
        usage_sinks(settings, database),
        admin_insights(settings, database),
        timers=DelayQueue(),
        max_waiting=settings.threads,
    )
    return app


def usage_sinks(settings: Settings, database):
    """Where usage is counted: Segment (with a write key) and the database (for the admins'
    insights, unless USECASE_INSIGHTS=0); None when neither."""
    from bot.analytics import Sinks

    stored = None
    if database is not None and settings.insights:
        from bot.storage import UsageRecorder

        stored = UsageRecorder(database)
    sinks = Sinks(usage_analytics(settings), stored)
    return sinks if sinks.sinks else None


def admin_insights(settings: Settings, database):
    """`insights(client, team_id, user_id)`: the team's last 30 days for the people the operator
    allows (USECASE_ADMINS) and the workspace's admins and owners (users.info); None for others."""
    if database is None or not settings.insights:
        return None

    def insights(client: WebClient, team_id: str | None, user_id: str):
        if user_id not in settings.admins and not workspace_admin(client, user_id):
            return None
        return database.insights(team_id)

    return insights


def workspace_admin(client: WebClient, user_id: str) -> bool:
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except (SlackApiError, SlackClientError):
        return False  # unknown: not shown, rather than shown to the wrong person
    return bool(user.get("is_admin") or user.get("is_owner"))


def usage_analytics(settings: Settings):
    """The bot's own usage, through Segment's library; None (nothing sent) without a write key."""
    if not settings.analytics_write_key:
        return None
    from bot.analytics import Analytics

    return Analytics(
        settings.analytics_write_key,
        settings.analytics_salt or "",
        host=settings.analytics_host,
        send_text=settings.analytics_text,
    )


def plan_creator(settings: Settings):
    """`create(name, rules) -> PlanOutcome` through Segment's Public API; None without a token."""
    if settings.segment_token is None:
        return None
    from bot.segment_api import HalfCreatedPlan, PublicAPI, PublicAPIError

    api = PublicAPI(settings.segment_token, settings.segment_api_url)

    def create(name: str, rules: list) -> PlanOutcome:
        try:
            created = api.create_plan(name, "Created from Slack by usecase-bot", rules)
        except HalfCreatedPlan as exc:
            return PlanOutcome(False, exc.plan_id, str(exc))
        except PublicAPIError as exc:
            return PlanOutcome(False, None, str(exc))
        return PlanOutcome(True, created.id)

    return create
