"""Would Slack accept these blocks? The 50-block limit and the Block Kit JSON Schema."""

from __future__ import annotations

import json
from functools import cache

from tests.support.reference import SLACK_REFERENCE, fixture_text

MAX_BLOCKS = 50


@cache
def load_block_kit_validator():
    """The Block Kit schema (tests/fixtures/slack/schemas), compiled once."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(fixture_text(SLACK_REFERENCE / "schemas" / "slack-block-kit.schema.json")))


def block_kit_problems(validator, blocks: list) -> list[str]:
    """Why Slack would refuse these blocks: the 50-block limit and the Block Kit schema."""
    assert validator is not None, "block_kit_problems needs the Block Kit schema validator"
    problems = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks (Slack allows {MAX_BLOCKS})")
    if blocks:
        problems += [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                     for e in validator.iter_errors(blocks)]
    return problems
