"""Property tests: the planner's promises hold for any input."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.model import Classification, EventStatus, Modality, Response
from service.domain.nudges import (
    NudgeHistory,
    NudgeKind,
    Participant,
    PersonPrefs,
    ScheduledMeeting,
    plan_nudges,
)
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
            response=draw(st.sampled_from(list(Response))),
            organizer=index == 0,
            internal=True,
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
                title=draw(st.sampled_from(["Sync", "Interview", "Planning"])),
                start=start,
                end=start + timedelta(minutes=30),
                status=draw(st.sampled_from(list(EventStatus))),
                classification=Classification(
                    modality=draw(st.sampled_from(list(Modality))),
                    one_on_one=humans == 2 and draw(st.booleans()),
                    is_meeting=draw(st.booleans()) or draw(st.booleans()),
                ),
                participants=people,
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
            "exclusions": {"external_attendees": draw(st.booleans())},
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
    return NudgeHistory(sent_per_person_day=days)


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
        assert 0 <= plan.variant < policy.variants
        local = plan.due_at.astimezone(ZoneInfo(who.timezone))
        assert local.isoweekday() in policy.working_hours.days
        assert not policy.quiet_hours.contains(local.time())
        per_day[(plan.person, local.date())] += 1
    for (email, day), count in per_day.items():
        already = history.sent_per_person_day.get((email, day), 0)
        assert count + already <= policy.max_per_person_per_day
    pairs = [(p.person, p.meeting_key) for p in result.plans]
    assert len(pairs) == len(set(pairs))
    assert plan_nudges(list(reversed(scheduled)), prefs, policy, history, NOW) == result
