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
            from skill.web.flask_app import create_app

            built = globals()["_app"] = create_app()
        globals()["app"] = built
        return built
