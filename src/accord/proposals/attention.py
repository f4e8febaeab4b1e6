"""What needs someone's attention under an agreement this week: the dashboard's list.

Read with a fixed number of queries whatever the agreement's size (families, notices and
check-ins each in one read), since the dashboard reads it for every agreement on each visit.

Items waiting for the receiver's review, notice periods (S6) that end within the week, check-ins
(S15) due or overdue, and suspensions not yet lifted. What a role reads is cut to its view: a
receiver or a monitor is never told of a notice (a notice tells of the sender's process) and
never of a family's protected state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from accord.access import may_use, reads_workflow, sees_claims
from accord.cases.service import stored_families
from accord.proposals import repository
from accord.records.agreement import AgreementIn
from accord.workflow.guards import fear_claim_deadline, last_service
from accord.workflow.transitions import Role

WEEK = dt.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Attention:
    kind: str
    """review | notice | check_in | incident"""
    day: dt.date
    """When it falls due (or was reported)."""
    text: str
    link: str


def attention(
    session: Session, agreement: AgreementIn, role: Role, day: dt.date
) -> list[Attention]:
    """This week's list for one agreement the role may see, soonest first."""
    found: list[Attention] = []
    items = repository.items(session, agreement_id=agreement.id)
    if may_use(role, "pools.list"):  # who reads pools is told of families waiting in them
        waiting = [i for i in items if i.state == "proposed"]
        for pool_id in sorted({i.proposal_id for i in waiting}):
            count = sum(i.proposal_id == pool_id for i in waiting)
            found.append(
                Attention(
                    "review",
                    min(i.state_since for i in waiting if i.proposal_id == pool_id),
                    f"{count} {'family' if count == 1 else 'families'} waiting for review"
                    f" in pool {pool_id}",
                    f"/pools/{pool_id}",
                )
            )
    if sees_claims(role):
        serving = [i for i in items if i.state in ("accepted", "notified")]
        families = stored_families(session, {i.family_id for i in serving})
        notices = repository.notices_of_items(session, [i.id for i in serving])
        for item in serving:
            served = last_service(families.get(item.family_id, []), notices.get(item.id, []), day)
            if served is None:
                continue
            ends = fear_claim_deadline(served, agreement.notice_days)
            if day <= ends <= day + WEEK:
                found.append(
                    Attention(
                        "notice",
                        ends,
                        f"notice period of family {item.family_id} ends {ends}",
                        f"/items/{item.id}",
                    )
                )
    if reads_workflow(role):
        families_of = {i.id: i.family_id for i in items}
        for check_in in repository.open_check_ins(session, agreement.id, day + WEEK):
            late = " (overdue)" if check_in.due_on < day else ""
            found.append(
                Attention(
                    "check_in",
                    check_in.due_on,
                    f"{check_in.due_days}-day check-in of family {families_of[check_in.item_id]}"
                    f" due {check_in.due_on}{late}",
                    f"/items/{check_in.item_id}",
                )
            )
    for incident in repository.incidents(session, agreement.id):
        if incident.suspends and incident.lifted_on is None:
            found.append(
                Attention(
                    "incident",
                    incident.reported_on,
                    f"suspended since {incident.reported_on}:"
                    f" {incident.kind.replace('_', ' ')} (S15)",
                    "/monitoring",
                )
            )
    return sorted(found, key=lambda a: (a.day, a.kind, a.text))
