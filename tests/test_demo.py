"""`accord demo` runs the built-in scenario end to end and prints a readable summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import Cli


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One run of the demo on 600 people, read by the tests below."""
    database = tmp_path_factory.mktemp("demo") / "demo.db"
    result = Cli(f"sqlite:///{database}")("demo", "--count", "600", "--seed", "3")
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_on_a_fresh_database(demo_output: str) -> None:
    output = demo_output
    assert "loaded 10 reported arrangements" in output
    assert "600 people created" in output
    for expected in (
        "us-xk-2025",
        "United States (US)",
        "→ Kosovo (XK)",
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


def test_the_demo_names_each_country_beside_its_code(demo_output: str) -> None:
    """Countries by name: each reported arrangement's parties, name and code (a table), the
    nationalities of the synthetic population, and the year's agreement in its heading."""
    agreements = demo_output[demo_output.index("Agreements") : demo_output.index("Sources of")]
    for parties in (
        ("gb-rw-2023", "United Kingdom (GB)", "Rwanda (RW)"),
        ("us-rw-2025", "United States (US)", "Rwanda (RW)"),
        ("us-uz-2025", "United States (US)", "Uzbekistan (UZ)"),
        ("us-sv-custody-2025", "United States (US)", "El Salvador (SV)"),
        ("us-xk-2025", "United States (US)", "Kosovo (XK)"),
    ):
        row = r"{} +│ {} +│.*\n│ +│ → {} +│".format(*map(re.escape, parties))
        assert re.search(row, agreements), parties
    nationalities = demo_output[demo_output.index("(top nationalities)") :]
    assert re.search(r"│ El Salvador \(SV\) +│ +\d+ │", nationalities)
    assert re.search(r"│ Venezuela \(VE\) +│ +\d+ │", nationalities)
    assert "A made-up Kosovo-style agreement, United States → Kosovo," in demo_output


def test_the_demo_plays_a_year_of_the_workflow_and_prints_it(demo_output: str) -> None:
    """The synthetic Kosovo-style agreement, month by month: every step of the workflow, the
    safeguards refusing what they must, and the ledger at the end of the year."""
    year = demo_output[demo_output.index("A year of demo-xk-year, 2026-01-12 to 2026-12-31") :]
    months = re.findall(r"^(2026-\d\d)$", year, re.MULTILINE)
    assert months == [f"2026-{month:02d}" for month in range(1, 13)]
    for expected in (
        "proposed   pool 1: 51 families, 75 people (limit 75)",
        "receiver   accepted 34 families (50 people); rejected 17:",
        "public order",
        "documents",
        "not service (language not understood 1, refused to sign 1)",
        "fear       2 claims raised; decided: negative 1, positive 1",
        "one sign-off each",
        "arrived 24 families (34 people)",
        "returned home",
        "at 30 days",
        "at 180 days",
        "items closed",
        "stay 1 (place released)",
        "revoked 1: documents 1",
        "the review file of pool 1 sent twice: 45 decisions already applied, nothing changed",
        # Safeguards refusing on the day: the cap, the notice period, the reopening window,
        # medical fitness, and the suspension after an incident.
        "S13: cap of 50 people per P1Y holds 50 in 2026-01-01 to 2026-12-31",
        "S6: notice served on 2026-01-20: 10 days to raise fear run until 2026-01-30",
        "S5 fear claim about Kosovo (XK) refused on 2026-01-30;"
        " reopening window open until 2026-02-14",
        "S10: medical fitness to travel not confirmed",
        "ill treatment reported by m.berisha, agreement suspended (S15)",
        "S12: the agreement is suspended, not in force",
        "suspension lifted by s.okafor",
        # One family's way, then the ledger on the last day.
        "One family's way (a negative fear claim, item 25)",
        "reopening window for SYN-0000509 until 2026-02-14",
        "Ledger of demo-xk-year on 2026-12-31",
        "up to 50 people per P1Y (from the term start)",
        "2026-01-01 to 2026-12-31",
        "present now",
        "items at the end of the year: closed",
    ):
        assert expected in year, expected
    assert re.search(r"50 │\s+39 │\s+11 │ 2026-01-01 to 2026-12-31", year)
    assert "audit chain intact" in year


def test_demo_uses_a_temporary_database_by_default() -> None:
    result = Cli("unused")("demo", "--count", "50", db=False)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("database: "))
    database = Path(line.removeprefix("database: sqlite:///"))
    assert database.name == "accord-demo.db"
    assert not database.exists(), "the temporary database is removed afterwards"
