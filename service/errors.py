"""Business errors: what went wrong in words a caller can act on, each with the status it maps to.

The API turns these into HTTP responses and the CLI into one clear line and exit code 2; nothing
else catches them by message. Validation errors (a policy, a setting) are not here: they carry
the field they name (`service.domain.policy.PolicyError`, `service.config.SettingsError`).

    RapportError                 500  base class; never raised itself
     ├── NotFound                404  not in the caller's tenant (nor is another tenant's id)
     ├── Conflict                409  the thing exists, or its state forbids the change
     ├── Forbidden               403  the caller may not do this
     └── Unauthenticated         401  no valid credential was given
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["Conflict", "Forbidden", "NotFound", "RapportError", "Unauthenticated"]


class RapportError(Exception):
    """Base of every business error; `status_code` is the HTTP status it maps to."""

    status_code: ClassVar[int] = 500


class NotFound(RapportError, LookupError):
    """No such object in the caller's tenant; another tenant's id is not found either."""

    status_code: ClassVar[int] = 404


class Conflict(RapportError):
    """The object already exists, or its current state does not allow the change."""

    status_code: ClassVar[int] = 409


class Forbidden(RapportError):
    """The caller is known but may not do this (a viewer key asking to change a policy)."""

    status_code: ClassVar[int] = 403


class Unauthenticated(RapportError):
    """No credential, or one that does not open anything; says nothing about why."""

    status_code: ClassVar[int] = 401
