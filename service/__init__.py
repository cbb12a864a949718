"""Rapport: meeting nudges that help people connect."""
