"""The facts of a case as the workflow guards them: case files imported, protective facts lifted
by a supervisor's reasoned act, individual assessments recorded.

An import never removes a protective fact (`accord.cases.protective`), and it judges the open
items of every family it changed at once, by the guards of the next move towards transfer
(S9 the same people, screening on the day, S10): a family that may no longer go is cancelled
and its place released, with the reason for the sender; the receiver sees the neutral label.
A family only unfit to travel is held (the next move refuses it) and reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Literal

from sqlalchemy.orm import Session

from accord.access import Actor
from accord.audit.personal import Personal, person_subject
from accord.audit.service import Entry, record
from accord.cases import repository as cases
from accord.cases.protective import LiftableFact, NotLiftable, lift
from accord.cases.reader import Row
from accord.cases.repository import get_person
from accord.cases.service import (
    ImportReport,
    import_people,
    replace_record,
    stored_people,
    to_record,
)
from accord.clock import Clock, as_utc, today
from accord.errors import Conflict, NotFound
from accord.proposals import repository
from accord.proposals.service import (
    Moved,
    _agreement,
    _item,
    lock_agreement,
    lock_item,
    move,
    senders_staff,
    update_person,
)
from accord.records.person import Assessment, ProtectionEntry
from accord.records.vocabulary import CaseChange
from accord.workflow.guards import (
    Facts,
    failures_of,
)
from accord.workflow.transitions import (
    OPEN,
    State,
)


def import_case_files(
    session: Session,
    rows: Sequence[Row],
    *,
    source: str,
    actor: Actor,
    clock: Clock,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the sender's case records, then judge again the open items of every family the
    file changed. The one way a command, a route or the demo imports people."""
    senders_staff(session, actor, "import case records", "people.import")
    now = clock.now()
    # Lock the open items and their agreements the file may touch before the import writes the
    # audit chain: every move takes item, agreement, then chain, and another order deadlocks.
    case_ids = [row.record.case_id for row in rows]
    families = {row.record.family_id for row in rows} | cases.families_of(session, case_ids)
    locked = [lock_item(session, item.id) for item in repository.open_items_of(session, families)]
    for item in locked:
        lock_agreement(session, item.agreement_id)
    report = import_people(
        session, rows, source=source, actor=actor.name, role=actor.role, at=now, progress=progress
    )
    for item in locked:
        if item.family_id in report.changed_families and State(item.state) in OPEN:
            report.rechecked.append(_judge_again(session, item.id, actor, clock))
    return report


def _judge_again(session: Session, item_id: int, actor: Actor, clock: Clock) -> str:
    """One open item of a changed family against the guards the change can touch."""
    item = lock_item(session, item_id)
    agreement = lock_agreement(session, item.agreement_id)
    members = tuple(stored_people(session, family_id=item.family_id))
    facts = Facts(
        day=clock.now().date(),
        now=clock.now(),
        agreement=agreement,
        members=members,
        proposed=tuple(item.members or ()),
    )
    stopping = failures_of(("S9", "screening"), facts)
    if stopping:
        move(
            session,
            item.id,
            "cancel",
            actor,
            clock,
            reason_code="case_file",
            reason_text="case records changed: " + "; ".join(stopping),
        )
        return f"item {item.id} (family {item.family_id}) cancelled: " + "; ".join(stopping)
    holding = failures_of(("S10",), facts)
    if holding:
        return f"item {item.id} (family {item.family_id}) held: " + "; ".join(holding)
    return f"item {item.id} (family {item.family_id}) may go on"


def lift_fact(
    session: Session,
    case_id: str,
    fact: LiftableFact,
    reason: str,
    actor: Actor,
    clock: Clock,
    *,
    detail: str | None = None,
) -> None:
    """A supervisor ends one protective fact, with a reason, audited: the one way a fact that
    blocks a transfer goes away (a file that leaves it out never removes it)."""
    senders_staff(session, actor, "lift a protective fact", "people.lift")
    if len(reason.strip()) < 10:
        raise Conflict("lifting a protective fact needs a reason (at least 10 characters)")
    stored = cases.get_person(session, case_id)
    if stored is None:
        raise NotFound(f"no person {case_id!r}")
    now = clock.now()
    _after_the_record(stored.updated_at, now, case_id)
    if fact == "fear_claim" and repository.pending_claims_of(session, case_id):
        raise Conflict(
            f"{case_id}: the fear claim is before an interview in the workflow; its outcome is"
            " recorded there (`accord item fear-outcome`), not lifted"
        )
    try:
        lifted = lift(to_record(stored), fact, detail, now.date())
    except NotLiftable as exc:
        raise Conflict(f"{case_id}: {exc}") from None
    replace_record(session, lifted, now)
    record(
        session,
        actor.name,
        Entry(
            "person.fact_lifted",
            "person",
            case_id,
            {
                "fact": fact,
                "detail": Personal(person_subject(case_id), detail),
                "reason": Personal(person_subject(case_id), reason),
                "role": actor.role,
            },
        ),
        at=now,
    )


