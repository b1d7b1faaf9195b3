"""GttsEngine against a mocked Google endpoint: the exchange gTTS really makes, no network."""

import base64
import json
import urllib.parse

import pytest
import requests

from skill.audio.encode import encode
from skill.audio.engines import EngineUnavailable, GttsEngine
from skill.audio.mp3check import check_mp3_bytes

ENDPOINT = "https://translate.google.{tld}/_/TranslateWebserverUi/data/batchexecute"


def google_reply(mp3: bytes) -> str:
    """A batchexecute reply as Google sends it (what gtts/tts.py's regex expects).

    Compact separators matter: gTTS looks for ``jQ1olc","[\\"`` with no spaces.
    """
    payload = json.dumps([base64.b64encode(mp3).decode("ascii")], separators=(",", ":"))
    row = [["wrb.fr", "jQ1olc", payload, None, None, None, "generic"]]
    line = json.dumps(row, separators=(",", ":"))
    return f')]}}\'\n\n{len(line)}\n{line}\n25\n[["e",4,null,null,{len(line) + 60}]]\n'


def test_gtts_audio_is_decoded_and_reencoded_compliantly(requests_mock, gtts_like_mp3):
    requests_mock.post(ENDPOINT.format(tld="com"), text=google_reply(gtts_like_mp3))
    pcm = GttsEngine().synthesize("Roll your shoulders back.")
    assert pcm.sample_rate == 24000 and len(pcm.samples) > 24000
    sent = urllib.parse.unquote(requests_mock.last_request.text)
    assert sent.startswith('f.req=[[["jQ1olc","[\\"Roll your shoulders back.\\",\\"en\\"')
    # As gTTS delivers it, Alexa would refuse it (32 kbps); re-encoded, it passes.
    assert any("32 kbps" in p for p in check_mp3_bytes(gtts_like_mp3, "raw.mp3"))
    assert check_mp3_bytes(encode(pcm.samples, pcm.sample_rate).data, "cue.mp3") == []


def test_long_text_is_sent_in_parts_and_joined(requests_mock, gtts_like_mp3):
    requests_mock.post(ENDPOINT.format(tld="co.uk"), text=google_reply(gtts_like_mp3))
    one = GttsEngine(tld="co.uk").synthesize("Breathe in.")
    long_text = "Breathe in slowly through your nose, and let your shoulders drop. " * 3
    joined = GttsEngine(tld="co.uk").synthesize(long_text)
    parts = requests_mock.call_count - 1  # gTTS sends at most 100 characters a request
    assert parts >= 3
    assert len(joined.samples) == pytest.approx(parts * len(one.samples), rel=0.01)


def test_fingerprint_names_language_and_accent():
    assert GttsEngine(lang="en", tld="co.uk").fingerprint == "gtts lang=en tld=co.uk"
    with pytest.raises(ValueError, match="does not support language 'xx'"):
        GttsEngine(lang="xx")


def test_no_connection_gives_a_plain_engine_unavailable(requests_mock):
    requests_mock.post(ENDPOINT.format(tld="com"), exc=requests.exceptions.ConnectionError)
    with pytest.raises(EngineUnavailable) as caught:
        GttsEngine().synthesize("Hello.")
    message = str(caught.value)
    assert message.startswith("Cannot reach Google's text-to-speech service (translate.google.com)")
    assert "workout-planner audio build --engine espeak" in message


def test_refused_request_also_suggests_the_offline_engine(requests_mock):
    requests_mock.post(ENDPOINT.format(tld="com"), status_code=429, reason="Too Many Requests")
    with pytest.raises(EngineUnavailable, match="429 \\(Too Many Requests\\)") as caught:
        GttsEngine().synthesize("Hello.")
    assert "--engine espeak" in str(caught.value)
