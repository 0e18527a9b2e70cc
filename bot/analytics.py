"""The bot's own usage analytics, sent through Segment's Python library.

Nothing is sent without SEGMENT_WRITE_KEY. People are pseudonymous: `userId` is a salted hash
of team and user, `groupId` a salted hash of the team (USECASE_ANALYTICS_SALT), and each team
gets one `group` call with no personal data. Every event's `messageId` is derived from Slack's
own ids (the event id, the action's `action_ts` with the message ts, the command's
`trigger_id`), so a Slack retry or a double click is one message to Segment, which drops
duplicate message ids. Sending is asynchronous and batched by the library's consumer thread;
a failure is logged once and never reaches the person or slows an ack. The queue is flushed on
shutdown.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger("usecase_bot.analytics")

# a namespace of our own for the message ids (uuid5 of Slack's ids and the event name)
MESSAGE_ID_NAMESPACE = uuid.UUID("6f1f3d1c-3c5e-4a7e-9a49-2f3b7d4c8e11")
TEXT_PROPERTY = "text"  # a person's words: sent only when USECASE_ANALYTICS_TEXT=1
CLOSE_TIMEOUT = 3.0  # seconds a shutdown waits for the queue to be sent


@dataclass(frozen=True)
class Insights:
    """A team's last 30 days, for its admins: (id or words, count) pairs, most first."""

    goals: tuple[tuple[str, int], ...]
    use_cases: tuple[tuple[str, int], ...]
    helpful: int
    rated: int
    unanswered: tuple[tuple[str, int], ...]


class Sinks:
    """Several places that count usage (Segment, the database), recorded as one."""

    def __init__(self, *sinks):
        self.sinks = [s for s in sinks if s is not None]

    def record(self, usages, *, team: str | None, user: str | None, slack_ids: str) -> None:
        usages = list(usages)
        for sink in self.sinks:
            sink.record(usages, team=team, user=user, slack_ids=slack_ids)


@dataclass(frozen=True)
class Usage:
    """One thing worth counting, as the conversation saw it: an event name and its properties."""

    event: str
    properties: dict = field(default_factory=dict)


def pseudonym(salt: str, *parts: str | None) -> str:
    """A salted hash: the same person gets the same id, and no id can be read back."""
    digest = hashlib.sha256(salt.encode("utf-8"))
    for part in parts:
        digest.update(b"\x00" + (part or "").encode("utf-8"))
    return digest.hexdigest()[:32]


def message_id(slack_ids: str, event: str) -> str:
    """The same Slack occurrence and event always give the same message id."""
    return str(uuid.uuid5(MESSAGE_ID_NAMESPACE, f"{slack_ids}\x00{event}"))


class Analytics:
    """Records usage through Segment's library; `record` never raises."""

    def __init__(
        self, write_key: str, salt: str, *, host: str | None = None, send_text: bool = False, client=None
    ):
        if client is None:
            from segment.analytics import Client

            client = Client(
                write_key,
                host=host,
                on_error=self._failed,
                max_retries=3,
                timeout=5,
                upload_interval=0.5,
                max_total_backoff_duration=10,
            )
        self.client = client
        # the library joins its consumer at exit however long a retry takes; ours is bounded
        atexit.unregister(client.join)
        # the library logs every failed upload; ours is logged once (on_error), so quieten it
        logging.getLogger("segment").setLevel(logging.CRITICAL)
        self.salt = salt
        self.send_text = send_text
        self._grouped: set[str] = set()
        self._lock = threading.Lock()
        self._failure_logged = False
        _OPEN.add(self)

    def _failed(self, error, _batch) -> None:
        if not self._failure_logged:  # once: a Segment outage must not flood the log
            self._failure_logged = True
            log.warning("sending usage analytics to Segment failed: %s", type(error).__name__)

    def record(self, usages: Iterable[Usage], *, team: str | None, user: str | None, slack_ids: str) -> None:
        try:
            for usage in usages:
                self._track(usage, team, user, slack_ids)
        except Exception as exc:  # noqa: BLE001 - analytics never get in the way of an answer
            self._failed(exc, None)

    def _track(self, usage: Usage, team: str | None, user: str | None, slack_ids: str) -> None:
        group_id = pseudonym(self.salt, "team", team)
        user_id = pseudonym(self.salt, "user", team, user)
        self._group_once(user_id, group_id)
        properties = dict(usage.properties)
        if not self.send_text:
            properties.pop(TEXT_PROPERTY, None)
        self.client.track(
            user_id=user_id,
            event=usage.event,
            properties=properties,
            context={"groupId": group_id},
            message_id=message_id(slack_ids, usage.event),
        )

    def _group_once(self, user_id: str, group_id: str) -> None:
        with self._lock:
            if group_id in self._grouped:
                return
            self._grouped.add(group_id)
        # one group call a team (its message id follows from the team, so every process agrees)
        self.client.group(
            user_id=user_id, group_id=group_id, traits={}, message_id=message_id(group_id, "group")
        )

    def close(self, timeout: float = CLOSE_TIMEOUT) -> threading.Thread:
        """Send what is queued, then stop the consumer thread: at most `timeout` seconds, so a
        Segment that is down cannot hold up a shutdown."""

        def drain() -> None:
            try:
                self.client.flush()
                self.client.join()
            except Exception as exc:  # noqa: BLE001
                self._failed(exc, None)

        _OPEN.discard(self)
        closing = threading.Thread(target=drain, name="usecase-analytics-close", daemon=True)
        closing.start()
        closing.join(timeout)
        return closing


_OPEN: weakref.WeakSet[Analytics] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """At exit, every client sends what it has queued, all at once, within one timeout."""
    for analytics in list(_OPEN):
        analytics.close(timeout=0)
    deadline = time.monotonic() + CLOSE_TIMEOUT
    for thread in threading.enumerate():
        if thread.name == "usecase-analytics-close":
            thread.join(max(0.0, deadline - time.monotonic()))


Recorder = Callable[[Iterable[Usage]], None]


def recorder(
    analytics: Analytics | None, *, team: str | None, user: str | None, slack_ids: str | None
) -> Recorder:
    """What a listener hands its delivery: usages recorded with this occurrence's Slack ids."""
    if analytics is None or not slack_ids:
        return lambda usages: None
    return lambda usages: analytics.record(usages, team=team, user=user, slack_ids=slack_ids)
