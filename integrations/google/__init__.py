"""The Google Workspace connector: Calendar v3 events of every person (domain-wide delegation).

Public API::

    GoogleConnector(api=GoogleApi(ClientConfig()), config=SyncConfig(), push=PushConfig())
        .pull(calendar, cursor, window) -> AsyncIterator[PullPage]
    GoogleAccount.parse(stored_json) / GoogleAccount(key, admin_email, customer, api_url)
    read_key(bytes) -> dict                       a service account key file, checked
    read_directory(api, account) -> Directory     the people, aliases, managers and groups
    normalise_event(payload, owner, default_tz) -> Meeting | SkippedEvent

Modules: `account` (the install and its key, in memory only), `client` (the calls, in a thread
pool, with retries), `ratelimit` (token buckets), `errors` (Google's errors by kind), `cursor`,
`connector`, `directory`, `push`, `normalise` (with `fields`).
"""

from integrations.google.account import GoogleAccount, InvalidAccount, read_key
from integrations.google.client import ClientConfig, GoogleApi
from integrations.google.connector import GoogleConnector, SyncConfig
from integrations.google.directory import Directory, DirectoryPerson, read_directory
from integrations.google.normalise import normalise_event
from integrations.google.push import PushConfig, webhook_address
from integrations.google.ratelimit import RateLimits

__all__ = [
    "ClientConfig",
    "Directory",
    "DirectoryPerson",
    "GoogleAccount",
    "GoogleApi",
    "GoogleConnector",
    "InvalidAccount",
    "PushConfig",
    "RateLimits",
    "SyncConfig",
    "normalise_event",
    "read_directory",
    "read_key",
    "webhook_address",
]
