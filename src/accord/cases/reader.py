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
from typing import IO, Any

import polars as pl
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from accord.agreements.loader import dotted
from accord.bulk import collector_paused
from accord.errors import InvalidInput, Problem
from accord.records.person import LIST_FIELDS, OBJECT_FIELDS, RECORD_LIST_FIELDS, PersonRecord

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".csv": "csv"}

MAX_LINE_BYTES = 1024 * 1024
"""The longest line a JSON Lines or CSV file may have: lines are read one at a time, and a
longer one (a file of garbage with no line breaks) stops the reading."""
MAX_PROBLEMS = 1000
"""Reading stops after this many problems: a file of garbage is refused without being read to
its end or holding millions of problems."""
PARQUET_BATCH = 10_000
"""Parquet rows decoded at once."""


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
    from accord.config import Settings

    fmt = detect_format(path)
    if not path.is_file():
        raise InvalidInput(str(path), [Problem(str(path), "no such file")])
    limit = Settings().max_import_bytes
    if path.stat().st_size > limit:
        raise InvalidInput(
            str(path),
            [
                Problem(
                    str(path),
                    f"{path.stat().st_size} bytes, larger than the {limit} bytes a people file"
                    " may have (ACCORD_MAX_IMPORT_BYTES); split it",
                )
            ],
        )
    with collector_paused():
        return _validated(path, fmt)


def _validated(path: Path, fmt: str) -> list[Row]:
    raw = {"jsonl": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows}[fmt](path)
    rows: list[Row] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for place, data in raw:
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(str(path), f"reading stopped after {MAX_PROBLEMS} problems"))
            break
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
        message += f" (got {shown(value)})"
    return Problem(place, f"{field}: {message}")


def shown(value: object, most: int = 80) -> str:
    """The repr of a value in a message, shortened: a field may hold megabytes."""
    text = repr(value)
    return text if len(text) <= most else f"{text[:most]}... ({len(text)} characters)"


RawRow = tuple[str, "str | dict[str, Any] | Problem"]


class _Unreadable(Exception):
    """The rest of the file cannot be read as lines of text."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _lines(path: Path, handle: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, one at a time; `_Unreadable` at a line too long or not UTF-8."""
    number = 0
    while line := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            raise _Unreadable(
                Problem(
                    f"{path}:{number}",
                    f"line longer than {MAX_LINE_BYTES} bytes: not a people file; reading stopped",
                )
            )
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Unreadable(
                Problem(
                    f"{path}:{number}",
                    f"not UTF-8 text (byte {exc.start + 1} of the line); reading stopped",
                )
            ) from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ValueError(f"{twice}: duplicate key")
    return record


def _jsonl_rows(path: Path) -> Iterator[RawRow]:
    with path.open("rb") as handle:
        lines = enumerate(_lines(path, handle), start=1)
        while True:
            try:
                number, line = next(lines)
            except StopIteration:
                return
            except _Unreadable as exc:
                yield exc.problem.place, exc.problem
                return
            place = f"{path}:{number}"
            if not line.strip():
                continue
            try:  # pydantic keeps the last of duplicate keys: a second `protection` would win
                json.loads(line, object_pairs_hook=_no_duplicates)
            except ValueError as exc:
                if not isinstance(exc, json.JSONDecodeError):  # invalid JSON: pydantic says so
                    yield place, Problem(place, f"(row): {exc}")
                    continue
            except RecursionError:
                yield place, Problem(place, "(row): nested too deeply")
                continue
            yield place, line


def _parquet_rows(path: Path) -> Iterator[RawRow]:
    number = 0
    try:
        frame = pl.scan_parquet(path)
        total = frame.select(pl.len()).collect().item()
        for start in range(0, total, PARQUET_BATCH):
            batch = frame.slice(start, PARQUET_BATCH).collect()
            for data in batch.iter_rows(named=True):
                number += 1
                yield f"{path} row {number}", {k: v for k, v in data.items() if v is not None}
    except Exception as exc:  # polars raises several unrelated types for a bad file
        place = f"{path} row {number + 1}" if number else str(path)
        yield place, Problem(place, f"not a readable Parquet file: {shown(str(exc), 300)}")


def _csv_rows(path: Path) -> Iterator[RawRow]:
    with path.open("rb") as handle:
        reader = csv.DictReader(_lines(path, handle), strict=True)
        try:
            header = reader.fieldnames or []
            twice = sorted({column for column in header if header.count(column) > 1})
            if twice:
                yield f"{path}:1", Problem(f"{path}:1", f"duplicate columns: {', '.join(twice)}")
                return
            for data in reader:
                place = f"{path}:{reader.line_num}"
                try:
                    yield place, _unflatten(data)
                except ValueError as exc:
                    yield place, Problem(place, str(exc))
        except _Unreadable as exc:
            yield exc.problem.place, exc.problem
        except csv.Error as exc:
            place = f"{path}:{reader.line_num}"
            yield place, Problem(place, f"not valid CSV: {exc}")


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
            if not isinstance(record.setdefault(head, {}), dict):
                raise ValueError(f"{column}: {head} is also a column of its own")
            record[head][tail] = cell
        elif column in LIST_FIELDS:
            record[column] = [item.strip() for item in cell.split(";") if item.strip()]
        elif column in RECORD_LIST_FIELDS:
            try:
                record[column] = json.loads(cell)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{column}: expected a JSON array of objects ({exc.msg})") from exc
            except RecursionError as exc:
                raise ValueError(f"{column}: nested too deeply") from exc
        else:
            if column in OBJECT_FIELDS and head in record:
                raise ValueError(f"{column}: also given as dotted columns ({column}.…)")
            record[column] = cell
    return record
