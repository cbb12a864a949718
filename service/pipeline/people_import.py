"""Import a tenant's people from a CSV export of the directory: parse (pure), then upsert.

The file has a header row naming its columns, in any order; only `email` is required:

    email,name,time_zone,manager_email,groups,aliases

`groups` and `aliases` are lists separated by `;`. The FIRST group is also the person's policy
group (their `team`): the group whose policy override (`rapport policy set --group G`) applies to
them. An empty `name` or `time_zone` keeps what is stored (a new person gets the installation's
default zone); the other columns say exactly what is stored (an empty `groups` clears them).

A bad row is rejected with its line number and reason, and every other row is imported: an
address that is not exactly one plain addr-spec (`ana@example.com`; no display name, no list,
no `mailto:`), an unknown time zone, a duplicate of an earlier row, an alias that is someone
else's address or alias. The upsert is idempotent. A full import (the default) makes everybody
the file does not mention inactive: no nudges, kept with their history, never deleted; a row
that is rejected still mentions its person. Someone who comes back in a later file is active
again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import structlog

from service.domain.zones import known_zone
from service.runtime import Runtime
from service.storage import PeopleRepository, PersonIn, PersonRow

log = structlog.get_logger(__name__)

COLUMNS = ("email", "name", "time_zone", "manager_email", "groups", "aliases")
LIST_SEPARATOR = ";"
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NAME = 200
MAX_GROUP = 100

# RFC 5321/5322 dot-atom addr-spec, ASCII only: no quoted local parts, no comments, no
# display names, no address literals. Strict on purpose: a directory holds plain addresses.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+")
MAX_ADDRESS = 254
MAX_LOCAL_PART = 64


class PeopleFileError(ValueError):
    """The whole file is unusable (not UTF-8, no header, unknown column, no people)."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One valid row: a person as the file describes them (addresses lower-cased)."""

    line: int
    email: str
    name: str | None = None
    time_zone: str | None = None
    manager_email: str | None = None
    groups: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that was not imported: where, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedPeople:
    """A parsed file: the valid rows, the rejected ones, every address a row names as its own."""

    rows: tuple[ImportRow, ...]
    rejected: tuple[Rejected, ...]
    mentioned: frozenset[str]


@dataclass(slots=True)
class ImportOutcome:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """The counts, for the command's summary line."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "rejected": len(self.rejected),
        }


class _RowProblem(Exception):
    """Why one row is rejected (caught per row, never leaves this module)."""


def is_address(text: str) -> bool:
    """True when `text` is exactly one plain addr-spec (`local@domain.tld`), nothing else."""
    if len(text) > MAX_ADDRESS or _ADDRESS.fullmatch(text) is None:
        return False
    return len(text.rpartition("@")[0]) <= MAX_LOCAL_PART


def decode_people_file(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (a byte-order mark is allowed), at most 20 MB."""
    if len(data) > MAX_FILE_BYTES:
        raise PeopleFileError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PeopleFileError(f"the file is not UTF-8 text (byte {exc.start})") from None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each CSV record; blank lines skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PeopleFileError(f"line {reader.line_num}: not valid CSV ({exc})") from None
        end = reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


def _header(cells: Sequence[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    expected = ",".join(COLUMNS)
    for name in names:
        if name not in COLUMNS:
            raise PeopleFileError(f"unknown column {name!r} in the header (columns: {expected})")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PeopleFileError(f"column {duplicates[0]!r} appears twice in the header")
    if "email" not in names:
        raise PeopleFileError(f"the header has no 'email' column (columns: {expected})")
    return names


def _address(text: str, what: str) -> str:
    value = text.strip()
    if not is_address(value):
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise _RowProblem(f"{what} {shown!r} is not a valid email address")
    return value.lower()


def _items(text: str) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()))


def _row(line: int, values: dict[str, str]) -> ImportRow:
    """One row's person; `_RowProblem` says why it cannot be imported."""
    email = _address(values.get("email", ""), "email")
    name = values.get("name", "").strip() or None
    if name is not None and len(name) > MAX_NAME:
        raise _RowProblem(f"name is longer than {MAX_NAME} characters")
    zone = values.get("time_zone", "").strip() or None
    if zone is not None and known_zone(zone) is None:
        raise _RowProblem(f"unknown time zone {zone!r} (use an IANA name such as Europe/Berlin)")
    manager_text = values.get("manager_email", "").strip()
    manager = _address(manager_text, "manager_email") if manager_text else None
    groups = _items(values.get("groups", ""))
    long_group = next((g for g in groups if len(g) > MAX_GROUP), None)
    if long_group is not None:
        raise _RowProblem(f"group {long_group[:20]!r}... is longer than {MAX_GROUP} characters")
    aliases = [_address(a, "alias") for a in _items(values.get("aliases", ""))]
    return ImportRow(
        line=line,
        email=email,
        name=name,
        time_zone=zone,
        manager_email=None if manager == email else manager,
        groups=tuple(groups),
        aliases=tuple(dict.fromkeys(a for a in aliases if a != email)),
    )


