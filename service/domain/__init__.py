"""The pure domain: meetings, classification, policies, nudge rules, relationships, the connector port.

Nothing here does I/O or imports anything of ours outside `service.domain`.
"""
