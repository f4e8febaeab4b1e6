"""Personal values in audit events: held outside the hashed payload, put back for readers,
erased with every link intact, and checked by verification (an edited or swapped-in value is
caught; an erased one is simply absent)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from accord.audit import personal
from accord.audit.personal import ERASED, REF_KEY, Personal
from accord.audit.service import Entry, record_many, verify
from accord.audit.views import EventSearch, events_page
from accord.db import unit_of_work
from accord.models import AuditEvent, PersonalValue
from accord.store import Store

AT = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


def recorded(store: Store) -> None:
    """Three events: two with personal values of two people (one nested in a list), one
    without."""
    with unit_of_work(store.sessions) as session:
        record_many(
            session,
            "sam",
            [
                Entry("person.assessed", "person", "A1", {"reason": Personal("person A1", "Ann")}),
                Entry(
                    "proposal.pinned",
                    "proposal",
                    "7",
                    {"pins": [{"family": "F-B1", "why": Personal("family F-B1", {"n": 2})}]},
                ),
                Entry("item.read", "proposal_item", "3", {"role": "officer"}),
            ],
            at=AT,
        )


def assessed_seq(store: Store) -> int:
    with unit_of_work(store.sessions) as session:
        query = select(AuditEvent.seq).where(AuditEvent.action == "person.assessed")
        return session.execute(query).scalar_one()


def read(store: Store) -> dict[str, dict[str, object]]:
    with unit_of_work(store.sessions) as session:
        rows = events_page(session, EventSearch(), limit=10, offset=0).items
    return {row.action: row.data for row in rows}


def test_the_chain_holds_references_and_readers_read_the_values(store: Store) -> None:
    recorded(store)
    with unit_of_work(store.sessions) as session:
        stored = {e.action: e.data for e in session.scalars(select(AuditEvent))}
        assert set(stored["person.assessed"]["reason"]) == {REF_KEY}
        assert "Ann" not in str(stored)
        assert session.scalar(select(PersonalValue.subject).limit(1)) is not None
        assert verify(session).personal_values == 2
    assert read(store)["person.assessed"] == {"reason": "Ann"}
    assert read(store)["proposal.pinned"] == {"pins": [{"family": "F-B1", "why": {"n": 2}}]}
    assert read(store)["item.read"] == {"role": "officer"}


def test_erasing_a_subject_removes_its_values_and_every_link_holds(store: Store) -> None:
    recorded(store)
    with unit_of_work(store.sessions) as session:
        assert personal.erase(session, ["person A1"]) == 1
    with unit_of_work(store.sessions) as session:
        result = verify(session)
    assert result.ok and result.personal_values == 1
    assert read(store)["person.assessed"] == {"reason": ERASED}
    assert read(store)["proposal.pinned"] == {"pins": [{"family": "F-B1", "why": {"n": 2}}]}


def test_an_edited_value_breaks_verification_at_its_event(store: Store) -> None:
    recorded(store)
    with unit_of_work(store.sessions) as session:
        session.execute(
            text("UPDATE personal_values SET value = '\"Bob\"' WHERE subject = 'person A1'")
        )
    with unit_of_work(store.sessions) as session:
        result = verify(session)
    assert not result.ok and result.broken_at == assessed_seq(store)
    assert result.problem is not None and "was edited" in result.problem


def test_a_value_swapped_in_with_a_reference_of_its_own_is_caught(store: Store) -> None:
    recorded(store)
    salt = "00" * 16
    forged = personal.reference(salt, '"Bob"')
    with unit_of_work(store.sessions) as session:
        session.execute(
            text(
                "UPDATE personal_values SET value = '\"Bob\"', salt = :salt, ref = :ref"
                " WHERE subject = 'person A1'"
            ),
            {"salt": salt, "ref": forged},
        )
    with unit_of_work(store.sessions) as session:
        result = verify(session)
    assert not result.ok and result.broken_at == assessed_seq(store)
    assert result.problem is not None and "does not name" in result.problem
    assert read(store)["person.assessed"] == {"reason": ERASED}  # the event's own value is gone
