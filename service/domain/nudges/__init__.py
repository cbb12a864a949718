"""Nudge rules: which meetings call for which nudge, to whom, when, within which caps.

Adding a nudge kind, in this order (tests name the kind when step 3, 4 or 5 is left out):

1. `service/domain/vocabulary.py`: a `NudgeKind` member; its value names everything below
   (at most 32 characters: the `nudges.kind` column; storage needs nothing else).
2. `service/domain/nudges/rules.py`: a rule `_<kind>(meeting, email, person, ...)` returning a
   `Candidate` (or None), added to `candidates()`; the module docstring's table, and the
   table in DESIGN.md ("Nudges"), say when it applies and to whom.
3. `service/domain/nudges/planner.py`: its place in `PRIORITY` (and in the docstring's order).
4. `service/domain/policy.py`: its default in `DEFAULT_SERIES_CAP_DAYS` (the policy's `kinds`
   then accepts the kind's settings: back-off, unanswered limit, daily cap), and in
   `DEFAULT_MAX_UNANSWERED` when a series should hear about it less than three times.
5. `service/email/templates/phrases_<kind>.jinja`: `variants` (at least the policy's 8 per
   role) and the macros subject, lead, detail and short, with `ideas` (at least `IDEAS`, so
   bodies rotate), as `service.email.phrases` states and checks.
6. Only when the email needs more than the lead and detail paragraphs:
   `templates/nudge_<kind>.html` and `.txt`, extending `_nudge.*` (as social_minute adds its
   ideas); without them the renderer uses `_nudge.*`.
7. Only when the phrasing needs a value the view lacks: a field of `NudgeEmail`
   (`service/email/context.py`), a key of `NudgeView` (`service/email/phrases.py`) filled by
   `EmailRenderer._view`, with any new wording helper in `service/email/words.py`, and the
   pipeline's delivery filling the field from stored rows.
8. Tests: the rule's cases in `tests/service/domain/nudges/test_rules.py`; the email tests
   render every `NudgeKind` in every role and variant already, and
   `tests/service/domain/test_vocabulary.py` checks steps 3 and 4,
   `tests/service/email/test_phrases.py` step 5.
"""

from service.domain.nudges.planner import PRIORITY, personal_policy, plan_nudges, variant_of
from service.domain.nudges.timing import local_date
from service.domain.nudges.types import (
    DELIVERY_MODES,
    IDEAS,
    VARIANT_STRIDE,
    Held,
    NudgeHistory,
    NudgePlan,
    Participant,
    PersonalHours,
    PersonPrefs,
    PlanResult,
    ScheduledMeeting,
    SentNudge,
    Suppressed,
    split_variant,
)
from service.domain.vocabulary import NudgeKind, Role

__all__ = [
    "DELIVERY_MODES",
    "IDEAS",
    "PRIORITY",
    "VARIANT_STRIDE",
    "Held",
    "NudgeHistory",
    "NudgeKind",
    "NudgePlan",
    "Participant",
    "PersonPrefs",
    "PersonalHours",
    "PlanResult",
    "Role",
    "ScheduledMeeting",
    "SentNudge",
    "Suppressed",
    "local_date",
    "personal_policy",
    "plan_nudges",
    "split_variant",
    "variant_of",
]
