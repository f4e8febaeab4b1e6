"""The retention schedule: personal data goes when its purpose ends, each kind on its own clock.

| kind | kept for | then |
|---|---|---|
| a person's case | `retention_case_years` after the last thing recorded on their record or items, once every item of theirs has ended | erased (`accord.proposals.erasure`, ground `retention`) |
| sign-in attempts, and the names typed and addresses the audit log holds for sign-ins | `retention_sign_in_days` | deleted; the audit values erased (the chain holds) |
| browser sessions | `retention_sign_in_days` after they expired | deleted |
| answers kept for retried requests (Idempotency-Key) | `retention_replay_days` | deleted: a retry after that is a new request |

`due` says what the schedule would remove today; `apply` removes it in the caller's transaction
and audits it as `retention.applied` (and each person as `person.erased`). A person whose items
can still move is never due. Never commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from accord.access import Actor
from accord.audit import personal
from accord.audit.service import Entry, record
from accord.clock import Clock, as_utc
from accord.config import Settings
from accord.db import Base
from accord.errors import Conflict
from accord.models import (
    AuditEvent,
    IdempotentRequest,
    LoginAttempt,
    Person,
    PersonalValue,
    ProposalItem,
    UserSession,
)
from accord.proposals.erasure import RULE, erase_record
from accord.proposals.service import senders_staff
from accord.queries import affected
from accord.workflow.transitions import State, moves_from


@dataclass(frozen=True, slots=True)
class Schedule:
    case_years: int
    sign_in_days: int
    replay_days: int

    @classmethod
    def of(cls, settings: Settings) -> Schedule:
        return cls(
            settings.retention_case_years,
            settings.retention_sign_in_days,
            settings.retention_replay_days,
        )

    def case_cutoff(self, now: dt.datetime) -> dt.datetime:
        """Nothing recorded since this moment: the case's time is up (a 29 February moves to
        the 28th in a year without one)."""
        try:
            return now.replace(year=now.year - self.case_years)
        except ValueError:
            return now.replace(year=now.year - self.case_years, day=28)

    def lines(self) -> list[tuple[str, str]]:
        return [
            (
                "a person's case",
                f"{self.case_years} years after the last thing recorded on it, once every item"
                " has ended (ACCORD_RETENTION_CASE_YEARS)",
            ),
            (
                "sign-in attempts and their audit values",
                f"{self.sign_in_days} days (ACCORD_RETENTION_SIGN_IN_DAYS)",
            ),
            ("browser sessions", f"{self.sign_in_days} days after they expired"),
            (
                "answers kept for retried requests",
                f"{self.replay_days} days (ACCORD_RETENTION_REPLAY_DAYS)",
            ),
        ]


@dataclass(slots=True)
class Due:
    people: list[str] = field(default_factory=list)
    """Case ids whose time is up, in order."""
    sign_in_values: int = 0
    login_attempts: int = 0
    sessions: int = 0
    replays: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "people": len(self.people),
            "sign-in values": self.sign_in_values,
            "sign-in attempts": self.login_attempts,
            "sessions": self.sessions,
            "kept answers": self.replays,
        }


def people_due(session: Session, cutoff: dt.datetime) -> list[str]:
    """People with nothing recorded on their record since `cutoff`, no item that can still
    move, and no item with anything recorded since."""
    candidates = session.execute(
        select(Person.case_id, Person.family_id)
        .where(Person.updated_at < cutoff)
        .order_by(Person.case_id)
    ).all()
    families = {family for _, family in candidates}
    busy: set[str] = set()
    for family, state, last_at in session.execute(
        select(ProposalItem.family_id, ProposalItem.state, ProposalItem.last_at).where(
            ProposalItem.family_id.in_(sorted(families))
        )
    ):
        if moves_from(State(state)) or (last_at is not None and as_utc(last_at) >= cutoff):
            busy.add(family)
    return [case_id for case_id, family in candidates if family not in busy]


def _sign_in_refs(session: Session, cutoff: dt.datetime) -> list[str]:
    query = (
        select(PersonalValue.ref)
        .join(AuditEvent, AuditEvent.seq == PersonalValue.seq)
        .where(PersonalValue.subject.startswith(personal.SIGN_IN_PREFIX), AuditEvent.at < cutoff)
    )
    return list(session.execute(query).scalars())


def _count(session: Session, model: type[Base], *where: ColumnElement[bool]) -> int:
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def due(session: Session, schedule: Schedule, now: dt.datetime) -> Due:
    """What the schedule would remove now."""
    sign_in = now - dt.timedelta(days=schedule.sign_in_days)
    replay = now - dt.timedelta(days=schedule.replay_days)
    return Due(
        people=people_due(session, schedule.case_cutoff(now)),
        sign_in_values=len(_sign_in_refs(session, sign_in)),
        login_attempts=_count(session, LoginAttempt, LoginAttempt.at < sign_in),
        sessions=_count(session, UserSession, UserSession.expires_at < sign_in),
        replays=_count(session, IdempotentRequest, IdempotentRequest.created_at < replay),
    )


def apply(
    session: Session, schedule: Schedule, actor: Actor, clock: Clock
) -> tuple[Due, list[str]]:
    """Remove what is due (a supervisor of the sender, who answers for the erasures); returns
    what went and, for each person kept after all, why."""
    senders_staff(session, actor, "apply the retention schedule", RULE)
    now = clock.now()
    cutoff = schedule.case_cutoff(now)
    done, kept = Due(), []
    for case_id in people_due(session, cutoff):
        person = session.get(Person, case_id)
        if person is None:
            continue
        reason = (
            f"retention schedule: nothing recorded since {cutoff:%Y-%m-%d}"
            f" ({schedule.case_years} years) and every item ended"
        )
        try:  # refused before it writes anything: an item of an earlier family still moves
            erase_record(session, person, reason, actor.name, now, "retention")
        except Conflict as refused:
            kept.append(refused.detail)
            continue
        done.people.append(case_id)
    sign_in = now - dt.timedelta(days=schedule.sign_in_days)
    done.sign_in_values = personal.erase_refs(session, _sign_in_refs(session, sign_in))
    done.login_attempts = affected(session, delete(LoginAttempt).where(LoginAttempt.at < sign_in))
    done.sessions = affected(session, delete(UserSession).where(UserSession.expires_at < sign_in))
    replay = now - dt.timedelta(days=schedule.replay_days)
    done.replays = affected(
        session, delete(IdempotentRequest).where(IdempotentRequest.created_at < replay)
    )
    record(
        session,
        actor.name,
        Entry(
            "retention.applied",
            "retention",
            now.date().isoformat(),
            {
                "removed": done.counts(),
                "schedule": {
                    "case_years": schedule.case_years,
                    "sign_in_days": schedule.sign_in_days,
                    "replay_days": schedule.replay_days,
                },
            },
        ),
        at=now,
    )
    return done, kept
