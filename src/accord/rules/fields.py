"""What a receiver's criteria may read: the minimized view of a person (DESIGN §6).

This is the single definition of that view. The checker resolves every name against
`MINIMIZED_FIELDS` and `minimized_frame` builds exactly those columns, so a criterion cannot
reach a field the receiver may not see, and a new `PersonRecord` field is protected until it
is deliberately added here. A list may hold only some of a record's entries: the view's
convictions are the final ones, so no criterion can read a conviction that is not final.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import polars as pl

from accord.records.person import (
    ConvictionCategory,
    PersonRecord,
    Relationship,
    TravelDocument,
)

Kind = Literal["int", "string", "date", "bool"]


@dataclass(frozen=True)
class Scalar:
    """One value; `choices` or `pattern` let the checker reject impossible literals."""

    kind: Kind
    label: str = ""
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    pattern_hint: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Record:
    """A nested object read through dotted names (`travel_document.country`)."""

    fields: tuple[tuple[str, Scalar], ...]
    optional: bool = False

    def field(self, name: str) -> Scalar | None:
        return dict(self.fields).get(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)


@dataclass(frozen=True)
class Items:
    """A list, read only through a quantifier naming one `item` (`any conviction where …`)."""

    item: str
    of: Scalar | Record
    only: str | None = None
    """A yes/no field of the record's entries that decides which of them the view holds at all;
    the view's entries do not carry it (a criterion cannot ask for the others)."""
    label: str = ""
    """What an explanation calls one entry, when the item's name alone would say too little."""

    @property
    def noun(self) -> str:
        return self.label or self.item.replace("_", " ")


FieldType = Scalar | Record | Items

INT = Scalar("int")
STRING = Scalar("string")
DATE = Scalar("date")
BOOL = Scalar("bool")
COUNTRY = Scalar("string", "country code", pattern=r"[A-Z]{2}", pattern_hint="2 upper-case letters")
LANGUAGE = Scalar(
    "string", "language code", pattern=r"[a-z]{2}", pattern_hint="2 lower-case letters"
)


def _choices(label: str, literal: Any) -> Scalar:
    return Scalar("string", label, choices=typing.get_args(literal))


CONVICTION = Record(
    (
        ("category", _choices("category", ConvictionCategory)),
        ("date", DATE),
        ("sentence_months", Scalar("int", optional=True)),
        ("jurisdiction", COUNTRY),
    )
)
DETENTION_INCIDENT = Record((("date", DATE), ("kind", STRING)))
TRAVEL_DOCUMENT = Record(
    (
        ("type", _choices("travel document type", TravelDocument.model_fields["type"].annotation)),
        ("country", COUNTRY),
        ("expires", DATE),
    ),
    optional=True,
)

MINIMIZED_FIELDS: Mapping[str, FieldType] = MappingProxyType(
    {
        "case_id": STRING,
        "family_id": STRING,
        "relationship": _choices("relationship", Relationship),
        "given_name": STRING,
        "family_name": STRING,
        "aliases": Items("alias", STRING),
        "birth_date": DATE,
        "age": INT,
        "sex": _choices("sex", PersonRecord.model_fields["sex"].annotation),
        "nationalities": Items("nationality", COUNTRY),
        "languages": Items("language", LANGUAGE),
        "travel_document": TRAVEL_DOCUMENT,
        "convictions": Items("conviction", CONVICTION, only="final", label="final conviction"),
        "detention_incidents": Items("detention_incident", DETENTION_INCIDENT),
        "family_size": INT,
    }
)
COMPUTED_FIELDS = frozenset({"age", "family_size"})
"""Derived from a record on the screening date rather than read from it."""

PROTECTED_FIELDS: frozenset[str] = frozenset(PersonRecord.model_fields) - frozenset(
    MINIMIZED_FIELDS
)
"""Everything else a record holds; secure by default for fields added later."""

LISTS: Mapping[str, str] = MappingProxyType(
    {t.item: name for name, t in MINIMIZED_FIELDS.items() if isinstance(t, Items)}
)
"""Quantifier item name -> list field: `conviction` -> `convictions`."""


def entries(record: PersonRecord, name: str) -> list[Any]:
    """The entries of a list field that the view holds (all of them, unless it says `only`)."""
    items = MINIMIZED_FIELDS[name]
    assert isinstance(items, Items)
    found: Sequence[Any] = getattr(record, name)
    return [e for e in found if items.only is None or getattr(e, items.only)]


def column_of(path: Sequence[str]) -> str:
    """Nested fields are flat columns: `travel_document.country` -> `travel_document_country`."""
    return "_".join(path)


