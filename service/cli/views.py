"""JSON-lines views for scripts and for checking: `rapport connections`, `rapport meetings`,
`rapport nudges`. One JSON object per line on stdout, streamed page by page (batched queries).

    connections  id, provider, person, status, message, last_sync
    meetings     ical_uid, start, end, title, cancelled, attendees, calendars, modality,
                 provider, hybrid, one_on_one, is_meeting, reasons
    nudges       id, kind, role, person, meeting_uid, title, due_at, state, sent_at, reason

Times are ISO 8601 in UTC. A connection's message never carries its secret URL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli.running import (
    BadInput,
    TenantOption,
    emit,
    parse_instant,
    reported,
    run,
    tenant_id_of,
)

if TYPE_CHECKING:
    from service.runtime import Runtime
    from service.storage.repositories.nudges import NudgeListing
    from service.storage.rows import CalendarRow, MeetingRow

MAX_MESSAGE = 200
PENDING_MESSAGE = "waiting for its first sync"
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC)


def _message(rt: Runtime, row: CalendarRow) -> str | None:
    """The connection's last error, scrubbed of its secret and cut short."""
    from service.pipeline.connections import scrub_secret

    text = row.last_error
    if not text:
        return PENDING_MESSAGE if row.status == "pending" else None
    token, box = row.credentials_encrypted, rt.secrets
    if token is not None and box is not None and box.opens(token):
        text = scrub_secret(text, box.decrypt(token))
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def connections(tenant: TenantOption) -> None:
    """List the tenant's calendar connections, one JSON line each.

    Fields: id, provider, person, status (pending, ok, error, auth_revoked, needs_attention),
    message (the last error, short, never a secret), last_sync (ISO 8601 UTC or null); a
    held-back Google connection also says when it was last re-probed (reprobe).
    """
    from service.cli.running import iso

    async def work(rt: Runtime) -> int:
        from service.storage import CalendarRepository

        tenant_id = await tenant_id_of(rt, tenant)
        push = await google_push(rt, tenant_id)  # Google connections: channel or poll only
        graph_push = await microsoft_push(rt, tenant_id)  # Microsoft: subscription or poll only
        async with rt.db.session() as session:
            async for row, email in CalendarRepository(session, tenant_id).iter_with_owner():
                record = {
                    "id": row.id,
                    "provider": row.provider,
                    "person": email,
                    "status": row.status,
                    "message": _message(rt, row),
                    "last_sync": iso(row.last_synced_at),
                }
                if row.provider == "google" and push is not None:
                    poll_only, held = push
                    record["push"] = poll_only or held.get(row.id, "no channel yet")
                if row.provider == "google" and row.status in ("auth_revoked", "needs_attention"):
                    tried = iso(row.probed_at)  # the slow re-probe (workers.google_probe)
                    record["reprobe"] = f"last tried {tried}" if tried else "not tried yet"
                if row.provider == "microsoft" and graph_push is not None:
                    poll_only, held = graph_push
                    record["push"] = poll_only or held.get(row.id, "no subscription yet")
                emit(record)
        return 0

    run("connections", work)


async def google_push(rt: Runtime, tenant_id: int) -> tuple[str | None, dict[int, str]] | None:
    """For Google connections: why they are polled only (None: push works) and each one's
    channel expiry; None without a Google install. Emits the install's own line first (the
    directory round's status)."""
    from service.cli.running import iso
    from service.pipeline.google import channels
    from service.storage.repositories.google import GoogleInstallRepository
    from workers.google import poll_only_reason
    from workers.google_quota import daily_quota

    async with rt.db.session() as session:
        install = await GoogleInstallRepository(session, tenant_id).get()
    if install is None:
        return None
    emit(
        {
            "id": None,
            "provider": "google",
            "person": install.admin_email,
            "kind": "directory",
            "status": install.status,
            "message": install.last_error,
            "last_sync": iso(install.directory_synced_at),
        }
    )
    quota = await daily_quota(rt, tenant_id)
    if quota is not None:  # the Cloud project's requests today; polling paused at the limit
        emit({"id": None, "provider": "google", "person": quota.project, "kind": "daily_requests",
              "status": quota.status, "message": quota.message, "last_sync": None})  # fmt: skip
    held = {
        channel.connection_id: f"channel until {iso(channel.expires_at)}"
        for channel, _ in await channels(rt, tenant_id)
    }
    return poll_only_reason(rt), held


