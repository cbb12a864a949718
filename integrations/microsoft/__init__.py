"""The Microsoft Graph connector (normaliser for now): v1.0 events -> domain meetings."""

from integrations.microsoft.normalise import normalise_event

__all__ = ["normalise_event"]
