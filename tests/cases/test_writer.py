"""People files as the writer makes them (from the synthetic population): byte-identical for the
same records, read back to the same records in every format, keys and columns in the schema's
order, Parquet typed by the record's own columns (`accord.records.columns`), which screening
reads its frames with too."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from accord.cases.reader import read_people
from accord.cases.writer import CSV_COLUMNS, FIELD_ORDER, write_people
from accord.errors import InvalidInput
from accord.records.columns import PERSON_COLUMNS
from accord.records.person import PersonRecord
from accord.scenarios.people import generate_people
from accord.screening.frames import RECORD_SCHEMA

FORMATS = [".jsonl", ".ndjson", ".csv", ".parquet"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_the_same_seed_writes_byte_identical_files(tmp_path: Path, suffix: str) -> None:
    paths = [tmp_path / f"{name}{suffix}" for name in ("a", "b", "c")]
    write_people(generate_people(500, seed=11), paths[0])
    write_people(generate_people(500, seed=11), paths[1])
    write_people(generate_people(500, seed=12), paths[2])
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_format_reads_back_to_the_generated_records(tmp_path: Path, suffix: str) -> None:
    records = generate_people(2000, seed=3)
    path = tmp_path / f"people{suffix}"
    write_people(records, path)
    read = [row.record for row in read_people(path)]
    assert read == [PersonRecord.model_validate(record) for record in records]


def test_json_lines_are_compact_utf8_with_keys_in_the_schema_order(tmp_path: Path) -> None:
    records = generate_people(200, seed=5)
    reversed_keys = [dict(reversed(list(record.items()))) for record in records]
    path = tmp_path / "people.jsonl"
    write_people(reversed_keys, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200
    assert lines[0].startswith('{"case_id":"SYN-0000001","family_id":"SYNF-000001",')
    for line, record in zip(lines, records, strict=True):
        decoded = json.loads(line)
        assert decoded == record
        assert list(decoded) == sorted(decoded, key=FIELD_ORDER.index)
        assert line == json.dumps(decoded, ensure_ascii=False, separators=(",", ":"))


def test_csv_header_is_the_union_of_columns_in_the_fixed_order(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    write_people(generate_people(400, seed=9), path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    header = list(rows[0])
    assert header[:3] == ["case_id", "family_id", "relationship"]
    assert header == [column for column in CSV_COLUMNS if column in header]
    assert all(any(row[column] for row in rows) for column in header), "no empty column"
    assert "removal_order.status" in header
    assert "travel_document.expires" in header


def test_parquet_columns_are_typed(tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    write_people(generate_people(300, seed=9), path)
    frame = pl.read_parquet(path)
    assert list(frame.columns) == list(FIELD_ORDER)
    assert frame.schema["birth_date"] == pl.Date
    assert frame.schema["travel_document"] == pl.Struct(
        {"type": pl.String, "country": pl.String, "expires": pl.Date}
    )
    assert frame["convictions"].null_count() == 0
    assert frame["appeal_pending"].null_count() == 0
    assert frame["medical_fit"].null_count() > 0, "unknown fitness stays unknown"


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown format"):
        write_people(generate_people(3, seed=1), tmp_path / "people.xlsx")


def test_the_parquet_file_and_the_screening_frames_have_the_records_columns(
    tmp_path: Path,
) -> None:
    """One schema: the file's columns are the record's, and screening's are a part of them."""
    path = tmp_path / "people.parquet"
    write_people(generate_people(50, seed=2), path)
    assert dict(pl.read_parquet_schema(path)) == dict(PERSON_COLUMNS)
    assert {name: PERSON_COLUMNS[name] for name in RECORD_SCHEMA} == RECORD_SCHEMA
    assert list(RECORD_SCHEMA) == [name for name in PERSON_COLUMNS if name in RECORD_SCHEMA]


def test_a_record_with_a_key_outside_the_schema_is_not_written_to_parquet(
    tmp_path: Path,
) -> None:
    [record] = generate_people(1, seed=2)
    with pytest.raises(ValueError, match="outside the people schema: religion"):
        write_people([{**record, "religion": "x"}], tmp_path / "people.parquet")
