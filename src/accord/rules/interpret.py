"""Evaluate a checked criterion for one person, and say in plain words why it holds or not.

This is the reference semantics the Polars compiler is tested against: a missing value fails
every test on it (so `not` of such a test holds), `no` over an empty list holds, `any` does
not, and a count is 0.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from accord.records.person import PersonRecord
from accord.rules.fields import LISTS, MINIMIZED_FIELDS, Items, entries, whole_years
from accord.rules.nodes import (
    And,
    Compare,
    Const,
    Contains,
    Count,
    Field,
    Has,
    InSet,
    Name,
    Node,
    Not,
    Or,
    Quantified,
    ScreeningDate,
    ValidOn,
    YearsSince,
    to_text,
)

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ITEM_SUMMARY = {"conviction": ("category", "date"), "detention_incident": ("kind", "date")}


@dataclass(frozen=True)
class Scope:
    """What names refer to: the person, the screening date, and the item being quantified."""

    record: PersonRecord
    on: dt.date
    family_size: int | None = None
    item: Any = None


def _person_field(path: tuple[str, ...], scope: Scope) -> Any:
    name = path[0]
    if name == "age":
        return whole_years(scope.record.birth_date, scope.on)
    if name == "family_size":
        if scope.family_size is None:
            raise ValueError("this rule reads family_size: pass family_size= to evaluate it")
        return scope.family_size
    value = getattr(scope.record, name)
    for attribute in path[1:]:
        value = None if value is None else getattr(value, attribute)
    return value


def value(node: Node, scope: Scope) -> Any:
    """The value of an operand; None when it is missing."""
    match node:
        case Const(constant):
            return constant
        case Field(path, "person"):
            return _person_field(path, scope)
        case Field(path, "item"):
            return getattr(scope.item, path[0])
        case Field(_, "element"):
            return scope.item
        case ScreeningDate():
            return scope.on
        case YearsSince(since):
            start = value(since, scope)
            return None if start is None else whole_years(start, scope.on)
        case Count(item, where):
            return len(matches(item, where, scope))
    return holds(node, scope)


def matches(item: Name, where: Node | None, scope: Scope) -> list[Any]:
    """The items of the list, as the view holds them, that satisfy the quantifier's condition."""
    items = entries(scope.record, LISTS[item.name])
    return [i for i in items if where is None or holds(where, replace(scope, item=i))]


def holds(node: Node, scope: Scope) -> bool:
    """Whether a checked condition is true for the person in scope."""
    match node:
        case Compare(op, left, right):
            a, b = value(left, scope), value(right, scope)
            return a is not None and b is not None and COMPARISONS[op](a, b)
        case InSet(operand, options, negated):
            found = value(operand, scope)
            return found is not None and (found in {o.value for o in options.items}) != negated
        case Contains(item, collection, negated):
            found = value(item, scope)
            return found is not None and (found in value(collection, scope)) != negated
        case Has(target):
            return value(target, scope) is not None
        case ValidOn(on):
            document, date = scope.record.travel_document, value(on, scope)
            return document is not None and date is not None and document.expires >= date
        case Quantified(quantifier, item, where):
            found = bool(matches(item, where, scope))
            return found if quantifier == "any" else not found
        case Not(operand):
            return not holds(operand, scope)
        case And(operands):
            return all(holds(o, scope) for o in operands)
        case Or(operands):
            return any(holds(o, scope) for o in operands)
        case Field() | Const():
            return value(node, scope) is True
    raise TypeError(f"not a checked condition: {to_text(node)}")


def _show(found: Any) -> str:
    if found is None:
        return "missing"
    if isinstance(found, bool):
        return "true" if found else "false"
    if isinstance(found, dt.date):
        return found.isoformat()
    if isinstance(found, list):
        return ", ".join(_show(f) for f in found) or "none"
    return str(found)


