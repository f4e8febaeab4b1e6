"""People import: three formats, all-or-nothing, idempotent, families checked, audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from accord.cases.reader import read_people
from accord.cases.service import import_people, to_record
from accord.cases.writer import flatten_for_csv
from accord.db import unit_of_work
from accord.errors import InvalidInput
from accord.models import AuditEvent, Family, Person
from accord.records.person import PersonRecord
from accord.store import Store
from tests.support import Cli, person

FAMILY = [
    person(
        "C1",
        "F1",
        protection=[{"type": "cat", "status": "granted", "against": "VE", "date": "2024-02-01"}],
    ),
    person("C2", "F1", relationship="spouse", given_name="Luis", sex="M"),
    person(
        "C3",
        "F1",
        relationship="child",
        given_name="Sofia",
        birth_date="2015-07-09",
        removal_order={"status": "none"},
        travel_document={"type": "passport", "country": "VE", "expires": "2027-01-01"},
    ),
    person(
        "C4",
        "F2",
        nationalities=[],
        languages=["ar", "en"],
        convictions=[
            {
                "category": "drugs",
                "date": "2019-05-05",
                "final": True,
                "sentence_months": 14,
                "jurisdiction": "US",
            }
        ],
        fear_claims=[
            {
                "country": "XK",
                "asserted": "2025-10-01",
                "outcome": "negative",
                "decided": "2025-11-01",
            }
        ],
        vulnerabilities=["serious_illness"],
        counsel={"name": "Legal Aid Clinic"},
    ),
]

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""The moment the tests' imports are recorded at."""


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def write_csv(path: Path, records: list[dict[str, object]]) -> Path:
    import csv

    rows = [flatten_for_csv(r) for r in records]
    columns = sorted({c for row in rows for c in row})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_parquet(path: Path, records: list[dict[str, object]]) -> Path:
    validated = [
        r.record.model_dump() for r in read_people(write_jsonl(path.with_suffix(".jsonl"), records))
    ]
    pl.DataFrame(validated).write_parquet(path)
    return path


def stored(store: Store) -> dict[str, PersonRecord]:
    with unit_of_work(store.sessions) as session:
        return {p.case_id: to_record(p) for p in session.execute(select(Person)).scalars()}


def count(store: Store, model: type) -> int:
    with unit_of_work(store.sessions) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize(
    "writer", [write_jsonl, write_csv, write_parquet], ids=["jsonl", "csv", "parquet"]
)
def test_each_format_imports_the_same_people(store: Store, tmp_path: Path, writer: object) -> None:
    suffix = {"write_jsonl": ".jsonl", "write_csv": ".csv", "write_parquet": ".parquet"}[
        writer.__name__
    ]  # type: ignore[attr-defined]
    path = writer(tmp_path / f"people{suffix}", FAMILY)  # type: ignore[operator]
    rows = read_people(path)
    with unit_of_work(store.sessions) as session:
        report = import_people(
            session, rows, source=str(path), actor="test", role="supervisor", at=AT
        )
    assert (report.created, report.updated, report.unchanged, report.families) == (4, 0, 0, 2)
    people = stored(store)
    assert people["C1"].protection[0].model_dump(mode="json") == {
        "type": "cat",
        "status": "granted",
        "against": "VE",
        "date": "2024-02-01",
    }
    assert people["C3"].travel_document
    assert people["C3"].travel_document.model_dump(mode="json") == {
        "type": "passport",
        "country": "VE",
        "expires": "2027-01-01",
    }
    assert people["C4"].nationalities == [] and people["C4"].languages == ["ar", "en"]
    assert people["C4"].fear_claims[0].outcome == "negative"
    assert people["C4"].convictions[0].sentence_months == 14
    assert str(people["C3"].birth_date) == "2015-07-09"
    assert count(store, Family) == 2


@pytest.fixture
def cli(database_url: str) -> Cli:
    """The command line on the test's database, with the test accounts (olga is an officer)."""
    return Cli(database_url).signed_up()


def test_reimport_is_idempotent_and_updates_only_what_changed(
    store: Store, cli: Cli, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", FAMILY)
    first = cli("people", "import", str(path), user="olga")
    assert first.exit_code == 0, first.output
    assert "4 people created" in first.output
    events = count(store, AuditEvent)
    again = cli("people", "import", str(path), user="olga")
    assert "0 people created, 0 updated, 4 unchanged" in again.output
    assert count(store, Person) == 4
    assert count(store, AuditEvent) == events + 1  # only the import itself is recorded

    changed = [*FAMILY[:3], {**FAMILY[3], "appeal_pending": True}]
    write_jsonl(path, changed)
    third = cli("people", "import", str(path), user="olga")
    assert "0 people created, 1 updated, 3 unchanged" in third.output
    assert stored(store)["C4"].appeal_pending is True
    with unit_of_work(store.sessions) as session:
        actions = (
            session.execute(
                select(AuditEvent.action)
                .where(AuditEvent.entity_id == "C4")
                .order_by(AuditEvent.seq)
            )
            .scalars()
            .all()
        )
    assert actions == ["person.created", "person.updated"]


BAD_ROWS = [
    person("B1", birth_date="1990-02-30"),
    person("B2", nationalities=["Venezuela"]),
    person("B3", religion="x"),
    person("B4", fear_claims=[{"country": "XK", "asserted": "2025-01-01", "outcome": "negative"}]),
    person("B5", sender_status="resident"),
    {k: v for k, v in person("B6").items() if k != "birth_date"},
]


def test_a_bad_file_writes_nothing_and_lists_every_bad_row_and_field(
    store: Store, cli: Cli, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [*FAMILY, *BAD_ROWS])
    path.write_text(path.read_text() + "{not json\n")
    events_before = count(store, AuditEvent)  # the test accounts' creation
    result = cli("people", "import", str(path), user="olga")
    assert result.exit_code == 2
    expected = [
        f"{path}:5: birth_date: Input should be a valid date",
        f"{path}:6: nationalities[0]: String should match pattern",
        f"{path}:7: religion: unknown field",
        f"{path}:8: fear_claims[0]: a negative outcome needs the date it was decided",
        f"{path}:9: sender_status: Input should be 'none', 'visa', 'lpr' or 'citizen'",
        f"{path}:10: birth_date: required, but missing",
        f"{path}:11: (row): Invalid JSON",
    ]
    for message in expected:
        assert message in result.output, (message, result.output)
    assert "7 problems, nothing was written" in result.output
    assert count(store, Person) == 0 and count(store, AuditEvent) == events_before


def test_csv_errors_name_the_line_and_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [FAMILY[0], person("B1", **{"removal_order": {"status": "later", "date": "2025-01-01"}})],
    )
    with pytest.raises(InvalidInput) as caught:
        read_people(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: removal_order.status: Input should be 'final', 'pending' or 'none' (got 'later')"
    ]


