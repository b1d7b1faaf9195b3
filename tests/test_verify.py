"""The Alexa request verifier, driven end to end with the fake PKI (no network)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.web.verify import (
    FAILURE_TTL_S,
    FETCH_BUDGET,
    FETCH_REFILL_S,
    MAX_CHAIN_BYTES,
    RequestVerifier,
    VerificationError,
    default_trust_store,
    fetch_https,
)
from tests.support.test_ca import (
    CERT_URL,
    SKILL_ID,
    ChainFetcher,
    FakeAlexaPKI,
    encode,
    fake_alexa_pki,
    iso,
    make_envelope,
)
from tests.support.threads import run_in_threads

PKI = fake_alexa_pki()
NOW = PKI.created + 60.0  # well inside the good chain's validity


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fetcher() -> ChainFetcher:
    return PKI.fetcher()


def make_verifier(
    fetcher: ChainFetcher, clock: Callable[[], float] | None = None, **kwargs: Any
) -> RequestVerifier:
    kwargs.setdefault("trust_store", PKI.store())
    return RequestVerifier(SKILL_ID, fetch=fetcher, clock=clock or Clock(), **kwargs)


def signed(**envelope_args: Any) -> tuple[dict[str, str], bytes, dict[str, Any]]:
    """A request signed with the good chain; ``envelope_args`` go to make_envelope."""
    envelope_args.setdefault("timestamp", NOW)
    envelope = make_envelope(**envelope_args)
    body = encode(envelope)
    return PKI.signed_headers(body), body, envelope


def reject(verifier: RequestVerifier, headers, body, envelope) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        verifier.verify(headers, body, envelope)
    return caught.value


def test_valid_request_is_accepted(fetcher):
    make_verifier(fetcher).verify(*signed())
    assert fetcher.calls == [CERT_URL]


@pytest.mark.parametrize(
    "envelope_args",
    [
        pytest.param({"timestamp": NOW - 150}, id="150s-old"),
        pytest.param({"timestamp": NOW + 150}, id="150s-ahead"),
        pytest.param({"timestamp": iso(NOW).replace("Z", ".250Z")}, id="millis"),
        pytest.param({"timestamp": iso(NOW).replace("Z", "+00:00")}, id="offset"),
        pytest.param(
            {"timestamp": NOW - 3600, "request_type": "AlexaSkillEvent.SkillEnabled"},
            id="skill-event-1h-old",
        ),
        pytest.param({"where": "context"}, id="skill-id-in-context-only"),
        pytest.param({"where": "session"}, id="skill-id-in-session-only"),
    ],
)
def test_accepted_variants(fetcher, envelope_args):
    make_verifier(fetcher).verify(*signed(**envelope_args))


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("HTTPS://S3.AmazonAWS.com/echo.api/echo-api-cert-test.pem", id="case"),
        pytest.param("https://s3.amazonaws.com:443/echo.api/echo-api-cert-test.pem", id="port443"),
        pytest.param("https://s3.amazonaws.com/echo.api/x/../echo-api-cert-test.pem", id="dotdot"),
    ],
)
def test_cert_url_variants_accepted_and_normalised(fetcher, url):
    headers, body, envelope = signed()
    headers["SignatureCertChainUrl"] = url
    make_verifier(fetcher).verify(headers, body, envelope)
    assert fetcher.calls == [CERT_URL]


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem", id="http"),
        pytest.param("ftp://s3.amazonaws.com/echo.api/echo-api-cert-test.pem", id="ftp"),
        pytest.param("https://notamazon.com/echo.api/echo-api-cert-test.pem", id="host"),
        pytest.param("https://s3.amazonaws.com.evil.com/echo.api/c.pem", id="host-suffix"),
        pytest.param("https://s3.amazonaws.com/Echo.api/echo-api-cert-test.pem", id="path-case"),
        pytest.param("https://s3.amazonaws.com/echo.api/../evil/c.pem", id="dotdot-escape"),
        pytest.param("https://s3.amazonaws.com/echo.api/%2e%2e/evil/c.pem", id="encoded-dotdot"),
        pytest.param("https://s3.amazonaws.com/echo%2Eapi/c.pem", id="encoded-prefix"),
        pytest.param("https://s3.amazonaws.com//echo.api/c.pem", id="double-slash"),
        pytest.param("https://s3.amazonaws.com/echo.api", id="bare-prefix"),
        pytest.param("https://s3.amazonaws.com:8443/echo.api/c.pem", id="port-8443"),
        pytest.param("https://s3.amazonaws.com:abc/echo.api/c.pem", id="port-junk"),
        pytest.param("https://s3.amazonaws.com@evil.com/echo.api/c.pem", id="userinfo-host"),
        pytest.param("https://evil@s3.amazonaws.com/echo.api/c.pem", id="userinfo-user"),
        pytest.param("https://a:b@s3.amazonaws.com/echo.api/c.pem", id="userinfo-password"),
        pytest.param("https://[::1/echo.api/c.pem", id="bad-ipv6"),
        pytest.param("/echo.api/echo-api-cert-test.pem", id="relative"),
        pytest.param(CERT_URL + "?x=1", id="query"),
        pytest.param(CERT_URL + "?", id="empty-query"),
        pytest.param(CERT_URL + "#frag", id="fragment"),
        pytest.param(CERT_URL + "#", id="empty-fragment"),
    ],
)
def test_cert_url_rules_reject_before_fetching(fetcher, url):
    headers, body, envelope = signed()
    headers["SignatureCertChainUrl"] = url
    error = reject(make_verifier(fetcher), headers, body, envelope)
    assert error.check == "cert_url"
    assert fetcher.calls == []


def _with_chain(chain: str):
    def build(headers, body, envelope, fetcher):
        return PKI.signed_headers(body, chain=chain), body, envelope

    return build


def _serve(pem: bytes):
    def build(headers, body, envelope, fetcher):
        fetcher.pems[CERT_URL] = pem
        return headers, body, envelope

    return build


def _edit_headers(**changes: str | None):
    def build(headers, body, envelope, fetcher):
        for name, value in changes.items():
            name = name.replace("_", "-")
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
        return headers, body, envelope

    return build


def _other_body(headers, body, envelope, fetcher):
    return headers, body.replace(b"LaunchRequest", b"LaunchRequesT"), envelope


def _other_key(headers, body, envelope, fetcher):
    return PKI.signed_headers(body, key=PKI.other_key), body, envelope


def _truncated_signature(headers, body, envelope, fetcher):
    headers["Signature-256"] = headers["Signature-256"][:-8]
    return headers, body, envelope


def _envelope(**envelope_args):
    def build(headers, body, envelope, fetcher):
        return signed(**envelope_args)

    return build


# Each case turns a good signed request (headers, body, envelope) into a bad one, perhaps
# changing what the fetcher serves.
NEGATIVE_CASES = [
    ("cert_expired", _with_chain("expired"), "expired-leaf"),
    ("cert_expired", _with_chain("not_yet_valid"), "not-yet-valid-leaf"),
    ("cert_san", _with_chain("no_san"), "leaf-without-san"),
    ("cert_chain", _with_chain("untrusted"), "untrusted-root"),
    ("cert_chain", _serve(b"this is not a certificate"), "non-pem-garbage"),
    ("cert_fetch", _serve(PKI.chains["good"] + b"\n" * MAX_CHAIN_BYTES), "oversize-chain"),
    ("cert_fetch", _edit_headers(SignatureCertChainUrl=CERT_URL + ".missing"), "fetch-404"),
    ("signature", _other_key, "signed-by-other-key"),
    ("signature", _other_body, "body-changed-after-signing"),
    ("signature", _edit_headers(Signature_256="not*base64!"), "bad-base64"),
    ("signature", _truncated_signature, "truncated-signature"),
    ("signature", _edit_headers(Signature_256="QUJD"), "short-signature"),
    ("headers", _edit_headers(Signature_256=None), "missing-signature"),
    ("headers", _edit_headers(SignatureCertChainUrl=None), "missing-cert-url"),
    ("headers", _edit_headers(Signature_256=None, SignatureCertChainUrl=None), "missing-both"),
    ("headers", _edit_headers(Signature_256=""), "empty-signature"),
    ("headers", _edit_headers(Signature_256="A" * 5000), "oversized-signature"),
    ("timestamp", _envelope(timestamp=NOW - 151), "stale-timestamp"),
    ("timestamp", _envelope(timestamp=NOW + 151), "future-timestamp"),
    ("timestamp", _envelope(timestamp="yesterday"), "malformed-timestamp"),
    ("timestamp", _envelope(timestamp=""), "empty-timestamp"),
    (
        "timestamp",
        _envelope(timestamp=NOW - 7200, request_type="AlexaSkillEvent.SkillDisabled"),
        "skill-event-2h-old",
    ),
    ("skill_id", _envelope(skill_id="amzn1.ask.skill.someone-else"), "wrong-skill-id"),
    ("skill_id", _envelope(skill_id=SKILL_ID[:-1]), "skill-id-prefix"),
    ("skill_id", _envelope(skill_id=SKILL_ID + "5"), "skill-id-superstring"),
    ("skill_id", _envelope(skill_id="x" + SKILL_ID), "skill-id-contains-real"),
    ("skill_id", _envelope(skill_id=SKILL_ID.upper()), "skill-id-case"),
    ("skill_id", _envelope(where="none"), "skill-id-missing"),
]


@pytest.mark.parametrize(
    ("check", "build"), [pytest.param(c, b, id=i) for c, b, i in NEGATIVE_CASES]
)
def test_negative_cases_are_rejected(fetcher, caplog, check, build):
    caplog.set_level("DEBUG")
    request = build(*signed(), fetcher)
    error = reject(make_verifier(fetcher), *request)
    assert error.check == check
    assert 0 < len(str(error)) < 80 and "Certificate(" not in str(error)
    assert "TESTUSER" not in caplog.text  # no user ids in logs


@pytest.mark.parametrize(
    ("envelope", "check"),
    [
        pytest.param(["not", "an", "object"], "body", id="envelope-not-object"),
        pytest.param({"context": {"System": {"application": {"applicationId": SKILL_ID}}}},
                     "body", id="no-request"),
        pytest.param({**make_envelope(), "request": {"type": "LaunchRequest"}},
                     "timestamp", id="missing-timestamp"),
        pytest.param({**make_envelope(), "request": {"timestamp": 1_700_000_000}},
                     "timestamp", id="numeric-timestamp"),
        pytest.param({"context": {"System": {"application": {"applicationId": 42}}}},
                     "skill_id", id="skill-id-not-string"),
        pytest.param({"context": "nonsense", "session": None}, "skill_id", id="context-junk"),
    ],
)  # fmt: skip
def test_malformed_envelopes(fetcher, envelope, check):
    headers = PKI.signed_headers(b"{}")
    assert reject(make_verifier(fetcher), headers, b"{}", envelope).check == check
    assert fetcher.calls == []


def test_header_lookup_is_case_insensitive(fetcher):
    headers, body, envelope = signed()
    lowered = {name.lower(): value for name, value in headers.items()}
    make_verifier(fetcher).verify(lowered, body, envelope)


def test_legacy_sha1_signature_header_alone_is_not_enough(fetcher):
    headers, body, envelope = signed()
    headers["Signature"] = headers.pop("Signature-256")
    assert reject(make_verifier(fetcher), headers, body, envelope).check == "headers"


def test_chain_is_fetched_once_for_many_requests(fetcher):
    verifier = make_verifier(fetcher)
    for _ in range(25):
        verifier.verify(*signed())
    assert fetcher.calls == [CERT_URL]


def test_every_spelling_of_the_url_shares_one_cached_chain(fetcher):
    verifier = make_verifier(fetcher)
    for url in (
        CERT_URL,
        "HTTPS://S3.AmazonAWS.com/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/x/../echo-api-cert-test.pem",
    ):
        headers, body, envelope = signed()
        headers["SignatureCertChainUrl"] = url
        verifier.verify(headers, body, envelope)
    assert fetcher.calls == [CERT_URL]


def test_a_failed_fetch_is_remembered_for_a_minute_per_normalised_url(fetcher):
    clock = Clock()
    verifier = make_verifier(fetcher, clock)
    fetcher.fail_next = 1
    assert reject(verifier, *signed()).check == "cert_fetch"
    headers, body, envelope = signed()
    headers["SignatureCertChainUrl"] = CERT_URL.replace("s3.amazonaws.com", "S3.AMAZONAWS.COM")
    assert reject(verifier, headers, body, envelope).check == "cert_fetch"
    clock.now += FAILURE_TTL_S - 1
    assert reject(verifier, *signed(timestamp=clock.now)).check == "cert_fetch"
    assert fetcher.calls == [CERT_URL]
    clock.now += 2  # the outage is over and the failure forgotten
    verifier.verify(*signed(timestamp=clock.now))
    verifier.verify(*signed(timestamp=clock.now))
    assert fetcher.calls == [CERT_URL, CERT_URL]


def test_a_failed_chain_verification_is_remembered_then_retried(fetcher):
    clock = Clock()
    verifier = make_verifier(fetcher, clock)
    good = fetcher.pems[CERT_URL]
    fetcher.pems[CERT_URL] = PKI.chains["untrusted"]
    assert reject(verifier, *signed()).check == "cert_chain"
    fetcher.pems[CERT_URL] = good
    assert reject(verifier, *signed()).check == "cert_chain"  # remembered, not fetched again
    clock.now += FAILURE_TTL_S + 1
    verifier.verify(*signed(timestamp=clock.now))
    assert len(fetcher.calls) == 2


def _unseen_urls(count: int) -> list[str]:
    return [f"https://s3.amazonaws.com/echo.api/never-seen-{i}.pem" for i in range(count)]


def test_a_hundred_unseen_urls_cost_at_most_the_fetch_budget(fetcher, caplog):
    verifier = make_verifier(fetcher)
    verifier.verify(*signed())  # the real chain, cached
    for url in _unseen_urls(100):
        headers, body, envelope = signed()
        headers["SignatureCertChainUrl"] = url
        assert reject(verifier, headers, body, envelope).check == "cert_fetch"
    assert len(fetcher.calls) == 1 + FETCH_BUDGET - 1  # the real chain spent one token
    assert "fetch budget spent" in caplog.text
    verifier.verify(*signed())  # still cached: no fetch
    assert len(fetcher.calls) == FETCH_BUDGET


def test_the_fetch_budget_refills_over_time(fetcher):
    clock = Clock()
    verifier = make_verifier(fetcher, clock)
    urls = iter(_unseen_urls(FETCH_BUDGET + 2))
    for _ in range(FETCH_BUDGET + 1):
        headers, body, envelope = signed()
        headers["SignatureCertChainUrl"] = next(urls)
        reject(verifier, headers, body, envelope)
    assert len(fetcher.calls) == FETCH_BUDGET
    clock.now += FETCH_REFILL_S
    headers, body, envelope = signed(timestamp=clock.now)
    headers["SignatureCertChainUrl"] = next(urls)
    reject(verifier, headers, body, envelope)
    assert len(fetcher.calls) == FETCH_BUDGET + 1


def test_failed_urls_never_evict_the_verified_chain(fetcher):
    clock = Clock()
    verifier = make_verifier(fetcher, clock)
    verifier.verify(*signed())
    for url in _unseen_urls(100):  # slow enough that every one is fetched, and fails
        clock.now += FETCH_REFILL_S
        headers, body, envelope = signed(timestamp=clock.now)
        headers["SignatureCertChainUrl"] = url
        assert reject(verifier, headers, body, envelope).check == "cert_fetch"
    assert len(fetcher.calls) == 101
    verifier.verify(*signed(timestamp=clock.now))
    assert len(fetcher.calls) == 101


def test_cached_chain_expires_with_the_leaf(fetcher):
    clock = Clock()
    verifier = make_verifier(fetcher, clock)
    verifier.verify(*signed())
    clock.now = PKI.created + 31 * 86400  # the good leaf lasts 30 days
    error = reject(verifier, *signed(timestamp=clock.now))
    assert error.check == "cert_expired"
    assert fetcher.calls == [CERT_URL, CERT_URL]


def test_without_signature_checks_the_skill_id_is_still_enforced(fetcher):
    verifier = make_verifier(fetcher, verify_signatures=False)
    stale = make_envelope(timestamp=NOW - 86400)
    verifier.verify({}, b"unsigned", stale)  # no headers, stale: fine when not verifying
    wrong = make_envelope(skill_id="amzn1.ask.skill.other", timestamp=NOW)
    assert reject(verifier, {}, b"", wrong).check == "skill_id"
    assert reject(verifier, {}, b"", make_envelope(where="none")).check == "skill_id"
    assert fetcher.calls == []


def test_without_signature_checks_or_skill_id_anything_passes(fetcher):
    verifier = RequestVerifier(None, verify_signatures=False, fetch=fetcher)
    verifier.verify({}, b"", make_envelope(skill_id="anything", timestamp=0))
    assert fetcher.calls == []


class SlowFetcher:
    """A download that takes a while, as over the internet: time for other requests to arrive."""

    def __init__(self, inner: ChainFetcher) -> None:
        self.inner = inner
        self.calls = inner.calls

    def __call__(self, url: str) -> bytes:
        time.sleep(0.2)
        return self.inner(url)


@pytest.mark.parametrize("outage", [False, True], ids=["reachable", "unreachable"])
def test_a_burst_to_a_fresh_worker_costs_one_download(fetcher, outage):
    """Eight requests at once, none cached: one waits for the download, the rest for it."""
    fetcher.fail_next = 1 if outage else 0
    verifier = make_verifier(SlowFetcher(fetcher))  # type: ignore[arg-type]
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def request() -> None:
        start.wait()
        try:
            verifier.verify(*signed())
            outcomes.append("verified")
        except VerificationError as exc:
            outcomes.append(exc.check)

    assert run_in_threads(request, 8) == []
    assert len(fetcher.calls) == 1  # not one per request, and never over the fetch budget
    assert outcomes == (["cert_fetch"] * 8 if outage else ["verified"] * 8)


def test_concurrent_requests_share_the_cache(fetcher):
    verifier = make_verifier(fetcher)
    requests = [signed() for _ in range(5)]

    def work() -> None:
        for _ in range(40):
            for request in requests:
                verifier.verify(*request)

    assert run_in_threads(work, 8) == []
    assert len(fetcher.calls) == 1


def test_default_trust_store_is_built_once_and_does_not_trust_the_fake_root(fetcher):
    assert default_trust_store() is default_trust_store()
    verifier = RequestVerifier(SKILL_ID, fetch=fetcher, clock=Clock())
    assert reject(verifier, *signed()).check == "cert_chain"


def test_default_fetch_refuses_plain_http():
    with pytest.raises(ValueError):
        fetch_https("http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem")


def test_default_fetcher_is_never_reached_for_a_bad_url():
    verifier = RequestVerifier(SKILL_ID, trust_store=PKI.store(), clock=Clock())
    headers, body, envelope = signed()
    headers["SignatureCertChainUrl"] = "http://localhost/echo.api/c.pem"
    assert reject(verifier, headers, body, envelope).check == "cert_url"


_text = st.text(max_size=40)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    headers=st.dictionaries(
        st.sampled_from(["SignatureCertChainUrl", "signature-256", "Signature-256", "X"]),
        _text | st.just(CERT_URL),
    ),
    body=st.binary(max_size=64),
    envelope=_json | st.builds(make_envelope, timestamp=st.just(NOW)),
)
def test_junk_only_ever_raises_verification_error(headers, body, envelope):
    verifier = make_verifier(ChainFetcher(PKI.fetcher().pems))
    try:
        verifier.verify(headers, body, envelope)
    except VerificationError as error:
        assert error.check
    else:  # pragma: no cover - a random signature never matches
        pytest.fail("junk accepted")


def test_fake_pki_is_cached_per_process():
    assert fake_alexa_pki() is PKI
    assert isinstance(PKI, FakeAlexaPKI)
