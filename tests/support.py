"""Helpers shared by tests."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from accord.cli import app


class Cli:
    """Runs `accord …` in-process against the test's database."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.runner = CliRunner()

    def __call__(self, *args: str, db: bool = True) -> Result:
        argv = [*args, "--db", self.database_url] if db else list(args)
        return self.runner.invoke(app, argv, env={"COLUMNS": "200"}, catch_exceptions=False)


def person(case_id: str, family_id: str | None = None, **overrides: object) -> dict[str, object]:
    """A valid person record in the exchange schema; override any field."""
    record: dict[str, object] = {
        "case_id": case_id,
        "family_id": family_id or f"F-{case_id}",
        "relationship": "head",
        "given_name": "Ana",
        "family_name": "Example",
        "birth_date": "1990-04-02",
        "sex": "F",
        "nationalities": ["VE"],
        "languages": ["es"],
        "sender_status": "none",
        "removal_order": {"status": "final", "date": "2025-03-01"},
    }
    record.update(overrides)
    return record