def _without_document(operands: Sequence[Node], scope: Scope) -> bool:
    return scope.record.travel_document is None and any(
        isinstance(o, Field) and o.scope == "person" and o.path[0] == "travel_document"
        for o in operands
    )


def _facts(operands: Sequence[Node], scope: Scope) -> str:
    """`age is 17`, for the operands that are not literals."""
    return ", ".join(
        f"{to_text(o)} is {_show(value(o, scope))}" for o in operands if not isinstance(o, Const)
    )


def _test_reason(subject: str, test: str, passed: bool) -> str:
    return f"{subject} ({test})" if passed else f"{subject}, needs {test}"


def _summary(item_name: str, item: Any) -> str:
    if item_name not in _ITEM_SUMMARY:
        return _show(item)
    return ", ".join(_show(getattr(item, f)) for f in _ITEM_SUMMARY[item_name])


def _quantified_reason(item: Name, where: Node | None, scope: Scope) -> str:
    found = matches(item, where, scope)
    items = MINIMIZED_FIELDS[LISTS[item.name]]
    assert isinstance(items, Items)
    noun = items.noun
    plural = f"{noun}s" if items.label else LISTS[item.name].replace("_", " ")
    matching = "" if where is None else f" matching '{to_text(where)}'"
    if not found:
        everything = entries(scope.record, LISTS[item.name])
        listed = f" ({plural}: {_show(everything)})" if item.name not in _ITEM_SUMMARY else ""
        return f"has no {noun}{matching}{listed}"
    article = "an" if noun[0] in "aeiou" else "a"
    counted = f"{article} {noun}" if len(found) == 1 else f"{len(found)} {plural}"
    return f"has {counted}{matching}: {'; '.join(_summary(item.name, i) for i in found)}"


def reason(node: Node, scope: Scope) -> str:
    """Why the condition has the value it has, naming the values that decided it."""
    passed = holds(node, scope)
    match node:
        case Compare(op, left, right):
            if _without_document((left, right), scope):
                return "no travel document"
            if isinstance(left, Const) and isinstance(right, Const):
                return f"'{to_text(node)}' is always {_show(passed)}"
            test = f"{op} {to_text(right)}" if isinstance(right, Const) else to_text(node)
            return _test_reason(_facts((left, right), scope), test, passed)
        case InSet(operand, options, negated):
            if _without_document((operand,), scope):
                return "no travel document"
            if isinstance(operand, Const):
                return f"'{to_text(node)}' is always {_show(passed)}"
            test = f"{'not in' if negated else 'in'} {to_text(options)}"
            return _test_reason(_facts((operand,), scope), test, passed)
        case Contains(item, collection, _):
            if _without_document((item,), scope):
                return "no travel document"
            found = value(item, scope)
            what = to_text(item) if isinstance(item, Const) else f"{to_text(item)} ({_show(found)})"
            listed = f"{to_text(collection)} ({_show(value(collection, scope))})"
            if found is None:
                return f"{to_text(item)} is missing"
            verb = "include" if found in value(collection, scope) else "do not include"
            return f"{listed} {verb} {what}"
        case Has(Field(path) as target):
            if path[0] == "travel_document" and target.scope == "person":
                return "has a travel document" if passed else "no travel document"
            return f"{to_text(target)} is {_show(value(target, scope))}"
        case ValidOn(on):
            document = scope.record.travel_document
            if document is None:
                return "no travel document"
            label = "screening on" if isinstance(on, ScreeningDate) else "needed on"
            state = "valid until" if passed else "expired on"
            return f"travel document {state} {document.expires} ({label} {_show(value(on, scope))})"
        case Quantified(_, item, where):
            return _quantified_reason(item, where, scope)
        case Not(operand):
            return reason(operand, scope)
        case And(operands) | Or(operands):
            deciding = [o for o in operands if holds(o, scope) == passed]
            return "; ".join(reason(o, scope) for o in deciding)
        case Const():
            return f"'{to_text(node)}' is always {_show(passed)}"
    return f"{to_text(node)} is {_show(value(node, scope))}"
