"""The body of each kind of message (docs/exchange.md, format `accord-exchange/1`).

Each is a closed model (`extra="forbid"`): a body carrying a field the format does not name is
refused whole, and a pool's members are `MinimizedPerson`s, so a proposed pool with any field
the minimized view does not allow (DESIGN §6) is never stored by the receiver.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.cases.minimized import MinimizedPerson
from accord.exchange.envelope import Kind, Refused
from accord.records.vocabulary import IncidentKind, OnwardOutcome


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProposedFamily(Body):
    item: int
    family: str
    size: int = Field(ge=1)
    members: list[MinimizedPerson]


class PoolProposed(Body):
    """A pool, through the minimized view: the families and their members, nothing of the
    matcher's scores or reasons."""

    pool: int
    proposed_on: dt.date
    families: list[ProposedFamily]


class Decision(Body):
    """The receiver's decision on one family: accept, reject or revoke (with its reason)."""

    item: int
    decision: Literal["accept", "reject", "revoke"]
    by: str
    reason_code: str | None = None
    reason_text: str | None = None


class FamilyWithdrawn(Body):
    """The one neutral label of every sender-side end (`accord.workflow.disclosure.WITHDRAWN`):
    the family left the pool and its place, if any, was released."""

    item: int
    on: dt.date


class TransferScheduled(Body):
    """A transfer scheduled for a day, or called off (`on` empty)."""

    item: int
    on: dt.date | None


class Arrival(Body):
    item: int
    on: dt.date
    by: str


class Onward(Body):
    item: int
    outcome: OnwardOutcome
    on: dt.date
    by: str
    detail: str | None = None


class CheckInDone(Body):
    item: int
    due_days: Literal[30, 90, 180]
    on: dt.date
    by: str
    note: str | None = None


class IncidentReported(Body):
    kind: IncidentKind
    on: dt.date
    by: str
    text: str


class Counted(Body):
    """One family a ledger counts: its item, its people and where it stands as both sides may
    see it."""

    item: int
    family: str
    persons: int
    state: str


class Statement(Body):
    """A party's ledger for the agreement, signed: every family it counts as accepted or
    transferred and the totals."""

    as_of: dt.datetime
    families: list[Counted]
    reserved_persons: int
    transferred_persons: int


class Refusal(Body):
    """The sender's answer to a received step it did not apply, and why."""

    refused: str
    """The refused message's id."""
    item: int | None
    reason: str


BODIES: dict[Kind, type[Body]] = {
    "pool.proposed": PoolProposed,
    "decision": Decision,
    "family.withdrawn": FamilyWithdrawn,
    "transfer.scheduled": TransferScheduled,
    "arrival": Arrival,
    "onward.outcome": Onward,
    "check_in": CheckInDone,
    "incident": IncidentReported,
    "ledger.statement": Statement,
    "refusal": Refusal,
}


def read(kind: Kind, body: dict[str, Any]) -> Body:
    """A received body, or `Refused` naming every field that is not the format's."""
    try:
        return BODIES[kind].model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise Refused(f"its {kind} body is not the format's ({problems})") from None


def written(body: Body) -> dict[str, Any]:
    """A body as the document carries it (JSON values only)."""
    return body.model_dump(mode="json")
