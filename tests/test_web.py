"""The Flask app end to end: real skill, real signed requests (fake PKI), real SQLite files."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill.content import Content, load_content
from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.settings import Settings
from skill.web.flask_app import MAX_BODY_BYTES, create_app
from skill.web.logs import JsonFormatter
from tests.support.test_ca import SKILL_ID, encode, fake_alexa_pki, iso, make_envelope, sign

PKI = fake_alexa_pki()
GOOD_URL = PKI.url()
USER_ID = "amzn1.ask.account.WEB-TEST-USER-7f3a"
SECRET_SLOT = "my-secret-slot-value-q9z"

# One frame of MPEG-2 layer III, 48 kbps, 24 kHz, mono (silent): 144 bytes, header first.
MP3_FRAME = bytes([0xFF, 0xF3, 0x64, 0xC0]) + bytes(140)


# -- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web_content() -> Content:
    return load_content()


def make_app(content: Content | None = None, **settings_args: Any) -> Flask:
    settings_args.setdefault("skill_id", SKILL_ID)
    settings = Settings(**settings_args)
    config: dict[str, Any] = {
        "SETTINGS": settings,
        "TRUST_STORE": PKI.store(),
        "CERT_FETCH": PKI.fetcher(),
        # The module's shared app fetches every chain variant once, and more than the budget.
        "CERT_FETCH_BUDGET": 100,
    }
    if content is not None and settings.db_path is None:
        config["SKILL"] = build_skill(content=content, settings=settings)
    return create_app(config)


@pytest.fixture(scope="module")
def shared_app(web_content: Content) -> Flask:
    """One app for the whole module: every test below also checks it keeps serving."""
    return make_app(web_content)


@pytest.fixture
def web_client(shared_app: Flask) -> FlaskClient:
    """The shared app's client (named apart from conftest's ``client``, a fresh app)."""
    return shared_app.test_client()


def alexa() -> AlexaSession:
    return AlexaSession(skill_id=SKILL_ID, user_id=USER_ID)


def stamp(envelope: dict[str, Any], at: float | None = None) -> dict[str, Any]:
    envelope["request"]["timestamp"] = iso(time.time() if at is None else at)
    return envelope


def post(
    web_client: FlaskClient,
    envelope: dict[str, Any] | None = None,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST /alexa; with only an envelope, it is signed with the good chain."""
    if body is None:
        body = encode(envelope if envelope is not None else alexa().launch())
    if headers is None:
        headers = PKI.signed_headers(body)
    return web_client.post("/alexa", data=body, headers=headers, content_type="application/json")


def assert_valid_response(data: dict[str, Any], *, speaks: bool = True) -> dict[str, Any]:
    """A response envelope Alexa accepts; returns its ``response``."""
    assert data["version"] == "1.0"
    response = data["response"]
    assert isinstance(response, dict)
    assert len(json.dumps(data)) < 120 * 1024
    if speaks:
        speech = response["outputSpeech"]
        assert speech["type"] == "SSML"
        assert speech["ssml"].startswith("<speak>") and speech["ssml"].endswith("</speak>")
        assert len(speech["ssml"]) < 8000
    return response


# -- the happy path ------------------------------------------------------------------------------


def test_signed_launch_request_gets_a_full_response(web_client):
    reply = post(web_client, alexa().launch())
    assert reply.status_code == 200
    assert reply.mimetype == "application/json"
    response = assert_valid_response(reply.get_json())
    assert response["shouldEndSession"] is False
    assert response["reprompt"]["outputSpeech"]["type"] == "SSML"
    assert response["card"]["type"] == "Simple" and response["card"]["content"]


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-test.pem",
    ],
    ids=["upper-case-scheme-host", "port-443", "dotdot-back-inside"],
)
def test_cert_url_variants_amazon_allows_are_accepted(web_client, url):
    body = encode(alexa().launch())
    assert (
        post(web_client, body=body, headers=sign(body, PKI.leaf_key, cert_url=url)).status_code
        == 200
    )


