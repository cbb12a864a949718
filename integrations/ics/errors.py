"""Connector errors with bounded messages, and the net that types every other failure.

Messages carry text from the outside (URLs, headers, library errors); each one is cut to
`MESSAGE_LIMIT` characters before it is raised, logged or stored on a connection.
"""

from __future__ import annotations

from service.domain.port import ConnectorError, ProviderUnavailable

MESSAGE_LIMIT = 500


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` cut to at most `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bounded(error: ConnectorError) -> ConnectorError:
    """The same error (class, fields, cause) with its message cut to `MESSAGE_LIMIT`."""
    text = str(error)
    if len(text) > MESSAGE_LIMIT:
        error.args = (clip(text),)
    return error


def unexpected(error: BaseException, doing: str) -> ProviderUnavailable:
    """A failure outside the connector vocabulary, as a transient connector error."""
    return ProviderUnavailable(clip(f"{doing} failed: {type(error).__name__}: {error}"))
