"""Delivery errors, as a tree::

DeliveryError
├── TransientDeliveryError   4xx, connection refused or lost, timeout: retry with backoff
├── PermanentDeliveryError   5xx for this message or recipient (`code`): never retry;
│                            a hard bounce suppresses the address
└── DeliveryConfigError      our side is wrong (credentials refused, TLS or certificate
                             failure, STARTTLS unsupported): an operator must act; the
                             recipient is not to blame, so the address is not suppressed
"""

from __future__ import annotations


class DeliveryError(Exception):
    """Base of every error a `Mailer` raises."""


class TransientDeliveryError(DeliveryError):
    """A temporary failure: retry later, within the message's useful life."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class PermanentDeliveryError(DeliveryError):
    """The server refused the message or recipient for good (SMTP 5xx)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class DeliveryConfigError(DeliveryError):
    """The mailer's own configuration is wrong; retrying will not help until it is fixed."""
