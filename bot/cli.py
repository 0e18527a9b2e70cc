"""usecase-bot: run | match | plan | catalog check | catalog list.

Imports stay inside the commands: `usecase-bot match` must start fast, without slack_bolt.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.errors import EXIT_OPERATOR_ERROR, OperatorError

EXIT_FAILED = 1
# bot.plan.FORMATS, spelled here so that building the parser imports nothing
PLAN_FORMATS = ("protocols", "csv", "js", "node", "python", "swift", "kotlin")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_OPERATOR_ERROR
    try:
        return args.handler(args)
    except OperatorError as exc:
        print(f"usecase-bot: {exc}", file=sys.stderr)
        return EXIT_OPERATOR_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line, exit code 2, like every other operator error."""

    def error(self, message: str):
        self.exit(EXIT_OPERATOR_ERROR, f"usecase-bot: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="usecase-bot",
        description="A Slack bot that recommends a Segment use case and how to set it up.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser("run", help="start the bot (the local sandbox when no Slack tokens are set)")
    run.add_argument(
        "--mode",
        choices=["auto", "socket", "http", "sandbox"],
        default="auto",
        help="auto: Socket Mode with SLACK_APP_TOKEN, HTTP with SLACK_SIGNING_SECRET "
        "and SLACK_BOT_TOKEN, else the sandbox (default: auto)",
    )
    run.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=None, help="port to listen on (default $PORT or 3000)")
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        help="HTTP mode: worker processes (default $WEB_CONCURRENCY or 2 per core)",
    )
    run.add_argument("--no-browser", action="store_true", help="sandbox: do not open a browser")
    run.set_defaults(handler=_run)

    match = commands.add_parser("match", help="match free text to a use case")
    match.add_argument("text", nargs="*", help="the text; without it, one query per line of stdin")
    match.add_argument("--json", action="store_true", help="one JSON object per query")
    match.add_argument("--limit", type=int, default=3, help="matches to show (default 3)")
    match.set_defaults(handler=_match)

    plan = commands.add_parser("plan", help="a use case's tracking plan: print it, or create it in Segment")
    plan.add_argument("use_case", metavar="USE_CASE", help="the use case id (see `usecase-bot catalog list`)")
    plan.add_argument("--goal", default=None, help="one of the goals the use case serves")
    plan.add_argument(
        "--format",
        choices=PLAN_FORMATS,
        default=None,
        help="protocols: Segment's tracking-plan rules as JSON (the default); csv: one "
        "row per property; js, node, python, swift, kotlin: one track call per event",
    )
    plan.add_argument(
        "--create",
        action="store_true",
        help="create the tracking plan in Segment through the Public API "
        "(SEGMENT_PUBLIC_API_TOKEN, SEGMENT_PUBLIC_API_URL)",
    )
    plan.add_argument("--name", default=None, help="with --create: the tracking plan's name in Segment")
    plan.set_defaults(handler=_plan)

    db = commands.add_parser(
        "db", help="the database: upgrade its schema, see what it holds, encrypt or rotate token keys"
    )
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND", parser_class=_Parser)
    db_commands.add_parser(
        "upgrade", help="create the schema, or bring it up to date (DATABASE_URL, USECASE_DATA_DIR)"
    ).set_defaults(handler=_db_upgrade)
    db_commands.add_parser("status", help="the schema version and what is stored").set_defaults(
        handler=_db_status
    )
    db_commands.add_parser("new-key", help="print a new key for USECASE_TOKEN_KEY").set_defaults(
        handler=_db_new_key
    )
    db_commands.add_parser(
        "rotate-key", help="re-encrypt every stored token with the first key of USECASE_TOKEN_KEY"
    ).set_defaults(handler=_db_rotate_key)
    forget = db_commands.add_parser(
        "forget-team", help="delete everything stored about a workspace (its installation, its feedback)"
    )
    forget.add_argument("team_id", metavar="TEAM_ID", help="the workspace's id (T…)")
    forget.set_defaults(handler=_db_forget_team)
    db.set_defaults(handler=lambda _args: (db.print_help(), EXIT_OPERATOR_ERROR)[1])

    catalog = commands.add_parser("catalog", help="check or list the catalog")
    catalog_commands = catalog.add_subparsers(
        title="catalog commands", metavar="COMMAND", parser_class=_Parser
    )
    check = catalog_commands.add_parser("check", help="validate a catalog folder")
    check.add_argument(
        "dir", nargs="?", default=None, help="the folder (default $USECASE_CATALOG or the bundled catalog)"
    )
    check.set_defaults(handler=_catalog_check)
    listing = catalog_commands.add_parser("list", help="one row per goal/use-case pair")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(handler=_catalog_list)
    catalog.set_defaults(handler=lambda _args: (catalog.print_help(), EXIT_OPERATOR_ERROR)[1])
    return parser


