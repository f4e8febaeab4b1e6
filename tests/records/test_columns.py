"""The people columns are derived from the record type: a field added to the record is a column
(of the Parquet files and of screening's frames), typed from its annotation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import polars as pl
import pytest
from pydantic import BaseModel, Field

from accord.records.columns import PERSON_COLUMNS, polars_dtype, record_columns
from accord.records.person import Day, PersonRecord, Strict


def test_every_field_of_the_record_is_a_column_in_its_order() -> None:
    assert list(PERSON_COLUMNS) == list(PersonRecord.model_fields)
    assert record_columns(PersonRecord) == PERSON_COLUMNS


def test_the_columns_are_typed_from_the_annotations() -> None:
    assert PERSON_COLUMNS["case_id"] == pl.String
    assert PERSON_COLUMNS["birth_date"] == pl.Date
    assert PERSON_COLUMNS["sex"] == pl.String
    assert PERSON_COLUMNS["nationalities"] == pl.List(pl.String)
    assert PERSON_COLUMNS["appeal_pending"] == pl.Boolean
    assert PERSON_COLUMNS["medical_fit"] == pl.Boolean
    assert PERSON_COLUMNS["removal_order"] == pl.Struct({"status": pl.String, "date": pl.Date})
    assert PERSON_COLUMNS["convictions"] == pl.List(
        pl.Struct(
            {
                "category": pl.String,
                "date": pl.Date,
                "final": pl.Boolean,
                "sentence_months": pl.Int64,
                "jurisdiction": pl.String,
            }
        )
    )


class Visit(Strict):
    place: Literal["clinic", "court"]
    on: Day
    hours: Annotated[int, Field(ge=0)] | None = None


class Extended(PersonRecord):
    """The record with fields it does not have (yet)."""

    interpreter_needed: bool = False
    visits: list[Visit] = Field(default_factory=list)
    note: str | None = None


def test_a_field_added_to_the_record_becomes_a_column() -> None:
    columns = record_columns(Extended)
    assert list(columns) == [*PERSON_COLUMNS, "interpreter_needed", "visits", "note"]
    assert {name: columns[name] for name in PERSON_COLUMNS} == dict(PERSON_COLUMNS)
    assert columns["interpreter_needed"] == pl.Boolean
    assert columns["visits"] == pl.List(
        pl.Struct({"place": pl.String, "on": pl.Date, "hours": pl.Int64})
    )
    assert columns["note"] == pl.String


@pytest.mark.parametrize(
    "annotation", [float, dt.datetime, int | str, Literal[1, "a"], dict[str, str]]
)
def test_a_field_of_a_kind_without_a_column_type_is_an_error(annotation: object) -> None:
    with pytest.raises(TypeError, match="no column type"):
        polars_dtype(annotation)


class _Plain(BaseModel):
    flag: bool
    count: int


def test_a_flag_is_no_number() -> None:
    assert record_columns(_Plain) == {"flag": pl.Boolean(), "count": pl.Int64()}
