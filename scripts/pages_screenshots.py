"""Screenshots of the people's pages at phone and desktop widths, for reading them by eye.

Runs the demo into a temporary data dir, serves the app on it (uvicorn, loopback), follows the
links of one person's emails in headless Chromium and writes PNGs to the folder given
(default ./page-shots). Needs Chromium installed (`apt-get install chromium`) and the
`playwright` package (a dev extra); it never downloads a browser.

    .venv/bin/python scripts/pages_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import asyncio
import io
import mailbox
import re
import socket
import sys
import tempfile
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from html import unescape
from pathlib import Path

import uvicorn
from playwright.async_api import Page, async_playwright
from rich.console import Console

from service.api import create_app
from service.cli.demo import run_demo
from service.config import Settings
from service.runtime import fixed_clock
from workers.context import open_runtime

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
WIDTHS = (375, 900)
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _links(data: Path, base: str) -> dict[str, str]:
    """One link of each kind from the nudge emails of the person with the most of them."""
    box = mailbox.Maildir(data / "outbox", create=False)
    by_person: dict[str, list[str]] = {}
    for key in sorted(box.iterkeys()):
        message = message_from_bytes(box.get_bytes(key), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if ".nudge." not in str(message["Message-ID"]):
            continue
        html = message.get_body(("html",))
        assert html is not None
        hrefs = [unescape(h) for h in re.findall(r'href="([^"]+)"', html.get_content())]
        by_person.setdefault(str(message["To"]), []).extend(h for h in hrefs if h.startswith(base))
    person = max(by_person, key=lambda p: len(by_person[p]))
    found: dict[str, str] = {}
    for url in by_person[person]:
        path = url.removeprefix(base)
        name = path.split("/")[1]
        if name == "feedback":
            name = f"feedback-{path.rsplit('/', 1)[1]}"
        found.setdefault(name, url)
    return found


def _private_link(data: Path, base: str) -> str:
    """The fresh one-hour link the preferences page just emailed."""
    box = mailbox.Maildir(data / "outbox", create=False)
    for key in box.iterkeys():
        message = message_from_bytes(box.get_bytes(key), policy=policy.default)
        if ".link." in str(message["Message-ID"]):
            assert isinstance(message, EmailMessage)
            text = message.get_body(("plain",))
            assert text is not None
            return next(w for w in text.get_content().split() if w.startswith(f"{base}/private/"))
    raise LookupError("no private link was sent")


async def _shoot(page: Page, url: str, out: Path, name: str) -> None:
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 800})
        await page.goto(url)
        await page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)


async def main(out: Path) -> None:
    """Serve the demo's data and photograph each page."""
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", base_url=base, _env_file=None)  # type: ignore[call-arg]
        await run_demo(settings, NOW, Console(file=io.StringIO()))
        links = _links(settings.data_dir, base)
        async with open_runtime(settings, clock=fixed_clock(NOW)) as rt:
            server = uvicorn.Server(
                uvicorn.Config(
                    create_app(settings, rt), host="127.0.0.1", port=port, log_level="warning"
                )
            )
            serving = asyncio.create_task(server.serve())
            while not server.started:  # noqa: ASYNC110  # uvicorn offers a flag, not an event
                await asyncio.sleep(0.05)
            try:
                async with async_playwright() as pw:
                    browser = await pw.chromium.launch(
                        executable_path=CHROMIUM, headless=True, args=ARGS
                    )
                    page = await browser.new_page()
                    for name in ("preferences", "snooze", "unsubscribe", "feedback-not-for-me"):
                        await _shoot(page, links[name], out, name)
                    await page.goto(links["feedback-not-for-me"])
                    await page.click("button[type=submit]")
                    await _shoot(page, page.url, out, "feedback-done")
                    await page.goto(links["preferences"])
                    await page.click("form:has(input[value=private-link]) button")
                    await _shoot(page, page.url, out, "preferences-saved")
                    await _shoot(page, _private_link(settings.data_dir, base), out, "private")
                    await _shoot(page, f"{base}/preferences/forged", out, "not-found")
                    await page.goto(links["unsubscribe"])
                    await page.click("button[type=submit]")
                    await _shoot(page, page.url, out, "unsubscribed")
                    await browser.close()
            finally:
                server.should_exit = True
                await serving
    print(f"screenshots in {out}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("page-shots")))
