"""SMTP delivery with aiosmtplib: plain, STARTTLS or implicit TLS, optional AUTH.

SMTP replies are mapped onto the delivery error tree (see `service.email.errors`)::

    4xx reply, connection refused/lost, timeout   -> TransientDeliveryError(code or None)
    5xx reply for the sender, recipient or data     -> PermanentDeliveryError(code)
    AUTH refused, TLS/certificate failure,
    STARTTLS not offered                            -> DeliveryConfigError

One connection per message: nudges are few per minute, and a fresh connection cannot be left
half-broken by an earlier failure. The password is passed to the client and never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import aiosmtplib
import structlog

from service.email.errors import (
    DeliveryConfigError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)

log = structlog.get_logger(__name__)

Security = Literal["none", "starttls", "tls"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpConfig:
    """Where and how to reach the SMTP server (the entry points map settings onto this)."""

    host: str
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    validate_certs: bool = True
    ca_file: Path | None = None
    local_hostname: str | None = None

    def __post_init__(self) -> None:
        if self.security not in ("none", "starttls", "tls"):
            raise ValueError(f"security must be none, starttls or tls, got {self.security!r}")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port must be 1-65535, got {self.port}")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be given together")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")


def _classify(exc: aiosmtplib.SMTPException) -> DeliveryError:
    """Map one aiosmtplib error onto the delivery error tree."""
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPNotSupported):
        return DeliveryConfigError(f"SMTP server refused our configuration: {exc}")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        if codes and all(code >= 500 for code in codes):
            return PermanentDeliveryError(f"SMTP server refused the recipient ({codes})", codes[0])
        return TransientDeliveryError(f"SMTP server deferred the recipient ({codes})", min(codes))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if 500 <= exc.code < 600:
            return PermanentDeliveryError(f"SMTP {exc.code}: {exc.message}", exc.code)
        return TransientDeliveryError(f"SMTP {exc.code}: {exc.message}", exc.code)
    if isinstance(exc.__cause__, ssl.SSLError):
        return DeliveryConfigError(f"TLS with the SMTP server failed: {exc.__cause__}")
    return TransientDeliveryError(f"SMTP connection problem: {exc}")


class _SMTP(aiosmtplib.SMTP):
    """aiosmtplib's client, telling us when its connection is really gone.

    Closing a TLS connection (after STARTTLS) is a shutdown exchange that takes several loop
    turns; returning before it ends would leave the socket to the garbage collector. aiosmtplib
    reports the loss through `_on_connection_lost` (pinned version), on every path, including
    a failure inside `connect()`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opened = False
        self.lost = asyncio.Event()

    # The library's own signature, hence the `timeout` parameter.
    async def _create_connection(
        self,
        timeout: float | None,  # noqa: ASYNC109
    ) -> aiosmtplib.SMTPResponse:
        response = await super()._create_connection(timeout)
        self.opened = True
        return response

    def _on_connection_lost(self, protocol: Any) -> None:
        self.lost.set()
        super()._on_connection_lost(protocol)

    async def wait_closed(self, limit_s: float = 2.0) -> None:
        """After `close()`: wait (bounded) until the connection is lost and its socket shut."""
        if not self.opened:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit_s):
                await self.lost.wait()


class SmtpMailer:
    """A `Mailer` that delivers through an SMTP server."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def _client(self) -> _SMTP:
        c = self.config
        return _SMTP(
            hostname=c.host,
            port=c.port,
            username=c.username,
            password=c.password,
            local_hostname=c.local_hostname,
            timeout=c.timeout,
            use_tls=c.security == "tls",
            start_tls=c.security == "starttls",
            validate_certs=c.validate_certs,
            cert_bundle=str(c.ca_file) if c.ca_file is not None else None,
        )

    async def send(self, message: EmailMessage) -> None:
        """Deliver the message; raise Transient/Permanent/ConfigDeliveryError when it fails."""
        message_id = str(message.get("Message-ID", ""))
        client = self._client()
        try:
            async with client:
                await client.send_message(message)
        except aiosmtplib.SMTPException as exc:
            error = _classify(exc)
            log.warning(
                "email.smtp.failed",
                message_id=message_id,
                error=type(error).__name__,
                code=getattr(error, "code", None),
                host=self.config.host,
            )
            raise error from exc
        except ssl.SSLError as exc:
            log.warning("email.smtp.failed", message_id=message_id, error="tls")
            raise DeliveryConfigError(f"TLS with the SMTP server failed: {exc}") from exc
        except OSError as exc:
            log.warning("email.smtp.failed", message_id=message_id, error="connection")
            raise TransientDeliveryError(f"cannot reach the SMTP server: {exc}") from exc
        finally:
            # aiosmtplib's exit sends QUIT, and a refusing server can make that fail before
            # the socket is closed: close it ourselves so no connection leaks.
            if client.is_connected:
                client.close()
            await client.wait_closed()
        log.info("email.smtp.sent", message_id=message_id, host=self.config.host)
