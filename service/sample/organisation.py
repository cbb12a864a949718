"""Who the bundled sample organisation is, shared by its loader and the generator in scripts/."""

from __future__ import annotations

from datetime import UTC, datetime

TENANT_SLUG = "northwind"
TENANT_NAME = "Northwind Studio"
DOMAIN = "northwind.example"
# The sample's "now": Monday 07:00 UTC. Everything is laid out around it and the loader
# moves it by whole weeks, so weekdays and local wall-clock times survive the move.
ANCHOR = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
