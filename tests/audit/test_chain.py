"""The audit chain: every write is chained; any edit or deletion of any row is detected."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from accord.audit.chain import GENESIS, Link, first_break, link_hash
from accord.audit.service import Entry, record_many, verify
from accord.db import unit_of_work
from accord.store import Store
from tests.support import Cli

AT = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


def chain(n: int) -> list[Link]:
    links, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields = dict(
            seq=seq,
            at=AT,
            actor="officer",
            action="case.updated",
            entity_type="person",
            entity_id=f"C{seq}",
            data={"n": seq},
            prev_hash=prev,
        )
        digest = link_hash(**fields)  # type: ignore[arg-type]
        links.append(Link(**fields, hash=digest))  # type: ignore[arg-type]
        prev = digest
    return links


def test_an_intact_chain_holds() -> None:
    links = chain(5)
    assert first_break(links, 5, links[-1].hash) is None
    assert first_break([], None, None) is None


@given(n=st.integers(1, 30), data=st.data())
def test_editing_any_link_is_detected(n: int, data: st.DataObject) -> None:
    links = chain(n)
    index = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from(["actor", "action", "entity_id", "data", "at"]))
    value = {
        "actor": "someone-else",
        "action": "case.deleted",
        "entity_id": "X",
        "data": {"n": -1},
        "at": AT + dt.timedelta(seconds=1),
    }[field]
    edited = list(links)
    edited[index] = replace(links[index], **{field: value})
    broken = first_break(edited, n, links[-1].hash)
    assert broken is not None and broken.seq == index + 1


@given(n=st.integers(1, 30), data=st.data())
def test_deleting_any_link_is_detected(n: int, data: st.DataObject) -> None:
    links = chain(n)
    index = data.draw(st.integers(0, n - 1))
    remaining = links[:index] + links[index + 1 :]
    broken = first_break(remaining, n, links[-1].hash)
    assert broken is not None and broken.seq == index + 1


def append(store: Store, count: int) -> None:
    with unit_of_work(store.sessions) as session:
        record_many(
            session,
            "officer:1",
            [Entry("case.noted", "person", f"C{i}", {"i": i}) for i in range(count)],
        )


def seeded(store: Store) -> int:
    """The events the test database starts with (its notice templates stored and approved)."""
    with unit_of_work(store.sessions) as session:
        return verify(session).events


def test_writes_are_chained_across_transactions(store: Store) -> None:
    before = seeded(store)
    append(store, 3)
    append(store, 2)
    with unit_of_work(store.sessions) as session:
        result = verify(session)
        seqs = session.execute(text("select seq from audit_events order by seq")).scalars().all()
        noted = session.execute(
            text("select seq from audit_events where action = 'case.noted' order by seq")
        ).scalars()
        assert list(noted) == [before + n for n in (1, 2, 3, 4, 5)]
    assert result.ok and result.events == before + 5
    assert seqs == list(range(1, before + 6))


def test_the_database_refuses_to_edit_or_delete_audit_rows(store: Store) -> None:
    append(store, 2)
    for statement in ("update audit_events set actor = 'x'", "delete from audit_events"):
        with (
            pytest.raises(DBAPIError, match="append-only"),
            unit_of_work(store.sessions) as session,
        ):
            session.execute(text(statement))


def disable_guard(store: Store) -> None:
    """What someone with raw database access could do before tampering."""
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))


TAMPERING = [
    ("edit first", "update audit_events set data = '{{\"i\": 99}}' where seq = {seq}", 1),
    ("edit middle", "update audit_events set actor = 'supervisor:9' where seq = {seq}", 3),
    ("edit last", "update audit_events set action = 'case.erased' where seq = {seq}", 5),
    ("delete first", "delete from audit_events where seq = {seq}", 1),
    ("delete middle", "delete from audit_events where seq = {seq}", 3),
    ("delete last", "delete from audit_events where seq = {seq}", 5),
    ("rewind head", "update audit_head set seq = {before_last}", 5),
]
"""What is done to the chain, and which of the five rows appended last it breaks at."""


def signed_up_chain(cli: Cli, store: Store) -> int:
    """The test accounts (their creation is audited), then five events: the count before them."""
    cli.signed_up()
    with unit_of_work(store.sessions) as session:
        before = verify(session).events
    append(store, 5)
    return before


@pytest.mark.parametrize(("what", "statement", "row"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_with_any_row_is_detected(
    store: Store, cli: Cli, what: str, statement: str, row: int
) -> None:
    before = signed_up_chain(cli, store)
    seq = before + row
    disable_guard(store)
    with store.engine.begin() as connection:
        connection.execute(text(statement.format(seq=seq, before_last=before + 4)))
    with unit_of_work(store.sessions) as session:
        result = verify(session)
    assert result.broken is not None, what
    assert result.broken.seq == seq
    output = cli("audit", "verify", user="sam")
    assert output.exit_code == 1
    assert f"broken at row {seq}" in output.output


def test_verify_reports_an_intact_chain(store: Store, cli: Cli) -> None:
    before = signed_up_chain(cli, store)
    output = cli("audit", "verify", user="sam")
    assert output.exit_code == 0, output.output
    assert f"audit chain intact: {before + 5} events" in output.output


def test_concurrent_writers_keep_one_unbroken_chain(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    before = seeded(store)

    def writer(worker: int) -> None:
        for i in range(10):
            with unit_of_work(store.sessions) as session:
                record_many(
                    session, f"w{worker}", [Entry("case.noted", "person", f"C{worker}-{i}")]
                )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(writer, range(4)))
    with unit_of_work(store.sessions) as session:
        result = verify(session)
    assert result.ok, result.broken
    assert result.events == before + 40
