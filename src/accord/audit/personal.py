"""Personal values in audit events, kept where they can be erased without breaking the chain.

An event's data may hold a `Personal(subject, value)` anywhere a value goes. When the event is
recorded the value is stored in `personal_values` with a random salt, and the data keeps only
`{"$personal": ref}`, `ref` being the SHA-256 of the salt and the value's canonical JSON. The
chain hashes the data as stored, the reference, so:

- erasing a subject deletes its rows: the value and its salt are gone, every link still holds,
  and the reference says nothing (a guess at a birth date cannot be checked without the salt);
- a value held and altered no longer matches its reference, which `verify` reports.

Readers see the value put back, or `ERASED` where it was erased.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from accord.bulk import in_lists
from accord.db import table_of
from accord.models import AuditEvent, PersonalValue
from accord.queries import affected

REF_KEY = "$personal"
ERASED = "[erased]"
"""What a reader of the log reads where a personal value was erased."""


@dataclass(frozen=True, slots=True)
class Personal:
    """A personal value of `subject`, to be held outside the hashed payload."""

    subject: str
    value: Any


def person_subject(case_id: str) -> str:
    return f"person {case_id}"


def family_subject(family_id: str) -> str:
    return f"family {family_id}"


def sign_in_subject(username: str) -> str:
    return f"sign-in {username}"


SIGN_IN_PREFIX = "sign-in "


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def reference(salt: str, value_json: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + value_json.encode()).hexdigest()


def seal(data: dict[str, Any], seq: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`data` with every `Personal` replaced by its reference; the rows to store are appended."""

    def sealed(value: Any) -> Any:
        if isinstance(value, Personal):
            salt = secrets.token_hex(16)
            text = _canonical(value.value)
            ref = reference(salt, text)
            rows.append(
                {"ref": ref, "seq": seq, "subject": value.subject, "value": text, "salt": salt}
            )
            return {REF_KEY: ref}
        if isinstance(value, dict):
            return {key: sealed(inner) for key, inner in value.items()}
        if isinstance(value, list | tuple):
            return [sealed(inner) for inner in value]
        return value

    return sealed(data)  # type: ignore[no-any-return]


def store(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(table_of(PersonalValue)), list(rows))


def _refs(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        if set(value) == {REF_KEY}:
            found.add(str(value[REF_KEY]))
            return
        for inner in value.values():
            _refs(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _refs(inner, found)


def reveal(session: Session, datas: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events' data as a reader reads it: each reference replaced by its value, or by
    `ERASED` if it is gone. One query for the lot."""
    refs: set[str] = set()
    for data in datas:
        _refs(data, refs)
    if not refs:
        return [dict(data) for data in datas]
    held: dict[str, Any] = {}
    for chunk in in_lists(sorted(refs)):
        query = select(PersonalValue.ref, PersonalValue.value).where(PersonalValue.ref.in_(chunk))
        held.update({ref: json.loads(text) for ref, text in session.execute(query)})

    def revealed(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {REF_KEY}:
                return held.get(str(value[REF_KEY]), ERASED)
            return {key: revealed(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [revealed(inner) for inner in value]
        return value

    return [revealed(data) for data in datas]


def erase(session: Session, subjects: Iterable[str]) -> int:
    """Delete every value of the subjects; how many went."""
    return _delete(session, PersonalValue.subject, subjects)


def erase_refs(session: Session, refs: Iterable[str]) -> int:
    """Delete these values (the retention schedule's, by age); how many went."""
    return _delete(session, PersonalValue.ref, refs)


def _delete(session: Session, column: InstrumentedAttribute[str], keys: Iterable[str]) -> int:
    erased = 0
    for chunk in in_lists(sorted(set(keys))):
        erased += affected(session, delete(PersonalValue).where(column.in_(chunk)))
    return erased


@dataclass(frozen=True, slots=True)
class Altered:
    """A held value that no longer stands as recorded, and the event that names it."""

    seq: int
    subject: str
    problem: str


def first_altered(session: Session, batch: int = 5000) -> tuple[int, Altered | None]:
    """How many values are held, and the first (by event) that no longer stands as recorded:
    edited in place (it does not match its reference), or given a reference its event does not
    name (a value swapped in with a reference made for it)."""
    count, after = 0, ""
    first: Altered | None = None
    while True:
        rows = list(
            session.execute(
                select(PersonalValue)
                .where(PersonalValue.ref > after)
                .order_by(PersonalValue.ref)
                .limit(batch)
            ).scalars()
        )
        named: dict[int, set[str]] = {}
        for chunk in in_lists(sorted({row.seq for row in rows})):
            query = select(AuditEvent.seq, AuditEvent.data).where(AuditEvent.seq.in_(chunk))
            for seq, data in session.execute(query):
                _refs(data or {}, named.setdefault(seq, set()))
        for row in rows:
            count += 1
            problem = None
            if reference(row.salt, row.value) != row.ref:
                problem = "a personal value it names was edited (it no longer matches its hash)"
            elif row.ref not in named.get(row.seq, set()):
                problem = "a personal value was put in its name that it does not name"
            if problem and (first is None or row.seq < first.seq):
                first = Altered(row.seq, row.subject, problem)
        if len(rows) < batch:
            return count, first
        after = rows[-1].ref
