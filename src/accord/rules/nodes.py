"""The criteria AST: immutable nodes with their source position, and one printer.

Positions are left out of equality, so the same rule laid out differently compares equal and
`parse(to_text(node)) == node` can be tested. The parser builds `Name`, `Attr`, `Call` and
`MethodCall`; the checker replaces them with resolved `Field`, `ScreeningDate`, `YearsSince`
and `ValidOn` nodes, which the compiler and the interpreter read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from accord.rules.fields import FieldType


class Position(TypedDict):
    line: int
    column: int


@dataclass(frozen=True)
class _Node:
    line: int = field(default=0, compare=False, kw_only=True)
    column: int = field(default=0, compare=False, kw_only=True)


def at(node: _Node) -> Position:
    """The position of `node`, to give a node built from it: `Not(x, **at(node))`."""
    return {"line": node.line, "column": node.column}


@dataclass(frozen=True)
class Const(_Node):
    value: int | str | bool | dt.date
    bare: bool = False
    """A bare word in a set (`{violent}`), printed without quotes."""


@dataclass(frozen=True)
class SetOf(_Node):
    items: tuple[Const, ...]


@dataclass(frozen=True)
class Name(_Node):
    name: str


@dataclass(frozen=True)
class Attr(_Node):
    base: Node
    name: Name


@dataclass(frozen=True)
class Call(_Node):
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class MethodCall(_Node):
    base: Node
    name: Name
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Field(_Node):
    """A resolved field: of the person, of the quantified item, or the item itself."""

    path: tuple[str, ...]
    scope: Literal["person", "item", "element"]
    type: FieldType


@dataclass(frozen=True)
class ScreeningDate(_Node):
    """`transfer_date`: the date D the screening runs on."""


@dataclass(frozen=True)
class YearsSince(_Node):
    since: Node


@dataclass(frozen=True)
class ValidOn(_Node):
    """`travel_document.valid_on(on)`."""

    on: Node


@dataclass(frozen=True)
class Compare(_Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class InSet(_Node):
    value: Node
    options: SetOf
    negated: bool = False


@dataclass(frozen=True)
class Contains(_Node):
    """`"en" in languages`: membership in a list field."""

    item: Node
    collection: Node
    negated: bool = False


@dataclass(frozen=True)
class Has(_Node):
    target: Node


@dataclass(frozen=True)
class Quantified(_Node):
    """`any|no <item> [where <condition>]`; `shorthand` marks `any nationality in {…}`."""

    quantifier: Literal["any", "no"]
    item: Name
    where: Node | None = None
    shorthand: bool = False


@dataclass(frozen=True)
class Count(_Node):
    item: Name
    where: Node | None = None
    shorthand: bool = False


@dataclass(frozen=True)
class Not(_Node):
    operand: Node


@dataclass(frozen=True)
class And(_Node):
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or(_Node):
    operands: tuple[Node, ...]


Node = (
    Const
    | SetOf
    | Name
    | Attr
    | Call
    | MethodCall
    | Field
    | ScreeningDate
    | YearsSince
    | ValidOn
    | Compare
    | InSet
    | Contains
    | Has
    | Quantified
    | Count
    | Not
    | And
    | Or
)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _const(const: Const) -> str:
    value = const.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return f'date("{value.isoformat()}")'
    if isinstance(value, str):
        return value if const.bare else _quote(value)
    return str(value)


def _filtered(item: Name, where: Node | None, shorthand: bool) -> str:
    if where is None:
        return item.name
    if shorthand and isinstance(where, InSet):
        return f"{item.name} {'not in' if where.negated else 'in'} {to_text(where.options)}"
    return f"{item.name} where {to_text(where)}"


def _operand(node: Node, parent: type[_Node]) -> str:
    """An operand of and/or/not, parenthesized where precedence or a greedy `where` needs it."""
    text = to_text(node)
    greedy = isinstance(node, Quantified) and node.where is not None and not node.shorthand
    looser = (isinstance(node, Or) and parent is not Or) or (
        isinstance(node, And) and parent is Not
    )
    return f"({text})" if greedy or looser else text


def to_text(node: Node) -> str:
    """The rule in canonical source form (comments and layout dropped)."""
    match node:
        case Const():
            return _const(node)
        case SetOf(items):
            return "{" + ", ".join(_const(item) for item in items) + "}"
        case Name(name):
            return name
        case Attr(base, name):
            return f"{to_text(base)}.{name.name}"
        case Call(function, args):
            return f"{function}({', '.join(to_text(a) for a in args)})"
        case MethodCall(base, name, args):
            return f"{to_text(base)}.{name.name}({', '.join(to_text(a) for a in args)})"
        case Field(path):
            return ".".join(path)
        case ScreeningDate():
            return "transfer_date"
        case YearsSince(since):
            return f"years_since({to_text(since)})"
        case ValidOn(on):
            return f"travel_document.valid_on({to_text(on)})"
        case Compare(op, left, right):
            return f"{to_text(left)} {op} {to_text(right)}"
        case InSet(value, options, negated):
            return f"{to_text(value)} {'not in' if negated else 'in'} {to_text(options)}"
        case Contains(item, collection, negated):
            return f"{to_text(item)} {'not in' if negated else 'in'} {to_text(collection)}"
        case Has(target):
            return f"has {to_text(target)}"
        case Quantified(quantifier, item, where, shorthand):
            return f"{quantifier} {_filtered(item, where, shorthand)}"
        case Count(item, where, shorthand):
            return f"count({_filtered(item, where, shorthand)})"
        case Not(operand):
            return f"not {_operand(operand, Not)}"
        case And(operands):
            return " and ".join(_operand(o, And) for o in operands)
        case Or(operands):
            return " or ".join(_operand(o, Or) for o in operands)
    raise TypeError(f"not a criteria node: {node!r}")
