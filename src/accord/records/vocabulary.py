"""The workflow's words, each defined once: every other list of them (the workflow table, the
API's bodies, the page forms, the command line's choices, the templates) is derived from these
with `typing.get_args` or by iterating the enum.

Records, not core: the bodies of the moves (`accord.records.moves`) are built from them, and the
core (`accord.workflow`) takes them from here."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

RejectionCode = Literal["criteria", "public_order", "documents", "capacity", "other"]
"""Why a receiver turns a family down, or revokes its acceptance; its text says the rest."""

OnwardOutcome = Literal["remained", "returned_home", "moved_on", "absconded", "re_transferred"]
"""What became of a family after its transfer (the workflow's onward states), the stable
outcomes first, as the outcomes files list them (docs/scoring.md)."""

FearFinding = Literal["positive", "negative"]
"""A fear claim's outcome after its interview."""

Recipient = Literal["person", "counsel"]
"""Whom a written notice is served on: the person, or the person's counsel (S6)."""

NoticeOutcome = Literal["served", "refused_to_sign", "language_not_understood"]
"""What an attempt to serve notice amounts to: only `served` is service (S6)."""

CheckInDays = Literal[30, 90, 180]
"""The monitoring check-ins after a transfer, in days."""

CaseChange = Literal["stay", "new_claim", "appeal"]
"""A change to a case that stops a transfer (S3): a court stay, a new protection claim, an
appeal."""

CancelReason = Literal[CaseChange, "case_file", "withdrawal"]
"""Why an item is cancelled before transfer: a case change (S3), changed case records that stop
the family (judged again at import), or the sender withdrawing it."""


class Audience(StrEnum):
    """Who a check-in note or an incident text is for: the sender's officers and supervisors
    only, or also the receiving state's reviewers and the agreement's monitors."""

    SENDER = "sender"
    SHARED = "shared"


AUDIENCE_HELP = (
    "Who may read the text: `sender` (the sender's officers and supervisors only) or `shared`"
    " (also the receiving state's reviewers and the agreement's monitors). Required: nothing"
    " is shared unless its author says so."
)
"""The one description of the choice, for the API's document and the command line's help."""

SuspendingKind = Literal["onward_removal", "ill_treatment"]
"""An incident that suspends its agreement at once (S15): a transferred person removed onward
to a country of risk, or ill-treated; until a supervisor of the sender lifts the suspension."""

IncidentKind = Literal[SuspendingKind, "other"]
"""What an incident under an agreement reports: a suspending kind, or any other finding (which
does not suspend), in the order the forms and the command line offer them."""

INCIDENT_KIND_NAMES: dict[IncidentKind, str] = {
    "onward_removal": "Onward removal",
    "ill_treatment": "Ill-treatment",
    "other": "Other finding",
}
"""Each incident kind as the page's form names it (the form adds whether it suspends)."""
