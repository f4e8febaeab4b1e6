"""Erasing a person (`accord people erase`), on SQLite and PostgreSQL: A1 is imported with
values found nowhere else, assessed, proposed, served notice (the typeset inputs hold their name),
read, exported and withdrawn with a reason that names them; B1, of another family, goes through
the same. After A1's erasure none of A1's values is left in the raw database (the SQLite file's
and its log's bytes; every row of every PostgreSQL table), B1's all are, and the audit chain
verifies. Refusals write nothing: an item that can still move, the wrong role, no reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from accord.audit.personal import ERASED
from accord.audit.service import verify
from accord.audit.views import EventSearch, events_page
from accord.cases import views
from accord.clock import SetClock
from accord.db import forget_deleted, unit_of_work
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.models import AuditEvent, Erasure, Person
from accord.proposals import case_facts
from accord.proposals.erasure import erase_person
from accord.proposals.service import withdraw
from accord.proposals.subject import subject_export
from accord.store import Store
from tests.proposals.support import (
    OFFICER,
    START,
    SUPERVISOR,
    accept,
    import_records,
    propose,
    run,
    serve,
    single,
)
from tests.proposals.support import load_agreement as load_demo_agreement
from tests.support import Cli

A1_VALUES = {
    "given name": "Ysoldewyn",
    "family name": "Quarrington-Vexhallow",
    "alias": "Ysa Vexhallowen",
    "birth date": "1979-02-23",
    "health need": "dialysis thrice weekly at Quillmere",
    "counsel": "Thaddeus Brightwaterfield",
    "counsel contact": "brightwaterfield@example.org",
    "assessment reason": "Assessed Ysoldewyn in person: fit to travel with escort",
    "withdrawal reason": "Withdrawn: Ysoldewyn's sister Quarrington asked",
}
B1_VALUES = {
    "given name": "Zebulonius",
    "family name": "Outsiderberg",
    "birth date": "1981-07-19",
    "withdrawal reason": "Withdrawn: Zebulonius moved away",
    "assessment reason": "Assessed Zebulonius at home: no escort needed",
}


def record_of(case_id: str, values: dict[str, str]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if "alias" in values:
        extra["aliases"] = [values["alias"]]
        extra["health_needs"] = [values["health need"]]
        extra["counsel"] = {"name": values["counsel"], "contact": values["counsel contact"]}
    return single(
        case_id,
        given_name=values["given name"],
        family_name=values["family name"],
        birth_date=values["birth date"],
        **extra,
    )


@pytest.fixture
def clock() -> SetClock:
    return SetClock.on(START)


def lived(store: Store, tmp_path: Path, clock: SetClock) -> tuple[int, int]:
    """A1 and B1 through the workflow and back out of it; returns their items."""
    load_demo_agreement(store)
    import_records(store, tmp_path, [record_of("A1", A1_VALUES), record_of("B1", B1_VALUES)])
    for case_id, values in (("A1", A1_VALUES), ("B1", B1_VALUES)):
        reason = values["assessment reason"]
        run(store, case_facts.assess, case_id, "S8", reason, SUPERVISOR, clock)
    mine, theirs = propose(store, clock, ["F-A1", "F-B1"])
    for item, case_id in ((mine, "A1"), (theirs, "B1")):
        accept(store, clock, item)
        serve(store, clock, item, case_id)
        run(store, views.person_record, OFFICER, case_id)
        run(store, subject_export, case_id, SUPERVISOR, clock)
    run(store, withdraw, mine, A1_VALUES["withdrawal reason"], OFFICER, clock)
    run(store, withdraw, theirs, B1_VALUES["withdrawal reason"], OFFICER, clock)
    return mine, theirs


def raw_bytes(store: Store, database_url: str) -> bytes:
    """Everything the database holds as stored: the SQLite file and its write-ahead log, or
    every row of every PostgreSQL table as text."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        path = Path(url.database)
        log = path.with_name(path.name + "-wal")
        return path.read_bytes() + (log.read_bytes() if log.exists() else b"")
    with store.engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        assert {"people", "audit_events", "personal_values", "notices"} <= set(tables)
        chunks = [
            str(row[0]).encode()
            for table in tables
            for row in connection.execute(text(f'SELECT t::text FROM "{table}" t'))
        ]
    return b"\n".join(chunks)


def found(held: bytes, values: dict[str, str]) -> set[str]:
    return {name for name, value in values.items() if value.encode() in held}


