"""Admin insights on the Home tab, from a seeded database: what the team asked about in the last
30 days, how the answers were rated and what went unanswered; shown to admins only."""

from __future__ import annotations

import json
import time

import pytest

from bot.analytics import Usage
from bot.app import build_app
from bot.dedupe import MemorySeenOnce
from bot.sandbox.workspace import HUMAN_ID, TEAM_ID
from bot.storage import Database, UsageRecorder
from tests.support.harness import Harness, identity_of, make_settings
from tests.support.jobs import track_background_work
from tests.test_home import open_home


def seed(db: Database) -> None:
    recorder = UsageRecorder(db)
    usages = [
        Usage(
            "Use Case Recommended",
            {"use_case": "mitigate-high-value-churn", "goal": "boost-retention-upsell-cross-sell"},
        )
    ] * 3
    usages += [
        Usage(
            "Use Case Recommended",
            {"use_case": "mitigate-cart-abandonment", "goal": "personalize-first-conversion"},
        )
    ]
    usages += [
        Usage("Recommendation Rated", {"helpful": True}),
        Usage("Recommendation Rated", {"helpful": False}),
    ]
    usages += [
        Usage("No Use Case Matched", {"reply": "support", "text": "how do I rotate our write key"})
    ] * 2
    for i, usage in enumerate(usages):
        recorder.record([usage], team=TEAM_ID, user=HUMAN_ID, slack_ids=f"seed:{i}")
    recorder.record(usages[:1], team="T0OTHER", user="U0X", slack_ids="other")  # another team's
    old = Usage("No Use Case Matched", {"reply": "no_match", "text": "a request from long ago"})
    db.record_usage(
        [
            {
                "message_id": "old",
                "team_id": TEAM_ID,
                "event": old.event,
                "reply": "no_match",
                "request": old.properties["text"],
            }
        ],
        now=time.time() - 40 * 86400,
    )


def test_insights_count_the_teams_last_30_days(database_url):
    db = Database.open(database_url)
    try:
        seed(db)
        found = db.insights(TEAM_ID)
        assert found.use_cases[0] == ("mitigate-high-value-churn", 3)
        assert dict(found.goals)["personalize-first-conversion"] == 1
        assert (found.helpful, found.rated) == (1, 2)
        assert found.unanswered == (("how do I rotate our write key", 2),)  # the 40-day-old one is not
        recorder = UsageRecorder(db)
        recorder.record(
            [Usage("Recommendation Rated", {"helpful": True})],
            team=TEAM_ID,
            user=HUMAN_ID,
            slack_ids="seed:4",
        )  # a retry of one already stored
        assert db.insights(TEAM_ID).rated == 2
    finally:
        db.dispose()


@pytest.fixture
def home_with_db(stand_in, catalog, matcher, monkeypatch, tmp_path):
    db = Database.open(f"sqlite:///{tmp_path}/insights.sqlite3")
    seed(db)
    jobs = track_background_work(monkeypatch)
    app = build_app(
        make_settings(stand_in.api_url, admins=frozenset({"U0OPERATR"})),
        catalog,
        identity=identity_of(stand_in.workspace),
        seen=MemorySeenOnce(),
        matcher=matcher,
        database=db,
    )
    jobs.expect_pool()
    h = Harness(stand_in, app, catalog, jobs=jobs)
    yield h
    h.settle()
    db.dispose()


def test_someone_who_is_not_an_admin_sees_no_insights(home_with_db):
    view = open_home(home_with_db)
    assert "Insights" not in json.dumps(view["blocks"])


def test_a_workspace_admin_sees_the_insights(home_with_db):
    home_with_db.workspace.admins.add(HUMAN_ID)
    shown = json.dumps(open_home(home_with_db)["blocks"], ensure_ascii=False)
    assert "Insights: the last 30 days" in shown
    assert "Mitigate high value churn (3)" in shown and "50% of 2" in shown
    assert "how do I rotate our write key" in shown and "long ago" not in shown
    assert home_with_db.calls("users.info")[0]["user"] == HUMAN_ID
