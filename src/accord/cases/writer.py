"""Writing people files (JSON Lines, CSV, Parquet): what `accord.cases.reader` reads back.

Records are JSON-ready dicts in the exchange schema (DESIGN §7), as `PersonRecord` dumps them
or the synthetic population draws them. Keys are written in the schema's order; the same
records always give byte-identical files. Parquet columns are typed by the record's own
columns (`accord.records.columns`), which screening reads its frames with too.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic_core import to_json

from accord.cases.reader import detect_format
from accord.records.columns import PERSON_COLUMNS
from accord.records.person import (
    LIST_FIELDS,
    OBJECT_FIELDS,
    RECORD_LIST_FIELDS,
    PersonRecord,
)

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

FIELD_ORDER: tuple[str, ...] = tuple(PersonRecord.model_fields)
"""The order keys are written in: the schema's own."""


def _sub_fields(field: str) -> list[str]:
    dtype = PERSON_COLUMNS[field]
    assert isinstance(dtype, pl.Struct)
    return [sub.name for sub in dtype.fields]


CSV_COLUMNS: tuple[str, ...] = tuple(
    column
    for field in FIELD_ORDER
    for column in (
        [f"{field}.{sub}" for sub in _sub_fields(field)] if field in OBJECT_FIELDS else [field]
    )
)
"""Every CSV column, in the order a header lists those a file holds: single objects as dotted
columns (`removal_order.status`)."""

_PARQUET_DEFAULTS: Mapping[str, Any] = {
    name: default
    for name, field in PersonRecord.model_fields.items()
    if isinstance(default := field.get_default(call_default_factory=True), list | bool)
}
"""Absent lists and flags are written as the schema's default (empty, false), not as nulls."""


def write_people(records: Sequence[dict[str, Any]], path: Path) -> None:
    """Write by suffix: .jsonl/.ndjson, .csv (flattened, `;` lists) or .parquet (typed)."""
    writers: dict[str, Callable[[Sequence[dict[str, Any]], Path], None]] = {
        "jsonl": _write_jsonl,
        "csv": _write_csv,
        "parquet": _write_parquet,
    }
    writers[detect_format(path)](records, path)


def _key_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The schema's order, then any other keys sorted."""
    known = tuple(key for key in FIELD_ORDER if key in keys)
    return known + tuple(sorted(set(keys) - set(known)))


def _write_jsonl(records: Sequence[dict[str, Any]], path: Path) -> None:
    orders: dict[tuple[str, ...], tuple[str, ...]] = {}

    def line(record: dict[str, Any]) -> bytes:
        keys = tuple(record)
        order = orders.get(keys)
        if order is None:
            order = orders[keys] = _key_order(keys)
        if order != keys:
            record = {key: record[key] for key in order}
        return to_json(record) + b"\n"

    with path.open("wb") as handle:
        handle.writelines(line(record) for record in records)


def _write_csv(records: Sequence[dict[str, Any]], path: Path) -> None:
    rows = [flatten_for_csv(record) for record in records]
    present = {column for row in rows for column in row}
    known = [column for column in CSV_COLUMNS if column in present]
    header = known + sorted(present - set(known))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def flatten_for_csv(record: dict[str, Any]) -> dict[str, str]:
    """A record as CSV cells, the inverse of the reader's: `;` lists, dotted objects, a JSON
    array of objects in one cell."""
    flat: dict[str, str] = {}
    for key, value in record.items():
        if key in OBJECT_FIELDS:
            for sub, sub_value in (value or {}).items():
                flat[f"{key}.{sub}"] = _cell(sub_value)
        elif key in LIST_FIELDS:
            if any(";" in item for item in value):
                raise ValueError(f"{key}: an item contains ';', which CSV lists use as separator")
            flat[key] = ";".join(value)
        elif key in RECORD_LIST_FIELDS:
            flat[key] = json.dumps(value, separators=(",", ":"), default=str) if value else ""
        else:
            flat[key] = _cell(value)
    return flat


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _write_parquet(records: Sequence[dict[str, Any]], path: Path) -> None:
    unknown = {key for record in records for key in record} - set(PERSON_COLUMNS)
    if unknown:
        raise ValueError(f"{path}: fields outside the people schema: {', '.join(sorted(unknown))}")
    columns = []
    for name, dtype in PERSON_COLUMNS.items():
        default = _PARQUET_DEFAULTS.get(name)
        values = [_typed(record.get(name, default), dtype) for record in records]
        columns.append(pl.Series(name, values, dtype=dtype))
    pl.DataFrame(columns).write_parquet(path)


def _typed(value: Any, dtype: PolarsDataType) -> Any:
    """ISO date strings to dates, wherever the Parquet schema holds a date."""
    if value is None:
        return None
    if isinstance(dtype, type):
        dtype = dtype()
    if isinstance(dtype, pl.Date):
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(dtype, pl.List):
        return [_typed(item, dtype.inner) for item in value]
    if isinstance(dtype, pl.Struct):
        return {field.name: _typed(value.get(field.name), field.dtype) for field in dtype.fields}
    return value
