"""Checks on families as a whole: a family moves together or not at all (S9).

Errors are contradictions that make the family unusable (two heads); notes report members in
conflicting states, which is legal data but means S9 will hold the family back wherever one
member is blocked, so officers should know before they build a pool.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class Member(Protocol):
    @property
    def case_id(self) -> str: ...
    @property
    def family_id(self) -> str: ...
    @property
    def relationship(self) -> str: ...
    @property
    def sender_status(self) -> str: ...
    @property
    def removal_status(self) -> str: ...


@dataclass(frozen=True, slots=True)
class MemberState:
    case_id: str
    family_id: str
    relationship: str
    sender_status: str
    removal_status: str


@dataclass(frozen=True, slots=True)
class FamilyFinding:
    family_id: str
    severity: str
    """`error` refuses the import; `note` is reported and imported."""
    message: str


def _split(members: list[Member], attribute: str) -> str | None:
    groups: dict[str, list[str]] = defaultdict(list)
    for member in members:
        groups[getattr(member, attribute)].append(member.case_id)
    if len(groups) < 2:
        return None
    return "; ".join(f"{value}: {', '.join(sorted(ids))}" for value, ids in sorted(groups.items()))


def check_families(members: Iterable[Member]) -> list[FamilyFinding]:
    by_family: dict[str, list[Member]] = defaultdict(list)
    for member in members:
        by_family[member.family_id].append(member)
    findings: list[FamilyFinding] = []
    for family_id in sorted(by_family):
        family = by_family[family_id]
        heads = sorted(m.case_id for m in family if m.relationship == "head")
        if len(heads) > 1:
            findings.append(
                FamilyFinding(family_id, "error", f"more than one head: {', '.join(heads)}")
            )
        if not heads and len(family) > 1:
            findings.append(FamilyFinding(family_id, "note", "no member is recorded as head"))
        removal = _split(family, "removal_status")
        if removal:
            findings.append(
                FamilyFinding(
                    family_id, "note", f"members in conflicting removal states ({removal})"
                )
            )
        status = _split(family, "sender_status")
        if status:
            findings.append(
                FamilyFinding(
                    family_id, "note", f"members with different status in the sender ({status})"
                )
            )
    return findings
