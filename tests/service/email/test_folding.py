"""Header folding: any subject folds to lines of at most 78 characters and reads back exactly."""

from __future__ import annotations

import email
import email.policy

from hypothesis import given, settings
from hypothesis import strategies as st

from service.email.folding import fold_unstructured
from service.email.words import one_line
from tests.fixtures.email_builders import TRICKY


@settings(max_examples=300, deadline=None)
@given(head=st.text(alphabet=" =?_a\u00a1", max_size=100), tail=TRICKY)
def test_fold_unstructured_reads_back_exactly(head: str, tail: str) -> None:
    value = one_line(head + tail, 120)
    folded = fold_unstructured("Subject", value, "\r\n")
    assert folded.endswith("\r\n")
    assert all(len(line) <= 78 for line in folded.split("\r\n"))
    parsed = email.message_from_string(folded + "\r\n", policy=email.policy.default)
    assert str(parsed["Subject"]) == value
