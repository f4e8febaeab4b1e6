"""Metrics, summaries and reports."""
