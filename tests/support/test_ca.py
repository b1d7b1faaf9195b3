"""A fake Alexa PKI and signed requests, for tests and benchmarks (no network).

One process-wide PKI (RSA key generation is slow, so it is made once and cached)::

    pki = fake_alexa_pki()
    verifier = RequestVerifier(SKILL_ID, trust_store=pki.store(), fetch=pki.fetch)
    envelope = make_envelope(skill_id=SKILL_ID, timestamp=time.time())
    body = encode(envelope)
    verifier.verify(pki.signed_headers(body), body, envelope)

The trusted root signs an intermediate, which signs the leaf for ``echo-api.amazon.com``. Every
chain variant (see ``CHAINS``) is signed with the same leaf key, so a request signed for one
variant fails only on that variant's certificate defect. Validity windows are relative to
``pki.created``: the good chain is valid from a day before to 30 days after it.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import Store

ALEXA_SAN = "echo-api.amazon.com"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
SKILL_ID = "amzn1.ask.skill.00000000-1111-2222-3333-444444444444"

#: Chain variants served by ``FakeAlexaPKI.fetch``; all but "good" must be rejected.
CHAINS = ("good", "expired", "not_yet_valid", "no_san", "untrusted")

_DAY = dt.timedelta(days=1)


class FetchError(OSError):
    """What the fake fetchers raise for an unknown URL or a simulated outage."""


@dataclass(frozen=True)
class FakeAlexaPKI:
    """A test root, its chains (PEM, leaf first) and the keys to sign requests with."""

    created: float
    root: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    #: A key no certificate vouches for: signatures made with it must fail.
    other_key: rsa.RSAPrivateKey
    #: Chain name (see ``CHAINS``) -> PEM bundle, leaf first.
    chains: Mapping[str, bytes]
    _store: Store = field(repr=False)

    def store(self) -> Store:
        """A trust store holding only the test root."""
        return self._store

    def url(self, chain: str = "good") -> str:
        """The cert URL serving ``chain``; the good one is ``CERT_URL``."""
        if chain not in self.chains:
            raise KeyError(chain)
        return CERT_URL if chain == "good" else f"https://s3.amazonaws.com/echo.api/{chain}.pem"

    def fetch(self, url: str) -> bytes:
        """Serve the chain published at ``url`` (a stand-in for the HTTPS download)."""
        return self.fetcher()(url)

    def fetcher(self) -> ChainFetcher:
        """A fresh fetcher over all chains that records its calls."""
        return ChainFetcher({self.url(name): pem for name, pem in self.chains.items()})

    def signed_headers(
        self, body: bytes, *, chain: str = "good", key: rsa.RSAPrivateKey | None = None
    ) -> dict[str, str]:
        """Headers as Alexa sends them: ``body`` signed with the leaf key (or ``key``)."""
        return sign(body, key or self.leaf_key, cert_url=self.url(chain))


class ChainFetcher:
    """A fetcher serving PEM bytes from a dict by URL, counting calls and able to fail."""

    def __init__(self, pems: Mapping[str, bytes]) -> None:
        self.pems = dict(pems)
        self.calls: list[str] = []
        #: Number of upcoming calls that raise ``FetchError``, as if the network were down.
        self.fail_next = 0

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        if self.fail_next > 0:
            self.fail_next -= 1
            raise FetchError("simulated outage")
        try:
            return self.pems[url]
        except KeyError:
            raise FetchError(f"404 for {url}") from None


def sign(body: bytes, key: rsa.RSAPrivateKey, *, cert_url: str = CERT_URL) -> dict[str, str]:
    """``SignatureCertChainUrl`` and ``Signature-256`` headers for ``body``."""
    signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return {
        "SignatureCertChainUrl": cert_url,
        "Signature-256": base64.b64encode(signature).decode("ascii"),
    }


def iso(timestamp: float) -> str:
    """Alexa's timestamp format, e.g. ``2026-11-23T19:00:00Z``."""
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_envelope(
    *,
    skill_id: str = SKILL_ID,
    timestamp: float | str | None = None,
    request_type: str = "LaunchRequest",
    where: str = "both",
) -> dict[str, Any]:
    """A minimal but realistic request envelope.

    ``timestamp`` is epoch seconds (default: now) or a literal string; ``where`` puts the
    application id in ``"context"``, ``"session"``, ``"both"`` or ``"none"``.
    """
    if timestamp is None:
        timestamp = time.time()
    stamp = iso(timestamp) if isinstance(timestamp, int | float) else timestamp
    user = {"userId": "amzn1.ask.account.TESTUSER"}
    application = {"applicationId": skill_id}
    envelope: dict[str, Any] = {
        "version": "1.0",
        "context": {"System": {"user": user, "device": {"deviceId": "amzn1.ask.device.TEST"}}},
        "request": {
            "type": request_type,
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": stamp,
            "locale": "en-US",
        },
    }
    if request_type == "LaunchRequest":
        envelope["session"] = {"new": True, "sessionId": "amzn1.echo-api.session.T", "user": user}
    if where in ("context", "both"):
        envelope["context"]["System"]["application"] = application
    if where in ("session", "both"):
        envelope.setdefault("session", {"new": True, "user": user})["application"] = application
    return envelope


