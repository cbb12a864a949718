"""SMTP delivery against a real aiosmtpd server on 127.0.0.1 (plain, STARTTLS, TLS, AUTH)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

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
from tests.fixtures.email_builders import PREFERENCES, UNSUBSCRIBE, nudge
from tests.fixtures.smtp import (
    HOST,
    PASSWORD,
    USER,
    Certs,
    Handler,
    StartServer,
    authenticator,
    free_port,
)


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


async def test_send_smtp_plain_delivers(smtp_server: StartServer) -> None:
    handler = Handler()
    port = smtp_server(handler)
    await SmtpMailer(SmtpConfig(host=HOST, port=port, security="none")).send(message())
    assert received_ids(handler) == ["<rapport.nudge.42.1@rapport.example.com>"]
    envelope = handler.envelopes[0]
    assert envelope.mail_from == "rapport@rapport.example.com"
    assert envelope.rcpt_tos == ["ana@example.com"]
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in envelope.content


async def test_send_smtp_starttls_with_ca_file_delivers(
    smtp_server: StartServer, smtp_certs: Certs
) -> None:
    handler = Handler()
    port = smtp_server(handler, tls_context=smtp_certs.server_context(), require_starttls=True)
    config = SmtpConfig(host=HOST, port=port, security="starttls", ca_file=smtp_certs.cert)
    await SmtpMailer(config).send(message())
    assert received_ids(handler) == ["<rapport.nudge.42.1@rapport.example.com>"]


async def test_send_smtp_implicit_tls_delivers(smtp_server: StartServer, smtp_certs: Certs) -> None:
    handler = Handler()
    port = smtp_server(handler, ssl_context=smtp_certs.server_context())
    config = SmtpConfig(host=HOST, port=port, security="tls", ca_file=smtp_certs.cert)
    await SmtpMailer(config).send(message())
    assert len(handler.envelopes) == 1


async def test_send_smtp_untrusted_certificate_is_config_error(
    smtp_server: StartServer, smtp_certs: Certs
) -> None:
    handler = Handler()
    port = smtp_server(handler, tls_context=smtp_certs.server_context(), require_starttls=True)
    config = SmtpConfig(host=HOST, port=port, security="starttls")  # our CA is not trusted
    with pytest.raises(DeliveryConfigError):
        await SmtpMailer(config).send(message())
    assert handler.envelopes == []


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
async def test_send_smtp_auth_over_starttls_delivers(
    smtp_server: StartServer, smtp_certs: Certs, mechanism: str
) -> None:
    handler = Handler()
    other = "PLAIN" if mechanism == "LOGIN" else "LOGIN"
    port = smtp_server(
        handler,
        tls_context=smtp_certs.server_context(),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_exclude_mechanism=[other],
    )
    config = SmtpConfig(
        host=HOST,
        port=port,
        security="starttls",
        ca_file=smtp_certs.cert,
        username=USER,
        password=PASSWORD,
    )
    await SmtpMailer(config).send(message())
    assert len(handler.envelopes) == 1


async def test_send_smtp_wrong_password_is_config_error(
    smtp_server: StartServer, smtp_certs: Certs, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = Handler()
    port = smtp_server(
        handler,
        tls_context=smtp_certs.server_context(),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    config = SmtpConfig(
        host=HOST,
        port=port,
        security="starttls",
        ca_file=smtp_certs.cert,
        username=USER,
        password="wrong-password-123",
    )
    with pytest.raises(DeliveryConfigError):
        await SmtpMailer(config).send(message())
    assert handler.envelopes == []
    captured = capsys.readouterr()
    assert "wrong-password-123" not in captured.out + captured.err
    assert "wrong-password-123" not in repr(config)


async def test_send_smtp_451_is_transient(smtp_server: StartServer) -> None:
    port = smtp_server(Handler(data_reply="451 4.3.0 Try again later"))
    with pytest.raises(TransientDeliveryError) as caught:
        await SmtpMailer(SmtpConfig(host=HOST, port=port, security="none")).send(message())
    assert caught.value.code == 451
    assert caught.value.__cause__ is not None


async def test_send_smtp_550_recipient_is_permanent(smtp_server: StartServer) -> None:
    port = smtp_server(Handler(rcpt_reply="550 5.1.1 No such user"))
    with pytest.raises(PermanentDeliveryError) as caught:
        await SmtpMailer(SmtpConfig(host=HOST, port=port, security="none")).send(message())
    assert caught.value.code == 550
    assert caught.value.__cause__ is not None


async def test_send_smtp_554_data_is_permanent(smtp_server: StartServer) -> None:
    port = smtp_server(Handler(data_reply="554 5.7.1 Message rejected"))
    with pytest.raises(PermanentDeliveryError) as caught:
        await SmtpMailer(SmtpConfig(host=HOST, port=port, security="none")).send(message())
    assert caught.value.code == 554


async def test_send_smtp_452_recipient_is_transient(smtp_server: StartServer) -> None:
    port = smtp_server(Handler(rcpt_reply="452 4.2.2 Mailbox full"))
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
