"""Request verification against a real local PKI: signatures, chains, URLs, timestamps, cache."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography import x509
from cryptography.x509 import verification as x509_verification

from skill.alexa.verification import (
    EXTENSION_POLICY_SUPPORTED,
    RequestVerifier,
    VerificationError,
    check_application_id,
    check_cert_chain_url,
    fetch_chain_over_https,
    load_trust_roots,
)
from skill.devtools.signing import DEFAULT_CHAIN_URL, LocalPki, make_pki

NOW = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000001"


@pytest.fixture(scope="module")
def pki() -> LocalPki:
    return make_pki(now=NOW)


@pytest.fixture(scope="module")
def other_pki() -> LocalPki:
    return make_pki(now=NOW)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Fetcher:
    """The network edge: returns fixed PEM bytes and records each URL asked for."""

    pem: bytes
    calls: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        return self.pem


@dataclass
class Request:
    headers: dict[str, str]
    body: bytes
    envelope: dict[str, Any]


def make_request(
    pki: LocalPki,
    *,
    timestamp: datetime | str = NOW,
    request_type: str = "IntentRequest",
    url: str = DEFAULT_CHAIN_URL,
) -> Request:
    stamp = timestamp if isinstance(timestamp, str) else timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    envelope: dict[str, Any] = {
        "version": "1.0",
        "context": {"System": {"application": {"applicationId": SKILL_ID}}},
        "request": {"type": request_type, "requestId": "req-1", "timestamp": stamp},
    }
    body = json.dumps(envelope).encode()
    return Request(headers=pki.headers(body, url), body=body, envelope=envelope)


def make_verifier(
    pki: LocalPki, *, clock: Clock | None = None, fetcher: Fetcher | None = None, **kwargs: Any
) -> tuple[RequestVerifier, Fetcher, Clock]:
    fetcher = fetcher if fetcher is not None else Fetcher(pki.chain_pem())
    clock = clock if clock is not None else Clock()
    verifier = RequestVerifier(
        trust_roots=[pki.root_cert], fetch_chain=fetcher, clock=clock, **kwargs
    )
    return verifier, fetcher, clock


def verify(verifier: RequestVerifier, request: Request) -> None:
    verifier.verify(
        cert_chain_url=request.headers.get("SignatureCertChainUrl"),
        signature=request.headers.get("Signature-256"),
        body=request.body,
        envelope=request.envelope,
    )


# --- signature ---------------------------------------------------------------------------


def test_valid_request_passes(pki: LocalPki) -> None:
    verifier, fetcher, _ = make_verifier(pki)
    verify(verifier, make_request(pki))
    assert fetcher.calls == [DEFAULT_CHAIN_URL]


def test_body_with_one_byte_changed_fails(pki: LocalPki) -> None:
    verifier, _, _ = make_verifier(pki)
    request = make_request(pki)
    tampered = bytearray(request.body)
    tampered[-2] ^= 0x01
    request.body = bytes(tampered)
    with pytest.raises(VerificationError, match="does not match the request body"):
        verify(verifier, request)


def test_error_never_contains_the_body(pki: LocalPki) -> None:
    verifier, _, _ = make_verifier(pki)
    request = make_request(pki)
    request.body = request.body.replace(b"req-1", b"SECRET-MARKER")
    with pytest.raises(VerificationError) as caught:
        verify(verifier, request)
    assert "SECRET-MARKER" not in str(caught.value)


def test_signature_from_another_key_fails(pki: LocalPki, other_pki: LocalPki) -> None:
    verifier, _, _ = make_verifier(pki)
    request = make_request(pki)
    request.headers["Signature-256"] = other_pki.sign(request.body)
    with pytest.raises(VerificationError, match="does not match the request body"):
        verify(verifier, request)


@pytest.mark.parametrize(
    "signature",
    ["not base64!", "QUJD=", "QUJ", "QU JD", "é", "====", "QUJD\x00"],
)
def test_bad_base64_signature_fails_before_fetching(pki: LocalPki, signature: str) -> None:
    verifier, fetcher, _ = make_verifier(pki)
    request = make_request(pki)
    request.headers["Signature-256"] = signature
    with pytest.raises(VerificationError, match="Signature-256 is not valid base64"):
        verify(verifier, request)
    assert fetcher.calls == []


def test_wrong_length_signature_fails(pki: LocalPki) -> None:
    verifier, _, _ = make_verifier(pki)
    request = make_request(pki)
    request.headers["Signature-256"] = "QUJD"  # valid base64, far too short for RSA-2048
    with pytest.raises(VerificationError, match="does not match the request body"):
        verify(verifier, request)


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("SignatureCertChainUrl", None, "missing SignatureCertChainUrl"),
        ("SignatureCertChainUrl", "", "missing SignatureCertChainUrl"),
        ("Signature-256", None, "missing Signature-256"),
        ("Signature-256", "", "missing Signature-256"),
    ],
)
def test_missing_header_fails(pki: LocalPki, header: str, value: str | None, reason: str) -> None:
    verifier, fetcher, _ = make_verifier(pki)
    request = make_request(pki)
    if value is None:
        del request.headers[header]
    else:
        request.headers[header] = value
    with pytest.raises(VerificationError, match=reason):
        verify(verifier, request)
    assert fetcher.calls == []


# --- certificate chain -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pki_options", "reason"),
    [
        ({"san": "echo-api.amazon.com.evil.com"}, "SAN lacks echo-api.amazon.com"),
        ({"san": "evil.com"}, "SAN lacks echo-api.amazon.com"),
        # cryptography's name check alone would accept this wildcard; the explicit check does not.
        ({"san": "*.amazon.com"}, "SAN lacks echo-api.amazon.com"),
        ({"leaf_valid_until": NOW - timedelta(seconds=1)}, "signing certificate has expired"),
        ({"leaf_valid_from": NOW + timedelta(minutes=1)}, "signing certificate is not yet valid"),
        ({"leaf_is_ca": True}, "certificate chain rejected: basicConstraints.cA"),
    ],
)
def test_bad_signing_certificate_fails(pki_options: dict[str, Any], reason: str) -> None:
    bad = make_pki(now=NOW, **pki_options)
    verifier, fetcher, _ = make_verifier(bad)
    with pytest.raises(VerificationError, match=reason):
        verify(verifier, make_request(bad))
    assert fetcher.calls == [DEFAULT_CHAIN_URL]


def test_chain_from_an_untrusted_root_fails(pki: LocalPki, other_pki: LocalPki) -> None:
    verifier = RequestVerifier(
        trust_roots=[other_pki.root_cert], fetch_chain=Fetcher(pki.chain_pem()), clock=Clock()
    )
    with pytest.raises(VerificationError, match="certificate chain rejected"):
        verify(verifier, make_request(pki))


def test_chain_without_its_intermediate_fails(pki: LocalPki) -> None:
    leaf_only = pki.chain_pem().split(b"-----END CERTIFICATE-----")[0]
    leaf_only += b"-----END CERTIFICATE-----\n"
    verifier, _, _ = make_verifier(pki, fetcher=Fetcher(leaf_only))
    with pytest.raises(VerificationError, match="certificate chain rejected"):
        verify(verifier, make_request(pki))


def test_intermediate_from_another_pki_fails(pki: LocalPki, other_pki: LocalPki) -> None:
    mixed = LocalPki(
        root_cert=pki.root_cert,
        root_key=pki.root_key,
        intermediate_cert=other_pki.intermediate_cert,
        intermediate_key=other_pki.intermediate_key,
        leaf_cert=pki.leaf_cert,
        leaf_key=pki.leaf_key,
    )
    verifier, _, _ = make_verifier(pki, fetcher=Fetcher(mixed.chain_pem()))
    with pytest.raises(VerificationError, match="certificate chain rejected"):
        verify(verifier, make_request(pki))


@pytest.mark.parametrize("pem", [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAA"])
def test_chain_that_is_not_pem_fails(pki: LocalPki, pem: bytes) -> None:
    verifier, _, _ = make_verifier(pki, fetcher=Fetcher(pem))
    with pytest.raises(VerificationError, match="not valid PEM"):
        verify(verifier, make_request(pki))


def test_fetcher_os_error_becomes_verification_error(pki: LocalPki) -> None:
    def failing_fetch(url: str) -> bytes:
        raise ConnectionRefusedError("refused")

    verifier = RequestVerifier(
        trust_roots=[pki.root_cert], fetch_chain=failing_fetch, clock=Clock()
    )
    with pytest.raises(VerificationError, match="download failed: refused"):
        verify(verifier, make_request(pki))


def test_leaf_without_any_eku_passes() -> None:
    no_eku = make_pki(now=NOW, server_auth_eku=False)
    assert not any(isinstance(e.value, x509.ExtendedKeyUsage) for e in no_eku.leaf_cert.extensions)
    verifier, _, _ = make_verifier(no_eku)
    verify(verifier, make_request(no_eku))


@pytest.mark.skipif(not EXTENSION_POLICY_SUPPORTED, reason="needs cryptography >= 45")
def test_leaf_whose_eku_lacks_server_auth_passes() -> None:
    client_only = make_pki(now=NOW, server_auth_eku=False, client_auth_eku=True)
    verifier, _, _ = make_verifier(client_only)
    verify(verifier, make_request(client_only))


@pytest.mark.skipif(not EXTENSION_POLICY_SUPPORTED, reason="needs cryptography >= 45")
def test_default_webpki_policy_would_reject_that_leaf() -> None:
    # Shows the relaxed extension policy is what lets the previous test pass.
    client_only = make_pki(now=NOW, server_auth_eku=False, client_auth_eku=True)
    default = (
        x509_verification.PolicyBuilder()
        .store(x509_verification.Store([client_only.root_cert]))
        .time(NOW)
        .build_server_verifier(x509.DNSName("echo-api.amazon.com"))
    )
    with pytest.raises(x509_verification.VerificationError, match="required EKU not found"):
        default.verify(client_only.leaf_cert, [client_only.intermediate_cert])


@pytest.mark.skipif(not EXTENSION_POLICY_SUPPORTED, reason="needs cryptography >= 45")
def test_relaxed_eku_still_checks_the_name() -> None:
    bad = make_pki(now=NOW, server_auth_eku=False, client_auth_eku=True, san="evil.com")
    verifier, _, _ = make_verifier(bad)
    with pytest.raises(VerificationError, match=r"SAN lacks echo-api\.amazon\.com"):
        verify(verifier, make_request(bad))


# --- certificate chain URL ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        DEFAULT_CHAIN_URL,
        "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/./x/../echo-api-cert.pem",
    ],
)
def test_good_chain_urls_pass(url: str) -> None:
    check_cert_chain_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "scheme is not https"),
        ("ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem", "scheme is not https"),
        ("s3.amazonaws.com/echo.api/echo-api-cert.pem", "scheme is not https"),
        ("https://s3.amazonaws.com.evil.com/echo.api/echo-api-cert.pem", "host is not"),
        ("https://evil.com/echo.api/echo-api-cert.pem", "host is not"),
        ("https://s3.amazonaws.com./echo.api/echo-api-cert.pem", "host is not"),
        ("https://evil.com/s3.amazonaws.com/echo.api/echo-api-cert.pem", "host is not"),
        ("https://s3.amazonaws.com/EcHo.api/echo-api-cert.pem", "path does not start"),
        ("https://s3.amazonaws.com/other/echo-api-cert.pem", "path does not start"),
        ("https://s3.amazonaws.com/echo.api/../evil/echo-api-cert.pem", "path does not start"),
        ("https://s3.amazonaws.com/echo.api", "path does not start"),
        ("https://s3.amazonaws.com/echo.api/..", "path does not start"),
        ("https://s3.amazonaws.com", "path does not start"),
        ("https://s3.amazonaws.com:8443/echo.api/echo-api-cert.pem", "port is not 443"),
        ("https://s3.amazonaws.com:80/echo.api/echo-api-cert.pem", "port is not 443"),
        ("https://s3.amazonaws.com:abc/echo.api/echo-api-cert.pem", "malformed"),
        ("https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem", "userinfo"),
        ("https://user:pw@s3.amazonaws.com/echo.api/echo-api-cert.pem", "userinfo"),
        ("https://s3.amazonaws.com\\@evil.com/echo.api/echo-api-cert.pem", "userinfo"),
        ("", "empty"),
    ],
)
def test_bad_chain_urls_fail(url: str, reason: str) -> None:
    with pytest.raises(VerificationError, match=reason):
        check_cert_chain_url(url)


def test_bad_chain_url_fails_before_fetching(pki: LocalPki) -> None:
    verifier, fetcher, _ = make_verifier(pki)
    request = make_request(pki, url="https://s3.amazonaws.com/echo.api/../evil/cert.pem")
    with pytest.raises(VerificationError, match="path does not start"):
        verify(verifier, request)
    assert fetcher.calls == []


# --- timestamp ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_type", "age"),
    [
        ("IntentRequest", timedelta(seconds=149)),
        ("IntentRequest", timedelta(seconds=150)),
        ("IntentRequest", timedelta(seconds=-149)),
        ("LaunchRequest", timedelta(0)),
        ("AlexaSkillEvent.SkillDisabled", timedelta(minutes=59)),
        ("AlexaSkillEvent.SkillEnabled", timedelta(minutes=-59)),
        ("AlexaSkillEvent.SkillPermissionAccepted", timedelta(seconds=151)),
    ],
)
def test_fresh_timestamps_pass(pki: LocalPki, request_type: str, age: timedelta) -> None:
    verifier, _, _ = make_verifier(pki)
    verify(verifier, make_request(pki, timestamp=NOW - age, request_type=request_type))


@pytest.mark.parametrize(
    ("request_type", "age"),
    [
        ("IntentRequest", timedelta(seconds=151)),
        ("IntentRequest", timedelta(seconds=-151)),
        ("IntentRequest", timedelta(minutes=59)),
        ("AudioPlayer.PlaybackStopped", timedelta(minutes=5)),
        ("AlexaSkillEvent.SkillDisabled", timedelta(minutes=61)),
        ("AlexaSkillEvent.SkillDisabled", timedelta(minutes=-61)),
        # Only the AlexaSkillEvent. prefix earns the longer tolerance.
        ("SkillEvent.SkillDisabled", timedelta(minutes=59)),
    ],
)
def test_stale_or_future_timestamps_fail_before_fetching(
    pki: LocalPki, request_type: str, age: timedelta
) -> None:
    verifier, fetcher, _ = make_verifier(pki)
    request = make_request(pki, timestamp=NOW - age, request_type=request_type)
    with pytest.raises(VerificationError, match="request timestamp is"):
        verify(verifier, request)
    assert fetcher.calls == []


@pytest.mark.parametrize(
    "stamp",
    ["2026-11-20T10:00:00.123Z", "2026-11-20T11:01:00+01:00", "2026-11-20T10:01:00.5+00:00"],
)
def test_timestamp_formats_are_understood(pki: LocalPki, stamp: str) -> None:
    verifier, _, _ = make_verifier(pki)
    verify(verifier, make_request(pki, timestamp=stamp))


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        (None, "no timestamp"),
        ("", "no timestamp"),
        (1763632800, "no timestamp"),
        ("yesterday", "not ISO 8601"),
        ("2026-13-40T10:00:00Z", "not ISO 8601"),
    ],
)
def test_missing_or_unparseable_timestamp_fails(
    pki: LocalPki, timestamp: object, reason: str
) -> None:
    verifier, _, _ = make_verifier(pki)
    request = make_request(pki)
    if timestamp is None:
        del request.envelope["request"]["timestamp"]
    else:
        request.envelope["request"]["timestamp"] = timestamp
    with pytest.raises(VerificationError, match=reason):
        verify(verifier, request)


def test_custom_timestamp_tolerance_is_used(pki: LocalPki) -> None:
    verifier, _, _ = make_verifier(pki, timestamp_tolerance=timedelta(seconds=10))
    with pytest.raises(VerificationError, match="tolerance 10 s"):
        verify(verifier, make_request(pki, timestamp=NOW - timedelta(seconds=11)))


# --- application id ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "envelope",
    [
        {"context": {"System": {"application": {"applicationId": SKILL_ID}}}},
        {"session": {"application": {"applicationId": SKILL_ID}}},
        {
            "context": {"System": {"application": {"applicationId": SKILL_ID}}},
            "session": {"application": {"applicationId": "amzn1.ask.skill.other"}},
        },
    ],
)
def test_matching_application_id_passes(envelope: dict[str, Any]) -> None:
    check_application_id(envelope, SKILL_ID)


@pytest.mark.parametrize(
    ("envelope", "reason"),
    [
        ({"context": {"System": {"application": {"applicationId": "amzn1.x"}}}}, "not match"),
        ({"session": {"application": {"applicationId": "amzn1.x"}}}, "not match"),
        (
            {
                "context": {"System": {"application": {"applicationId": "amzn1.x"}}},
                "session": {"application": {"applicationId": SKILL_ID}},
            },
            "not match",
        ),
        ({}, "no application id"),
        ({"context": {"System": {"application": {}}}}, "no application id"),
        ({"context": "oops"}, "no application id"),
        ({"context": {"System": {"application": {"applicationId": 7}}}}, "no application id"),
    ],
)
def test_wrong_or_missing_application_id_fails(envelope: dict[str, Any], reason: str) -> None:
    with pytest.raises(VerificationError, match=reason):
        check_application_id(envelope, SKILL_ID)


# --- cache -------------------------------------------------------------------------------


def test_second_request_uses_the_cache(pki: LocalPki) -> None:
    verifier, fetcher, _ = make_verifier(pki)
    verify(verifier, make_request(pki))
    verify(verifier, make_request(pki))
    assert fetcher.calls == [DEFAULT_CHAIN_URL]


def test_cache_is_not_used_after_the_leaf_expires(pki: LocalPki) -> None:
    verifier, fetcher, clock = make_verifier(pki)
    verify(verifier, make_request(pki))
    clock.now = pki.leaf_cert.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(VerificationError, match="signing certificate has expired"):
        verify(verifier, make_request(pki, timestamp=clock.now))
    assert fetcher.calls == [DEFAULT_CHAIN_URL, DEFAULT_CHAIN_URL]


def test_cache_is_used_up_to_the_leaf_expiry(pki: LocalPki) -> None:
    verifier, fetcher, clock = make_verifier(pki)
    verify(verifier, make_request(pki))
    clock.now = pki.leaf_cert.not_valid_after_utc
    verify(verifier, make_request(pki, timestamp=clock.now))
    assert fetcher.calls == [DEFAULT_CHAIN_URL]


def test_cache_is_not_used_before_the_leaf_is_valid(pki: LocalPki) -> None:
    verifier, fetcher, clock = make_verifier(pki)
    verify(verifier, make_request(pki))
    clock.now = pki.leaf_cert.not_valid_before_utc - timedelta(seconds=1)
    with pytest.raises(VerificationError, match="signing certificate is not yet valid"):
        verify(verifier, make_request(pki, timestamp=clock.now))
    assert len(fetcher.calls) == 2


def test_cache_evicts_the_least_recently_used_url(pki: LocalPki) -> None:
    verifier, fetcher, _ = make_verifier(pki, cache_size=2)
    url1, url2, url3 = (f"https://s3.amazonaws.com/echo.api/cert-{n}.pem" for n in (1, 2, 3))
    for url in (url1, url2, url1, url3):  # url1 is used again, so url2 is the one evicted
        verify(verifier, make_request(pki, url=url))
    assert fetcher.calls == [url1, url2, url3]
    verify(verifier, make_request(pki, url=url1))
    verify(verifier, make_request(pki, url=url3))
    assert fetcher.calls == [url1, url2, url3]
    verify(verifier, make_request(pki, url=url2))
    assert fetcher.calls == [url1, url2, url3, url2]


@dataclass
class Timer:
    """The failure cache's monotonic clock, in seconds."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_failed_chain_is_refused_for_five_minutes_then_fetched_again(pki: LocalPki) -> None:
    timer = Timer()
    verifier, fetcher, _ = make_verifier(pki, fetcher=Fetcher(b"garbage"), monotonic=timer)
    with pytest.raises(VerificationError, match="not valid PEM"):
        verify(verifier, make_request(pki))
    fetcher.pem = pki.chain_pem()
    timer.now = 299.0
    with pytest.raises(VerificationError, match=r"not valid PEM \(this URL failed lately"):
        verify(verifier, make_request(pki))
    assert fetcher.calls == [DEFAULT_CHAIN_URL]
    timer.now = 301.0
    verify(verifier, make_request(pki))
    verify(verifier, make_request(pki))
    assert fetcher.calls == [DEFAULT_CHAIN_URL, DEFAULT_CHAIN_URL]


