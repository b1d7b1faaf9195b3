"""Generates ``interaction_model/en-US.json`` from the content, so the two never drift.

workout-planner model            # rewrite the committed file
workout-planner model --check    # exit 1 if it is stale
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from skill.content import Content, load_content
from skill.content.loader import COMPILED, CONTENT_DIR, render_compiled
from skill.generated import write_or_check
from skill.intents import INTENT_EVENTS, INTENT_SLOTS, ROUTINE_SLOT_TYPE, TOPIC_SLOT_TYPE

MODEL_PATH = Path(__file__).resolve().parent.parent / "interaction_model" / "en-US.json"


def _slot_values(items: list[tuple[str, str, tuple[str, ...]]]) -> list[dict[str, Any]]:
    return [
        {"id": ident, "name": {"value": name, "synonyms": list(synonyms)}}
        for ident, name, synonyms in items
    ]


def build_model(content: Content) -> dict[str, Any]:
    """The interaction model in the standard ``{"interactionModel": ...}`` form."""
    intents: list[dict[str, Any]] = []
    for name in INTENT_EVENTS:
        samples = (
            content.intents.builtins.get(name, ())
            if name.startswith("AMAZON.")
            else content.intents.custom[name]
        )
        intent: dict[str, Any] = {"name": name, "samples": list(samples)}
        if name in INTENT_SLOTS:
            slot, slot_type = INTENT_SLOTS[name]
            intent["slots"] = [{"name": slot, "type": slot_type}]
        intents.append(intent)
    routines = [(r.id, r.name, r.synonyms) for r in content.routines]
    topics = [(e.id, e.name, e.synonyms) for e in content.faq]
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": content.intents.invocation_name,
                "intents": intents,
                "types": [
                    {"name": ROUTINE_SLOT_TYPE, "values": _slot_values(routines)},
                    {"name": TOPIC_SLOT_TYPE, "values": _slot_values(topics)},
                ],
            }
        }
    }


def render_model(content: Content) -> str:
    return json.dumps(build_model(content), indent=2, ensure_ascii=False) + "\n"


@click.command("model")
@click.option("--check", is_flag=True, help="Exit 1 if the committed model is stale.")
@click.option("--out", type=click.Path(path_type=Path), default=MODEL_PATH, show_default=True)
def model_command(check: bool, out: Path) -> None:
    """Write the interaction model and the compiled content, generated from the content.

    Example: workout-planner model --check
    """
    command = "workout-planner model"
    write_or_check(out, render_model(load_content()), check=check, command=command)
    write_or_check(CONTENT_DIR / COMPILED, render_compiled(), check=check, command=command)
