"""What the Graph emulator holds: the tenant's app, users, groups, calendars and faults.

Events follow the published v1.0 `event` resource (learn.microsoft.com/graph/api/resources/event):
a series is a `seriesMaster` plus `occurrence` items (an edited one is an `exception`); every
change bumps a sequence number so a delta token can say what changed since it was made.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from cryptography import x509

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def graph_id(*parts: str) -> str:
    """An opaque, stable, base64url id in Graph's style (AAMkA...)."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return "AAMkA" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def stamp(moment: datetime) -> str:
    """Graph's dateTime text: UTC, seven fractional digits, no offset."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000")


@dataclass
class Fault:
    """An injected failure: `status` (and Graph `code`) for requests whose path contains
    `path`, `times` times; `retry_after` becomes the Retry-After header."""

    path: str
    status: int
    code: str = ""
    times: int = 1
    retry_after: str | None = None
    message: str = ""


@dataclass
class Item:
    """One stored event payload and the sequence number of its last change."""

    payload: dict[str, object]
    seq: int
    deleted: bool = False


@dataclass
class Mailbox:
    """One user's calendar."""

    items: dict[str, Item] = field(default_factory=dict)
    status: int = 200  # 403 (out of scope) or 404 (no mailbox) answers every calendar call
    code: str = ""


@dataclass
class DeltaState:
    """What a delta or skip token stands for: a window, the sequence it was made at."""

    user: str
    start: datetime
    end: datetime
    since: int  # -1: an initial round
    upto: int
    offset: int = 0


