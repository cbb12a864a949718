"""Who works at Northwind Studio, the bundled sample organisation, and the rooms they book."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from service.sample.organisation import DOMAIN

# When the feeds were "exported" (DTSTAMP), an hour before the anchor.
EXPORTED = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)

LONDON = "Europe/London"
NEW_YORK = "America/New_York"
KOLKATA = "Asia/Kolkata"

OFFICE_LONDON = "12 Exmouth Market, London EC1R 4QE"
BOARD_ROOM = f"Board Room (8), {OFFICE_LONDON}"
STUDIO_LOFT = f"Studio Loft (4), {OFFICE_LONDON}"


@dataclass(frozen=True, slots=True)
class Person:
    """One member of staff: `key` is the local part of the address and the feed's file name."""

    key: str
    name: str
    timezone: str
    team: str
    opted_out: bool = False
    opted_out_kinds: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        """The person's address."""
        return f"{self.key}@{DOMAIN}"


@dataclass(frozen=True, slots=True)
class Party:
    """An invitee that is not a member of staff: a room, a resource, a group or an outsider."""

    email: str
    name: str
    cutype: str


PEOPLE: tuple[Person, ...] = (
    Person("oliver.grant", "Oliver Grant", LONDON, "ops"),
    Person("fiona.walsh", "Fiona Walsh", LONDON, "ops", opted_out=True),
    Person("neha.rao", "Neha Rao", KOLKATA, "ops"),
    Person("priya.shah", "Priya Shah", LONDON, "design"),
    Person("tom.bennett", "Tom Bennett", LONDON, "design"),
    Person("lucy.okafor", "Lucy Okafor", LONDON, "design"),
    Person("marcus.lee", "Marcus Lee", NEW_YORK, "design"),
    Person("dana.whitfield", "Dana Whitfield", LONDON, "engineering"),
    Person("sam.rivera", "Sam Rivera", NEW_YORK, "engineering"),
    Person("ellen.park", "Ellen Park", NEW_YORK, "engineering", opted_out=True),
    Person("arjun.mehta", "Arjun Mehta", KOLKATA, "engineering"),
    Person("kavya.iyer", "Kavya Iyer", KOLKATA, "engineering", opted_out_kinds=("camera_on",)),
)

PARTIES: dict[str, Party] = {
    "board_room": Party(f"board.room@{DOMAIN}", "Board Room (8)", "ROOM"),
    "studio_loft": Party(f"studio.loft@{DOMAIN}", "Studio Loft (4)", "ROOM"),
    "projector": Party(f"projector.1@{DOMAIN}", "Projector (portable)", "RESOURCE"),
    "design_group": Party(f"design@{DOMAIN}", "Design team", "GROUP"),
    "acme": Party("rachel.osei@acme-logistics.example", "Rachel Osei", "INDIVIDUAL"),
    "candidate": Party("jamie.chen.design@example.com", "Jamie Chen", "INDIVIDUAL"),
}

BY_KEY: dict[str, Person] = {person.key: person for person in PEOPLE}
