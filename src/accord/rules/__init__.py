"""The receiver criteria language (DESIGN §5): parse, type-check, compile, explain.

A criterion such as `no conviction where category in {violent, sexual}` is parsed
by a Lark grammar (never `eval`), checked against the minimized view (`fields.py`), and then
either compiled to one Polars expression for batch screening or interpreted for one person
with a plain-words reason. The two paths are tested to agree on every person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from accord.records.person import PersonRecord
from accord.rules.check import check
from accord.rules.errors import RuleError
from accord.rules.grammar import parse
from accord.rules.interpret import Scope, holds, reason
from accord.rules.nodes import Node, to_text
from accord.rules.vectorized import to_polars

__all__ = [
    "CompiledRule",
    "Explanation",
    "Node",
    "RuleError",
    "check",
    "compile_rule",
    "parse",
    "to_text",
]


@dataclass(frozen=True)
class Explanation:
    rule_id: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class CompiledRule:
    """A checked criterion, ready to screen a frame or to explain one person.

    `family_size` is the one field a record cannot tell on its own: pass the size of the
    person's family when the rule reads it (`minimized_frame` counts it over its records).
    """

    rule_id: str
    expr: str
    node: Node

    def to_polars(self, on: dt.date) -> pl.Expr:
        """Boolean over `minimized_frame(records, on)`, true where the person passes; never null."""
        # Anchored on a column so a rule reading none still yields one value per row.
        return to_polars(self.node, on) & pl.col("case_id").is_not_null()

    def evaluate(
        self, record: PersonRecord, on: dt.date, *, family_size: int | None = None
    ) -> bool:
        return holds(self.node, Scope(record, on, family_size))

    def explain(
        self, record: PersonRecord, on: dt.date, *, family_size: int | None = None
    ) -> Explanation:
        scope = Scope(record, on, family_size)
        return Explanation(self.rule_id, holds(self.node, scope), reason(self.node, scope))


def compile_rule(text: str, rule_id: str = "") -> CompiledRule:
    """Parse and check a criterion; a RuleError says where and what is wrong."""
    return CompiledRule(rule_id, text, check(parse(text, rule_id), rule_id))
