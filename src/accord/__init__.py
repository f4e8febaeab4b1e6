"""Accord: runs transfer agreements between states, with the legal safeguards as hard constraints."""

__version__ = "0.1.0"