def catalog_dir(explicit: str | None = None) -> Path:
    from bot.catalog import default_catalog_dir

    chosen = explicit or os.environ.get("USECASE_CATALOG") or None
    return Path(chosen) if chosen else default_catalog_dir()


def load_catalog_or_explain(explicit: str | None = None):
    """The catalog, or an OperatorError whose one line says what is wrong and what to do."""
    from bot.catalog import CatalogError, load_catalog

    directory = catalog_dir(explicit)
    if not directory.is_dir():
        source = "USECASE_CATALOG" if os.environ.get("USECASE_CATALOG") and not explicit else "the catalog"
        raise OperatorError(
            f"catalog folder not found: {directory} ({source}): point USECASE_CATALOG at a folder "
            f"holding the catalog's YAML files, or unset it to use the bundled one"
        )
    try:
        return load_catalog(directory)
    except CatalogError as exc:
        first = exc.problems[0]
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        raise OperatorError(
            f"the catalog in {directory} is invalid: {first}{more}; "
            f"run `usecase-bot catalog check {directory}` to see every problem"
        ) from None


def _catalog_check(args) -> int:
    from bot.catalog import check_catalog

    directory = catalog_dir(args.dir)
    if not directory.is_dir():
        print(f"usecase-bot: catalog folder not found: {directory}", file=sys.stderr)
        return 1
    problems = check_catalog(directory)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    print(f"{directory}: ok")
    return 0


def _catalog_list(args) -> int:
    catalog = load_catalog_or_explain()
    rows = [
        {
            "goal": row.goal.id,
            "goal_name": row.goal.name,
            "use_case": row.use_case.id,
            "use_case_name": row.use_case.name,
            "description": row.fit.description,
        }
        for row in catalog.rows()
    ]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for goal in catalog.goals:
        print(f"{goal.name} ({goal.id})")
        for row in (r for r in rows if r["goal"] == goal.id):
            print(f"  {row['use_case_name']} ({row['use_case']}): {row['description']}")
    return 0


def _match(args) -> int:
    from bot.matcher import Matcher

    if args.limit < 1:
        raise OperatorError("--limit must be 1 or more")
    matcher = Matcher(load_catalog_or_explain())
    queries = [" ".join(args.text)] if args.text else (line.rstrip("\n") for line in sys.stdin)
    for query in queries:
        result = matcher.match(query, limit=args.limit)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        else:
            print(result.describe(), flush=True)
    return 0


