"""Check that a web request really comes from Alexa, for this skill (Amazon's Alexa Skills Kit
documentation: "Host a Custom Skill as a Web Service", section "Verify that the request was sent
by Alexa").

Pure: imports neither ``flask`` nor ``ask_sdk``. The checks, in order (cheap ones first, so a
stale or foreign request never triggers a certificate download):

=============  ============================================================================
check          rejects
=============  ============================================================================
body           an envelope that is not a JSON object, or has no ``request`` object
skill_id       an application id that is missing or not exactly the configured one
timestamp      a missing/unparsable ``request.timestamp``, or one too far from now
headers        a missing, oversized or non-text ``SignatureCertChainUrl``/``Signature-256``
cert_url       a cert URL that is not ``https://s3.amazonaws.com[:443]/echo.api/...``, or
               that carries a query or fragment
cert_fetch     a download that fails or exceeds ``MAX_CHAIN_BYTES``, or one over the budget
               of outbound fetches (``FETCH_BUDGET``)
cert_chain     content that is not a PEM chain, or a chain not leading to a trusted root
cert_expired   a signing certificate outside its validity dates (expired or not yet valid)
cert_san       a signing certificate without the SAN ``echo-api.amazon.com``
signature      a ``Signature-256`` that is not base64 or does not match the raw body
=============  ============================================================================

A certificate URL can make the server fetch, so fetching is bounded (see ``_ChainCache``):
chains are cached by the normalised URL, a failure is remembered for ``FAILURE_TTL_S`` per
normalised URL, new URLs are fetched only within a small budget per worker, and a verified chain
is never pushed out of the cache by URLs that failed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import posixpath
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import verification

from skill.web.chains import ChainCache, FetchBudget

if TYPE_CHECKING:
    from urllib.request import OpenerDirector

log = logging.getLogger(__name__)

ALEXA_SAN = "echo-api.amazon.com"
CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
#: ASK SDK's MAX_NORMAL_REQUEST_TOLERANCE_IN_MILLIS, and its allowance for skill events.
NORMAL_TOLERANCE_S = 150.0
SKILL_EVENT_TOLERANCE_S = 3600.0
FETCH_TIMEOUT_S = 3.0
MAX_CHAIN_BYTES = 64 * 1024

#: Outbound chain downloads per worker: this many at once, then one per FETCH_REFILL_S.
FETCH_BUDGET = 3
FETCH_REFILL_S = 20.0
#: How long a URL whose chain failed (download or verification) is refused without a retry.
FAILURE_TTL_S = 60.0

# Amazon publishes one chain at a time; the bound only stops a cache from growing without end.
_MAX_CACHED_CHAINS = 32
_MAX_REMEMBERED_FAILURES = 1024
# A Signature-256 for RSA-2048 is 344 characters; anything far longer is not worth decoding.
_MAX_HEADER_CHARS = 2048
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


class VerificationError(Exception):
    """A request that must be refused (HTTP 400). ``str(exc)`` is safe to show the client."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(reason)
        #: Short machine name of the failed check (see the module docstring).
        self.check = check


@dataclass(frozen=True, slots=True)
class _VerifiedChain:
    key: rsa.RSAPublicKey
    #: Epoch seconds during which every certificate of the chain is valid.
    valid_from: float
    valid_until: float


