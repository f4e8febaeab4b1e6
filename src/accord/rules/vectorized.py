"""Compile a checked criterion to one Polars expression over `minimized_frame` columns.

Every atomic test ends in `fill_null(False)`, so a missing value fails the test and `not`,
`and` and `or` then work on plain booleans: Polars' three-valued logic never reaches a result,
and each row equals what the interpreter returns for that person.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from functools import reduce

import polars as pl

from accord.rules.fields import LISTS, Record, column_of, whole_years_expr
from accord.rules.nodes import (
    And,
    Compare,
    Const,
    Contains,
    Count,
    Field,
    Has,
    InSet,
    Node,
    Not,
    Or,
    Quantified,
    ScreeningDate,
    ValidOn,
    YearsSince,
    to_text,
)

COMPARISONS: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _literal(value: object) -> pl.Expr:
    if isinstance(value, bool):
        return pl.lit(value, pl.Boolean)
    if isinstance(value, int):
        return pl.lit(value, pl.Int64)
    if isinstance(value, dt.date):
        return pl.lit(value, pl.Date)
    return pl.lit(value, pl.String)


def _value(node: Node, on: dt.date) -> pl.Expr:
    match node:
        case Const(value):
            return _literal(value)
        case Field(path, "person"):
            return pl.col(column_of(path))
        case Field(path, "item"):
            return pl.element().struct.field(path[0])
        case Field(_, "element"):
            return pl.element()
        case ScreeningDate():
            return pl.lit(on, pl.Date)
        case YearsSince(since):
            return whole_years_expr(_value(since, on), on)
        case Count(item, where):
            column = pl.col(LISTS[item.name])
            if where is not None:
                column = column.list.eval(pl.element().filter(to_polars(where, on)))
            return column.list.len().cast(pl.Int64)
    return to_polars(node, on)


def to_polars(node: Node, on: dt.date) -> pl.Expr:
    """A never-null boolean expression: true where the person passes."""
    match node:
        case Compare(op, left, right):
            test = COMPARISONS[op](_value(left, on), _value(right, on))
        case InSet(value, options, negated):
            column = _value(value, on)
            member = column.is_in([option.value for option in options.items])
            test = column.is_not_null() & (~member if negated else member)
        case Contains(item, collection, negated):
            element = _value(item, on)
            member = _value(collection, on).list.contains(element)
            test = element.is_not_null() & (~member if negated else member)
        case Has(Field(path, _, type_) as target):
            if isinstance(type_, Record):  # present exactly when its first (required) field is
                target = Field((*path, type_.names[0]), "person", type_.fields[0][1])
            test = _value(target, on).is_not_null()
        case ValidOn(date):
            test = pl.col("travel_document_expires") >= _value(date, on)
        case Quantified(quantifier, item, where):
            column = pl.col(LISTS[item.name])
            if where is None:
                hit = column.list.len() > 0
            else:
                hit = column.list.eval(to_polars(where, on)).list.any()
            hit = hit.fill_null(False)
            return hit if quantifier == "any" else ~hit
        case Not(operand):
            return ~to_polars(operand, on)
        case And(operands):
            return reduce(operator.and_, (to_polars(o, on) for o in operands))
        case Or(operands):
            return reduce(operator.or_, (to_polars(o, on) for o in operands))
        case Field() | Const():
            test = _value(node, on)
        case _:
            raise TypeError(f"not a checked condition: {to_text(node)}")
    return test.fill_null(False)
