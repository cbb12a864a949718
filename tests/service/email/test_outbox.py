"""The Maildir outbox: real files, one per Message-ID."""

from __future__ import annotations

import asyncio
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from service.email import EmailRenderer, MaildirOutbox, build_message, message_id_for
from tests.fixtures.email_builders import PREFERENCES, UNSUBSCRIBE, nudge


def _message(nudge_id: int, revision: int = 1) -> EmailMessage:
    rendered = EmailRenderer().render_nudge(nudge(nudge_id=nudge_id, revision=revision))
    return build_message(
        rendered,
        sender="Rapport <rapport@example.com>",
        recipient="ana@example.com",
        message_id=message_id_for("nudge", nudge_id, revision, "rapport.example.com"),
        unsubscribe_url=UNSUBSCRIBE,
        preferences_url=PREFERENCES,
    )


def _files(root: Path) -> list[Path]:
    return sorted(p for sub in ("new", "cur") for p in (root / sub).iterdir())


async def test_send_outbox_creates_maildir(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "outbox"
    outbox = MaildirOutbox(root)
    await outbox.send(_message(1))
    assert {p.name for p in root.iterdir()} == {"tmp", "new", "cur"}
    stored = outbox.messages()
    assert [m["Message-ID"] for m in stored] == ["<rapport.nudge.1.1@rapport.example.com>"]
    assert stored[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert list((root / "tmp").iterdir()) == []


async def test_send_outbox_same_message_id_twice_writes_once(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path)
    await outbox.send(_message(1))
    await outbox.send(_message(1))
    assert len(_files(tmp_path)) == 1
    assert outbox.contains("<rapport.nudge.1.1@rapport.example.com>")


async def test_send_outbox_concurrent_duplicates_write_once(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path)
    await asyncio.gather(*(outbox.send(_message(5)) for _ in range(8)))
    assert len(_files(tmp_path)) == 1
    assert list((tmp_path / "tmp").iterdir()) == []


async def test_send_outbox_new_revision_is_a_new_message(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path)
    await outbox.send(_message(1, revision=1))
    await outbox.send(_message(1, revision=2))
    await outbox.send(_message(2))
    assert len(_files(tmp_path)) == 3


async def test_send_outbox_message_moved_to_cur_still_counts(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path)
    await outbox.send(_message(1))
    box = mailbox.Maildir(tmp_path, create=False)
    for key in list(box.iterkeys()):
        msg = box[key]
        msg.set_subdir("cur")
        msg.add_flag("S")
        box[key] = msg
    assert [p.parent.name for p in _files(tmp_path)] == ["cur"]
    await outbox.send(_message(1))
    assert len(_files(tmp_path)) == 1


async def test_send_outbox_refuses_message_without_id(tmp_path: Path) -> None:
    message = _message(1)
    del message["Message-ID"]
    with pytest.raises(ValueError, match="Message-ID"):
        await MaildirOutbox(tmp_path).send(message)
