"""This month's pools planned over a horizon, on the store (`accord propose --horizon`): caps
become spans of pool places over the horizon's months, the forecast comes from the families
the months behind brought, the pools are stored through the workflow (method `planner`) and
every run is audited with what it held back and why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.agreements.loader import load_registry_file
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import InvalidInput
from accord.matching import planning as core
from accord.matching.proposal import Used
from accord.models import AuditEvent, Proposal, ProposalItem
from accord.proposals import planning
from accord.scenarios import workflow_agreement_path
from accord.store import Store
from accord.web.app import create_app
from tests.proposals.support import (
    AGREEMENT,
    OFFICER,
    START,
    import_records,
    load_agreement,
    run,
    single,
)
from tests.support import Cli
from tests.web.pages_support import Browser, login_token
from tests.web.support import PASSWORD, sign_up

DEMO = load_registry_file(workflow_agreement_path()).agreements[0]
"""The demo agreement: 50 persons a year from its term's start (1 January 2026), pool factor
1.5."""


def test_a_horizon_is_a_duration_in_months() -> None:
    assert planning.horizon_months("P12M") == 12
    assert planning.horizon_months("p1y") == 12
    assert planning.horizon_months("P1Y6M") == 18
    for bad in ("P0M", "P4Y", "12", "P1D"):
        with pytest.raises(InvalidInput, match="--horizon"):
            planning.horizon_months(bad)


def test_caps_become_spans_of_pool_places_over_the_horizon() -> None:
    spans, why = planning.caps_over(DEMO, dt.date(2026, 11, 3), 4, Used(persons=20))
    assert why is None
    # November and December are left of 2026's period (50 - 20 = 30 people, x 1.5 = 45 pool
    # places); 2027's period starts in January with its whole 50 (75 pool places).
    assert spans == [core.Cap(AGREEMENT, 0, 1, 45, None), core.Cap(AGREEMENT, 2, 3, 75, None)]
    unknown = DEMO.model_copy(
        update={"caps": [c.model_copy(update={"limit": None, "note": "x"}) for c in DEMO.caps]}
    )
    assert planning.caps_over(unknown, START, 12, Used()) == (
        [],
        "persons_per_period cap not known as a figure: no pool planned",
    )


def caseload(store: Store, tmp_path: Path) -> None:
    """Three families known since December, two more each month of the autumn before (the
    history the forecast resamples)."""
    load_agreement(store)
    for month, ids in ((9, ("H1", "H2")), (10, ("H3", "H4")), (11, ("H5", "H6"))):
        import_records(
            store,
            tmp_path,
            [single(i) for i in ids],
            clock=SetClock.on(dt.date(2025, month, 5)),
        )
    import_records(store, tmp_path, [single("A1"), single("A2"), single("A3")])


def test_a_planned_proposal_is_lawful_stored_and_audited(store: Store, tmp_path: Path) -> None:
    caseload(store, tmp_path)
    clock = SetClock.on(START)
    planned = run(store, planning.propose_planned, [AGREEMENT], OFFICER, clock, 12)
    plan = planned.plan
    assert plan.month == "2026-01" and planned.agreements == (AGREEMENT,)
    chosen = {p.family_id for p in plan.chosen}
    assert chosen and chosen <= {
        f"F-{c}" for c in ("H1", "H2", "H3", "H4", "H5", "H6", "A1", "A2", "A3")
    }
    assert sum(p.size for p in plan.chosen) <= 75  # 50 people x 1.5 this year
    [stored] = planned.stored
    with unit_of_work(store.sessions) as session:
        proposal = session.get(Proposal, stored.id)
        assert proposal is not None and proposal.method == "planner"
        items = session.scalars(select(ProposalItem).where(ProposalItem.proposal_id == stored.id))
        assert {i.family_id for i in items} == chosen
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.planned"))
        assert event.entity_id == AGREEMENT and event.data["months"] == 12
        assert sorted(event.data["families"]) == sorted(chosen)


def test_a_dry_run_stores_no_pool(store: Store, tmp_path: Path) -> None:
    caseload(store, tmp_path)
    planned = run(
        store, planning.propose_planned, [AGREEMENT], OFFICER, SetClock.on(START), 6, dry_run=True
    )
    assert planned.stored == () and planned.plan.chosen
    with unit_of_work(store.sessions) as session:
        assert session.scalars(select(Proposal)).first() is None


def test_the_command_plans_and_says_what_it_held_back(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    caseload(store, tmp_path)
    cli = Cli(database_url).signed_up()
    done = cli(
        "propose",
        "--agreement",
        AGREEMENT,
        "--horizon",
        "P12M",
        "--dry-run",
        "--at",
        "2026-01-12",
        user="olga",
    )
    assert done.exit_code == 0, done.output
    assert "planned over 12 months from 2026-01" in done.output
    assert f"{AGREEMENT}:" in done.output and "dry run: no pool created" in done.output
    refused = cli(
        "propose",
        "--agreement",
        AGREEMENT,
        "--horizon",
        "P12M",
        "--pin-in",
        "F-A1:x",
        user="olga",
    )
    assert refused.exit_code == 2 and "takes no pins" in refused.output


def test_the_builder_plans_says_what_it_held_back_and_sends(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    caseload(store, tmp_path)
    clock = SetClock.on(START)
    sign_up(store, clock)
    app = create_app(Settings(database_url=database_url), clock=clock)
    with TestClient(app, base_url="https://testserver") as client:
        form = client.get("/login")
        signed = client.post(
            "/login",
            data={"username": "olga", "password": PASSWORD, "login_token": login_token(form.text)},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        browser = Browser(client, "olga")
        builder = browser.get(f"/pools/new?agreement={AGREEMENT}")
        assert 'name="horizon" value="P12M"' in builder.text
        shown = browser.htmx("/pools/new/preview", {"agreement_id": AGREEMENT, "horizon": "P12M"})
        assert shown.status_code == 200, shown.text
        assert "Planned over 12 months from 2026-01" in shown.text
        assert 'name="horizon" value="P12M"' in shown.text and 'name="add_family"' not in shown.text
        sent = browser.post("/pools/new/send", {"agreement_id": AGREEMENT, "horizon": "P12M"})
        assert sent.status_code == 303, sent.text
    with unit_of_work(store.sessions) as session:
        [proposal] = session.scalars(select(Proposal))
        assert proposal.method == "planner" and sent.headers["location"] == f"/pools/{proposal.id}"
        planned_runs = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "proposal.planned")
        ).all()
        assert len(planned_runs) == 2  # the preview and the send, each audited