def test_an_untrusted_chain_is_not_cached_as_good_nor_fetched_again(
    pki: LocalPki, other_pki: LocalPki
) -> None:
    verifier, fetcher, _ = make_verifier(pki, fetcher=Fetcher(other_pki.chain_pem()))
    for _ in range(3):
        with pytest.raises(VerificationError, match="certificate chain rejected"):
            verify(verifier, make_request(other_pki))
    assert len(fetcher.calls) == 1


def test_a_failed_download_is_fetched_once_in_the_failure_ttl(pki: LocalPki) -> None:
    calls: list[str] = []

    def failing_fetch(url: str) -> bytes:
        calls.append(url)
        raise VerificationError("certificate chain download failed: HTTP Error 403")

    timer = Timer()
    verifier = RequestVerifier(
        trust_roots=[pki.root_cert],
        fetch_chain=failing_fetch,
        clock=Clock(),
        failure_ttl=timedelta(minutes=1),
        monotonic=timer,
    )
    for _ in range(2):
        with pytest.raises(VerificationError, match="HTTP Error 403"):
            verify(verifier, make_request(pki))
    assert calls == [DEFAULT_CHAIN_URL]
    timer.now = 61.0
    with pytest.raises(VerificationError, match="HTTP Error 403"):
        verify(verifier, make_request(pki))
    assert calls == [DEFAULT_CHAIN_URL, DEFAULT_CHAIN_URL]


