"""The bot's one database: what must outlive a process, shared by every worker of every host.

It holds only what the design allows (no conversation store): installations and bots (OAuth),
OAuth states, the seen-once keys of retried events and double clicks, and feedback records.
`DATABASE_URL` is any SQLAlchemy URL; `postgresql://…` is served by psycopg (v3). Without it, a
SQLite file in the data folder (`USECASE_DATA_DIR`, default `./var`) is created on first start.

The schema is versioned: `usecase-bot db upgrade` applies what is missing (the server does the
same at start, under a lock, so two hosts starting together upgrade once), `usecase-bot db status`
says where a database stands. A database newer than the code is refused.

Each process opens its own `Database` (a forked worker never reuses its parent's connections)
with a small pool of connections.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from bot.analytics import TEXT_PROPERTY, Insights
from bot.dedupe import CLAIM_LEASE
from bot.errors import OperatorError

log = logging.getLogger("usecase_bot.storage")

DEFAULT_DATA_DIR = "./var"
DEFAULT_FILE = "usecase-bot.sqlite3"
SEEN_TTL = 3600.0  # Slack retries an event for about 6 minutes; a click race is seconds
USAGE_DAYS = 30  # usage rows, and the words of unanswered requests, are kept this long
RECOMMENDED, RATED, UNMATCHED = "Use Case Recommended", "Recommendation Rated", "No Use Case Matched"
FEEDBACK_DAYS = 180  # how long a feedback record is kept (USECASE_FEEDBACK_DAYS; 0: not stored)
POOL_SIZE = 2  # connections each process keeps open
POOL_OVERFLOW = 6  # and opens beyond that under a burst, closed again after use
CONNECT_TIMEOUT = 5  # seconds, for PostgreSQL


def retry_once(work: Callable):
    """`work()`, and once more if its connection turned out to be dead (the server restarted,
    a failover): SQLAlchemy has then discarded the pool's old connections, so the second try
    connects afresh. Any other error, or a second failure, is raised."""
    try:
        return work()
    except sa.exc.DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        log.info("database connection lost; reconnecting")
        return work()


def retrying(method):
    """A method run through `retry_once`."""

    def wrapped(*args, **kwargs):
        return retry_once(lambda: method(*args, **kwargs))

    wrapped.__name__, wrapped.__doc__ = method.__name__, method.__doc__
    return wrapped


metadata = sa.MetaData()

# ------------------------------------------------------------------ the schema (version by version)

schema_versions = sa.Table(
    "usecase_schema_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.Float, nullable=False),
)

# The three tables slack_sdk's SQLAlchemy stores read and write (their names and columns), with
# the token columns as TEXT: an encrypted token (USECASE_TOKEN_KEY) is longer than the
# String(200) slack_sdk declares.
installations = sa.Table(
    "slack_installations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.String(32), nullable=False),
    sa.Column("app_id", sa.String(32), nullable=False),
    sa.Column("enterprise_id", sa.String(32)),
    sa.Column("enterprise_name", sa.String(200)),
    sa.Column("enterprise_url", sa.String(200)),
    sa.Column("team_id", sa.String(32)),
    sa.Column("team_name", sa.String(200)),
    sa.Column("bot_token", sa.Text),
    sa.Column("bot_id", sa.String(32)),
    sa.Column("bot_user_id", sa.String(32)),
    sa.Column("bot_scopes", sa.String(1000)),
    sa.Column("bot_refresh_token", sa.Text),
    sa.Column("bot_token_expires_at", sa.DateTime),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("user_token", sa.Text),
    sa.Column("user_scopes", sa.String(1000)),
    sa.Column("user_refresh_token", sa.Text),
    sa.Column("user_token_expires_at", sa.DateTime),
    sa.Column("incoming_webhook_url", sa.Text),
    sa.Column("incoming_webhook_channel", sa.String(200)),
    sa.Column("incoming_webhook_channel_id", sa.String(200)),
    sa.Column("incoming_webhook_configuration_url", sa.String(200)),
    sa.Column("is_enterprise_install", sa.Boolean, default=False, nullable=False),
    sa.Column("token_type", sa.String(32)),
    sa.Column("installed_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    sa.Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

bots = sa.Table(
    "slack_bots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.String(32), nullable=False),
    sa.Column("app_id", sa.String(32), nullable=False),
    sa.Column("enterprise_id", sa.String(32)),
    sa.Column("enterprise_name", sa.String(200)),
    sa.Column("team_id", sa.String(32)),
    sa.Column("team_name", sa.String(200)),
    sa.Column("bot_token", sa.Text),
    sa.Column("bot_id", sa.String(32)),
    sa.Column("bot_user_id", sa.String(32)),
    sa.Column("bot_scopes", sa.String(1000)),
    sa.Column("bot_refresh_token", sa.Text),
    sa.Column("bot_token_expires_at", sa.DateTime),
    sa.Column("is_enterprise_install", sa.Boolean, default=False, nullable=False),
    sa.Column("installed_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    sa.Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

oauth_states = sa.Table(
    "slack_oauth_states",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("state", sa.String(200), nullable=False),
    sa.Column("expire_at", sa.DateTime, nullable=False),
    sa.Index("slack_oauth_states_state_idx", "state"),
)

seen = sa.Table(
    "usecase_seen",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("usecase_seen_at_idx", "at"),
)

feedback = sa.Table(
    "usecase_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("enterprise_id", sa.String(32)),
    sa.Column("team_id", sa.String(32)),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # the JSON object the log line carries
    sa.Index("usecase_feedback_team_idx", "team_id", "at"),
    sa.Index("usecase_feedback_at_idx", "at"),
)


usage = sa.Table(
    "usecase_usage",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(64), nullable=False, unique=True),  # one row a Slack occurrence
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("team_id", sa.String(32)),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("use_case", sa.String(100)),
    sa.Column("goal", sa.String(100)),
    sa.Column("helpful", sa.Boolean),
    sa.Column("reply", sa.String(40)),  # the kind of answer an unmatched request got
    sa.Column("request", sa.Text),  # its words: for the team's admins, kept USAGE_DAYS at most
    sa.Index("usecase_usage_team_idx", "team_id", "at"),
)


def _v1(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[installations, bots, oauth_states, seen, feedback])


def _v2(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[usage])


# (version, what it adds, how). Append; never edit a released step.
MIGRATIONS = [
    (1, "installations, bots, OAuth states, seen-once keys, feedback", _v1),
    (2, "usage counts for the admins' insights", _v2),
]
LATEST = MIGRATIONS[-1][0]


# ------------------------------------------------------------------ URLs and engines


def database_url(raw: str | None, data_dir: str | None = None) -> URL:
    """The SQLAlchemy URL to use: DATABASE_URL as written (postgresql:// and postgres:// mean
    psycopg v3), or the SQLite file in the data folder."""
    if raw is None or not raw.strip():
        folder = Path(data_dir or DEFAULT_DATA_DIR)
        return URL.create("sqlite", database=str(folder / DEFAULT_FILE))
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise OperatorError(
            "DATABASE_URL is not a database URL: use postgresql://user:password@host:5432/name or "
            "sqlite:////path/to/file.sqlite3"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("postgresql", "sqlite"):
        raise OperatorError(
            f"DATABASE_URL names a {url.get_backend_name()} database: use PostgreSQL "
            f"(postgresql://user:password@host:5432/name) or SQLite (sqlite:////path/to/file.sqlite3)"
        )
    return url


def describe(url: URL) -> str:
    """The URL for a message: never its password."""
    return url.render_as_string(hide_password=True)


def make_engine(url: URL, *, pool_size: int = POOL_SIZE, max_overflow: int = POOL_OVERFLOW) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=30,
        )
        _sqlite_transactions(engine)
        return engine
    connect_args = {}
    if url.get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": CONNECT_TIMEOUT, "application_name": "usecase-bot"}
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=30,
        # no ping before each use (a round trip per request): a connection found dead is
        # replaced and the statement tried once more (`retry_once`)
        pool_recycle=1800,
        connect_args=connect_args,
    )


def _sqlite_transactions(engine: Engine) -> None:
    """pysqlite's own transaction handling defers BEGIN and lets DDL run outside a transaction;
    SQLAlchemy's recipe: the driver does nothing, we emit BEGIN (IMMEDIATE when asked)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


