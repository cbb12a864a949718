"""The emulated Google Workspace: users, groups, calendars, access tokens, channels and faults.

Tests change it through the methods here (from their own thread; one lock guards everything);
the HTTP side (`app.py`) reads and answers from it as Google's public reference describes.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx

from tests.emulators.google.calendar import Calendar
from tests.emulators.google.keys import ServiceAccountKey

CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
EVENTS_READONLY = "https://www.googleapis.com/auth/calendar.events.readonly"
SETTINGS_READONLY = "https://www.googleapis.com/auth/calendar.settings.readonly"
USER_READONLY = "https://www.googleapis.com/auth/admin.directory.user.readonly"
GROUP_READONLY = "https://www.googleapis.com/auth/admin.directory.group.readonly"
MEMBER_READONLY = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
# What an admin grants the client id in "Domain-wide delegation" (the read-only set).
GRANTED = frozenset(
    {CALENDAR_READONLY, EVENTS_READONLY, SETTINGS_READONLY, USER_READONLY, GROUP_READONLY}
)
TOKEN_LIFETIME_S = 3600
CHANNEL_TTL_S = 7 * 24 * 3600


@dataclass
class User:
    """A Workspace user as the Directory API lists them."""

    email: str
    id: str
    given_name: str
    family_name: str
    is_admin: bool = False
    suspended: bool = False
    archived: bool = False
    aliases: list[str] = field(default_factory=list)
    manager: str | None = None
    timezone: str = "UTC"

    def resource(self) -> dict[str, object]:
        """The `User` resource (users.list, projection basic)."""
        emails: list[dict[str, object]] = [{"address": self.email, "primary": True}]
        emails += [{"address": alias} for alias in self.aliases]
        body: dict[str, object] = {
            "kind": "admin#directory#user",
            "id": self.id,
            "etag": f'"{self.id}"',
            "primaryEmail": self.email,
            "name": {
                "givenName": self.given_name,
                "familyName": self.family_name,
                "fullName": f"{self.given_name} {self.family_name}",
            },
            "isAdmin": self.is_admin,
            "isDelegatedAdmin": False,
            "suspended": self.suspended,
            "archived": self.archived,
            "emails": emails,
            "orgUnitPath": "/",
            "isMailboxSetup": True,
            "customerId": "C0rapp0rt",
        }
        if self.aliases:
            body["aliases"] = list(self.aliases)
        if self.manager:
            body["relations"] = [{"value": self.manager, "type": "manager"}]
        return body


@dataclass
class Group:
    """A Google group and its members' addresses."""

    email: str
    id: str
    name: str
    members: list[str] = field(default_factory=list)


@dataclass
class Channel:
    """A notification channel opened by events.watch."""

    id: str
    resource_id: str
    owner: str
    address: str
    token: str | None
    expiration_ms: int
    stopped: bool = False
    number: int = 0


@dataclass
class Fault:
    """An error to answer instead of the real response (per operation, optionally per user)."""

    operation: str
    status: int
    reason: str = ""
    domain: str = "global"
    message: str = ""
    subject: str | None = None
    times: int = 1
    retry_after: str | None = None
    raw: bytes | None = None  # a body sent as it is (an HTML error page, nothing)


@dataclass
class Notification:
    """One push notification as sent: where to, and its X-Goog-* headers."""

    address: str
    headers: dict[str, str]


