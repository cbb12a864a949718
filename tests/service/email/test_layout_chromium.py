"""Every email lays out without sideways scrolling on a phone (375 px) and a laptop (900 px).

Rendered by the real templates and laid out by headless Chromium (the system's, never a
downloaded one): the page must be no wider than the viewport. Skipped where Chromium or the
Playwright dev extra is not installed.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import playwright.async_api
import pytest

from service.domain.nudges import VARIANT_STRIDE
from service.domain.vocabulary import NudgeKind, Role
from service.email import DailyBriefing, EmailRenderer, WeekAtAGlance, Welcome
from tests.fixtures.email_builders import PREFERENCES, UNSUBSCRIBE, contact, nudge, report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
WIDTHS = (375, 900)
LONG_TITLE = "Quarterly cross-functional roadmap alignment and prioritisation workshop (EMEA/APAC)"
LONG_NAME = "Maximiliana Wolfeschlegelsteinhausenbergerdorff"


def _emails() -> dict[str, str]:
    renderer = EmailRenderer()
    welcome = Welcome(organisation="Northwind Studio", contact="Dana Whitfield (People team)")
    found: dict[str, str] = {}
    for kind in NudgeKind:
        for role in Role:
            n = nudge(
                kind=kind, role=role, variant=3 * VARIANT_STRIDE + 5, meeting_title=LONG_TITLE,
                contact_name=LONG_NAME, last_met=datetime(2026, 11, 17, 9, tzinfo=UTC),
                welcome=welcome, modality="audio" if kind is NudgeKind.SWITCH_TO_VIDEO else "video",
                helpful_url=f"{PREFERENCES}&helpful=1", not_for_me_url=f"{PREFERENCES}&nfm=1",
                not_for_this_meeting_url=f"{PREFERENCES}&nftm=1", snooze_url=f"{PREFERENCES}&s=1",
            )  # fmt: skip
            found[f"nudge {kind.value} {role.value}"] = renderer.render_nudge(n).html
    items = tuple(
        nudge(kind=kind, meeting_title=LONG_TITLE, contact_name=LONG_NAME, role=Role.ORGANIZER)
        for kind in NudgeKind
    )
    briefing = DailyBriefing(
        briefing_id=1, recipient_email="ana@example.com", recipient_name=LONG_NAME,
        timezone="Europe/London", date=date(2026, 11, 24), items=items,
        reason="you chose one daily briefing instead of separate notes",
        preferences_url=PREFERENCES, unsubscribe_url=UNSUBSCRIBE, welcome=welcome,
    )  # fmt: skip
    found["briefing"] = renderer.render_briefing(briefing).html
    week = WeekAtAGlance(
        meetings_by_modality={"video": 31, "in_person": 4, "audio": 9, "unknown": 2},
        one_on_ones=6, one_on_one_with=(LONG_NAME, "Ben Okafor", "Cy Lee"), nudges_sent=12,
    )  # fmt: skip
    lapsed = tuple(contact(name, f"p{i}@example.com") for i, name in enumerate((LONG_NAME, "Ben")))
    found["report"] = renderer.render_report(report(lapsed=lapsed, week=week, welcome=welcome)).html
    return found


async def test_render_every_email_fits_375_and_900_px_without_scrolling() -> None:
    if not shutil.which(CHROMIUM):
        pytest.fail("no system Chromium: scripts/test installs it (apt-get install chromium)")
    emails = _emails()
    too_wide: list[str] = []
    async with playwright.async_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = await browser.new_page()
            for width in WIDTHS:
                await page.set_viewport_size({"width": width, "height": 800})
                for name, html in emails.items():
                    await page.set_content(html)
                    scroll, inner = await page.evaluate(
                        "[document.documentElement.scrollWidth, window.innerWidth]"
                    )
                    if scroll > inner:
                        too_wide.append(f"{name} at {width} px: {scroll} > {inner}")
        finally:
            await browser.close()
    assert too_wide == []
