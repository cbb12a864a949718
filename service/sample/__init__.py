"""The bundled sample organisation (Northwind Studio) for `rapport demo`.

`load_sample(now)` returns the organisation with its feeds moved by whole weeks so that the
sample's anchor week is the week of `now`: weekdays and local meeting times are kept.
"""

from __future__ import annotations

from service.sample.loader import SampleOrganisation, SamplePerson, load_sample

__all__ = ["SampleOrganisation", "SamplePerson", "load_sample"]
