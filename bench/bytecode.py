"""Compiled bytecode for the code the cold-start children import, before they start.

Each cold-start section's run 0 is meant to warm the bytecode caches, but a child started with
``PYTHONDONTWRITEBYTECODE=1`` (or from a checkout whose ``__pycache__`` predates its sources)
writes none: every run would then compile the repository's own modules from source, a cost no
deployment pays on every start (gunicorn and pip-installed packages have their bytecode), and one
that falls on the project far more than on the hello world. ``py_compile`` writes the caches
whatever that variable says; it only rewrites the stale ones.
"""

from __future__ import annotations

import compileall
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: What the children import from the repository (the hello worlds use skill.web.verify).
PACKAGES = ("skill", "bench")


def compile_repository(root: Path = REPO) -> bool:
    """Bring the bytecode caches of ``PACKAGES`` up to date; True when every file compiled."""
    return all(compileall.compile_dir(root / name, quiet=1) for name in PACKAGES)
