"""The subject's own copy (`accord people subject-export`), on SQLite and PostgreSQL: a person
imported, proposed, accepted and served notice, their record read by an officer; the export
holds their record, their item and its events, the notice with its document's hash, and the
access log (the officer's read, who and when), and nothing of a person of another family. Only
a supervisor of the sender exports; the export is audited with the SHA-256 of the file."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.access import Actor
from accord.audit.service import verify
from accord.cases import views
from accord.clock import SetClock, as_utc
from accord.db import unit_of_work
from accord.errors import Forbidden, NotFound
from accord.models import AuditEvent
from accord.proposals.notices import Served
from accord.proposals.subject import export_bytes, subject_export
from accord.store import Store
from tests.proposals.support import (
    AGREEMENT,
    OFFICER,
    START,
    SUPERVISOR,
    accept,
    actions,
    import_records,
    load_agreement,
    propose,
    run,
    serve,
    single,
)
from tests.support import Cli

OTHER_SUPERVISOR = Actor("sid", "supervisor", "AL")
"""A supervisor of a party that sends no one here."""


@pytest.fixture
def clock() -> SetClock:
    return SetClock.on(START)


def served_world(store: Store, tmp_path: Path, clock: SetClock) -> tuple[int, Served]:
    """A1 (family F-A1) and B1 (another family, F-B1) imported, proposed, accepted, each
    served notice in Spanish; the officer reads both records. Returns A1's item and notice."""
    load_agreement(store)
    import_records(
        store,
        tmp_path,
        [
            single("A1", given_name="María José", family_name="Pérez"),
            single("B1", given_name="Zebulon", family_name="Outsider"),
        ],
    )
    mine, theirs = propose(store, clock, ["F-A1", "F-B1"])
    accept(store, clock, mine)
    accept(store, clock, theirs)
    served = serve(store, clock, mine, "A1")
    serve(store, clock, theirs, "B1")
    run(store, views.person_record, OFFICER, "A1")
    run(store, views.person_record, OFFICER, "B1")
    return mine, served


