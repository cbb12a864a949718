"""Nudge rules: which meetings call for which nudge, to whom, when, within which caps."""

from service.domain.nudges.planner import PRIORITY, plan_nudges, variant_of
from service.domain.nudges.timing import local_date
from service.domain.nudges.types import (
    NudgeHistory,
    NudgePlan,
    Participant,
    PersonPrefs,
    PlanResult,
    Role,
    ScheduledMeeting,
    Suppressed,
)
from service.domain.policy import NudgeKind

__all__ = [
    "PRIORITY",
    "NudgeHistory",
    "NudgeKind",
    "NudgePlan",
    "Participant",
    "PersonPrefs",
    "PlanResult",
    "Role",
    "ScheduledMeeting",
    "Suppressed",
    "local_date",
    "plan_nudges",
    "variant_of",
]
