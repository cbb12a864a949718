"""Calendar connectors: Google, Microsoft, iCalendar; each turns provider payloads into domain meetings."""
