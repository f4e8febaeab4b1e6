"""The web layer's own queries: the answers kept for requests sent with an `Idempotency-Key`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.idempotency import IdempotentRequest


def kept_answer(session: Session, principal: str, key: str) -> IdempotentRequest | None:
    """The answer kept for this principal's request with this key, if one was answered."""
    return session.execute(
        select(IdempotentRequest).where(
            IdempotentRequest.principal == principal, IdempotentRequest.key == key
        )
    ).scalar_one_or_none()