def whole_years(since: dt.date, on: dt.date) -> int:
    """Completed years from `since` to `on`: 18 exactly on the 18th birthday."""
    return on.year - since.year - ((on.month, on.day) < (since.month, since.day))


def whole_years_expr(since: pl.Expr, on: dt.date) -> pl.Expr:
    """`whole_years` as a column expression (same arithmetic, so the two never disagree)."""
    before_anniversary = (since.dt.month() > on.month) | (
        (since.dt.month() == on.month) & (since.dt.day() > on.day)
    )
    return (
        pl.lit(on.year, pl.Int64)
        - since.dt.year().cast(pl.Int64)
        - before_anniversary.cast(pl.Int64)
    )


_DTYPES: Mapping[Kind, pl.DataType] = {
    "int": pl.Int64(),
    "string": pl.String(),
    "date": pl.Date(),
    "bool": pl.Boolean(),
}


def _struct(record: Record) -> pl.Struct:
    return pl.Struct({name: _DTYPES[scalar.kind] for name, scalar in record.fields})


def frame_schema() -> dict[str, pl.DataType]:
    """The columns of `minimized_frame`, in order."""
    schema: dict[str, pl.DataType] = {}
    for name, field_type in MINIMIZED_FIELDS.items():
        if isinstance(field_type, Scalar):
            schema[name] = _DTYPES[field_type.kind]
        elif isinstance(field_type, Record):
            for sub, scalar in field_type.fields:
                schema[column_of((name, sub))] = _DTYPES[scalar.kind]
        elif isinstance(field_type.of, Record):
            schema[name] = pl.List(_struct(field_type.of))
        else:
            schema[name] = pl.List(_DTYPES[field_type.of.kind])
    return schema


def list_view(name: str) -> pl.Expr:
    """A stored list column (typed as `accord.records.columns` types it) as the view holds it:
    the entries `only` picks, without that field."""
    items = MINIMIZED_FIELDS[name]
    assert isinstance(items, Items) and isinstance(items.of, Record)
    column = pl.col(name)
    if items.only is not None:
        entry = pl.element().struct
        held = entry.field(items.only).fill_null(False)
        column = column.list.eval(pl.struct(*(entry.field(n) for n in items.of.names)).filter(held))
    return column.cast(frame_schema()[name])


def _list_column(name: str, per_row: list[list[Any]], items: Items) -> pl.Series:
    """A list column built flat and grouped back by row.

    Polars converts nested Python lists of dicts item by item (seconds per 100,000 people);
    flat columns convert in bulk. Rows without items carry one placeholder, filtered out, so
    every row keeps its place and gets an empty list.
    """
    rows: list[int] = []
    present: list[bool] = []
    flat: list[Any] = []
    for row, values in enumerate(per_row):
        rows.extend([row] * max(len(values), 1))
        present.extend([True] * len(values) or [False])
        flat.extend(values or [None])
    if isinstance(items.of, Record):
        names = items.of.names
        columns = {sub: [None if v is None else getattr(v, sub) for v in flat] for sub in names}
        schema = {sub: _DTYPES[scalar.kind] for sub, scalar in items.of.fields}
        element = pl.struct(*names)
    else:
        columns, schema, element = (
            {"value": flat},
            {"value": _DTYPES[items.of.kind]},
            pl.col("value"),
        )
    long = pl.DataFrame(
        {"row": rows, "present": present, **columns},
        schema={"row": pl.Int64(), "present": pl.Boolean(), **schema},
    )
    grouped = long.group_by("row", maintain_order=True).agg(
        element.filter(pl.col("present")).alias(name)
    )
    return grouped.get_column(name).cast(frame_schema()[name])


def minimized_frame(records: Sequence[PersonRecord], on: dt.date) -> pl.DataFrame:
    """One row per person, the minimized columns only, `age` computed in whole years on `on`."""
    family_sizes = Counter(record.family_id for record in records)
    columns: dict[str, list[Any] | pl.Series] = {}
    for name, field_type in MINIMIZED_FIELDS.items():
        if name in COMPUTED_FIELDS:
            continue
        if isinstance(field_type, Record):
            for sub in field_type.names:
                columns[column_of((name, sub))] = [
                    None if (value := getattr(r, name)) is None else getattr(value, sub)
                    for r in records
                ]
        elif isinstance(field_type, Items):
            columns[name] = _list_column(name, [entries(r, name) for r in records], field_type)
        else:
            columns[name] = [getattr(r, name) for r in records]
    columns["age"] = [None] * len(records)
    columns["family_size"] = [family_sizes[r.family_id] for r in records]
    schema = frame_schema()
    frame = pl.DataFrame({name: columns[name] for name in schema}, schema=schema)
    return frame.with_columns(age=whole_years_expr(pl.col("birth_date"), on))
