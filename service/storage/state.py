"""The nudge state machine: which transitions are allowed, checked in code.

    planned ──claim──> sending ──> sent
     │ ^ ^               │
     │ │ └──reclaim──────┤
     v │                 v
    cancelled          failed ──retry──> planned

Nothing leaves `sent`. A cancelled nudge is planned again (a new revision) when the rules
call for it again: the meeting moved back, or someone accepted after declining.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from service.errors import Conflict, NotFound


class NudgeState(enum.StrEnum):
    """Where a nudge is in its life."""

    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"


ALLOWED: Mapping[NudgeState, frozenset[NudgeState]] = {
    NudgeState.PLANNED: frozenset({NudgeState.SENDING, NudgeState.CANCELLED}),
    NudgeState.SENDING: frozenset({NudgeState.SENT, NudgeState.FAILED, NudgeState.PLANNED}),
    NudgeState.FAILED: frozenset({NudgeState.PLANNED}),
    NudgeState.SENT: frozenset(),
    NudgeState.CANCELLED: frozenset({NudgeState.PLANNED}),
}


class IllegalTransition(Conflict):
    """A nudge was asked to move between two states the machine does not connect."""

    def __init__(self, nudge_id: int | None, current: str, target: str) -> None:
        where = f"nudge {nudge_id}" if nudge_id is not None else "nudge"
        super().__init__(f"{where} cannot go from {current!r} to {target!r}")
        self.nudge_id = nudge_id
        self.current = current
        self.target = target


class NudgeNotFound(NotFound):
    """No nudge with that id in this tenant."""

    def __init__(self, nudge_id: int) -> None:
        super().__init__(f"nudge {nudge_id} not found in this tenant")
        self.nudge_id = nudge_id


def sources_of(target: NudgeState) -> frozenset[NudgeState]:
    """The states from which `target` may be reached."""
    return frozenset(state for state, nexts in ALLOWED.items() if target in nexts)


def check_transition(current: str, target: NudgeState, nudge_id: int | None = None) -> None:
    """Raise `IllegalTransition` unless `current -> target` is allowed."""
    try:
        state = NudgeState(current)
    except ValueError:
        raise IllegalTransition(nudge_id, current, target.value) from None
    if target not in ALLOWED[state]:
        raise IllegalTransition(nudge_id, current, target.value)
