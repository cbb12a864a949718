"""Delivery behind one interface, and the Maildir outbox used when no SMTP server is set."""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import hashlib
import mailbox
import os
import uuid
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)


class Mailer(Protocol):
    """Sends one message; raises a `DeliveryError` subclass when it cannot."""

    async def send(self, message: EmailMessage) -> None:
        """Deliver `message` (idempotent by Message-ID where the transport allows)."""
        ...


def _key(message_id: str) -> str:
    return hashlib.sha256(message_id.strip().encode("utf-8")).hexdigest()


def message_key(message: EmailMessage) -> str:
    """The outbox key of a message: sha256 of its Message-ID (a safe, fixed-length name)."""
    message_id = message.get("Message-ID")
    if not message_id:
        raise ValueError("message has no Message-ID header: build it with build_message()")
    return _key(str(message_id))


class MaildirOutbox:
    """A Maildir (`tmp/`, `new/`, `cur/`) where each Message-ID is written at most once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _box(self) -> mailbox.Maildir:
        # Maildir(create=True) makes the subfolders only when the root itself is missing.
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        return mailbox.Maildir(self.path, create=False)

    def _deliver(self, message: EmailMessage) -> bool:
        key = message_key(message)
        box = self._box()
        if key in box:
            return False
        data = message.as_bytes(policy=message.policy.clone(linesep="\n"))
        tmp = self.path / "tmp" / f"{key}.{os.getpid()}.{uuid.uuid4().hex}"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # link() fails if the name exists: two concurrent sends of one id write one file.
            os.link(tmp, self.path / "new" / key)
        except FileExistsError:
            return False
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return True

    async def send(self, message: EmailMessage) -> None:
        """Write the message to `new/` unless a message with the same Message-ID is there."""
        written = await asyncio.to_thread(self._deliver, message)
        event = "email.outbox.written" if written else "email.outbox.duplicate"
        log.info(event, message_id=str(message["Message-ID"]), key=message_key(message))

    def contains(self, message_id: str) -> bool:
        """True when a message with this Message-ID is in the outbox (new or cur)."""
        return _key(message_id) in self._box()

    def messages(self) -> list[EmailMessage]:
        """Every message in the outbox, parsed (for the demo and tests)."""
        box = self._box()
        found = []
        for key in sorted(box.keys()):
            found.append(BytesParser(policy=email.policy.default).parsebytes(box.get_bytes(key)))
        return found
