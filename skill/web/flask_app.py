"""The Flask app: the Alexa endpoint, a health check and the hosted cues.

::

    app = create_app({"SETTINGS": Settings(skill_id="amzn1.ask.skill.…", db_path=Path("p.db"))})

Everything expensive (content, skill, verifier, trust store, store adapter) is built once here;
a request reads no configuration or certificate files. Every answer is JSON, and nothing a client
sends can produce a 500 or a traceback: refused requests get 400 with a short reason, as Alexa
certification expects ("Host a Custom Skill as a Web Service" in Amazon's Alexa Skills Kit
documentation).
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_runtime.exceptions import AskSdkException
from flask import Blueprint, Flask, Response, current_app, g, request, send_from_directory
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

from skill import metrics
from skill.factory import build_skill, invoke, store_adapter
from skill.settings import Settings
from skill.web.metrics import bp as metrics_bp
from skill.web.metrics import install_prometheus
from skill.web.verify import (
    FETCH_BUDGET,
    RequestVerifier,
    VerificationError,
    default_trust_store,
)

log = logging.getLogger("skill.web")

MAX_BODY_BYTES = 128 * 1024
#: Real envelopes nest about 8 deep; deeper ones only cost the SDK's recursive deserialiser.
MAX_JSON_DEPTH = 32
#: Alexa's limit on a whole response ("Request and Response JSON Reference", Response format).
MAX_RESPONSE_BYTES = 120 * 1024
AUDIO_MAX_AGE_S = 365 * 24 * 3600
# Request fields are client-controlled; a bound keeps one request from flooding the log.
_LOG_FIELD_CHARS = 128
_EXTENSION = "workout_planner"
_SIGNATURE_HEADERS = ("SignatureCertChainUrl", "Signature-256")
#: The same headers as the WSGI environ names them (PEP 3333): read there, not through Headers.
_SIGNATURE_ENVIRON = tuple((h, "HTTP_" + h.upper().replace("-", "_")) for h in _SIGNATURE_HEADERS)

bp = Blueprint("skill", __name__)


class ConfigError(ValueError):
    """Settings that would make an unsafe or unusable endpoint."""


@dataclass(frozen=True)
class Service:
    """What the views share, built once per app."""

    settings: Settings
    skill: Any
    verifier: RequestVerifier
    store: Any  # the persistence adapter, or None


class _BadRequest(Exception):
    """A body that is not an Alexa request envelope; ``str()`` is safe to show the client."""


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The WSGI app. ``config`` keys: SETTINGS (default ``Settings.from_env()``), and the test
    hooks TRUST_STORE, CERT_FETCH, CERT_FETCH_BUDGET, CLOCK (for the verifier) and SKILL (a
    prebuilt skill)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config.update(config or {})
    settings: Settings = app.config.get("SETTINGS") or Settings.from_env()
    app.config["SETTINGS"] = settings
    if settings.verify_signatures and not settings.skill_id:
        # Signed requests for any other skill would pass: refuse rather than serve them.
        raise ConfigError("a skill id is required when request verification is on")
    if not settings.verify_signatures:
        log.warning("request signature and timestamp checks are OFF: not for a public endpoint")

    # Built here rather than inside build_skill so /healthz can ask it. It connects lazily per
    # thread and process, so it is safe to build before gunicorn forks.
    store = store_adapter(settings)
    skill = app.config.get("SKILL") or build_skill(persistence=store, settings=settings)
    trust_store = app.config.get("TRUST_STORE")
    if trust_store is None and settings.verify_signatures:
        trust_store = default_trust_store()  # warm it now, not on the first request
    verifier = RequestVerifier(
        settings.skill_id,
        verify_signatures=settings.verify_signatures,
        trust_store=trust_store,
        fetch=app.config.get("CERT_FETCH"),
        clock=app.config.get("CLOCK") or time.time,
        fetch_budget=app.config.get("CERT_FETCH_BUDGET", FETCH_BUDGET),
    )
    app.extensions[_EXTENSION] = Service(settings, skill, verifier, store)
    install_prometheus()
    app.register_blueprint(bp)
    app.register_blueprint(metrics_bp)
    app.before_request(_start_timer)
    app.after_request(_log_request)
    app.register_error_handler(Exception, _on_error)
    return app


def _service() -> Service:
    service: Service = current_app.extensions[_EXTENSION]
    return service


# -- views -------------------------------------------------------------------------------------


@bp.post("/alexa")
def alexa() -> Response:
    service = _service()
    body = request.get_data(cache=False)  # raises 413 when Content-Length is over the cap
    limit = request.max_content_length
    if limit is not None and len(body) >= limit:
        # A chunked body (no Content-Length) is cut off at the cap, not refused: treat a body
        # that fills the cap as too large rather than parse a truncated one.
        raise RequestEntityTooLarge()
    try:
        envelope = parse_envelope(body)
    except _BadRequest as exc:
        return _json({"error": str(exc)}, 400)
    g.log_fields.update(describe(envelope))
    try:
        service.verifier.verify(_signature_headers(), body, envelope)
    except VerificationError as exc:
        g.log_fields["outcome"] = f"rejected:{exc.check}"
        return _json({"error": str(exc)}, 400)
    try:
        result = invoke(service.skill, envelope)
    except AskSdkException as exc:
        # Well-formed JSON the SDK cannot take (a field of the wrong type, an unknown request
        # type, a skill id it refuses). Its message may quote request data: type only.
        g.log_fields["error_type"] = type(exc).__name__
        reason = (
            "request does not match the Alexa request format"
            if isinstance(exc, SerializationException)
            else "request could not be handled"
        )
        return _json({"error": reason}, 400)
    payload = json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode()
    if len(payload) > MAX_RESPONSE_BYTES:
        log.warning("response exceeds Alexa's size limit", extra={"bytes": len(payload)})
    return Response(payload, 200, mimetype="application/json")


@bp.get("/healthz")
def healthz() -> Response:
    service = _service()
    # health() says why; stores without it only say whether.
    check = getattr(service.store, "health", None) or getattr(service.store, "health_check", None)
    reason = None
    try:
        found = service.skill is not None and (check is None or check())
        healthy, reason = bool(found), getattr(found, "reason", None)
    except Exception:  # a store that throws is as down as one that says so
        healthy = False
    body = {"status": "ok" if healthy else "unavailable"}
    if reason:
        body["reason"] = str(reason)  # error codes and kinds only (see skill.persistence)
    response = _json(body, 200 if healthy else 503)
    response.cache_control.no_store = True
    return response


@bp.get("/audio/<path:file>")
def audio(file: str) -> Response:
    # Only cues: the directory also holds the manifest and build leftovers.
    if not file.endswith(".mp3"):
        raise NotFound()
    response = send_from_directory(
        _service().settings.audio_dir,
        file,  # safe_join inside: "..", absolute paths and the like are a 404
        mimetype="audio/mpeg",
        conditional=True,
        max_age=AUDIO_MAX_AGE_S,
    )
    # Cue files are content-addressed by the audio build, so they never change under a name.
    response.cache_control.immutable = True
    return response


# -- parsing -----------------------------------------------------------------------------------


def parse_envelope(body: bytes) -> dict[str, Any]:
    """The body as a dict, or ``_BadRequest`` with a short reason."""
    try:
        envelope = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _BadRequest("body is not JSON") from None
    if not isinstance(envelope, dict):
        raise _BadRequest("body is not a JSON object")
    # Counting brackets is a cheap upper bound on depth; walk only when it could be too deep.
    if body.count(b"{") + body.count(b"[") > MAX_JSON_DEPTH and _too_deep(envelope):
        raise _BadRequest("body is nested too deeply")
    req = envelope.get("request")
    if not isinstance(req, dict):
        raise _BadRequest("request is missing or not an object")
    if not isinstance(req.get("type"), str):
        raise _BadRequest("request.type is missing or not a string")
    for key in ("session", "context"):
        if envelope.get(key) is not None and not isinstance(envelope[key], dict):
            raise _BadRequest(f"{key} is not an object")
    return envelope


def _too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _signature_headers() -> dict[str, str]:
    # A plain dict: werkzeug's Headers is case-insensitive but not typed as a Mapping.
    environ = request.environ
    return {name: environ[key] for name, key in _SIGNATURE_ENVIRON if key in environ}


def describe(envelope: Mapping[str, Any]) -> dict[str, str | None]:
    """Log fields for a request: its id, type and intent name. Never user ids or slots."""
    req = envelope.get("request") or {}
    intent = req.get("intent")
    return {
        "request_id": _clip(req.get("requestId")),
        "type": _clip(req.get("type")),
        "intent": _clip(intent.get("name")) if isinstance(intent, dict) else None,
    }


def _clip(value: Any) -> str | None:
    return value[:_LOG_FIELD_CHARS] if isinstance(value, str) else None


# -- responses, errors and the request log -----------------------------------------------------


def _json(payload: Mapping[str, Any], status: int) -> Response:
    return Response(json.dumps(payload), status, mimetype="application/json")


def _start_timer() -> None:
    g.started = time.perf_counter()
    g.log_fields = {}


def _log_request(response: Response) -> Response:
    fields: dict[str, Any] = {
        "method": request.method,
        "path": request.path[:_LOG_FIELD_CHARS],
        **g.get("log_fields", {}),
    }
    fields.setdefault("outcome", _outcome(response.status_code))
    fields["status"] = response.status_code
    started = g.get("started")
    seconds = time.perf_counter() - started if started is not None else None
    if seconds is not None:
        fields["latency_ms"] = round(seconds * 1000, 3)
    log.info("request", extra=fields)
    if request.endpoint == "skill.alexa":
        outcome, _, check = str(fields["outcome"]).partition(":")
        if outcome == "rejected":
            metrics.verification_failed(check)
        metrics.request_answered(fields.get("type"), outcome, seconds)
    return response


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 404:
        return "not_found"
    if status == 413:
        return "too_large"
    return "bad_request" if status < 500 else "error"


def _on_error(exc: Exception) -> Response | HTTPException:
    """Every exception a view lets out: a JSON answer, never a 500 or a traceback."""
    if isinstance(exc, HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        response = _json({"error": (exc.name or "error").lower()}, exc.code)
        for name, value in exc.get_headers():
            if name.lower() != "content-type":  # e.g. Allow on a 405
                response.headers[name] = value
        return response
    fields = g.get("log_fields")
    if fields is not None:
        fields["outcome"] = "error"
        fields["error_type"] = type(exc).__name__
    # The traceback without the message: messages can quote request data.
    log.error(
        "unhandled error",
        extra={
            "error_type": type(exc).__name__,
            "trace": "".join(traceback.format_tb(exc.__traceback__)),
        },
    )
    if request.endpoint == "skill.alexa":
        return _json({"error": "request could not be handled"}, 400)
    return _json({"error": "service unavailable"}, 503)