async def microsoft_push(rt: Runtime, tenant_id: int) -> tuple[str | None, dict[int, str]] | None:
    """For Microsoft connections: why they are polled only (None: subscribed) and each one's
    subscription expiry; None without a Microsoft install. Emits the install's line first."""
    from service.cli.running import iso
    from service.pipeline.google import channels
    from service.pipeline.microsoft import microsoft_install
    from workers.microsoft import poll_only_reason

    loaded = await microsoft_install(rt, tenant_id)
    if loaded is None:
        return None
    install = loaded[0]
    emit(
        {
            "id": None,
            "provider": "microsoft",
            "person": install.directory_tenant,
            "kind": "directory",
            "status": install.status,
            "message": install.last_error,
            "last_sync": iso(install.directory_synced_at),
        }
    )
    held = {
        channel.connection_id: f"subscription until {iso(channel.expires_at)}"
        for channel, _ in await channels(rt, tenant_id)
    }
    return poll_only_reason(rt), held


def meeting_record(row: MeetingRow) -> dict[str, object]:
    """A stored meeting as `rapport meetings` prints it (classification as `rapport classify`)."""
    from service.cli.classify import classification_fields
    from service.cli.running import iso
    from service.domain.model import Classification, EventStatus, Modality

    got = Classification(
        modality=Modality(row.modality),
        provider=row.provider,
        hybrid=row.hybrid,
        one_on_one=row.one_on_one,
        is_meeting=row.is_meeting,
        reasons=row.reasons,
    )
    return {
        "ical_uid": row.ical_uid,
        "start": iso(row.start),
        "end": iso(row.end),
        "title": row.title,
        "cancelled": row.status == EventStatus.CANCELLED.value,
        "attendees": [p.email for p in row.participations],
        "calendars": [p.email for p in row.participations if p.in_calendar],
        **classification_fields(got),
    }


def meetings(
    tenant: TenantOption,
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            help="Only the meetings this person's own calendar shows (`calendars` lists them).",
        ),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Only meetings starting at or after this (ISO 8601, UTC)."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Only meetings starting before this (ISO 8601, UTC)."),
    ] = None,
) -> None:
    """List the tenant's stored meetings by start, one JSON line each.

    Fields: ical_uid, start, end (ISO 8601 UTC), title, cancelled, attendees (emails),
    calendars (emails of the people whose calendars show it), and the classification exactly
    as `rapport classify` prints it: modality, provider, hybrid, one_on_one, is_meeting,
    reasons. --from/--to take ISO 8601; a date alone means midnight UTC.
    """
    command = "meetings"
    with reported(command):
        start = EARLIEST if from_ is None else parse_instant(from_, "--from")
        end = LATEST if to is None else parse_instant(to, "--to")
        if end <= start:
            raise BadInput("--to must be after --from")

    async def work(rt: Runtime) -> int:
        from service.errors import NotFound
        from service.storage import MeetingRepository, PeopleRepository

        tenant_id = await tenant_id_of(rt, tenant)
        async with rt.db.session() as session:
            person_id = None
            if person is not None:
                found = await PeopleRepository(session, tenant_id).by_email(person)
                if found is None:
                    raise NotFound(f"no person {person!r} in this tenant (see `rapport people`)")
                person_id = found.id
            reads = MeetingRepository(session, tenant_id)
            async for row in reads.iter_upcoming(start, end, person_id=person_id):
                emit(meeting_record(row))
        return 0

    run(command, work)


def nudge_record(item: NudgeListing) -> dict[str, object]:
    """A nudge as `rapport nudges` prints it."""
    from service.cli.running import iso

    nudge = item.nudge
    return {
        "id": nudge.id,
        "kind": nudge.kind.value,
        "role": nudge.role.value,
        "person": item.person_email,
        "meeting_uid": item.meeting_uid,
        "title": item.meeting_title,
        "due_at": iso(nudge.due_at),
        "state": nudge.state,
        "sent_at": iso(nudge.sent_at),
        "reason": nudge.reason,
    }


def nudges(
    tenant: TenantOption,
    state: Annotated[
        str | None,
        typer.Option(
            "--state", help="Only nudges in this state: planned, sending, sent, cancelled, failed."
        ),
    ] = None,
) -> None:
    """List the tenant's nudges by due time, one JSON line each.

    Fields: id, kind, role, person, meeting_uid, title, due_at, state, sent_at, reason.
    """
    from service.storage import NudgeState

    command = "nudges"
    states = [s.value for s in NudgeState]
    wanted = None if state is None else state.strip().lower()
    with reported(command):
        if wanted is not None and wanted not in states:
            raise BadInput(f"--state {state!r} is not one of {', '.join(states)}")

    async def work(rt: Runtime) -> int:
        from service.storage import NudgeRepository

        tenant_id = await tenant_id_of(rt, tenant)
        async with rt.db.session() as session:
            async for item in NudgeRepository(session, tenant_id).iter_listing(wanted):
                emit(nudge_record(item))
        return 0

    run(command, work)
