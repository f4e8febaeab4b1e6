"""FieldType-check a parsed criterion against the minimized view and resolve its names.

Every error carries the line and column of the offending name, operand or value, so the
author of an agreement file can fix it where it is; protected fields are refused by name.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import NoReturn

from accord.rules.errors import RuleError
from accord.rules.fields import (
    BOOL,
    DATE,
    INT,
    LISTS,
    MINIMIZED_FIELDS,
    PROTECTED_FIELDS,
    STRING,
    FieldType,
    Items,
    Record,
    Scalar,
)
from accord.rules.nodes import (
    And,
    Attr,
    Call,
    Compare,
    Const,
    Contains,
    Count,
    Field,
    Has,
    InSet,
    MethodCall,
    Name,
    Node,
    Not,
    Or,
    Quantified,
    ScreeningDate,
    ValidOn,
    YearsSince,
    _Node,
    at,
    to_text,
)

FUNCTIONS = ("date", "years_since")
SCREENING_DATE = "transfer_date"
ORDERING = frozenset({"<", "<=", ">", ">="})
INT64 = 2**63
_PROTECTED_SINGULAR = {
    "fear_claim": "fear_claims",
    "vulnerability": "vulnerabilities",
    "assessment": "assessments",
    "health_need": "health_needs",
    "consent": "consents",
    "protection_claim": "protection",
}


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
    return f"; did you mean '{close[0]}'?" if close else ""


def _describe(type_: FieldType) -> str:
    if isinstance(type_, Scalar):
        return type_.kind
    if isinstance(type_, Record):
        return "travel document"
    return "list"


def _protected(name: str) -> bool:
    return _PROTECTED_SINGULAR.get(name, name) in PROTECTED_FIELDS


def _kind(type_: FieldType) -> str | None:
    return type_.kind if isinstance(type_, Scalar) else None


def _may_be_missing(scope: Items | None) -> list[str]:
    if scope is None:
        return [n for n, t in MINIMIZED_FIELDS.items() if isinstance(t, Record) and t.optional]
    if isinstance(scope.of, Record):
        return [n for n, t in scope.of.fields if t.optional]
    return []


class _Checker:
    """Walks the parsed tree once, returning the resolved tree or raising at the first error."""

    def __init__(self, rule_id: str) -> None:
        self.rule_id = rule_id

    def fail(self, node: _Node, message: str) -> NoReturn:
        raise RuleError(message, node.line, node.column, self.rule_id)

    def condition(self, node: Node, scope: Items | None) -> Node:
        checked, type_ = self.expr(node, scope)
        if _kind(type_) != "bool":
            self.fail(node, f"expected a condition, got {_describe(type_)} '{to_text(node)}'")
        return checked

    def expr(self, node: Node, scope: Items | None) -> tuple[Node, FieldType]:
        match node:
            case Const():
                return node, self.const_type(node)
            case Name():
                return self.name(node, scope)
            case Attr():
                return self.attr(node, scope)
            case Call():
                return self.call(node, scope)
            case MethodCall():
                return self.method(node, scope)
            case Compare():
                return self.compare(node, scope), BOOL
            case InSet():
                return self.in_set(node, scope), BOOL
            case Contains():
                return self.contains(node, scope), BOOL
            case Has():
                return self.has(node, scope), BOOL
            case Quantified(quantifier, item, where, shorthand):
                where = self.filter(node, item, where, shorthand, scope)
                return Quantified(quantifier, item, where, shorthand, **at(node)), BOOL
            case Count(item, where, shorthand):
                where = self.filter(node, item, where, shorthand, scope)
                return Count(item, where, shorthand, **at(node)), INT
            case Not(operand):
                return Not(self.condition(operand, scope), **at(node)), BOOL
            case And(operands):
                return And(tuple(self.condition(o, scope) for o in operands), **at(node)), BOOL
            case Or(operands):
                return Or(tuple(self.condition(o, scope) for o in operands), **at(node)), BOOL
        self.fail(node, f"'{to_text(node)}' is not a value")

    def const_type(self, node: Const) -> Scalar:
        value = node.value
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, int):
            if not -INT64 <= value < INT64:
                self.fail(node, f"number {value} is out of range")
            return INT
        return DATE if isinstance(value, dt.date) else STRING

    def literal(self, node: Node, against: Scalar) -> None:
        """A string literal compared with an enumerated or coded field must be a possible value."""
        if not (isinstance(node, Const) and isinstance(node.value, str)):
            return
        value = node.value
        if against.choices and value not in against.choices:
            valid = ", ".join(against.choices)
            close = difflib.get_close_matches(value, against.choices, n=1, cutoff=0.75)
            suggestion = f" (did you mean '{close[0]}'?)" if close else ""
            self.fail(node, f"'{value}' is not a valid {against.label}{suggestion}; valid: {valid}")
        if against.pattern and not re.fullmatch(against.pattern, value):
            self.fail(node, f"'{value}' is not a {against.label} ({against.pattern_hint})")

    def name(self, node: Name, scope: Items | None) -> tuple[Node, FieldType]:
        name = node.name
        if name == SCREENING_DATE:
            return ScreeningDate(**at(node)), DATE
        if _protected(name):
            self.fail(node, f"field '{name}' is not visible to the receiver (DESIGN §6)")
        if scope is not None:
            return self.item_name(node, scope)
        type_ = MINIMIZED_FIELDS.get(name)
        if name in LISTS or (isinstance(type_, Items) and isinstance(type_.of, Record)):
            item = name if name in LISTS else getattr(type_, "item", name)
            self.fail(
                node,
                f"'{name}' is a list; use 'any {item} where …', 'no {item} where …'"
                f" or 'count({item} where …)'",
            )
        if type_ is None:
            candidates = [*MINIMIZED_FIELDS, *LISTS, SCREENING_DATE]
            self.fail(node, f"unknown field '{name}'{_suggest(name, candidates)}")
        return Field((name,), "person", type_, **at(node)), type_

    def item_name(self, node: Name, scope: Items) -> tuple[Node, FieldType]:
        name, item = node.name, scope.item
        if isinstance(scope.of, Scalar):
            if name == item:
                return Field((name,), "element", scope.of, **at(node)), scope.of
            self.fail(node, f"unknown name '{name}'; inside 'where', the {item} is called '{item}'")
        field_type = scope.of.field(name)
        if field_type is not None:
            return Field((name,), "item", field_type, **at(node)), field_type
        if name == scope.only:
            self.fail(
                node,
                f"{item} has no field '{name}': the receiver sees {scope.noun}s only,"
                f" so every {item} a rule reads is {name} (DESIGN §6)",
            )
        hint = _suggest(name, scope.of.names)
        if name in MINIMIZED_FIELDS:
            hint = "; conditions on the person go outside the 'where', in parentheses"
        self.fail(
            node, f"{item} has no field '{name}'{hint} ({item} fields: {', '.join(scope.of.names)})"
        )

    def attr(self, node: Attr, scope: Items | None) -> tuple[Node, FieldType]:
        base, base_type = self.expr(node.base, scope)
        if not (isinstance(base, Field) and isinstance(base_type, Record)):
            self.fail(node.name, f"{_describe(base_type)} '{to_text(node.base)}' has no fields")
        name = node.name.name
        field_type = base_type.field(name)
        if field_type is None:
            suggestion = _suggest(name, base_type.names)
            fields = ", ".join(base_type.names)
            self.fail(
                node.name,
                f"{to_text(node.base)} has no field '{name}'{suggestion} (fields: {fields})",
            )
        if base_type.optional:
            field_type = replace(field_type, optional=True)
        return Field((*base.path, name), base.scope, field_type, **at(node)), field_type

    def call(self, node: Call, scope: Items | None) -> tuple[Node, FieldType]:
        if node.function == "date":
            (arg,) = node.args if len(node.args) == 1 else (None,)
            if not (isinstance(arg, Const) and isinstance(arg.value, str) and not arg.bare):
                self.fail(node, 'date() takes one string, like date("2020-01-01")')
            text = arg.value
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                    raise ValueError(text)
                value = dt.date.fromisoformat(text)
            except ValueError:
                self.fail(arg, f"invalid date '{text}'; use YYYY-MM-DD")
            return Const(value, **at(node)), DATE
        if node.function == "years_since":
            if len(node.args) != 1:
                self.fail(node, "years_since() takes one date, like years_since(date)")
            since, type_ = self.expr(node.args[0], scope)
            if _kind(type_) != "date":
                self.fail(node.args[0], f"years_since() needs a date, got {_describe(type_)}")
            return YearsSince(since, **at(node)), INT
        suggestion = _suggest(node.function, FUNCTIONS)
        self.fail(
            node,
            f"unknown function '{node.function}'{suggestion}; functions: count, date, years_since",
        )

    def method(self, node: MethodCall, scope: Items | None) -> tuple[Node, FieldType]:
        base, base_type = self.expr(node.base, scope)
        if not (isinstance(base, Field) and base.path == ("travel_document",)):
            self.fail(node.name, f"{_describe(base_type)} '{to_text(node.base)}' has no methods")
        if node.name.name != "valid_on":
            suggestion = _suggest(node.name.name, ["valid_on"])
            self.fail(node.name, f"travel_document has no method '{node.name.name}'{suggestion}")
        if len(node.args) != 1:
            self.fail(node.name, "valid_on() takes one date, like valid_on(transfer_date)")
        on, type_ = self.expr(node.args[0], scope)
        if _kind(type_) != "date":
            self.fail(node.args[0], f"valid_on() needs a date, got {_describe(type_)}")
        return ValidOn(on, **at(node)), BOOL

    def compare(self, node: Compare, scope: Items | None) -> Node:
        left, left_type = self.expr(node.left, scope)
        right, right_type = self.expr(node.right, scope)
        if not (
            isinstance(left_type, Scalar)
            and isinstance(right_type, Scalar)
            and left_type.kind == right_type.kind
        ):
            culprit = node.right if isinstance(left_type, Scalar) else node.left
            self.fail(
                culprit, f"cannot compare {_describe(left_type)} with {_describe(right_type)}"
            )
        if node.op in ORDERING and left_type.kind == "bool":
            self.fail(node.right, f"cannot order bool values with '{node.op}'; use == or !=")
        self.literal(left, right_type)
        self.literal(right, left_type)
        return Compare(node.op, left, right, **at(node))

    def in_set(self, node: InSet, scope: Items | None) -> Node:
        value, value_type = self.expr(node.value, scope)
        if not (isinstance(value_type, Scalar) and value_type.kind in ("string", "int")):
            self.fail(
                node.value, f"'in {{…}}' needs a string or an int, got {_describe(value_type)}"
            )
        for option in node.options.items:
            option_kind = self.const_type(option).kind
            if option_kind != value_type.kind:
                self.fail(option, f"cannot compare {value_type.kind} with {option_kind}")
            self.literal(option, value_type)
        return InSet(value, node.options, node.negated, **at(node))

    def contains(self, node: Contains, scope: Items | None) -> Node:
        item, item_type = self.expr(node.item, scope)
        collection, collection_type = self.expr(node.collection, scope)
        if not (isinstance(collection_type, Items) and isinstance(collection_type.of, Scalar)):
            self.fail(
                node.collection,
                f"'in' needs a list or a set {{…}} on its right, got {_describe(collection_type)}",
            )
        element = collection_type.of
        if _kind(item_type) != element.kind:
            self.fail(
                node.item, f"cannot look for {_describe(item_type)} in a list of {element.kind}"
            )
        self.literal(item, element)
        return Contains(item, collection, node.negated, **at(node))

    def has(self, node: Has, scope: Items | None) -> Node:
        target, type_ = self.expr(node.target, scope)
        if not (
            isinstance(target, Field) and isinstance(type_, Scalar | Record) and type_.optional
        ):
            missing = " or ".join(_may_be_missing(scope)) or "a field that may be missing"
            self.fail(node.target, f"'has' needs {missing}, got '{to_text(node.target)}'")
        return Has(target, **at(node))

    def filter(
        self, node: Node, item: Name, where: Node | None, shorthand: bool, scope: Items | None
    ) -> Node | None:
        """Check a quantifier's list and its condition, evaluated with the item in scope."""
        if scope is not None:
            self.fail(node, "a quantifier cannot be nested inside 'where'")
        column = LISTS.get(item.name)
        if column is None:
            if _protected(item.name):
                self.fail(item, f"field '{item.name}' is not visible to the receiver (DESIGN §6)")
            plural = MINIMIZED_FIELDS.get(item.name)
            suggestion = (
                f"; did you mean '{plural.item}'?"
                if isinstance(plural, Items)
                else _suggest(item.name, LISTS)
            )
            lists = ", ".join(sorted(LISTS))
            self.fail(item, f"unknown list '{item.name}'{suggestion} (lists: {lists})")
        items = MINIMIZED_FIELDS[column]
        assert isinstance(items, Items)
        if shorthand and isinstance(items.of, Record):
            self.fail(
                item,
                f"'{item.name} in {{…}}' needs a list of values;"
                f" write '{item.name} where <field> in {{…}}'",
            )
        return None if where is None else self.condition(where, items)


def check(node: Node, rule_id: str = "") -> Node:
    """The resolved tree of a parsed criterion, or a RuleError at the first problem."""
    return _Checker(rule_id).condition(node, None)
