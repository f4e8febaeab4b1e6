"""All agreement and party queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from accord.models import Agreement, Party


def party_codes(session: Session) -> set[str]:
    return set(session.execute(select(Party.code)).scalars())


def get_party(session: Session, code: str) -> Party | None:
    return session.get(Party, code)


def list_parties(session: Session) -> Sequence[Party]:
    return session.execute(select(Party).order_by(Party.code)).scalars().all()


def _with_children() -> list[object]:
    return [
        selectinload(Agreement.caps),
        selectinload(Agreement.criteria),
        selectinload(Agreement.status_events),
        selectinload(Agreement.sources),
    ]


def get_agreement(
    session: Session, agreement_id: str, *, for_update: bool = False
) -> Agreement | None:
    children = [
        joinedload(Agreement.caps),
        joinedload(Agreement.criteria),
        joinedload(Agreement.status_events),
        joinedload(Agreement.sources),
    ]
    if for_update:  # the lock is on the agreement's row only (`OF`): the outer joins allow it
        query = select(Agreement).where(Agreement.id == agreement_id).options(*children)
        query = query.with_for_update(of=Agreement)
        return session.execute(query).unique().scalar_one_or_none()
    # Agreements are read many times in one request (scope, caps, views): the unit of work's
    # identity map answers after the first read, which is one round trip with its children.
    return session.get(Agreement, agreement_id, options=children)


def list_agreements(session: Session, *, status: str | None = None) -> Sequence[Agreement]:
    query = select(Agreement).options(*_with_children()).order_by(Agreement.id)  # type: ignore[arg-type]
    if status is not None:
        query = query.where(Agreement.status == status)
    return session.execute(query).scalars().all()


def sender_codes(session: Session) -> set[str]:
    """The parties that send under some agreement: whose staff hold case files here."""
    return set(session.execute(select(Agreement.sender_code).distinct()).scalars())
