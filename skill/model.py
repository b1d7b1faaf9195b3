"""Generates ``interaction_model/<locale>.json`` from each locale's content, so they never drift.

Every locale's model comes from the same sample grammar with that locale's overrides.

workout-planner model            # rewrite the committed files
workout-planner model --check    # exit 1 if any is stale
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from skill.content import Content, ContentError, load_content
from skill.content.grammar import slots_in
from skill.content.loader import COMPILED, CONTENT_DIR, bundled_locales, render_compiled
from skill.content.samples import expand_samples
from skill.generated import write_or_check
from skill.intents import ROUTINE_SLOT_TYPE, TOPIC_SLOT_TYPE, handled_intents

MODEL_DIR = Path(__file__).resolve().parent.parent / "interaction_model"


def model_path(locale: str, directory: Path = MODEL_DIR) -> Path:
    """Where ``locale``'s interaction model lives (``interaction_model/en-GB.json``)."""
    return directory / f"{locale}.json"


#: The default locale's model.
MODEL_PATH = model_path("en-US")


def _slot_values(items: list[tuple[str, str, tuple[str, ...]]]) -> list[dict[str, Any]]:
    return [
        {"id": ident, "name": {"value": name, "synonyms": list(synonyms)}}
        for ident, name, synonyms in items
    ]


def _slots_of(samples: tuple[str, ...], content: Content) -> list[dict[str, str]]:
    names = dict.fromkeys(slot for sample in samples for slot in slots_in(sample))
    return [{"name": name, "type": content.intents.slots[name]} for name in names]


def build_model(content: Content) -> dict[str, Any]:
    """The interaction model in the standard ``{"interactionModel": ...}`` form.

    Raises ``ContentError`` when the grammar is malformed, a sample lands in two intents, an
    intent has samples but no handler (or the reverse), or the model outgrows its limits.
    """
    expanded = expand_samples(content)
    handled = handled_intents(content)
    unhandled = [name for name in expanded if name not in handled]
    if unhandled:
        raise ContentError(f"intents.yaml: {unhandled[0]} has samples but nothing handles it")
    intents: list[dict[str, Any]] = []
    for name in handled:
        if name not in expanded and not name.startswith("AMAZON."):
            raise ContentError(f"intents.yaml: intents.{name}: has no samples")
        samples = expanded.get(name, ())
        intent: dict[str, Any] = {"name": name, "samples": list(samples)}
        slots = _slots_of(samples, content)
        if slots:
            intent["slots"] = slots
        intents.append(intent)
    routines = [(r.id, r.name, r.synonyms) for r in content.routines]
    topics = [(e.id, e.name, e.synonyms) for e in content.faq]
    types = [
        {"name": ROUTINE_SLOT_TYPE, "values": _slot_values(routines)},
        {"name": TOPIC_SLOT_TYPE, "values": _slot_values(topics)},
    ]
    for type_name, values in content.intents.slot_types.items():
        listed = [(v.id, v.name, v.synonyms) for v in values]
        types.append({"name": type_name, "values": _slot_values(listed)})
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": content.intents.invocation_name,
                "intents": intents,
                "types": types,
                # Why this level: see fallback_sensitivity in intents.yaml.
                "modelConfiguration": {
                    "fallbackIntentSensitivity": {"level": content.intents.fallback_sensitivity}
                },
            }
        }
    }


def render_model(content: Content) -> str:
    return json.dumps(build_model(content), indent=2, ensure_ascii=False) + "\n"


@click.command("model")
@click.option("--check", is_flag=True, help="Exit 1 if the committed model is stale.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=MODEL_DIR,
    show_default=True,
    help="Directory of the <locale>.json models.",
)
def model_command(check: bool, out: Path) -> None:
    """Write every locale's interaction model and the compiled content, from the content.

    Example: workout-planner model --check
    """
    command = "workout-planner model"
    try:
        rendered = {locale: render_model(load_content(locale)) for locale in bundled_locales()}
    except ContentError as exc:
        raise click.ClickException(str(exc)) from None
    for locale, text in rendered.items():
        write_or_check(model_path(locale, out), text, check=check, command=command)
    write_or_check(CONTENT_DIR / COMPILED, render_compiled(), check=check, command=command)
