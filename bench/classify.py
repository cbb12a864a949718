"""Benchmark: json.loads + normalise + classify, against json.loads alone, on one core.

Builds a realistic mix of provider payloads in memory (Google Calendar events with Meet or
add-on conference data, Graph events with 5-20 KB Outlook HTML bodies for Teams and Zoom,
and invitations imported from .ics mail: plain-text bodies with phone bridges, addresses and
rooms), serialises each to a JSON string, then times in CPU seconds, over several rounds with
the passes alternating within each round, and reports medians (of the per-round ratios too):

- json.loads only (the floor: the same bytes must be parsed anyway);
- json.loads + the connector's normaliser;
- json.loads + normaliser + classify (what the pipeline does per event);
- classify alone on already-normalised meetings.

The last line is machine-readable: RESULT {"events_per_s": ..., "ratio_to_json_loads": ...}.

    .venv/bin/python bench/classify.py            # 20,000 events, 7 rounds
    .venv/bin/python bench/classify.py --quick    # 4,000 events, 5 rounds (well under 2 min)
    .venv/bin/python bench/classify.py --profile  # cProfile of the classify pass, top 25

Target (docs/performance.md): at least 15,000 events/s on one core for the full pass.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrations.google.normalise import normalise_event as google_event
from integrations.microsoft.normalise import normalise_event as graph_event
from service.domain.classify import classify
from service.domain.model import Meeting

Normaliser = Callable[[Mapping[str, object], str], object]
OWNER = "sam@northwind.example"
PEOPLE = [f"{name}@northwind.example" for name in (
    "ana.lima", "ben.ode", "chen.wu", "dia.roy", "eli.sato", "fay.noor", "gus.berg", "hana.ito",
    "ivo.kral", "jun.park", "kim.vos", "lou.diaz", "mo.haddad", "nia.okafor", "oli.ross",
)] + ["partner@fabrikam.com", "rita@contoso.com", "eng-all@northwind.example"]  # fmt: skip
ROOMS = ["Board Room 4", "Lisbon 1.02", "Orca (8) [TV]", "Focus Room 1", "Auditorium"]
AGENDA = (
    '<p style="margin:0;font-family:Calibri,sans-serif;font-size:11pt">{}</p>',
    "Review the numbers from last quarter and agree the next steps for the launch plan.",
    "Bring your notes on customer feedback; we will go through the open questions one by one.",
    "Decisions needed: owner for the migration, date for the beta, budget for the offsite.",
)


def _teams_html(rng: random.Random, size: int) -> str:
    join = (
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_"
        f"{rng.getrandbits(96):024x}%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf%22%7d"
    )
    block = (
        '<div style="width:100%"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36">'
        + "_" * 80
        + '</span></div><div class="me-email-text" lang="en-US" style="color:#252424;'
        "font-family:'Segoe UI','Helvetica Neue',Helvetica,Arial,sans-serif\">"
        '<div style="margin-top:24px;margin-bottom:20px"><span style="font-size:24px">'
        'Microsoft Teams meeting</span></div><div style="margin-bottom:20px"><div>'
        f'<a class="me-email-headline" href="{join}" target="_blank" rel="noreferrer noopener" '
        'style="font-size:14px;text-decoration:underline;color:#6264a7">Join the meeting now</a>'
        "</div><div>Meeting ID: 254 316 589 417</div><div>Passcode: Xp7Tq2</div></div>"
        '<div style="margin-bottom:20px"><span>Dial in by phone</span><div>'
        '<a href="tel:+13235550166,,872345109#">+1 323-555-0166,,872345109#</a> United States'
        "</div><div>Phone conference ID: 872 345 109#</div></div>"
        '<div><a href="https://aka.ms/JoinTeamsMeeting">Learn more</a> | '
        '<a href="https://teams.microsoft.com/meetingOptions/?organizerId=a1">Meeting options</a>'
        "</div></div>"
    )
    return _html_page(rng, size, block)


def _zoom_html(rng: random.Random, size: int) -> str:
    mid = str(rng.randrange(10**10, 10**11))
    block = (
        "<div>Sam Lee is inviting you to a scheduled Zoom meeting.</div><div><br></div>"
        f'<div>Join Zoom Meeting<br><a href="https://northwind.zoom.us/j/{mid}?pwd=Q2Z4dFZ0&amp;'
        f'from=addon">https://northwind.zoom.us/j/{mid}?pwd=Q2Z4dFZ0</a></div>'
        f"<div>Meeting ID: {mid[:3]} {mid[3:7]} {mid[7:]}<br>Passcode: 710224</div>"
        f"<div>One tap mobile<br>+16465588656,,{mid}#,,,,*710224# US (New York)</div>"
        "<div>Dial by your location<br>&bull; +1 646 558 8656 US (New York)<br>"
        "&bull; +44 203 481 5237 United Kingdom</div>"
        '<div>Find your local number: <a href="https://northwind.zoom.us/u/adxyz">link</a></div>'
    )
    return _html_page(rng, size, block)


def _html_page(rng: random.Random, size: int, block: str) -> str:
    head = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "<style>p.MsoNormal,li.MsoNormal{margin:0cm;font-size:11.0pt;font-family:Calibri}</style>"
        '</head><body lang=EN-US link="#0563C1" vlink="#954F72"><div class=WordSection1>'
    )
    parts = [head]
    length = len(head) + len(block)
    while length < size:
        paragraph = AGENDA[0].format(rng.choice(AGENDA[1:]))
        parts.append(paragraph)
        length += len(paragraph)
    parts.append(block)
    parts.append("</div></body></html>")
    return "".join(parts)


def _when(rng: random.Random) -> tuple[str, str]:
    day = rng.randrange(1, 28)
    hour = rng.randrange(7, 18)
    return f"2026-12-{day:02d}T{hour:02d}:00:00", f"2026-12-{day:02d}T{hour:02d}:45:00"


def _guests(rng: random.Random, count: int) -> list[str]:
    return [OWNER, *rng.sample(PEOPLE, count)]


def graph_payload(rng: random.Random, index: int) -> dict[str, object]:
    """A Graph event: Teams or Zoom, HTML body of 5-20 KB, some with a room."""
    start, end = _when(rng)
    teams = rng.random() < 0.7
    size = rng.randrange(5_000, 20_000)
    guests = _guests(rng, rng.choice((1, 1, 2, 3, 5, 8)))
    attendees: list[dict[str, object]] = [
        {
            "type": "required",
            "status": {"response": rng.choice(("accepted", "tentativelyAccepted", "none"))},
            "emailAddress": {"name": g.partition("@")[0], "address": g},
        }
        for g in guests
    ]
    body = (_teams_html if teams else _zoom_html)(rng, size)
    room = rng.random() < 0.25
    location = rng.choice(ROOMS) if room else ("Microsoft Teams Meeting" if teams else "")
    if room:
        attendees.append(
            {"type": "resource", "status": {"response": "accepted"},
             "emailAddress": {"name": location, "address": "room-4@northwind.example"}}
        )  # fmt: skip
    payload: dict[str, object] = {
        "id": f"AAMkAG{index:08d}",
        "iCalUId": f"040000008200E00074C5B7101A82E008{index:016X}",
        "subject": "Planning",
        "isAllDay": False,
        "isCancelled": False,
        "isOrganizer": rng.random() < 0.3,
        "showAs": "busy",
        "type": rng.choice(("singleInstance", "occurrence")),
        "start": {"dateTime": start + ".0000000", "timeZone": "UTC"},
        "end": {"dateTime": end + ".0000000", "timeZone": "UTC"},
        "location": {"displayName": location},
        "locations": [{"displayName": location}] if location else [],
        "organizer": {"emailAddress": {"name": "Ana", "address": guests[1]}},
        "attendees": attendees,
        "body": {"contentType": "html", "content": body},
        "isOnlineMeeting": teams,
        "onlineMeetingProvider": "teamsForBusiness" if teams else "unknown",
    }
    if teams:
        payload["onlineMeeting"] = {
            "joinUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0",
            "conferenceId": "872345109",
            "tollNumber": "+1 323-555-0166",
        }
    return payload


def google_payload(rng: random.Random, index: int) -> dict[str, object]:
    """A Google event: Meet conference data or the Zoom add-on, short text description."""
    start, end = _when(rng)
    guests = _guests(rng, rng.choice((1, 1, 2, 4, 6)))
    attendees: list[dict[str, object]] = [
        {"email": g, "responseStatus": rng.choice(("accepted", "needsAction", "tentative")),
         **({"self": True} if g == OWNER else {})}
        for g in guests
    ]  # fmt: skip
    if rng.random() < 0.2:
        attendees.append(
            {"email": "c_1883abc@resource.calendar.google.com", "displayName": "LIS-3-Orca (8)",
             "resource": True, "responseStatus": "accepted"}
        )  # fmt: skip
    meet = rng.random() < 0.75
    code = f"{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-{rng.getrandbits(12):03x}"
    payload: dict[str, object] = {
        "kind": "calendar#event",
        "id": f"g{index:010d}",
        "iCalUID": f"g{index:010d}@google.com",
        "status": "confirmed",
        "summary": "Weekly sync",
        "description": rng.choice(AGENDA[1:]),
        "start": {"dateTime": start + "Z", "timeZone": "Europe/Lisbon"},
        "end": {"dateTime": end + "Z", "timeZone": "Europe/Lisbon"},
        "organizer": {"email": guests[1]},
        "attendees": attendees,
        "eventType": "default",
    }
    if meet:
        payload["hangoutLink"] = f"https://meet.google.com/{code}"
        payload["conferenceData"] = {
            "entryPoints": [
                {"entryPointType": "video", "uri": f"https://meet.google.com/{code}",
                 "label": f"meet.google.com/{code}"},
                {"entryPointType": "phone", "uri": "tel:+1-470-555-0193", "pin": "302118441"},
                {"entryPointType": "more", "uri": "https://tel.meet/abc?pin=3021"},
            ],
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
            "conferenceId": code,
        }  # fmt: skip
    else:
        payload["conferenceData"] = {
            "entryPoints": [
                {"entryPointType": "video", "uri": "https://northwind.zoom.us/j/94712345678",
                 "passcode": "710224"},
            ],
            "conferenceSolution": {"key": {"type": "addOn"}, "name": "Zoom Meeting"},
        }  # fmt: skip
    return payload


def imported_payload(rng: random.Random, index: int) -> dict[str, object]:
    """An invitation that came in as .ics mail (Google shape): plain text, no conference data."""
    start, end = _when(rng)
    guests = _guests(rng, rng.choice((1, 2, 3)))
    kind = rng.random()
    if kind < 0.35:
        location, body = "", "Dial-in: +44 20 3855 4748\nPIN: 8812 4490#\n\nThanks"
    elif kind < 0.7:
        location, body = "221B Baker Street, London NW1 6XE", "Lunch and a walk through the plan."
    else:
        location = "Webex"
        body = (
            "When it's time, join your Webex meeting here.\n\nMeeting number (access code): "
            "2661 123 4567\n\nJoin meeting <https://fabrikam.webex.com/fabrikam/j.php?MTID=m8d1>\n"
            "Join by phone\n+1-415-655-0001 United States Toll\n"
        )
    return {
        "id": f"i{index:010d}",
        "iCalUID": f"{index:010d}-import@fabrikam.com",
        "status": "confirmed",
        "summary": "Invitation",
        "location": location,
        "description": body,
        "start": {"dateTime": start + "Z"},
        "end": {"dateTime": end + "Z"},
        "organizer": {"email": "partner@fabrikam.com"},
        "attendees": [{"email": g, "responseStatus": "needsAction"} for g in guests],
    }


def build(count: int, seed: int = 7) -> list[tuple[Normaliser, str]]:
    """`count` (normaliser, JSON string) pairs: 40% Graph, 35% Google, 25% imported .ics."""
    rng = random.Random(seed)
    items: list[tuple[Normaliser, str]] = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.40:
            items.append((graph_event, json.dumps(graph_payload(rng, index))))
        elif roll < 0.75:
            items.append((google_event, json.dumps(google_payload(rng, index))))
        else:
            items.append((google_event, json.dumps(imported_payload(rng, index))))
    return items


def _cpu(work: Callable[[], object]) -> float:
    gc.collect()
    began = time.process_time()
    work()
    return time.process_time() - began


def _rounds(rounds: int, passes: list[Callable[[], object]]) -> list[list[float]]:
    """CPU seconds of each pass in each round; the passes alternate within a round, so that
    a noisy neighbour slows them alike and the ratios between them stay meaningful."""
    return [[_cpu(work) for work in passes] for _ in range(rounds)]


def _pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity)"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a table, then the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4,000 events, 5 rounds")
    parser.add_argument("--events", type=int, default=None, help="number of events")
    parser.add_argument("--profile", action="store_true", help="cProfile the classify pass")
    args = parser.parse_args(argv)
    count = args.events or (4_000 if args.quick else 20_000)
    rounds = 5 if args.quick else 7
    where = _pin_one_core()
    items = build(count)
    texts = [text for _, text in items]
    size = sum(len(text) for text in texts)

    # Each pass binds what it calls to locals, so that the loop costs the same little in all
    # of them and the figures are the product code's.
    def loads_only(loads: Callable[[str], Mapping[str, object]] = json.loads) -> None:
        for text in texts:
            loads(text)

    def normalise_only(loads: Callable[[str], Mapping[str, object]] = json.loads) -> list[object]:
        return [normalise(loads(text), OWNER) for normalise, text in items]

    meetings = [m for m in normalise_only() if isinstance(m, Meeting)]

    def full(
        loads: Callable[[str], Mapping[str, object]] = json.loads,
        classify: Callable[[Meeting], object] = classify,
        meeting_type: type[Meeting] = Meeting,
        owner: str = OWNER,
    ) -> None:
        for normalise, text in items:
            meeting = normalise(loads(text), owner)
            if type(meeting) is meeting_type:
                classify(meeting)

    def classify_only(classify: Callable[[Meeting], object] = classify) -> None:
        for meeting in meetings:
            classify(meeting)

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(classify_only)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    full()  # warm the classifier's two memos once, as a running worker has them
    timings = _rounds(rounds, [loads_only, normalise_only, full, classify_only])
    print(
        f"{count} events ({len(meetings)} meetings), {size / count / 1024:.1f} KB JSON each on "
        f"average, median of {rounds} rounds (CPU time), {where}, Python {sys.version.split()[0]}"
    )
    print(f"{'pass':<40} {'events/s':>12} {'us/event':>9} {'x loads':>8}")
    labels = (
        "json.loads",
        "json.loads + normalise",
        "json.loads + normalise + classify",
        "classify only (normalised meetings)",
    )
    for column, label in enumerate(labels):
        seconds = statistics.median(row[column] for row in timings)
        ratio = statistics.median(row[column] / row[0] for row in timings)
        rate = count / seconds
        print(f"{label:<40} {rate:>12,.0f} {1e6 / rate:>9.1f} {ratio:>8.2f}")
    result = {
        "events_per_s": round(count / statistics.median(row[2] for row in timings)),
        "ratio_to_json_loads": round(statistics.median(row[2] / row[0] for row in timings), 2),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
