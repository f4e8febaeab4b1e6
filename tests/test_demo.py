"""`accord demo` runs the built-in scenario end to end and prints a readable summary."""

from __future__ import annotations

from pathlib import Path

from tests.support import Cli


def test_demo_on_a_fresh_database(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'demo.db'}")
    result = cli("demo", "--count", "600", "--seed", "3")
    assert result.exit_code == 0, result.output
    output = result.output
    assert "loaded 10 reported arrangements" in output
    assert "600 people created" in output
    for expected in (
        "us-xk-2025",
        "US → XK",
        "up to 50 people per P1Y",
        "Associated Press, Dec 2025",
    ):
        assert expected in output
    assert "Synthetic population: 600 people" in output
    assert "By status in the sender and removal order" in output
    assert "audit chain intact" in output
    # Pools are proposed for the agreements in force, with their certified gap.
    assert "Proposal: objective" in output
    assert "proven optimal" in output or "within" in output
    assert "us-uz-2025: persons_per_period cap not known as a figure" in output


def test_demo_uses_a_temporary_database_by_default() -> None:
    result = Cli("unused")("demo", "--count", "50", db=False)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("database: "))
    database = Path(line.removeprefix("database: sqlite:///"))
    assert database.name == "accord-demo.db"
    assert not database.exists(), "the temporary database is removed afterwards"
