"""Shared fixtures: the content, a real skill, and a dialogue that talks to it like Alexa."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill.content import Content, load_content
from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.settings import Settings
from skill.web.flask_app import create_app
from tests.support.dialogue import Dialogue
from tests.support.signed import SignedAlexa
from tests.support.test_ca import SKILL_ID, FakeAlexaPKI, fake_alexa_pki
from tests.support.transcripts import Case, Run, run


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture
def settings() -> Settings:
    return Settings(skill_id=AlexaSession().skill_id, verify_signatures=False)


@pytest.fixture
def skill(content: Content, settings: Settings) -> Any:
    return build_skill(content=content, settings=settings)


@pytest.fixture
def alexa() -> AlexaSession:
    return AlexaSession()


@pytest.fixture
def dialogue(skill: Any, alexa: AlexaSession) -> Dialogue:
    return Dialogue(skill, alexa)


@pytest.fixture(scope="session")
def transcript_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Case], Run]:
    """Each bundled transcript run once in each of its locales, shared by the tests that read
    the run (test_chat: what was said; test_budgets: how long), so neither pays for it twice."""
    runs: dict[Case, Run] = {}

    def run_once(case: Case) -> Run:
        if case not in runs:
            runs[case] = run(case, tmp_path_factory.mktemp("transcript"))
        return runs[case]

    return run_once


@pytest.fixture(scope="session")
def pki() -> FakeAlexaPKI:
    """A test CA standing in for Amazon's: it signs requests the app verifies for real."""
    return fake_alexa_pki()


@pytest.fixture
def app(pki: FakeAlexaPKI, tmp_path: Path) -> Flask:
    """The real Flask app: verification on (trusting the test CA) and a real SQLite file."""
    settings = Settings(skill_id=SKILL_ID, db_path=tmp_path / "progress.sqlite3")
    return create_app({"SETTINGS": settings, "TRUST_STORE": pki.store(), "CERT_FETCH": pki.fetch})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def signed_alexa(client: FlaskClient, pki: FakeAlexaPKI) -> SignedAlexa:
    return SignedAlexa(client, pki)
