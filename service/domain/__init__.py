"""The pure domain: meetings, classification, policies, nudges, relationships, connector port.

Nothing here does I/O or imports anything of ours outside `service.domain`.
"""
