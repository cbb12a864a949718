"""What a meeting's stored reasons may say: the classifier's words, never its evidence.

The classifier explains itself with what it saw ("only a phone bridge: +44 20 7946 0958 PIN in
the description"). Stored, listed and shown to admins, that would keep a dial-in number (and
with a PIN nearby, a way into someone's call) lifted from the event's text. Sync stores every
classification through `stored_classification`, the one place reasons are scrubbed.
"""

from __future__ import annotations

import re
from dataclasses import replace

from service.domain.model import Classification

# A phone number as bridges write them: digits with spaces, dots, dashes, slashes, brackets,
# maybe a leading +, at least five digits in all (times like 10:30 and "1:1" stay).
_NUMBER = re.compile(r"\+?\(?\d(?:[\s().\-/]*\d){4,}\)?")
_TEL = re.compile(r"\btel:\s*link\s+a number\b")


def scrub_reason(reason: str) -> str:
    """One reason with every phone number replaced by the words "a number"."""
    text = _NUMBER.sub("a number", reason)
    text = text.replace("a number PIN", "a number with a PIN")
    return _TEL.sub("a tel: link", text)


def stored_classification(classification: Classification) -> Classification:
    """The classification as stored: the same facts, reasons without numbers."""
    reasons = tuple(scrub_reason(reason) for reason in classification.reasons)
    return replace(classification, reasons=reasons)
