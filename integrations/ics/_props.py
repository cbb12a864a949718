"""Old name of `integrations.ics.props`, kept only for tests/service/domain/test_zones.py.

Delete this file once that test imports `zone` from `integrations.ics.props`.
"""

from integrations.ics.props import zone

__all__ = ["zone"]
