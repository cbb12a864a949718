"""The storage package's public API, and its errors as business errors of `service.errors`."""

from __future__ import annotations

import service.storage as storage
from service.errors import Conflict, NotFound
from service.storage import IllegalTransition, NudgeNotFound, PolicyConflict


def test_export_storage_public_api() -> None:
    for name in storage.__all__:
        assert getattr(storage, name) is not None
    expected = {
        "Database",
        "migrate",
        "migrate_sync",
        "TenantRepository",
        "PeopleRepository",
        "CalendarRepository",
        "MeetingRepository",
        "NudgeRepository",
        "PolicyRepository",
        "AuditRepository",
        "ReportRepository",
        "PersonIn",
        "IllegalTransition",
        "NudgeNotFound",
        "NudgeState",
        "PolicyConflict",
    }
    assert expected <= set(storage.__all__)


def test_check_storage_errors_are_business_errors() -> None:
    assert issubclass(NudgeNotFound, NotFound)
    assert issubclass(NudgeNotFound, LookupError)
    assert issubclass(IllegalTransition, Conflict)
    assert issubclass(PolicyConflict, Conflict)
    assert NudgeNotFound(7).status_code == 404
    assert IllegalTransition(7, "sent", "planned").status_code == 409