class RequestVerifier:
    """Verifies Alexa requests; one instance is shared by all threads of a worker."""

    def __init__(
        self,
        skill_id: str | None,
        *,
        verify_signatures: bool = True,
        trust_store: verification.Store | None = None,
        fetch: Callable[[str], bytes] | None = None,
        clock: Callable[[], float] = time.time,
        fetch_budget: int = FETCH_BUDGET,
    ) -> None:
        self.skill_id = skill_id
        self.verify_signatures = verify_signatures
        self._trust_store = trust_store
        self._fetch = fetch or fetch_https
        self._clock = clock
        self._chains: ChainCache[_VerifiedChain] = ChainCache(
            max_chains=_MAX_CACHED_CHAINS,
            max_failures=_MAX_REMEMBERED_FAILURES,
            failure_ttl_s=FAILURE_TTL_S,
            budget=FetchBudget(fetch_budget, FETCH_REFILL_S),
        )

    def verify(self, headers: Mapping[str, str], body: bytes, envelope: Mapping[str, Any]) -> None:
        """Raise VerificationError, or return None when the request may be handled."""
        if not isinstance(envelope, Mapping):
            raise VerificationError("body", "request body is not a JSON object")
        if self.skill_id is not None and _application_id(envelope) != self.skill_id:
            raise VerificationError("skill_id", "request is not for this skill")
        if not self.verify_signatures:
            return
        now = self._clock()
        _check_timestamp(envelope, now)
        cert_url = _header(headers, "SignatureCertChainUrl")
        signature_b64 = _header(headers, "Signature-256")
        if not cert_url or not signature_b64:
            raise VerificationError("headers", "missing signature headers")
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except (binascii.Error, ValueError):
            raise VerificationError("signature", "signature is not valid base64") from None
        key = self._signing_key(cert_url, now)
        try:
            key.verify(signature, body, _PKCS1V15, _SHA256)
        except (InvalidSignature, TypeError, ValueError):
            raise VerificationError("signature", "signature does not match the body") from None

    def _signing_key(self, cert_url: str, now: float) -> rsa.RSAPublicKey:
        url = check_cert_url(cert_url)  # the normalised URL: the one key for every spelling
        known = self._known_key(url, now)
        if known is not None:
            return known
        with self._chains.fetching(url):
            # A request ahead of this one may have fetched it while this one waited.
            known = self._known_key(url, now)
            return known if known is not None else self._fetch_key(url, now)

    def _known_key(self, url: str, now: float) -> rsa.RSAPublicKey | None:
        """The cached chain's key, or None to fetch; a remembered failure is raised again."""
        cached = self._chains.chain(url, now)
        if cached is not None and cached.valid_from <= now:
            return cached.key
        failed = self._chains.failure(url, now)
        if failed is not None:
            raise VerificationError(failed.check, failed.reason)
        return None

    def _fetch_key(self, url: str, now: float) -> rsa.RSAPublicKey:
        if not self._chains.may_fetch(now):
            log.warning(
                "certificate fetch budget spent; refusing without fetching",
                extra={"event": "verify.fetch_budget_spent"},
            )
            raise VerificationError("cert_fetch", "signing certificate unavailable")
        try:
            chain = self._load_chain(url, now)
        except VerificationError as exc:
            self._chains.store_failure(url, exc.check, str(exc), now)
            raise
        self._chains.store_chain(url, chain, chain.valid_until, now)
        return chain.key

    def _load_chain(self, url: str, now: float) -> _VerifiedChain:
        """Download and verify the chain at ``url``; failures are raised (the caller caches)."""
        try:
            data = self._fetch(url)
        except Exception as exc:  # any fetcher failure means "no certificate", never a 500
            log.warning("could not fetch the Alexa cert chain %r: %s", url, exc)
            raise VerificationError("cert_fetch", "signing certificate unavailable") from exc
        if not isinstance(data, bytes) or len(data) > MAX_CHAIN_BYTES:
            raise VerificationError("cert_fetch", "signing certificate download is too large")
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            log.warning("the Alexa cert chain at %r is not PEM", url)
            raise VerificationError("cert_chain", "signing certificate is unreadable") from None
        leaf, intermediates = certs[0], certs[1:]
        moment = dt.datetime.fromtimestamp(now, dt.UTC)
        if moment < leaf.not_valid_before_utc:
            raise VerificationError("cert_expired", "signing certificate is not yet valid")
        if moment > leaf.not_valid_after_utc:
            raise VerificationError("cert_expired", "signing certificate has expired")
        if not _has_alexa_san(leaf):
            raise VerificationError("cert_san", "signing certificate is not for Alexa")
        verifier = (
            verification.PolicyBuilder()
            .store(self._trust_store or default_trust_store())
            .time(moment)
            .build_server_verifier(x509.DNSName(ALEXA_SAN))
        )
        try:
            chain = verifier.verify(leaf, intermediates)
        except verification.VerificationError as exc:
            log.warning("the Alexa cert chain at %r does not verify: %s", url, exc)
            raise VerificationError("cert_chain", "signing certificate is not trusted") from None
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise VerificationError("cert_chain", "signing certificate key is not RSA")
        return _VerifiedChain(
            key=key,
            valid_from=max(c.not_valid_before_utc for c in chain).timestamp(),
            valid_until=min(c.not_valid_after_utc for c in chain).timestamp(),
        )


