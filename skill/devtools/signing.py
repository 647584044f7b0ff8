"""A local certificate authority that signs Alexa-style requests, for tests and benchmarks."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"
ECHO_API_DOMAIN = "echo-api.amazon.com"


# Not named Test*: pytest would try to collect it from any test module that imports it.
@dataclass(frozen=True)
class LocalPki:
    """A root CA, an intermediate CA and a signing leaf, shaped like Amazon's echo-api chain."""

    root_cert: x509.Certificate
    root_key: rsa.RSAPrivateKey
    intermediate_cert: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    leaf_cert: x509.Certificate
    leaf_key: rsa.RSAPrivateKey

    def chain_pem(self) -> bytes:
        """The leaf then the intermediate, as Amazon serves it (the root is not included)."""
        return b"".join(
            cert.public_bytes(serialization.Encoding.PEM)
            for cert in (self.leaf_cert, self.intermediate_cert)
        )

    def root_pem(self) -> bytes:
        """The root certificate as PEM, to be used as the trust store."""
        return self.root_cert.public_bytes(serialization.Encoding.PEM)

    def sign(self, body: bytes) -> str:
        """The Signature-256 header value for this body: base64 RSA PKCS#1 v1.5 over SHA-256."""
        signature = self.leaf_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def headers(self, body: bytes, url: str = DEFAULT_CHAIN_URL) -> dict[str, str]:
        """The SignatureCertChainUrl and Signature-256 headers Alexa would send with this body."""
        return {"SignatureCertChainUrl": url, "Signature-256": self.sign(body)}


def make_pki(
    *,
    now: datetime,
    san: str = ECHO_API_DOMAIN,
    leaf_valid_from: datetime | None = None,
    leaf_valid_until: datetime | None = None,
    server_auth_eku: bool = True,
    client_auth_eku: bool = False,
    leaf_is_ca: bool = False,
    key_size: int = 2048,
) -> LocalPki:
    """Make a fresh local PKI; the leaf is valid from a day before `now` to 30 days after it.

    The EKU extension is present only if `server_auth_eku` or `client_auth_eku` is set.
    The CAs are valid well around the leaf, so a leaf date test fails on the leaf alone.
    """
    leaf_from = leaf_valid_from if leaf_valid_from is not None else now - timedelta(days=1)
    leaf_until = leaf_valid_until if leaf_valid_until is not None else now + timedelta(days=30)
    ca_from = min(leaf_from, now) - timedelta(days=30)
    ca_until = max(leaf_until, now) + timedelta(days=3650)

    root_key = _new_key(key_size)
    intermediate_key = _new_key(key_size)
    leaf_key = _new_key(key_size)
    root_name = _name("Spine Coach Test Root CA")
    intermediate_name = _name("Spine Coach Test Intermediate CA")

    root_cert = (
        _ca_builder(root_name, root_name, root_key, ca_from, ca_until, path_length=None)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    intermediate_cert = (
        _ca_builder(intermediate_name, root_name, intermediate_key, ca_from, ca_until, 0)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )

    ekus = [
        oid
        for oid, wanted in (
            (ExtendedKeyUsageOID.SERVER_AUTH, server_auth_eku),
            (ExtendedKeyUsageOID.CLIENT_AUTH, client_auth_eku),
        )
        if wanted
    ]
    leaf_builder = (
        x509.CertificateBuilder()
        .subject_name(_name(san))
        .issuer_name(intermediate_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(leaf_from)
        .not_valid_after(leaf_until)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=leaf_is_ca, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, cert_sign=False), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(intermediate_key.public_key()),
            critical=False,
        )
    )
    if ekus:
        leaf_builder = leaf_builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    leaf_cert = leaf_builder.sign(intermediate_key, hashes.SHA256())

    return LocalPki(
        root_cert=root_cert,
        root_key=root_key,
        intermediate_cert=intermediate_cert,
        intermediate_key=intermediate_key,
        leaf_cert=leaf_cert,
        leaf_key=leaf_key,
    )


def _new_key(key_size: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Spine Coach Tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, digital_signature: bool, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _ca_builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: rsa.RSAPrivateKey,
    valid_from: datetime,
    valid_until: datetime,
    path_length: int | None,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from.astimezone(UTC))
        .not_valid_after(valid_until.astimezone(UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(digital_signature=False, cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