def test_a_hundred_unseen_cert_urls_cannot_make_the_app_fetch(web_content):
    fetcher = PKI.fetcher()
    settings = Settings(skill_id=SKILL_ID)
    app = create_app(
        {
            "SETTINGS": settings,
            "TRUST_STORE": PKI.store(),
            "CERT_FETCH": fetcher,
            "SKILL": build_skill(content=web_content, settings=settings),
        }
    )
    client = app.test_client()
    assert post(client, alexa().launch()).status_code == 200  # the real chain, now cached
    for i in range(100):
        body = encode(alexa().launch())
        url = f"https://s3.amazonaws.com/echo.api/unseen-{i}.pem"
        reply = post(client, body=body, headers=sign(body, PKI.leaf_key, cert_url=url))
        assert reply.status_code == 400
    with_query = encode(alexa().launch())
    headers = sign(with_query, PKI.leaf_key, cert_url=GOOD_URL + "?v=1")
    assert post(client, body=with_query, headers=headers).status_code == 400
    assert len(fetcher.calls) <= 3
    assert post(client, alexa().launch()).status_code == 200
    assert len(fetcher.calls) <= 3  # the real chain stayed cached


# -- verification failures: all 400, each naming its check in the log ----------------------------


def _signed_with_url(url: str) -> Callable[[], tuple[bytes, dict[str, str]]]:
    def make() -> tuple[bytes, dict[str, str]]:
        body = encode(alexa().launch())
        return body, sign(body, PKI.leaf_key, cert_url=url)

    return make


def _signed_with_chain(chain: str) -> Callable[[], tuple[bytes, dict[str, str]]]:
    def make() -> tuple[bytes, dict[str, str]]:
        body = encode(alexa().launch())
        return body, PKI.signed_headers(body, chain=chain)

    return make


def _signed_envelope(age: float = 0, **args: Any) -> Callable[[], tuple[bytes, dict[str, str]]]:
    def make() -> tuple[bytes, dict[str, str]]:
        body = encode(make_envelope(**{"timestamp": time.time() - age, **args}))
        return body, PKI.signed_headers(body)

    return make


def _wrong_key() -> tuple[bytes, dict[str, str]]:
    body = encode(alexa().launch())
    return body, PKI.signed_headers(body, key=PKI.other_key)


def _body_changed() -> tuple[bytes, dict[str, str]]:
    envelope = alexa().launch()
    headers = PKI.signed_headers(encode(envelope))
    envelope["request"]["locale"] = "de-DE"
    return encode(envelope), headers


def _other_requests_signature() -> tuple[bytes, dict[str, str]]:
    session = alexa()
    headers = PKI.signed_headers(encode(session.launch()))
    return encode(session.intent("AMAZON.StopIntent")), headers


def _signature_not_base64() -> tuple[bytes, dict[str, str]]:
    body = encode(alexa().launch())
    return body, {"SignatureCertChainUrl": GOOD_URL, "Signature-256": "not base64 !!"}


def _headers_without(*names: str) -> Callable[[], tuple[bytes, dict[str, str]]]:
    def make() -> tuple[bytes, dict[str, str]]:
        body = encode(alexa().launch())
        headers = {k: v for k, v in PKI.signed_headers(body).items() if k not in names}
        return body, headers

    return make


def _sha1_header_only() -> tuple[bytes, dict[str, str]]:
    body = encode(alexa().launch())
    signed = PKI.signed_headers(body)
    return body, {"SignatureCertChainUrl": GOOD_URL, "Signature": signed["Signature-256"]}


