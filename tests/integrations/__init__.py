"""Rapport."""
