"""The bodies of the moves on an item: what each move takes besides the item, the actor and the
day. One model per move that takes anything (`accord.workflow.moves` names it); the API reads
it from JSON, a page from its form, the command line from its arguments, and all of them hand
it to the same command.

Strict: a field not named here is refused (422), never silently dropped."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.records.text import FreeText
from accord.records.vocabulary import (
    AUDIENCE_HELP,
    Audience,
    CheckInDays,
    FearFinding,
    OnwardOutcome,
    Recipient,
    RejectionCode,
)


class MoveBody(BaseModel):
    """A move's body: every field named, none more."""

    model_config = ConfigDict(extra="forbid")


class RejectIn(MoveBody):
    reason_code: RejectionCode | None = Field(
        None, description="Required when the agreement requires a reason."
    )
    reason_text: FreeText | None = Field(None, max_length=2000)


class RevokeIn(MoveBody):
    reason_code: RejectionCode
    reason_text: FreeText = Field(min_length=1, max_length=2000)


class CancelIn(MoveBody):
    reason: FreeText = Field(min_length=1, max_length=2000)


class NotifyIn(MoveBody):
    case_id: FreeText = Field(max_length=64)
    recipient: Recipient = "person"
    language: FreeText = Field(
        min_length=2, max_length=8, examples=["es"], description="The template's language."
    )
    interpreter: FreeText | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="The interpreter who read the notice to the person, when it was read.",
    )
    read_in: FreeText | None = Field(
        None, min_length=2, max_length=8, description="The language it was read in."
    )
    signed: bool = Field(True, description="False when the person refused to sign.")


class ClaimFearIn(MoveBody):
    case_id: FreeText = Field(max_length=64)


class FearInterviewIn(MoveBody):
    at: dt.datetime = Field(description="When, with a zone; at least 72 hours from now.")
    case_id: FreeText | None = Field(None, max_length=64, description="When several are pending.")


class FearOutcomeIn(MoveBody):
    outcome: FearFinding
    case_id: FreeText | None = Field(None, max_length=64, description="When several are pending.")


class ClearIn(MoveBody):
    medical_fit_confirmed: bool = Field(description="The supervisor confirms fitness (S10).")


class ScheduleIn(MoveBody):
    on: dt.date


class OnwardIn(MoveBody):
    outcome: OnwardOutcome
    detail: FreeText | None = Field(None, max_length=500, examples=["temporary protection"])


class CheckInIn(MoveBody):
    days: CheckInDays
    note: FreeText = Field("", max_length=2000)
    audience: Audience = Field(description=AUDIENCE_HELP)


# --- A receiver's decisions on several families of one pool ---------------------------------


class DecisionIn(MoveBody):
    item_id: int = Field(ge=1, le=2**31 - 1)
    decision: Literal["accept", "reject"]
    reason_code: RejectionCode | None = None
    reason_text: FreeText | None = Field(None, max_length=2000)


class DecisionsIn(MoveBody):
    decisions: list[DecisionIn] = Field(min_length=1, max_length=1000)
