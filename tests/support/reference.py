"""Where the tests' third-party reference data lives: tests/fixtures/ (see its README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"  # third-party reference data, kept in the repository
SLACK_REFERENCE = FIXTURES / "slack"
SEGMENT_REFERENCE = FIXTURES / "segment"


def fixture_text(path: Path) -> str:
    """A fixture file's text; a missing fixture fails the test (it is in the repository)."""
    if not path.is_file():
        pytest.fail(
            f"fixture {path} is missing: it belongs in the repository (see tests/fixtures/README.md)",
            pytrace=False,
        )
    return path.read_text(encoding="utf-8")
