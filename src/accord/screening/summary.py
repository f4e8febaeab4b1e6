"""What screening means for an agreement at a glance: who is eligible, and what blocks the rest."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from accord.safeguards.catalog import rule_order
from accord.screening.results import ScreeningResult


@dataclass
class AgreementSummary:
    agreement_id: str
    people: int = 0
    eligible_people: int = 0
    families: set[str] = field(default_factory=set)
    eligible_families: set[str] = field(default_factory=set)
    blocked_by: Counter[str] = field(default_factory=Counter)
    """People blocked by each rule (a person blocked by three rules counts under each)."""

    def top_rules(self, limit: int | None = 5) -> list[tuple[str, int]]:
        """Rules by people blocked, most first (all of them when limit is None)."""
        ranked = sorted(self.blocked_by.items(), key=lambda item: (-item[1], rule_order(item[0])))
        return ranked if limit is None else ranked[:limit]


def summarize(results: Sequence[ScreeningResult]) -> list[AgreementSummary]:
    summaries: dict[str, AgreementSummary] = {}
    blocked_families: dict[str, set[str]] = defaultdict(set)
    for result in results:
        summary = summaries.setdefault(result.agreement_id, AgreementSummary(result.agreement_id))
        summary.people += 1
        summary.families.add(result.family_id)
        if result.eligible:
            summary.eligible_people += 1
        else:
            blocked_families[result.agreement_id].add(result.family_id)
        summary.blocked_by.update({block.rule for block in result.blocked_by})
    for agreement_id, summary in summaries.items():
        summary.eligible_families = summary.families - blocked_families[agreement_id]
    return [summaries[key] for key in sorted(summaries)]
