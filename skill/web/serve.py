"""``workout-planner serve``: the skill as a web service, under gunicorn.

Example (behind a TLS-terminating proxy that forwards ``/alexa`` and ``/audio``)::

    workout-planner serve --skill-id amzn1.ask.skill.1234 --store sqlite:///var/progress.sqlite3 \\
        --host 127.0.0.1 --port 8080 --workers 2

Several servers can share one DynamoDB table (laid out as on Lambda)::

    workout-planner serve --skill-id amzn1.ask.skill.1234 \\
        --store 'dynamodb://workout-planner-progress?region=eu-west-1'

For local tests only, ``--no-verify`` turns off the signature and timestamp checks (the skill id
is still enforced when given)::

    workout-planner serve --no-verify --skill-id amzn1.ask.skill.1234 --port 8080
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from skill.persistence.url import StoreUrl, StoreUrlError, open_store, parse_store_url
from skill.settings import Settings
from skill.web.logs import JsonFormatter, configure_logging
from skill.web.metrics import MULTIPROC_ENV, prepare_multiprocess_dir, worker_exited

log = logging.getLogger("skill.web.serve")


class _Gunicorn(BaseApplication):
    """gunicorn, configured from a dict, loading the app from ``create_app``."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            # Settings newer than the oldest supported gunicorn are skipped there.
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from skill.web.flask_app import create_app

        return create_app({"SETTINGS": self.settings})


class _JsonLogger(Logger):
    """gunicorn's own messages (start, workers, signals) as JSON lines, like the app's."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())


def _store_url(ctx: click.Context, param: click.Parameter, value: str | None) -> StoreUrl | None:
    if not value:
        return None
    try:
        return parse_store_url(value)
    except StoreUrlError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--skill-id",
    envvar="ALEXA_SKILL_ID",
    show_envvar=True,
    help="The Alexa skill id (amzn1.ask.skill.…) every request must carry; required unless "
    "--no-verify.",
)
@click.option(
    "--db",
    "db_path",
    envvar="WORKOUT_PLANNER_DB",
    show_envvar=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file for progress (created if missing): short for --store sqlite:///FILE.",
)
@click.option(
    "--store",
    "store_url",
    envvar="WORKOUT_PLANNER_STORE",
    show_envvar=True,
    callback=_store_url,
    metavar="URL",
    help="Where progress is kept: sqlite:///FILE (relative; sqlite:////abs/path) or "
    "dynamodb://TABLE[?region=REGION]. Without --store or --db, progress lasts only as "
    "long as a session.",
)
@click.option(
    "--no-verify",
    is_flag=True,
    help="Skip signature and timestamp checks. Never on a public endpoint.",
)
@click.option("--log-level", default="info", show_default=True, help="Python logging level.")
def serve(
    host: str,
    port: int,
    workers: int,
    skill_id: str | None,
    db_path: Path | None,
    store_url: StoreUrl | None,
    no_verify: bool,
    log_level: str,
) -> None:
    """Serve the skill at POST /alexa (plus /healthz, /metrics and /audio/<cue>.mp3) under
    gunicorn. The skill id comes from --skill-id or the ALEXA_SKILL_ID environment variable.

    \b
    Example:
        workout-planner serve --skill-id amzn1.ask.skill.… --store sqlite:///var/progress.sqlite3
        workout-planner serve --skill-id amzn1.ask.skill.… --store 'dynamodb://progress?region=eu-west-1'
        workout-planner serve --no-verify --port 8080   # local testing only
    """
    if not no_verify and not skill_id:
        raise click.UsageError(
            "--skill-id (or ALEXA_SKILL_ID) is required: without it this endpoint would "
            "accept requests signed for any skill. Use --no-verify only for local testing."
        )
    if no_verify:
        click.secho(
            "WARNING: --no-verify: request signatures and timestamps are NOT checked. "
            "Anyone who can reach this port can drive the skill. Never expose it publicly.",
            fg="red",
            bold=True,
            err=True,
        )
    if db_path is not None and store_url is not None:
        raise click.UsageError("give --store or --db, not both (--db FILE is sqlite:///FILE)")
    if db_path is not None:
        store_url = StoreUrl("sqlite", path=db_path)
    if store_url is None:
        click.secho(
            "NOTE: no --store or --db: progress is kept only for the session and will not last "
            "(give --db FILE, or --store URL, to keep it).",
            fg="yellow",
            err=True,
        )
    configure_logging(log_level)
    # gunicorn's sync workers each hold one connection until the whole request has arrived:
    # facing clients directly, a few slow ones would take the service down.
    log.warning(
        "serve expects a buffering reverse proxy in front (TLS, request buffering, short "
        "client timeouts): see deploy/nginx/workout-planner.conf",
        extra={"event": "serve.expects_buffering_proxy"},
    )
    if store_url is not None:
        _prepare_store(store_url)
    settings = dataclasses.replace(
        Settings.from_env(),
        skill_id=skill_id or None,
        verify_signatures=not no_verify,
        db_path=None,
        store_url=str(store_url) if store_url else None,
    )
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        # Build the skill and trust store once in the master; workers share them after fork.
        "preload_app": True,
        "timeout": 30,
        "graceful_timeout": 10,
        # The app logs one JSON line per request itself.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": log_level,
        "logger_class": _JsonLogger,
        # gunicorn 24+ opens a control socket at one fixed path per user; two services on
        # one host would fight over it, and nothing here uses it.
        "control_socket_disable": True,
        "when_ready": lambda server: click.echo(ready_line(server.LISTENERS, settings)),
        "child_exit": lambda server, worker: worker_exited(worker.pid),
    }
    # Every worker counts into files here and /metrics sums them (see skill.web.metrics). Made
    # before the app is built, which imports prometheus_client; removed when gunicorn stops.
    given = os.environ.get(MULTIPROC_ENV)
    metrics_dir = Path(given) if given else Path(tempfile.mkdtemp(prefix="workout-planner-"))
    prepare_multiprocess_dir(metrics_dir)
    log.info("worker metrics directory", extra={"metrics_dir": str(metrics_dir)})
    master = os.getpid()
    try:
        _Gunicorn(settings, options).run()
    finally:
        # Workers are forked inside run() and leave it through here too: only the master,
        # when the whole service stops, may remove the directory every worker writes to.
        if not given and os.getpid() == master:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def ready_line(listeners: list[Any], settings: Settings) -> str:
    """The one line a person reads when the service is up: where, what store, what next."""
    base = str(listeners[0]) if listeners else "http://?"
    store = (
        f"progress kept in {settings.store_url}"
        if settings.store_url
        else "no store: progress will not last beyond a session"
    )
    if settings.verify_signatures:
        then = "point your skill's HTTPS endpoint (through your reverse proxy) at /alexa"
    else:
        then = f"talk to it with: workout-planner chat --url {base}/alexa"
    return f"Workout Planner is ready on {base}/alexa ({store}); {then}"


def _prepare_store(url: StoreUrl) -> None:
    """Open the store now, so a bad path or region fails here, not per request."""
    try:
        store = open_store(url)
    except (RuntimeError, ValueError, OSError) as exc:
        raise click.ClickException(f"cannot open the store {url}: {exc}") from exc
    try:
        health = getattr(store, "health", None)
        found = health() if health is not None else None
        if found is not None and not found:
            raise click.ClickException(f"cannot use the store {url}: {found.reason}")
        integrity = getattr(store, "integrity_problem", None)
        problem = integrity() if integrity is not None else None
        if problem:
            raise click.ClickException(
                f"the database at {url} is damaged ({problem}): restore it from a backup"
            )
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()
