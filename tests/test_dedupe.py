"""First-time checks in one process: once per key, with bounded size (the database's, shared by
processes and hosts, are tested in tests/test_storage.py)."""

from __future__ import annotations

import time

from bot.dedupe import MemorySeenOnce


def test_memory_seen_once_is_first_once_and_bounded():
    seen = MemorySeenOnce(max_items=100)
    assert seen.first("a") and not seen.first("a")
    for i in range(1000):
        seen.first(str(i))
    assert len(seen) <= 100
    assert seen.first("a")  # long forgotten: bounded, not a leak


def test_memory_seen_once_forgets_after_its_time_to_live():
    seen = MemorySeenOnce(ttl=0)
    assert seen.first("k") and seen.first("k")


def test_a_claim_holds_until_settled_or_released_and_lapses_when_abandoned():
    seen = MemorySeenOnce()
    assert seen.claim("work") and not seen.claim("work")  # a second copy while the first works
    seen.release("work")  # the work failed, the person was told: trying again is a first time
    assert seen.claim("work")
    seen.settle("work")
    assert not seen.claim("work", lease=0)
    assert seen.claim("abandoned", lease=0.01)  # its worker died before settling
    time.sleep(0.02)
    assert seen.claim("abandoned")  # Slack's later retry is answered
