"""The criteria grammar (Lark, LALR) and the parser that turns text into `nodes`.

`where` is greedy: `no conviction where category in {violent} or sentence_months > 12` reads
the whole `category in {violent} or sentence_months > 12` as the condition on each conviction
(the one shift/reduce choice in the grammar, which LALR resolves as shift). Parenthesize to end
it earlier.

Nesting is bounded (`MAX_NESTING`): the checker, the interpreter and the compiler walk a rule
recursively, and a rule such as 500 `not`s in a row must be refused where it goes too deep,
not exhaust the interpreter's stack.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from lark import Lark, Token, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.tree import Meta
from lark.visitors import Transformer_NonRecursive

from accord.rules.errors import RuleError
from accord.rules.nodes import (
    And,
    Attr,
    Call,
    Compare,
    Const,
    Contains,
    Count,
    Has,
    InSet,
    MethodCall,
    Name,
    Node,
    Not,
    Or,
    Position,
    Quantified,
    SetOf,
)

GRAMMAR = r"""
?start: expr

?expr: conjunction
     | expr "or" conjunction                -> or_
?conjunction: negation
     | conjunction "and" negation           -> and_
?negation: "not" negation                   -> not_
     | test
?test: value COMPARE value                  -> compare
     | value "in" set                       -> in_set
     | value "not" "in" set                 -> not_in_set
     | value "in" value                     -> contains
     | value "not" "in" value               -> not_contains
     | (ANY | NO) NAME [filter]             -> quantified
     | "has" value                          -> has
     | "(" expr ")"
     | value
filter: "where" expr                        -> where
     | "in" set                             -> shorthand_in
     | "not" "in" set                       -> shorthand_not_in
?value: NAME                                -> name
     | NAME "(" [arguments] ")"             -> call
     | "count" "(" NAME [filter] ")"        -> count
     | value "." NAME                       -> attr
     | value "." NAME "(" [arguments] ")"   -> method
     | INT                                  -> int
     | STRING                               -> string
     | "true"                               -> true
     | "false"                              -> false
arguments: value ("," value)*
set: "{" element ("," element)* ","? "}"
?element: NAME -> bare | STRING -> string | INT -> int

ANY: "any"
NO: "no"
COMPARE: "==" | "!=" | "<=" | ">=" | "<" | ">"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
INT: /-?[0-9]+/
STRING: /"([^"\\\n]|\\.)*"/
COMMENT: /#[^\n]*/
%ignore COMMENT
%ignore /\s+/
"""

MAX_NESTING = 32
"""Levels a rule may nest (a `not`, a quantifier's condition, a function's argument, a field of
a field); a run of `and`s or of `or`s is one level however long."""
_FLAT = frozenset({"and_", "or_"})

_DESCRIBE_TERMINAL = {
    "NAME": "a name",
    "INT": "a number",
    "STRING": 'a "string"',
    "COMPARE": "a comparison (== != < <= > >=)",
    "$END": "the end of the rule",
}


@functools.cache
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def _unescape(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _pos(meta: Meta | Token) -> Position:
    return {"line": meta.line or 0, "column": meta.column or 0}


@v_args(meta=True)
class _Build(Transformer_NonRecursive[Token, Node]):
    """Lark tree -> nodes, one method per grammar alias."""

    # `a and (b and c)` and `(a and b) and c` are the same rule: flatten to one node.

    def or_(self, meta: Meta, children: list[Node]) -> Node:
        return Or(
            tuple(o for c in children for o in (c.operands if isinstance(c, Or) else (c,))),
            **_pos(meta),
        )

    def and_(self, meta: Meta, children: list[Node]) -> Node:
        return And(
            tuple(o for c in children for o in (c.operands if isinstance(c, And) else (c,))),
            **_pos(meta),
        )

    def not_(self, meta: Meta, children: list[Node]) -> Node:
        return Not(children[0], **_pos(meta))

    def compare(self, meta: Meta, children: list[Any]) -> Node:
        left, op, right = children
        return Compare(str(op), left, right, **_pos(meta))

    def in_set(self, meta: Meta, children: list[Any]) -> Node:
        return InSet(children[0], children[1], **_pos(meta))

    def not_in_set(self, meta: Meta, children: list[Any]) -> Node:
        return InSet(children[0], children[1], negated=True, **_pos(meta))

    def contains(self, meta: Meta, children: list[Node]) -> Node:
        return Contains(children[0], children[1], **_pos(meta))

    def not_contains(self, meta: Meta, children: list[Node]) -> Node:
        return Contains(children[0], children[1], negated=True, **_pos(meta))

    def quantified(self, meta: Meta, children: list[Any]) -> Node:
        quantifier, item, condition = children
        name = Name(str(item), **_pos(item))
        where, shorthand = self._filter(name, condition)
        return Quantified(
            "any" if quantifier == "any" else "no", name, where, shorthand, **_pos(meta)
        )

    def count(self, meta: Meta, children: list[Any]) -> Node:
        item, condition = children
        name = Name(str(item), **_pos(item))
        where, shorthand = self._filter(name, condition)
        return Count(name, where, shorthand, **_pos(meta))

    @staticmethod
    def _filter(item: Name, condition: tuple[str, Any] | None) -> tuple[Node | None, bool]:
        if condition is None:
            return None, False
        kind, body = condition
        if kind == "where":
            return body, False
        return InSet(item, body, negated=kind == "not in", line=item.line, column=item.column), True

    def where(self, meta: Meta, children: list[Node]) -> tuple[str, Node]:
        return "where", children[0]

    def shorthand_in(self, meta: Meta, children: list[Node]) -> tuple[str, Node]:
        return "in", children[0]

    def shorthand_not_in(self, meta: Meta, children: list[Node]) -> tuple[str, Node]:
        return "not in", children[0]

    def has(self, meta: Meta, children: list[Node]) -> Node:
        return Has(children[0], **_pos(meta))

    def name(self, meta: Meta, children: list[Token]) -> Node:
        return Name(str(children[0]), **_pos(meta))

    def call(self, meta: Meta, children: list[Any]) -> Node:
        function, args = children
        return Call(str(function), tuple(args or ()), **_pos(meta))

    def attr(self, meta: Meta, children: list[Any]) -> Node:
        base, name = children
        return Attr(base, Name(str(name), **_pos(name)), **_pos(meta))

    def method(self, meta: Meta, children: list[Any]) -> Node:
        base, name, args = children
        return MethodCall(base, Name(str(name), **_pos(name)), tuple(args or ()), **_pos(meta))

    def arguments(self, meta: Meta, children: list[Node]) -> list[Node]:
        return children

    def int(self, meta: Meta, children: list[Token]) -> Node:
        return Const(int(children[0]), **_pos(meta))

    def string(self, meta: Meta, children: list[Token]) -> Node:
        return Const(_unescape(str(children[0])), **_pos(meta))

    def bare(self, meta: Meta, children: list[Token]) -> Node:
        return Const(str(children[0]), bare=True, **_pos(meta))

    def true(self, meta: Meta, children: list[Token]) -> Node:
        return Const(True, **_pos(meta))

    def false(self, meta: Meta, children: list[Token]) -> Node:
        return Const(False, **_pos(meta))

    def set(self, meta: Meta, children: list[Const]) -> Node:
        return SetOf(tuple(children), **_pos(meta))


def _expected(parser: Lark, names: set[str]) -> str:
    described = set()
    for name in names:
        if name in _DESCRIBE_TERMINAL:
            described.add(_DESCRIBE_TERMINAL[name])
            continue
        pattern = parser.get_terminal(name).pattern
        described.add(f"'{pattern.value}'" if pattern.type == "str" else name)
    return ", ".join(sorted(described))


def _code_lines(text: str) -> list[str]:
    """The rule's lines with strings masked and comments cut, for bracket and end finding."""
    masked = (
        re.sub(r'"([^"\\]|\\.)*"?', lambda m: "_" * len(m.group()), line)
        for line in text.split("\n")
    )
    return [line.split("#")[0].rstrip() for line in masked]


