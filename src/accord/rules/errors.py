"""The one error a criterion can raise, positioned so an author can find the mistake."""

from __future__ import annotations

from accord.errors import AccordError


class RuleError(AccordError):
    """A rule that does not parse or does not type-check, with where and why."""

    title = "Invalid criterion"

    def __init__(self, message: str, line: int, column: int, rule_id: str = "") -> None:
        self.rule_id = rule_id
        self.line = line
        self.column = column
        self.message = message
        prefix = f"{rule_id}:" if rule_id else ""
        super().__init__(f"{prefix}{line}:{column}: {message}")

    def __str__(self) -> str:
        return self.detail
