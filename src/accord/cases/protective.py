"""Protective facts are monotone (DESIGN §4): what a case file may change of a stored person.

A fact that blocks a transfer — a pending or granted protection claim, a fear claim and its
finding, a stay, an appeal, a vulnerability, an age dispute, unfitness to travel, counsel to be
served, the sender's citizenship or permanent residence — once recorded, by an import or by the
workflow, is removed only by an explicit, reasoned, audited act of a supervisor (`lift`), never by
a later file that leaves it out. A file may add such facts and change anything else. Pure
functions over records: the import and the workflow both apply them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from accord.records.countries import country_label
from accord.records.person import Assessment, FearClaim, PersonRecord, ProtectionEntry

PROTECTING = frozenset({"pending", "granted"})

LiftableFact = Literal[
    "stay", "appeal", "protection", "fear_claim", "vulnerability", "age_dispute", "unfit"
]
"""What a supervisor may lift, each with a reason: the end of a stay, an appeal decided, a claim
withdrawn, a fear claim refused (its reopening window then runs), a vulnerability assessed as
over, an age dispute resolved, fitness restored. An upheld fear claim is never lifted: it blocks
for good (S5)."""
LIFTABLE: tuple[LiftableFact, ...] = (
    "stay",
    "appeal",
    "protection",
    "fear_claim",
    "vulnerability",
    "age_dispute",
    "unfit",
)


@dataclass(frozen=True, slots=True)
class Kept:
    """A protective fact the stored record holds and the file left out: kept, with why."""

    case_id: str
    fact: str

    def __str__(self) -> str:
        return f"{self.case_id}: kept {self.fact} (a file never removes a protective fact)"


def _protection_key(entry: ProtectionEntry) -> tuple[str, str]:
    return (entry.type, entry.against)


def _fear_key(claim: FearClaim) -> tuple[str, dt.date]:
    return (claim.country, claim.asserted)


def _fear_strength(claim: FearClaim) -> tuple[int, dt.date]:
    """Upheld blocks for good, pending blocks, refused blocks until its window closes (a later
    refusal longer): the stronger of two versions of one claim is the one kept."""
    rank = {"positive": 2, "pending": 1, "negative": 0}[claim.outcome]
    return (rank, claim.decided or dt.date.min)


def keep_protective(
    stored: PersonRecord, incoming: PersonRecord
) -> tuple[PersonRecord, list[Kept]]:
    """The incoming record with every protective fact of the stored one it would drop put back,
    and the list of what was kept."""
    kept: list[str] = []
    update: dict[str, object] = {}

    protection = list(incoming.protection)
    blocking_now = {_protection_key(e) for e in protection if e.status in PROTECTING}
    for entry in stored.protection:
        if entry.status in PROTECTING and _protection_key(entry) not in blocking_now:
            protection.append(entry)
            kept.append(
                f"{entry.type} protection {entry.status} against {country_label(entry.against)}"
            )
    if len(protection) != len(incoming.protection):
        update["protection"] = protection

    claims = {_fear_key(c): c for c in incoming.fear_claims}
    for claim in stored.fear_claims:
        key = _fear_key(claim)
        other = claims.get(key)
        if other is None or _fear_strength(claim) > _fear_strength(other):
            claims[key] = claim
            kept.append(f"fear claim about {country_label(claim.country)}, {claim.outcome}")
    if list(claims.values()) != list(incoming.fear_claims):
        update["fear_claims"] = sorted(claims.values(), key=_fear_key)

    for flag, words in (
        ("stay_of_removal", "court stay of removal"),
        ("appeal_pending", "pending appeal"),
        ("age_disputed", "age dispute"),
    ):
        if getattr(stored, flag) and not getattr(incoming, flag):
            update[flag] = True
            kept.append(words)
    missing = [v for v in stored.vulnerabilities if v not in incoming.vulnerabilities]
    if missing:
        update["vulnerabilities"] = [*incoming.vulnerabilities, *missing]
        kept += [f"vulnerability {v.replace('_', ' ')}" for v in missing]
    if stored.medical_fit is False and incoming.medical_fit is not False:
        update["medical_fit"] = False
        kept.append("unfitness to travel")
    if stored.counsel is not None and incoming.counsel is None:
        update["counsel"] = stored.counsel
        kept.append("counsel (to be served with any notice)")
    if (
        stored.sender_status in ("citizen", "lpr")
        and incoming.sender_status != stored.sender_status
    ):
        update["sender_status"] = stored.sender_status
        kept.append(f"the sender's status {stored.sender_status}")
    if incoming.birth_date < stored.birth_date and not incoming.age_disputed:
        update["age_disputed"] = True
        kept.append(
            f"an age dispute: the birth date moved earlier, from {stored.birth_date} to"
            f" {incoming.birth_date}, until a supervisor resolves it"
        )
    merged = incoming.model_copy(update=update) if update else incoming
    return merged, [Kept(incoming.case_id, fact) for fact in kept]


def new_assessments(stored: PersonRecord | None, incoming: PersonRecord) -> list[Assessment]:
    """The individual assessments a file brings that the store does not hold already."""
    held = set(stored.assessments) if stored is not None else set()
    return [a for a in incoming.assessments if a not in held]


def lift(person: PersonRecord, fact: LiftableFact, detail: str | None, on: dt.date) -> PersonRecord:
    """The record with one protective fact ended, for the supervisor's act that ends it.

    `detail` names which one where there can be several: the country of a protection claim or a
    fear claim, the vulnerability. Refuses what cannot be lifted, or is not there."""
    if fact == "stay":
        _require(person.stay_of_removal, "no court stay is recorded")
        return person.model_copy(update={"stay_of_removal": False})
    if fact == "appeal":
        _require(person.appeal_pending, "no pending appeal is recorded")
        return person.model_copy(update={"appeal_pending": False})
    if fact == "age_dispute":
        _require(person.age_disputed, "no age dispute is recorded")
        return person.model_copy(update={"age_disputed": False})
    if fact == "unfit":
        _require(person.medical_fit is not True, "the person is recorded fit to travel already")
        return person.model_copy(update={"medical_fit": True})
    if fact == "vulnerability":
        _require(detail in person.vulnerabilities, f"no vulnerability {detail!r} is recorded")
        return person.model_copy(
            update={"vulnerabilities": [v for v in person.vulnerabilities if v != detail]}
        )
    if fact == "protection":
        ended = [e for e in person.protection if e.status == "pending" and e.against == detail]
        _require(bool(ended), f"no pending protection claim against {detail!r} is recorded")
        return person.model_copy(
            update={
                "protection": [
                    e.model_copy(update={"status": "withdrawn"}) if e in ended else e
                    for e in person.protection
                ]
            }
        )
    pending = [c for c in person.fear_claims if c.country == detail and c.outcome == "pending"]
    _require(
        bool(pending),
        f"no pending fear claim about {detail!r} is recorded (an upheld one blocks for good)",
    )
    _require(all(c.asserted <= on for c in pending), "a claim cannot be refused before it was made")
    refused = {"outcome": "negative", "decided": on}  # its reopening window runs from today
    return person.model_copy(
        update={
            "fear_claims": [
                c.model_copy(update=refused) if c in pending else c for c in person.fear_claims
            ]
        }
    )


class NotLiftable(ValueError):
    """The fact asked to be lifted is not recorded, or may not be lifted."""


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise NotLiftable(problem)
