"""Running a deployment: backing the database up and restoring a backup (docs/operations.md)."""
