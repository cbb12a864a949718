"""The organisation's people from Graph: `/users`, `/groups` and members, each user's
`manager` and `mailboxSettings` (time zone, working hours).

`/users` is read with `$select` (id, mail, userPrincipalName, displayName, accountEnabled,
proxyAddresses) and `$top=999` following `@odata.nextLink`; `proxyAddresses` gives the aliases
(`SMTP:` primary, `smtp:` secondary; other address types ignored). A user without `mail` has no
Exchange mailbox and is left out (never a calendar call for them). The per-user reads
(manager, mailboxSettings) go through `$batch`, 20 a request: a 404 manager is no manager.
Windows time-zone names are mapped to IANA (windows_zones.py). Working hours (`workingHours`:
daysOfWeek, startTime, endTime, timeZone) become `{"start", "end", "days"}` in the mailbox's
zone, days as ISO weekdays (`graph_working_hours`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from urllib.parse import quote
from zoneinfo import ZoneInfo

from integrations.google.directory import Directory, DirectoryPerson
from integrations.microsoft.account import MicrosoftAccount
from integrations.microsoft.client import GraphClient, MailboxUnavailable, Request
from integrations.microsoft.windows_zones import WINDOWS_TO_IANA
from integrations.payload import flag, mapping, text, texts
from service.domain.model import normalise_email
from service.domain.port import ConnectorError, ProviderUnavailable
from service.domain.zones import known_zone

USER_FIELDS = "id,mail,userPrincipalName,displayName,accountEnabled,proxyAddresses"
MAX_PAGES = 1_000
MAX_ALIASES = 50
ISO_WEEKDAYS = {
    "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
    "sunday": 7,
}  # fmt: skip

__all__ = [
    "Directory", "DirectoryPerson", "GraphDirectory", "graph_working_hours", "read_directory",
]  # fmt: skip


@dataclass(slots=True)
class GraphDirectory(Directory):
    """The people, and each one's IANA time zone and working hours as mailboxSettings say."""

    zones: dict[str, str] = field(default_factory=dict)
    working_hours: dict[str, dict[str, object]] = field(default_factory=dict)


def iana_zone(name: str | None) -> str | None:
    """A Windows (or IANA) zone name as a known IANA zone; None when it is neither."""
    if not name:
        return None
    found = WINDOWS_TO_IANA.get(name, name)
    return found if known_zone(found) is not None else None


def _clock(value: str | None) -> time | None:
    """Graph's "08:30:00.0000000" as a time of day (None when unreadable)."""
    if not value:
        return None
    try:
        return time.fromisoformat(value[:8])
    except ValueError:
        return None


