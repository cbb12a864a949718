"""Huge and hostile bodies: classification stays linear (no catastrophic backtracking).

Every pattern is a single pass with bounded repetition, so these finish in well under a second;
the thread limit below is only a generous guard so a regression fails instead of hanging.
"""

from __future__ import annotations

import threading

import pytest

from service.domain.classify import classify
from service.domain.model import Classification, Modality
from tests.service.domain.classify.helpers import meeting

MB = 1_000_000
GUARD_SECONDS = 60


def _classify_guarded(**fields: object) -> Classification:
    result: list[Classification] = []
    worker = threading.Thread(target=lambda: result.append(classify(meeting(**fields))))
    worker.start()
    worker.join(GUARD_SECONDS)
    assert not worker.is_alive(), "classification did not finish: super-linear pattern?"
    return result[0]


@pytest.mark.parametrize(
    "body",
    [
        "https://" + "a" * MB,
        "http://x " * (MB // 9),
        "+1 " * (MB // 3),
        "(555) " * (MB // 6),
        "0" + " 0" * (MB // 2),
        "<" * MB,
        "<a href=\"" * (MB // 9),
        "&amp;" * (MB // 5),
        "dial-in PIN " + "1 2 3 " * (MB // 6),
        "https://nam02.safelinks.protection.outlook.com/?url=" * (MB // 52),
        "; " * (MB // 2),
    ],
    ids=["long-url", "many-urls", "plus", "parens", "zeros", "lt", "href", "amp", "digits",
         "safelinks", "semicolons"],
)  # fmt: skip
def test_classify_pathological_megabyte_body_finishes(body: str) -> None:
    """A 1 MB hostile description (and location) classifies without blowing up."""
    got = _classify_guarded(description=body, location=body)
    assert isinstance(got.modality, Modality)


def test_classify_link_after_megabyte_of_text_found() -> None:
    """A join link after a long body is still found (bodies are read up to 1 MB)."""
    body = "x " * 400_000 + "Join https://acme.zoom.us/j/123"
    assert _classify_guarded(description=body).provider == "zoom"
