"""The people exchange format as typed columns, derived from `PersonRecord` itself.

One Polars type per field: days as dates, lists as lists, nested objects as structs, their
fields in the record's order. Parquet people files are written with these columns and
screening reads its frames with them, so a field added to the record is a column of both, and
no second, hand-written schema can drift from the record's.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import polars as pl
from pydantic import BaseModel

from accord.records.person import PersonRecord

_SCALARS: Mapping[type, pl.DataType] = {
    str: pl.String(),
    bool: pl.Boolean(),
    int: pl.Int64(),
    dt.date: pl.Date(),
}
"""Looked up by exact type: a `bool` is no `int` here, nor a `datetime` a `date`."""


def polars_dtype(annotation: Any) -> pl.DataType:
    """The column type of a record field's annotation; a type it cannot say is an error, so a
    new kind of field is noticed where it is added rather than written as text."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return polars_dtype(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        present = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(present) != 1:
            raise TypeError(f"no column type for a union of several types: {annotation!r}")
        return polars_dtype(present[0])
    if origin is Literal:
        kinds = {type(value) for value in get_args(annotation)}
        if len(kinds) != 1:
            raise TypeError(f"no column type for a literal of several types: {annotation!r}")
        return polars_dtype(kinds.pop())
    if origin is list:
        (item,) = get_args(annotation)
        return pl.List(polars_dtype(item))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pl.Struct(record_columns(annotation))
    if isinstance(annotation, type) and annotation in _SCALARS:
        return _SCALARS[annotation]
    raise TypeError(f"no column type for {annotation!r}")


def record_columns(model: type[BaseModel]) -> dict[str, pl.DataType]:
    """A column per field of `model`, in its order."""
    return {name: polars_dtype(field.annotation) for name, field in model.model_fields.items()}


PERSON_COLUMNS: Mapping[str, pl.DataType] = MappingProxyType(record_columns(PersonRecord))
"""Every field of a person's record as a typed column, in the record's order."""
