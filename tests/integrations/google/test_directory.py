"""read_directory against the emulator: paged users, aliases, managers, groups, suspended."""

from __future__ import annotations

import asyncio

from integrations.google import GoogleAccount, GoogleApi, read_directory
from integrations.google.directory import read_user
from tests.emulators.google.fixtures import ADMIN, ANA, BEN, CAT, FAST
from tests.emulators.google.state import GoogleEmulator


async def _read(account: GoogleAccount) -> dict[str, object]:
    api = GoogleApi(FAST)
    try:
        async with asyncio.timeout(30):
            directory = await read_directory(api, account)
    finally:
        api.close()
    return {p.email: p for p in directory.people}


async def test_read_directory_people_aliases_manager_groups(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    google.users[CAT].suspended = True
    people = await _read(google_account)
    assert set(people) == {ADMIN, ANA, BEN, CAT}
    ana, cat = people[ANA], people[CAT]
    assert (ana.manager_email, ana.groups, ana.active) == (BEN, ("eng@example.com",), True)  # type: ignore[attr-defined]
    assert (cat.aliases, cat.active, cat.name) == (("catherine@example.com",), False, "Cat Chen")  # type: ignore[attr-defined]
    assert google.by_subject[("users.list", ADMIN)] == 1


async def test_read_directory_pages_past_five_hundred_users(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    for n in range(520):
        google.add_user(f"person{n:04d}@example.com", f"Person {n}")
    people = await _read(google_account)
    assert len(people) == 524
    assert google.requests["users.list"] == 2  # 500 a page, the most the API gives


def test_read_user_skips_bad_fields() -> None:
    person = read_user(
        {
            "primaryEmail": " Dee@Example.com ",
            "aliases": ["dee.d@example.com", 7],
            "emails": [{"address": "dee@example.com", "primary": True}, "junk"],
            "relations": [{"type": "assistant", "value": "x@example.com"}, {"type": "manager"}],
            "archived": True,
        }
    )
    assert person is not None
    assert (person.email, person.aliases, person.manager_email, person.active) == (
        "dee@example.com", ("dee.d@example.com",), None, False,
    )  # fmt: skip
    assert read_user({"name": {"fullName": "No Address"}}) is None
