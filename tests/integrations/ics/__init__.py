"""Tests of the iCalendar connector."""
