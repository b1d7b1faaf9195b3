"""Reads the hashed lock files `make lock` writes (uv's requirements.txt format)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "workout-planner"
#: Lock file -> the dependency groups of pyproject.toml it must hold exactly, or a .in file.
LOCKS: dict[str, tuple[str, ...] | str] = {
    "requirements/serve.txt": (),
    "requirements/dev.txt": ("dev",),
    "requirements/voice.txt": ("dev", "voice"),
    "requirements.txt": "requirements/lambda.in",
}
REGENERATE = (
    "regenerate the locks with `make lock` (./scripts/lock.sh) and commit requirements/ and "
    "requirements.txt"
)
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)")


@dataclass(frozen=True)
class Pin:
    name: NormalizedName
    version: str
    hashes: tuple[str, ...]
    #: What the lock says pulled it in ("workout-planner (pyproject.toml)", "-r x.in", a package).
    via: tuple[str, ...]


def read_lock(path: Path) -> list[Pin]:
    """The pins of a lock file, with their hashes and ``# via`` annotations."""
    pins: list[Pin] = []
    logical = path.read_text().replace("\\\n", " ").splitlines()
    for line in logical:
        text = line.strip()
        if not text:
            continue
        if text.startswith("#"):
            via = text.lstrip("# ").removeprefix("via ").strip()
            if pins and line.startswith("    #") and via and via != "via":
                last = pins[-1]
                pins[-1] = Pin(last.name, last.version, last.hashes, (*last.via, via))
            continue
        found = _PIN.match(text)
        assert found, f"{path.name}: not a pinned requirement: {text[:80]}"
        hashes = tuple(re.findall(r"--hash=(sha256:[0-9a-f]{64})", text))
        pins.append(Pin(canonicalize_name(found["name"]), found["version"], hashes, ()))
    return pins


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def declared(groups: tuple[str, ...]) -> dict[NormalizedName, Requirement]:
    """The project's own requirements plus those of ``groups`` (extras), extras expanded."""
    meta = project()
    extras = meta.get("optional-dependencies", {})
    found: dict[NormalizedName, Requirement] = {}
    pending, seen = [*meta["dependencies"]], set()
    for group in groups:
        pending += extras[group]
        seen.add(group)
    while pending:
        req = Requirement(pending.pop())
        if canonicalize_name(req.name) == PROJECT:
            for extra in req.extras - seen:
                seen.add(extra)
                pending += extras[extra]
            continue
        found[canonicalize_name(req.name)] = req
    return found


def requirements_in(path: Path) -> dict[NormalizedName, Requirement]:
    lines = (x.strip() for x in path.read_text().splitlines())
    reqs = (Requirement(x) for x in lines if x and not x.startswith("#"))
    return {canonicalize_name(r.name): r for r in reqs}
