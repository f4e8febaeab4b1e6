"""Check-ins and incidents, applied inside the caller's unit of work (never commits)."""

from __future__ import annotations

from typing import get_args

from sqlalchemy.orm import Session

from accord.access import Actor, lifts_suspensions, records_check_ins, reports_incidents
from accord.agreements import repository as agreements
from accord.agreements.service import apply_status_move, to_schema
from accord.agreements.views import visible_agreement
from accord.audit.service import Entry, record
from accord.clock import Clock, today
from accord.errors import Conflict, Forbidden, NotFound
from accord.models import (
    CheckIn,
    Incident,
)
from accord.proposals import repository
from accord.proposals.service import _acts_for, _agreement, _forward, _item
from accord.records.agreement import SourceIn, Status
from accord.records.vocabulary import IncidentKind, SuspendingKind
from accord.workflow.audience import Audience
from accord.workflow.guards import (
    MONITORING_DAYS,
)


def record_check_in(
    session: Session,
    item_id: int,
    days: int,
    note: str,
    actor: Actor,
    clock: Clock,
    *,
    audience: Audience,
) -> CheckIn:
    """A monitoring check-in, recorded on or after the day it falls due. Its note is read by
    the `audience` its author names (`accord.workflow.audience`)."""
    if not records_check_ins(actor.role):
        raise Forbidden(f"{actor.name} ({actor.role}) may not record check-ins")
    if days not in MONITORING_DAYS:
        raise Conflict(
            f"check-ins fall due at {', '.join(map(str, MONITORING_DAYS))} days, not {days}"
        )
    item = _item(session, item_id)
    _acts_for(actor, _agreement(session, item.agreement_id, lock=False))
    due = next((c for c in repository.check_ins(session, item.id) if c.due_days == days), None)
    if due is None:
        raise Conflict(f"item {item.id} has no check-ins: it has not been transferred")
    day = today(clock)
    if day < due.due_on:
        raise Conflict(f"the {days}-day check-in of item {item.id} falls due on {due.due_on}")
    if due.done_on is not None:
        return due
    _forward(session, item, clock.now())
    due.done_on, due.by, due.by_role, due.note = day, actor.name, actor.role, note
    due.shared = audience is Audience.SHARED
    record(
        session,
        actor.name,
        Entry(
            "checkin.recorded",
            "proposal_item",
            str(item.id),
            {"days": days, "day": day.isoformat(), "audience": audience.value},
        ),
        at=clock.now(),
    )
    session.flush()
    return due


INCIDENT_KINDS: tuple[IncidentKind, ...] = get_args(IncidentKind)
"""What an incident reports (`accord.records.vocabulary`), in the order the forms offer them."""

SUSPENDING: frozenset[IncidentKind] = frozenset(get_args(SuspendingKind))
"""The kinds that suspend the agreement at once (S15)."""


