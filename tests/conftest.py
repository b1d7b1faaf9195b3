"""Shared fixtures: the content, a real skill, and a dialogue that talks to it like Alexa."""

from __future__ import annotations

from typing import Any

import pytest

from skill.content import Content, load_content
from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.settings import Settings
from tests.support.dialogue import Dialogue


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
