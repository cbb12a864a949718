"""Signed per-person links: one purpose each, expiring, tamper-evident, key rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from service.email.addressing import (
    LINK_LIFETIME,
    LinkClaim,
    LinkPurpose,
    LinkSigner,
    MailConfig,
    feedback_links,
    link_for,
    pause_notice,
    person_links,
)

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
SIGNER = LinkSigner.from_secrets([b"first-secret-key-material-0123456789"])
MAIL = MailConfig("Rapport <r@example.com>", "example.com", "https://rapport.example.com/", SIGNER)


def _token(url: str) -> str:
    return urlsplit(url).path.split("/")[2]


def test_sign_person_links_verify_for_their_purpose_only() -> None:
    links = person_links(MAIL, 3, 42, NOW)
    assert links.unsubscribe_url.startswith("https://rapport.example.com/unsubscribe/")
    assert links.preferences_url.startswith("https://rapport.example.com/preferences/")
    assert links.snooze_url.startswith("https://rapport.example.com/snooze/")
    claim = SIGNER.verify(LinkPurpose.UNSUBSCRIBE, _token(links.unsubscribe_url), NOW)
    assert claim is not None
    assert (claim.tenant_id, claim.person_id, claim.subject) == (3, 42, None)
    assert claim.expires >= NOW + LINK_LIFETIME[LinkPurpose.UNSUBSCRIBE]
    # An unsubscribe token does not open the preferences page, and so on.
    assert SIGNER.verify(LinkPurpose.PREFERENCES, _token(links.unsubscribe_url), NOW) is None
    assert SIGNER.verify(LinkPurpose.UNSUBSCRIBE, _token(links.preferences_url), NOW) is None


def test_verify_link_expired_is_none() -> None:
    url = link_for(MAIL, LinkPurpose.PREFERENCES, 3, 42, NOW)
    later = NOW + LINK_LIFETIME[LinkPurpose.PREFERENCES] + timedelta(hours=2)
    assert SIGNER.verify(LinkPurpose.PREFERENCES, _token(url), later) is None
    assert SIGNER.verify(LinkPurpose.PREFERENCES, _token(url), NOW) is not None


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("3.42.", "3.43.", 1),  # another person
        lambda t: t.replace("3.42.", "4.42.", 1),  # another tenant
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # another MAC
        lambda t: t + "x",
        lambda t: "",
        lambda t: "../../etc/passwd",
        lambda t: t.replace(".", "..", 1),
    ],
)
def test_verify_link_tampered_is_none(change: object) -> None:
    token = _token(link_for(MAIL, LinkPurpose.PREFERENCES, 3, 42, NOW))
    assert callable(change)
    assert SIGNER.verify(LinkPurpose.PREFERENCES, change(token), NOW) is None


def test_verify_link_expiry_changed_is_none() -> None:
    token = _token(link_for(MAIL, LinkPurpose.PREFERENCES, 3, 42, NOW))
    tenant, person, subject, expires, mac = token.split(".")
    longer = f"{tenant}.{person}.{subject}.{int(expires) + 86400 * 365}.{mac}"
    assert SIGNER.verify(LinkPurpose.PREFERENCES, longer, NOW) is None


def test_verify_link_rotated_keys_first_signs_all_verify() -> None:
    old = LinkSigner.from_secrets([b"old-secret-key-material-0123456789"])
    token = old.sign(LinkClaim(LinkPurpose.SNOOZE, 1, 2, NOW + timedelta(days=1)))
    rotated = LinkSigner.from_secrets(
        [b"new-secret-key-material-0123456789", b"old-secret-key-material-0123456789"]
    )
    assert rotated.verify(LinkPurpose.SNOOZE, token, NOW) is not None
    fresh = rotated.sign(LinkClaim(LinkPurpose.SNOOZE, 1, 2, NOW + timedelta(days=1)))
    assert old.verify(LinkPurpose.SNOOZE, fresh, NOW) is None
    assert LinkSigner.ephemeral().verify(LinkPurpose.SNOOZE, token, NOW) is None


def test_build_feedback_links_carry_the_nudge() -> None:
    links = feedback_links(MAIL, 3, 42, 901, NOW)
    assert links.helpful_url.endswith("/helpful")
    assert links.not_for_me_url.endswith("/not-for-me")
    assert links.not_for_this_meeting_url.endswith("/not-for-this-meeting")
    claim = SIGNER.verify(LinkPurpose.FEEDBACK, _token(links.helpful_url), NOW)
    assert claim is not None
    assert (claim.person_id, claim.subject) == (42, 901)


def test_build_links_same_hour_same_url() -> None:
    assert person_links(MAIL, 3, 42, NOW) == person_links(MAIL, 3, 42, NOW + timedelta(minutes=5))


def test_build_signer_refuses_short_keys() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        LinkSigner([b"short"])
    with pytest.raises(ValueError, match="16 bytes"):
        LinkSigner([])
    assert "secret" not in repr(SIGNER)


def test_build_pause_notice_lists_active_pauses_only() -> None:
    paused = {"camera_on": NOW + timedelta(days=30), "one_on_one": NOW - timedelta(days=1)}
    notice = pause_notice(paused, NOW)
    assert notice is not None
    assert "camera-on notes until 24 December" in notice
    assert "one-on-one" not in notice
    assert pause_notice({"one_on_one": NOW - timedelta(days=1)}, NOW) is None
