"""Real local servers for the channel tests: an SMTP server (aiosmtpd) and an HTTP receiver
(the standard library's, in a thread), each on a free loopback port. No mocks."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from core.settings import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_with(**settings: Any) -> SimpleNamespace:
    """What a channel reads of the app: ``app.state.settings``."""
    return SimpleNamespace(state=SimpleNamespace(settings=Settings(**settings)))


# --- SMTP ------------------------------------------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    authenticated: bool
    tls: bool


@dataclass
class Collector:
    """An aiosmtpd handler keeping what it accepts. ``refuse`` maps a recipient to the SMTP
    answer given to RCPT TO; ``drop`` names recipients for which the server hangs up."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    drop: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address in self.drop:
            self.drop.discard(address)  # once: the retry after reconnecting goes through
            server.transport.close()
            return "421 closing"
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or b"",
                                      bool(session.authenticated),
                                      server.transport.get_extra_info("ssl_object") is not None))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, collector: Collector | None = None, **server_kwargs: Any) -> None:
        self.collector = collector or Collector()
        self.port = free_port()
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port, **server_kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.collector.received


def password_checker(username: str, password: str) -> Callable[..., AuthResult]:
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (getattr(auth_data, "login", b"") == username.encode()
              and getattr(auth_data, "password", b"") == password.encode())
        return AuthResult(success=ok, handled=False)

    return authenticator


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


def self_signed(folder: Path) -> Certificate:
    """A certificate for 127.0.0.1 and localhost, made now (an EC key: fast)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    paths = Certificate(folder / "cert.pem", folder / "key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return paths


# --- HTTP ------------------------------------------------------------------------------


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpReceiver:
    """A local HTTP server answering POSTs with ``answer(request) -> (status, body)``; it
    keeps every request. ``delay`` seconds before answering (a slow gateway)."""

    def __init__(self, answer: Callable[[Request], tuple[int, bytes]] | None = None, delay: float = 0.0) -> None:
        self.requests: list[Request] = []
        self.answer = answer or (lambda request: (200, b'{"id": "gw-1"}'))
        self.delay = delay
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                receiver.requests.append(request)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status, body = receiver.answer(request)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> HttpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
