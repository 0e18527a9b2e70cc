"""A copy of the bundled catalog to break line by line, and `usecase-bot catalog check` run on it
as an admin would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

USECASE_BOT = Path(sys.executable).parent / "usecase-bot"


@dataclass
class Problem:
    path: str
    line: int
    message: str


@dataclass
class CheckRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def problems(self) -> list[Problem]:
        out = []
        for text in self.stdout.splitlines():
            m = re.fullmatch(r"(.+?):(\d+): (.+)", text)
            assert m, f"not a `path:line: problem` line: {text!r}"
            out.append(Problem(m[1], int(m[2]), m[3]))
        return out

    def only_problem(self) -> Problem:
        assert self.returncode == 1, (self.returncode, self.stdout, self.stderr)
        assert len(self.problems) == 1, "expected exactly one problem, got:\n" + self.stdout
        return self.problems[0]


def usecase_bot(*args: str, env: dict[str, str] | None = None, catalog_env: str | None = None):
    environ = {k: v for k, v in os.environ.items() if k != "USECASE_CATALOG"}
    if catalog_env is not None:
        environ["USECASE_CATALOG"] = catalog_env
    done = subprocess.run([str(USECASE_BOT), *args], capture_output=True, text=True, env=environ, timeout=60)
    return CheckRun(done.returncode, done.stdout, done.stderr)


class CatalogCopy:
    """A copy of the bundled catalog in a temporary folder, with helpers to break it line by line.

    Every edit finds its line with a regular expression (searched after the first line matching
    `after`, when given) and returns the 1-based number of the line it changed or added.
    """

    def __init__(self, root: Path):
        self.root = root

    def path(self, rel: str) -> str:
        return str(self.root / rel)

    def _lines(self, rel: str) -> list[str]:
        return (self.root / rel).read_text(encoding="utf-8").splitlines()

    def _write(self, rel: str, lines: list[str]) -> None:
        (self.root / rel).write_text("\n".join(lines) + "\n", encoding="utf-8")

    def find(self, rel: str, pattern: str, after: str | None = None) -> int:
        lines = self._lines(rel)
        start = 0
        if after is not None:
            start = next((i + 1 for i, line in enumerate(lines) if re.search(after, line)), None)
            assert start is not None, f"no line matching {after!r} in {rel}"
        for i in range(start, len(lines)):
            if re.search(pattern, lines[i]):
                return i + 1
        raise AssertionError(f"no line matching {pattern!r} in {rel} (after {after!r})")

    def replace(
        self, rel: str, pattern: str, new: str | Callable[[str], str], after: str | None = None
    ) -> int:
        number = self.find(rel, pattern, after)
        lines = self._lines(rel)
        lines[number - 1] = new(lines[number - 1]) if callable(new) else new
        self._write(rel, lines)
        return number

    def delete(self, rel: str, pattern: str, after: str | None = None) -> None:
        number = self.find(rel, pattern, after)
        lines = self._lines(rel)
        del lines[number - 1]
        self._write(rel, lines)

    def _block(self, rel: str, pattern: str, after: str | None) -> tuple[list[str], int, int]:
        """A matching line and the more-indented lines under it: (lines, start, end), 0-based."""
        start = self.find(rel, pattern, after) - 1
        lines = self._lines(rel)
        indent = len(lines[start]) - len(lines[start].lstrip())
        end = start + 1
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
        ):
            end += 1
        return lines, start, end

    def delete_block(self, rel: str, pattern: str, after: str | None = None) -> None:
        """Delete a matching line with the lines nested under it (a key and its value)."""
        lines, start, end = self._block(rel, pattern, after)
        self._write(rel, lines[:start] + lines[end:])

    def replace_block(self, rel: str, pattern: str, new: str, after: str | None = None) -> int:
        """Replace a matching line and the lines nested under it with one line."""
        lines, start, end = self._block(rel, pattern, after)
        self._write(rel, lines[:start] + [new] + lines[end:])
        return start + 1

    def insert_after(self, rel: str, pattern: str, new: str, after: str | None = None) -> int:
        number = self.find(rel, pattern, after)
        lines = self._lines(rel)
        lines.insert(number, new)
        self._write(rel, lines)
        return number + 1

    def append(self, rel: str, text: str) -> int:
        lines = self._lines(rel)
        self._write(rel, lines + text.splitlines())
        return len(lines) + 1

    def first_key_line(self, rel: str) -> int:
        """Where a file's top-level mapping starts: its first line that is not blank or a comment."""
        return self.find(rel, r"^[^#\s]")

    def check(self) -> CheckRun:
        return usecase_bot("catalog", "check", str(self.root))
