"""Calendar connectors (Google, Microsoft, iCalendar): provider payloads in, domain meetings out."""
