"""The sample's meetings: a normal fortnight at Northwind Studio, with the history behind it.

Day 0 is the anchor Monday; three weeks of history (days -21..-1, Christmas included) and two
weeks ahead. Pairs that met a few times before Christmas and never again are the lapsed
relationships; a few look similar but are not lapsed (they met recently or have a catch-up booked).
"""

from __future__ import annotations

from scripts.samplegen.catalog.occasional import occasional
from scripts.samplegen.catalog.routine import routine
from scripts.samplegen.spec import Spec

__all__ = ["LAPSED_PAIRS", "NOT_LAPSED_PAIRS", "catalog"]

# Pairs that should come out as lapsed, and look-alikes that should not.
LAPSED_PAIRS: tuple[tuple[str, str], ...] = (
    ("sam.rivera", "tom.bennett"),
    ("lucy.okafor", "neha.rao"),
    ("marcus.lee", "oliver.grant"),
    ("kavya.iyer", "priya.shah"),
    ("arjun.mehta", "tom.bennett"),
)
NOT_LAPSED_PAIRS: tuple[tuple[str, str], ...] = (
    ("dana.whitfield", "lucy.okafor"),
    ("neha.rao", "tom.bennett"),
)


def catalog() -> list[Spec]:
    """Every event of the sample, in a fixed order."""
    return [*routine(), *occasional()]
