"""Load the bundled sample organisation, moved to the run's "now" by whole weeks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from service.sample.organisation import ANCHOR, DOMAIN, TENANT_NAME, TENANT_SLUG
from service.sample.shift import shift_calendar, week_shift

_DATA = "data"


@dataclass(frozen=True, slots=True)
class SamplePerson:
    """A member of the sample organisation and their preferences."""

    email: str
    name: str
    timezone: str
    team: str
    opted_out: bool
    opted_out_kinds: tuple[str, ...]

    @property
    def feed_name(self) -> str:
        """The feed's file name: the local part of the address plus `.ics`."""
        return self.email.split("@", 1)[0] + ".ics"


@dataclass(frozen=True, slots=True)
class SampleOrganisation:
    """The sample tenant, its people, and their feeds shifted by `shift` (whole weeks)."""

    tenant_slug: str
    tenant_name: str
    internal_domains: tuple[str, ...]
    people: tuple[SamplePerson, ...]
    anchor: datetime
    shift: timedelta

    @property
    def now(self) -> datetime:
        """The sample's own "now" after the shift (the anchor moved by `shift`)."""
        return self.anchor + self.shift

    def person(self, email: str) -> SamplePerson:
        """The person with this address (case-insensitive); KeyError naming it if unknown."""
        wanted = email.strip().lower()
        for person in self.people:
            if person.email == wanted:
                return person
        known = ", ".join(person.email for person in self.people)
        raise KeyError(f"{email!r} is not in the sample organisation (known: {known})")

    def feed(self, email: str) -> bytes:
        """The person's iCalendar feed with every date moved by `shift`."""
        name = self.person(email).feed_name
        data = resources.files("service.sample").joinpath(_DATA, "feeds", name).read_bytes()
        return shift_calendar(data, self.shift)

    def write_feeds(self, directory: Path) -> dict[str, Path]:
        """Write every shifted feed into `directory`; return the file of each address."""
        directory.mkdir(parents=True, exist_ok=True)
        written = {}
        for person in self.people:
            path = directory / person.feed_name
            path.write_bytes(self.feed(person.email))
            written[person.email] = path
        return written


def _person(row: object, index: int) -> SamplePerson:
    if not isinstance(row, dict):
        raise ValueError(f"people.json entry {index} must be an object, got {type(row).__name__}")
    try:
        return SamplePerson(
            email=str(row["email"]).lower(),
            name=str(row["name"]),
            timezone=str(row["timezone"]),
            team=str(row["team"]),
            opted_out=bool(row["opted_out"]),
            opted_out_kinds=tuple(str(kind) for kind in row["opted_out_kinds"]),
        )
    except KeyError as exc:
        raise ValueError(f"people.json entry {index} lacks the field {exc.args[0]!r}") from exc


def read_people() -> tuple[SamplePerson, ...]:
    """The sample's people, as committed in `data/people.json`."""
    text = resources.files("service.sample").joinpath(_DATA, "people.json").read_text("utf-8")
    rows = json.loads(text)
    if not isinstance(rows, list):
        raise ValueError("people.json must hold a list of people")
    return tuple(_person(row, index) for index, row in enumerate(rows))


def load_sample(now: datetime) -> SampleOrganisation:
    """The sample organisation moved by whole weeks so its anchor week is `now`'s week."""
    return SampleOrganisation(
        tenant_slug=TENANT_SLUG,
        tenant_name=TENANT_NAME,
        internal_domains=(DOMAIN,),
        people=read_people(),
        anchor=ANCHOR,
        shift=week_shift(now, ANCHOR),
    )