def graph_working_hours(
    hours: Mapping[str, object], mailbox_zone: str, today: date
) -> dict[str, object] | None:
    """mailboxSettings.workingHours as `{"start", "end", "days"}` in `mailbox_zone` (local
    "HH:MM", ISO weekdays); None when unreadable, empty, or crossing midnight there.

    Hours kept in another zone than the mailbox's are moved to it as on `today` (directory
    rounds run hourly, so a daylight-saving change is followed)."""
    start, end = _clock(text(hours, "startTime")), _clock(text(hours, "endTime"))
    days = sorted(
        {
            ISO_WEEKDAYS[d.lower()]
            for d in texts(hours, "daysOfWeek", 7)
            if d.lower() in ISO_WEEKDAYS
        }
    )
    if start is None or end is None or not days or end <= start:
        return None
    zone = mapping(hours, "timeZone")
    named = text(zone, "name") if zone else None
    source = iana_zone(named) if named else mailbox_zone
    if source is None:
        return None  # a custom zone (bias and transitions) we do not model: the policy's hours
    if source != mailbox_zone:
        there, here = ZoneInfo(source), ZoneInfo(mailbox_zone)
        moved_start = datetime.combine(today, start, there).astimezone(here)
        moved_end = datetime.combine(today, end, there).astimezone(here)
        if moved_end.date() != moved_start.date():
            return None
        shift = (moved_start.date() - today).days
        days = sorted({(day - 1 + shift) % 7 + 1 for day in days})
        start, end = moved_start.time(), moved_end.time()
    return {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"), "days": days}


def aliases_of(user: Mapping[str, object], email: str) -> tuple[str, ...]:
    """Secondary SMTP addresses from proxyAddresses (and the UPN when it differs)."""
    found: set[str] = set()
    for entry in texts(user, "proxyAddresses", MAX_ALIASES):
        kind, _, address = entry.partition(":")
        if kind.lower() == "smtp":
            normal = normalise_email(address)
            if normal is not None:
                found.add(normal)
    upn = normalise_email(text(user, "userPrincipalName"))
    if upn is not None and "#ext#" not in upn:
        found.add(upn)
    found.discard(email)
    return tuple(sorted(found))


async def _collection(
    client: GraphClient, account: MicrosoftAccount, link: str
) -> list[Mapping[str, object]]:
    items: list[Mapping[str, object]] = []
    next_link: str | None = link
    for _ in range(MAX_PAGES):
        if next_link is None:
            return items
        answer = await client.call(account, Request(next_link), what="directory")
        value = answer.body.get("value")
        items += [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
        next_link = text(answer.body, "@odata.nextLink")
    raise ProviderUnavailable(f"more than {MAX_PAGES} directory pages: stopped reading")


async def _groups(
    client: GraphClient, account: MicrosoftAccount, known: set[str]
) -> dict[str, list[str]]:
    """Each known user id's group names."""
    groups: dict[str, list[str]] = {}
    for group in await _collection(client, account, "groups?$select=id,displayName&$top=999"):
        group_id, name = text(group, "id"), text(group, "displayName")
        if group_id is None or name is None:
            continue
        members = await _collection(
            client, account, f"groups/{quote(group_id)}/members?$select=id&$top=999"
        )
        for member in members:
            member_id = text(member, "id")
            if member_id in known:
                groups.setdefault(member_id, []).append(name)
    return groups


async def read_directory(
    client: GraphClient, account: MicrosoftAccount, today: date | None = None
) -> GraphDirectory:
    """Everybody with a mailbox, their aliases, manager, groups, time zone and working hours
    (`today`, UTC by default, places hours kept in another zone than the mailbox's)."""
    directory = GraphDirectory()
    today = today or datetime.now(UTC).date()
    calls = client.calls
    users = await _collection(client, account, f"users?$select={USER_FIELDS}&$top=999")
    by_id: dict[str, DirectoryPerson] = {}
    for user in users:
        email = normalise_email(text(user, "mail"))
        user_id = text(user, "id")
        if email is None or user_id is None:
            continue  # no Exchange mailbox: no calendar to read
        by_id[user_id] = DirectoryPerson(
            email=email, name=text(user, "displayName"), aliases=aliases_of(user, email),
            active=flag(user, "accountEnabled") if "accountEnabled" in user else True,
        )  # fmt: skip
    groups = await _groups(client, account, set(by_id))
    ids = sorted(by_id)
    asks = [Request(f"users/{quote(i)}/manager?$select=id,mail") for i in ids]
    asks += [Request(f"users/{quote(i)}/mailboxSettings") for i in ids]
    answers = await client.batch(account, asks)
    managers, settings = answers[: len(ids)], answers[len(ids) :]
    for user_id, manager, setting in zip(ids, managers, settings, strict=True):
        person = by_id[user_id]
        manager_email = None
        if isinstance(manager, MailboxUnavailable):
            manager_email = None  # 404: nobody is this user's manager
        elif isinstance(manager, ConnectorError):
            raise manager
        else:
            manager_email = normalise_email(text(manager.body, "mail"))
        if not isinstance(setting, ConnectorError):
            zone = iana_zone(text(setting.body, "timeZone"))
            if zone is not None:
                directory.zones[person.email] = zone
            raw = mapping(setting.body, "workingHours")
            hours = graph_working_hours(raw, zone or "UTC", today) if raw else None
            if hours is not None:
                directory.working_hours[person.email] = hours
        directory.people.append(
            DirectoryPerson(
                person.email,
                person.name,
                person.aliases,
                manager_email,
                tuple(sorted(groups.get(user_id, ()))),
                person.active,
            )
        )
    directory.requests = client.calls - calls
    return directory
