"""Property tests: the planner's promises hold for any input."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.model import Classification, EventStatus, Modality, Response
from service.domain.nudges import (
    IDEAS,
    NudgeHistory,
    NudgeKind,
    NudgePlan,
    Participant,
    PersonPrefs,
    ScheduledMeeting,
    SentNudge,
    plan_nudges,
    split_variant,
)
from service.domain.nudges.rules import other_person
from service.domain.policy import Policy

NOW = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)  # two weeks around the US and EU DST changes
ZONES = ("Europe/London", "America/New_York", "Asia/Tokyo", "Pacific/Auckland", "Asia/Kolkata")
POOL = tuple(f"p{i}@acme.test" for i in range(6))
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def participants(draw: st.DrawFn) -> tuple[Participant, ...]:
    emails = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=6, unique=True))
    result = [
        Participant(
            email=email,
            name=draw(st.sampled_from([None, email.split("@")[0].title()])),
            response=draw(st.sampled_from(list(Response))),
            organizer=index == 0,
            internal=True,
            opted_out=draw(st.booleans()) and draw(st.booleans()),
        )
        for index, email in enumerate(emails)
    ]
    if draw(st.booleans()):
        result.append(Participant(email="guest@other.test", internal=False))
    return tuple(result)


@st.composite
def meetings(draw: st.DrawFn) -> list[ScheduledMeeting]:
    count = draw(st.integers(0, 14))
    result = []
    for key in range(count):
        start = NOW + timedelta(minutes=5 * draw(st.integers(-20, 30 * 24 * 12)))
        people = draw(participants())
        humans = sum(1 for p in people if p.response is not Response.DECLINED)
        result.append(
            ScheduledMeeting(
                key=key,
                uid=f"uid-{key}",
                series_id=draw(st.sampled_from([None, "s1", "s2"])),
                title=draw(st.sampled_from(["Sync", "Interview", "Planning", "HR: exit"])),
                start=start,
                end=start + timedelta(minutes=30),
                status=draw(st.sampled_from(list(EventStatus))),
                classification=Classification(
                    modality=draw(st.sampled_from(list(Modality))),
                    one_on_one=humans == 2 and draw(st.booleans()),
                    is_meeting=draw(st.booleans()) or draw(st.booleans()),
                ),
                participants=people,
                private=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    return result


@st.composite
def people(draw: st.DrawFn) -> dict[str, PersonPrefs]:
    result = {}
    for email in POOL:
        snooze = draw(st.sampled_from([None, NOW - timedelta(days=1), NOW + timedelta(days=5)]))
        result[email] = PersonPrefs(
            email=email,
            timezone=draw(st.sampled_from(ZONES)),
            opted_out=draw(st.booleans()) and draw(st.booleans()),
            opted_out_kinds=frozenset(draw(st.sets(st.sampled_from([k.value for k in NudgeKind])))),
            snoozed_until=snooze,
            muted_contacts=frozenset(draw(st.sets(st.sampled_from(POOL), max_size=2))),
        )
    return result


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    return Policy.model_validate(
        {
            "lead_minutes": draw(st.integers(1, 240)),
            "delivery_mode": draw(st.sampled_from(["per_meeting", "daily_briefing"])),
            "max_per_person_per_day": draw(st.integers(0, 4)),
            "min_gap_minutes": draw(st.sampled_from([0, 60])),
            "variants": draw(st.integers(1, 8)),
            "exclusions": {
                "external_attendees": draw(st.booleans()),
                "private_meetings": draw(st.booleans()),
            },
        }
    )


@st.composite
def histories(draw: st.DrawFn) -> NudgeHistory:
    days = draw(
        st.dictionaries(
            st.tuples(st.sampled_from(POOL), st.dates(date(2026, 2, 28), date(2026, 4, 2))),
            st.integers(0, 3),
            max_size=10,
        )
    )
    recent = draw(
        st.lists(
            st.builds(
                SentNudge,
                person=st.sampled_from(POOL),
                meeting_key=st.integers(100, 120),
                series=st.sampled_from(["s1", "s2", "uid-100"]),
                kind=st.sampled_from([k.value for k in NudgeKind]),
                variant=st.integers(0, 64 * IDEAS - 1),
                at=st.integers(-40 * 24, 0).map(lambda h: NOW + timedelta(hours=h)),
                acted=st.booleans(),
            ),
            max_size=12,
        )
    )
    return NudgeHistory(sent_per_person_day=days, recent=tuple(recent))


@SETTINGS
@given(meetings(), people(), policies(), histories())
def test_plan_properties_hold_for_any_input(
    scheduled: list[ScheduledMeeting],
    prefs: dict[str, PersonPrefs],
    policy: Policy,
    history: NudgeHistory,
) -> None:
    result = plan_nudges(scheduled, prefs, policy, history, NOW)
    by_key = {m.key: m for m in scheduled}
    per_day: Counter[tuple[str, date]] = Counter()
    for plan in result.plans:
        who, meeting = prefs[plan.person], by_key[plan.meeting_key]
        assert not who.opted_out
        assert plan.kind.value not in who.opted_out_kinds
        assert plan.due_at < meeting.start
        assert meeting.start > NOW
        assert plan.due_at.utcoffset() == timedelta(0)
        line, idea = split_variant(plan.variant)
        assert 0 <= line < policy.variants
        assert 0 <= idea < IDEAS
        assert not (meeting.private and policy.exclusions.private_meetings)
        assert policy.exclusions.matched_keyword(meeting.title) is None
        if plan.kind is NudgeKind.ONE_ON_ONE:
            other = other_person(meeting, plan.person)
            assert other is not None
            assert other.name
            assert other.response is not Response.DECLINED
            assert not other.opted_out
        local = plan.due_at.astimezone(ZoneInfo(who.timezone))
        assert local.isoweekday() in policy.working_hours.days
        assert not policy.quiet_hours.contains(local.time())
        per_day[(plan.person, local.date())] += 1
    for (email, day), count in per_day.items():
        already = history.sent_per_person_day.get((email, day), 0)
        assert count + already <= policy.max_per_person_per_day
    pairs = [(p.person, p.meeting_key) for p in result.plans]
    assert len(pairs) == len(set(pairs))
    _check_rotation_and_gaps(result.plans, history, policy)
    assert plan_nudges(list(reversed(scheduled)), prefs, policy, history, NOW) == result


def _check_rotation_and_gaps(
    plans: Sequence[NudgePlan], history: NudgeHistory, policy: Policy
) -> None:
    """No variant twice to one person for one kind within `repeat_days`, emails apart."""
    sends = [(s.person, s.kind, s.variant, s.at) for s in history.recent]
    sends += [(p.person, p.kind.value, p.variant, p.due_at) for p in plans]
    window = timedelta(days=policy.repeat_days)
    for person, kind, variant, at in [(p.person, p.kind.value, p.variant, p.due_at) for p in plans]:
        clashes = [
            other
            for other in sends
            if other[:3] == (person, kind, variant)
            and other[3] != at
            and abs(other[3] - at) < window
        ]
        assert not clashes
    gap = timedelta(minutes=policy.min_gap_minutes)
    for plan in plans:
        if plan.batch_key is not None:
            continue
        near = [
            s
            for s in sends
            if s[0] == plan.person and s[3] != plan.due_at and abs(s[3] - plan.due_at) < gap
        ]
        assert not near