def _claim_aliases(
    rows: Sequence[ImportRow], owners: dict[str, int]
) -> tuple[list[ImportRow], list[Rejected]]:
    """Rows whose aliases are nobody's own address (`owners`: address -> line) or another
    row's alias; the others rejected."""
    alias_line: dict[str, int] = {}
    kept: list[ImportRow] = []
    rejected: list[Rejected] = []
    for row in rows:
        problem = None
        for alias in row.aliases:
            if alias in owners:
                problem = f"alias {alias!r} is the address of the person on line {owners[alias]}"
            elif alias in alias_line:
                problem = f"alias {alias!r} is already an alias on line {alias_line[alias]}"
            if problem:
                break
        if problem:
            rejected.append(Rejected(row.line, problem))
            continue
        alias_line.update(dict.fromkeys(row.aliases, row.line))
        kept.append(row)
    return kept, rejected


def parse_people_csv(text: str) -> ParsedPeople:
    """Parse a people CSV (pure): valid rows, rejected rows with reasons, addresses mentioned.

    `PeopleFileError` when the file as a whole is unusable: no header, an unknown or repeated
    column, no `email` column, no data rows, or broken CSV quoting.
    """
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise PeopleFileError(f"the file is empty: a header row is needed ({','.join(COLUMNS)})")
    names = _header(first[1])
    rows: list[ImportRow] = []
    rejected: list[Rejected] = []
    owners: dict[str, int] = {}  # every row's own address -> the first line that names it
    for line, cells in records:
        values = dict(zip(names, cells, strict=False))
        own = values.get("email", "").strip().lower()
        if is_address(own):
            if own in owners:
                rejected.append(Rejected(line, f"duplicate of line {owners[own]}"))
                continue
            owners[own] = line
        if len(cells) > len(names):
            reason = f"has {len(cells)} fields but the header has {len(names)}"
            rejected.append(Rejected(line, reason))
            continue
        try:
            rows.append(_row(line, values))
        except _RowProblem as problem:
            rejected.append(Rejected(line, str(problem)))
    if not rows and not rejected:
        raise PeopleFileError("the file has a header but no people")
    kept, clashes = _claim_aliases(rows, owners)
    return ParsedPeople(
        rows=tuple(kept),
        rejected=tuple(sorted([*rejected, *clashes], key=lambda r: r.line)),
        mentioned=frozenset(owners),
    )


def _person(row: ImportRow, stored: PersonRow | None, default_zone: str) -> PersonIn:
    zone = row.time_zone or (stored.timezone if stored is not None else default_zone)
    name = row.name if row.name is not None else (stored.name if stored is not None else None)
    return PersonIn(
        email=row.email,
        name=name,
        timezone=zone,
        team=row.groups[0] if row.groups else None,
        aliases=row.aliases,
        manager_email=row.manager_email,
        groups=row.groups,
        active=True,
    )


def _changed(new: PersonIn, stored: PersonRow) -> bool:
    return (
        new.name != stored.name
        or new.timezone != stored.timezone
        or new.team != stored.team
        or sorted(new.aliases) != sorted(stored.aliases)
        or new.manager_email != stored.manager_email
        or tuple(new.groups) != tuple(stored.groups)
        or not stored.active
    )


async def import_people(
    rt: Runtime, tenant_id: int, parsed: ParsedPeople, default_zone: str, *, full: bool = True
) -> ImportOutcome:
    """Upsert the parsed rows into the tenant (one transaction); with `full`, make everybody
    the file does not mention inactive. Rows whose alias is the address of a stored person the
    file does not list are rejected too."""
    outcome = ImportOutcome(rejected=list(parsed.rejected))
    async with rt.db.session() as session:
        people = PeopleRepository(session, tenant_id)
        taken = await people.ids_for(a for row in parsed.rows for a in row.aliases)
        rows: list[ImportRow] = []
        for row in parsed.rows:
            clash = next((a for a in row.aliases if a in taken), None)
            if clash is None:
                rows.append(row)
            else:
                reason = f"alias {clash!r} is the address of another person of this tenant"
                outcome.rejected.append(Rejected(row.line, reason))
        stored = await people.by_emails(row.email for row in rows)
        incoming = [_person(row, stored.get(row.email), default_zone) for row in rows]
        for person in incoming:
            before = stored.get(person.email)
            if before is None:
                outcome.created += 1
            elif _changed(person, before):
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        await people.upsert_many(incoming)
        if full:
            active = await people.active_ids()
            gone = [pid for email, pid in active.items() if email not in parsed.mentioned]
            outcome.deactivated = await people.set_active(gone, False)
        await session.commit()
    outcome.rejected.sort(key=lambda r: r.line)
    log.info("people.imported", tenant_id=tenant_id, **outcome.summary())
    return outcome