def assess(
    session: Session, case_id: str, rule: str, reason: str, actor: Actor, clock: Clock
) -> Assessment:
    """A supervisor's individual assessment (S8), with reasons, dated today and audited: the
    one way a vulnerability stops blocking, besides a supervisor's own import."""
    senders_staff(session, actor, "record an assessment", "people.assess")
    if rule != "S8":
        raise Conflict(f"only S8 yields to an individual assessment, not {rule}")
    if len(reason.strip()) < 10:
        raise Conflict("an assessment needs its reasons (at least 10 characters)")
    stored = cases.get_person(session, case_id)
    if stored is None:
        raise NotFound(f"no person {case_id!r}")
    now = clock.now()
    _after_the_record(stored.updated_at, now, case_id)
    person = to_record(stored)
    assessment = Assessment.model_validate(
        {"rule": rule, "by": actor.name, "date": now.date(), "reason": reason}
    )
    replace_record(
        session, person.model_copy(update={"assessments": [*person.assessments, assessment]}), now
    )
    record(
        session,
        actor.name,
        Entry(
            "person.assessed",
            "person",
            case_id,
            {"rule": rule, "reason": Personal(person_subject(case_id), reason)},
        ),
        at=now,
    )
    return assessment


def _after_the_record(updated_at: dt.datetime, now: dt.datetime, case_id: str) -> None:
    """Time runs forward on a person's record too: no act dated before its last change."""
    last = as_utc(updated_at)
    if now < last:
        raise Conflict(
            f"{case_id}'s record last changed at {last:%Y-%m-%d %H:%M} UTC; {now:%Y-%m-%d %H:%M}"
            " is before it: time runs forward"
        )


def record_case_change(
    session: Session,
    case_id: str,
    change: CaseChange,
    actor: Actor,
    clock: Clock,
    *,
    against: str | None = None,
    claim_type: Literal["refugee", "withholding", "cat", "temporary"] = "refugee",
) -> list[Moved]:
    """A court stay, a new protection claim or an appeal: recorded on the person, and every
    open item of the family before transfer is cancelled, releasing its place."""
    senders_staff(session, actor, "record a case change", "people.case_change")
    stored = get_person(session, case_id)
    if stored is None:
        raise NotFound(f"no person {case_id!r}")
    person_row = to_record(stored)
    day = today(clock)
    if change == "stay":
        updated = person_row.model_copy(update={"stay_of_removal": True})
    elif change == "appeal":
        updated = person_row.model_copy(update={"appeal_pending": True})
    else:
        if against is None:
            raise Conflict("a new protection claim names the country it is against")
        entry = ProtectionEntry(type=claim_type, status="pending", against=against, date=day)
        updated = person_row.model_copy(update={"protection": [*person_row.protection, entry]})
    # Lock the family's open items and their agreements before the person's audit entry locks
    # the chain (the order every move takes: item, agreement, chain; another order deadlocks),
    # and look at each item again under its lock: it may have moved on meanwhile.
    found = repository.items(
        session, family_id=person_row.family_id, states=[s.value for s in OPEN]
    )
    locked = [_item(session, item.id) for item in found]
    for item in locked:
        _agreement(session, item.agreement_id, lock=True)
    update_person(session, updated, actor, clock, change)
    cancelled = []
    for item in locked:
        if State(item.state) not in OPEN:
            continue
        cancelled.append(
            move(
                session,
                item.id,
                "cancel",
                actor,
                clock,
                reason_code=change,
                reason_text=f"{change.replace('_', ' ')} recorded for {case_id}",
            )
        )
    return cancelled
