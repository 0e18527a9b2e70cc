"""Would Slack accept these blocks? The 50-block limit and the Block Kit JSON Schema."""

from __future__ import annotations

import json
import threading
from functools import cache

from tests.support.reference import SLACK_REFERENCE, fixture_text

MAX_BLOCKS = 50
SCHEMA = SLACK_REFERENCE / "schemas" / "slack-block-kit.schema.json"


class BlockKitSchema:
    """The Block Kit schema (tests/fixtures/slack/schemas), judging one block at a time.

    The schema's top level is an array of 1 to 100 items, each `$ref: #/$defs/block` (a oneOf
    over every block type), so a message's blocks are valid exactly when each block is. Messages
    repeat most of their blocks (buttons, dividers, the checklist), and each distinct block is
    validated once: the same errors as validating the array, at a fraction of the time.
    """

    def __init__(self, schema: dict):
        from jsonschema import Draft202012Validator

        # the premise above, checked: a new version of the file that adds array-level rules fails here
        top = {
            k: v for k, v in schema.items() if k not in ("$schema", "$id", "title", "description", "$defs")
        }
        assert top == {"type": "array", "minItems": 1, "maxItems": 100, "items": {"$ref": "#/$defs/block"}}, (
            top
        )
        Draft202012Validator.check_schema(schema)
        self.schema = schema  # for checks of other surfaces ($defs/home_view, $defs/modal_view…)
        self.whole = Draft202012Validator(schema)
        self.block = Draft202012Validator(
            {"$schema": schema["$schema"], "$ref": "#/$defs/block", "$defs": schema["$defs"]}
        )
        self._verdicts: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def block_errors(self, block) -> list[str]:
        """`path: message` for each way this one block breaks the schema."""
        key = json.dumps(block, sort_keys=True, ensure_ascii=False)
        with self._lock:
            known = self._verdicts.get(key)
        if known is None:
            known = [
                f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                for e in self.block.iter_errors(block)
            ]
            with self._lock:
                self._verdicts[key] = known
        return known


@cache
def load_block_kit_validator() -> BlockKitSchema:
    """The Block Kit schema, loaded and compiled once."""
    return BlockKitSchema(json.loads(fixture_text(SCHEMA)))


def block_kit_problems(validator: BlockKitSchema, blocks: list) -> list[str]:
    """Why Slack would refuse these blocks: the 50-block limit and the Block Kit schema."""
    assert validator is not None, "block_kit_problems needs the Block Kit schema validator"
    problems = []
    if not isinstance(blocks, list):
        return [f"blocks is a {type(blocks).__name__}, not a list"]
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks (Slack allows {MAX_BLOCKS})")
    for index, block in enumerate(blocks):
        problems += [
            f"{index}/{error}" if not error.startswith(":") else f"{index}{error}"
            for error in validator.block_errors(block)
        ]
    return problems