def _end_of(text: str) -> tuple[int, int]:
    """Just past the last character that is not a comment or blank: where the rule stopped."""
    code = _code_lines(text)
    for number in range(len(code), 0, -1):
        if code[number - 1]:
            return number, len(code[number - 1]) + 1
    return 1, 1


def _unclosed(text: str) -> tuple[str, int, int] | None:
    """The innermost bracket left open, outside strings and comments, with its position."""
    stack: list[tuple[str, int, int]] = []
    for line, code in enumerate(_code_lines(text), start=1):
        for column, char in enumerate(code, start=1):
            if char in "({":
                stack.append((char, line, column))
            elif char in ")}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def _syntax_error(error: UnexpectedInput, text: str, rule_id: str) -> RuleError:
    parser = _parser()
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream or 0]
        if char == "=":
            return RuleError(
                "unexpected '='; use '==' to compare", error.line, error.column, rule_id
            )
        if char == '"':
            return RuleError("unterminated string", error.line, error.column, rule_id)
        expected = _expected(parser, set(error.allowed or ()))
        message = f"unexpected character {char!r}; expected {expected}"
        return RuleError(message, error.line, error.column, rule_id)
    names: set[str] = set()
    if isinstance(error, UnexpectedToken):
        # The parser's own state lists too much after LALR state merging; ask what it accepts.
        accepted: set[str] = error.interactive_parser.accepts()  # type: ignore[no-untyped-call]
        names = accepted or set(error.expected)
    elif isinstance(error, UnexpectedEOF):
        names = set(error.expected)
    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        token = error.token
        message = f"unexpected {str(token)!r}; expected {_expected(parser, names)}"
        return RuleError(message, token.line or 0, token.column or 0, rule_id)
    opened = _unclosed(text)
    if opened is not None:
        bracket, line, column = opened
        return RuleError(f"'{bracket}' is never closed", line, column, rule_id)
    line, column = _end_of(text)
    expected = _expected(parser, names - {"$END"}) or "nothing more"
    return RuleError(f"unexpected end of rule; expected {expected}", line, column, rule_id)


def _too_deep(tree: Tree[Token]) -> Tree[Token] | None:
    """The first part of the tree nested deeper than `MAX_NESTING`, walked without recursion."""
    pending: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_NESTING:
            return node
        for child in node.children:
            if isinstance(child, Tree):
                same_run = child.data == node.data and child.data in _FLAT
                pending.append((child, depth if same_run else depth + 1))
    return None


def parse(expr: str, rule_id: str = "") -> Node:
    """Parse a criterion into nodes (unchecked: names are not resolved yet)."""
    try:
        tree = _parser().parse(expr)
    except UnexpectedInput as error:
        raise _syntax_error(error, expr, rule_id) from None
    deep = _too_deep(tree)
    if deep is not None:
        where = _pos(deep.meta)
        message = f"the rule nests more than {MAX_NESTING} levels deep here; write it more simply"
        raise RuleError(message, where["line"], where["column"], rule_id)
    return _Build().transform(tree)