def check_cert_url(url: str) -> str:
    """Return the normalised URL to fetch for ``SignatureCertChainUrl``, or raise (``cert_url``).

    The path is judged after percent-decoding and ``..`` normalisation, as S3 would see it. A
    query or fragment is refused: Amazon's chains have neither, and each would otherwise be one
    more distinct URL to fetch.
    """
    if "?" in url or "#" in url:
        raise VerificationError("cert_url", "invalid certificate URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # malformed netloc or port
        raise VerificationError("cert_url", "invalid certificate URL") from None
    path = posixpath.normpath(parts.path) if parts.path else ""
    if (
        parts.scheme.lower() != "https"
        or "@" in parts.netloc
        or (parts.hostname or "").lower() != CERT_HOST
        or port not in (None, 443)
        or not posixpath.normpath(unquote(parts.path)).startswith(CERT_PATH_PREFIX)
        or not path.startswith(CERT_PATH_PREFIX)
    ):
        raise VerificationError("cert_url", "invalid certificate URL")
    return f"https://{CERT_HOST}{path}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict is case-sensitive; Flask's headers are not
        wanted = name.lower()
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == wanted:
                value = candidate
                break
    if value is not None and (not isinstance(value, str) or len(value) > _MAX_HEADER_CHARS):
        raise VerificationError("headers", "malformed signature headers")
    return value.strip() if value is not None else None


def _application_id(envelope: Mapping[str, Any]) -> str | None:
    for path in (("context", "System", "application"), ("session", "application")):
        node: Any = envelope
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        app_id = node.get("applicationId") if isinstance(node, Mapping) else None
        if isinstance(app_id, str):
            return app_id
    return None


def _check_timestamp(envelope: Mapping[str, Any], now: float) -> None:
    request = envelope.get("request")
    if not isinstance(request, Mapping):
        raise VerificationError("body", "request body has no request")
    stamp = request.get("timestamp")
    try:
        if not isinstance(stamp, str) or len(stamp) > 64:
            raise ValueError(stamp)
        moment = dt.datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        skew = abs(now - moment.timestamp())
    except (ValueError, OverflowError, OSError):
        raise VerificationError("timestamp", "missing or malformed request timestamp") from None
    kind = request.get("type")
    is_event = isinstance(kind, str) and kind.startswith("AlexaSkillEvent.")
    if skew > (SKILL_EVENT_TOLERANCE_S if is_event else NORMAL_TOLERANCE_S):
        raise VerificationError("timestamp", "request timestamp is too far from now")


def _has_alexa_san(cert: x509.Certificate) -> bool:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return any(name.lower() == ALEXA_SAN for name in san.get_values_for_type(x509.DNSName))


_default_store: verification.Store | None = None
_default_store_lock = threading.Lock()


def default_trust_store() -> verification.Store:
    """certifi's roots as a Store, built on first use and shared by every verifier."""
    global _default_store
    with _default_store_lock:
        if _default_store is None:
            import certifi  # cold path only

            with open(certifi.where(), "rb") as bundle:
                pem = bundle.read()
            # certifi carries a legacy root with a non-positive serial; its warning is noise.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _default_store = verification.Store(x509.load_pem_x509_certificates(pem))
        return _default_store


def fetch_https(
    url: str, *, timeout: float = FETCH_TIMEOUT_S, max_bytes: int = MAX_CHAIN_BYTES
) -> bytes:
    """GET ``url`` over verified HTTPS, with no redirects, in bounded time and size."""
    if urlsplit(url).scheme != "https":
        raise ValueError("only https URLs are fetched")
    deadline = time.monotonic() + timeout
    with _https_opener().open(url, timeout=timeout) as response:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise ValueError("response too large")
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read(8192):
            size += len(chunk)
            if size > max_bytes:
                raise ValueError("response too large")
            if time.monotonic() > deadline:
                raise TimeoutError("download too slow")
            chunks.append(chunk)
    return b"".join(chunks)


_opener: OpenerDirector | None = None


def _https_opener() -> OpenerDirector:
    """A urllib opener that verifies TLS with certifi and refuses redirects (built lazily)."""
    global _opener
    if _opener is None:
        import ssl
        import urllib.request

        import certifi

        class _NoRedirect(urllib.request.HTTPRedirectHandler):
            # A redirect would lead away from the URL whose shape was checked.
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        context = ssl.create_default_context(cafile=certifi.where())
        _opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), _NoRedirect()
        )
    return _opener