_ECHO = "/echo.api/echo-api-cert-test.pem"
REJECTIONS = [
    ("http-scheme", _signed_with_url(f"http://s3.amazonaws.com{_ECHO}"), "cert_url"),
    ("ftp-scheme", _signed_with_url(f"ftp://s3.amazonaws.com{_ECHO}"), "cert_url"),
    ("other-host", _signed_with_url(f"https://notamazon.com{_ECHO}"), "cert_url"),
    ("host-suffix", _signed_with_url(f"https://s3.amazonaws.com.evil.example{_ECHO}"), "cert_url"),
    ("path-case", _signed_with_url("https://s3.amazonaws.com/EcHo.aPi/cert.pem"), "cert_url"),
    ("path-outside", _signed_with_url("https://s3.amazonaws.com/invalid.path/c.pem"), "cert_url"),
    ("dotdot-out", _signed_with_url("https://s3.amazonaws.com/echo.api/../x/c.pem"), "cert_url"),
    (
        "dotdot-encoded",
        _signed_with_url("https://s3.amazonaws.com/echo.api/%2e%2e/c.pem"),
        "cert_url",
    ),
    ("port-563", _signed_with_url(f"https://s3.amazonaws.com:563{_ECHO}"), "cert_url"),
    ("userinfo", _signed_with_url(f"https://user@s3.amazonaws.com{_ECHO}"), "cert_url"),
    (
        "unpublished-url",
        _signed_with_url("https://s3.amazonaws.com/echo.api/nope.pem"),
        "cert_fetch",
    ),
    ("expired-leaf", _signed_with_chain("expired"), "cert_expired"),
    ("not-yet-valid-leaf", _signed_with_chain("not_yet_valid"), "cert_expired"),
    ("no-san", _signed_with_chain("no_san"), "cert_san"),
    ("untrusted-root", _signed_with_chain("untrusted"), "cert_chain"),
    ("wrong-key", _wrong_key, "signature"),
    ("body-changed", _body_changed, "signature"),
    ("signature-of-other-body", _other_requests_signature, "signature"),
    ("signature-not-base64", _signature_not_base64, "signature"),
    ("stale-timestamp", _signed_envelope(age=600), "timestamp"),
    ("future-timestamp", _signed_envelope(age=-600), "timestamp"),
    ("garbage-timestamp", _signed_envelope(timestamp="yesterday"), "timestamp"),
    ("wrong-skill-id", _signed_envelope(skill_id="amzn1.ask.skill.other"), "skill_id"),
    ("skill-id-prefix", _signed_envelope(skill_id=SKILL_ID[:-1]), "skill_id"),
    ("no-skill-id", _signed_envelope(where="none"), "skill_id"),
    ("no-headers", _headers_without("SignatureCertChainUrl", "Signature-256"), "headers"),
    ("no-cert-url", _headers_without("SignatureCertChainUrl"), "headers"),
    ("no-signature", _headers_without("Signature-256"), "headers"),
    ("sha1-signature-only", _sha1_header_only, "headers"),
]


@pytest.mark.parametrize(
    ("make", "check"), [r[1:] for r in REJECTIONS], ids=[r[0] for r in REJECTIONS]
)
def test_unverifiable_requests_are_refused_with_400(web_client, caplog, make, check):
    body, headers = make()
    with caplog.at_level(logging.INFO, logger="skill.web"):
        reply = post(web_client, body=body, headers=headers)
    assert reply.status_code == 400
    error = reply.get_json()["error"]
    assert isinstance(error, str) and 0 < len(error) < 80
    assert "Traceback" not in reply.get_data(as_text=True)
    [line] = [r for r in caplog.records if r.name == "skill.web" and r.msg == "request"]
    assert line.outcome == f"rejected:{check}"
    assert line.status == 400


# -- bodies that are not Alexa requests ----------------------------------------------------------


def _nested(depth: int) -> bytes:
    return json.dumps(
        {"request": {"type": "LaunchRequest"}, "x": json.loads("[" * depth + "]" * depth)}
    ).encode()


BAD_BODIES = [
    ("not-json", b"hello", "body is not JSON"),
    ("empty", b"", "body is not JSON"),
    ("not-utf8", b'{"request": "\xff\xfe"}', "body is not JSON"),
    ("json-array", b"[1, 2, 3]", "body is not a JSON object"),
    ("json-string", b'"LaunchRequest"', "body is not a JSON object"),
    ("nested-40", _nested(40), "body is nested too deeply"),
    ("nested-50000", b"[" * 50_000 + b"]" * 50_000, "body is not JSON"),
    ("no-request", b'{"version": "1.0"}', "request is missing or not an object"),
    ("request-string", b'{"request": "LaunchRequest"}', "request is missing or not an object"),
    ("type-missing", b'{"request": {}}', "request.type is missing or not a string"),
    ("type-number", b'{"request": {"type": 7}}', "request.type is missing or not a string"),
    (
        "session-list",
        b'{"request": {"type": "LaunchRequest"}, "session": []}',
        "session is not an object",
    ),
    (
        "context-string",
        b'{"request": {"type": "LaunchRequest"}, "context": "x"}',
        "context is not an object",
    ),
]


