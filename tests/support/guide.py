"""Segment's "Choosing a Use Case" page (tests/fixtures/segment), read into goals, questions,
table rows and next steps, to compare the catalog with."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class GuideGoal:
    listed_name: str  # as the guide's opening list names it
    heading: str
    about: str
    questions: list[str]
    rows: list[tuple[str, str]]  # (use case name, description), in the table's order


@dataclass
class Guide:
    goals: list[GuideGoal]
    next_steps: list[str]


def parse_guide(text: str) -> Guide:
    """Segment's "Choosing a Use Case" page: its goals, their questions and tables, next steps."""
    sections = {}
    for chunk in re.split(r"^## ", text, flags=re.M)[1:]:
        heading, _, body = chunk.partition("\n")
        sections[heading.strip()] = body
    intro = next(body for heading, body in sections.items() if heading.startswith("Understanding"))
    listed = [line[2:].strip() for line in intro.splitlines() if line.startswith("- ")]

    goals = []
    for heading, body in sections.items():
        if "Key considerations for this goal:" not in body:
            continue
        lines = body.splitlines()
        about = next(line for line in lines if line.strip()).replace("**", "").strip()
        start = lines.index("Key considerations for this goal:") + 1
        questions = []
        for line in lines[start:]:
            if not line.startswith("- "):
                break
            questions.append(line[2:].strip())
        rows = []
        for line in lines:
            if not line.startswith("|"):
                continue
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if cells[0] == "Use Case" or set(cells[0]) <= {"-"}:
                continue
            rows.append((cells[0], " ".join(cells[1].split())))
        goals.append(GuideGoal(listed[len(goals)], heading, about, questions, rows))

    next_steps = re.findall(r"^\d+\. (.+)$", sections["Next steps"], flags=re.M)
    return Guide(goals, [step.strip() for step in next_steps])
