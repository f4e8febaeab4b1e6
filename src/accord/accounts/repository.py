"""All account queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accord.models import ApiToken, LoginAttempt, User, UserSession


def get_user(session: Session, username: str, *, for_update: bool = False) -> User | None:
    query = select(User).where(User.username == username)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def list_users(session: Session) -> Sequence[User]:
    return session.execute(select(User).order_by(User.username)).scalars().all()


def any_user(session: Session) -> bool:
    """Whether any user exists, active or not."""
    return session.execute(select(User.id).limit(1)).first() is not None


def session_by_digest(session: Session, token_hash: str) -> tuple[UserSession, User] | None:
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def end_open_sessions(session: Session, user_id: int, at: dt.datetime) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=at)
    )


def token_with_user(session: Session, token_id: int) -> tuple[ApiToken, User] | None:
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == token_id)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def get_token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def tokens_of(session: Session, user_id: int) -> Sequence[ApiToken]:
    return (
        session.execute(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id))
        .scalars()
        .all()
    )


def token_counts(session: Session) -> dict[int, int]:
    """Tokens per user id, revoked and expired ones included."""
    rows = session.execute(select(ApiToken.user_id, func.count()).group_by(ApiToken.user_id))
    return {user_id: count for user_id, count in rows}


def failures_of_account(session: Session, username: str, since: dt.datetime) -> list[dt.datetime]:
    """Failed attempts for a username after `since` and after its last success, oldest first.

    "After" the success by row id: attempts on one account are written one after another, and
    two of them may carry the same moment.
    """
    last_success = (
        select(func.max(LoginAttempt.id))
        .where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(True))
        .scalar_subquery()
    )
    query = (
        select(LoginAttempt.at)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > since,
            LoginAttempt.id > func.coalesce(last_success, 0),
        )
        .order_by(LoginAttempt.at, LoginAttempt.id)
    )
    return list(session.execute(query).scalars())


def failures_from_address(session: Session, address: str, since: dt.datetime) -> list[dt.datetime]:
    query = (
        select(LoginAttempt.at)
        .where(
            LoginAttempt.address == address,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > since,
        )
        .order_by(LoginAttempt.at, LoginAttempt.id)
    )
    return list(session.execute(query).scalars())
