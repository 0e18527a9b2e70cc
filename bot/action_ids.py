"""The action-id scheme of the bot's buttons: `usecase.<kind>` or `usecase.<kind>.<arg>`.

One owner: the builders make ids here, the conversation reads them here, and the listener
routes every id that `PATTERN` matches. `kind` says what a button does (answer, pick,
share…); `arg` is the answer letter, or an index that keeps two buttons of one message
apart (Slack wants action ids unique within a message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "usecase."
PATTERN = re.compile("^" + re.escape(PREFIX))
MAX_LEN = 255  # Slack's limit on an action_id

_KIND = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class ActionId:
    kind: str
    arg: str = ""


def make(kind: str, arg: str | int | None = None) -> str:
    """The action id of a button of this kind (and argument)."""
    if not _KIND.match(kind):
        raise ValueError(f"an action kind is lowercase letters: {kind!r}")
    return PREFIX + kind if arg is None or arg == "" else f"{PREFIX}{kind}.{arg}"


def parse(action_id: object) -> ActionId | None:
    """What an action id of ours says, or None when it is not one of ours."""
    if not isinstance(action_id, str) or len(action_id) > MAX_LEN or not action_id.startswith(PREFIX):
        return None
    kind, _, arg = action_id[len(PREFIX) :].partition(".")
    if not _KIND.match(kind) or "." in arg:
        return None
    return ActionId(kind, arg)


def has_kind(action_id: object, kind: str) -> bool:
    parsed = parse(action_id)
    return parsed is not None and parsed.kind == kind
