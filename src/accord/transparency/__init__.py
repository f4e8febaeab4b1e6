"""Accountability: the public transparency report, and payments against agreements."""
