"""The workflow from the command line, end to end on SQLite and PostgreSQL: `accord pool`,
`accord review`, `accord item`, `accord ledger`, `accord case` and `accord incident`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from accord.config import Settings
from accord.db import unit_of_work
from accord.proposals import repository
from accord.scenarios import workflow_agreement_path
from accord.store import open_store
from tests.proposals.support import AGREEMENT, single
from tests.support import Cli, person

OFFICER = ("--as", "olga", "--role", "officer", "--party", "US")
SUPERVISOR = ("--as", "sam", "--role", "supervisor", "--party", "US")
REVIEWER = ("--as", "rita", "--role", "reviewer", "--party", "XK")
MONITOR = ("--as", "mona", "--role", "monitor", "--party", "MON-XK")


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The demo agreement and five families, one blocked (a pending protection claim), on
    2026-01-12 by ACCORD_NOW."""
    monkeypatch.setenv("ACCORD_NOW", "2026-01-12T09:00:00")
    cli = Cli(database_url)
    assert cli("agreements", "load", str(workflow_agreement_path())).exit_code == 0
    records = [
        single("A1"),
        single("A2"),
        single("A3", counsel={"name": "Lee Counsel", "contact": "lee@example.org"}),
        person("M1", "F-M", medical_fit=True),
        person("C1", "F-M", relationship="child", birth_date="2016-03-01", medical_fit=True),
        single(
            "B1",
            protection=[
                {"type": "refugee", "status": "pending", "against": "VE", "date": "2025-05-01"}
            ],
        ),
    ]
    people = tmp_path / "people.jsonl"
    people.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert cli("people", "import", str(people)).exit_code == 0
    return cli


def items(database_url: str) -> dict[str, tuple[int, str]]:
    """Family -> (item id, state), read from the store."""
    store = open_store(Settings(database_url=database_url))
    try:
        with unit_of_work(store.sessions) as session:
            return {
                i.family_id: (i.id, i.state)
                for i in repository.items(session, agreement_id=AGREEMENT)
            }
    finally:
        store.close()


def proposed(cli: Cli) -> dict[str, int]:
    result = cli("pool", "propose", "--agreement", AGREEMENT, *OFFICER)
    assert result.exit_code == 0, result.output
    return {family: item for family, (item, _) in items(cli.database_url).items()}


