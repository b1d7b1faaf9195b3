"""Self-hosting: the Flask app, request verification and the serve command."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    # ``gunicorn skill.web:app``: the app is built from the environment on first access, so
    # importing this package (for the verifier, say) stays cheap.
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _lock:
        built = globals().get("_app")
        if built is None:
            from skill.web.app import create_app

            built = globals()["_app"] = create_app()
        # Importing the submodule ``skill.web.app`` set this attribute to that module;
        # from now on it names the WSGI app instead (``from skill.web.app import …`` still works).
        globals()["app"] = built
        return built