class GraphEmulator:
    """State of one emulated tenant (thread-safe: the server runs in another thread)."""

    def __init__(self, tenant_id: str = "8f4c6a52-1c3e-4b8e-9a56-0f5d1d2a3b4c") -> None:
        """An empty tenant."""
        self.tenant_id = tenant_id
        self.lock = threading.RLock()
        self.base_url = ""
        self.clients: dict[str, str] = {}  # client id -> secret
        self.certificates: dict[str, x509.Certificate] = {}  # client id -> its certificate
        self.client_error: tuple[str, str] | None = None  # (error, AADSTS description)
        self.tokens: dict[str, float] = {}  # access token -> expiry (epoch)
        self.token_requests = 0
        self.users: dict[str, dict[str, object]] = {}
        self.by_upn: dict[str, str] = {}  # lower-cased userPrincipalName -> id
        self.mailbox_settings: dict[str, dict[str, object]] = {}
        self.managers: dict[str, str] = {}
        self.groups: dict[str, dict[str, object]] = {}
        self.members: dict[str, list[str]] = {}
        self.mailboxes: dict[str, Mailbox] = {}
        self.seq = itertools.count(1)
        self.last_seq = 0
        self.deltas: dict[str, DeltaState] = {}
        self.expired_min_seq = 0  # delta tokens made before this sequence answer 410
        self.replay = False  # incremental pages repeat their first item (Graph may)
        self.strip_occurrences = True  # occurrences carry only id/type/seriesMasterId/start/end
        self.faults: list[Fault] = []
        self.subscriptions: dict[str, dict[str, object]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) served, $batch parts included
        self.max_page = 1000
        self.http: list[str] = []  # paths of the HTTP requests themselves ($batch one each)
        self.verify: ssl.SSLContext | str | bool = True  # how our webhook's TLS is checked
        # Where Graph's calls to our webhook go (tests: the app through ASGITransport).
        self.webhook_transport: httpx.AsyncBaseTransport | None = None

    # -- set-up -------------------------------------------------------------------------------

    def add_client(
        self, client_id: str | None = None, secret: str | None = None
    ) -> tuple[str, str]:
        """Register an application; returns (client id, secret)."""
        client_id = client_id or "11111111-2222-3333-4444-" + secrets.token_hex(6)
        secret = secret or secrets.token_urlsafe(24)
        self.clients[client_id] = secret
        return client_id, secret

    def add_certificate(self, client_id: str) -> str:
        """Register a new certificate on the app; returns the PEM (key and certificate)."""
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Rapport app")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=2))
            .sign(key, hashes.SHA256())
        )  # fmt: skip
        self.certificates[client_id] = cert
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )  # fmt: skip
        return (key_pem + cert.public_bytes(serialization.Encoding.PEM)).decode()

    def add_user(
        self,
        mail: str,
        name: str = "",
        *,
        aliases: tuple[str, ...] = (),
        time_zone: str = "W. Europe Standard Time",
        enabled: bool = True,
    ) -> str:
        """A user with a mailbox; returns the user's id."""
        with self.lock:
            user_id = graph_id("user", mail)[5:41]
            self.users[user_id] = {
                "id": user_id,
                "displayName": name or mail.split("@")[0].title(),
                "mail": mail,
                "userPrincipalName": mail,
                "accountEnabled": enabled,
                "proxyAddresses": [f"SMTP:{mail}"] + [f"smtp:{a}" for a in aliases],
            }
            self.mailbox_settings[user_id] = {
                "timeZone": time_zone,
                "workingHours": {
                    "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                    "startTime": "09:00:00.0000000",
                    "endTime": "17:00:00.0000000",
                    "timeZone": {"name": time_zone},
                },
            }
            self.mailboxes[user_id] = Mailbox()
            self.by_upn[mail.lower()] = user_id
            return user_id

    def add_group(self, name: str, member_ids: list[str]) -> str:
        """A security or Microsoft 365 group."""
        group_id = graph_id("group", name)[5:41]
        self.groups[group_id] = {"id": group_id, "displayName": name, "mail": None}
        self.members[group_id] = list(member_ids)
        return group_id

    def user_id(self, mail: str) -> str:
        """The id of the user with this address."""
        return self.by_upn[mail.lower()]

    def _bump(self) -> int:
        self.last_seq = next(self.seq)
        return self.last_seq

    def _event(
        self,
        user_id: str,
        event_id: str,
        subject: str,
        start: datetime,
        end: datetime,
        attendees: tuple[str, ...],
        kind: str,
    ) -> dict[str, object]:
        owner = self.users[user_id]
        return {
            "@odata.etag": f'W/"{secrets.token_hex(8)}"',
            "id": event_id,
            "createdDateTime": "2026-10-01T09:00:00.0000000Z",
            "lastModifiedDateTime": "2026-10-01T09:00:00.0000000Z",
            "changeKey": secrets.token_urlsafe(12),
            "iCalUId": "040000008200E00074C5B7101A82E008"
            + hashlib.sha1(event_id.encode()).hexdigest(),
            "subject": subject,
            "bodyPreview": "",
            "importance": "normal",
            "sensitivity": "normal",
            "isAllDay": False,
            "isCancelled": False,
            "isOrganizer": True,
            "showAs": "busy",
            "type": kind,
            "seriesMasterId": None,
            "originalStartTimeZone": "W. Europe Standard Time",
            "originalEndTimeZone": "W. Europe Standard Time",
            "start": {"dateTime": stamp(start), "timeZone": "UTC"},
            "end": {"dateTime": stamp(end), "timeZone": "UTC"},
            "location": {"displayName": "", "locationType": "default"},
            "locations": [],
            "isOnlineMeeting": False,
            "onlineMeetingProvider": "unknown",
            "onlineMeeting": None,
            "organizer": {"emailAddress": {"name": owner["displayName"], "address": owner["mail"]}},
            "attendees": [
                {
                    "type": "required",
                    "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
                    "emailAddress": {"name": a.split("@")[0], "address": a},
                }
                for a in attendees
            ],
        }

    def add_event(
        self,
        mail: str,
        subject: str,
        start: datetime,
        minutes: int = 30,
        attendees: tuple[str, ...] = (),
    ) -> str:
        """A single-instance event; returns its id."""
        with self.lock:
            user_id = self.user_id(mail)
            event_id = graph_id(user_id, "event", secrets.token_hex(8))
            payload = self._event(
                user_id, event_id, subject, start, start + timedelta(minutes=minutes),
                attendees, "singleInstance",
            )  # fmt: skip
            self.mailboxes[user_id].items[event_id] = Item(payload, self._bump())
            return event_id

    def add_series(
        self,
        mail: str,
        subject: str,
        first: datetime,
        count: int,
        *,
        minutes: int = 30,
        every_days: int = 7,
        attendees: tuple[str, ...] = (),
    ) -> tuple[str, list[str]]:
        """A series master and its `count` occurrences; returns (master id, occurrence ids)."""
        with self.lock:
            user_id = self.user_id(mail)
            master_id = graph_id(user_id, "series", secrets.token_hex(8))
            end = first + timedelta(minutes=minutes)
            master = self._event(user_id, master_id, subject, first, end, attendees, "seriesMaster")
            master["recurrence"] = {
                "pattern": {"type": "daily", "interval": every_days},
                "range": {"type": "numbered", "startDate": first.date().isoformat(),
                          "numberOfOccurrences": count},
            }  # fmt: skip
            mailbox = self.mailboxes[user_id]
            mailbox.items[master_id] = Item(master, self._bump())
            ids = []
            for number in range(count):
                start = first + timedelta(days=every_days * number)
                occurrence_id = graph_id(master_id, stamp(start))
                payload = dict(master)
                payload.pop("recurrence")
                payload.update(
                    id=occurrence_id, type="occurrence", seriesMasterId=master_id,
                    start={"dateTime": stamp(start), "timeZone": "UTC"},
                    end={"dateTime": stamp(start + timedelta(minutes=minutes)), "timeZone": "UTC"},
                    originalStart=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                )  # fmt: skip
                mailbox.items[occurrence_id] = Item(payload, self._bump())
                ids.append(occurrence_id)
            return master_id, ids

    def update_event(self, mail: str, event_id: str, **changes: object) -> None:
        """Change an event (start/end as datetimes); an occurrence becomes an exception."""
        with self.lock:
            item = self.mailboxes[self.user_id(mail)].items[event_id]
            payload = dict(item.payload)
            for key, value in changes.items():
                if key in ("start", "end") and isinstance(value, datetime):
                    payload[key] = {"dateTime": stamp(value), "timeZone": "UTC"}
                else:
                    payload[key] = value
            if payload.get("type") == "occurrence":
                payload["type"] = "exception"
            payload["changeKey"] = secrets.token_urlsafe(12)
            item.payload = payload
            item.seq = self._bump()

    def delete_event(self, mail: str, event_id: str) -> None:
        """Delete an event (a master takes its occurrences with it)."""
        with self.lock:
            mailbox = self.mailboxes[self.user_id(mail)]
            for item in mailbox.items.values():
                if item.payload["id"] == event_id or item.payload.get("seriesMasterId") == event_id:
                    item.deleted = True
                    item.seq = self._bump()

    def expire_delta_tokens(self) -> None:
        """Every delta token made so far answers 410 syncStateNotFound."""
        with self.lock:
            self.expired_min_seq = self.last_seq + 1

    def fail(self, path: str, status: int, code: str = "", **kwargs: object) -> Fault:
        """Inject a failure for requests whose path contains `path`."""
        fault = Fault(path, status, code, **kwargs)  # type: ignore[arg-type]
        self.faults.append(fault)
        return fault

    def take_fault(self, path: str) -> Fault | None:
        """The first injected fault that matches, counted down."""
        with self.lock:
            for fault in self.faults:
                if fault.path in path and fault.times > 0:
                    fault.times -= 1
                    return fault
            return None

    def calls(self, fragment: str) -> int:
        """How many requests (batch parts included) had `fragment` in their path."""
        return sum(1 for _, path in self.requests if fragment in path)

    def webhook_client(self) -> httpx.AsyncClient:
        """The client Graph's own calls to our webhook use (handshake, notifications)."""
        if self.webhook_transport is not None:
            return httpx.AsyncClient(transport=self.webhook_transport, timeout=10)
        return httpx.AsyncClient(verify=self.verify, timeout=10)

    def notification(
        self,
        sub_id: str,
        event_id: str,
        change_type: str = "updated",
        client_state: str | None = None,
    ) -> dict[str, object]:
        """A change notification collection for one subscription (as Graph POSTs it)."""
        sub = self.subscriptions[sub_id]
        resource = str(sub["resource"]).replace("/users/", "Users/").replace("/events", "/Events")
        return {
            "value": [
                {
                    "subscriptionId": sub_id,
                    "subscriptionExpirationDateTime": sub["expirationDateTime"],
                    "changeType": change_type,
                    "resource": f"{resource.lstrip('/')}/{event_id}",
                    "resourceData": {
                        "@odata.type": "#Microsoft.Graph.Event",
                        "@odata.id": f"{resource.lstrip('/')}/{event_id}",
                        "@odata.etag": 'W/"DwAAABYAAAA"',
                        "id": event_id,
                    },
                    "clientState": sub["clientState"] if client_state is None else client_state,
                    "tenantId": self.tenant_id,
                }
            ]
        }

    def lifecycle(
        self, sub_id: str, event: str, client_state: str | None = None
    ) -> dict[str, object]:
        """A lifecycle notification (reauthorizationRequired, subscriptionRemoved, missed)."""
        sub = self.subscriptions[sub_id]
        return {
            "value": [
                {
                    "subscriptionId": sub_id,
                    "subscriptionExpirationDateTime": sub["expirationDateTime"],
                    "tenantId": self.tenant_id,
                    "clientState": sub["clientState"] if client_state is None else client_state,
                    "lifecycleEvent": event,
                }
            ]
        }
