"""Accounts: users, sign-in under rate limits, browser sessions and API tokens."""
