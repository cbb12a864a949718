"""One-off meetings: the fortnight ahead, and the history behind the lapsed relationships."""

from __future__ import annotations

from scripts.samplegen.conferencing import (
    google_meet,
    phone_bridge,
    phone_call,
    teams,
    webex,
    zoom,
)
from scripts.samplegen.people import (
    BOARD_ROOM,
    BY_KEY,
    KOLKATA,
    LONDON,
    NEW_YORK,
    STUDIO_LOFT,
)
from scripts.samplegen.spec import Invite, Spec, people


def _ahead() -> list[Spec]:
    return [
        Spec(
            "q1-plan",
            'Q1 plan <b>&</b> "budget"',
            "oliver.grant",
            LONDON,
            0,
            "13:00",
            60,
            (
                *people("priya.shah", "dana.whitfield"),
                Invite("board_room", role="NON-PARTICIPANT"),
                Invite("projector", role="NON-PARTICIPANT"),
            ),
            location=BOARD_ROOM,
        ),
        Spec(
            "interview-designer",
            "Interview: Senior Product Designer (Jamie Chen)",
            "priya.shah",
            LONDON,
            1,
            "10:00",
            60,
            (*people("tom.bennett"), Invite("candidate")),
            google_meet("interview-designer"),
        ),
        Spec(
            "acme-kickoff",
            "Acme Logistics x Northwind: onboarding kickoff",
            "sam.rivera",
            NEW_YORK,
            1,
            "11:00",
            30,
            (*people("oliver.grant"), Invite("acme")),
            zoom("acme-kickoff", "Sam Rivera"),
        ),
        Spec(
            "security-review",
            "Security review: SSO rollout",
            "dana.whitfield",
            LONDON,
            2,
            "10:30",
            45,
            (Invite("arjun.mehta"), Invite("neha.rao", "TENTATIVE")),
            webex("security-review", "Dana Whitfield"),
        ),
        Spec(
            "vendor-call",
            "Call with Paperworks (print supplier)",
            "oliver.grant",
            LONDON,
            2,
            "11:30",
            30,
            people("fiona.walsh"),
            phone_call("+442079460123", "Paperworks will ring us; if not, call +44 20 7946 0123."),
        ),
        Spec(
            "offsite-planning",
            "Team offsite planning",
            "fiona.walsh",
            LONDON,
            2,
            "14:00",
            60,
            people("oliver.grant", "priya.shah"),
            location=BOARD_ROOM,
            status="CANCELLED",
        ),
        Spec(
            "coffee-priya-sam",
            "Coffee chat \u2615 Priya / Sam",
            "priya.shah",
            LONDON,
            3,
            "16:00",
            25,
            people("sam.rivera"),
            google_meet("coffee-priya-sam"),
        ),
        Spec(
            "quarter-numbers",
            "Quarter-end numbers (dial-in)",
            "neha.rao",
            KOLKATA,
            7,
            "14:00",
            30,
            (Invite("oliver.grant"), Invite("fiona.walsh", "NEEDS-ACTION")),
            phone_bridge("quarter-numbers", "tel"),
        ),
        Spec(
            "research-ops-catchup",
            "Research ops catch-up",
            "lucy.okafor",
            LONDON,
            8,
            "12:00",
            30,
            people("dana.whitfield"),
            google_meet("research-ops-catchup"),
        ),
        Spec(
            "pricing-followup",
            "Pricing & packaging; options, v2\nfollow-up",
            "oliver.grant",
            LONDON,
            9,
            "14:00",
            45,
            (Invite("priya.shah"), Invite("dana.whitfield", "NEEDS-ACTION")),
            teams("pricing-followup"),
        ),
        Spec(
            "brand-brainstorm",
            "Brand refresh brainstorm",
            "priya.shah",
            LONDON,
            10,
            "15:00",
            60,
            (
                *people("tom.bennett", "lucy.okafor"),
                Invite("marcus.lee", "DECLINED"),
                Invite("studio_loft", role="NON-PARTICIPANT"),
            ),
            google_meet("brand-brainstorm"),
            location=STUDIO_LOFT,
        ),
    ]


def _sessions(
    key: str,
    title: str,
    organizer: str,
    tz: str,
    days: tuple[int, ...],
    hhmm: str,
    guest: str,
    kind: str,
) -> list[Spec]:
    """Separate one-off working sessions of a pair (each its own event, as people book them)."""
    specs = []
    for number, day in enumerate(days, start=1):
        session = f"{key}-{number}"
        join = zoom(session, BY_KEY[organizer].name) if kind == "zoom" else google_meet(session)
        specs.append(Spec(session, title, organizer, tz, day, hhmm, 45, people(guest), join))
    return specs


def _history() -> list[Spec]:
    return [
        *_sessions(
            "pair-tom-sam",
            "Checkout redesign pairing",
            "tom.bennett",
            LONDON,
            (-21, -17, -13),
            "16:00",
            "sam.rivera",
            "zoom",
        ),
        *_sessions(
            "pair-lucy-neha",
            "Support research: ticket review",
            "lucy.okafor",
            LONDON,
            (-20, -18, -14),
            "10:15",
            "neha.rao",
            "meet",
        ),
        *_sessions(
            "pair-oliver-marcus",
            "Brand budget",
            "oliver.grant",
            LONDON,
            (-21, -18, -14),
            "16:00",
            "marcus.lee",
            "zoom",
        ),
        *_sessions(
            "pair-kavya-priya",
            "Accessibility audit review",
            "kavya.iyer",
            KOLKATA,
            (-19, -17, -13),
            "16:30",
            "priya.shah",
            "meet",
        ),
        Spec(
            "pair-tom-arjun",
            "Design tokens working session",
            "tom.bennett",
            LONDON,
            -19,
            "10:30",
            45,
            people("arjun.mehta"),
            google_meet("pair-tom-arjun"),
            weekdays=("MO", "WE", "FR"),
            until_day=-12,
        ),
        *_sessions(
            "research-ops",
            "Research ops planning",
            "lucy.okafor",
            LONDON,
            (-21, -18, -14),
            "12:00",
            "dana.whitfield",
            "meet",
        ),
        *_sessions(
            "illustrations",
            "Help centre illustrations review",
            "neha.rao",
            KOLKATA,
            (-13, -6, -3),
            "16:30",
            "tom.bennett",
            "meet",
        ),
        Spec(
            "christmas-lunch",
            "Northwind Christmas lunch \U0001f384",
            "oliver.grant",
            LONDON,
            -18,
            "12:30",
            120,
            people("priya.shah", "tom.bennett", "lucy.okafor", "dana.whitfield", "fiona.walsh"),
            location="The Eagle, 159 Farringdon Rd, London EC1R 3AL",
        ),
        Spec(
            "design-show-tell",
            "Design show & tell",
            "priya.shah",
            LONDON,
            -17,
            "14:00",
            45,
            (
                Invite("design_group", "NEEDS-ACTION"),
                *people("tom.bennett", "lucy.okafor", "marcus.lee"),
                Invite("oliver.grant", "TENTATIVE", "OPT-PARTICIPANT"),
            ),
            zoom("design-show-tell", "Priya Shah"),
        ),
    ]


def occasional() -> list[Spec]:
    """The one-off meetings of the sample."""
    return [*_ahead(), *_history()]
