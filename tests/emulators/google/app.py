"""The emulator's HTTP side: the OAuth token endpoint, Calendar v3 and Directory v1 subsets.

Paths, parameters, bodies and errors follow the public references (the static discovery
documents shipped with google-api-python-client, the OAuth 2.0 service-account guide, the
Calendar sync and push guides). Errors have Google's JSON shape:
`{"error": {"code", "message", "errors": [{"domain", "reason", "message"}], "status"}}`.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators.google.calendar import Calendar, Entry
from tests.emulators.google.keys import BadAssertion, verify_jwt
from tests.emulators.google.state import (
    CALENDAR_READONLY,
    EVENTS_READONLY,
    GROUP_READONLY,
    MEMBER_READONLY,
    SETTINGS_READONLY,
    USER_READONLY,
    Fault,
    GoogleEmulator,
)

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The assertion's `aud` is Google's token endpoint, whatever `token_uri` the key file names
# (google-auth always sets it so; the service-account guide documents these two values).
AUDIENCES = ("https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token")
CALENDAR_SCOPES = frozenset(
    {
        CALENDAR_READONLY,
        EVENTS_READONLY,
        "https://www.googleapis.com/auth/calendar",
        "https://www.googleapis.com/auth/calendar.events",
    }
)
SETTINGS_SCOPES = frozenset({CALENDAR_READONLY, SETTINGS_READONLY})
USER_SCOPES = frozenset({USER_READONLY})
GROUP_SCOPES = frozenset({GROUP_READONLY, MEMBER_READONLY})
# Parameters that may not come with a syncToken (events.list reference).
NOT_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+/=]{1,64}")


class ApiError(Exception):
    """An error answer in Google's JSON shape."""

    def __init__(self, status: int, reason: str, message: str, domain: str = "global") -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.domain = status, reason, message, domain

    def response(self, retry_after: str | None = None) -> Response:
        """The JSON error response."""
        body = {
            "error": {
                "code": self.status,
                "message": self.message,
                "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
                "status": STATUS_NAMES.get(self.status, "UNKNOWN"),
            }
        }
        headers = {"retry-after": retry_after} if retry_after else {}
        if self.status == 401:
            headers["www-authenticate"] = 'Bearer realm="https://accounts.google.com/"'
        return JSONResponse(body, self.status, headers=headers)


def fault_response(fault: Fault) -> Response:
    """The answer an armed fault gives."""
    headers = {"retry-after": fault.retry_after} if fault.retry_after else {}
    if fault.raw is not None:
        return Response(fault.raw, fault.status, headers=headers, media_type="text/html")
    message = fault.message or {
        401: "Request had invalid authentication credentials.",
        403: "Rate Limit Exceeded",
        404: "Not Found",
        410: "Sync token is no longer valid, a full sync is required.",
        429: "Rate Limit Exceeded",
    }.get(fault.status, "Backend Error")
    reason = fault.reason or {401: "authError", 404: "notFound", 500: "backendError"}.get(
        fault.status, "backendError"
    )
    return ApiError(fault.status, reason, message, fault.domain).response(fault.retry_after)


