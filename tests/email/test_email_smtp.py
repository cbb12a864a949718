"""SMTP delivery against a real aiosmtpd server on 127.0.0.1 (plain, STARTTLS, TLS, AUTH)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service.email import (
    DeliveryConfigError,
    EmailRenderer,
    PermanentDeliveryError,
    SmtpConfig,
    SmtpMailer,
    TransientDeliveryError,
    build_message,
    message_id_for,
)
from tests.email.builders import PREFERENCES, UNSUBSCRIBE, nudge

HOST = "127.0.0.1"
USER = "rapport"
PASSWORD = "s3cret-Pa55"


@dataclass
class Handler:
    """Records what it receives; answers RCPT/DATA with the replies it is given."""

    rcpt_reply: str = "250 OK"
    data_reply: str = "250 Message accepted for delivery"
    envelopes: list[Any] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        """Accept or refuse the recipient."""
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message (when accepting it) and answer."""
        if self.data_reply.startswith("250"):
            self.envelopes.append(envelope)
        return self.data_reply


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    """Accept exactly one user name and password."""
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    # handled=False: let aiosmtpd answer 535 itself (True means "I already replied").
    return AuthResult(success=ok, handled=False)


@dataclass(frozen=True)
class Certs:
    """A self-signed certificate for 127.0.0.1 and its key, as files."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """TLS context for the test server."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """Generate a self-signed certificate valid for 127.0.0.1 and localhost."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rapport test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file = folder / "cert.pem"
    key_file = folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certs(cert=cert_file, key=key_file)


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start aiosmtpd controllers in their own threads; stop them after the test."""
    started: list[Controller] = []

    def start(handler: Handler, **kwargs: Any) -> int:
        port = free_port()
        controller = Controller(handler, hostname=HOST, port=port, **kwargs)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


def message(nudge_id: int = 42) -> EmailMessage:
    """A real nudge message."""
    rendered = EmailRenderer().render_nudge(nudge(nudge_id=nudge_id, meeting_title="Café sync"))
    return build_message(
        rendered,
        sender="Rapport <rapport@rapport.example.com>",
        recipient="ana@example.com",
        message_id=message_id_for("nudge", nudge_id, 1, "rapport.example.com"),
        unsubscribe_url=UNSUBSCRIBE,
        preferences_url=PREFERENCES,
    )


def received_ids(handler: Handler) -> list[str]:
    """Message-IDs of what the server accepted."""
    return [
        line.split(":", 1)[1].strip()
        for envelope in handler.envelopes
        for line in envelope.content.decode().splitlines()
        if line.lower().startswith("message-id:")
    ]


async def test_send_smtp_plain_delivers(serve: Any) -> None:
    handler = Handler()
    port = serve(handler)
    await SmtpMailer(SmtpConfig(host=HOST, port=port, security="none")).send(message())
    assert received_ids(handler) == ["<rapport.nudge.42.1@rapport.example.com>"]
    envelope = handler.envelopes[0]
    assert envelope.mail_from == "rapport@rapport.example.com"
    assert envelope.rcpt_tos == ["ana@example.com"]
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in envelope.content


async def test_send_smtp_starttls_with_ca_file_delivers(serve: Any, certs: Certs) -> None:
    handler = Handler()
    port = serve(handler, tls_context=certs.server_context(), require_starttls=True)
    config = SmtpConfig(host=HOST, port=port, security="starttls", ca_file=certs.cert)
    await SmtpMailer(config).send(message())
    assert received_ids(handler) == ["<rapport.nudge.42.1@rapport.example.com>"]


async def test_send_smtp_implicit_tls_delivers(serve: Any, certs: Certs) -> None:
    handler = Handler()
    port = serve(handler, ssl_context=certs.server_context())
    config = SmtpConfig(host=HOST, port=port, security="tls", ca_file=certs.cert)
    await SmtpMailer(config).send(message())
    assert len(handler.envelopes) == 1


async def test_send_smtp_untrusted_certificate_is_config_error(serve: Any, certs: Certs) -> None:
    handler = Handler()
    port = serve(handler, tls_context=certs.server_context(), require_starttls=True)
    config = SmtpConfig(host=HOST, port=port, security="starttls")  # our CA is not trusted
    with pytest.raises(DeliveryConfigError):
        await SmtpMailer(config).send(message())
    assert handler.envelopes == []


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
async def test_send_smtp_auth_over_starttls_delivers(
    serve: Any, certs: Certs, mechanism: str
) -> None:
    handler = Handler()
    other = "PLAIN" if mechanism == "LOGIN" else "LOGIN"
    port = serve(
        handler,
        tls_context=certs.server_context(),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_exclude_mechanism=[other],
    )
    config = SmtpConfig(
        host=HOST,
        port=port,
        security="starttls",
        ca_file=certs.cert,
        username=USER,
        password=PASSWORD,
    )
    await SmtpMailer(config).send(message())
    assert len(handler.envelopes) == 1


async def test_send_smtp_wrong_password_is_config_error(
    serve: Any, certs: Certs, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = Handler()
    port = serve(
        handler,
        tls_context=certs.server_context(),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    config = SmtpConfig(
        host=HOST,
        port=port,
        security="starttls",
        ca_file=certs.cert,
        username=USER,
        password="wrong-password-123",
    )
    with pytest.raises(DeliveryConfigError):
        await SmtpMailer(config).send(message())
    assert handler.envelopes == []
    captured = capsys.readouterr()
    assert "wrong-password-123" not in captured.out + captured.err
    assert "wrong-password-123" not in repr(config)


async def test_send_smtp_451_is_transient(serve: Any) -> None:
    port = serve(Handler(data_reply="451 4.3.0 Try again later"))
    with pytest.raises(TransientDeliveryError) as caught:
        await SmtpMailer(SmtpConfig(host=HOST, port=port, security="none")).send(message())
    assert caught.value.code == 451
    assert caught.value.__cause__ is not None


async def test_send_smtp_550_recipient_is_permanent(serve: Any) -> None:
    port = serve(Handler(rcpt_reply="550 5.1.1 No such user"))
    with pytest.raises(PermanentDeliveryError) as caught:
        await SmtpMailer(SmtpConfig(host=HOST, port=port, security="none")).send(message())
    assert caught.value.code == 550
    assert caught.value.__cause__ is not None


async def test_send_smtp_554_data_is_permanent(serve: Any) -> None:
    port = serve(Handler(data_reply="554 5.7.1 Message rejected"))
    with pytest.raises(PermanentDeliveryError) as caught:
        await SmtpMailer(SmtpConfig(host=HOST, port=port, security="none")).send(message())
    assert caught.value.code == 554


async def test_send_smtp_452_recipient_is_transient(serve: Any) -> None:
    port = serve(Handler(rcpt_reply="452 4.2.2 Mailbox full"))
    with pytest.raises(TransientDeliveryError) as caught:
        await SmtpMailer(SmtpConfig(host=HOST, port=port, security="none")).send(message())
    assert caught.value.code == 452


async def test_send_smtp_connection_refused_is_transient() -> None:
    config = SmtpConfig(host=HOST, port=free_port(), security="none", timeout=5)
    with pytest.raises(TransientDeliveryError):
        await SmtpMailer(config).send(message())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"security": "ssl"}, "security"),
        ({"port": 0}, "port"),
        ({"username": "u"}, "password"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_build_smtp_config_rejects_bad_value(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        SmtpConfig(host=HOST, **overrides)
