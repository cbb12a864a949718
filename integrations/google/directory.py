"""The organisation's people from the Admin SDK Directory API (as the install's admin).

`read_directory` lists the customer's users (pages of 500, the most `users.list` gives) with
their primary address, aliases (`aliases`, `nonEditableAliases` and the other `emails`), name,
manager (`relations` of type manager) and whether they can have a calendar (not suspended, not
archived), then the groups and their members. Time zones come from each person's Calendar
settings (`calendar_timezone`), asked by the caller only when needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from integrations.google.account import GoogleAccount
from integrations.google.client import GoogleApi, RequestFactory
from integrations.payload import flag, mapping, mappings, text, texts
from service.domain.model import normalise_email

USERS_PAGE = 500  # users.list maxResults at most
GROUPS_PAGE = 200
MAX_PAGES = 1_000
MAX_ALIASES = 50


@dataclass(frozen=True, slots=True)
class DirectoryPerson:
    """One user as the directory lists them (addresses lower-cased)."""

    email: str
    name: str | None = None
    aliases: tuple[str, ...] = ()
    manager_email: str | None = None
    groups: tuple[str, ...] = ()
    active: bool = True


@dataclass(slots=True)
class Directory:
    """Everybody the directory lists, and how many API pages it took."""

    people: list[DirectoryPerson] = field(default_factory=list)
    requests: int = 0


def read_user(user: Mapping[str, object]) -> DirectoryPerson | None:
    """One `User` resource; None without a usable primary address."""
    email = normalise_email(text(user, "primaryEmail"))
    if email is None:
        return None
    aliases = {normalise_email(a) for a in texts(user, "aliases", MAX_ALIASES)}
    aliases |= {normalise_email(a) for a in texts(user, "nonEditableAliases", MAX_ALIASES)}
    aliases |= {normalise_email(text(e, "address")) for e in mappings(user, "emails", MAX_ALIASES)}
    manager = next(
        (
            normalise_email(text(r, "value"))
            for r in mappings(user, "relations", MAX_ALIASES)
            if text(r, "type") == "manager"
        ),
        None,
    )
    return DirectoryPerson(
        email=email,
        name=text(mapping(user, "name"), "fullName"),
        aliases=tuple(sorted(a for a in aliases if a is not None and a != email)),
        manager_email=manager if manager != email else None,
        active=not flag(user, "suspended") and not flag(user, "archived"),
    )


async def _pages(
    api: GoogleApi,
    account: GoogleAccount,
    key: str,
    call: Callable[[str | None], RequestFactory],
    what: str,
) -> list[Mapping[str, object]]:
    """Every item of a paged Directory list (`call(page_token)` builds the request)."""
    found: list[Mapping[str, object]] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        answer = await api.execute(
            account,
            account.admin_email,
            call(token),
            what,
            directory=True,
        )
        found.extend(mappings(answer, key, 10_000))
        token = text(answer, "nextPageToken")
        if token is None:
            return found
    return found


async def read_directory(api: GoogleApi, account: GoogleAccount) -> Directory:
    """The customer's users with their groups (one admin-impersonating call per page)."""

    def users(token: str | None) -> RequestFactory:
        return lambda s: s.users().list(
            customer=account.customer, maxResults=USERS_PAGE, pageToken=token, orderBy="email"
        )

    def groups(token: str | None) -> RequestFactory:
        return lambda s: s.groups().list(
            customer=account.customer, maxResults=GROUPS_PAGE, pageToken=token
        )

    before = api.calls
    people = [
        p for u in await _pages(api, account, "users", users, "users.list") if (p := read_user(u))
    ]
    member_of: dict[str, list[str]] = {}
    for group in await _pages(api, account, "groups", groups, "groups.list"):
        group_email = normalise_email(text(group, "email"))
        group_key = text(group, "id") or group_email
        if group_email is None or group_key is None:
            continue

        def members(token: str | None, key: str = group_key) -> RequestFactory:
            return lambda s: s.members().list(groupKey=key, maxResults=GROUPS_PAGE, pageToken=token)

        for member in await _pages(api, account, "members", members, "members.list"):
            address = normalise_email(text(member, "email"))
            if address is not None and text(member, "type") in (None, "USER"):
                member_of.setdefault(address, []).append(group_email)
    directory = Directory(
        [
            DirectoryPerson(
                p.email,
                p.name,
                p.aliases,
                p.manager_email,
                tuple(sorted(member_of.get(p.email, ()))),
                p.active,
            )
            for p in people
        ]
    )
    directory.requests = api.calls - before
    return directory
