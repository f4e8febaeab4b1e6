"""Screening results in the exchange format (DESIGN §7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.safeguards.catalog import rule_order


@dataclass(frozen=True, slots=True)
class Block:
    rule: str
    """A safeguard id (S4) or a criterion id."""
    reason: str


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    case_id: str
    family_id: str
    agreement_id: str
    blocked_by: tuple[Block, ...]

    @property
    def eligible(self) -> bool:
        return not self.blocked_by

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "family_id": self.family_id,
            "agreement_id": self.agreement_id,
            "eligible": self.eligible,
            "blocked_by": [{"rule": b.rule, "reason": b.reason} for b in self.blocked_by],
        }


def ordered(blocks: list[Block]) -> tuple[Block, ...]:
    """Every blocking rule in rule-id order: safeguards by number, then criteria by id."""
    return tuple(sorted(blocks, key=lambda b: rule_order(b.rule)))


def result_order(result: ScreeningResult) -> tuple[str, str]:
    return (result.agreement_id, result.case_id)
