"""The bot's database, on SQLite and on PostgreSQL alike: a versioned schema, seen-once keys that
hold across threads, processes and restarts, feedback records, locks, and what it tells the
operator when something is wrong."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from bot.errors import OperatorError
from bot.storage import LATEST, Database, database_url, schema_versions, seen


def open_db(url: str, **kwargs) -> Database:
    return Database.open(url, **kwargs)


@pytest.fixture
def db(database_url):
    database = open_db(database_url)
    yield database
    database.dispose()


# ------------------------------------------------------------------ URLs


def test_postgresql_urls_are_served_by_psycopg_as_written():
    assert database_url("postgresql://u:p@db.example:5432/bot").drivername == "postgresql+psycopg"
    assert database_url("postgres://u@db/bot").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://u@db/bot").drivername == "postgresql+psycopg"


def test_without_database_url_a_sqlite_file_in_the_data_folder(tmp_path):
    url = database_url(None, str(tmp_path / "data"))
    assert url.drivername == "sqlite" and url.database == str(tmp_path / "data" / "usecase-bot.sqlite3")
    db = Database.open(None, str(tmp_path / "data"))  # created on first start, folder and all
    try:
        assert (tmp_path / "data" / "usecase-bot.sqlite3").is_file()
        assert db.status().version == LATEST
    finally:
        db.dispose()


@pytest.mark.parametrize(
    "raw,says",
    [
        ("nonsense", "not a database URL"),
        ("mysql://root@db/bot", "mysql"),
        ("postgresql://bot:hunter2@127.0.0.1:1/bot", "cannot reach"),
    ],
)
def test_a_database_url_the_bot_cannot_use_is_one_line_naming_it(raw, says):
    with pytest.raises(OperatorError) as info:
        Database.open(raw)
    line = str(info.value)
    assert "DATABASE_URL" in line and says in line and "\n" not in line, line
    assert "hunter2" not in line  # never the password


# ------------------------------------------------------------------ the schema


def test_a_new_database_gets_the_whole_schema_once(db):
    status = db.status()
    assert status.version == LATEST and status.current
    assert db.upgrade() == []  # nothing left to apply
    with db.engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        versions = conn.execute(sa.select(schema_versions.c.version)).scalars().all()
    assert {
        "slack_installations",
        "slack_bots",
        "slack_oauth_states",
        "usecase_seen",
        "usecase_feedback",
    } <= names
    assert versions == list(range(1, LATEST + 1))


def _upgrade(url: str, out) -> None:
    db = Database(database_url(url))
    try:
        out.put(("ok", db.upgrade()))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        out.put(("error", repr(exc)))
    finally:
        db.dispose()


def test_hosts_starting_together_upgrade_the_schema_once(database_url):
    out = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_upgrade, args=(database_url, out)) for _ in range(4)]
    for w in workers:
        w.start()
    results = [out.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(30)
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(len(applied) for _, applied in results) == LATEST  # each version applied by one of them
    db = open_db(database_url, upgrade=False)
    try:
        assert db.status().version == LATEST
    finally:
        db.dispose()


def test_a_database_newer_than_the_code_is_refused(db, database_url):
    with db.engine.begin() as conn:
        conn.execute(
            schema_versions.insert().values(version=LATEST + 1, description="from the future", applied_at=0)
        )
    for upgrade in (True, False):
        with pytest.raises(OperatorError) as info:
            open_db(database_url, upgrade=upgrade)
        assert "DATABASE_URL" in str(info.value) and "newer" in str(info.value)


# ------------------------------------------------------------------ seen once


def test_one_of_many_threads_wins_a_key(db):
    once = db.seen_once()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: once.first("event:Ev1"), range(64)))
    assert results.count(True) == 1
    assert once.first("event:Ev2")  # another key is another first time


def _claim(url: str, key: str, start, out) -> None:
    db = Database(database_url(url))
    try:
        start.wait(30)
        out.put(db.seen_once().first(key))
    finally:
        db.dispose()


def test_one_of_many_processes_wins_a_key(db, database_url):
    out, start = multiprocessing.Queue(), multiprocessing.Event()
    workers = [
        multiprocessing.Process(target=_claim, args=(database_url, "click:x:C1:1.2", start, out))
        for _ in range(6)
    ]
    for w in workers:
        w.start()
    start.set()
    results = [out.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(30)
    assert results.count(True) == 1, results


def test_a_key_is_remembered_across_a_restart(database_url):
    first = open_db(database_url)
    assert first.seen_once().first("event:Ev3")
    first.dispose()
    second = open_db(database_url)  # a new process, the same database
    try:
        assert not second.seen_once().first("event:Ev3")
    finally:
        second.dispose()


def test_a_key_is_new_again_after_its_time_to_live(db):
    once = db.seen_once(ttl=60)
    clock = [1_000_000.0]
    once.clock = lambda: clock[0]
    assert once.first("k") and not once.first("k")
    clock[0] += 59
    assert not once.first("k")  # still within the minute (counted from the first sight)
    clock[0] += 2
    assert once.first("k") and not once.first("k")  # expired, and taken again by one caller


def test_a_claim_is_settled_released_or_lapses(db):
    once = db.seen_once(ttl=3600)
    clock = [1_000_000.0]
    once.clock = lambda: clock[0]
    assert once.claim("click:step:C1:1.2", lease=15) and not once.claim("click:step:C1:1.2")
    once.release("click:step:C1:1.2")  # the next step failed and the person was told
    assert once.claim("click:step:C1:1.2", lease=15)
    once.settle("click:step:C1:1.2")
    clock[0] += 60
    assert not once.claim("click:step:C1:1.2")  # settled: kept for the hour
    assert once.claim("message:C1:9.9", lease=15)  # its worker dies before settling
    clock[0] += 16
    assert once.claim("message:C1:9.9")  # Slack's retry, a minute later, is answered


def test_the_seen_table_stays_bounded(db):
    once = db.seen_once()
    once.MAX_ROWS, once.PRUNE_EVERY = 50, 10
    for i in range(500):
        once.first(f"k{i}")
    assert len(once) <= 60
    with db.engine.connect() as conn:
        kept = set(conn.execute(sa.select(seen.c.key)).scalars())
    assert "k499" in kept and "k0" not in kept  # the newest stay


def test_a_long_key_is_kept_as_its_digest(db):
    once = db.seen_once()
    key = "click:" + "x" * 500
    assert once.first(key) and not once.first(key) and once.first(key + "y")


# ------------------------------------------------------------------ feedback and pruning


def test_feedback_is_stored_per_workspace_and_forgotten_with_it(db):
    db.record_feedback({"event": "feedback", "helpful": True, "use_case": "accelerate-signup"}, team_id="T1")
    db.record_feedback({"event": "feedback_reason", "reason": "<b>too vague</b>"}, team_id="T2")
    assert [r["use_case"] for r in db.feedback_records("T1")] == ["accelerate-signup"]
    assert db.feedback_records("T2")[0]["reason"] == "<b>too vague</b>"  # stored as given
    db.forget_team(enterprise_id=None, team_id="T1")
    assert db.feedback_records("T1") == [] and len(db.feedback_records()) == 1


def test_old_feedback_and_expired_states_are_pruned(db):
    import time

    db.record_feedback({"event": "feedback"}, team_id="T1")
    later = time.time() + 31 * 86400
    assert db.prune(feedback_days=60, now=later)["feedback"] == 0
    assert db.prune(feedback_days=30, now=later)["feedback"] == 1
    assert db.feedback_records() == []


# ------------------------------------------------------------------ locks


def _count_under_lock(url: str, rounds: int, start, out) -> None:
    db = Database(database_url(url))
    try:
        start.wait(30)
        for _ in range(rounds):
            with db.lock("counter"):
                with db.engine.begin() as conn:  # read, then write: lost updates without the lock
                    value = conn.execute(sa.select(seen.c.at).where(seen.c.key == "counter")).scalar()
                with db.engine.begin() as conn:
                    conn.execute(seen.update().where(seen.c.key == "counter").values(at=value + 1))
        out.put("done")
    finally:
        db.dispose()


def test_a_lock_is_held_by_one_process_and_thread_at_a_time(db, database_url):
    with db.engine.begin() as conn:
        conn.execute(seen.insert().values(key="counter", at=0))
    out, start = multiprocessing.Queue(), multiprocessing.Event()
    processes = [
        multiprocessing.Process(target=_count_under_lock, args=(database_url, 25, start, out))
        for _ in range(3)
    ]
    threads = [
        threading.Thread(target=_count_under_lock, args=(database_url, 25, start, out)) for _ in range(3)
    ]
    for w in processes + threads:
        w.start()
    start.set()
    assert [out.get(timeout=120) for _ in processes + threads] == ["done"] * 6
    for w in processes + threads:
        w.join(30)
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(seen.c.at).where(seen.c.key == "counter")).scalar() == 150


def test_healthz_sees_whether_the_database_answers(db):
    assert db.ping()
    db.engine.dispose()
    broken = Database(database_url("postgresql://nobody@127.0.0.1:1/none"))
    assert not broken.ping()
