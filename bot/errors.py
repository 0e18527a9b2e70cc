"""Errors the person running the bot must fix, shared by the CLI and the servers."""

from __future__ import annotations

EXIT_OPERATOR_ERROR = 2


class OperatorError(Exception):
    """A problem the person running the bot must fix: printed as one line, exit code 2."""
