"""Verify that a request to the skill really comes from Alexa, using `cryptography` alone."""

from __future__ import annotations

import base64
import binascii
import http.client
import os
import posixpath
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

import certifi
from cachetools import LRUCache, TTLCache
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import verification as x509_verification

from skill.store.seen_requests import SeenRequests
from skill.store.utc import read_utc

ECHO_API_DOMAIN = "echo-api.amazon.com"
CERT_CHAIN_HOST = "s3.amazonaws.com"
CERT_CHAIN_PATH_PREFIX = "/echo.api/"
LIFECYCLE_EVENT_PREFIX = "AlexaSkillEvent."
# Alexa's request ids look like amzn1.echo-api.request.<uuid>; this is what is remembered.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
MAX_CHAIN_CERTIFICATES = 10
_READ_CHUNK = 16 * 1024
_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----\r?\n.+?\r?\n-----END CERTIFICATE-----", re.DOTALL
)

# True when the leaf's EKU can be relaxed (cryptography >= 45); tests use it to skip.
EXTENSION_POLICY_SUPPORTED = hasattr(x509_verification.PolicyBuilder(), "extension_policies")


class VerificationError(Exception):
    """A request failed verification; str(error) is the reason (for the log only)."""


def load_trust_roots(ca_bundle: str | os.PathLike[str] | None) -> list[x509.Certificate]:
    """PEM roots from the file given, else certifi.where()."""
    path = os.fspath(ca_bundle) if ca_bundle is not None else certifi.where()
    with open(path, "rb") as pem_file:
        data = pem_file.read()
    roots = []
    for block in _PEM_CERTIFICATE.findall(data):
        # certifi ships roots with serial 0 (e.g. Starfield Services Root CA G2, in Amazon's
        # lineage); cryptography warns about them now and plans to refuse them, so load each
        # root alone and skip one that fails rather than lose the whole bundle.
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Parsed a serial number", category=CryptographyDeprecationWarning
            )
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue
    if not roots:
        raise ValueError(f"no usable PEM certificates in {path}")
    return roots


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to https, so a redirect cannot downgrade or reach plain-http hosts."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() != "https":
            raise urllib.error.HTTPError(newurl, code, "redirect away from https", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_chain_over_https(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """Default fetcher: urllib GET within `timeout`; more than `max_bytes` -> VerificationError."""
    # The socket timeout bounds each read; the deadline bounds a server that trickles bytes.
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_HttpsOnlyRedirects)
    try:
        with opener.open(url, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise VerificationError(f"certificate chain larger than {max_bytes} bytes")
            data = bytearray()
            while len(data) <= max_bytes:
                if time.monotonic() > deadline:
                    raise VerificationError(
                        f"certificate chain download exceeded {timeout} s"
                    ) from TimeoutError()
                # read1: one socket read, so a trickling server cannot hold us past the deadline.
                chunk = response.read1(min(_READ_CHUNK, max_bytes + 1 - len(data)))
                if not chunk:
                    break
                data += chunk
    except VerificationError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise VerificationError(f"certificate chain download failed: {error}") from error
    if len(data) > max_bytes:
        raise VerificationError(f"certificate chain larger than {max_bytes} bytes")
    return bytes(data)


def _fails_again(error: VerificationError) -> bool:
    """Whether a chain URL's failure will happen again, and so is worth remembering: an answer
    of 4xx, or a chain that does not verify. A passing network fault (a timeout, a refused
    connection, a 5xx) is not remembered, or one bad minute would lock Alexa out for five."""
    cause = error.__cause__
    if isinstance(cause, urllib.error.HTTPError):
        return 400 <= cause.code < 500
    return not isinstance(cause, OSError | http.client.HTTPException)


def check_cert_chain_url(url: str) -> None:
    """Raise VerificationError unless the SignatureCertChainUrl is one Amazon would use."""
    if not url:
        raise VerificationError("empty SignatureCertChainUrl")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise VerificationError(f"malformed SignatureCertChainUrl: {error}") from error
    if parts.scheme.lower() != "https":
        raise VerificationError("SignatureCertChainUrl scheme is not https")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise VerificationError("SignatureCertChainUrl has userinfo")
    if (parts.hostname or "").lower() != CERT_CHAIN_HOST:
        raise VerificationError("SignatureCertChainUrl host is not s3.amazonaws.com")
    if port is not None and port != 443:
        raise VerificationError("SignatureCertChainUrl port is not 443")
    # posixpath, not os.path: URL paths use "/" on every OS (the official SDK fails on Windows).
    path = posixpath.normpath(parts.path) if parts.path else ""
    if not path.startswith(CERT_CHAIN_PATH_PREFIX):
        raise VerificationError("SignatureCertChainUrl path does not start with /echo.api/")


def check_application_id(envelope: Mapping[str, Any], skill_id: str) -> None:
    """Raise VerificationError unless the request is addressed to this skill."""
    application_id = _dig(envelope, "context", "System", "application", "applicationId")
    if application_id is None:
        application_id = _dig(envelope, "session", "application", "applicationId")
    if not isinstance(application_id, str) or not application_id:
        raise VerificationError("request has no application id")
    if application_id != skill_id:
        raise VerificationError("request application id does not match this skill")


@dataclass(frozen=True)
class _VerifiedChain:
    public_key: rsa.RSAPublicKey
    valid_from: datetime
    valid_until: datetime


class RequestVerifier:
    """Checks signature, certificate chain and freshness of requests; caches verified chains."""

    def __init__(
        self,
        *,
        trust_roots: Sequence[x509.Certificate],
        fetch_chain: Callable[[str], bytes],
        clock: Callable[[], datetime],
        cache_size: int = 16,
        timestamp_tolerance: timedelta = timedelta(seconds=150),
        lifecycle_tolerance: timedelta = timedelta(hours=1),
        failure_ttl: timedelta = timedelta(minutes=5),
        failure_cache_size: int = 1024,
        monotonic: Callable[[], float] = time.monotonic,
        seen_requests: SeenRequests | None = None,
    ) -> None:
        """Build a verifier; `fetch_chain(url)` returns the PEM chain, `clock()` the time now.

        A chain URL whose download or chain failed is refused without a new download for
        `failure_ttl` (the last `failure_cache_size` such URLs, timed by `monotonic`).
        """
        if not trust_roots:
            raise ValueError("at least one trust root is needed")
        # Request ids taken (shared by every instance): a replay of a signed request is refused.
        self._seen = seen_requests
        if cache_size < 1 or failure_cache_size < 1:
            raise ValueError("cache sizes must be at least 1")
        self._store = x509_verification.Store(list(trust_roots))
        self._fetch_chain = fetch_chain
        self._clock = clock
        self._timestamp_tolerance = timestamp_tolerance
        self._lifecycle_tolerance = lifecycle_tolerance
        # The verified chains by URL, the least recently used dropped first; shared by threads.
        self._cache: LRUCache[str, _VerifiedChain] = LRUCache(maxsize=cache_size)
        # The URLs that failed lately, with the reason: repeating a bad URL costs no download.
        self._failed: TTLCache[str, str] = TTLCache(
            maxsize=failure_cache_size, ttl=failure_ttl.total_seconds(), timer=monotonic
        )
        self._lock = threading.Lock()

    def verify(
        self,
        *,
        cert_chain_url: str | None,
        signature: str | None,
        body: bytes,
        envelope: Mapping[str, Any],
    ) -> None:
        """Raise VerificationError unless the request is genuinely from Alexa and fresh.

        Everything cheap (headers, the signature's form, the URL's form, the timestamp) is
        checked before the certificate chain can be downloaded.
        """
        if not cert_chain_url:
            raise VerificationError("missing SignatureCertChainUrl header")
        if not signature:
            raise VerificationError("missing Signature-256 header")
        signature_bytes = _decode_signature(signature)
        check_cert_chain_url(cert_chain_url)
        now = read_utc(self._clock())
        fresh_until = self._check_timestamp(envelope, now)
        request_id = _dig(envelope, "request", "requestId")
        if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
            raise VerificationError("request has no well-formed requestId")
        public_key = self._public_key_for(cert_chain_url, now)
        try:
            public_key.verify(signature_bytes, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise VerificationError("Signature-256 does not match the request body") from None
        if self._seen is not None and not self._seen.first_time(
            request_id, now=now, until=fresh_until
        ):
            raise VerificationError("request already taken: a replay")

    def _check_timestamp(self, envelope: Mapping[str, Any], now: datetime) -> datetime:
        """Refuse a request too far from now; the moment it stops being fresh."""
        raw = _dig(envelope, "request", "timestamp")
        if not isinstance(raw, str) or not raw:
            raise VerificationError("request has no timestamp")
        try:
            timestamp = read_utc(datetime.fromisoformat(raw))
        except ValueError:
            raise VerificationError("request timestamp is not ISO 8601") from None
        request_type = _dig(envelope, "request", "type")
        is_lifecycle = isinstance(request_type, str) and request_type.startswith(
            LIFECYCLE_EVENT_PREFIX
        )
        tolerance = self._lifecycle_tolerance if is_lifecycle else self._timestamp_tolerance
        skew = abs(now - timestamp)
        if skew > tolerance:
            raise VerificationError(
                f"request timestamp is {skew.total_seconds():.0f} s from now "
                f"(tolerance {tolerance.total_seconds():.0f} s)"
            )
        return timestamp + tolerance

    def _public_key_for(self, url: str, now: datetime) -> rsa.RSAPublicKey:
        with self._lock:
            cached = self._cache.get(url)  # now the most recently used
            if cached is not None:
                if cached.valid_from <= now <= cached.valid_until:
                    return cached.public_key
                del self._cache[url]
            failure = self._failed.get(url)
        if failure is not None:
            raise VerificationError(f"{failure} (this URL failed lately: not downloaded again)")
        # The fetch runs outside the lock: one slow download must not stall other requests.
        try:
            try:
                pem = self._fetch_chain(url)
            except OSError as error:
                raise VerificationError(f"certificate chain download failed: {error}") from error
            verified = self._verify_chain(pem, now)
        except VerificationError as error:
            if _fails_again(error):
                with self._lock:
                    self._failed[url] = str(error)
            raise
        with self._lock:
            self._cache[url] = verified
            self._failed.pop(url, None)
        return verified.public_key

    def _verify_chain(self, pem: bytes, now: datetime) -> _VerifiedChain:
        try:
            certificates = x509.load_pem_x509_certificates(pem)
        except ValueError:
            raise VerificationError("certificate chain is not valid PEM") from None
        if len(certificates) > MAX_CHAIN_CERTIFICATES:
            raise VerificationError("certificate chain has too many certificates")
        leaf, intermediates = certificates[0], certificates[1:]
        # Explicit checks first, for clear log messages; the verifier below checks them too.
        if now < leaf.not_valid_before_utc:
            raise VerificationError("signing certificate is not yet valid")
        if now > leaf.not_valid_after_utc:
            raise VerificationError("signing certificate has expired")
        if not _has_echo_api_san(leaf):
            raise VerificationError(f"signing certificate SAN lacks {ECHO_API_DOMAIN}")
        verifier = (
            _policy_builder()
            .store(self._store)
            .time(now)
            .build_server_verifier(x509.DNSName(ECHO_API_DOMAIN))
        )
        try:
            chain = verifier.verify(leaf, intermediates)
        except x509_verification.VerificationError as error:
            # The library appends a repr of the certificate; the reason is enough for a log.
            reason = str(error).split(" (encountered processing", 1)[0]
            reason = reason.removeprefix("validation failed: ")
            raise VerificationError(f"certificate chain rejected: {reason}") from None
        public_key = leaf.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise VerificationError("signing certificate key is not RSA")
        # A cached key is usable only while every certificate of its verified chain is valid.
        return _VerifiedChain(
            public_key=public_key,
            valid_from=max(cert.not_valid_before_utc for cert in chain),
            valid_until=min(cert.not_valid_after_utc for cert in chain),
        )


def _policy_builder() -> x509_verification.PolicyBuilder:
    builder = x509_verification.PolicyBuilder()
    if not hasattr(builder, "extension_policies"):  # cryptography < 45 has no extension policies
        return builder
    # Unconfirmed whether Amazon's leaf carries serverAuth in its EKU: allow any EKU on the
    # leaf only; every other WebPKI rule (SAN, basicConstraints, keyUsage, CA rules) stays.
    ee_policy = x509_verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, x509_verification.Criticality.NON_CRITICAL, None
    )
    return builder.extension_policies(
        ca_policy=x509_verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy
    )


def _has_echo_api_san(certificate: x509.Certificate) -> bool:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return False
    names = san.value.get_values_for_type(x509.DNSName)
    return any(name.lower() == ECHO_API_DOMAIN for name in names)


def _decode_signature(signature: str) -> bytes:
    text = signature.strip()
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError("Signature-256 is not valid base64") from None
    # validate=True still ignores excess padding ("QUJD="); only the canonical form is accepted.
    if not decoded or base64.b64encode(decoded).decode("ascii") != text:
        raise VerificationError("Signature-256 is not valid base64")
    return decoded


def _dig(mapping: Mapping[str, Any], *keys: str) -> Any:
    value: Any = mapping
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