def test_accord_propose_creates_pools_through_the_workflow_or_only_computes_them(
    cli: Cli,
) -> None:
    """`accord propose`: a dry run computes and audits, creating nothing; a real run stores
    the pool with its items; a second run leaves out the families now in open items."""
    dry = cli("propose", "--agreement", AGREEMENT, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run: no pool created" in dry.output
    assert items(cli.database_url) == {}
    unnamed = cli("propose", "--agreement", AGREEMENT)
    assert unnamed.exit_code == 2
    assert "--role: give officer or supervisor, or use --dry-run" in unnamed.output
    reviewer = cli("propose", "--agreement", AGREEMENT, *REVIEWER)
    assert reviewer.exit_code == 1
    assert "rita (reviewer) may not propose a pool" in reviewer.output
    made = cli("propose", "--agreement", AGREEMENT, *OFFICER)
    assert made.exit_code == 0, made.output
    assert "pool 1 proposed to demo-xk-year on 2026-01-12: 4 families, 5 people" in made.output
    assert set(items(cli.database_url)) == {"F-A1", "F-A2", "F-A3", "F-M"}
    again = cli("propose", "--agreement", AGREEMENT, *OFFICER)
    assert again.exit_code == 0, again.output
    assert "no pool created" in again.output
    assert len(items(cli.database_url)) == 4
    log = cli("audit", "log", "--limit", "20").output
    assert "proposal.computed" in log and "proposal.created" in log
    assert cli("audit", "verify").exit_code == 0


def review_file(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "review.csv"
    path.write_text("item_id,decision,reason_code,reason_text\n" + "".join(f"{r}\n" for r in rows))
    return str(path)


def test_one_pool_from_proposal_to_arrival(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli("pool", "propose", "--agreement", AGREEMENT, *OFFICER)
    assert result.exit_code == 0, result.output
    assert (
        "pool 1 proposed to demo-xk-year on 2026-01-12: 4 families, 5 people, limit 75"
        " (persons: 1.500 × 50 left of 50)" in result.output
    )
    assert "F-B1" not in result.output  # blocked by S3: never proposed
    item = {family: item for family, (item, _) in items(cli.database_url).items()}
    assert set(item) == {"F-A1", "F-A2", "F-A3", "F-M"}

    decisions = review_file(
        tmp_path,
        f"{item['F-A1']},accept,,",
        f"{item['F-M']},accept,,",
        f"{item['F-A3']},accept,,",
        f"{item['F-A2']},reject,public_order,final conviction weighed under public order",
    )
    result = cli("review", decisions, *REVIEWER)
    assert result.exit_code == 0, result.output
    assert f"item {item['F-A2']} reject: done" in result.output
    assert "4 decided, 0 already decided, 0 refused" in result.output
    again = cli("review", decisions, *REVIEWER)
    assert again.exit_code == 0, again.output
    assert "0 decided, 4 already decided, 0 refused" in again.output

    ledger = cli("ledger", "show", AGREEMENT, *MONITOR)
    assert ledger.exit_code == 0, ledger.output
    assert re.search(r"50 │\s+4 │\s+46 │ 2026-01-01 to 2026-12-31", ledger.output)
    assert re.search(r"40 │\s+0 │\s+40 │ at any one time", ledger.output)
    assert "reserved 4 people (3 rows)" in ledger.output

    a1 = str(item["F-A1"])
    served = cli("item", "notice", a1, "A1", "--language", "es", *OFFICER)
    assert served.exit_code == 0, served.output
    assert "notice to A1 (person) in es on 2026-01-12: served" in served.output
    assert f"item {a1}: notify, accepted → notified" in served.output
    a3 = str(item["F-A3"])
    waiting = cli("item", "notice", a3, "A3", "--language", "en", *OFFICER)
    assert "language not understood (not service)" in waiting.output
    assert f"item {a3} stays accepted" in waiting.output

    early = cli("item", "clear", a1, "--medical-fit-confirmed", *SUPERVISOR)
    assert early.exit_code == 1
    assert (
        "S6: notice served on 2026-01-12: 10 days to raise fear run until 2026-01-22"
        in early.output
    )
    monkeypatch.setenv("ACCORD_NOW", "2026-01-22T09:00:00")
    unconfirmed = cli("item", "clear", a1, *SUPERVISOR)
    assert unconfirmed.exit_code == 1
    assert "S10: the sign-off does not confirm medical fitness to travel" in unconfirmed.output
    cleared = cli("item", "clear", a1, "--medical-fit-confirmed", *SUPERVISOR)
    assert cleared.exit_code == 0, cleared.output
    assert f"item {a1}: clear, notified → cleared" in cleared.output
    assert cli("item", "schedule", a1, "--on", "2026-01-26", *OFFICER).exit_code == 0
    monkeypatch.setenv("ACCORD_NOW", "2026-01-26T09:00:00")
    arrived = cli("item", "arrive", a1, *REVIEWER)
    assert f"item {a1}: transfer, scheduled → transferred" in arrived.output
    ledger = cli("ledger", "show", AGREEMENT, "--no-rows", *OFFICER)
    assert re.search(r"40 │\s+1 │\s+39 │ at any one time", ledger.output)
    # A transferred family is gone: the next pool holds only the family turned down before.
    again = cli("pool", "propose", "--agreement", AGREEMENT, *OFFICER)
    assert again.exit_code == 0, again.output
    assert "pool 2 proposed to demo-xk-year on 2026-01-26: 1 family, 1 person" in again.output
    assert "F-A2" in again.output and "F-A1" not in again.output
    assert "arrived 1 person (1 row)" in ledger.output

    sender_view = cli("item", "show", a1, *OFFICER)
    assert sender_view.exit_code == 0, sender_view.output
    for expected in (
        "state: transferred since 2026-01-26",
        "notice to A1 (person) in es: served",
        "clear: notified → cleared",
        "sam (supervisor)",
        "transfer scheduled for 2026-01-26, arrived 2026-01-26",
        "2026-02-25",  # the 30-day check-in falls due
    ):
        assert expected in sender_view.output
    receiver_view = cli("item", "show", a1, *REVIEWER)
    assert receiver_view.exit_code == 0
    assert "notice to" not in receiver_view.output
    pool = cli("pool", "show", "1", *REVIEWER)
    assert pool.exit_code == 0
    assert "rejected" in pool.output and "transferred" in pool.output
    assert "item.read" in cli("audit", "log", "--limit", "3").output


def test_illegal_moves_and_wrong_roles_are_refused_with_a_message(cli: Cli) -> None:
    proposed_items = proposed(cli)
    item = str(proposed_items["F-A1"])
    illegal = cli("item", "arrive", item, *REVIEWER)
    assert illegal.exit_code == 1
    assert "cannot transfer an item that is proposed; transfer applies to: scheduled" in (
        illegal.output
    )
    officer = cli("item", "accept", item, *OFFICER)
    assert officer.exit_code == 1
    assert "olga (officer) may not accept; only reviewer may" in officer.output
    elsewhere = cli("item", "accept", item, "--as", "ruth", "--role", "reviewer", "--party", "AL")
    assert elsewhere.exit_code == 1
    assert "ruth reviews for AL, not for XK" in elsewhere.output
    assert cli("item", "show", item, "--role", "monitor", "--party", "AL").exit_code == 1
    missing = cli("item", "accept", "999", *REVIEWER)
    assert missing.exit_code == 1
    assert "no proposal item 999" in missing.output
    assert items(cli.database_url)["F-A1"][1] == "proposed"

    accepted = cli("item", "accept", item, *REVIEWER)
    assert f"item {item}: accept, proposed → accepted" in accepted.output
    repeated = cli("item", "accept", item, *REVIEWER)
    assert repeated.exit_code == 0
    assert f"item {item}: accept was already applied; nothing changed" in repeated.output
    other = str(proposed_items["F-A2"])
    once = cli("item", "accept", other, "--request-id", "r-1", *REVIEWER)
    twice = cli("item", "accept", other, "--request-id", "r-1", *REVIEWER)
    assert f"item {other}: accept, proposed → accepted" in once.output
    assert f"item {other}: accept was already applied; nothing changed" in twice.output
    reused = cli(
        "item", "reject", item, "--code", "other", "--text", "x", "--request-id", "r-1", *REVIEWER
    )
    assert reused.exit_code == 1
    assert "request r-1 was already used for another move" in reused.output
    bad_role = cli("item", "accept", item, "--role", "admin")
    assert bad_role.exit_code == 2  # not a role of the workflow
    no_role = cli("item", "accept", item)
    assert no_role.exit_code == 2
    assert "--role" in no_role.output


def test_clearance_takes_exactly_one_item(cli: Cli) -> None:
    ids = proposed(cli)
    first, second = str(ids["F-A1"]), str(ids["F-A2"])
    bulk = cli("item", "clear", first, second, "--medical-fit-confirmed", *SUPERVISOR)
    assert bulk.exit_code == 2
    assert "2 items given" in bulk.output
    assert "S14: no bulk clearance" in bulk.output
    assert {state for _, state in items(cli.database_url).values()} == {"proposed"}


def test_a_bad_review_file_applies_nothing_and_a_refusal_stops_only_its_row(
    cli: Cli, tmp_path: Path
) -> None:
    ids = proposed(cli)
    bad = review_file(tmp_path, f"{ids['F-A1']},accept,,", "x,accept,,", f"{ids['F-A2']},maybe,,")
    result = cli("review", bad, *REVIEWER)
    assert result.exit_code == 2
    assert "row 3 item_id: not an item id: 'x'" in result.output
    assert "row 4 decision: expected accept or reject, got 'maybe'" in result.output
    assert items(cli.database_url)["F-A1"][1] == "proposed"

    mixed = review_file(tmp_path, f"{ids['F-A2']},reject,,", f"{ids['F-A1']},accept,,")
    result = cli("review", mixed, *REVIEWER)
    assert result.exit_code == 1
    assert "reason: a reason code and a reason text are required" in result.output
    assert "1 decided, 0 already decided, 1 refused" in result.output
    states = items(cli.database_url)
    assert (states["F-A1"][1], states["F-A2"][1]) == ("accepted", "proposed")


def test_a_stay_cancels_and_an_incident_suspends_until_a_supervisor_lifts_it(
    cli: Cli, tmp_path: Path
) -> None:
    ids = proposed(cli)
    assert cli("item", "accept", str(ids["F-M"]), *REVIEWER).exit_code == 0
    stay = cli("case", "change", "C1", "stay", *OFFICER)
    assert stay.exit_code == 0, stay.output
    assert f"item {ids['F-M']}: cancel, accepted → cancelled" in stay.output
    ledger = cli("ledger", "show", AGREEMENT, *OFFICER)
    assert re.search(r"50 │\s+0 │\s+50 │", ledger.output)
    assert "released 2 people (1 row)" in ledger.output
    no_country = cli("case", "change", "A1", "new_claim", *OFFICER)
    assert no_country.exit_code == 1
    assert "names the country it is against" in no_country.output

    foreign = cli(
        "incident",
        "report",
        AGREEMENT,
        "--kind",
        "ill_treatment",
        "--text",
        "a report from a party foreign to the agreement",
        *("--as", "ruth", "--role", "reviewer", "--party", "AL"),
    )
    assert foreign.exit_code == 1
    assert "ruth (reviewer of AL) does not act for agreement demo-xk-year" in foreign.output
    incident = cli(
        "incident",
        "report",
        AGREEMENT,
        "--kind",
        "onward_removal",
        "--text",
        "a transferred person was removed onward",
        *MONITOR,
    )
    assert incident.exit_code == 0, incident.output
    assert "the agreement is suspended (S15)" in incident.output
    refused = cli("pool", "propose", "--agreement", AGREEMENT, *OFFICER)
    assert refused.exit_code == 1
    assert "S12: the agreement is suspended, not in force" in refused.output
    officer = cli("incident", "lift", AGREEMENT, "--reason", "assurances checked", *OFFICER)
    assert officer.exit_code == 1
    assert "may not lift a suspension" in officer.output
    elsewhere = cli(
        "incident",
        "lift",
        AGREEMENT,
        "--reason",
        "lifted by another state's supervisor",
        *("--as", "sid", "--role", "supervisor", "--party", "AL"),
    )
    assert elsewhere.exit_code == 1
    assert "sid (supervisor of AL) does not act for agreement demo-xk-year" in elsewhere.output
    lifted = cli(
        "incident",
        "lift",
        AGREEMENT,
        "--reason",
        "the monitor confirmed the person's return",
        *SUPERVISOR,
    )
    assert lifted.exit_code == 0, lifted.output
    assert cli("agreements", "show", AGREEMENT).output.count("in force") >= 1
    assert cli("audit", "verify").exit_code == 0


def test_a_receiver_never_reads_of_a_fear_claim(cli: Cli) -> None:
    """DESIGN §6: the fact of a fear claim never reaches the receiver; its interview and
    outcome stay with the sender."""
    item = str(proposed(cli)["F-A1"])
    assert cli("item", "accept", item, *REVIEWER).exit_code == 0
    assert cli("item", "notice", item, "A1", "--language", "es", *OFFICER).exit_code == 0
    claimed = cli("item", "fear", item, "A1", *OFFICER)
    assert f"item {item}: claim_fear, notified → fear_claimed" in claimed.output
    interview = cli("item", "interview", item, "--at", "2026-01-14 10:00", *OFFICER)
    assert interview.exit_code == 1
    assert "S5: the interview needs at least 72 hours' notice" in interview.output
    assert cli("item", "interview", item, "--at", "2026-01-15 10:00", *OFFICER).exit_code == 0
    sender = cli("item", "show", item, *OFFICER).output
    assert "fear interview of A1 set for 2026-01-15 10:00 UTC" in sender
    assert "state: fear_claimed" in sender
    for role in (REVIEWER, MONITOR):
        seen = cli("item", "show", item, *role).output
        assert "state: held by the sender" in seen
        assert "fear" not in seen and "interview" not in seen
        assert "case A1" not in seen and "A1 (person)" not in seen
        pool = cli("pool", "show", "1", *role).output
        assert "fear" not in pool and "held by the sender" in pool
