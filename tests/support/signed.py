"""Alexa's side of a conversation over HTTP, with every request signed by the test CA."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from skill.envelopes import AlexaSession
from tests.support.test_ca import SKILL_ID, FakeAlexaPKI


class SignedAlexa:
    """Alexa's side over HTTP: each envelope is signed, posted to /alexa, and absorbed."""

    def __init__(self, client: FlaskClient, pki: FakeAlexaPKI) -> None:
        self.client, self.pki = client, pki
        self.session = AlexaSession(skill_id=SKILL_ID)

    def post(self, envelope: dict[str, Any]) -> Any:
        body = json.dumps(envelope).encode()
        response = self.client.post(
            "/alexa",
            data=body,
            headers=self.pki.signed_headers(body),
            content_type="application/json",
        )
        assert response.status_code == 200, response.get_json()
        reply = response.get_json()
        self.session.absorb(reply)
        return reply
