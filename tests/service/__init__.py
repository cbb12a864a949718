"""Tests of the service pipeline."""
