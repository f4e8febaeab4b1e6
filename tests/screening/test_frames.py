"""Frames read by Polars from stored JSON equal the frames built from validated records."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from polars.testing import assert_frame_equal

from accord.records.person import PersonRecord
from accord.rules.fields import minimized_frame
from accord.scenarios.people import REFERENCE_DATE, generate_people
from accord.screening.batch import population_facts
from accord.screening.frames import facts_from_frame, minimized_from_frame, people_frame
from tests.strategies import ON, families


def assert_same(records: list[PersonRecord], on: object) -> None:
    frame = people_frame([r.model_dump_json() for r in records])
    assert_frame_equal(minimized_from_frame(frame, on), minimized_frame(records, on))  # type: ignore[arg-type]
    expected = population_facts(records, on)  # type: ignore[arg-type]
    actual = facts_from_frame(frame, on)  # type: ignore[arg-type]
    assert_frame_equal(actual.people, expected.people)
    for name in ("nationalities", "protected", "fear_claims"):
        assert_frame_equal(
            getattr(actual, name).sort(getattr(actual, name).columns),
            getattr(expected, name).sort(getattr(expected, name).columns),
        )


def test_generated_population() -> None:
    records = [PersonRecord.model_validate(r) for r in generate_people(800, 21)]
    assert_same(records, REFERENCE_DATE)


@settings(max_examples=60, deadline=None)
@given(people=families())
def test_generated_families(people: list[PersonRecord]) -> None:
    assert_same(people, ON)


def test_a_parquet_people_file_gives_the_same_frames(tmp_path: Path) -> None:
    from accord.cases.writer import write_people
    from accord.screening.frames import people_frame_from_parquet

    generated = generate_people(600, 8)
    path = tmp_path / "people.parquet"
    write_people(generated, path)
    records = [PersonRecord.model_validate(r) for r in generated]
    from_json = people_frame([r.model_dump_json() for r in records])
    from_parquet = people_frame_from_parquet(path)
    assert_frame_equal(
        minimized_from_frame(from_parquet, REFERENCE_DATE),
        minimized_from_frame(from_json, REFERENCE_DATE),
    )
    assert_frame_equal(
        facts_from_frame(from_parquet, REFERENCE_DATE).people,
        facts_from_frame(from_json, REFERENCE_DATE).people,
    )