def _b64(data: Mapping[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _unb64(text: str) -> dict[str, Any]:
    try:
        found = json.loads(base64.urlsafe_b64decode(text.encode()))
    except ValueError:
        raise ApiError(400, "invalid", "Invalid page token value.") from None
    if not isinstance(found, dict):
        raise ApiError(400, "invalid", "Invalid page token value.")
    return found


def _bool(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise ApiError(400, "invalid", f"Invalid value for: {name}")
    return value == "true"


def _int(params: Mapping[str, str], name: str, default: int, most: int) -> int:
    try:
        value = int(params.get(name, default))
    except ValueError:
        raise ApiError(400, "invalid", f"Invalid value for: {name}") from None
    if value < 1:
        raise ApiError(400, "invalid", f"Invalid value for: {name}")
    return min(value, most)


def _instant(params: Mapping[str, str], name: str) -> datetime | None:
    text = params.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "badRequest", "Bad Request") from None
    if moment.tzinfo is None:  # RFC 3339 with a mandatory offset
        raise ApiError(400, "badRequest", "Bad Request")
    return moment


class EmulatorApp:
    """The ASGI routes over one `GoogleEmulator`."""

    def __init__(self, emulator: GoogleEmulator) -> None:
        """Routes for `emulator`."""
        self.emu = emulator
        routes = [
            Route("/token", self.token, methods=["POST"]),
            Route("/calendar/v3/calendars/{calendar}/events", self.events_list, methods=["GET"]),
            Route(
                "/calendar/v3/calendars/{calendar}/events/watch",
                self.events_watch,
                methods=["POST"],
            ),
            Route(
                "/calendar/v3/calendars/{calendar}/events/{event}",
                self.events_get,
                methods=["GET"],
            ),
            Route("/calendar/v3/channels/stop", self.channels_stop, methods=["POST"]),
            Route("/calendar/v3/users/me/settings/{setting}", self.settings_get, methods=["GET"]),
            Route("/admin/directory/v1/users", self.users_list, methods=["GET"]),
            Route("/admin/directory/v1/groups", self.groups_list, methods=["GET"]),
            Route("/admin/directory/v1/groups/{group}/members", self.members_list, methods=["GET"]),
        ]
        self.app = Starlette(routes=routes)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI entry point."""
        await self.app(scope, receive, send)

    # -- OAuth ------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        """The token endpoint: JWT-bearer grant (RFC 7523) for a service account."""
        # application/x-www-form-urlencoded, read by hand (no multipart parser needed).
        form = {
            k: v[0] for k, v in parse_qs((await request.body()).decode("ascii", "replace")).items()
        }
        self.emu.count("token", None)
        if form.get("grant_type") != JWT_GRANT:
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type")
        try:
            claims = verify_jwt(
                str(form.get("assertion", "")), {self.emu.key.key_id: self.emu.key.public_key}
            )
        except BadAssertion:
            return _oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        subject = str(claims.get("sub") or claims.get("iss"))
        fault = self.emu.take_fault("token", subject)
        if fault is not None:
            return _oauth_error(fault.status, fault.reason or "invalid_grant", fault.message)
        now = time.time()
        iat, exp = _number(claims.get("iat")), _number(claims.get("exp"))
        if iat is None or exp is None or exp <= now or iat > now + 300 or exp - iat > 3600:
            return _oauth_error(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                "timeframe. Check your iat and exp values in the JWT claim.",
            )
        if claims.get("iss") != self.emu.key.client_email or claims.get("aud") not in AUDIENCES:
            return _oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not self.emu.delegation or not scopes or not scopes <= self.emu.granted:
            return _oauth_error(
                401,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client "
                "not authorized for any of the scopes requested.",
            )
        with self.emu.lock:
            user = self.emu.users.get(subject)
        if user is None:
            return _oauth_error(400, "invalid_grant", "Invalid email or User ID")
        self.emu.count("token.granted", subject)
        token = self.emu.issue_token(subject, scopes)
        return JSONResponse(
            {"access_token": token, "expires_in": 3599, "token_type": "Bearer"},
            headers={"cache-control": "no-cache, no-store, max-age=0, must-revalidate"},
        )

    def _caller(self, request: Request, operation: str, allowed: frozenset[str]) -> str:
        """The subject of the request's access token, after faults and the scope check."""
        header = request.headers.get("authorization", "")
        owner = self.emu.token_owner(header.removeprefix("Bearer ").strip())
        subject = owner[0] if owner else None
        self.emu.count(operation, subject)
        fault = self.emu.take_fault(operation, subject)
        if fault is not None:
            raise _Faulted(fault)
        if owner is None:
            raise ApiError(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
            )
        if not owner[1] & allowed:
            raise ApiError(
                403, "insufficientPermissions", "Request had insufficient authentication scopes."
            )
        return owner[0]

    def _calendar(self, caller: str, calendar_id: str) -> Calendar:
        with self.emu.lock:
            user = self.emu.users.get(caller)
            if user is not None and (user.suspended or user.archived):
                raise ApiError(
                    403, "notACalendarUser", "The user must be signed up for Google Calendar."
                )
            wanted = caller if calendar_id == "primary" else calendar_id
            if wanted != caller or wanted not in self.emu.calendars:
                raise ApiError(404, "notFound", "Not Found")
            return self.emu.calendars[wanted]

    # -- Calendar v3 ----------------------------------------------------------------------

    async def events_list(self, request: Request) -> Response:
        """events.list: full or incremental, paged."""
        return await self._guard(request, "events.list", CALENDAR_SCOPES, self._events_list)

    def _events_list(self, request: Request, caller: str) -> Response:
        params = request.query_params
        calendar = self._calendar(caller, request.path_params["calendar"])
        single = _bool(params, "singleEvents")
        size = _int(params, "maxResults", 250, 2500)
        sync_token = params.get("syncToken")
        if params.get("orderBy") == "startTime" and not single:
            raise ApiError(
                400, "invalid", "The requested ordering is not available for the particular query."
            )
        with self.emu.lock:
            if sync_token is not None:
                given = [name for name in NOT_WITH_SYNC_TOKEN if name in params]
                if given or params.get("showDeleted", "true").lower() == "false":
                    raise ApiError(
                        400,
                        "invalid",
                        "Invalid sync token request: " + ", ".join(given or ["showDeleted"]),
                    )
                since, token_single = self._read_sync_token(calendar, sync_token)
                if token_single != single:
                    raise ApiError(400, "invalid", "Invalid sync token value.")
                chosen = [e for e in self._view(calendar, single) if e.seq > since]
            else:
                show_deleted = _bool(params, "showDeleted")
                time_min, time_max = _instant(params, "timeMin"), _instant(params, "timeMax")
                if time_min and time_max and time_min >= time_max:
                    raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
                chosen = [
                    e
                    for e in self._view(calendar, single)
                    if (e.live or show_deleted)
                    and (time_min is None or e.end > time_min or (e.start == e.end == time_min))
                    and (time_max is None or e.start < time_max)
                ]
            page = params.get("pageToken")
            state = _unb64(page) if page else {"s": calendar.seq, "a": ""}
            snapshot, after = int(state["s"]), str(state["a"])
            if sync_token is not None:
                chosen = [e for e in chosen if e.seq <= snapshot]
            chosen.sort(key=lambda e: str(e.payload["id"]))
            rest = [e for e in chosen if str(e.payload["id"]) > after]
            items = [dict(e.payload) for e in rest[:size]]
            body: dict[str, object] = {
                "kind": "calendar#events",
                "etag": f'"p{snapshot}"',
                "summary": calendar.owner,
                "description": "",
                "updated": datetime.now().astimezone().isoformat(),
                "timeZone": calendar.timezone,
                "accessRole": "owner",
                "defaultReminders": [],
                "items": items,
            }
            if len(rest) > size:
                body["nextPageToken"] = _b64({"s": snapshot, "a": items[-1]["id"]})
            else:
                body["nextSyncToken"] = self._sync_token(calendar, snapshot, single)
        return JSONResponse(body)

    def _view(self, calendar: Calendar, single: bool) -> Iterable[Entry]:
        if single:
            return list(calendar.entries.values())
        # Without singleEvents: masters and single events, plus changed or cancelled instances.
        found: list[Entry] = []
        for entry in calendar.entries.values():
            stored = calendar.events.get(entry.owner)
            single = stored is None or "recurringEventId" not in entry.payload
            if single or str(entry.payload["id"]) in stored.overrides:
                found.append(entry)
        for event_id, stored in calendar.events.items():
            if stored.resource.get("recurrence") and event_id not in calendar.entries:
                master = dict(stored.resource)
                found.append(
                    Entry(
                        master,
                        calendar.seq,
                        event_id,
                        *_span(calendar, event_id),
                        live=not stored.deleted,
                    )
                )
        return found

    def _sync_token(self, calendar: Calendar, seq: int, single: bool) -> str:
        return "S" + _b64({"c": calendar.owner, "s": seq, "e": calendar.token_epoch, "1": single})

    def _read_sync_token(self, calendar: Calendar, token: str) -> tuple[int, bool]:
        if not token.startswith("S"):
            raise ApiError(400, "invalid", "Invalid sync token value.")
        state = _unb64(token[1:])
        if state.get("c") != calendar.owner:
            raise ApiError(400, "invalid", "Invalid sync token value.")
        if state.get("e") != calendar.token_epoch:
            raise ApiError(
                410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
            )
        return int(state["s"]), bool(state["1"])

    async def events_get(self, request: Request) -> Response:
        """events.get: one event or instance by id (deleted ones too)."""
        return await self._guard(request, "events.get", CALENDAR_SCOPES, self._events_get)

    def _events_get(self, request: Request, caller: str) -> Response:
        calendar = self._calendar(caller, request.path_params["calendar"])
        with self.emu.lock:
            found = calendar.get(request.path_params["event"])
        if found is None:
            raise ApiError(404, "notFound", "Not Found")
        return JSONResponse(found)

    async def events_watch(self, request: Request) -> Response:
        """events.watch: open a web_hook channel on the calendar's events."""
        return await self._guard(
            request, "events.watch", CALENDAR_SCOPES, self._events_watch, body=True
        )

    def _events_watch(self, request: Request, caller: str, body: Mapping[str, object]) -> Response:
        calendar = self._calendar(caller, request.path_params["calendar"])
        channel_id = str(body.get("id") or "")
        address = str(body.get("address") or "")
        if body.get("type") not in ("web_hook", "webhook"):
            raise ApiError(400, "invalid", "Invalid value for: type")
        if not CHANNEL_ID.fullmatch(channel_id):
            raise ApiError(400, "invalid", "Invalid value for: id")
        if not address.startswith("https://") and not (
            self.emu.allow_http_callbacks and address.startswith("http://")
        ):
            raise ApiError(
                400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}"
            )
        with self.emu.lock:
            if channel_id in self.emu.channels:
                raise ApiError(400, "channelIdNotUnique", f"Channel id {channel_id} not unique")
        expiration = body.get("expiration")
        token = body.get("token")
        channel = self.emu.open_channel(
            calendar.owner,
            channel_id,
            address,
            None if token is None else str(token),
            None if expiration is None else int(str(expiration)),
        )
        answer = {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": f"{self.emu.base_url}/calendar/v3/calendars/"
            f"{calendar.owner}/events?alt=json",
            "expiration": str(channel.expiration_ms),
        }
        if channel.token is not None:
            answer["token"] = channel.token
        return JSONResponse(answer)

    async def channels_stop(self, request: Request) -> Response:
        """channels.stop: 204 when stopped, 404 for a channel not known (or already stopped)."""
        return await self._guard(
            request, "channels.stop", CALENDAR_SCOPES, self._channels_stop, body=True
        )

    def _channels_stop(self, request: Request, caller: str, body: Mapping[str, object]) -> Response:
        if not self.emu.stop_channel(str(body.get("id")), str(body.get("resourceId"))):
            raise ApiError(404, "notFound", f"Channel '{body.get('id')}' not found for project '1'")
        return Response(status_code=204)

    async def settings_get(self, request: Request) -> Response:
        """settings.get: the user's `timezone` (other settings: 404 here)."""
        return await self._guard(request, "settings.get", SETTINGS_SCOPES, self._settings_get)

    def _settings_get(self, request: Request, caller: str) -> Response:
        setting = request.path_params["setting"]
        calendar = self._calendar(caller, "primary")
        if setting != "timezone":
            raise ApiError(404, "notFound", "Not Found")
        return JSONResponse(
            {
                "kind": "calendar#setting",
                "etag": '"1"',
                "id": "timezone",
                "value": calendar.timezone,
            }
        )

    # -- Directory v1 ---------------------------------------------------------------------

    async def users_list(self, request: Request) -> Response:
        """users.list: the customer's users, paged by `maxResults` (at most 500)."""
        return await self._guard(request, "users.list", USER_SCOPES, self._users_list)

    def _admin(self, caller: str) -> None:
        with self.emu.lock:
            user = self.emu.users.get(caller)
        if user is None or not user.is_admin:
            raise ApiError(403, "forbidden", "Not Authorized to access this resource/api")

    def _customer(self, params: Mapping[str, str]) -> None:
        customer, domain = params.get("customer"), params.get("domain")
        if customer is None and domain is None:
            raise ApiError(400, "badRequest", "Bad Request")
        if customer is not None and customer not in ("my_customer", self.emu.customer_id):
            raise ApiError(404, "notFound", "Resource Not Found: customer")
        if domain is not None and domain != self.emu.domain:
            raise ApiError(403, "forbidden", "Not Authorized to access this resource/api")

    def _users_list(self, request: Request, caller: str) -> Response:
        params = request.query_params
        self._admin(caller)
        self._customer(params)
        size = _int(params, "maxResults", 100, 500)
        with self.emu.lock:
            users = sorted(self.emu.users.values(), key=lambda u: u.email)
            resources = [u.resource() for u in users]
        return JSONResponse(
            _paged("admin#directory#users", "users", resources, "primaryEmail", size, params)
        )

    async def groups_list(self, request: Request) -> Response:
        """groups.list: the customer's groups."""
        return await self._guard(request, "groups.list", GROUP_SCOPES, self._groups_list)

    def _groups_list(self, request: Request, caller: str) -> Response:
        params = request.query_params
        self._admin(caller)
        self._customer(params)
        size = _int(params, "maxResults", 200, 200)
        with self.emu.lock:
            groups = [
                {
                    "kind": "admin#directory#group",
                    "id": g.id,
                    "etag": f'"{g.id}"',
                    "email": g.email,
                    "name": g.name,
                    "directMembersCount": str(len(g.members)),
                    "description": "",
                    "adminCreated": True,
                }
                for g in sorted(self.emu.groups.values(), key=lambda g: g.email)
            ]
        return JSONResponse(
            _paged("admin#directory#groups", "groups", groups, "email", size, params)
        )

    async def members_list(self, request: Request) -> Response:
        """members.list: a group's members."""
        return await self._guard(request, "members.list", GROUP_SCOPES, self._members_list)

    def _members_list(self, request: Request, caller: str) -> Response:
        params = request.query_params
        self._admin(caller)
        key = request.path_params["group"]
        size = _int(params, "maxResults", 200, 200)
        with self.emu.lock:
            group = next((g for g in self.emu.groups.values() if key in (g.email, g.id)), None)
            if group is None:
                raise ApiError(404, "notFound", "Resource Not Found: groupKey")
            members = [
                {
                    "kind": "admin#directory#member",
                    "etag": f'"{email}"',
                    "id": self.emu.users[email].id if email in self.emu.users else email,
                    "email": email,
                    "role": "MEMBER",
                    "type": "USER",
                    "status": "ACTIVE",
                }
                for email in sorted(group.members)
            ]
        return JSONResponse(
            _paged("admin#directory#members", "members", members, "email", size, params)
        )

    # -- shared ---------------------------------------------------------------------------

    async def _guard(
        self,
        request: Request,
        operation: str,
        scopes: frozenset[str],
        handler: Callable[..., Response],
        *,
        body: bool = False,
    ) -> Response:
        try:
            caller = self._caller(request, operation, scopes)
            if body:
                try:
                    data = json.loads(await request.body() or b"{}")
                except ValueError:
                    raise ApiError(400, "parseError", "Parse Error") from None
                return handler(request, caller, data if isinstance(data, dict) else {})
            return handler(request, caller)
        except _Faulted as faulted:
            return fault_response(faulted.fault)
        except ApiError as exc:
            return exc.response()


class _Faulted(Exception):
    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.operation)
        self.fault = fault


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _span(calendar: Calendar, event_id: str) -> tuple[datetime, datetime]:
    from tests.emulators.google.calendar import parse_when

    resource = calendar.events[event_id].resource
    start, _ = parse_when(resource["start"])  # type: ignore[arg-type]
    end, _ = parse_when(resource["end"])  # type: ignore[arg-type]
    return start, end


def _paged(
    kind: str,
    key: str,
    resources: list[dict[str, object]],
    order: str,
    size: int,
    params: Mapping[str, str],
) -> dict[str, object]:
    after = params.get("pageToken")
    start = str(_unb64(after)["a"]) if after else ""
    rest = [r for r in resources if str(r[order]) > start]
    body: dict[str, object] = {"kind": kind, "etag": '"dir"', key: rest[:size]}
    if len(rest) > size:
        body["nextPageToken"] = _b64({"a": rest[size - 1][order]})
    return body