def encode(envelope: Mapping[str, Any]) -> bytes:
    """The raw body bytes for ``envelope`` (what gets signed)."""
    return json.dumps(envelope, separators=(",", ":")).encode()


@functools.cache
def fake_alexa_pki() -> FakeAlexaPKI:
    """The process-wide fake PKI (made on first use, about a quarter of a second)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    root_key, int_key, leaf_key, rogue_key = (_new_key() for _ in range(4))
    root_name = _name("Fake Alexa Test Root")
    root = _ca_cert(root_name, root_key, root_name, root_key, now - 365 * _DAY, now + 3650 * _DAY)
    int_name = _name("Fake Alexa Test Intermediate")
    inter = _ca_cert(int_name, int_key, root_name, root_key, now - 365 * _DAY, now + 1825 * _DAY)
    # An impostor root with the trusted root's name but its own key: only the key makes trust.
    rogue = _ca_cert(root_name, rogue_key, root_name, rogue_key, now - _DAY, now + 365 * _DAY)

    def leaf(start: dt.datetime, end: dt.datetime, *, san: bool = True) -> x509.Certificate:
        return _leaf_cert(leaf_key, int_name, int_key, start, end, san=san)

    chains = {
        "good": _pem(leaf(now - _DAY, now + 30 * _DAY), inter),
        "expired": _pem(leaf(now - 30 * _DAY, now - _DAY), inter),
        "not_yet_valid": _pem(leaf(now + _DAY, now + 30 * _DAY), inter),
        "no_san": _pem(leaf(now - _DAY, now + 30 * _DAY, san=False), inter),
        "untrusted": _pem(
            _leaf_cert(leaf_key, root_name, rogue_key, now - _DAY, now + 30 * _DAY), rogue
        ),
    }
    return FakeAlexaPKI(
        created=now.timestamp(),
        root=root,
        leaf_key=leaf_key,
        other_key=rogue_key,
        chains=chains,
        _store=Store([root]),
    )


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in certs)


def _key_usage(**granted: bool) -> x509.KeyUsage:
    """A KeyUsage extension granting only the uses named (x509 wants every flag spelled out)."""
    flags = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    unknown = set(granted) - set(flags)
    assert not unknown, f"not key usages: {sorted(unknown)}"
    return x509.KeyUsage(**{flag: granted.get(flag, False) for flag in flags})


def _builder(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    start: dt.datetime,
    end: dt.datetime,
) -> x509.CertificateBuilder:
    # The extensions the web PKI profile (cryptography's PolicyBuilder) insists on.
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )


def _ca_cert(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    start: dt.datetime,
    end: dt.datetime,
) -> x509.Certificate:
    usage = _key_usage(key_cert_sign=True, crl_sign=True)
    return (
        _builder(subject, key, issuer, issuer_key, start, end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def _leaf_cert(
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    start: dt.datetime,
    end: dt.datetime,
    *,
    san: bool = True,
) -> x509.Certificate:
    usage = _key_usage(digital_signature=True, key_encipherment=True)
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])
    builder = (
        _builder(_name(ALEXA_SAN), key, issuer, issuer_key, start, end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(eku, critical=False)
    )
    if san:
        names = [x509.DNSName(ALEXA_SAN)]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())
