"""The safeguards as data: what each one says, where it comes from and where it is checked.

No agreement or setting can switch one off. S8 alone yields, and only to an individual
assessment recorded by a supervisor; S16 records that diplomatic assurances never bypass S3–S6.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Safeguard:
    id: str
    title: str
    rule: str
    sources: tuple[str, ...]
    checked_at: tuple[str, ...]
    yields_to_assessment: bool = False


REFUGEE_CONVENTION = "Refugee Convention art. 33 (non-refoulement)"
CAT = "Convention Against Torture art. 3; CAT General Comment 4, paras 12-13"
ECHR = "ECHR art. 3 (Ilias and Ahmed v Hungary; Othman v UK)"
UNHCR_TRANSFER = "UNHCR Guidance Note on bilateral and multilateral transfer arrangements (2013)"
AAA = "AAA v SSHD [2023] UKSC 42; UK-Rwanda treaty arts 3, 10(3), 15"
DVD = "D.V.D. v. DHS (D. Mass. 2025-26): notice, time to raise fear, reasonable-fear interview"

_ALL = (
    Safeguard(
        "S1",
        "Sender's citizens and residents",
        "Citizens and lawful permanent residents of the sender are never in scope.",
        ("The sender's own nationality and residence law", UNHCR_TRANSFER),
        ("screening",),
    ),
    Safeguard(
        "S2",
        "Final removal order",
        "Removal-type agreements (third-country transfer, return of nationals, custody) need a"
        " final removal order.",
        (DVD, ECHR),
        ("screening",),
    ),
    Safeguard(
        "S3",
        "Pending claims and stays",
        "Any pending protection claim, pending appeal or court stay of removal blocks.",
        (REFUGEE_CONVENTION, ECHR, "Ilias and Ahmed v Hungary (access to a procedure)"),
        ("screening", "every transition"),
    ),
    Safeguard(
        "S4",
        "No refoulement, direct or onward",
        "Protection granted or pending against a country: never to that country, never to a"
        " receiver that facilitates return to it, never to a receiver whose instrument lacks a"
        " no-onward-removal clause.",
        (REFUGEE_CONVENTION, CAT, AAA),
        ("screening",),
    ),
    Safeguard(
        "S5",
        "Fear of the receiver, or of the country the receiver returns to",
        "A fear claim about the receiver, or, under an agreement with onward return, about a"
        " country of the person's nationality they would be returned to: pending blocks,"
        " positive blocks for good, negative blocks until the 15-day reopening window has"
        " passed.",
        (CAT, DVD),
        ("screening", "transitions"),
    ),
    Safeguard(
        "S6",
        "Written notice",
        "Written notice naming the receiver, in a language the person understands, served on the"
        " person and on counsel; no clearance until at least notice_days (never below 10) after"
        " valid service.",
        (DVD,),
        ("clearance",),
    ),
    Safeguard(
        "S7",
        "Unaccompanied minors",
        "Unaccompanied or separated minors never; an age dispute counts as a minor until resolved.",
        ("Convention on the Rights of the Child arts 3, 22", AAA),
        ("screening",),
    ),
    Safeguard(
        "S8",
        "Vulnerability",
        "Pregnancy, survivors of torture, trafficking or sexual violence, serious illness,"
        " disability, the elderly and single parents are not transferred unless a supervisor"
        " records an individual assessment with reasons.",
        (UNHCR_TRANSFER, ECHR),
        ("screening",),
        yields_to_assessment=True,
    ),
    Safeguard(
        "S9",
        "Family unity",
        "A family moves together or not at all; one blocked member blocks the family.",
        ("ECHR art. 8", UNHCR_TRANSFER),
        ("screening", "matching"),
    ),
    Safeguard(
        "S10",
        "Fitness to travel",
        "Medical fitness to travel is required.",
        (ECHR,),
        ("clearance",),
    ),
    Safeguard(
        "S11",
        "Nationality scope",
        "The agreement's nationality scope; a receiver's own nationals are never third-country"
        " nationals; a stateless person is outside any agreement with onward return.",
        (UNHCR_TRANSFER,),
        ("screening",),
    ),
    Safeguard(
        "S12",
        "Agreement in force, instrument complete",
        "The agreement is in force, within term and not suspended; its instrument covers"
        " admission, no onward removal or return, asylum access, monitor access and a complaints"
        " route; its country-safety assessment is dated within 12 months.",
        (UNHCR_TRANSFER, AAA),
        ("proposal", "clearance"),
    ),
    Safeguard(
        "S13",
        "Caps",
        "Caps are never exceeded.",
        ("The agreement's own terms",),
        ("acceptance", "transfer"),
    ),
    Safeguard(
        "S14",
        "Individual decision",
        "Clearance is one supervisor's sign-off per family; no bulk clearance.",
        (ECHR + " (individual assessment)", UNHCR_TRANSFER),
        ("clearance",),
    ),
    Safeguard(
        "S15",
        "Incidents suspend",
        "A reported onward removal or ill-treatment suspends the agreement.",
        (AAA, UNHCR_TRANSFER),
        ("monitoring",),
    ),
    Safeguard(
        "S16",
        "Assurances are no bypass",
        "Diplomatic assurances are recorded and never bypass S3-S6.",
        ("Othman v UK (assurances assessed, never decisive alone)", CAT),
        ("everywhere",),
    ),
)

SAFEGUARDS = MappingProxyType({s.id: s for s in _ALL})
SCREENING_RULES = ("S1", "S2", "S3", "S4", "S5", "S7", "S8", "S9", "S11")
"""The safeguards decided from a person's record and the agreement alone, on a given day."""


def rule_order(rule_id: str) -> tuple[int, int, str]:
    """Safeguards first in numeric order (S2 before S10), then criteria by id."""
    if rule_id.startswith("S") and rule_id[1:].isdigit():
        return (0, int(rule_id[1:]), "")
    return (1, 0, rule_id)