def report_incident(
    session: Session,
    agreement_id: str,
    kind: str,
    text: str,
    actor: Actor,
    clock: Clock,
    *,
    audience: Audience,
) -> Incident:
    """Onward removal or ill-treatment suspends the agreement at once: no new proposals,
    acceptances or transfers until a supervisor lifts the suspension with a reason.

    The text is read by the `audience` its author names. The suspension's source, which every
    party to the agreement reads in its status history, names the incident's kind and number,
    and quotes the text only when it is shared."""
    if kind not in INCIDENT_KINDS:
        raise Conflict(f"unknown incident kind {kind!r}; kinds: {', '.join(INCIDENT_KINDS)}")
    if not reports_incidents(actor.role):
        raise Forbidden(f"{actor.name} ({actor.role}) may not report incidents")
    day = today(clock)
    stored = agreements.get_agreement(session, agreement_id, for_update=True)
    if stored is None:
        raise NotFound(f"no agreement {agreement_id!r}")
    _acts_for(actor, to_schema(stored))  # no party foreign to the agreement may suspend it
    incident = Incident(
        agreement_id=agreement_id,
        kind=kind,
        reported_on=day,
        reported_by=actor.name,
        reported_role=actor.role,
        text=text,
        shared=audience is Audience.SHARED,
        suspends=kind in SUSPENDING,
    )
    session.add(incident)
    session.flush()
    record(
        session,
        actor.name,
        Entry(
            "incident.reported",
            "agreement",
            agreement_id,
            {"incident": incident.id, "kind": kind, "audience": audience.value},
        ),
        at=clock.now(),
    )
    if incident.suspends and stored.status == Status.IN_FORCE.value:
        statement = f"{kind.replace('_', ' ')} reported (incident {incident.id})"
        apply_status_move(
            session,
            agreement_id,
            Status.SUSPENDED,
            date=day,
            actor=actor.name,
            source_key=f"incident-{incident.id}",
            new_source=SourceIn(
                publisher=f"Accord incident {incident.id}",
                date=day,
                statement=f"{statement}: {text}" if incident.shared else statement,
            ),
            note="suspended by an incident (S15)",
        )
    session.flush()
    return incident


LIFTED = "suspension lifted by a supervisor of the sender"
"""The source a lifting leaves in the agreement's status history, which every party to the
agreement reads: the supervisor's reason is the sender's own words, kept on the incidents it
lifts and in the audit log."""


def lift_suspension(
    session: Session, agreement_id: str, reason: str, actor: Actor, clock: Clock
) -> None:
    if not lifts_suspensions(actor.role):
        raise Forbidden(f"{actor.name} ({actor.role}) may not lift a suspension; a supervisor may")
    if len(reason.strip()) < 10:
        raise Conflict("lifting a suspension needs a reason (at least 10 characters)")
    stored = agreements.get_agreement(session, agreement_id, for_update=True)
    if stored is None:
        raise NotFound(f"no agreement {agreement_id!r}")
    _acts_for(actor, to_schema(stored))  # only the sender's own supervisor lifts it
    if stored.status != Status.SUSPENDED.value:
        raise Conflict(f"agreement {agreement_id} is {stored.status}, not suspended")
    day = today(clock)
    open_incidents = [
        i for i in repository.incidents(session, agreement_id) if i.suspends and i.lifted_on is None
    ]
    for incident in open_incidents:
        incident.lifted_on, incident.lifted_by, incident.lift_reason = day, actor.name, reason
    key = f"lift-{open_incidents[-1].id if open_incidents else day.isoformat()}"
    record(
        session,
        actor.name,
        Entry(
            "incident.lifted",
            "agreement",
            agreement_id,
            {"incidents": [i.id for i in open_incidents], "reason": reason},
        ),
        at=clock.now(),
    )
    apply_status_move(
        session,
        agreement_id,
        Status.IN_FORCE,
        date=day,
        actor=actor.name,
        source_key=key,
        new_source=SourceIn(
            publisher="Accord: a supervisor of the sender", date=day, statement=LIFTED
        ),
        note="suspension lifted by a supervisor",
    )
    session.flush()


def report_incident_seen(
    session: Session,
    agreement_id: str,
    kind: str,
    text: str,
    actor: Actor,
    clock: Clock,
    *,
    audience: Audience,
) -> Incident:
    """`report_incident` by a user of the API or the pages: an agreement the user may not see
    is not found (its existence is not told), before any other refusal."""
    visible_agreement(session, actor, agreement_id)
    return report_incident(session, agreement_id, kind, text, actor, clock, audience=audience)


def lift_suspension_seen(
    session: Session, agreement_id: str, reason: str, actor: Actor, clock: Clock
) -> None:
    """`lift_suspension` by a user of the API or the pages: an agreement the user may not see
    is not found (its existence is not told), before any other refusal."""
    visible_agreement(session, actor, agreement_id)
    lift_suspension(session, agreement_id, reason, actor, clock)