def events(store: Store, action: str | None = None) -> list[AuditEvent]:
    with unit_of_work(store.sessions) as session:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def audit_count(store: Store) -> int:
    with unit_of_work(store.sessions) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_the_export_holds_the_record_the_item_the_notice_and_who_read_it(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    item, served = served_world(store, tmp_path, clock)
    export = run(store, subject_export, "A1", SUPERVISOR, clock)

    assert export["case_id"] == "A1" and export["exported_by"] == "sam"
    record = export["record"]
    assert (record["case_id"], record["given_name"], record["family_name"]) == (
        "A1",
        "María José",
        "Pérez",
    )
    assert record["languages"] == ["es"] and record["family_id"] == "F-A1"
    assert export["family"] == {"family_id": "F-A1", "case_ids": ["A1"]}

    [held] = export["items"]
    assert (held["item"], held["agreement"], held["state"]) == (item, AGREEMENT, "notified")
    assert held["members"] == ["A1"]
    moves = export["item_events"]
    assert [e["action"] for e in moves] == actions(store, item) == ["propose", "accept", "notify"]
    assert {e["item"] for e in moves} == {item}
    assert all(e["day"] == "2026-01-12" for e in moves)
    assert [e["by"] for e in moves] == ["olga", "rita", "olga"]
    assert all("reason_code" in e and "reason_text" in e for e in moves)

    [notice] = export["notices"]
    assert notice["document_sha256"] == served.document.sha256
    assert (notice["served_on"], notice["language"], notice["outcome"]) == (
        "2026-01-12",
        "es",
        "served",
    )
    assert (notice["recipient"], notice["interpreter"], notice["item"]) == ("person", None, item)
    assert export["fear_claims"] == [] and export["movements"] == []

    log = export["access_log"]
    assert [e["seq"] for e in log] == sorted(e["seq"] for e in log)
    assert {e["action"] for e in log} == {"person.created", "person.read", "notice.recorded"}
    [created] = [e for e in log if e["action"] == "person.created"]
    assert created["actor"] == "sam" and created["subject"] == "person A1"
    [read] = [e for e in log if e["action"] == "person.read"]
    [stored_read] = [e for e in events(store, "person.read") if e.entity_id == "A1"]
    assert (read["actor"], read["view"], read["seq"]) == ("olga", "full record", stored_read.seq)
    assert read["at"] == as_utc(stored_read.at).isoformat() and read["at"].endswith("+00:00")
    assert read["hash"] == stored_read.hash
    [recorded] = [e for e in log if e["action"] == "notice.recorded"]
    assert recorded["subject"] == f"proposal_item {item}"
    assert recorded["data"]["case"] == "A1"
    assert recorded["data"]["document_sha256"] == served.document.sha256


def test_nothing_of_a_person_of_another_family_is_in_it(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    served_world(store, tmp_path, clock)
    text = export_bytes(run(store, subject_export, "A1", SUPERVISOR, clock)).decode()
    assert "A1" in text and "Pérez" in text  # written as UTF-8, not escaped
    for theirs in ("B1", "F-B1", "Zebulon", "Outsider"):
        assert theirs not in text, theirs


def test_the_export_is_audited_with_the_hash_of_what_is_written(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    served_world(store, tmp_path, clock)
    export = run(store, subject_export, "A1", SUPERVISOR, clock)
    [event] = events(store, "person.exported")
    assert (event.actor, event.entity_type, event.entity_id) == ("sam", "person", "A1")
    assert event.data["sha256"] == hashlib.sha256(export_bytes(export)).hexdigest()
    assert event.data["view"] == "subject export"
    assert event.data["counts"]["notices"] == 1 and event.data["counts"]["items"] == 1
    # A later export shows the earlier one in its access log.
    clock.advance(days=1)
    again = run(store, subject_export, "A1", SUPERVISOR, clock)
    [earlier] = [e for e in again["access_log"] if e["action"] == "person.exported"]
    assert earlier["data"]["sha256"] == event.data["sha256"] and earlier["actor"] == "sam"
    with unit_of_work(store.sessions) as session:
        assert verify(session).ok


@pytest.mark.parametrize(
    "actor", [OFFICER, OTHER_SUPERVISOR, Actor("rita", "reviewer", "XK")], ids=lambda a: a.name
)
def test_only_a_supervisor_of_the_sender_exports_and_a_refusal_writes_nothing(
    store: Store, tmp_path: Path, clock: SetClock, actor: Actor
) -> None:
    served_world(store, tmp_path, clock)
    before = audit_count(store)
    with pytest.raises(Forbidden):
        run(store, subject_export, "A1", actor, clock)
    assert audit_count(store) == before


def test_an_unknown_case_id_is_not_found(store: Store, tmp_path: Path, clock: SetClock) -> None:
    served_world(store, tmp_path, clock)
    before = audit_count(store)
    with pytest.raises(NotFound, match="no person with case id 'NOPE'"):
        run(store, subject_export, "NOPE", SUPERVISOR, clock)
    assert audit_count(store) == before


def canonical(data: bytes) -> bytes:
    loaded: Any = json.loads(data)
    return (json.dumps(loaded, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode()


def test_the_command_writes_the_file_and_prints_counts_and_its_hash(
    store: Store, database_url: str, tmp_path: Path, clock: SetClock
) -> None:
    item, served = served_world(store, tmp_path, clock)
    cli = Cli(database_url).signed_up()
    out = tmp_path / "A1.json"

    done = cli("people", "subject-export", "A1", "--out", str(out), user="sam")
    assert done.exit_code == 0, done.output
    data = out.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert f"sha256 {digest}" in done.output
    assert "1 items" in done.output and "3 item events" in done.output
    assert "1 notices" in done.output
    assert data == canonical(data)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    written = json.loads(data)
    assert written["case_id"] == "A1" and written["exported_by"] == "sam"
    assert [n["document_sha256"] for n in written["notices"]] == [served.document.sha256]
    assert [i["item"] for i in written["items"]] == [item]
    [event] = events(store, "person.exported")
    assert event.actor == "sam" and event.data["sha256"] == digest

    before = audit_count(store)
    for case_id, user, said in (
        ("NOPE", "sam", "no person with case id 'NOPE'"),
        ("A1", "olga", "may not use people.subject_export"),
    ):
        target = tmp_path / f"{case_id}-{user}.json"
        refused = cli("people", "subject-export", case_id, "--out", str(target), user=user)
        assert refused.exit_code == 1, refused.output
        assert said in " ".join(refused.output.split())
        assert not target.exists()
    assert audit_count(store) == before
