"""Files generated from the source of truth (the model, the diagram), written or checked."""

from __future__ import annotations

from pathlib import Path

import click


def write_or_check(path: Path, text: str, *, check: bool, command: str) -> None:
    """Write ``text`` to ``path``; with ``check``, fail unless the file already holds it."""
    if check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            raise click.ClickException(f"{path} is stale: run `{command}`")
        click.echo(f"{path} is up to date")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}")
