"""`accord screen`, `accord explain` and `accord whatif`, on files and on the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.cases.writer import write_people
from accord.scenarios import arrangements_path
from accord.scenarios.people import generate_people
from tests.support import Cli, person

DAY = "2026-01-15"


@pytest.fixture
def people_file(tmp_path: Path) -> Path:
    path = tmp_path / "people.jsonl"
    write_people(generate_people(300, 5), path)
    return path


def test_screening_files_writes_the_exchange_format_sorted_and_deterministic(
    tmp_path: Path, people_file: Path
) -> None:
    cli = Cli("unused")
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (first, second):
        result = cli(
            "screen",
            "--agreements",
            str(arrangements_path()),
            "--people",
            str(people_file),
            "--at",
            DAY,
            "--out",
            str(out),
            db=False,
        )
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    lines = [json.loads(line) for line in first.read_text().splitlines()]
    assert len(lines) == 300 * 10
    assert list(lines[0]) == ["case_id", "family_id", "agreement_id", "eligible", "blocked_by"]
    keys = [(line["agreement_id"], line["case_id"]) for line in lines]
    assert keys == sorted(keys)
    for line in lines:
        assert line["eligible"] == (line["blocked_by"] == [])
        for block in line["blocked_by"]:
            assert set(block) == {"rule", "reason"}
    assert any(line["eligible"] for line in lines if line["agreement_id"] == "gb-rw-2023")
    assert "Screening on 2026-01-15" in result.output


def test_screening_one_agreement_from_files(tmp_path: Path, people_file: Path) -> None:
    out = tmp_path / "r.jsonl"
    result = Cli("unused")(
        "screen",
        "--agreements",
        str(arrangements_path()),
        "--people",
        str(people_file),
        "--agreement",
        "us-xk-2025",
        "--at",
        DAY,
        "--out",
        str(out),
        db=False,
    )
    assert result.exit_code == 0, result.output
    assert {json.loads(line)["agreement_id"] for line in out.read_text().splitlines()} == {
        "us-xk-2025"
    }


def test_files_mode_needs_both_files(people_file: Path) -> None:
    result = Cli("unused")("screen", "--people", str(people_file), db=False)
    assert result.exit_code == 2
    assert "give both, or neither" in result.output


def test_screening_the_database_and_explaining_one_person(cli: Cli, tmp_path: Path) -> None:
    """On the database, the sender's signed-in staff screen and explain; the explanation reads
    a person's record, so it is audited under the account's name."""
    cli.signed_up()
    people = tmp_path / "p.jsonl"
    people.write_text(
        json.dumps(
            person("A1", "FA", protection=[{"type": "cat", "status": "granted", "against": "VE"}])
        )
        + "\n"
        + json.dumps(person("A2", "FA", relationship="spouse", given_name="Bo", sex="M"))
        + "\n"
    )
    assert cli("agreements", "load", str(arrangements_path()), user="sam").exit_code == 0
    assert cli("people", "import", str(people), user="olga").exit_code == 0
    out = tmp_path / "r.jsonl"
    refused = cli("screen", "--agreement", "us-xk-2025", "--at", DAY, "--out", str(out))
    assert refused.exit_code == 1
    assert "not signed in" in refused.output and not out.exists()
    screened = cli(
        "screen", "--agreement", "us-xk-2025", "--at", DAY, "--out", str(out), user="olga"
    )
    assert screened.exit_code == 0, screened.output
    results = {r["case_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert [b["rule"] for b in results["A1"]["blocked_by"]] == ["S4"]
    assert results["A2"]["blocked_by"] == [
        {"rule": "S9", "reason": "family member blocked: A1 (S4)"}
    ]

    reviewer = cli("explain", "A1", "--agreement", "us-xk-2025", "--at", DAY, user="rita")
    assert reviewer.exit_code == 1
    assert "a reviewer may not use people.screening" in reviewer.output
    explained = cli("explain", "A1", "--agreement", "us-xk-2025", "--at", DAY, user="olga")
    assert explained.exit_code == 0, explained.output
    text = explained.output
    assert "A1 (family FA) against us-xk-2025 on 2026-01-15: blocked" in text
    assert "S4 BLOCKS: Protection granted or pending against a country" in text
    assert "S3 passed" in text
    assert (
        "protected against Venezuela (VE), and the receiver facilitates return to Venezuela" in text
    )
    assert "Refugee Convention art. 33" in text
    assert "public-order" in text and "Reuters" in text
    log = cli("audit", "log", "--entity", "A1", "--action", "person.read", user="sam")
    assert "screening explanation" in log.output
    assert "olga" in log.output

    missing = cli("explain", "ZZ", "--agreement", "us-xk-2025", user="olga")
    assert missing.exit_code == 1
    assert "no person with case id 'ZZ'" in missing.output


def test_whatif_shows_the_effect_of_a_draft_criterion(tmp_path: Path, people_file: Path) -> None:
    draft = tmp_path / "draft.yaml"
    base = (
        "parties: [{code: US, name: United States}, {code: XK, name: Kosovo}]\n"
        "agreements:\n"
        "  - {id: draft, sender: US, receiver: XK, kind: resettlement, status: negotiating}\n"
        "  - id: draft-adults\n    sender: US\n    receiver: XK\n    kind: resettlement\n"
        "    status: negotiating\n"
        "    criteria: [{id: adult, text: Adults only, expr: 'age >= 18'}]\n"
    )
    draft.write_text(base)
    result = Cli("unused")(
        "whatif", str(draft), "--people", str(people_file), "--at", DAY, db=False
    )
    assert result.exit_code == 0, result.output
    rows = {
        line.split("│")[1].strip(): line
        for line in result.output.splitlines()
        if line.count("│") > 3
    }
    assert "adult" in rows["draft-adults"]
    assert "adult" not in rows["draft"]


def test_a_criterion_that_reads_a_protected_field_is_refused(
    tmp_path: Path, people_file: Path
) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        "parties: [{code: US, name: United States}, {code: XK, name: Kosovo}]\n"
        "agreements:\n"
        "  - id: draft\n    sender: US\n    receiver: XK\n    kind: resettlement\n"
        "    status: negotiating\n"
        "    criteria: [{id: leak, text: No claims, expr: 'no protection'}]\n"
    )
    result = Cli("unused")("whatif", str(draft), "--people", str(people_file), db=False)
    assert result.exit_code == 2
    assert "protection" in result.output and "not visible to the receiver" in result.output


def test_without_a_day_the_commands_on_files_screen_on_the_clocks_day(
    people_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --at: the day is the command line's clock's (ACCORD_NOW here), as a signed-in
    command's is, not the computer's calendar."""
    monkeypatch.setenv("ACCORD_NOW", "2027-03-04T23:30:00")
    cli = Cli("unused")
    files = ("--agreements", str(arrangements_path()), "--people", str(people_file))
    screened = cli("screen", *files, db=False)
    assert screened.exit_code == 0, screened.output
    assert "Screening on 2027-03-04" in screened.output
    draft = arrangements_path()
    asked = cli("whatif", str(draft), "--people", str(people_file), db=False)
    assert asked.exit_code == 0, asked.output
    assert "What-if on 2027-03-04" in asked.output
