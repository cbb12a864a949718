"""The Graph emulator's HTTP side: identity platform v2.0 (OpenID metadata, token endpoint) and
Graph v1.0 subsets (users, groups, manager, mailboxSettings, calendarView/delta, events,
$batch, subscriptions).

Shapes follow the public references: errors are `{"error": {"code", "message", "innerError"}}`
(Graph) or `{"error", "error_description", "error_codes"}` with an AADSTS code (identity
platform); `$batch` answers 200 with each part's own status (429 and Retry-After inside).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators.microsoft.state import GRAPH_SCOPE, DeltaState, GraphEmulator

MAX_BATCH = 20
MAX_SUBSCRIPTION_MINUTES = 4230
Answer = tuple[int, dict[str, str], object]


def graph_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Answer:
    """A Graph error body."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                           "request-id": str(uuid.uuid4())},
        }
    }  # fmt: skip
    return status, headers or {}, body


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _item_span(payload: Mapping[str, Any]) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(payload["start"]["dateTime"]).replace(tzinfo=UTC)
    end = datetime.fromisoformat(payload["end"]["dateTime"]).replace(tzinfo=UTC)
    return start, end


class GraphApp:
    """ASGI app over a `GraphEmulator`."""

    def __init__(self, state: GraphEmulator) -> None:
        """Routes for the identity platform and Graph."""
        self.state = state
        self.app = Starlette(
            routes=[
                Route("/{tenant}/v2.0/.well-known/openid-configuration", self.metadata),
                Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"]),
                Route("/v1.0/{path:path}", self.graph, methods=["GET", "POST", "PATCH", "DELETE"]),
            ]
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI entry."""
        await self.app(scope, receive, send)

    # -- identity platform --------------------------------------------------------------------

    async def metadata(self, request: Request) -> Response:
        """OpenID Connect metadata (what msal reads to find the token endpoint)."""
        tenant = request.path_params["tenant"]
        base = self.state.base_url
        if tenant not in (self.state.tenant_id, "organizations", "common"):
            return JSONResponse(
                {"error": "invalid_tenant",
                 "error_description": f"AADSTS90002: Tenant '{tenant}' not found."},
                status_code=400,
            )  # fmt: skip
        return JSONResponse(
            {
                "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post", "private_key_jwt", "client_secret_basic"],
                "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/{tenant}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{base}/oidc/userinfo",
                "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            }
        )  # fmt: skip

    async def token(self, request: Request) -> Response:
        """Client credentials with a secret (client_secret_post or basic)."""
        form = dict(parse_qsl((await request.body()).decode()))
        state = self.state
        state.token_requests += 1

        def refuse(status: int, error: str, description: str) -> Response:
            code = int(description.split(":")[0].removeprefix("AADSTS") or 0)
            return JSONResponse(
                {"error": error, "error_description": description, "error_codes": [code],
                 "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
                 "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())},
                status_code=status,
            )  # fmt: skip

        if request.path_params["tenant"] != state.tenant_id:
            return refuse(400, "invalid_request", "AADSTS90002: Tenant not found.")
        if form.get("grant_type") != "client_credentials":
            return refuse(400, "unsupported_grant_type", "AADSTS70003: unsupported grant type.")
        client_id = form.get("client_id", "")
        if client_id not in state.clients:
            return refuse(
                400, "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found in the "
                f"directory '{state.tenant_id}'.",
            )  # fmt: skip
        if state.client_error is not None:
            return refuse(401 if state.client_error[0] == "invalid_client" else 400,
                          *state.client_error)  # fmt: skip
        assertion = form.get("client_assertion")
        if assertion is not None:
            if not self.assertion_ok(client_id, assertion, str(request.url)):
                return refuse(
                    401, "invalid_client",
                    "AADSTS700027: The certificate with identifier used to sign the client "
                    "assertion is not registered on application.",
                )  # fmt: skip
        elif form.get("client_secret") != state.clients[client_id]:
            return refuse(
                401, "invalid_client",
                f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                f"in the request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{client_id}'.",
            )  # fmt: skip
        if form.get("scope") != GRAPH_SCOPE:
            return refuse(
                400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid."
            )
        token = "eyJ0eXAiOiJKV1QiLCJub25jZSI6" + secrets.token_urlsafe(32)
        state.tokens[token] = time.time() + 3599
        return JSONResponse(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
             "access_token": token}
        )  # fmt: skip

    def assertion_ok(self, client_id: str, assertion: str, audience: str) -> bool:
        """A client assertion (RFC 7523) signed by the app's registered certificate."""
        cert = self.state.certificates.get(client_id)
        if cert is None:
            return False
        try:
            header = jwt.get_unverified_header(assertion)
            public = cert.public_key()
            assert isinstance(public, rsa.RSAPublicKey)  # the emulator registers RSA keys
            claims = jwt.decode(assertion, public, algorithms=["RS256", "PS256"], audience=audience)
        except jwt.PyJWTError:
            return False
        named = str(header.get("x5t#S256", "")).rstrip("=").replace("+", "-").replace("/", "_")
        thumbprint = base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA256())).rstrip(b"=")
        return (
            claims.get("iss") == client_id
            and claims.get("sub") == client_id
            and named == thumbprint.decode()
        )

    # -- Graph ----------------------------------------------------------------------------------

    async def graph(self, request: Request) -> Response:
        """Every Graph request: authenticated, faults applied, dispatched."""
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ")
        expiry = self.state.tokens.get(token)
        if expiry is None or expiry < time.time():
            status, headers, body = graph_error(
                401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
            )
            return JSONResponse(body, status, headers)
        path = "/" + request.path_params["path"]
        self.state.http.append(path)
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        raw = await request.body()
        body = json.loads(raw) if raw else None
        if path == "/$batch" and request.method == "POST":
            status, headers, answer = await self.batch(body, dict(request.headers))
        else:
            status, headers, answer = await self.dispatch(
                request.method, path, query, dict(request.headers), body
            )
        if answer is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(answer, status, headers)

    async def batch(self, body: object, outer: Mapping[str, str]) -> Answer:
        """JSON batching: at most 20 parts; each answers with its own status."""
        parts = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(parts, list) or not parts:
            return graph_error(400, "BadRequest", "Invalid batch payload format.")
        if len(parts) > MAX_BATCH:
            return graph_error(
                400, "BadRequest", "Unable to deserialize batch: more than 20 requests."
            )
        responses = []
        for part in parts:
            split = urlsplit(str(part.get("url", "")))
            path = unquote(split.path).removeprefix("/v1.0")
            headers = {k.lower(): v for k, v in (part.get("headers") or {}).items()}
            status, answer_headers, answer = await self.dispatch(
                str(part.get("method", "GET")).upper(), path,
                dict(parse_qsl(split.query, keep_blank_values=True)), headers, part.get("body"),
            )  # fmt: skip
            response: dict[str, object] = {"id": part.get("id"), "status": status,
                                           "headers": answer_headers}  # fmt: skip
            if answer is not None:
                response["body"] = answer
            responses.append(response)
        return 200, {}, {"responses": responses}

    async def dispatch(  # noqa: C901 # one dispatcher for every path the emulator serves
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Mapping[str, str],
        body: object,
    ) -> Answer:
        """One Graph call (direct or inside a batch)."""
        state = self.state
        with state.lock:
            state.requests.append((method, path))
        fault = state.take_fault(path)
        if fault is not None:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            code = fault.code or {401: "InvalidAuthenticationToken", 403: "ErrorAccessDenied",
                                  404: "ErrorItemNotFound", 410: "syncStateNotFound",
                                  429: "TooManyRequests", 503: "ServiceUnavailable"}.get(
                fault.status, "generalException")  # fmt: skip
            return graph_error(fault.status, code, fault.message or code, extra)
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["users"]:
            if len(parts) == 1:
                return self.page_of(list(state.users.values()), query, "/users")
            user_id = self._user(parts[1])
            if user_id is None:
                return graph_error(404, "Request_ResourceNotFound",
                                   f"Resource '{parts[1]}' does not exist.")  # fmt: skip
            rest = parts[2:]
            if not rest:
                return 200, {}, self.select(state.users[user_id], query)
            if rest == ["manager"]:
                manager = state.managers.get(user_id)
                if manager is None:
                    return graph_error(
                        404,
                        "Request_ResourceNotFound",
                        f"Resource 'manager' does not exist for '{user_id}'.",
                    )
                return 200, {}, {"@odata.type": "#microsoft.graph.user",
                                 **self.select(state.users[manager], query)}  # fmt: skip
            if rest == ["mailboxSettings"]:
                return 200, {}, state.mailbox_settings[user_id]
            mailbox = state.mailboxes[user_id]
            if mailbox.status != 200:
                said = (
                    "Access to OData is disabled."
                    if mailbox.status == 403
                    else "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
                )
                return graph_error(mailbox.status, mailbox.code or "ErrorAccessDenied", said)
            if rest == ["calendarView", "delta"]:
                return self.delta(user_id, query, headers)
            if len(rest) == 2 and rest[0] == "events":
                item = mailbox.items.get(rest[1])
                if item is None or item.deleted:
                    return graph_error(
                        404, "ErrorItemNotFound", "The specified object was not found in the store."
                    )
                return 200, {}, item.payload
        if parts[:1] == ["groups"]:
            if len(parts) == 1:
                return self.page_of(list(state.groups.values()), query, "/groups")
            if len(parts) == 3 and parts[2] == "members" and parts[1] in state.groups:
                members = [{"@odata.type": "#microsoft.graph.user", **state.users[m]}
                           for m in state.members[parts[1]]]  # fmt: skip
                return self.page_of(members, query, f"/groups/{parts[1]}/members")
        if parts[:1] == ["subscriptions"]:
            return await self.subscription(method, parts[1:], body)
        return graph_error(
            400, "BadRequest", f"Resource not found for the segment '{parts[-1] if parts else ''}'."
        )

    def _user(self, key: str) -> str | None:
        if key in self.state.users:
            return key
        return self.state.by_upn.get(key.lower())

    @staticmethod
    def select(item: Mapping[str, object], query: Mapping[str, str]) -> dict[str, object]:
        """`$select`: the named properties and the id."""
        wanted = query.get("$select")
        if not wanted:
            return dict(item)
        names = {"id", *wanted.split(",")}
        return {k: v for k, v in item.items() if k in names or k.startswith("@odata")}

    def page_of(
        self, items: list[dict[str, object]], query: Mapping[str, str], path: str
    ) -> Answer:
        """A collection paged by `$top` (default 100, at most 999) with `$skiptoken`."""
        top = min(int(query.get("$top", "100")), 999)
        offset = int(query.get("$skiptoken", "0") or 0)
        chunk = items[offset : offset + top]
        body: dict[str, object] = {
            "@odata.context": f"{self.state.base_url}/v1.0/$metadata#{path.strip('/')}",
            "value": [self.select(item, query) for item in chunk],
        }
        if offset + top < len(items):
            rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "$skiptoken")
            body["@odata.nextLink"] = (
                f"{self.state.base_url}/v1.0{path}?{rest}&$skiptoken={offset + top}"
            )
        return 200, {}, body

    # -- calendarView/delta ---------------------------------------------------------------------

    def delta(self, user_id: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Answer:
        """An initial round (startDateTime/endDateTime), a next page, or a round since a token."""
        state = self.state
        prefer = headers.get("prefer", "")
        size = 10
        for piece in prefer.split(","):
            name, _, value = piece.strip().partition("=")
            if name == "odata.maxpagesize":
                size = max(1, min(int(value), state.max_page))
        with state.lock:
            if "$skiptoken" in query or "$deltatoken" in query:
                key = query.get("$skiptoken") or query.get("$deltatoken", "")
                known = state.deltas.get(key)
                if known is None or known.user != user_id:
                    return graph_error(400, "BadRequest", "Invalid delta token.")
                if "$deltatoken" in query:
                    if known.upto < state.expired_min_seq:
                        return graph_error(
                            410, "syncStateNotFound",
                            f"The sync state generation is not found; generation={known.upto};"
                            f"[highest={state.last_seq}]",
                        )  # fmt: skip
                    round_ = DeltaState(user_id, known.start, known.end, known.upto, state.last_seq)
                else:
                    round_ = known
            else:
                start = _when(query.get("startDateTime"))
                end = _when(query.get("endDateTime"))
                if start is None or end is None:
                    return graph_error(
                        400,
                        "ErrorInvalidParameter",
                        "This request requires a time window specified by the "
                        "query string parameters StartDateTime and EndDateTime.",
                    )
                round_ = DeltaState(user_id, start, end, -1, state.last_seq)
            entries = self._entries(round_)
            page = entries[round_.offset : round_.offset + size]
            if state.replay and round_.since >= 0 and page:
                page = [*page, page[0]]
            base = f"{state.base_url}/v1.0/users/{user_id}/calendarView/delta"
            body: dict[str, object] = {
                "@odata.context": f"{state.base_url}/v1.0/$metadata#Collection(event)",
                "value": page,
            }
            token = secrets.token_urlsafe(24)
            if round_.offset + size < len(entries):
                state.deltas[token] = DeltaState(
                    user_id, round_.start, round_.end, round_.since, round_.upto,
                    round_.offset + size,
                )  # fmt: skip
                body["@odata.nextLink"] = f"{base}?$skiptoken={token}"
            else:
                state.deltas[token] = DeltaState(user_id, round_.start, round_.end, -1, round_.upto)
                body["@odata.deltaLink"] = f"{base}?$deltatoken={token}"
        applied = {"Preference-Applied": "odata.maxpagesize=" + str(size)}
        if 'outlook.timezone="UTC"' in prefer:
            applied["Preference-Applied"] += ', outlook.timezone="UTC"'
        return 200, applied, body

    def _entries(self, round_: DeltaState) -> list[dict[str, object]]:
        mailbox = self.state.mailboxes[round_.user]
        found: list[dict[str, object]] = []
        for event_id in sorted(mailbox.items):
            item = mailbox.items[event_id]
            payload = item.payload
            if payload.get("type") == "seriesMaster" or item.seq > round_.upto:
                continue
            if round_.since >= 0 and item.seq <= round_.since:
                continue
            start, end = _item_span(payload)
            inside = start < round_.end and end > round_.start
            if item.deleted or not inside:
                if round_.since >= 0:  # new events outside the window come as removals too
                    found.append({"@odata.type": "#microsoft.graph.event", "id": event_id,
                                  "@removed": {"reason": "deleted"}})  # fmt: skip
                continue
            if payload.get("type") == "occurrence" and self.state.strip_occurrences:
                found.append({"@odata.type": "#microsoft.graph.event",
                              "@odata.etag": payload["@odata.etag"], "id": event_id,
                              "type": "occurrence", "seriesMasterId": payload["seriesMasterId"],
                              "start": payload["start"], "end": payload["end"]})  # fmt: skip
            else:
                found.append({"@odata.type": "#microsoft.graph.event", **payload})
        return found

    # -- subscriptions --------------------------------------------------------------------------

    async def subscription(  # noqa: C901 # create, renew, delete, list in one place
        self, method: str, rest: list[str], body: object
    ) -> Answer:
        """Create (with the validation handshake), renew, delete or list subscriptions."""
        state = self.state
        if method == "GET" and not rest:
            return 200, {}, {"value": list(state.subscriptions.values())}
        if method == "POST" and not rest and isinstance(body, dict):
            expires = _when(str(body.get("expirationDateTime", "")))
            now = datetime.now(UTC)
            if expires is None or expires > now + timedelta(minutes=MAX_SUBSCRIPTION_MINUTES + 1):
                return graph_error(
                    400,
                    "ExtensionError",
                    "Subscription expiration can only be 4230 minutes in the future.",
                )
            for key in ("notificationUrl", "lifecycleNotificationUrl"):
                url = body.get(key)
                if url is None:
                    continue
                if not str(url).startswith("https://"):
                    return graph_error(400, "ValidationError",
                                       "The Notification Url must be an https url.")  # fmt: skip
                if not await self.validate(str(url)):
                    return graph_error(
                        400,
                        "ValidationError",
                        "Subscription validation request failed. Notification "
                        "endpoint must respond with 200 OK to validation request.",
                    )
            sub_id = str(uuid.uuid4())
            created = {
                "@odata.context": f"{state.base_url}/v1.0/$metadata#subscriptions/$entity",
                "id": sub_id, "resource": body.get("resource"),
                "applicationId": next(iter(state.clients), ""),
                "changeType": body.get("changeType"), "clientState": body.get("clientState"),
                "notificationUrl": body.get("notificationUrl"),
                "lifecycleNotificationUrl": body.get("lifecycleNotificationUrl"),
                "expirationDateTime": expires.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
                "creatorId": str(uuid.uuid4()), "latestSupportedTlsVersion": "v1_2",
                "includeResourceData": None, "encryptionCertificate": None,
                "notificationContentType": None,
            }  # fmt: skip
            state.subscriptions[sub_id] = created
            return 201, {}, created
        if len(rest) == 1 and rest[0] in state.subscriptions:
            if method == "DELETE":
                del state.subscriptions[rest[0]]
                return 204, {}, None
            if method == "PATCH" and isinstance(body, dict):
                expires = _when(str(body.get("expirationDateTime", "")))
                if expires is None or expires > datetime.now(UTC) + timedelta(
                    minutes=MAX_SUBSCRIPTION_MINUTES + 1
                ):
                    return graph_error(
                        400,
                        "ExtensionError",
                        "Subscription expiration can only be 4230 minutes in the future.",
                    )
                state.subscriptions[rest[0]]["expirationDateTime"] = expires.strftime(
                    "%Y-%m-%dT%H:%M:%S.0000000Z"
                )
                return 200, {}, state.subscriptions[rest[0]]
            if method == "GET":
                return 200, {}, state.subscriptions[rest[0]]
        return graph_error(404, "ResourceNotFound", "The object was not found.")

    async def validate(self, url: str) -> bool:
        """Graph's handshake: POST ?validationToken=..., expect 200 text/plain with it echoed."""
        token = (
            "Validation: Testing client application reachability for subscription Request-Id: "
            + str(uuid.uuid4())
        )
        try:
            async with self.state.webhook_client() as client:
                answer = await client.post(
                    url,
                    params={"validationToken": token},
                    headers={"Content-Type": "text/plain; charset=utf-8"},
                )
        except httpx.HTTPError:
            return False
        return (
            answer.status_code == 200
            and answer.text == token
            and answer.headers.get("content-type", "").startswith("text/plain")
        )

    async def notify(self, payload: Mapping[str, object], url: str) -> int:
        """POST a notification collection to `url` like Graph; returns the status."""
        async with self.state.webhook_client() as client:
            answer = await client.post(url, json=payload)
        return answer.status_code
