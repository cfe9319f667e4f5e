"""Utilities of the original API: pattern matching, logging and timing helpers."""
