"""`accord demo` runs the built-in scenario end to end and prints a readable summary."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from accord.access import Actor
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.store import open_store
from accord.transparency.model import Quarter
from accord.transparency.service import explain, publish
from tests.support import Cli
from tests.transparency.attacker import narrowest


@dataclass(frozen=True)
class DemoRun:
    output: str
    database: Path
    reports: Path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One run of the demo on 600 people, read by the tests below (and its year's transparency
    report by tests/transparency/test_demo_report.py's)."""
    folder = tmp_path_factory.mktemp("demo")
    database, reports = folder / "demo.db", folder / "reports"
    result = Cli(f"sqlite:///{database}")(
        "demo", "--count", "600", "--seed", "3", "--report-dir", str(reports)
    )
    assert result.exit_code == 0, result.output
    return DemoRun(result.output, database, reports)


@pytest.fixture(scope="module")
def demo_output(demo_run: DemoRun) -> str:
    return demo_run.output


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
        "not service (refused to sign 1)",
        "is not recorded as understanding 'en'",
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
        "S6: notice served on 2026-01-20: the days to raise a fear run to the end of 2026-01-30",
        "draft notice templates approved by s.chen: synthetic approval for the demo",
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


def test_the_demo_ends_with_its_years_transparency_report_in_a_folder_it_names(
    demo_run: DemoRun,
) -> None:
    assert f"the demo year's published transparency report: {demo_run.reports}" in " ".join(
        demo_run.output.split()
    )
    for quarter in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"):
        names = {p.name for p in (demo_run.reports / quarter).iterdir()}
        assert names == {
            f"report-{quarter}-all.{ext}" for ext in ("html", "csv", "json", "pdf")
        } | {"manifest.json"}


def test_demo_uses_a_temporary_database_by_default(tmp_path: Path) -> None:
    result = Cli("unused")(
        "demo", "--count", "50", "--report-dir", str(tmp_path / "reports"), db=False
    )
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("database: "))
    database = Path(line.removeprefix("database: sqlite:///"))
    assert database.name == "accord-demo.db"
    assert not database.exists(), "the temporary database is removed afterwards"


# --- The demo year's transparency report --------------------------------------------------------

GOLDEN = Path(__file__).parent / "golden"
OFFICER = Actor("o.reyes", "officer", "US")


def test_the_demo_years_q1_q2_report_is_the_golden_one(demo_run: DemoRun) -> None:
    """The HTML and CSV of the first two quarters, byte for byte (ACCORD_UPDATE_GOLDEN=1 writes
    them again after a deliberate change; read the diff before committing it)."""
    for quarter in ("2026-Q1", "2026-Q2"):
        for ext in ("html", "csv"):
            name = f"report-{quarter}-all.{ext}"
            written = (demo_run.reports / quarter / name).read_bytes()
            golden = GOLDEN / name
            if os.environ.get("ACCORD_UPDATE_GOLDEN") == "1":
                golden.parent.mkdir(exist_ok=True)
                golden.write_bytes(written)
            assert written == golden.read_bytes(), f"{name} differs from {golden}"


def _stored_releases(
    database: Path,
) -> list[tuple[str, list[dict[str, object]], dict[str, object]]]:
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT period, cells, document FROM report_releases ORDER BY id")
        return [(period, json.loads(cells), json.loads(doc)) for period, cells, doc in rows]


def test_no_suppressed_count_of_the_demo_year_can_be_recovered_from_its_four_releases(
    demo_run: DemoRun,
) -> None:
    """Every suppressed small count of Q1–Q4, attacked with everything the four releases
    publish together (totals, margins, period against cumulative, quarter against quarter)."""
    releases = _stored_releases(demo_run.database)
    assert [period for period, _, _ in releases] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert sum(1 for _, cells, _ in releases for c in cells if not c["published"]) > 50
    assert narrowest([cells for _, cells, _ in releases], 5) == []


def test_the_demo_years_totals_add_up_where_every_part_is_shown(demo_run: DemoRun) -> None:
    for _, _, document in _stored_releases(demo_run.database):
        for table in document["tables"]:  # type: ignore[attr-defined]
            value = {(c["row"], c["column"], c["span"]): c["value"] for c in table["cells"]}
            agreements = [r["id"] for r in table["rows"] if r["id"] != "all"]
            for (row, column, span), total in value.items():
                if row != "all" or total is None:
                    continue
                parts = [value[(a, column, span)] for a in agreements]
                if None not in parts:
                    assert total == sum(parts), (table["id"], column, span)


def test_publishing_a_quarter_again_gives_the_same_bytes_and_every_figure_is_explained(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    with closing(sqlite3.connect(demo_run.database)) as old, closing(sqlite3.connect(copy)) as new:
        old.backup(new)
    store = open_store(Settings(database_url=f"sqlite:///{copy}"))
    clock = SetClock.on(dt.date(2026, 12, 31))
    try:
        with unit_of_work(store.sessions) as session:
            again = publish(session, Quarter(2026, 2), OFFICER, clock, threshold=5)
        assert not again.new
        for name, data in again.files.items():
            assert data == (demo_run.reports / "2026-Q2" / name).read_bytes(), name
        with unit_of_work(store.sessions) as session:
            found = explain(
                session,
                Quarter(2026, 2),
                "families/demo-xk-year/accepted/cumulative",
                OFFICER,
                threshold=5,
            )
        assert found.published.isdigit()
        assert sum(f.value for f in found.facts) == int(found.published)
        assert all("accept on" in f.source for f in found.facts)
    finally:
        store.close()