def test_the_failure_cache_is_bounded(pki: LocalPki) -> None:
    verifier, fetcher, _ = make_verifier(pki, fetcher=Fetcher(b"garbage"), failure_cache_size=2)
    urls = [f"https://s3.amazonaws.com/echo.api/bad-{n}.pem" for n in range(3)]
    for url in urls:
        with pytest.raises(VerificationError, match="not valid PEM"):
            verify(verifier, make_request(pki, url=url))
    # The oldest failure was dropped to keep two: it is fetched again, the newest is not.
    for url in (urls[0], urls[2]):
        with pytest.raises(VerificationError, match="not valid PEM"):
            verify(verifier, make_request(pki, url=url))
    assert fetcher.calls == [*urls, urls[0]]


def test_a_request_that_fails_a_cheap_check_downloads_nothing(pki: LocalPki) -> None:
    verifier, fetcher, _ = make_verifier(pki)
    unsigned = make_request(pki, url="https://s3.amazonaws.com/echo.api/new.pem")
    del unsigned.headers["Signature-256"]
    stale = make_request(pki, timestamp=NOW - timedelta(minutes=5))
    malformed = make_request(pki)
    malformed.headers["Signature-256"] = "QUJD="
    for request in (unsigned, stale, malformed):
        with pytest.raises(VerificationError):
            verify(verifier, request)
    assert fetcher.calls == []


