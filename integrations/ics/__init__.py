"""The iCalendar connector: an SSRF-safe feed fetcher, a pure normaliser and the connector.

Public API::

    IcsConnector(policy, page_size=500, parse_timeout_s=60.0, budget=FeedBudget())
        .pull(calendar, cursor, window) -> AsyncIterator[PullPage]
    FeedBudget(max_instances_per_feed=20_000, ...)    what one feed may cost (kept within)
    fetch_feed(url_or_path, *, etag, last_modified, policy) -> FetchResult
    read_events(data, owner, default_tz="UTC") -> Iterator[Meeting | SkippedEvent]  (not expanded)
    expand_feed(data, owner, window, default_tz="UTC", *, budget) -> ParsedFeed   (expanded)
    normalise_vevent(event, owner, default_tz) -> Meeting | SkippedEvent

`read_events`/`expand_feed` raise `InvalidFeed` (a ValueError) when the bytes are not
iCalendar at all, and ValueError for a bad owner or default_tz; a bad event is a SkippedEvent.
`fetch_feed` and `IcsConnector.pull` raise only the port's ConnectorErrors.

Modules: `fetch` (with `addresses`, `decoding`, `localfile`), `normalise` (with `props`),
`expand` (with `rawfeed`, `series`, `rules`, `budget`, `timelimit`), `isolate` (the child
process that reads untrusted feeds), `cursor`, `connector`, `errors`.
"""

from integrations.ics.budget import FeedBudget
from integrations.ics.connector import IcsConnector
from integrations.ics.expand import ParsedFeed, expand_feed
from integrations.ics.fetch import FetchPolicy, FetchResult, fetch_feed
from integrations.ics.normalise import InvalidFeed, normalise_vevent, read_events

__all__ = [
    "FeedBudget",
    "FetchPolicy",
    "FetchResult",
    "IcsConnector",
    "InvalidFeed",
    "ParsedFeed",
    "expand_feed",
    "fetch_feed",
    "normalise_vevent",
    "read_events",
]