def test_csv_with_broken_json_cell_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "case_id,family_id,relationship,given_name,family_name,birth_date,sex,sender_status,convictions\n"
        "C1,F1,head,A,B,1990-01-01,F,none,[{oops\n"
    )
    with pytest.raises(
        InvalidInput, match=r"p.csv:2: convictions: expected a JSON array of objects"
    ):
        read_people(path)


def test_duplicate_case_ids_are_refused(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [FAMILY[0], FAMILY[0]])
    with pytest.raises(
        InvalidInput, match=r"p.jsonl:2: case_id: C1 already appears at .*p.jsonl:1"
    ):
        read_people(path)


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown format"):
        read_people(tmp_path / "people.xlsx")


def test_a_family_with_two_heads_is_refused_even_across_imports(
    store: Store, tmp_path: Path
) -> None:
    with unit_of_work(store.sessions) as session:
        import_people(
            session,
            read_people(write_jsonl(tmp_path / "a.jsonl", FAMILY[:2])),
            source="a",
            actor="t",
            role="supervisor",
            at=AT,
        )
    second_head = person("C9", "F1", given_name="Other")
    rows = read_people(write_jsonl(tmp_path / "b.jsonl", [second_head]))
    with (
        pytest.raises(InvalidInput, match="family F1: more than one head: C1, C9"),
        unit_of_work(store.sessions) as session,
    ):
        import_people(session, rows, source="b", actor="t", role="supervisor", at=AT)
    assert set(stored(store)) == {"C1", "C2"}


def test_members_in_conflicting_states_are_reported(store: Store, tmp_path: Path) -> None:
    rows = read_people(
        write_jsonl(
            tmp_path / "a.jsonl",
            [*FAMILY, person("C5", "F2", relationship="child", sender_status="citizen")],
        )
    )
    with unit_of_work(store.sessions) as session:
        report = import_people(session, rows, source="a", actor="t", role="supervisor", at=AT)
    messages = {(n.family_id, n.message) for n in report.notes}
    assert ("F1", "members in conflicting removal states (final: C1, C2; none: C3)") in messages
    assert ("F2", "members with different status in the sender (citizen: C5; none: C4)") in messages


def test_every_field_survives_the_round_trip_through_the_database(
    store: Store, tmp_path: Path
) -> None:
    """A field missing from the table would be dropped silently by a bulk insert; this catches it."""
    from accord.cases.writer import write_people
    from accord.scenarios.people import generate_people

    path = tmp_path / "p.jsonl"
    write_people(generate_people(1500, 11), path)
    rows = read_people(path)
    with unit_of_work(store.sessions) as session:
        import_people(session, rows, source="p", actor="t", role="supervisor", at=AT)
    people = stored(store)
    for row in rows:
        assert people[row.record.case_id] == row.record
    fields_used = {
        k for row in rows for k, v in row.record.model_dump().items() if v not in (None, [], False)
    }
    assert fields_used == set(PersonRecord.model_fields), "the sample should exercise every field"


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            person(
                "X",
                fear_claims=[
                    {
                        "country": "XK",
                        "asserted": "2025-01-01",
                        "outcome": "pending",
                        "decided": "2025-02-01",
                    }
                ],
            ),
            "a pending claim has no decision date",
        ),
        (
            person("X", removal_order={"status": "none", "date": "2025-01-01"}),
            "a removal order date is given but its status is none",
        ),
        (person("X", removal_order={"status": "final"}), "a final removal order needs its date"),
        (
            person(
                "X",
                assessments=[
                    {
                        "rule": "S3",
                        "by": "Sup",
                        "date": "2025-01-01",
                        "reason": "long enough reason",
                    }
                ],
            ),
            "assessments[0].rule: Input should be 'S8'",
        ),
    ],
)
def test_contradictory_records_are_refused(
    tmp_path: Path, record: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_people(write_jsonl(tmp_path / "p.jsonl", [record]))


def test_csv_export_refuses_a_list_item_with_the_separator() -> None:
    with pytest.raises(ValueError, match="aliases: an item contains ';'"):
        flatten_for_csv(person("X", aliases=["A;B"]))
