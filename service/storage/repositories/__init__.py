"""Tenant-scoped repositories (and the unscoped tenant repository)."""

from service.storage.repositories.calendars import CalendarRepository
from service.storage.repositories.feedback import FeedbackIn, FeedbackRepository, FeedbackRow
from service.storage.repositories.insights import InsightRepository, MeetingStats
from service.storage.repositories.meetings import MeetingRepository
from service.storage.repositories.nudges import NudgeRepository
from service.storage.repositories.people import PeopleRepository
from service.storage.repositories.policies import (
    AuditRepository,
    PolicyConflict,
    PolicyRepository,
)
from service.storage.repositories.preferences import PreferencesRepository, SentNudge
from service.storage.repositories.reports import ReportRepository
from service.storage.repositories.tenants import TenantRepository

__all__ = [
    "AuditRepository",
    "CalendarRepository",
    "FeedbackIn",
    "FeedbackRepository",
    "FeedbackRow",
    "InsightRepository",
    "MeetingRepository",
    "MeetingStats",
    "NudgeRepository",
    "PeopleRepository",
    "PolicyConflict",
    "PolicyRepository",
    "PreferencesRepository",
    "ReportRepository",
    "SentNudge",
    "TenantRepository",
]