@pytest.mark.parametrize(
    ("body", "reason"), [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES]
)
def test_bodies_that_are_not_envelopes_get_400_with_a_reason(web_client, body, reason):
    reply = post(web_client, body=body, headers=PKI.signed_headers(body))
    assert reply.status_code == 400
    assert reply.get_json() == {"error": reason}


def test_a_body_over_the_cap_gets_413(web_client, caplog):
    body = b'{"request": {"type": "LaunchRequest"}, "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    with caplog.at_level(logging.INFO, logger="skill.web"):
        reply = post(web_client, body=body, headers=PKI.signed_headers(body))
    assert reply.status_code == 413
    assert reply.get_json() == {"error": "request entity too large"}
    assert [r.outcome for r in caplog.records if r.msg == "request"] == ["too_large"]


def test_a_body_just_under_the_cap_is_handled(web_client):
    envelope = alexa().launch()
    envelope["padding"] = ""
    envelope["padding"] = "x" * (MAX_BODY_BYTES - 1 - len(encode(envelope)))
    body = encode(envelope)
    assert len(body) == MAX_BODY_BYTES - 1
    assert post(web_client, body=body).status_code == 200


def test_a_chunked_body_over_the_cap_gets_413(web_client):
    stream = io.BytesIO(b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}")
    reply = web_client.post(
        "/alexa",
        input_stream=stream,
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        # What gunicorn sets for a chunked body: no length, read to the end.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert reply.status_code == 413


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e["request"].update(type="Weird.NewThing"),
        lambda e: e["session"].update(attributes="not an object"),
        lambda e: e["session"].update(user=5),
        lambda e: e["context"].update(System=[1]),
    ],
    ids=["unknown-request-type", "attributes-string", "user-number", "system-list"],
)
def test_well_formed_json_the_sdk_cannot_read_gets_400(web_client, mutate):
    envelope = alexa().launch()
    mutate(envelope)
    reply = post(web_client, envelope)
    assert reply.status_code == 400
    assert reply.get_json() == {"error": "request does not match the Alexa request format"}


def test_a_skill_id_the_sdk_refuses_gets_400_when_verification_is_off(web_content):
    settings = Settings(skill_id=None, verify_signatures=False)
    other = build_skill(content=web_content, settings=Settings(skill_id="amzn1.ask.skill.other"))
    client = create_app({"SETTINGS": settings, "SKILL": other}).test_client()
    reply = client.post("/alexa", json=alexa().launch())
    assert reply.status_code == 400
    assert reply.get_json() == {"error": "request could not be handled"}


def test_an_unexpected_failure_in_invoke_is_a_400_without_traceback(caplog):
    class Broken:
        def invoke(self, request_envelope: Any, context: Any) -> Any:
            raise RuntimeError(f"boom with {SECRET_SLOT}")

    settings = Settings(skill_id=SKILL_ID, verify_signatures=False)
    client = create_app({"SETTINGS": settings, "SKILL": Broken()}).test_client()
    with caplog.at_level(logging.INFO):
        reply = client.post("/alexa", json=alexa().launch())
    assert reply.status_code == 400
    assert reply.get_json() == {"error": "request could not be handled"}
    [line] = [r for r in caplog.records if r.msg == "request"]
    assert (line.outcome, line.error_type) == ("error", "RuntimeError")
    assert SECRET_SLOT not in caplog.text


def test_other_methods_and_paths_answer_json(web_client):
    reply = web_client.get("/alexa")
    assert reply.status_code == 405 and reply.get_json() == {"error": "method not allowed"}
    assert "POST" in reply.headers["Allow"]
    reply = web_client.get("/nowhere")
    assert reply.status_code == 404 and reply.get_json() == {"error": "not found"}


# -- odd but valid requests: 200 with a valid response -------------------------------------------


