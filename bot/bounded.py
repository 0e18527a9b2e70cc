"""How deep and how big what Slack sends may be, checked before anything is decoded from it.

Python's json module recurses once per level of nesting: a value a thousand levels deep raises
RecursionError where it is parsed, and one a little shallower parses and then takes down whatever
walks it next (a copy, a json.dumps of blocks posted back). Nothing Slack sends nests anywhere near
that deep: an interaction payload with rich-text blocks is about a dozen levels, a button value of
ours two. So every JSON text from Slack (the request body, an interaction's `payload`, a button
value) is measured here first, without parsing it, and refused when it is deeper or bigger than
Slack's own shapes come; an object already parsed elsewhere (a Socket Mode envelope) is measured
without recursing.
"""

from __future__ import annotations

import re
from itertools import accumulate

# far above any payload Slack sends (about 12 levels), far below what json's recursion reaches
MAX_DEPTH = 64
# an interaction payload carries the clicked message (<= 50 blocks of <= 3,000 characters) and
# the view state; 1 MiB is the HTTP endpoint's limit on a whole request (bot/web.py)
MAX_PAYLOAD = 1 << 20

_BRACKET = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_within(text: str, max_depth: int = MAX_DEPTH, max_size: int = MAX_PAYLOAD) -> bool:
    """Whether JSON text is at most `max_size` characters and nests arrays and objects at most
    `max_depth` deep: read without parsing, brackets inside strings not counted. (Text that is
    not JSON may pass; json.loads then refuses it, no deeper than this allows.)"""
    if len(text) > max_size:
        return False
    if text.count("[") + text.count("{") <= max_depth:  # no more openers than the bound: within it
        return True
    # outside strings: with escaped backslashes and then escaped quotes taken out (left to right,
    # as json reads escapes), every other run between quotes is string content. Exact for valid
    # JSON; text that is not JSON stops json.loads where it stops being JSON, and up to there it
    # is read the same way here.
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    brackets = _BRACKET.findall("".join(unescaped.split('"')[0::2]))
    return not brackets or max(accumulate(map(_STEP.__getitem__, brackets))) <= max_depth


def nested_within(value: object, max_depth: int = MAX_DEPTH) -> bool:
    """Whether an object parsed from JSON nests lists and dicts at most `max_depth` deep (walked
    with a stack of its own, never recursing)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True
