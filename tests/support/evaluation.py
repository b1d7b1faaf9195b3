"""The evaluation sets' format: tests/nlu/evaluation[.<locale>].tsv, one case a line."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from skill.nlu import Resolution

NLU_DIR = Path(__file__).resolve().parent.parent / "nlu"
#: The en-US set; every other locale's is evaluation.<locale>.tsv beside it.
EVALUATION = NLU_DIR / "evaluation.tsv"
SAFETY = frozenset({"PainIntent", "RedFlagIntent", "ChestPainIntent"})


def evaluation_file(locale: str) -> Path:
    """A locale's own set: ``tests/nlu/evaluation.en-GB.tsv``."""
    return NLU_DIR / f"evaluation.{locale}.tsv"


@dataclass(frozen=True)
class Case:
    line: int
    said: str
    intent: str
    slots: dict[str, str]

    def wrong(self, found: Resolution) -> str | None:
        got = {name: ident for name, (_, ident) in found.slots.items()}
        checked = {name: got.get(name) for name in self.slots}
        if found.intent == self.intent and checked == self.slots:
            return None
        want = f"{self.intent} {self.slots}"
        return f"line {self.line}: {self.said!r} -> {found.intent} {got} (want {want})"


def read_cases(path: Path = EVALUATION) -> list[Case]:
    cases = []
    with path.open(encoding="utf-8", newline="") as file:
        rows = csv.reader(file, delimiter="\t")
        for number, row in enumerate(rows, start=1):
            if not row or row[0].startswith("#") or row[0] == "utterance":
                continue
            said, intent, *slots = row
            pairs = dict(slot.split("=", 1) for slot in slots if slot)
            cases.append(Case(number, said, intent, pairs))
    return cases
