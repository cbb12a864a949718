"""The words the domain, email and storage share: the kinds of nudge and a recipient's role.

Both are `StrEnum`s, so a member is its stored value (`NudgeKind.CAMERA_ON == "camera_on"`) and
formats as that value in a template name or a log line. Adding a kind: see `service.domain.nudges`.
"""

from __future__ import annotations

import enum


class NudgeKind(enum.StrEnum):
    """The kinds of nudge Rapport sends; the value names the kind's templates and settings."""

    CAMERA_ON = "camera_on"
    SWITCH_TO_VIDEO = "switch_to_video"
    SOCIAL_MINUTE = "social_minute"
    ONE_ON_ONE = "one_on_one"


class Role(enum.StrEnum):
    """Whether a nudge's recipient organises the meeting or attends it (phrasing differs)."""

    ORGANIZER = "organizer"
    ATTENDEE = "attendee"

    @classmethod
    def of(cls, organizer: bool) -> Role:
        """The role of a participant who does (or does not) organise the meeting."""
        return cls.ORGANIZER if organizer else cls.ATTENDEE
