"""Storage: SQLAlchemy 2 models, Alembic migrations and tenant-scoped repositories.

The same code runs on PostgreSQL (asyncpg) and SQLite (aiosqlite). Repositories never commit:
the caller commits once at its boundary (a request, a job). They raise the business errors of
`service.errors`: `NotFound` for an id outside the tenant (`NudgeNotFound` for a nudge), `Conflict`
when the state forbids a change (`IllegalTransition`, `PolicyConflict`, a report not being sent).
"""

from service.storage.database import Database, redacted_url
from service.storage.migrate import migrate, migrate_sync
from service.storage.repositories import (
    AuditRepository,
    CalendarRepository,
    FeedbackIn,
    FeedbackRepository,
    FeedbackRow,
    InsightRepository,
    MeetingRepository,
    MeetingStats,
    NudgeRepository,
    PeopleRepository,
    PolicyConflict,
    PolicyRepository,
    PreferencesRepository,
    ReportRepository,
    SentNudge,
    TenantRepository,
)
from service.storage.rows import (
    AuditRow,
    CalendarRow,
    MeetingRow,
    NudgeRow,
    ParticipationRow,
    PersonIn,
    PersonRow,
    PolicyRow,
    PruneResult,
    ReportRow,
    TenantRow,
)
from service.storage.state import IllegalTransition, NudgeNotFound, NudgeState

__all__ = [
    "AuditRepository",
    "AuditRow",
    "CalendarRepository",
    "CalendarRow",
    "Database",
    "FeedbackIn",
    "FeedbackRepository",
    "FeedbackRow",
    "IllegalTransition",
    "InsightRepository",
    "MeetingRepository",
    "MeetingRow",
    "MeetingStats",
    "NudgeNotFound",
    "NudgeRepository",
    "NudgeRow",
    "NudgeState",
    "ParticipationRow",
    "PeopleRepository",
    "PersonIn",
    "PersonRow",
    "PolicyConflict",
    "PolicyRepository",
    "PolicyRow",
    "PreferencesRepository",
    "PruneResult",
    "ReportRepository",
    "ReportRow",
    "SentNudge",
    "TenantRepository",
    "TenantRow",
    "migrate",
    "migrate_sync",
    "redacted_url",
]
