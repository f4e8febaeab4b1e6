"""Each move on an item (`accord.workflow.moves`) bound to the command that makes it: one typed
function of the session, the item, the move's body, the actor, the clock and a request id,
returning what happened. The API's routes, the pages' forms and the command line's commands are
built from these bindings and call exactly these commands; none of them calls another's handler.

The check-in, a monitoring record, is bound in `accord.monitoring.moves`, which holds the whole
table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from accord.access import Actor
from accord.clock import Clock, today
from accord.proposals import fear_claims, movement, notices
from accord.proposals.service import Moved, move
from accord.records.moves import (
    CancelIn,
    ClaimFearIn,
    ClearIn,
    FearInterviewIn,
    FearOutcomeIn,
    NotifyIn,
    OnwardIn,
    RejectIn,
    RevokeIn,
    ScheduleIn,
)
from accord.workflow.moves import BY_NAME, Move

B = TypeVar("B")
R = TypeVar("R")

Command = Callable[[Session, int, B, Actor, Clock, str | None], R]
"""A move's command: (session, item id, body, actor, clock, request id) → what happened. The
request id makes a retry from the command line a no-op, where the move honours one."""


@dataclass(frozen=True, slots=True)
class Binding(Generic[B, R]):
    """A move and the command that makes it."""

    move: Move
    command: Command[B, R]
    result: type[R]
    """What the command returns: how each interface answers is chosen by it."""
    retries: bool = False
    """Whether the command honours a request id (the command line's `--request-id`)."""


@dataclass(frozen=True, slots=True)
class NoticeRecorded:
    """An attempt to serve notice, and the move to notified it made, if any."""

    item_id: int
    case_id: str
    recipient: str
    language: str
    on: dt.date
    outcome: str
    moved: Moved | None
    notice_id: int
    document_sha256: str


@dataclass(frozen=True, slots=True)
class InterviewSet:
    """A fear interview set for one member's claim."""

    item_id: int
    case_id: str
    at: dt.datetime


def _plain(action: str) -> Command[None, Moved]:
    """A move with no body: the table row is all it needs."""

    def command(
        session: Session, item_id: int, _: None, actor: Actor, clock: Clock, request_id: str | None
    ) -> Moved:
        return move(session, item_id, action, actor, clock, request_id=request_id)

    return command


def _with_reason(action: str) -> Command[RejectIn | RevokeIn, Moved]:
    """The receiver's refusal (a rejection or a revocation) with its reason code and text."""

    def command(
        session: Session,
        item_id: int,
        body: RejectIn | RevokeIn,
        actor: Actor,
        clock: Clock,
        request_id: str | None,
    ) -> Moved:
        return move(
            session,
            item_id,
            action,
            actor,
            clock,
            request_id=request_id,
            reason_code=body.reason_code,
            reason_text=body.reason_text,
        )

    return command


def _cancel(
    session: Session,
    item_id: int,
    body: CancelIn,
    actor: Actor,
    clock: Clock,
    request_id: str | None,
) -> Moved:
    """The sender's cancellation is a withdrawal: its reason code says so (a case change or
    changed case records cancel too, through the case files)."""
    return move(
        session,
        item_id,
        "cancel",
        actor,
        clock,
        request_id=request_id,
        reason_code="withdrawal",
        reason_text=body.reason,
    )


def _notify(
    session: Session, item_id: int, body: NotifyIn, actor: Actor, clock: Clock, _: str | None
) -> NoticeRecorded:
    served = notices.record_notice(
        session,
        item_id,
        body.case_id,
        body.recipient,
        body.language,
        body.signed,
        actor,
        clock,
        interpreter=body.interpreter,
        read_in=body.read_in,
    )
    return NoticeRecorded(
        item_id,
        body.case_id,
        body.recipient,
        body.language,
        today(clock),
        served.outcome,
        served.moved,
        served.notice_id,
        served.document.sha256,
    )


def _claim_fear(
    session: Session, item_id: int, body: ClaimFearIn, actor: Actor, clock: Clock, _: str | None
) -> Moved:
    return fear_claims.claim_fear(session, item_id, body.case_id, actor, clock)


def _fear_interview(
    session: Session,
    item_id: int,
    body: FearInterviewIn,
    actor: Actor,
    clock: Clock,
    _: str | None,
) -> InterviewSet:
    """A moment given without a zone is UTC."""
    at = body.at if body.at.tzinfo else body.at.replace(tzinfo=dt.UTC)
    claim = fear_claims.schedule_interview(session, item_id, at, actor, clock, case_id=body.case_id)
    return InterviewSet(item_id, claim.case_id, at)


def _fear_outcome(
    session: Session,
    item_id: int,
    body: FearOutcomeIn,
    actor: Actor,
    clock: Clock,
    _: str | None,
) -> Moved:
    return fear_claims.decide_fear(
        session, item_id, body.outcome, actor, clock, case_id=body.case_id
    )


def _clear(
    session: Session,
    item_id: int,
    body: ClearIn,
    actor: Actor,
    clock: Clock,
    request_id: str | None,
) -> Moved:
    return move(
        session,
        item_id,
        "clear",
        actor,
        clock,
        request_id=request_id,
        medical_confirmed=body.medical_fit_confirmed,
    )


def _schedule(
    session: Session, item_id: int, body: ScheduleIn, actor: Actor, clock: Clock, _: str | None
) -> Moved:
    return movement.schedule(session, item_id, body.on, actor, clock)


def _transfer(
    session: Session, item_id: int, _: None, actor: Actor, clock: Clock, __: str | None
) -> Moved:
    return movement.confirm_arrival(session, item_id, actor, clock)


def _onward(
    session: Session, item_id: int, body: OnwardIn, actor: Actor, clock: Clock, _: str | None
) -> Moved:
    return movement.record_onward(session, item_id, body.outcome, actor, clock, detail=body.detail)


def _bind(
    name: str, command: Command[Any, R], result: type[R], *, retries: bool = False
) -> Binding[Any, R]:
    return Binding(BY_NAME[name], command, result, retries)


BINDINGS: MappingProxyType[str, Binding[Any, Any]] = MappingProxyType(
    {
        binding.move.name: binding
        for binding in (
            _bind("accept", _plain("accept"), Moved, retries=True),
            _bind("reject", _with_reason("reject"), Moved, retries=True),
            _bind("revoke", _with_reason("revoke"), Moved, retries=True),
            _bind("cancel", _cancel, Moved, retries=True),
            _bind("notify", _notify, NoticeRecorded),
            _bind("claim_fear", _claim_fear, Moved),
            _bind("fear_interview", _fear_interview, InterviewSet),
            _bind("fear_outcome", _fear_outcome, Moved),
            _bind("clear", _clear, Moved, retries=True),
            _bind("schedule", _schedule, Moved),
            _bind("transfer", _transfer, Moved),
            _bind("onward", _onward, Moved),
            _bind("close", _plain("close"), Moved, retries=True),
        )
    }
)
"""The workflow's moves, by name: every move but the check-in (`accord.monitoring.moves`)."""
