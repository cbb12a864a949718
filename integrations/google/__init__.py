"""The Google Calendar connector (normaliser for now): API v3 events -> domain meetings."""

from integrations.google.normalise import normalise_event

__all__ = ["normalise_event"]
