"""The Microsoft 365 connector: Graph v1.0 calendarView/delta of every mailbox (app permissions).

Public API::

    MicrosoftConnector(client=GraphClient(ClientConfig()), config=SyncConfig())
        .pull(calendar, cursor, window) -> AsyncIterator[PullPage]
        .prefetch(calendars, cursors)   first delta pages of a steady round through $batch
    MicrosoftAccount.parse(stored_json) / MicrosoftAccount(tenant, client_id, secret, ...)
    GraphClient.call / .batch / .token  msal (client credentials) + httpx, errors by kind
    normalise_event(payload, owner, default_tz) -> Meeting | SkippedEvent

Modules: `account` (the install), `client` (msal, httpx, trust, retries, $batch, errors),
`cursor` (deltaLink, window, id map), `connector`, `normalise` (with `fields`, `windows_zones`).
"""

from integrations.microsoft.account import InvalidAccount, MicrosoftAccount
from integrations.microsoft.client import ClientConfig, GraphClient, MailboxUnavailable
from integrations.microsoft.connector import MicrosoftConnector, SyncConfig
from integrations.microsoft.normalise import normalise_event

__all__ = [
    "ClientConfig",
    "GraphClient",
    "InvalidAccount",
    "MailboxUnavailable",
    "MicrosoftAccount",
    "MicrosoftConnector",
    "SyncConfig",
    "normalise_event",
]
