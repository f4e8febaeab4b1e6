"""The agreement registry on a real database: load, reload, update, lifecycle moves, views."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.agreements import repository, service
from accord.agreements.loader import parse_registry
from accord.db import unit_of_work
from accord.errors import Conflict, Forbidden, IllegalTransition, NotFound
from accord.models import Agreement, AuditEvent, Party
from accord.scenarios import arrangements_path
from accord.store import Store
from accord.workflow.lifecycle import LEGAL_MOVES, Status, is_legal
from tests.support import Cli

REGISTRY = """\
parties:
  - {code: US, name: United States}
  - {code: XK, name: Kosovo}
agreements:
  - id: us-xk
    sender: US
    receiver: XK
    kind: third_country_transfer
    status: signed
    status_history:
      - {status: signed, date: 2025-06-11, source: reuters}
    caps:
      - {kind: persons_per_period, limit: 50, period: P1Y, anchor: term_start, source: reuters}
    onward_return: true
    sources:
      reuters: {publisher: Reuters, date: 2025-06-11, statement: Ready to take up to 50 people.}
"""


@pytest.fixture
def cli(database_url: str) -> Cli:
    """The command line on the test's database, with the test accounts (sam supervises)."""
    return Cli(database_url).signed_up()


def load(store: Store, text: str) -> service.LoadReport:
    """Loaded by a supervisor, who may also record the file's new status events."""
    with unit_of_work(store.sessions) as session:
        registry = parse_registry(text, "r.yaml", repository.party_codes(session))
        return service.load(session, registry, "test", role="supervisor")


def audit_actions(store: Store) -> list[str]:
    """The audit log's actions, without the notice templates every test database starts with."""
    with unit_of_work(store.sessions) as session:
        actions = session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars()
        return [a for a in actions if not a.startswith("template.")]


def test_load_stores_the_agreement_and_audits_it(store: Store) -> None:
    report = load(store, REGISTRY)
    assert report.created == ["us-xk"] and report.parties_created == ["US", "XK"]
    with unit_of_work(store.sessions) as session:
        agreement = repository.get_agreement(session, "us-xk")
        assert agreement is not None
        stored = service.to_schema(agreement)
    assert stored == parse_registry(REGISTRY, "r.yaml").agreements[0]
    assert audit_actions(store) == [
        "party.created",
        "party.created",
        "agreement.created",
        "agreement.status_changed",
    ]


def test_loading_the_same_file_again_changes_nothing(store: Store) -> None:
    load(store, REGISTRY)
    before = audit_actions(store)
    report = load(store, REGISTRY)
    assert report.unchanged == ["us-xk"] and not report.created and not report.updated
    assert audit_actions(store) == before


def test_a_changed_file_updates_fields_and_appends_history(store: Store) -> None:
    load(store, REGISTRY)
    changed = (
        REGISTRY.replace("limit: 50", "limit: 60")
        .replace(
            "    caps:",
            "      - {status: in_force, date: 2025-12-01, source: reuters}\n    caps:",
        )
        .replace("status: signed\n    status_history", "status: in_force\n    status_history")
    )
    report = load(store, changed)
    assert report.updated == ["us-xk"]
    with unit_of_work(store.sessions) as session:
        agreement = repository.get_agreement(session, "us-xk")
        assert agreement is not None
        assert agreement.status == "in_force"
        assert [e.status for e in agreement.status_events] == ["signed", "in_force"]
        assert agreement.caps[0].limit == 60
    assert audit_actions(store)[-2:] == ["agreement.updated", "agreement.status_changed"]


def test_a_file_that_rewrites_recorded_history_is_refused(store: Store) -> None:
    load(store, REGISTRY)
    rewritten = REGISTRY.replace(
        "{status: signed, date: 2025-06-11", "{status: signed, date: 2025-06-12"
    )
    with pytest.raises(Conflict, match="append-only"):
        load(store, rewritten)


def test_nothing_is_written_when_any_agreement_is_bad(
    store: Store, cli: Cli, tmp_path: Path
) -> None:
    bad = REGISTRY + "  - {id: second, sender: US, receiver: XK, kind: custody, status: nonsense}\n"
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    before = audit_actions(store)  # the test accounts' creation
    result = cli("agreements", "load", str(path), user="sam")
    assert result.exit_code == 2
    assert f"{path}:17: agreements[1].status: Input should be" in result.output
    with unit_of_work(store.sessions) as session:
        assert session.execute(select(func.count()).select_from(Agreement)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(Party)).scalar_one() == 0
    assert audit_actions(store) == before


@pytest.mark.parametrize(
    ("current", "new"),
    [(c, n) for c in Status for n in Status if c != n],
    ids=lambda s: str(s),
)
def test_only_legal_lifecycle_moves_are_accepted(
    store: Store, current: Status, new: Status
) -> None:
    text = REGISTRY.replace("status: signed\n", f"status: {current}\n").replace(
        "{status: signed,", f"{{status: {current},"
    )
    load(store, text)
    with unit_of_work(store.sessions) as session:
        if (current, new) in service.LIFTED_ONLY_BY_ITS_ACT:
            with pytest.raises(Conflict, match="a status change does not end a suspension"):
                change_as_supervisor(session, new)
        elif is_legal(current, new):
            agreement = change_as_supervisor(session, new)
            assert agreement.status == new.value
        else:
            with pytest.raises(IllegalTransition, match=f"cannot move from {current} to {new}"):
                change_as_supervisor(session, new)


def change_as_supervisor(session: Session, new: Status) -> Agreement:
    return service.change_status(
        session,
        "us-xk",
        new,
        date=parse_date("2026-01-02"),
        actor="t",
        role="supervisor",
        source_key="reuters",
        note="reported by the source",
    )


