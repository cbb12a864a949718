"""People import: the CSV row parser (pure, with hypothesis) and the upsert on both backends."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.email import MaildirOutbox
from service.pipeline.people_import import (
    COLUMNS,
    ImportRow,
    PeopleFileError,
    decode_people_file,
    import_people,
    is_address,
    parse_people_csv,
)
from service.runtime import Runtime
from service.storage import Database, PeopleRepository, PersonIn
from tests.fixtures.pipeline import runtime

HEADER = ",".join(COLUMNS) + "\n"


def _csv(*lines: str) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


def _rt(database: Database, tmp_path: Path) -> Runtime:
    return runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)


# --- the address check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["ana@example.com", "a.b+tag@sub.example.co.uk", "o'neil@example.ie", "x_1@a-b.example"],
)
def test_is_address_accepts_plain_addr_spec(text: str) -> None:
    assert is_address(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ana",
        "ana@",
        "@example.com",
        "ana@localhost",
        "Ana <ana@example.com>",
        "ana@example.com, ben@example.com",
        "ana@example.com;ben@example.com",
        "mailto:ana@example.com",
        "ana..b@example.com",
        ".ana@example.com",
        "ana@-example.com",
        "ana@example..com",
        '"ana b"@example.com',
        "ana b@example.com",
        "ana@example.com\n",
        "anä@example.com",
        "ana@exämple.com",
        "ana@[127.0.0.1]",
        "a" * 65 + "@example.com",
    ],
)
def test_is_address_rejects_anything_else(text: str) -> None:
    assert not is_address(text)


# --- the pure parser ---------------------------------------------------------------------------


def test_parse_people_full_row() -> None:
    parsed = parse_people_csv(
        _csv(
            "Ana@Example.com,Ana López,Europe/Madrid,Boss@example.com,Product; Leads;product,"
            "ana.l@example.com; ANA@example.com"
        )
    )
    assert parsed.rejected == ()
    assert parsed.rows == (
        ImportRow(
            line=2,
            email="ana@example.com",
            name="Ana López",
            time_zone="Europe/Madrid",
            manager_email="boss@example.com",
            groups=("Product", "Leads", "product"),
            aliases=("ana.l@example.com",),
        ),
    )
    assert parsed.mentioned == {"ana@example.com"}


def test_parse_people_columns_in_any_order_only_email_required() -> None:
    parsed = parse_people_csv("time_zone , EMAIL\nAsia/Tokyo,ken@example.com\n")
    assert parsed.rows == (ImportRow(line=2, email="ken@example.com", time_zone="Asia/Tokyo"),)


def test_parse_people_bad_rows_reported_by_line_others_kept() -> None:
    parsed = parse_people_csv(
        _csv(
            "ana@example.com,Ana,Europe/London,,,",
            "not an address,X,,,,",
            '"Ben <ben@example.com>",Ben,,,,',
            "cat@example.com,Cat,Mars/Olympus,,,",
            "",
            "ana@example.com,Ana again,,,,",
            "dan@example.com,Dan,,not-a-manager,,",
            "eve@example.com,Eve,,,,bad alias",
            "fay@example.com,Fay,,,,,extra",
        )
    )
    assert [row.email for row in parsed.rows] == ["ana@example.com"]
    reasons = {r.line: r.reason for r in parsed.rejected}
    assert sorted(reasons) == [3, 4, 5, 7, 8, 9, 10]
    assert "not a valid email address" in reasons[3]
    assert "'Ben <ben@example.com>'" in reasons[4]
    assert "unknown time zone 'Mars/Olympus'" in reasons[5]
    assert reasons[7] == "duplicate of line 2"
    assert "manager_email" in reasons[8]
    assert "alias 'bad alias'" in reasons[9]
    assert "7 fields" in reasons[10]
    # A rejected row still mentions its person: a full import does not deactivate them.
    assert parsed.mentioned == {
        "ana@example.com",
        "cat@example.com",
        "dan@example.com",
        "eve@example.com",
        "fay@example.com",
    }


def test_parse_people_alias_of_someone_else_rejected() -> None:
    parsed = parse_people_csv(
        _csv(
            "ana@example.com,Ana,,,,ben@example.com",
            "ben@example.com,Ben,,,,shared@example.com",
            "cat@example.com,Cat,,,,shared@example.com",
            "dan@example.com,Dan,,,,dan@example.com;dan.d@example.com",
        )
    )
    assert [row.email for row in parsed.rows] == ["ben@example.com", "dan@example.com"]
    assert parsed.rows[1].aliases == ("dan.d@example.com",)
    reasons = {r.line: r.reason for r in parsed.rejected}
    assert reasons[2] == "alias 'ben@example.com' is the address of the person on line 3"
    assert reasons[4] == "alias 'shared@example.com' is already an alias on line 3"


def test_parse_people_quoted_multiline_cell_keeps_line_numbers() -> None:
    parsed = parse_people_csv(
        _csv('ana@example.com,"Ana\nLópez",,,,', "bad,,,,,", "ben@example.com,Ben,,,,")
    )
    assert [r.line for r in parsed.rejected] == [4]
    assert [row.line for row in parsed.rows] == [2, 5]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        (HEADER, "no people"),
        ("name,time_zone\nAna,UTC\n", "no 'email' column"),
        ("email,timezone\nana@example.com,UTC\n", "unknown column 'timezone'"),
        ("email,name,email\na@example.com,A,b@example.com\n", "appears twice"),
        ('email,name\nana@example.com,"unclosed\n', "not valid CSV"),
        ("email\x00,name\n", "unknown column"),
    ],
)
def test_parse_people_unusable_file_raises(text: str, message: str) -> None:
    with pytest.raises(PeopleFileError, match=message):
        parse_people_csv(text)


def test_decode_people_file_bom_and_not_utf8() -> None:
    assert decode_people_file("\ufeffemail\n".encode()) == "email\n"
    with pytest.raises(PeopleFileError, match="not UTF-8"):
        decode_people_file(b"email\nana\xff@example.com\n")


_local = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,5})?", fullmatch=True)
_domain = st.from_regex(r"[a-z]{1,8}\.(com|org|example)", fullmatch=True)
_address = st.builds(lambda local, domain: f"{local}@{domain}", _local, _domain)
_cell_text = st.text(
    st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters=";"), max_size=20
).map(str.strip)
_zone = st.sampled_from(["", "UTC", "Europe/London", "Asia/Kolkata", "America/New_York"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(_address, _cell_text, _zone, st.lists(_cell_text.filter(bool), max_size=3)),
        min_size=1,
        max_size=8,
        unique_by=lambda person: person[0],
    )
)
def test_parse_people_round_trips_what_csv_writer_wrote(
    people: list[tuple[str, str, str, list[str]]],
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for email, name, zone, groups in people:
        writer.writerow([email, name, zone, "", ";".join(groups), ""])
    parsed = parse_people_csv(out.getvalue())
    assert [r.email for r in parsed.rows] == [p[0] for p in people]
    for row, (_, name, zone, groups) in zip(parsed.rows, people, strict=True):
        assert row.name == (name or None)
        assert row.time_zone == (zone or None)
        assert row.groups == tuple(dict.fromkeys(groups))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_people_any_text_parses_or_says_why(text: str) -> None:
    try:
        parsed = parse_people_csv(text)
    except PeopleFileError as exc:
        problem = str(exc)
        assert problem, "a file error always says why"
        return
    lines = text.count("\n") + text.count("\r") + 1
    for rejected in parsed.rejected:
        assert 2 <= rejected.line <= lines + 1
        assert rejected.reason
    assert all(is_address(row.email) for row in parsed.rows)
    assert len({row.email for row in parsed.rows}) == len(parsed.rows)


# --- the import, on both backends --------------------------------------------------------------


async def _people(database: Database, tenant_id: int) -> dict[str, tuple[object, ...]]:
    async with database.session() as session:
        return {
            p.email: (p.name, p.timezone, p.team, p.groups, p.aliases, p.manager_email, p.active)
            async for p in PeopleRepository(session, tenant_id).iter_all()
        }


async def test_import_people_creates_updates_and_is_idempotent(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = _rt(database, tmp_path)
    parsed = parse_people_csv(
        _csv(
            "ana@example.com,Ana,Europe/Madrid,,product;leads,ana.l@example.com",
            "ben@example.com,Ben,,ana@example.com,,",
        )
    )
    first = await import_people(rt, tenant_id, parsed, "Europe/London")
    assert first.summary() == {
        "created": 2, "updated": 0, "unchanged": 0, "deactivated": 0, "rejected": 0,
    }  # fmt: skip
    people = await _people(database, tenant_id)
    assert people["ana@example.com"] == (
        "Ana", "Europe/Madrid", "product", ("product", "leads"), ("ana.l@example.com",), None, True,
    )  # fmt: skip
    assert people["ben@example.com"] == (
        "Ben", "Europe/London", None, (), (), "ana@example.com", True,
    )  # fmt: skip
    again = await import_people(rt, tenant_id, parsed, "Europe/London")
    assert again.summary()["unchanged"] == 2
    assert await _people(database, tenant_id) == people


async def test_import_people_empty_name_and_zone_keep_stored(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = _rt(database, tmp_path)
    async with database.session() as session:
        await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn("ana@example.com", name="Ana", timezone="Asia/Tokyo")]
        )
        await session.commit()
    outcome = await import_people(
        rt, tenant_id, parse_people_csv(_csv("ana@example.com,,,,eng,")), "UTC"
    )
    assert (outcome.updated, outcome.created) == (1, 0)
    name, zone, team, *_ = (await _people(database, tenant_id))["ana@example.com"]
    assert (name, zone, team) == ("Ana", "Asia/Tokyo", "eng")


async def test_import_people_full_deactivates_missing_then_back(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = _rt(database, tmp_path)
    everyone = _csv("ana@example.com,,,,,", "ben@example.com,,,,,", "cat@example.com,,,,,")
    await import_people(rt, tenant_id, parse_people_csv(everyone), "UTC")
    # Ben is gone from the directory; Cat's row is bad this time but still names her.
    later = _csv("ana@example.com,,,,,", "cat@example.com,,Nowhere/Land,,,")
    outcome = await import_people(rt, tenant_id, parse_people_csv(later), "UTC")
    assert (outcome.deactivated, len(outcome.rejected)) == (1, 1)
    active = {email: row[-1] for email, row in (await _people(database, tenant_id)).items()}
    assert active == {"ana@example.com": True, "ben@example.com": False, "cat@example.com": True}
    # A partial import deactivates nobody; Ben back in a full import is active again.
    partial = await import_people(
        rt, tenant_id, parse_people_csv(_csv("dan@example.com,,,,,")), "UTC", full=False
    )
    assert (partial.created, partial.deactivated) == (1, 0)
    back = await import_people(rt, tenant_id, parse_people_csv(everyone), "UTC")
    assert (back.updated, back.deactivated) == (1, 1)  # Ben back; Dan not in the file
    active = {email: row[-1] for email, row in (await _people(database, tenant_id)).items()}
    assert active["ben@example.com"] is True
    assert active["dan@example.com"] is False


async def test_import_people_alias_of_stored_person_rejected(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = _rt(database, tmp_path)
    await import_people(rt, tenant_id, parse_people_csv(_csv("ben@example.com,,,,,")), "UTC")
    parsed = parse_people_csv(_csv("ana@example.com,,,,,ben@example.com", "cat@example.com,,,,,"))
    outcome = await import_people(rt, tenant_id, parsed, "UTC", full=False)
    assert outcome.created == 1
    assert [(r.line, r.reason) for r in outcome.rejected] == [
        (2, "alias 'ben@example.com' is the address of another person of this tenant")
    ]
    assert "ana@example.com" not in await _people(database, tenant_id)


async def test_import_people_other_tenant_untouched(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    from service.storage import TenantRepository

    rt = _rt(database, tmp_path)
    async with database.transaction() as session:
        other = await TenantRepository(session).get_or_create(f"other-{tenant_id}", "Other")
    await import_people(rt, other.id, parse_people_csv(_csv("zed@example.com,,,,,")), "UTC")
    await import_people(rt, tenant_id, parse_people_csv(_csv("ana@example.com,,,,,")), "UTC")
    assert list(await _people(database, other.id)) == ["zed@example.com"]
    assert (await _people(database, other.id))["zed@example.com"][-1] is True
