"""All people and family queries."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import String, bindparam, cast, false, func, insert, select, update
from sqlalchemy.orm import Session, load_only

from accord.bulk import in_lists
from accord.cases.families import MemberState
from accord.clock import as_utc
from accord.db import table_of
from accord.models import Erasure, Family, Person
from accord.queries import page_of


def existing_hashes(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Person.case_id, Person.content_hash)).all())


def family_ids(session: Session) -> set[str]:
    return set(session.execute(select(Family.id)).scalars())


def members_of(session: Session, families: Iterable[str]) -> list[MemberState]:
    states: list[MemberState] = []
    for chunk in in_lists(families):
        query = select(
            Person.case_id,
            Person.family_id,
            Person.relationship,
            Person.sender_status,
            Person.removal_order_status,
        ).where(Person.family_id.in_(chunk))
        states += [MemberState(*row) for row in session.execute(query)]
    return states


def family_record_texts(session: Session, families: Iterable[str]) -> list[tuple[str, str]]:
    """(family id, record as exchange-format JSON) of every member of the given families, in
    case id order within each list of families."""
    rows: list[tuple[str, str]] = []
    for chunk in in_lists(families):
        query = (
            select(Person.family_id, Person.record)
            .where(Person.family_id.in_(chunk))
            .order_by(Person.case_id)
        )
        rows += [(family, text) for family, text in session.execute(query)]
    return rows


def add_families(session: Session, ids: Iterable[str]) -> None:
    rows = [{"id": family_id} for family_id in sorted(ids)]
    if rows:
        session.connection().execute(insert(table_of(Family)), rows)


def insert_people(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(table_of(Person)), list(rows))


def update_people(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk update by case id; each row carries `key` (the case id) and the new values."""
    if not rows:
        return
    columns = [key for key in rows[0] if key not in {"key", "created_at"}]
    statement = (
        update(table_of(Person))
        .where(table_of(Person).c.case_id == bindparam("key"))
        .values({column: bindparam(column) for column in columns})
    )
    session.connection().execute(statement, [dict(row) for row in rows])


def get_person(session: Session, case_id: str) -> Person | None:
    return session.get(Person, case_id)


def people_page(
    session: Session,
    *,
    limit: int,
    offset: int,
    family_id: str | None = None,
    family_name_prefix: str | None = None,
    nationality: str | None = None,
) -> tuple[list[Person], int]:
    """One page of the people the filters pick, in case id order, and how many they pick in
    all. Only the columns a listing shows are loaded, never the whole record.

    The family name matches from its start in any case, on every database. A nationality is a
    whole entry of the stored list: a country code (two capitals; nothing else is ever stored)
    found in the list's JSON text with its quotes, `"XX"`, which reads the same on SQLite and
    on PostgreSQL whatever spacing each gives the text.
    """
    query = select(Person).options(
        load_only(
            Person.case_id,
            Person.family_id,
            Person.relationship,
            Person.given_name,
            Person.family_name,
            Person.birth_date,
            Person.nationalities,
        )
    )
    if family_id is not None:
        query = query.where(Person.family_id == family_id)
    if family_name_prefix:
        query = query.where(
            func.lower(Person.family_name).startswith(family_name_prefix.lower(), autoescape=True)
        )
    if nationality is not None:
        query = query.where(
            cast(Person.nationalities, String).contains(f'"{nationality}"')
            if re.fullmatch(r"[A-Z]{2}", nationality)
            else false()
        )
    return page_of(session, query.order_by(Person.case_id), limit=limit, offset=offset)


def count_people(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Person)).scalar_one()


def count_families(session: Session) -> int:
    return session.execute(
        select(func.count(func.distinct(Person.family_id))).select_from(Person)
    ).scalar_one()


def record_texts(session: Session, *, family_id: str | None = None) -> list[str]:
    """Stored records as exchange-format JSON, in case id order (one family's, or everyone's)."""
    query = select(Person.record).order_by(Person.case_id)
    if family_id is not None:
        query = query.where(Person.family_id == family_id)
    return list(session.execute(query).scalars())


def family_changed_at(session: Session, family_id: str) -> dt.datetime | None:
    """The last moment any member's record changed: a move may not be dated before its facts."""
    query = select(func.max(Person.updated_at)).where(Person.family_id == family_id)
    changed = session.execute(query).scalar_one_or_none()
    return None if changed is None else as_utc(changed)


def records_by_case(session: Session, case_ids: Iterable[str]) -> dict[str, str]:
    """Stored records (exchange-format JSON) of the given people, by case id."""
    found: dict[str, str] = {}
    for chunk in in_lists(case_ids):
        query = select(Person.case_id, Person.record).where(Person.case_id.in_(chunk))
        found.update({case_id: text for case_id, text in session.execute(query)})
    return found


def families_of(session: Session, case_ids: Iterable[str]) -> set[str]:
    """The stored families of the given people (an import may move them out of these)."""
    found: set[str] = set()
    for chunk in in_lists(case_ids):
        query = select(Person.family_id).where(Person.case_id.in_(chunk))
        found.update(session.execute(query).scalars())
    return found


def erased_among(session: Session, case_ids: Iterable[str]) -> dict[str, dt.date]:
    """Which of the case ids were erased, and on which day (UTC)."""
    found: dict[str, dt.date] = {}
    for chunk in in_lists(case_ids):
        query = select(Erasure.case_id, Erasure.erased_at).where(Erasure.case_id.in_(chunk))
        found.update({case_id: as_utc(at).date() for case_id, at in session.execute(query)})
    return found
