"""Monitoring after transfer: the check-ins at 30, 90 and 180 days, and incidents (S15) that
suspend an agreement until a supervisor of the sender lifts the suspension."""
