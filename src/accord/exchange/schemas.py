"""What our reviewers read and write of a family a peer proposed to us, alike from the API's
JSON and the pages' forms: the family through the minimized records held here, a decision on
it, and what became of it after its arrival."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.cases.minimized import MinimizedPerson
from accord.records.text import FreeText
from accord.records.vocabulary import CheckInDays, IncidentKind, OnwardOutcome, RejectionCode


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReceivedOut(Strict):
    id: int
    sender: str = Field(description="The sending party.")
    item_id: int = Field(description="The sender's own id of the item.")
    pool_id: int = Field(description="The sender's pool.")
    agreement_id: str
    family_id: str
    size: int
    proposed_on: dt.date
    state: str = Field(
        description="As the sender last told it (a seen state), or as our own step left it"
        " until the sender's answer."
    )
    since: dt.date
    scheduled_for: dt.date | None
    decision: str | None
    decided_by: str | None
    reason_code: str | None
    reason_text: str | None
    refusal: str | None = Field(description="The sender's refusal of our last step, and why.")
    arrived_on: dt.date | None
    onward: str | None
    members: list[MinimizedPerson] = Field(description="The family through the minimized view.")


class ReceivedDecisionIn(Strict):
    decision: Literal["accept", "reject", "revoke"]
    reason_code: RejectionCode | None = Field(None, description="Required to reject or revoke.")
    reason_text: FreeText | None = Field(
        None, min_length=1, max_length=2000, description="Required to reject or revoke."
    )


class ReceivedOnwardIn(Strict):
    outcome: OnwardOutcome
    detail: FreeText | None = Field(None, min_length=1, max_length=2000)


class ReceivedCheckInIn(Strict):
    days: CheckInDays = Field(description="Which check-in: 30, 90 or 180 days after arrival.")
    note: FreeText | None = Field(None, min_length=1, max_length=2000)


class ReceivedIncidentIn(Strict):
    agreement_id: str = Field(min_length=1, max_length=64)
    kind: IncidentKind
    text: FreeText = Field(min_length=1, max_length=4000)
