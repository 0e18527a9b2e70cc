"""The state of a free-text conversation, carried in Slack message metadata on the bot's posts.

No conversation store (DESIGN.md, rule 3): every answer the bot posts in a thread carries what
it needs to read the next reply there as part of the same conversation, as Slack's message
metadata (`metadata` on chat.postMessage: {event_type, event_payload}). A reply in the thread
is read against the latest post that carries it, fetched with conversations.replies
(include_all_metadata=true). Anything that does not decode is no state at all: the bot then
stays quiet in that thread (or answers the reply on its own when it is addressed to it).

The payload is flat (strings and lists of strings) and small: the texts of the conversation so
far (clipped), who took part, what was answered and the options around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EVENT_TYPE = "usecase_conversation"
VERSION = "1"
TEXTS_MAX = 4  # the conversation's latest texts kept
TEXT_MAX = 600  # characters of each
PEOPLE_MAX = 8
OPTIONS_MAX = 4
ID_MAX = 100  # a Slack user id or a catalog id is far shorter
TEXT_READ_MAX = 5 * TEXT_MAX  # a text read back: room for each character to come back as an entity


@dataclass(frozen=True)
class ConversationState:
    texts: tuple[str, ...]  # what was asked so far, oldest first
    people: tuple[str, ...]  # who asked or refined (Slack user ids)
    answer: str = ""  # the use case recommended last, if one was
    goal: str = ""  # its goal
    options: tuple[str, ...] = ()  # the other use cases offered
    other_ask: tuple[str, ...] = field(default=())  # a second ask's use cases, not answered yet

    def with_reply(self, text: str, user_id: str | None) -> ConversationState:
        people = self.people if not user_id or user_id in self.people else (*self.people, user_id)
        return ConversationState(
            texts=(*self.texts, text)[-TEXTS_MAX:],
            people=people[-PEOPLE_MAX:],
            answer=self.answer,
            goal=self.goal,
            options=self.options,
            other_ask=self.other_ask,
        )

    def to_metadata(self) -> dict:
        return {
            "event_type": EVENT_TYPE,
            "event_payload": {
                "v": VERSION,
                "texts": [t[:TEXT_MAX] for t in self.texts[-TEXTS_MAX:]],
                "people": list(self.people[-PEOPLE_MAX:]),
                "answer": self.answer,
                "goal": self.goal,
                "options": list(self.options[:OPTIONS_MAX]),
                "other_ask": list(self.other_ask[:OPTIONS_MAX]),
            },
        }


def _strings(value, limit: int, length: int) -> tuple[str, ...] | None:
    """A list of at most `limit` strings of at most `length` characters, or None: its size is
    checked before any item is looked at."""
    if not isinstance(value, list) or len(value) > limit:
        return None
    if not all(isinstance(v, str) and len(v) <= length for v in value):
        return None
    return tuple(value)


def decode(metadata) -> ConversationState | None:
    """The state in a message's metadata, or None when it is not ours or does not decode.

    Only what to_metadata could have written decodes: a flat payload, its lists no longer than it
    makes them and its strings short. Anything bigger, or nested where a string belongs, is not
    ours, and is refused before its items are looked at."""
    if not isinstance(metadata, dict) or metadata.get("event_type") != EVENT_TYPE:
        return None
    payload = metadata.get("event_payload")
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        return None
    texts = _strings(payload.get("texts"), TEXTS_MAX, TEXT_READ_MAX)
    people = _strings(payload.get("people"), PEOPLE_MAX, ID_MAX)
    options = _strings(payload.get("options", []), OPTIONS_MAX, ID_MAX)
    other = _strings(payload.get("other_ask", []), OPTIONS_MAX, ID_MAX)
    answer, goal = payload.get("answer", ""), payload.get("goal", "")
    if None in (texts, people, options, other) or not _id(answer) or not _id(goal):
        return None
    return ConversationState(
        texts=tuple(t[:TEXT_MAX] for t in texts),
        people=people,
        answer=answer,
        goal=goal,
        options=options,
        other_ask=other,
    )


def _id(value) -> bool:
    return isinstance(value, str) and len(value) <= ID_MAX


def latest(messages, bot_user_id: str | None, bot_id: str | None) -> ConversationState | None:
    """The state on the latest of the bot's own messages in a thread that carries one."""
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if not isinstance(message, dict):
            continue
        mine = (bot_id and message.get("bot_id") == bot_id) or (
            bot_user_id and message.get("user") == bot_user_id
        )
        if mine and (state := decode(message.get("metadata"))) is not None:
            return state
    return None