def test_concurrent_requests_with_a_thrashing_cache(pki: LocalPki) -> None:
    verifier, fetcher, _ = make_verifier(pki, cache_size=1)
    urls = [f"https://s3.amazonaws.com/echo.api/cert-{n}.pem" for n in range(3)]
    requests = [make_request(pki, url=url) for url in urls]
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def worker(offset: int) -> None:
        start.wait()
        for n in range(15):
            try:
                verify(verifier, requests[(n + offset) % len(requests)])
            except BaseException as error:  # collected and asserted on below
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(fetcher.calls) >= len(urls)


# --- trust roots -------------------------------------------------------------------------


def test_load_trust_roots_from_a_file(pki: LocalPki, tmp_path: Path) -> None:
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(pki.root_pem())
    assert load_trust_roots(bundle) == [pki.root_cert]
    assert load_trust_roots(str(bundle)) == [pki.root_cert]


def test_load_trust_roots_defaults_to_certifi() -> None:
    roots = load_trust_roots(None)
    assert len(roots) > 50
    assert all(isinstance(root, x509.Certificate) for root in roots)


def test_load_trust_roots_rejects_a_file_without_certificates(tmp_path: Path) -> None:
    bundle = tmp_path / "empty.pem"
    bundle.write_bytes(b"nothing here\n")
    with pytest.raises(ValueError, match="no usable PEM certificates"):
        load_trust_roots(bundle)


