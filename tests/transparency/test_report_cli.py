"""`accord report publish/list/explain` as signed-in accounts, on SQLite and PostgreSQL: files
written with their manifest, the same bytes again, a quarter not yet ended refused, the
receiver's reviewer refused, a figure traced."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from accord.scenarios import workflow_agreement_path
from tests.support import Cli

OFFICER, SUPERVISOR, REVIEWER, MONITOR = "olga", "sam", "rita", "mona"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("ACCORD_NOW", "2026-07-02T09:00:00")
    cli = Cli(database_url).signed_up()
    loaded = cli("agreements", "load", str(workflow_agreement_path()), user=SUPERVISOR)
    assert loaded.exit_code == 0, loaded.output
    return cli


def test_a_quarter_is_published_once_and_the_same_bytes_after(cli: Cli, tmp_path: Path) -> None:
    first = cli(
        "report", "publish", "--period", "2026-Q2", "--out", str(tmp_path / "a"), user=OFFICER
    )
    assert first.exit_code == 0, first.output
    assert "published: 2026-Q2 (all)" in first.output
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    files = {f["name"]: f for f in manifest["files"]}
    assert set(files) == {f"report-2026-Q2-all.{ext}" for ext in ("html", "csv", "json", "pdf")}
    for name, entry in files.items():
        assert hashlib.sha256((tmp_path / "a" / name).read_bytes()).hexdigest() == entry["sha256"]
    again = cli(
        "report", "publish", "--period", "2026-Q2", "--out", str(tmp_path / "b"), user=SUPERVISOR
    )
    assert again.exit_code == 0, again.output
    assert "already published, written again" in again.output
    for name in [*files, "manifest.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    listed = cli("report", "list", user=MONITOR)
    assert listed.exit_code == 0, listed.output
    assert "2026-Q2" in listed.output and "olga" in listed.output
    explained = cli(
        "report",
        "explain",
        "--period",
        "2026-Q2",
        "--cell",
        "families/demo-xk-year/accepted/cumulative",
        user=OFFICER,
    )
    assert explained.exit_code == 0, explained.output
    assert "families/demo-xk-year/accepted/cumulative in 2026-Q2: published 0" in explained.output


def test_what_may_not_be_published_or_read(cli: Cli, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    early = cli("report", "publish", "--period", "2026-Q3", "--out", str(tmp_path), user=OFFICER)
    assert early.exit_code == 1
    assert "2026-Q3 ends on 2026-09-30: a quarter is published once it has ended" in early.output
    reviewer = cli(
        "report", "publish", "--period", "2026-Q2", "--out", str(tmp_path), user=REVIEWER
    )
    assert reviewer.exit_code == 1
    assert cli("report", "list", user=REVIEWER).exit_code == 1
    monitor = cli(
        "report", "explain", "--period", "2026-Q2", "--cell", "families/all/x/period", user=MONITOR
    )
    assert monitor.exit_code == 1
    bad = cli("report", "publish", "--period", "2026-Q5", "--out", str(tmp_path), user=OFFICER)
    assert bad.exit_code == 2
    assert "is not a quarter such as 2026-Q2" in bad.output
    assert not tmp_path.exists()