def _plan(args) -> int:
    from bot.plan import PlanError, build_plan, protocols, render

    catalog = load_catalog_or_explain()
    try:
        plan = build_plan(catalog, args.use_case, args.goal)
    except PlanError as exc:
        raise OperatorError(str(exc)) from None
    if not args.create:
        if args.name is not None:
            raise OperatorError(
                "--name goes with --create (the name of the tracking plan to create in Segment)"
            )
        sys.stdout.write(render(plan, args.format or "protocols"))
        return 0
    if not (args.name or "").strip():
        raise OperatorError("--create needs --name NAME: the name the tracking plan gets in Segment")
    if args.format is not None:
        raise OperatorError("--format is for printing the plan; --create sends Segment the protocols rules")
    from bot.segment_api import PublicAPI, PublicAPIError

    try:
        api = PublicAPI.from_env(os.environ)
    except PublicAPIError as exc:
        raise OperatorError(str(exc)) from None
    rules = protocols(plan)["rules"]
    goal = f" ({plan.goal.name})" if plan.goal else ""
    description = f"Events and properties Segment's Use Cases Reference lists for {plan.use_case.name}{goal}"
    try:
        created = api.create_plan(args.name.strip(), description, rules)
    except PublicAPIError as exc:
        print(f"usecase-bot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"created tracking plan {created.id} ({created.name}) with {created.rules} rule(s) "
        f"for {plan.use_case.name}{goal}"
    )
    return 0


def _db_settings():
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings(os.environ, mode="sandbox")  # reads DATABASE_URL & co. and checks them
    except SettingsError as exc:
        raise OperatorError(str(exc)) from None


def _db_upgrade(_args) -> int:
    from bot.storage import Database, describe

    settings = _db_settings()
    db = Database.open(settings.database_url, settings.data_dir, upgrade=False)
    try:
        applied = db.upgrade()
        status = db.status()
    finally:
        db.dispose()
    for version, description in applied:
        print(f"applied schema version {version}: {description}")
    print(f"{describe(db.url)}: schema version {status.version} (up to date)")
    return 0


def _db_status(_args) -> int:
    from bot.storage import Database

    settings = _db_settings()
    db = Database.open(settings.database_url, settings.data_dir, upgrade=False)
    try:
        status = db.check()
        print(f"database: {status.url}")
        if status.version is None:
            print(
                f"schema: none yet (this usecase-bot creates version {status.latest}: usecase-bot db upgrade)"
            )
            return 0
        state = (
            "up to date" if status.current else f"behind: run usecase-bot db upgrade to reach {status.latest}"
        )
        print(f"schema: version {status.version} ({state})")
        for what, count in db.counts().items():
            print(f"{what}: {count}")
    finally:
        db.dispose()
    return 0


def _db_new_key(_args) -> int:
    from bot.tokens import new_key

    print(new_key())
    return 0


def _db_rotate_key(_args) -> int:
    from bot.storage import Database
    from bot.tokens import TokenCipher, TokenKeyError

    settings = _db_settings()
    if not settings.token_keys:
        raise OperatorError(
            "USECASE_TOKEN_KEY is not set: set it to the new key, then the old one, comma-separated "
            "(`usecase-bot db new-key` makes one)"
        )
    db = Database.open(settings.database_url, settings.data_dir)
    try:
        count = db.reseal_tokens(TokenCipher(settings.token_keys))
    except TokenKeyError as exc:
        raise OperatorError(str(exc)) from None
    finally:
        db.dispose()
    print(f"{count} stored token(s) now encrypted with the first key of USECASE_TOKEN_KEY")
    if len(settings.token_keys) > 1:
        print("the other keys can now be removed from USECASE_TOKEN_KEY")
    return 0


def _db_forget_team(args) -> int:
    from bot.storage import Database

    settings = _db_settings()
    db = Database.open(settings.database_url, settings.data_dir)
    try:
        removed = db.delete_team(args.team_id)
    finally:
        db.dispose()
    print(f"team {args.team_id}: " + ", ".join(f"{n} {what}" for what, n in removed.items()) + " deleted")
    return 0


def _run(args) -> int:
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings(
            os.environ, mode=args.mode, host=args.host, port=args.port, workers=args.workers
        )
    except SettingsError as exc:
        raise OperatorError(str(exc)) from None
    catalog = load_catalog_or_explain()
    from bot.server import serve

    return serve(settings, catalog, open_browser=not args.no_browser)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