@pytest.mark.parametrize(("cache_size", "failure_cache_size"), [(0, 1), (1, 0)])
def test_cache_sizes_must_be_positive(
    pki: LocalPki, cache_size: int, failure_cache_size: int
) -> None:
    with pytest.raises(ValueError, match="cache sizes must be at least 1"):
        RequestVerifier(
            trust_roots=[pki.root_cert],
            fetch_chain=Fetcher(b""),
            clock=Clock(),
            cache_size=cache_size,
            failure_cache_size=failure_cache_size,
        )


def test_verifier_needs_trust_roots() -> None:
    with pytest.raises(ValueError, match="trust root"):
        RequestVerifier(trust_roots=[], fetch_chain=Fetcher(b""), clock=Clock())


# --- fetch_chain_over_https against a real local HTTP server -----------------------------

CHAIN_BODY = b"-----BEGIN CERTIFICATE-----\nchain\n-----END CERTIFICATE-----\n"


class _Handler(BaseHTTPRequestHandler):
    release: ClassVar[threading.Event]

    def do_GET(self) -> None:
        # OSError: the client gave up, which is what the timeout tests provoke.
        with contextlib.suppress(OSError):
            self._route()

    def _route(self) -> None:
        if self.path == "/chain":
            self._reply(CHAIN_BODY)
        elif self.path == "/big-declared":
            self._reply(b"x" * 2000)
        elif self.path == "/big-undeclared":
            self.send_response(200)
            self.end_headers()  # HTTP/1.0, no Content-Length: the body ends when the socket closes
            self.wfile.write(b"x" * 2000)
        elif self.path == "/huge-declared":
            self.send_response(200)
            self.send_header("Content-Length", "100000000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            self.release.wait(10)
        elif self.path == "/hang":
            self.release.wait(10)
            self._reply(CHAIN_BODY)
        elif self.path == "/trickle":
            self.send_response(200)
            self.end_headers()
            for _ in range(200):
                if self.release.wait(0.05):
                    break
                self.wfile.write(b"x")
                self.wfile.flush()
        elif self.path == "/redirect-to-http":
            self.send_response(302)
            self.send_header("Location", f"http://{self.headers['Host']}/chain")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_error(404)

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def chain_server() -> Iterator[str]:
    release = threading.Event()
    handler = type("Handler", (_Handler,), {"release": release})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # Polled every 10 ms: shutdown() returns at once (the default 0.5 s added that to each test).
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def test_fetch_returns_the_body(chain_server: str) -> None:
    assert fetch_chain_over_https(f"{chain_server}/chain", timeout=2, max_bytes=1000) == CHAIN_BODY


def test_fetch_accepts_a_body_of_exactly_max_bytes(chain_server: str) -> None:
    url = f"{chain_server}/chain"
    assert fetch_chain_over_https(url, timeout=2, max_bytes=len(CHAIN_BODY)) == CHAIN_BODY


@pytest.mark.parametrize("path", ["/big-declared", "/big-undeclared"])
def test_fetch_rejects_an_oversize_body(chain_server: str, path: str) -> None:
    with pytest.raises(VerificationError, match="larger than 1999 bytes"):
        fetch_chain_over_https(f"{chain_server}{path}", timeout=2, max_bytes=1999)


def test_fetch_rejects_a_declared_oversize_body_without_reading_it(chain_server: str) -> None:
    # The server sends 10 bytes then stalls: only the Content-Length check can say "larger".
    with pytest.raises(VerificationError, match="larger than 1999 bytes"):
        fetch_chain_over_https(f"{chain_server}/huge-declared", timeout=1, max_bytes=1999)


def test_fetch_gives_up_on_a_server_that_hangs(chain_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(VerificationError, match="download failed"):
        fetch_chain_over_https(f"{chain_server}/hang", timeout=0.3, max_bytes=1000)
    assert time.monotonic() - started < 2


def test_fetch_gives_up_on_a_server_that_trickles(chain_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(VerificationError, match=r"exceeded 0\.3 s"):
        fetch_chain_over_https(f"{chain_server}/trickle", timeout=0.3, max_bytes=1000)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(("path", "reason"), [("/missing", "404"), ("/redirect-to-http", "302")])
def test_fetch_rejects_errors_and_redirects_away_from_https(
    chain_server: str, path: str, reason: str
) -> None:
    with pytest.raises(VerificationError, match=f"download failed: HTTP Error {reason}"):
        fetch_chain_over_https(f"{chain_server}{path}", timeout=2, max_bytes=1000)


def test_fetch_reports_a_refused_connection() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    server.server_close()  # nothing listens on the port now
    with pytest.raises(VerificationError, match="download failed"):
        fetch_chain_over_https(f"http://127.0.0.1:{port}/chain", timeout=2, max_bytes=1000)
