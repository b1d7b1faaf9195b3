"""Draws the state machine as a Mermaid diagram in ``docs/state-machine.md``.

workout-planner diagram           # rewrite the committed diagram
workout-planner diagram --check   # exit 1 if it is stale
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click

from skill.generated import write_or_check
from skill.machine import ANY, RULES, SAME
from skill.state import State

DIAGRAM_PATH = Path(__file__).resolve().parent.parent / "docs" / "state-machine.md"


def _edge_label(event: str, guard: str | None) -> str:
    return f"{event} [{guard}]" if guard else event


def render_diagram() -> str:
    """Mermaid ``stateDiagram-v2``: one arrow per (source, target), labelled with its events.

    Rules for ANY state are drawn from a single ``ANY`` node so the picture stays readable.
    """
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rule in RULES:
        source = "ANY" if rule.source is ANY else str(rule.source)
        target = source if rule.target is SAME else str(rule.target)
        guard = rule.guard.__name__ if rule.guard else None
        label = _edge_label(rule.event.value, guard)
        if label not in edges[(source, target)]:
            edges[(source, target)].append(label)
    lines = [
        "# Conversation state machine",
        "",
        "Generated from `skill/machine/table.py` by `workout-planner diagram`; a test keeps it",
        "in sync. Rules from `ANY` apply in every state; the first matching rule wins.",
        "",
        "```mermaid",
        "stateDiagram-v2",
        f"    [*] --> {State.READY.value}",
    ]
    for (source, target), labels in edges.items():
        lines.append(f"    {source} --> {target} : {', '.join(labels)}")
    lines += ["```", ""]
    return "\n".join(lines)


@click.command("diagram")
@click.option("--check", is_flag=True, help="Exit 1 if the committed diagram is stale.")
@click.option("--out", type=click.Path(path_type=Path), default=DIAGRAM_PATH, show_default=True)
def diagram_command(check: bool, out: Path) -> None:
    """Write the state machine diagram (Mermaid) into docs/.

    Example: workout-planner diagram --check
    """
    write_or_check(out, render_diagram(), check=check, command="workout-planner diagram")