class GoogleEmulator:
    """One Workspace customer with a service account allowed domain-wide delegation."""

    def __init__(self, key: ServiceAccountKey, domain: str = "example.com") -> None:
        """An empty customer on `domain` trusting `key`'s service account."""
        self.key = key
        self.domain = domain
        self.customer_id = "C0rapp0rt"
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.calendars: dict[str, Calendar] = {}
        self.tokens: dict[str, tuple[str, frozenset[str], float]] = {}
        self.channels: dict[str, Channel] = {}
        self.faults: list[Fault] = []
        self.granted: frozenset[str] = GRANTED
        self.delegation: bool = True
        self.requests: Counter[str] = Counter()
        self.by_subject: Counter[tuple[str, str]] = Counter()
        self.notifications: list[Notification] = []
        self.deliver = False  # POST notifications to their address (else only recorded)
        self.allow_http_callbacks = False  # Google refuses any address but https
        self.channel_ttl_s = CHANNEL_TTL_S
        # The clock of channel expirations (tests move it with their own "now"); access
        # tokens and JWT times follow the real clock, as google-auth signs with it.
        self.clock: Callable[[], float] = time.time
        self.base_url = ""
        self._ids = 100000
        self._pool: ThreadPoolExecutor | None = None

    # -- the directory --------------------------------------------------------------------

    def add_user(
        self,
        email: str,
        name: str = "",
        *,
        timezone: str = "UTC",
        manager: str | None = None,
        aliases: tuple[str, ...] = (),
        is_admin: bool = False,
    ) -> User:
        """A user with an empty primary calendar."""
        with self.lock:
            given, _, family = (name or email.split("@")[0]).partition(" ")
            self._ids += 1
            user = User(
                email, str(self._ids), given, family or "-", is_admin,
                aliases=list(aliases), manager=manager, timezone=timezone,
            )  # fmt: skip
            self.users[email] = user
            self.calendars.setdefault(email, Calendar(email, timezone))
            return user

    def remove_user(self, email: str) -> None:
        """Delete a user (their tokens stop working; the token endpoint refuses them)."""
        with self.lock:
            self.users.pop(email, None)
            self.tokens = {k: v for k, v in self.tokens.items() if v[0] != email}
            for group in self.groups.values():
                if email in group.members:
                    group.members.remove(email)

    def add_group(self, email: str, name: str, members: tuple[str, ...]) -> Group:
        """A group with these members."""
        with self.lock:
            self._ids += 1
            group = Group(email, str(self._ids), name, list(members))
            self.groups[email] = group
            return group

    # -- calendars --------------------------------------------------------------------------

    def calendar(self, email: str) -> Calendar:
        """A user's primary calendar."""
        return self.calendars[email]

    def put_event(self, email: str, resource: Mapping[str, object]) -> None:
        """Create or change an event (a single one or a series master) in a user's calendar."""
        with self.lock:
            self.calendars[email].put(resource)
        self._changed(email)

    def update_instance(
        self, email: str, series_id: str, original: datetime, **changes: object
    ) -> str:
        """Change one instance of a series (`start`/`end` move it); returns the instance id."""
        with self.lock:
            found = self.calendars[email].update_instance(series_id, original, **changes)
        self._changed(email)
        return found

    def cancel_instance(self, email: str, series_id: str, original: datetime) -> str:
        """Cancel one instance of a series; returns the instance id."""
        with self.lock:
            found = self.calendars[email].cancel_instance(series_id, original)
        self._changed(email)
        return found

    def delete_event(self, email: str, event_id: str) -> None:
        """Delete a single event or a whole series."""
        with self.lock:
            self.calendars[email].delete(event_id)
        self._changed(email)

    def expire_sync_tokens(self, email: str) -> None:
        """The user's calendar honours no sync token issued so far (the next one is a 410)."""
        with self.lock:
            self.calendars[email].expire_tokens()

    # -- credentials and faults ---------------------------------------------------------------

    def fail(
        self,
        operation: str,
        status: int,
        reason: str = "",
        *,
        times: int = 1,
        subject: str | None = None,
        domain: str = "global",
        message: str = "",
        retry_after: str | None = None,
        raw: bytes | None = None,
    ) -> None:
        """Answer the next `times` calls of `operation` (of `subject`) with this error.

        Operations: token, events.list, events.get, events.watch, channels.stop, settings.get,
        users.list, groups.list, members.list.
        """
        with self.lock:
            self.faults.append(
                Fault(operation, status, reason, domain, message, subject, times, retry_after, raw)
            )

    def take_fault(self, operation: str, subject: str | None) -> Fault | None:
        """The fault for this call, if one is armed (used once per `times`)."""
        with self.lock:
            for fault in self.faults:
                if fault.operation == operation and fault.subject in (None, subject):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def revoke_tokens(self, subject: str | None = None) -> None:
        """Access tokens (of one user, or all) stop working: the API answers 401."""
        with self.lock:
            self.tokens = {
                k: v for k, v in self.tokens.items() if subject is not None and v[0] != subject
            }

    def issue_token(self, subject: str, scopes: frozenset[str]) -> str:
        """A new access token for `subject`."""
        token = "ya29.emu-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = (subject, scopes, time.time() + TOKEN_LIFETIME_S)
        return token

    def token_owner(self, token: str) -> tuple[str, frozenset[str]] | None:
        """(subject, scopes) of a live access token."""
        with self.lock:
            found = self.tokens.get(token)
        if found is None or found[2] < time.time():
            return None
        return found[0], found[1]

    def count(self, operation: str, subject: str | None) -> None:
        """Count one call."""
        with self.lock:
            self.requests[operation] += 1
            if subject is not None:
                self.by_subject[(operation, subject)] += 1

    # -- push ------------------------------------------------------------------------------

    def open_channel(
        self,
        owner: str,
        channel_id: str,
        address: str,
        token: str | None,
        expiration_ms: int | None,
    ) -> Channel:
        """A new channel on `owner`'s events (the `sync` notification is sent at once)."""
        now_ms = int(self.clock() * 1000)
        longest = now_ms + self.channel_ttl_s * 1000
        expires = longest if expiration_ms is None else min(expiration_ms, longest)
        with self.lock:
            channel = Channel(channel_id, _resource_id(owner), owner, address, token, expires)
            self.channels[channel_id] = channel
        self._notify(channel, "sync")
        return channel

    def stop_channel(self, channel_id: str, resource_id: str) -> bool:
        """channels.stop; False when no such channel exists."""
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is None or channel.stopped or channel.resource_id != resource_id:
                return False
            channel.stopped = True
            return True

    def live_channels(self, owner: str | None = None) -> list[Channel]:
        """Channels not stopped nor expired (of one user, or all)."""
        now_ms = self.clock() * 1000
        with self.lock:
            return [
                c
                for c in self.channels.values()
                if not c.stopped and c.expiration_ms > now_ms and owner in (None, c.owner)
            ]

    def _changed(self, owner: str) -> None:
        for channel in self.live_channels(owner):
            self._notify(channel, "exists")

    def _notify(self, channel: Channel, state: str) -> None:
        with self.lock:
            channel.number += 1
            expires = datetime.fromtimestamp(channel.expiration_ms / 1000, UTC)
            headers = {
                "X-Goog-Channel-ID": channel.id,
                "X-Goog-Channel-Expiration": format_datetime(expires, usegmt=True),
                "X-Goog-Resource-ID": channel.resource_id,
                "X-Goog-Resource-URI": f"{self.base_url}/calendar/v3/calendars/"
                f"{channel.owner}/events?alt=json",
                "X-Goog-Resource-State": state,
                "X-Goog-Message-Number": str(channel.number),
            }
            if channel.token is not None:
                headers["X-Goog-Channel-Token"] = channel.token
            note = Notification(channel.address, headers)
            self.notifications.append(note)
            deliver = self.deliver
            if deliver and self._pool is None:
                self._pool = ThreadPoolExecutor(2, thread_name_prefix="google-push")
            pool = self._pool
        if deliver and pool is not None:
            pool.submit(_post, note)

    def close(self) -> None:
        """Stop delivering notifications."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _resource_id(owner: str) -> str:
    return hashlib.sha256(f"resource:{owner}".encode()).hexdigest()[:27]


def _post(note: Notification) -> None:
    # Google retries with backoff; a lost notification is what the periodic poll is for.
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(note.address, headers=note.headers, content=b"", timeout=5)
