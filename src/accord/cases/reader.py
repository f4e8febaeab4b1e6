"""Reading people files (JSON Lines, Parquet, CSV) into validated records (`accord.cases.writer`
writes them).

All-or-nothing: every bad row and field is collected and reported together, naming the file,
the row (the line for JSON Lines and CSV) and the field path.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from accord.agreements.loader import dotted
from accord.bulk import collector_paused
from accord.errors import InvalidInput, Problem
from accord.records.person import LIST_FIELDS, OBJECT_FIELDS, RECORD_LIST_FIELDS, PersonRecord

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".csv": "csv"}


@dataclass(frozen=True, slots=True)
class Row:
    place: str
    """Where the row is, e.g. `people.csv:12` (a line) or `people.parquet row 7`."""
    record: PersonRecord


def detect_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise InvalidInput(
            str(path),
            [Problem(str(path), "unknown format: use .jsonl (.ndjson), .parquet or .csv")],
        ) from None


def read_people(path: Path) -> list[Row]:
    """Read and validate every row; raise InvalidInput listing all problems if any row is bad."""
    fmt = detect_format(path)
    if not path.is_file():
        raise InvalidInput(str(path), [Problem(str(path), "no such file")])
    with collector_paused():
        return _validated(path, fmt)


def _validated(path: Path, fmt: str) -> list[Row]:
    raw = {"jsonl": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows}[fmt](path)
    rows: list[Row] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for place, data in raw:
        if isinstance(data, Problem):
            problems.append(data)
            continue
        try:
            record = (
                PersonRecord.model_validate_json(data)
                if isinstance(data, str)
                else PersonRecord.model_validate(data)
            )
        except ValidationError as exc:
            problems += [_problem(place, error) for error in exc.errors()]
            continue
        if record.case_id in seen:
            problems.append(
                Problem(
                    place, f"case_id: {record.case_id} already appears at {seen[record.case_id]}"
                )
            )
            continue
        seen[record.case_id] = place
        rows.append(Row(place, record))
    if problems:
        raise InvalidInput(str(path), problems)
    return rows


def _problem(place: str, error: ErrorDetails) -> Problem:
    field = dotted(error["loc"]) if error["loc"] else "(row)"
    if error["type"] == "extra_forbidden":
        return Problem(place, f"{field}: unknown field (not part of the people schema)")
    if error["type"] == "missing":
        return Problem(place, f"{field}: required, but missing")
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if not isinstance(value, dict | list) and error["type"] != "json_invalid":
        message += f" (got {value!r})"
    return Problem(place, f"{field}: {message}")


RawRow = tuple[str, "str | dict[str, Any] | Problem"]


def _jsonl_rows(path: Path) -> Iterator[RawRow]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield f"{path}:{number}", line


def _parquet_rows(path: Path) -> Iterator[RawRow]:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several unrelated types for a bad file
        yield str(path), Problem(str(path), f"not a readable Parquet file: {exc}")
        return
    for number, data in enumerate(frame.iter_rows(named=True), start=1):
        yield f"{path} row {number}", {k: v for k, v in data.items() if v is not None}


def _csv_rows(path: Path) -> Iterator[RawRow]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for data in reader:
            place = f"{path}:{reader.line_num}"
            try:
                yield place, _unflatten(data)
            except ValueError as exc:
                yield place, Problem(place, str(exc))


def _unflatten(flat: dict[str, str | None]) -> dict[str, Any]:
    """CSV cells to the nested record: `;` lists, dotted objects, JSON arrays of objects."""
    record: dict[str, Any] = {}
    for column, cell in flat.items():
        if column is None:
            raise ValueError("(row): more cells than the header has columns")
        if cell is None or cell.strip() == "":
            continue
        cell = cell.strip()
        head, _, tail = column.partition(".")
        if tail and head in OBJECT_FIELDS:
            record.setdefault(head, {})[tail] = cell
        elif column in LIST_FIELDS:
            record[column] = [item.strip() for item in cell.split(";") if item.strip()]
        elif column in RECORD_LIST_FIELDS:
            try:
                record[column] = json.loads(cell)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{column}: expected a JSON array of objects ({exc.msg})") from exc
        else:
            record[column] = cell
    return record
