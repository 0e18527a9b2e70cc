"""Fixtures: the bundled catalog, the Block Kit validator, and a Slack stand-in driving the real
Bolt app (the harnesses themselves are in tests/support/).

The app under test is the production `build_app`; Slack's side is played by signed,
Slack-shaped requests (bot.sandbox.people.SlackSide) and a loopback fake Web API
(bot.sandbox.server.SlackStandIn) that keeps the conversation, so tests read what a person
would see.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import settings as hypothesis_settings

from bot.app import build_app
from bot.catalog import load_catalog
from bot.dedupe import MemorySeenOnce
from bot.matcher import Matcher
from tests.support.blockkit import block_kit_problems, load_block_kit_validator
from tests.support.harness import Harness, identity_of, make_settings
from tests.support.jobs import track_background_work
from tests.support.postgres import URL_VARIABLE, Cluster, NoPostgres, drop_database, fresh_database
from tests.support.processes import start_stand_in

IN_CI = os.environ.get("CI", "").lower() in ("true", "1")

# Hypothesis. Locally: its defaults, random exploration (and its example database in .hypothesis/,
# so a failure found once is tried first next time). In CI (CI=true), or with
# HYPOTHESIS_PROFILE=ci: the same cases on every run. Derandomized, the cases are a function of
# each test alone, so a CI failure is reproduced anywhere with HYPOTHESIS_PROFILE=ci; an example
# database would add nothing but state (CI runs in a fresh clone, and one committed here would
# change under every run), hence none. No deadline: a loaded machine must not turn a slow case
# into a failure.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() in ("true", "1") else "default")
)


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def matcher(catalog):
    """One matcher for the in-process apps, as production builds one before its workers fork (it
    keeps nothing but memo caches of pure functions)."""
    return Matcher(catalog)


@pytest.fixture(scope="session")
def block_kit_validator():
    return load_block_kit_validator()


@pytest.fixture
def stand_in():
    server = start_stand_in()
    yield server
    server.stop()


@pytest.fixture
def harness(stand_in, catalog, matcher, block_kit_validator, monkeypatch):
    jobs = track_background_work(monkeypatch)  # so a test can wait for the work after the acks
    app = build_app(
        make_settings(stand_in.api_url),
        catalog,
        identity=identity_of(stand_in.workspace),
        seen=MemorySeenOnce(),
        matcher=matcher,
    )
    jobs.expect_pool()
    h = Harness(stand_in, app, catalog, jobs=jobs)
    yield h
    h.settle()
    # every message the bot sent during the test must be one Slack accepts
    for method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
        for params in h.calls(method):
            blocks = params.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            assert params.get("text"), f"{method} without a text fallback: {params}"
            assert not block_kit_problems(block_kit_validator, blocks), (
                method,
                block_kit_problems(block_kit_validator, blocks),
            )


# ------------------------------------------------------------------ databases


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the run (a superuser's URL): USECASE_TEST_POSTGRES_URL when set
    (.ci/run starts one), else a throwaway cluster started here when the server's binaries are
    on this machine. In CI a missing server fails the tests that need it; elsewhere they skip."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        yield url
        return
    try:
        cluster = Cluster.start()
    except NoPostgres as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is needed in CI: {exc} (.ci/run installs and starts it)", pytrace=False)
        pytest.skip(f"no PostgreSQL here ({exc}); set {URL_VARIABLE} to a server to run these tests")
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the run's PostgreSQL server."""
    url = fresh_database(postgres_server)
    yield url
    drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each test that takes it runs twice: on a SQLite file, and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/usecase-bot.sqlite3"
    return request.getfixturevalue("postgres_url")
