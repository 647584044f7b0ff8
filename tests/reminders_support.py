"""A fake Amazon for the Reminders API: a real HTTP server on 127.0.0.1, answering from the
simulator's `LocalReminders`, that can be told to fail.

It speaks HTTPS (ask-sdk's client refuses anything else) with a certificate made for
127.0.0.1 (`LocalTls`); the app trusts it through its ALEXA_API_CLIENT, the skill's own
`TimeoutApiClient` with a requests session that verifies against that certificate. Use it where
a test posts envelopes to /alexa (service tests, dialog scripts):

    @pytest.fixture
    def app_config(app_config, tls: LocalTls):
        return {**app_config, "ALEXA_API_CLIENT": tls.api_client()}

    @pytest.fixture
    def amazon(alexa_api: responses.RequestsMock, tls: LocalTls) -> Iterator[FakeAmazon]:
        with FakeAmazon(tls, clock=lambda: NOW) as fake:
            alexa_api.add_passthru(fake.url)  # conftest's `responses` mock lets it through
            yield fake

(`tls = LocalTls.make(tmp_path_factory.mktemp("tls"))`, once per session) and build each
envelope with `api_endpoint=amazon.url` (and `granted=(REMINDERS_SCOPE,)` once the patient
allowed reminders); tests/reminders/conftest.py has these fixtures. It answers:
- `GET /v2/devices/{device}/settings/System.timeZone` with `zones[device]` (default
  `DEFAULT_ZONE`): a new device id gives a new zone, since the app caches a device's zone;
- `/v1/alerts/reminders[/{alertToken}]` as Amazon would (`LocalReminders`: 201 with an
  alertToken on POST, 404 for an unknown token, 401 for an API token not granted; granted for
  the envelopes' API_ACCESS_TOKEN unless `granted=False`).

`fail(status, method=…, after=…, times=…)` makes the next matching reminder calls answer
`status` (401, 403, 429, 500, 503 …), or `TIMEOUT` (answered only after the skill's API timeout
has passed), or `TIMEOUT_AFTER_DOING` (the call takes effect, the answer comes too late);
`delay` slows every reminder call by that many seconds (a slow Amazon, within the timeout);
`after` lets that many matching calls through first. `calls` records every reminder call
(method, path, JSON body); `reminders()` is what Amazon holds now.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from skill.alexa.http_client import TimeoutApiClient
from skill.devtools import envelopes
from skill.devtools.simulator.local_reminders import PATH, LocalReminders, StoredReminder

DEFAULT_ZONE = "America/New_York"
TIMEOUT = "timeout"
# Amazon does what was asked (a POST creates the reminder), then answers too late.
TIMEOUT_AFTER_DOING = "timeout-after-doing"
# Longer than the app's ALEXA_API_TIMEOUT (1.5 s): the skill's client has given up by then.
TIMEOUT_DELAY = 2.0


@dataclass(frozen=True)
class LocalTls:
    """A self-signed certificate for 127.0.0.1 and its key, in files."""

    certificate: Path
    key: Path

    @classmethod
    def make(cls, directory: Path) -> LocalTls:
        """Write a new certificate and key into `directory`."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake Amazon")])
        now = datetime.now(UTC)
        public = key.public_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        paths = cls(directory / "fake-amazon.pem", directory / "fake-amazon.key")
        paths.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        paths.key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return paths

    def api_client(self, timeout: float = 1.5) -> TimeoutApiClient:
        """The skill's client for Alexa's APIs (the app's default 1.5 s timeout), trusting
        this certificate."""
        session = requests.Session()
        # REQUESTS_CA_BUNDLE (set on many machines) would override `verify`; no proxies either.
        session.trust_env = False
        session.verify = str(self.certificate)
        return TimeoutApiClient(timeout, session)

    def server_context(self) -> ssl.SSLContext:
        """The server side's TLS context."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate, self.key)
        return context


@dataclass
class Fault:
    """Answer `status` (or time out) to the next `times` calls of `method` after `after` more."""

    status: int | str
    method: str | None
    after: int
    times: int


@dataclass(frozen=True)
class Call:
    """A call the skill made to the Reminders API."""

    method: str
    path: str
    body: dict[str, Any] | None


class FakeAmazon:
    """Amazon's Reminders API (and device time zone) on a local port; a context manager."""

    def __init__(
        self,
        tls: LocalTls,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        api_token: str = envelopes.API_ACCESS_TOKEN,
        granted: bool = True,
    ) -> None:
        self.api_token = api_token
        self.local = LocalReminders(clock=clock)
        if granted:
            self.local.grant(api_token)
        self.zones: dict[str, str] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._server.socket = tls.server_context().wrap_socket(
            self._server.socket, server_side=True
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The apiEndpoint to put in envelopes."""
        host, port = self._server.server_address[:2]
        return f"https://{host!s}:{port}"

    def __enter__(self) -> FakeAmazon:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(
        self, status: int | str, *, method: str | None = None, after: int = 0, times: int = 1
    ) -> None:
        """Answer `status` (or TIMEOUT) to reminder calls of `method` (any if None)."""
        with self._lock:
            self.faults.append(Fault(status, method, after, times))

    def reminders(self) -> list[StoredReminder]:
        """What Amazon holds for the API token now."""
        return self.local.reminders(self.api_token)

    def calls_of(self, method: str) -> list[Call]:
        """The reminder calls made with `method`."""
        return [call for call in self.calls if call.method == method]

    def _fault_for(self, method: str) -> int | str | None:
        with self._lock:
            for fault in self.faults:
                if fault.method not in (None, method) or fault.times <= 0:
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.times -= 1
                return fault.status
        return None

    def answer(self, method: str, path: str, token: str, body: Any) -> tuple[int, Any]:
        """The status and JSON body for one call."""
        if path.startswith("/v2/devices/") and path.endswith("/settings/System.timeZone"):
            device = path.split("/")[3]
            return 200, self.zones.get(device, DEFAULT_ZONE)
        if not path.startswith(PATH):
            return 404, {"code": "NOT_FOUND", "message": path}
        self.calls.append(Call(method, path, body if isinstance(body, dict) else None))
        if self.delay:
            time.sleep(self.delay)
        fault = self._fault_for(method)
        if fault == TIMEOUT:
            time.sleep(TIMEOUT_DELAY)
        elif fault == TIMEOUT_AFTER_DOING:
            answer = self.local.handle(method, path, token, body)
            time.sleep(TIMEOUT_DELAY)
            return answer
        elif isinstance(fault, int):
            return fault, {"code": "FAULT", "message": f"injected {fault}"}
        return self.local.handle(method, path, token, body)


def _handler_for(fake: FakeAmazon) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
            status, answer = fake.answer(self.command, self.path, token, body)
            data = json.dumps(answer).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the skill gave up waiting (a timeout)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