def audit_count(store: Store) -> int:
    with unit_of_work(store.sessions) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_an_erased_person_leaves_no_value_in_the_raw_database_and_the_chain_holds(
    store: Store, database_url: str, tmp_path: Path, clock: SetClock
) -> None:
    lived(store, tmp_path, clock)
    forget_deleted(store.engine)
    before = raw_bytes(store, database_url)
    assert found(before, A1_VALUES) == set(A1_VALUES)  # the scan sees what is there

    clock.advance(days=1)
    erased = run(
        store, erase_person, "A1", "data subject's request of 2026-01-12", SUPERVISOR, clock
    )
    assert forget_deleted(store.engine)

    held = raw_bytes(store, database_url)
    assert found(held, A1_VALUES) == set()
    assert found(held, B1_VALUES) == set(B1_VALUES)
    assert erased.removed["audit values"] >= 1 and erased.removed["notice documents"] == 1
    assert erased.removed["item texts"] >= 1
    with unit_of_work(store.sessions) as session:
        result = verify(session)
        assert result.ok, result.problem
        assert result.personal_values >= 1  # B1's still held, and checked
        assert session.get(Person, "A1") is None
        gone = session.get(Erasure, "A1")
        assert gone is not None and (gone.erased_by, gone.ground) == ("sam", "request")
        log = events_page(session, EventSearch(entity_id="A1"), limit=100, offset=0).items
    [assessed] = [e for e in log if e.action == "person.assessed"]
    assert assessed.data["reason"] == ERASED
    [event] = [e for e in log if e.action == "person.erased"]
    assert event.actor == "sam" and event.data["reason"] == "data subject's request of 2026-01-12"


def test_an_erased_case_id_is_never_taken_again(
    store: Store, database_url: str, tmp_path: Path, clock: SetClock
) -> None:
    lived(store, tmp_path, clock)
    clock.advance(days=1)
    run(store, erase_person, "A1", "data subject's request of 2026-01-12", SUPERVISOR, clock)
    before = audit_count(store)
    with pytest.raises(Conflict, match="A1 was erased on 2026-01-13 \\(request\\)"):
        run(store, erase_person, "A1", "asked a second time", SUPERVISOR, clock)
    with pytest.raises(NotFound):
        run(store, subject_export, "A1", SUPERVISOR, clock)
    with pytest.raises(InvalidInput) as refused:
        import_records(store, tmp_path, [record_of("A1", A1_VALUES)])
    [problem] = refused.value.problems
    assert problem.place.endswith(":1 case_id") and "A1 was erased here" in problem.message
    assert audit_count(store) == before
    assert forget_deleted(store.engine)  # what `accord people erase` does after its commit
    assert found(raw_bytes(store, database_url), A1_VALUES) == set()


def test_refusals_write_nothing(store: Store, tmp_path: Path, clock: SetClock) -> None:
    load_demo_agreement(store)
    import_records(store, tmp_path, [record_of("A1", A1_VALUES)])
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    before = audit_count(store)
    with pytest.raises(Conflict, match=f"while the workflow may still move item {item}"):
        run(store, erase_person, "A1", "data subject's request", SUPERVISOR, clock)
    with pytest.raises(Forbidden):
        run(store, erase_person, "A1", "data subject's request", OFFICER, clock)
    with pytest.raises(Conflict, match="needs its reason"):
        run(store, erase_person, "A1", "asked", SUPERVISOR, clock)
    with pytest.raises(NotFound):
        run(store, erase_person, "NOPE", "data subject's request", SUPERVISOR, clock)
    assert audit_count(store) == before
    with unit_of_work(store.sessions) as session:
        assert session.get(Person, "A1") is not None


def test_the_command_erases_and_says_what_went(
    store: Store, database_url: str, tmp_path: Path, clock: SetClock
) -> None:
    lived(store, tmp_path, clock)
    cli = Cli(database_url).signed_up()
    refused = cli("people", "erase", "A1", "--reason", "data subject's request", user="olga")
    assert refused.exit_code == 1 and "may not use people.erase" in refused.output
    done = cli("people", "erase", "A1", "--reason", "data subject's request", user="sam")
    assert done.exit_code == 0, done.output
    assert "A1 erased:" in done.output and "1 notice documents" in done.output
    assert found(raw_bytes(store, database_url), A1_VALUES) == set()
    verified = cli("audit", "verify", user="sam")
    assert verified.exit_code == 0 and "audit chain intact" in verified.output