def test_a_status_change_is_a_supervisors_act_with_a_reason(store: Store) -> None:
    """Issue 13, finding 5: `agreements status` took no role and no reason."""
    load(store, REGISTRY)
    with unit_of_work(store.sessions) as session:
        for role in (None, "officer", "reviewer", "monitor", "admin"):
            with pytest.raises(Forbidden, match="may not change an agreement's status"):
                service.change_status(
                    session,
                    "us-xk",
                    Status.IN_FORCE,
                    date=parse_date("2026-01-02"),
                    actor="t",
                    role=role,
                    source_key="reuters",
                    note="reported by the source",
                )
        with pytest.raises(NotFound, match="no agreement 'us-xk'"):  # another sender's
            service.change_status(
                session,
                "us-xk",
                Status.IN_FORCE,
                date=parse_date("2026-01-02"),
                actor="gus",
                role="supervisor",
                party="GB",
                source_key="reuters",
                note="reported by the source",
            )
        with pytest.raises(Conflict, match="needs its reason"):
            service.change_status(
                session,
                "us-xk",
                Status.IN_FORCE,
                date=parse_date("2026-01-02"),
                actor="t",
                role="supervisor",
                source_key="reuters",
            )


def test_a_registry_file_neither_changes_status_unless_a_supervisor_loads_it_nor_lifts_a_suspension(
    store: Store,
) -> None:
    load(store, REGISTRY)
    moved = REGISTRY.replace("status: signed\n", "status: in_force\n").replace(
        "{status: signed, date: 2025-06-11, source: reuters}",
        "{status: signed, date: 2025-06-11, source: reuters}\n"
        "      - {status: in_force, date: 2026-01-02, source: reuters}",
    )
    assert moved != REGISTRY
    registry = parse_registry(moved, "r.yaml")
    with (
        unit_of_work(store.sessions) as session,
        pytest.raises(Forbidden, match="a supervisor may"),
    ):
        service.load(session, registry, "olga", role="officer")
    with unit_of_work(store.sessions) as session:
        service.load(session, registry, "sam", role="supervisor")
    with unit_of_work(store.sessions) as session:
        change_as_supervisor(session, Status.SUSPENDED)
    resumed = moved.replace(
        "{status: in_force, date: 2026-01-02, source: reuters}",
        "{status: in_force, date: 2026-01-02, source: reuters}\n"
        "      - {status: suspended, date: 2026-01-02, source: reuters}\n"
        "      - {status: in_force, date: 2026-01-03, source: reuters}",
    )
    with (
        unit_of_work(store.sessions) as session,
        pytest.raises(Conflict, match="does not end a suspension"),
    ):
        service.load(session, parse_registry(resumed, "r.yaml"), "sam", role="supervisor")


def parse_date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def test_every_status_can_be_left_or_is_final() -> None:
    assert LEGAL_MOVES[Status.EXPIRED] == frozenset() == LEGAL_MOVES[Status.TERMINATED]
    assert Status.IN_FORCE in LEGAL_MOVES[Status.SUSPENDED]


def test_status_command_records_the_move_with_a_new_source(
    store: Store, cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(REGISTRY)
    assert cli("agreements", "load", str(path), user="sam").exit_code == 0
    result = cli(
        "agreements",
        "status",
        "us-xk",
        "in_force",
        "--source",
        "ap",
        "--date",
        "2025-12-03",
        "--publisher",
        "Associated Press",
        "--statement",
        "First arrival reported.",
        "--note",
        "in force from the first arrival",
        user="sam",
    )
    assert result.exit_code == 0, result.output
    shown = cli("agreements", "show", "us-xk", user="sam")
    assert shown.exit_code == 0
    assert "2025-12-03" in shown.output and "Associated Press" in shown.output
    assert "in force" in shown.output and "up to 50 people per P1Y" in shown.output

    refused = cli("agreements", "status", "us-xk", "signed", "--source", "ap", user="sam")
    assert refused.exit_code == 1
    assert "cannot move from in_force to signed" in refused.output

    unknown = cli(
        "agreements",
        "status",
        "us-xk",
        "suspended",
        "--source",
        "nobody",
        "--note",
        "a reason given",
        user="sam",
    )
    assert unknown.exit_code == 2
    assert "has no source 'nobody'" in unknown.output
    assert "no agreement 'zz'" in cli("agreements", "show", "zz", user="sam").output


def test_the_built_in_scenario_loads_and_lists(store: Store, cli: Cli) -> None:
    loaded = cli("agreements", "load", str(arrangements_path()), user="sam")
    assert loaded.exit_code == 0, loaded.output
    assert "10 agreements created" in loaded.output
    listed = cli("agreements", "list", user="sam")
    # The parties by name beside their code, the receiver under the sender (one row, two lines).
    assert re.search(r"us-xk-2025 +│ United States \(US\) +│", listed.output), listed.output
    assert re.search(r"│ +│ → Kosovo \(XK\) +│", listed.output), listed.output
    assert "up to 50 people per P1Y" in listed.output
    in_force = cli("agreements", "list", "--status", "in_force", user="sam")
    assert "us-xk-2025" in in_force.output and "gb-rw-2023" not in in_force.output
    shown = cli("agreements", "show", "us-xk-2025", user="sam")
    assert "Reuters, 2025-06-11" in shown.output
    assert "Associated Press, Dec 2025" in shown.output
    assert "United States (US) → Kosovo (XK)" in shown.output
    assert "all but Kosovo (XK)" in shown.output
    assert "Instrument checklist" in shown.output