# ------------------------------------------------------------------ the database


@dataclass(frozen=True)
class Status:
    url: str
    version: int | None  # None: no schema yet
    latest: int = LATEST

    @property
    def current(self) -> bool:
        return self.version == self.latest


class Database:
    def __init__(self, url: URL, *, pool_size: int = POOL_SIZE, max_overflow: int = POOL_OVERFLOW):
        self.url = url
        self.dialect = url.get_backend_name()
        if self.dialect == "sqlite" and url.database and url.database != ":memory:":
            self.path: Path | None = Path(url.database)
        else:
            self.path = None
        self.engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        # one-statement work (a seen-once key, a lookup, a state) needs no BEGIN/COMMIT round
        # trips: on PostgreSQL it runs in autocommit, over the same pool. (SQLite is in-process:
        # its transactions cost nothing, and it keeps them.)
        self.quick = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else self.engine
        )
        self._local_locks: dict[str, threading.Lock] = {}
        self._local_guard = threading.Lock()
        self._feedback_count = 0
        self._usage_count = 0
        self._guard_count = threading.Lock()

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(
        cls,
        raw_url: str | None,
        data_dir: str | None = None,
        *,
        upgrade: bool = True,
        pool_size: int = POOL_SIZE,
        max_overflow: int = POOL_OVERFLOW,
    ) -> Database:
        """Connect (failing fast, in one line naming DATABASE_URL) and, unless told not to,
        bring the schema up to date."""
        url = database_url(raw_url, data_dir)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            folder = Path(url.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                name = "USECASE_DATA_DIR" if not raw_url else "DATABASE_URL"
                raise OperatorError(
                    f"cannot create the data folder {folder} ({exc.strerror or exc}): set {name} to a "
                    f"folder the bot can write to"
                ) from None
        try:
            db = cls(url, pool_size=pool_size, max_overflow=max_overflow)
        except (NoSuchModuleError, ArgumentError, ImportError) as exc:
            raise OperatorError(
                f"DATABASE_URL names a database the bot cannot use ({describe(url)}: {exc}): use "
                f"postgresql://… or sqlite:///…"
            ) from None
        try:
            if upgrade:
                db.upgrade()
            else:
                db.check()
        except SQLAlchemyError as exc:
            db.dispose()
            raise OperatorError(
                f"cannot reach the database at DATABASE_URL ({describe(url)}: {_reason(exc)}): check "
                f"that it is running and that DATABASE_URL names it, with the right user and password"
            ) from None
        except OperatorError:
            db.dispose()
            raise
        return db

    def check(self) -> Status:
        """Connect and read the version; refuse a database newer than this code."""
        status = self.status()
        if status.version is not None and status.version > LATEST:
            raise OperatorError(
                f"the database at DATABASE_URL ({describe(self.url)}) has schema version {status.version}, "
                f"newer than this usecase-bot knows ({LATEST}): run a newer usecase-bot"
            )
        return status

    def status(self) -> Status:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(schema_versions.name):
                return Status(describe(self.url), None)
            version = conn.execute(sa.select(sa.func.max(schema_versions.c.version))).scalar()
        return Status(describe(self.url), version)

    def upgrade(self) -> list[tuple[int, str]]:
        """Apply the missing schema versions, once, however many processes start together."""
        applied: list[tuple[int, str]] = []
        with self._schema_lock() as conn:
            if not sa.inspect(conn).has_table(schema_versions.name):
                metadata.create_all(conn, tables=[schema_versions])
                current = 0
            else:
                current = conn.execute(sa.select(sa.func.max(schema_versions.c.version))).scalar() or 0
            if current > LATEST:
                raise OperatorError(
                    f"the database at DATABASE_URL ({describe(self.url)}) has schema version {current}, "
                    f"newer than this usecase-bot knows ({LATEST}): run a newer usecase-bot"
                )
            for version, description, step in MIGRATIONS:
                if version <= current:
                    continue
                step(conn)
                conn.execute(
                    schema_versions.insert().values(
                        version=version, description=description, applied_at=time.time()
                    )
                )
                applied.append((version, description))
        for version, description in applied:
            log.info("database schema upgraded to version %d: %s", version, description)
        return applied

    @contextlib.contextmanager
    def _schema_lock(self) -> Iterator[sa.Connection]:
        """One transaction that nobody else upgrading can enter at the same time."""
        if self.dialect == "postgresql":
            with self.engine.begin() as conn:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key("schema")})
                yield conn
        elif self.dialect == "sqlite":
            with self.engine.connect() as conn:
                conn = conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
                with conn.begin():
                    yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    def ping(self) -> bool:
        """The database answers (for /healthz)."""

        def select_one():
            with self.quick.connect() as conn:
                conn.execute(sa.text("SELECT 1"))

        try:
            retry_once(select_one)
            return True
        except SQLAlchemyError as exc:
            log.warning("database unreachable: %s", _reason(exc))
            return False

    def dispose(self) -> None:
        self.engine.dispose()

    # ---------------------------------------------------------------- locks

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Held by one thread of one process of one host at a time: a PostgreSQL advisory lock
        (released with its transaction, so also when a host dies), for SQLite an exclusive lock
        on a file beside the database (released when the process dies)."""
        with self._local_lock(name):
            if self.dialect == "postgresql":
                with self.engine.begin() as conn:
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})
                    yield
            elif self.path is not None:
                with open(f"{self.path}.lock", "a+b") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX)
                    try:
                        yield
                    finally:
                        fcntl.flock(handle, fcntl.LOCK_UN)
            else:
                yield

    def _local_lock(self, name: str) -> threading.Lock:
        with self._local_guard:
            if len(self._local_locks) > 1000:
                self._local_locks = {k: v for k, v in self._local_locks.items() if v.locked()}
            return self._local_locks.setdefault(name, threading.Lock())

    # ---------------------------------------------------------------- what it stores

    def seen_once(self, ttl: float = SEEN_TTL) -> DatabaseSeenOnce:
        return DatabaseSeenOnce(self, ttl)

    @retrying
    def record_usage(self, rows: list[dict], *, now: float | None = None) -> None:
        """Usage rows (message_id, team_id, event, use_case, goal, helpful, reply, request); a
        message id already stored is skipped (a Slack retry, a second host); rows older than
        USAGE_DAYS go."""
        if not rows:
            return
        now = time.time() if now is None else now
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(usage).on_conflict_do_nothing(index_elements=[usage.c.message_id])
        with self.engine.begin() as conn:
            conn.execute(statement, [{**row, "at": now} for row in rows])
            self._usage_count += 1
            if self._usage_count % 100 == 1:
                conn.execute(usage.delete().where(usage.c.at < now - USAGE_DAYS * 86400))

    def insights(
        self, team_id: str | None, *, days: float = USAGE_DAYS, now: float | None = None
    ) -> Insights:
        """What the team asked about in the last `days`, how the answers were rated, and the
        requests the bot could not answer (most common first)."""
        since = (time.time() if now is None else now) - days * 86400
        mine = sa.and_(usage.c.team_id == team_id, usage.c.at >= since)
        count = sa.func.count().label("n")
        with self.engine.connect() as conn:

            def top(column, event_name: str, limit: int = 5):
                rows = conn.execute(
                    sa.select(column, count)
                    .where(mine, usage.c.event == event_name, column.is_not(None))
                    .group_by(column)
                    .order_by(count.desc(), column)
                    .limit(limit)
                )
                return tuple((r[0], r[1]) for r in rows)

            rated = conn.execute(
                sa.select(usage.c.helpful, count)
                .where(mine, usage.c.event == RATED)
                .group_by(usage.c.helpful)
            ).all()
            return Insights(
                goals=top(usage.c.goal, RECOMMENDED),
                use_cases=top(usage.c.use_case, RECOMMENDED),
                helpful=sum(n for h, n in rated if h),
                rated=sum(n for _, n in rated),
                unanswered=top(usage.c.request, UNMATCHED),
            )

    def sample_tokens(self) -> list[str]:
        """A stored bot token of each kind of sealing there is (to check the key at start)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(installations.c.bot_token).where(installations.c.bot_token.is_not(None)).limit(20)
            )
            values = [r[0] for r in rows]
        return [v for v in values if v.startswith("fernet:")][:1] + [
            v for v in values if not v.startswith("fernet:")
        ][:1]

    @retrying
    def record_feedback(
        self,
        record: dict,
        *,
        team_id: str | None,
        enterprise_id: str | None = None,
        keep_days: float = FEEDBACK_DAYS,
    ) -> None:
        with self._guard_count:
            self._feedback_count += 1
            prune = self._feedback_count % 100 == 0
        with self.engine.begin() as conn:
            if prune:
                conn.execute(feedback.delete().where(feedback.c.at < time.time() - keep_days * 86400))
            conn.execute(
                feedback.insert().values(
                    at=time.time(),
                    enterprise_id=enterprise_id,
                    team_id=team_id,
                    event=str(record.get("event") or "feedback")[:40],
                    record=json.dumps(record, sort_keys=True, ensure_ascii=False),
                )
            )

    def feedback_records(self, team_id: str | None = None) -> list[dict]:
        query = sa.select(feedback).order_by(feedback.c.id)
        if team_id is not None:
            query = query.where(feedback.c.team_id == team_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [{**json.loads(r["record"]), "team_id": r["team_id"], "at": r["at"]} for r in rows]

    def forget_team(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """What the bot keeps about a workspace besides its installation: its feedback."""
        with self.engine.begin() as conn:
            conn.execute(usage.delete().where(usage.c.team_id == team_id))
            conn.execute(
                feedback.delete().where(
                    feedback.c.team_id == team_id if team_id is not None else feedback.c.team_id.is_(None),
                    feedback.c.enterprise_id == enterprise_id
                    if enterprise_id is not None
                    else feedback.c.enterprise_id.is_(None),
                )
            )

    def counts(self) -> dict[str, int]:
        """How much of each thing is stored (for `usecase-bot db status`)."""
        with self.engine.connect() as conn:

            def count(query) -> int:
                return conn.execute(query).scalar() or 0

            return {
                "workspaces installed": count(sa.select(sa.func.count(sa.distinct(installations.c.team_id)))),
                "installation rows": count(sa.select(sa.func.count()).select_from(installations)),
                "OAuth states waiting": count(sa.select(sa.func.count()).select_from(oauth_states)),
                "seen-once keys": count(sa.select(sa.func.count()).select_from(seen)),
                "feedback records": count(sa.select(sa.func.count()).select_from(feedback)),
            }

    def reseal_tokens(self, cipher) -> int:
        """Every stored token encrypted again with the cipher's first key (bot.tokens); plain
        ones (stored before a key was set) encrypted. One transaction: all or nothing."""
        changed = 0
        with self.engine.begin() as conn:
            for table, columns in (
                (installations, ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")),
                (bots, ("bot_token", "bot_refresh_token")),
            ):
                for row in (
                    conn.execute(sa.select(table.c.id, *(table.c[c] for c in columns))).mappings().all()
                ):
                    values = {c: cipher.reseal(row[c]) for c in columns if row[c] is not None}
                    if values:
                        conn.execute(table.update().where(table.c.id == row["id"]).values(**values))
                        changed += len(values)
        return changed

    def delete_team(self, team_id: str) -> dict[str, int]:
        """Everything stored about a workspace (`usecase-bot db forget-team`)."""
        with self.engine.begin() as conn:
            return {
                "installation rows": conn.execute(
                    installations.delete().where(installations.c.team_id == team_id)
                ).rowcount,
                "bot rows": conn.execute(bots.delete().where(bots.c.team_id == team_id)).rowcount,
                "feedback records": conn.execute(
                    feedback.delete().where(feedback.c.team_id == team_id)
                ).rowcount,
                "usage rows": conn.execute(usage.delete().where(usage.c.team_id == team_id)).rowcount,
            }

    def prune(self, *, feedback_days: float = FEEDBACK_DAYS, now: float | None = None) -> dict[str, int]:
        """Drop what is past its time: expired OAuth states, old feedback (and seen-once keys,
        which DatabaseSeenOnce also prunes as it goes)."""
        now = time.time() if now is None else now
        removed = {}
        with self.engine.begin() as conn:
            from datetime import datetime

            utc_now = datetime.fromtimestamp(now, tz=UTC).replace(tzinfo=None)
            removed["oauth_states"] = conn.execute(
                oauth_states.delete().where(oauth_states.c.expire_at < utc_now)
            ).rowcount
            removed["feedback"] = conn.execute(
                feedback.delete().where(feedback.c.at < now - feedback_days * 86400)
            ).rowcount
            removed["seen"] = conn.execute(seen.delete().where(seen.c.at < now - SEEN_TTL)).rowcount
        return removed


def open_database(
    settings, *, upgrade: bool = True, prune: bool = False, check_tokens: bool = False
) -> Database:
    """The database `settings` name (DATABASE_URL, or the SQLite file in USECASE_DATA_DIR), or an
    OperatorError naming the setting. `prune`: drop what is past its time now; `check_tokens`:
    refuse to start when the stored tokens do not decrypt with USECASE_TOKEN_KEY."""
    db = Database.open(settings.database_url, settings.data_dir, upgrade=upgrade)
    try:
        if prune:
            db.prune(feedback_days=settings.feedback_days)
        if check_tokens:
            from bot.tokens import TokenCipher, TokenKeyError

            cipher = TokenCipher(settings.token_keys)
            try:
                for value in db.sample_tokens():
                    cipher.open(value)
            except TokenKeyError as exc:
                raise OperatorError(str(exc)) from None
    except SQLAlchemyError as exc:
        db.dispose()
        raise OperatorError(
            f"the database at DATABASE_URL ({describe(db.url)}) failed: {_reason(exc)}: check it"
        ) from None
    except OperatorError:
        db.dispose()
        raise
    return db


class UsageRecorder:
    """The usage the conversation reports (bot.analytics.Usage), kept as rows for the team's
    admins; a failure is logged once and never reaches anyone."""

    def __init__(self, db: Database):
        self.db = db
        self._failure_logged = False

    def record(self, usages, *, team: str | None, user: str | None, slack_ids: str) -> None:  # noqa: ARG002
        rows = []
        for u in usages:
            p = u.properties
            key = hashlib.sha256(f"{slack_ids}\x00{u.event}".encode()).hexdigest()
            text = p.get(TEXT_PROPERTY) if u.event == UNMATCHED else None
            rows.append(
                {
                    "message_id": key,
                    "team_id": team,
                    "event": u.event[:40],
                    "use_case": p.get("use_case"),
                    "goal": p.get("goal"),
                    "helpful": p.get("helpful") if isinstance(p.get("helpful"), bool) else None,
                    "reply": p.get("reply"),
                    "request": " ".join(str(text).split())[:500] if text else None,
                }
            )
        try:
            self.db.record_usage(rows)
        except Exception as exc:  # noqa: BLE001 - counting never gets in the way of an answer
            if not self._failure_logged:
                self._failure_logged = True
                log.warning("storing usage failed: %s", _reason(exc))


class DatabaseSeenOnce:
    """`first(key)`: True the first time a key is seen within the time-to-live, on any worker of
    any host. One atomic statement decides: insert the key, or, when it is there already, take it
    over only if it has expired (`INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`); a row
    back says this call won. Rows are pruned by age and count as it goes, so the table stays small."""

    PRUNE_EVERY = 500
    MAX_ROWS = 20_000  # Slack retries within minutes; far more than an hour of events
    MAX_KEY = 200

    def __init__(self, db: Database, ttl: float = SEEN_TTL):
        self.db = db
        self.ttl = ttl
        self.clock = time.time  # the hosts' clocks need only agree to within the time-to-live
        self._count = 0
        self._guard = threading.Lock()
        if db.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif db.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - the two the bot supports
            raise OperatorError(f"seen-once keys need PostgreSQL or SQLite, not {db.dialect}")
        self._insert = insert

    def first(self, key: str) -> bool:
        return self.claim(key, lease=None)

    def claim(self, key: str, lease: float | None = CLAIM_LEASE) -> bool:
        """Like `first`, but held only `lease` seconds until `settle`d (None: settled at once), so
        work that dies half-way can be taken over by Slack's retry. A claim is a row whose time is
        set back so that it expires `lease` seconds from now."""
        key = self._key(key)
        now = self.clock()
        at = now if lease is None else now - self.ttl + min(lease, self.ttl)
        statement = self._insert(seen).values(key=key, at=at)
        statement = statement.on_conflict_do_update(
            index_elements=[seen.c.key],
            set_={"at": statement.excluded.at},
            where=seen.c.at < now - self.ttl,
        ).returning(seen.c.key)  # a row back: this call inserted or took over the key
        with self._guard:
            self._count += 1
            prune = self._count % self.PRUNE_EVERY == 0
        won = retry_once(lambda: self._claim(statement))
        if prune:
            self.prune(now)
        return won

    def _claim(self, statement) -> bool:
        with self.db.quick.begin() as conn:
            return conn.execute(statement).first() is not None

    def settle(self, key: str) -> None:
        """The claimed work is done: the key is kept for the whole time-to-live."""
        statement = seen.update().where(seen.c.key == self._key(key)).values(at=self.clock())
        retry_once(lambda: self._run(statement))

    def release(self, key: str) -> None:
        """The claimed work failed and the person was told: the next try is a first time again."""
        statement = seen.delete().where(seen.c.key == self._key(key))
        retry_once(lambda: self._run(statement))

    def _run(self, statement) -> None:
        with self.db.quick.begin() as conn:
            conn.execute(statement)

    def _key(self, key: str) -> str:
        if len(key) > self.MAX_KEY:
            return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return key

    def prune(self, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        with self.db.engine.begin() as conn:
            conn.execute(seen.delete().where(seen.c.at < now - self.ttl))
            newest_kept = (
                sa.select(seen.c.at)
                .order_by(seen.c.at.desc())
                .limit(1)
                .offset(self.MAX_ROWS)
                .scalar_subquery()
            )
            conn.execute(seen.delete().where(seen.c.at <= newest_kept))

    def __len__(self) -> int:
        with self.db.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(seen)).scalar() or 0


# ------------------------------------------------------------------ feedback, from its log line

# Where the feedback of the request being answered goes (the database, with the workspace it came
# from): set by a middleware for each request (bot.oauth.connect), carried to the work after the
# ack with the rest of the request's context (bot.listeners.Background).
feedback_sink: ContextVar[Callable[[dict], None] | None] = ContextVar("usecase_feedback_sink", default=None)
FEEDBACK_LOGGER = "usecase_bot.feedback"


class FeedbackRecorder(logging.Handler):
    """The hook: every record the conversation asks to log on the `usecase_bot.feedback` logger
    (a JSON object per line, written by Delivery) is also stored, where a sink is set. The log
    line itself is left as it is."""

    def emit(self, record: logging.LogRecord) -> None:
        sink = feedback_sink.get()
        if sink is None:
            return
        try:
            data = json.loads(record.getMessage())
            if isinstance(data, dict):
                sink(data)
        except Exception as exc:  # noqa: BLE001 - a lost feedback record must not fail the reply
            log.warning("a feedback record was not stored: %s", type(exc).__name__)


def install_feedback_recorder() -> None:
    """Once per process. The logger is set to INFO so that the records reach the hook (and the
    log) whatever LOG_LEVEL says."""
    logger = logging.getLogger(FEEDBACK_LOGGER)
    if not any(isinstance(h, FeedbackRecorder) for h in logger.handlers):
        logger.addHandler(FeedbackRecorder())
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)


def _lock_key(name: str) -> int:
    """A signed 64-bit number for pg_advisory_xact_lock, the same on every host."""
    return int.from_bytes(hashlib.sha256(f"usecase-bot:{name}".encode()).digest()[:8], "big", signed=True)


def _reason(exc: BaseException) -> str:
    """The database driver's complaint, in one line and short (no URL, no password)."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    text = lines[0][:160] if lines else ""
    return f"{type(original).__name__}: {text}" if text else type(original).__name__
