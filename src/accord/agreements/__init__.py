"""The agreement registry: agreements, their status, caps and sources."""
