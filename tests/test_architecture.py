"""The shape of the code: the core knows nothing of Slack, and no bot module imports itself back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
CORE = ("action_ids", "advisor", "blocks", "catalog", "conversation", "matcher", "scope", "home", "manifest")


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module the file imports, at any depth (imports inside functions count)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {_module_name(p): p for p in BOT.rglob("*.py")}
GRAPH = {name: {m for m in _imports(path) if m in MODULES and m != name} for name, path in MODULES.items()}


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_nothing_from_slack(module):
    imported = _imports(MODULES[f"bot.{module}"])
    assert not {m for m in imported if m.split(".")[0] in ("slack_bolt", "slack_sdk")}


@pytest.mark.parametrize("module", (*CORE, "plan"))
def test_the_core_imports_nothing_from_the_database(module):
    imported = _imports(MODULES[f"bot.{module}"])
    outside = {"sqlalchemy", "psycopg", "cryptography", "bot.storage", "bot.oauth", "bot.tokens"}
    assert not {m for m in imported if m in outside or m.split(".")[0] in outside}


def test_no_bot_module_imports_itself_back():
    cycles = []

    def visit(name: str, path: list[str]) -> None:
        for nxt in GRAPH[name]:
            if nxt in path:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif len(path) < len(GRAPH):
                visit(nxt, path + [nxt])

    for start in GRAPH:
        visit(start, [start])
    assert not cycles, cycles[:3]
