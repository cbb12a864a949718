"""The email package's public API: `__all__` is exactly what it exports."""

from __future__ import annotations

import inspect

import service.email


def test_check_public_api_matches_all() -> None:
    exported = set(service.email.__all__)
    public = {name for name in dir(service.email) if not name.startswith("_")}
    # Submodules show up as attributes once imported (by anyone): they are not the API.
    assert exported == {
        name for name in public if not inspect.ismodule(getattr(service.email, name))
    }
    for name in (
        "EmailRenderer",
        "build_message",
        "message_id_for",
        "schedule_links",
        "MaildirOutbox",
        "SmtpMailer",
        "Mailer",
    ):
        assert name in exported