def _can_fulfill(session: AlexaSession) -> dict[str, Any]:
    slots = {"routine": {"name": "routine", "value": "upper back"}}
    request = {
        "type": "CanFulfillIntentRequest",
        "intent": {"name": "StartRoutineIntent", "slots": slots},
    }
    return session.envelope(request)


def _exception_encountered(session: AlexaSession) -> dict[str, Any]:
    error = {"type": "INVALID_RESPONSE", "message": "the response was invalid"}
    request = {"type": "System.ExceptionEncountered", "error": error, "cause": {"requestId": "r1"}}
    return session.envelope(request)


def _session_ended_with_error(session: AlexaSession) -> dict[str, Any]:
    request = {
        "type": "SessionEndedRequest",
        "reason": "ERROR",
        "error": {"type": "INVALID_RESPONSE", "message": "bad ssml"},
    }
    return session.envelope(request)


def _garbage_attributes(session: AlexaSession) -> dict[str, Any]:
    session.attributes = {"workoutPlanner": [1, {"state": None}], "junk": {"deep": ["x"]}}
    return session.intent("AMAZON.NextIntent")


ODD_REQUESTS = [
    ("unknown-intent", lambda s: s.intent("NoSuchIntent"), True),
    ("missing-slots", lambda s: s.intent("StartRoutineIntent"), True),
    ("huge-slot", lambda s: s.intent("StartRoutineIntent", routine="x" * 10_000), True),
    ("garbage-session-attributes", _garbage_attributes, True),
    ("can-fulfill", _can_fulfill, False),
    ("exception-encountered", _exception_encountered, False),
    ("session-ended-with-error", _session_ended_with_error, False),
]


@pytest.mark.parametrize(
    ("make", "speaks"), [o[1:] for o in ODD_REQUESTS], ids=[o[0] for o in ODD_REQUESTS]
)
def test_odd_but_valid_requests_get_a_valid_response(web_client, make, speaks):
    reply = post(web_client, make(alexa()))
    assert reply.status_code == 200
    response = assert_valid_response(reply.get_json(), speaks=speaks)
    if not speaks:
        assert "outputSpeech" not in response


def _empty_resolution_values(session: AlexaSession) -> dict[str, Any]:
    envelope = session.intent("StartRoutineIntent", routine=("upper back", "upper-back"))
    envelope["request"]["intent"]["slots"]["routine"]["resolutions"]["resolutionsPerAuthority"][0][
        "values"
    ] = []
    return envelope


def _resolution_without_id(session: AlexaSession) -> dict[str, Any]:
    envelope = session.intent("StartRoutineIntent", routine=("upper back", "upper-back"))
    authority = envelope["request"]["intent"]["slots"]["routine"]["resolutions"][
        "resolutionsPerAuthority"
    ][0]
    authority["values"] = [{"value": {"name": "upper back"}}]
    return envelope


def _with_user(user_id: str) -> Callable[[AlexaSession], dict[str, Any]]:
    def make(session: AlexaSession) -> dict[str, Any]:
        session.user_id = user_id
        return session.launch()

    return make


def _with_ids(text: str) -> Callable[[AlexaSession], dict[str, Any]]:
    def make(session: AlexaSession) -> dict[str, Any]:
        session.session_id = f"amzn1.echo-api.session.{text}"
        session.device_id = f"amzn1.ask.device.{text}"
        envelope = session.intent("StartRoutineIntent", routine=(f"upper {text}", None))
        envelope["request"]["requestId"] = f"amzn1.echo-api.request.{text}"
        envelope["request"]["intent"]["slots"]["routine"]["id"] = text
        envelope["session"]["attributes"] = {text: text, "workoutPlanner": {"state": text}}
        return envelope

    return make


