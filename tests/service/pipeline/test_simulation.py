"""Four weeks of the sample organisation through the real pipeline, day by day.

Every email is read back as its recipient gets it. None is about a private meeting, a sensitive
topic, a declined instance or someone who opted out; nobody reads the same words twice within
30 days; nobody gets more than the policy's caps allow.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.service.pipeline.simulation import (
    DECLINED_UID,
    PRIVATE_UID,
    SENSITIVE_UID,
    SimMail,
    Simulation,
    masked_body,
    simulate,
)

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a Monday
DAYS = 28


@pytest.fixture(scope="module")
def simulation(tmp_path_factory: pytest.TempPathFactory) -> Simulation:
    """Four weeks, simulated once for the module (about half a minute)."""
    import asyncio

    folder = tmp_path_factory.mktemp("simulation")
    return asyncio.run(simulate(folder, START, DAYS))


def _nudges(sim: Simulation) -> list[SimMail]:
    return [m for m in sim.mails if m.kind != "report"]


def _local_day(sim: Simulation, mail: SimMail) -> date:
    return mail.sent.astimezone(ZoneInfo(sim.zone(mail.to))).date()


def test_simulation_sends_every_kind_and_weekly_reports(simulation: Simulation) -> None:
    kinds = Counter(m.kind for m in simulation.mails)
    assert {"camera_on", "one_on_one", "social_minute", "switch_to_video", "report"} <= set(kinds)
    assert kinds["report"] >= 3 * 10  # ten people with a calendar and not opted out, weekly


def test_simulation_no_email_for_private_sensitive_or_declined_meetings(
    simulation: Simulation,
) -> None:
    about = {m.meeting_uid for m in _nudges(simulation)}
    assert PRIVATE_UID not in about
    assert SENSITIVE_UID not in about
    declined = [
        m
        for m in _nudges(simulation)
        if m.meeting_uid == DECLINED_UID and m.meeting_start == simulation.declined_instance
    ]
    assert declined == []
    for mail in simulation.mails:
        words = mail.subject + mail.body
        for secret in ("Tom / Lucy: catch-up", "Redundancy", "consultation", "Private meeting"):
            assert secret not in words, (mail.to, mail.subject)


def test_simulation_nothing_to_or_about_people_who_opted_out(simulation: Simulation) -> None:
    out = [p for p in simulation.sample.people if p.opted_out]
    assert out
    for person in out:
        assert not [m for m in simulation.mails if m.to == person.email]
        first = person.name.split()[0]
        for mail in simulation.mails:
            assert person.name not in mail.subject + mail.body, (mail.to, mail.kind)
            assert f" {first} " not in f" {mail.subject} {mail.body} ", (mail.to, mail.kind)


def test_simulation_no_identical_body_to_one_person_within_30_days(
    simulation: Simulation,
) -> None:
    names = simulation.names()
    seen: defaultdict[tuple[str, str], list[datetime]] = defaultdict(list)
    for mail in _nudges(simulation):
        key = (mail.to, masked_body(mail, names))
        for earlier in seen[key]:
            assert mail.sent - earlier >= timedelta(days=30), (mail.to, mail.kind, mail.body)
        seen[key].append(mail.sent)
    # And the two people of a one-on-one never read the same line at the same minute.
    by_moment: defaultdict[tuple[datetime, str | None], list[str]] = defaultdict(list)
    for mail in _nudges(simulation):
        if mail.kind == "one_on_one":
            by_moment[(mail.sent, mail.meeting_uid)].append(masked_body(mail, names))
    for bodies in by_moment.values():
        assert len(set(bodies)) == len(bodies)


def test_simulation_emails_within_the_policy_caps(simulation: Simulation) -> None:
    policy = simulation.policy
    per_day: Counter[tuple[str, date]] = Counter()
    per_week: Counter[tuple[str, tuple[int, int]]] = Counter()
    sent: defaultdict[str, list[datetime]] = defaultdict(list)
    for mail in _nudges(simulation):
        day = _local_day(simulation, mail)
        per_day[(mail.to, day)] += 1
        per_week[(mail.to, day.isocalendar()[:2])] += 1
        sent[mail.to].append(mail.sent)
    assert max(per_day.values()) <= policy.max_per_person_per_day
    working_days = len(policy.working_hours.days)
    assert max(per_week.values()) <= policy.max_per_person_per_day * working_days
    # Backing off: over four weeks, at most one email per working day per person on average,
    # and the first week (every series' first occurrence) is the busiest.
    for person, moments in sent.items():
        assert len(moments) <= DAYS // 7 * working_days, person
        weeks = sorted(week for who, week in per_week if who == person)
        assert per_week[(person, weeks[-1])] <= per_week[(person, weeks[0])], person
        moments.sort()
        gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]
        assert all(gap >= timedelta(minutes=policy.min_gap_minutes) for gap in gaps)


def test_simulation_weekly_series_back_off(simulation: Simulation) -> None:
    # No person hears about one series for one kind more than three times in four weeks.
    per_series = Counter(
        (m.to, m.kind, m.meeting_uid) for m in _nudges(simulation) if m.meeting_uid
    )
    assert max(per_series.values()) <= 3