# Each goes through a store-backed app: ids reach the store's key and the request log.
HOSTILE_INPUT = [
    ("empty-resolution-values", _empty_resolution_values),
    ("resolution-value-without-id", _resolution_without_id),
    ("lone-surrogate-user-id", _with_user("amzn1.ask.account.\ud800LONE")),
    ("low-surrogate-user-id", _with_user("amzn1.ask.account.\udfffLOW")),
    ("reversed-pair-user-id", _with_user("amzn1.ask.account.\udc00\ud800")),
    ("noncharacter-user-id", _with_user("amzn1.ask.account.\uffff\ufffe")),
    ("nul-user-id", _with_user("amzn1.ask.account.\x00")),
    ("lone-surrogate-everywhere", _with_ids("\ud83d")),
    ("nul-and-noncharacters-everywhere", _with_ids("\x00\uffff\U0010ffff")),
]


@pytest.mark.parametrize("make", [h[1] for h in HOSTILE_INPUT], ids=[h[0] for h in HOSTILE_INPUT])
def test_hostile_but_well_formed_input_gets_a_normal_reply(tmp_path, web_content, caplog, make):
    client = make_app(db_path=tmp_path / "progress.sqlite3").test_client()
    session = alexa()
    with caplog.at_level(logging.INFO):
        reply = post(client, make(session))
        assert reply.status_code == 200
        response = assert_valid_response(json.loads(reply.data.decode("utf-8")))
        session.absorb(reply.get_json())
        follow_up = post(client, session.intent("AMAZON.HelpIntent"))
    assert follow_up.status_code == 200
    assert "something went wrong" not in response["outputSpeech"]["ssml"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Logging error" not in caplog.text


def test_the_app_keeps_serving_after_refusals_and_odd_requests(web_client):
    # Whatever order the tests run in: refusals and odd requests first, then a conversation.
    body = b'{"version": "1.0"}'
    assert post(web_client, body=body, headers=PKI.signed_headers(body)).status_code == 400
    assert post(web_client, body=b"[]").status_code == 400
    for make, _ in [o[1:] for o in ODD_REQUESTS]:
        assert post(web_client, make(alexa())).status_code == 200
    session = alexa()
    first = post(web_client, session.launch())
    assert first.status_code == 200
    session.absorb(first.get_json())
    second = post(web_client, session.intent("AMAZON.HelpIntent"))
    assert second.status_code == 200
    assert_valid_response(second.get_json())


# -- /healthz ------------------------------------------------------------------------------------


def test_healthz_is_ok_without_a_store(web_client):
    reply = web_client.get("/healthz")
    assert (reply.status_code, reply.get_json()) == (200, {"status": "ok"})
    assert "no-store" in reply.headers["Cache-Control"]


def test_healthz_is_ok_with_a_real_sqlite_store(tmp_path):
    db = tmp_path / "progress.sqlite3"
    client = make_app(db_path=db).test_client()
    assert client.get("/healthz").status_code == 200
    assert db.exists()
    reply = post(client, alexa().launch())
    assert reply.status_code == 200


def _newer_schema(tmp_path: Path) -> Path:
    db = tmp_path / "newer.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    return db


@pytest.mark.parametrize(
    "broken", [lambda p: p, _newer_schema], ids=["path-is-a-directory", "newer-schema"]
)
def test_healthz_is_503_when_the_store_fails_and_alexa_still_answers(tmp_path, broken):
    client = make_app(db_path=broken(tmp_path)).test_client()
    reply = client.get("/healthz")
    assert (reply.status_code, reply.get_json()["status"]) == (503, "unavailable")
    assert reply.get_json()["reason"].startswith("health_check failed: ")
    # The skill degrades to session-only progress instead of failing the person.
    assert post(client, alexa().launch()).status_code == 200


# -- /audio --------------------------------------------------------------------------------------


@pytest.fixture
def audio_client(tmp_path: Path, web_content: Content) -> FlaskClient:
    audio = tmp_path / "audio"
    audio.mkdir()
    (audio / "breathe-in.mp3").write_bytes(MP3_FRAME * 20)
    (audio / "manifest.json").write_text("{}")
    (tmp_path / "secret.mp3").write_bytes(b"outside the audio dir")
    return make_app(web_content, audio_dir=audio).test_client()


def test_audio_is_served_with_immutable_cache_headers(audio_client):
    reply = audio_client.get("/audio/breathe-in.mp3")
    assert reply.status_code == 200
    assert reply.mimetype == "audio/mpeg"
    assert reply.data == MP3_FRAME * 20
    cache = reply.headers["Cache-Control"]
    assert {"public", "max-age=31536000", "immutable"} <= {p.strip() for p in cache.split(",")}
    assert reply.headers["ETag"]
    assert reply.headers["Accept-Ranges"] == "bytes"


def test_audio_range_requests_get_206(audio_client):
    reply = audio_client.get("/audio/breathe-in.mp3", headers={"Range": "bytes=0-143"})
    assert reply.status_code == 206
    assert reply.data == MP3_FRAME
    assert reply.headers["Content-Range"] == f"bytes 0-143/{len(MP3_FRAME) * 20}"


def test_audio_if_none_match_gets_304(audio_client):
    etag = audio_client.get("/audio/breathe-in.mp3").headers["ETag"]
    reply = audio_client.get("/audio/breathe-in.mp3", headers={"If-None-Match": etag})
    assert reply.status_code == 304
    assert reply.data == b""


@pytest.mark.parametrize(
    "path",
    [
        "/audio/missing.mp3",
        "/audio/manifest.json",
        "/audio/../secret.mp3",
        "/audio/%2e%2e/secret.mp3",
        "/audio/..%2fsecret.mp3",
        "/audio//etc/passwd.mp3",
    ],
)
def test_audio_outside_the_cues_is_404(audio_client, path):
    reply = audio_client.get(path, follow_redirects=True)  # "//" redirects to "/" first
    assert reply.status_code == 404
    assert b"outside the audio dir" not in reply.data


# -- the request log -----------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Every log record of the process, formatted as the service writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_log_lines_are_json_with_request_id_and_outcome_and_nothing_personal(tmp_path, json_log):
    client = make_app(db_path=tmp_path / "p.sqlite3").test_client()
    session = alexa()
    launch = session.launch()
    replies = [post(client, launch)]
    session.absorb(replies[0].get_json())
    replies.append(post(client, session.intent("StartRoutineIntent", routine=SECRET_SLOT)))
    replies.append(post(client, session.intent("FaqIntent", topic=SECRET_SLOT)))
    replies.append(post(client, stamp(make_envelope(skill_id="amzn1.ask.skill.other"))))
    replies.append(post(client, body=b"[]"))
    assert [r.status_code for r in replies] == [200, 200, 200, 400, 400]

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    requests = [
        line for line in lines if line["logger"] == "skill.web" and line["msg"] == "request"
    ]
    assert [r["outcome"] for r in requests] == [
        "ok",
        "ok",
        "ok",
        "rejected:skill_id",
        "bad_request",
    ]
    assert requests[0]["request_id"] == launch["request"]["requestId"]
    assert requests[0]["type"] == "LaunchRequest"
    assert requests[1]["intent"] == "StartRoutineIntent"
    for line in requests:
        assert line["status"] in (200, 400) and line["latency_ms"] >= 0
    text = json_log.getvalue()
    for secret in (USER_ID, SECRET_SLOT, "amzn1.ask.account.TESTUSER"):
        assert secret not in text


# -- the lazily built module-level app -----------------------------------------------------------


def test_skill_web_app_is_built_from_the_environment_on_first_access(tmp_path):
    probe = (
        "import sys, skill.web\n"
        "assert 'flask' not in sys.modules, 'importing skill.web pulled in flask'\n"
        "app = skill.web.app\n"
        "assert skill.web.app is app\n"
        "print(app.test_client().get('/healthz').status_code)\n"
    )
    env = {
        "ALEXA_SKILL_ID": SKILL_ID,
        "WORKOUT_PLANNER_DB": str(tmp_path / "env.sqlite3"),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "200"
    assert (tmp_path / "env.sqlite3").exists()


def test_importing_the_factory_module_first_still_gives_gunicorn_the_app(tmp_path):
    """As a gunicorn config file might: the module's name no longer shadows ``skill.web:app``."""
    probe = (
        "import skill.web.flask_app, skill.web\n"
        "print(callable(getattr(skill.web.app, 'wsgi_app', None)))\n"
    )
    env = {"ALEXA_SKILL_ID": SKILL_ID, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
