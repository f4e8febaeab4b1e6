"""The workflow from the command line, end to end on SQLite and PostgreSQL: `accord pool`,
`accord review`, `accord item`, `accord ledger`, `accord case` and `accord incident`, each run
as a signed-in account (ACCORD_TOKEN): the role and party are the account's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.audit.repository import iter_links
from accord.config import Settings
from accord.db import unit_of_work
from accord.models import NoticeRecord
from accord.proposals import repository
from accord.scenarios import workflow_agreement_path
from accord.store import open_store
from tests.proposals.support import AGREEMENT, single
from tests.support import Cli, person

OFFICER, SUPERVISOR, REVIEWER, MONITOR = "olga", "sam", "rita", "mona"
"""Accounts of tests.support.USERS: officer and supervisor of US, reviewer of XK, monitor."""


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The demo agreement and five families, one blocked (a pending protection claim), on
    2026-01-12 by ACCORD_NOW."""
    monkeypatch.setenv("ACCORD_NOW", "2026-01-12T09:00:00")
    cli = Cli(database_url).signed_up()
    loaded = cli("agreements", "load", str(workflow_agreement_path()), user=SUPERVISOR)
    assert loaded.exit_code == 0, loaded.output
    records = [
        single("A1"),
        single("A2", health_needs=["insulin"]),
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
    imported = cli("people", "import", str(people), user=OFFICER)
    assert imported.exit_code == 0, imported.output
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


def notices_of(database_url: str, item_id: int) -> tuple[list[str], list[str]]:
    """The recipients of the notices recorded on an item, and of its `notice.recorded` audit
    events, in order."""
    store = open_store(Settings(database_url=database_url))
    try:
        with unit_of_work(store.sessions) as session:
            rows = session.scalars(
                select(NoticeRecord)
                .where(NoticeRecord.item_id == item_id)
                .order_by(NoticeRecord.id)
            )
            logged = [
                link.data["recipient"]
                for link in iter_links(session)
                if link.action == "notice.recorded" and link.entity_id == str(item_id)
            ]
            return [n.recipient for n in rows], logged
    finally:
        store.close()


def proposed(cli: Cli) -> dict[str, int]:
    result = cli("pool", "propose", "--agreement", AGREEMENT, user=OFFICER)
    assert result.exit_code == 0, result.output
    return {family: item for family, (item, _) in items(cli.database_url).items()}


def test_accord_propose_creates_pools_through_the_workflow_or_only_computes_them(
    cli: Cli,
) -> None:
    """`accord propose`: a dry run computes and audits, creating nothing (it reads the people,
    so it too needs the sender's signed-in staff); a real run stores the pool with its items; a
    second run leaves out the families now in open items."""
    nobody = cli("propose", "--agreement", AGREEMENT, "--dry-run")
    assert nobody.exit_code == 1
    assert "not signed in: run `accord login USERNAME`" in nobody.output
    dry = cli("propose", "--agreement", AGREEMENT, "--dry-run", user=OFFICER)
    assert dry.exit_code == 0, dry.output
    assert "dry run: no pool created" in dry.output
    assert items(cli.database_url) == {}
    reviewer = cli("propose", "--agreement", AGREEMENT, user=REVIEWER)
    assert reviewer.exit_code == 1
    assert "a reviewer may not use pools.propose" in reviewer.output
    foreign = cli("propose", "--agreement", AGREEMENT, "--dry-run", user="sid")
    assert foreign.exit_code == 1
    assert "demo-xk-year: sid acts for AL, not for its sender US" in foreign.output
    made = cli("propose", "--agreement", AGREEMENT, user=OFFICER)
    assert made.exit_code == 0, made.output
    assert "pool 1 proposed to demo-xk-year on 2026-01-12: 4 families, 5 people" in made.output
    assert set(items(cli.database_url)) == {"F-A1", "F-A2", "F-A3", "F-M"}
    again = cli("propose", "--agreement", AGREEMENT, user=OFFICER)
    assert again.exit_code == 0, again.output
    assert "no pool created" in again.output
    assert len(items(cli.database_url)) == 4
    log = cli("audit", "log", "--limit", "20", user=SUPERVISOR).output
    assert "proposal.computed" in log and "proposal.created" in log
    assert "olga" in log and "cli:" not in log  # the audit actor is the account's username
    assert cli("audit", "verify", user=SUPERVISOR).exit_code == 0


def test_propose_lists_every_agreement_refused_and_why(cli: Cli, tmp_path: Path) -> None:
    """Over several agreements, one run names every agreement that cannot take a pool, with
    every reason, not only the first (issue 13)."""
    draft = tmp_path / "more.yaml"
    draft.write_text(
        "parties: [{code: US, name: United States}, {code: XK, name: Kosovo}]\n"
        "agreements:\n"
        "  - {id: us-xk-draft, sender: US, receiver: XK, kind: resettlement, status: signed}\n"
    )
    assert cli("agreements", "load", str(draft), user=SUPERVISOR).exit_code == 0
    refused = cli(
        "propose", "--agreement", "us-xk-draft", "--agreement", "nowhere",
        "--agreement", AGREEMENT, "--dry-run", user=OFFICER,
    )  # fmt: skip
    assert refused.exit_code == 1
    text = refused.output
    assert "cannot propose to 2 of the 3 agreements asked for" in text
    assert "us-xk-draft: S12: the agreement is signed, not in force" in text
    assert "us-xk-draft: S12: no country-safety assessment is recorded" in text
    assert "us-xk-draft: S12: the instrument lacks: admission" in text
    assert "nowhere: no agreement 'nowhere'" in text
    assert f"{AGREEMENT}:" not in text
    assert "proposal.computed" not in cli("audit", "log", user=SUPERVISOR).output


def review_file(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "review.csv"
    path.write_text("item_id,decision,reason_code,reason_text\n" + "".join(f"{r}\n" for r in rows))
    return str(path)


def test_one_pool_from_proposal_to_arrival(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli("pool", "propose", "--agreement", AGREEMENT, user=OFFICER)
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
    result = cli("review", decisions, user=REVIEWER)
    assert result.exit_code == 0, result.output
    assert f"item {item['F-A2']} reject: done" in result.output
    assert "4 decided, 0 already decided, 0 refused" in result.output
    again = cli("review", decisions, user=REVIEWER)
    assert again.exit_code == 0, again.output
    assert "0 decided, 4 already decided, 0 refused" in again.output

    monitor = cli("ledger", "show", AGREEMENT, user=MONITOR)
    assert monitor.exit_code == 1  # as in the API: a monitor reads aggregates, not the ledger
    assert "a monitor may not use agreements.ledger" in monitor.output
    ledger = cli("ledger", "show", AGREEMENT, user=REVIEWER)
    assert ledger.exit_code == 0, ledger.output
    assert re.search(r"50 │\s+4 │\s+46 │ 2026-01-01 to 2026-12-31", ledger.output)
    assert re.search(r"40 │\s+0 │\s+40 │ at any one time", ledger.output)
    assert "reserved 4 people (3 rows)" in ledger.output

    a1 = str(item["F-A1"])
    served = cli("item", "notify", a1, "A1", "--language", "es", user=OFFICER)
    assert served.exit_code == 0, served.output
    assert "notice to A1 (person) in es on 2026-01-12: served" in served.output
    assert f"item {a1}: notify, accepted → notified" in served.output
    a3 = str(item["F-A3"])
    waiting = cli("item", "notify", a3, "A3", "--language", "en", user=OFFICER)
    assert waiting.exit_code == 1
    assert "A3 is not recorded as understanding 'en' (recorded: es): no service in it" in (
        waiting.output
    )
    assert "serve it in es, which A3 reads" in waiting.output
    assert "notice to A3" not in waiting.output  # refused: nothing recorded
    assert notices_of(cli.database_url, int(a3)) == ([], [])
    counsel = cli("item", "notify", a3, "A3", "--to", "counsel", "--language", "en", user=OFFICER)
    assert "notice to A3 (counsel) in en on 2026-01-12: served" in counsel.output
    assert notices_of(cli.database_url, int(a3)) == (["counsel"], ["counsel"])
    assert f"item {a3} stays accepted: still not validly served: A3 (person)" in counsel.output
    read = cli(
        "item", "notify", a3, "A3", "--language", "en", "--interpreter", "K. Haddad",
        "--read-in", "es", user=OFFICER,
    )  # fmt: skip
    assert read.exit_code == 0, read.output
    assert "notice to A3 (person) in en on 2026-01-12: served" in read.output
    assert f"item {a3}: notify, accepted → notified" in read.output
    assert notices_of(cli.database_url, int(a3)) == (
        ["counsel", "person"],
        ["counsel", "person"],
    )
    again = cli("item", "notify", a1, "A1", "--language", "es", user=OFFICER)
    assert again.exit_code == 0, again.output
    assert f"item {a1} is notified; the notice is recorded" in again.output
    assert "stays accepted" not in again.output

    early = cli("item", "clear", a1, "--medical-fit-confirmed", user=SUPERVISOR)
    assert early.exit_code == 1
    assert (
        "S6: notice served on 2026-01-12: the days to raise a fear run to the end of 2026-01-22"
        in early.output
    )
    monkeypatch.setenv("ACCORD_NOW", "2026-01-22T09:00:00")
    last_day = cli("item", "clear", a1, "--medical-fit-confirmed", user=SUPERVISOR)
    assert last_day.exit_code == 1
    assert "the days to raise a fear run to the end of 2026-01-22" in last_day.output
    monkeypatch.setenv("ACCORD_NOW", "2026-01-23T09:00:00")
    unconfirmed = cli("item", "clear", a1, user=SUPERVISOR)
    assert unconfirmed.exit_code == 1
    assert "S10: the sign-off does not confirm medical fitness to travel" in unconfirmed.output
    cleared = cli("item", "clear", a1, "--medical-fit-confirmed", user=SUPERVISOR)
    assert cleared.exit_code == 0, cleared.output
    assert f"item {a1}: clear, notified → cleared" in cleared.output
    assert cli("item", "schedule", a1, "--on", "2026-01-26", user=OFFICER).exit_code == 0
    monkeypatch.setenv("ACCORD_NOW", "2026-01-26T09:00:00")
    arrived = cli("item", "transfer", a1, user=REVIEWER)
    assert f"item {a1}: transfer, scheduled → transferred" in arrived.output
    ledger = cli("ledger", "show", AGREEMENT, "--no-rows", user=OFFICER)
    assert re.search(r"40 │\s+1 │\s+39 │ at any one time", ledger.output)
    # A transferred family is gone: the next pool holds only the family turned down before.
    again = cli("pool", "propose", "--agreement", AGREEMENT, user=OFFICER)
    assert again.exit_code == 0, again.output
    assert "pool 2 proposed to demo-xk-year on 2026-01-26: 1 family, 1 person" in again.output
    assert "F-A2" in again.output and "F-A1" not in again.output
    assert "arrived 1 person (1 row)" in ledger.output

    sender_view = cli("item", "show", a1, user=OFFICER)
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
    receiver_view = cli("item", "show", a1, user=REVIEWER)
    assert receiver_view.exit_code == 0
    assert "notice to" not in receiver_view.output
    pool = cli("pool", "show", "1", user=REVIEWER)
    assert pool.exit_code == 0
    assert "rejected" in pool.output and "transferred" in pool.output
    assert "item.read" in cli("audit", "log", "--limit", "3", user=SUPERVISOR).output


def test_illegal_moves_and_wrong_roles_are_refused_with_a_message(cli: Cli) -> None:
    proposed_items = proposed(cli)
    item = str(proposed_items["F-A1"])
    illegal = cli("item", "transfer", item, user=REVIEWER)
    assert illegal.exit_code == 1
    assert f"cannot transfer item {item}: it is proposed" in illegal.output
    officer = cli("item", "accept", item, user=OFFICER)
    assert officer.exit_code == 1
    assert "an officer may not use items.accept" in officer.output
    elsewhere = cli("item", "accept", item, user="ruth")
    assert elsewhere.exit_code == 1
    assert "ruth reviews for AL, not for XK" in elsewhere.output
    assert cli("item", "show", item, user="ruth").exit_code == 1
    missing = cli("item", "accept", "999", user=REVIEWER)
    assert missing.exit_code == 1
    assert "no proposal item 999" in missing.output
    assert items(cli.database_url)["F-A1"][1] == "proposed"

    accepted = cli("item", "accept", item, user=REVIEWER)
    assert f"item {item}: accept, proposed → accepted" in accepted.output
    repeated = cli("item", "accept", item, user=REVIEWER)
    assert repeated.exit_code == 0
    assert f"item {item}: accept was already applied; nothing changed" in repeated.output
    other = str(proposed_items["F-A2"])
    once = cli("item", "accept", other, "--request-id", "r-1", user=REVIEWER)
    twice = cli("item", "accept", other, "--request-id", "r-1", user=REVIEWER)
    assert f"item {other}: accept, proposed → accepted" in once.output
    assert f"item {other}: accept was already applied; nothing changed" in twice.output
    reused = cli(
        "item", "reject", item, "--code", "other", "--text", "x", "--request-id", "r-1",
        user=REVIEWER,
    )  # fmt: skip
    assert reused.exit_code == 1
    assert "request r-1 was already used for another move" in reused.output
    no_flag = cli("item", "accept", item, "--role", "reviewer", user=OFFICER)
    assert no_flag.exit_code == 2  # the role is the account's: there is no option to claim one
    assert "No such option: --role" in no_flag.output
    nobody = cli("item", "accept", item)
    assert nobody.exit_code == 1
    assert "not signed in: run `accord login USERNAME`" in nobody.output


def test_an_officer_account_cannot_clear_a_family(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: `accord item clear N --role supervisor --as olga` let an officer clear a
    family. The role now comes from the account: olga is an officer, so clearance is refused
    before anything is read or written, and no option lets her claim another role."""
    item = str(proposed(cli)["F-A1"])
    assert cli("item", "accept", item, user=REVIEWER).exit_code == 0
    assert cli("item", "notify", item, "A1", "--language", "es", user=OFFICER).exit_code == 0
    monkeypatch.setenv("ACCORD_NOW", "2026-01-23T09:00:00")
    claimed = cli(
        "item", "clear", item, "--medical-fit-confirmed", "--role", "supervisor", "--as", "olga",
        user=OFFICER,
    )  # fmt: skip
    assert claimed.exit_code == 2
    assert "No such option: --role" in claimed.output
    refused = cli("item", "clear", item, "--medical-fit-confirmed", user=OFFICER)
    assert refused.exit_code == 1
    assert "an officer may not use items.clear" in refused.output
    assert items(cli.database_url)["F-A1"][1] == "notified"
    cleared = cli("item", "clear", item, "--medical-fit-confirmed", user=SUPERVISOR)
    assert cleared.exit_code == 0, cleared.output
    assert "sam (supervisor)" in cli("item", "show", item, user=OFFICER).output


def test_clearance_takes_exactly_one_item(cli: Cli) -> None:
    ids = proposed(cli)
    first, second = str(ids["F-A1"]), str(ids["F-A2"])
    bulk = cli("item", "clear", first, second, "--medical-fit-confirmed", user=SUPERVISOR)
    assert bulk.exit_code == 2
    assert "2 items given" in bulk.output
    assert "S14: no bulk clearance" in bulk.output
    assert {state for _, state in items(cli.database_url).values()} == {"proposed"}


def test_a_bad_review_file_applies_nothing_and_a_refusal_stops_only_its_row(
    cli: Cli, tmp_path: Path
) -> None:
    ids = proposed(cli)
    bad = review_file(tmp_path, f"{ids['F-A1']},accept,,", "x,accept,,", f"{ids['F-A2']},maybe,,")
    result = cli("review", bad, user=REVIEWER)
    assert result.exit_code == 2
    assert "row 3 item_id: not an item id: 'x'" in result.output
    assert "row 4 decision: expected accept or reject, got 'maybe'" in result.output
    assert items(cli.database_url)["F-A1"][1] == "proposed"

    mixed = review_file(tmp_path, f"{ids['F-A2']},reject,,", f"{ids['F-A1']},accept,,")
    result = cli("review", mixed, user=REVIEWER)
    assert result.exit_code == 1
    assert "reason: a reason code and a reason text are required" in result.output
    assert "1 decided, 0 already decided, 1 refused" in result.output
    states = items(cli.database_url)
    assert (states["F-A1"][1], states["F-A2"][1]) == ("accepted", "proposed")


def test_a_stay_cancels_and_an_incident_suspends_until_a_supervisor_lifts_it(
    cli: Cli, tmp_path: Path
) -> None:
    ids = proposed(cli)
    assert cli("item", "accept", str(ids["F-M"]), user=REVIEWER).exit_code == 0
    stay = cli("case", "change", "C1", "stay", user=OFFICER)
    assert stay.exit_code == 0, stay.output
    assert f"item {ids['F-M']}: cancel, accepted → cancelled" in stay.output
    ledger = cli("ledger", "show", AGREEMENT, user=OFFICER)
    assert re.search(r"50 │\s+0 │\s+50 │", ledger.output)
    assert "released 2 people (1 row)" in ledger.output
    no_country = cli("case", "change", "A1", "new_claim", user=OFFICER)
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
        "--audience",
        "shared",
        user="ruth",
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
        "--audience",
        "shared",
        user=MONITOR,
    )
    assert incident.exit_code == 0, incident.output
    assert "the agreement is suspended (S15)" in incident.output
    refused = cli("pool", "propose", "--agreement", AGREEMENT, user=OFFICER)
    assert refused.exit_code == 1
    assert "S12: the agreement is suspended, not in force" in refused.output
    officer = cli("incident", "lift", AGREEMENT, "--reason", "assurances checked", user=OFFICER)
    assert officer.exit_code == 1
    assert "an officer may not use incidents.lift" in officer.output
    elsewhere = cli(
        "incident",
        "lift",
        AGREEMENT,
        "--reason",
        "lifted by another state's supervisor",
        user="sid",
    )
    assert elsewhere.exit_code == 1
    assert "sid (supervisor of AL) does not act for agreement demo-xk-year" in elsewhere.output
    lifted = cli(
        "incident",
        "lift",
        AGREEMENT,
        "--reason",
        "the monitor confirmed the person's return",
        user=SUPERVISOR,
    )
    assert lifted.exit_code == 0, lifted.output
    assert cli("agreements", "show", AGREEMENT, user=MONITOR).output.count("in force") >= 1
    assert cli("audit", "verify", user=SUPERVISOR).exit_code == 0


def test_a_receiver_never_reads_of_a_fear_claim(cli: Cli) -> None:
    """DESIGN §6: the fact of a fear claim never reaches the receiver; its interview and
    outcome stay with the sender."""
    item = str(proposed(cli)["F-A1"])
    assert cli("item", "accept", item, user=REVIEWER).exit_code == 0
    assert cli("item", "notify", item, "A1", "--language", "es", user=OFFICER).exit_code == 0
    claimed = cli("item", "claim-fear", item, "A1", user=OFFICER)
    assert f"item {item}: claim_fear, notified → fear_claimed" in claimed.output
    interview = cli("item", "fear-interview", item, "--at", "2026-01-14 10:00", user=OFFICER)
    assert interview.exit_code == 1
    assert "S5: the interview needs at least 72 hours' notice" in interview.output
    set_for = cli("item", "fear-interview", item, "--at", "2026-01-15 10:00", user=OFFICER)
    assert set_for.exit_code == 0
    sender = cli("item", "show", item, user=OFFICER).output
    assert "fear interview of A1 set for 2026-01-15 10:00 UTC" in sender
    assert "state: fear_claimed" in sender
    seen = cli("item", "show", item, user=REVIEWER).output
    assert "state: accepted" in seen
    assert "fear" not in seen and "interview" not in seen
    assert "case A1" not in seen and "A1 (person)" not in seen
    pool = cli("pool", "show", "1", user=REVIEWER).output
    assert "fear" not in pool and "held" not in pool
    # As in the API, a monitor reads aggregates and check-ins, not items or pools.
    assert "a monitor may not use items.get" in cli("item", "show", item, user=MONITOR).output
    assert "a monitor may not use pools.get" in cli("pool", "show", "1", user=MONITOR).output


def test_a_reviewer_reads_the_waiting_families_through_the_minimized_view(cli: Cli) -> None:
    """`accord review --pool` and `accord pool show` give the receiver's reviewer what the
    API's review gives: each waiting family's members, minimized (DESIGN §6); never counsel,
    health needs without consent, or the sender's scores and reasons. Each read is audited."""
    proposed(cli)
    for args in (("review", "--pool", "1"), ("pool", "show", "1")):
        shown = cli(*args, user=REVIEWER)
        assert shown.exit_code == 0, shown.output
        text = shown.output
        assert "Members of the families waiting for a decision" in text
        for expected in ("A1", "A2", "A3", "M1", "C1", "Ana Example", "child", "VE", "es"):
            assert expected in text, expected
        for secret in ("Lee Counsel", "lee@example.org", "insulin", "matcher", "why", "score"):
            assert secret not in text, secret
    assert "accord review FILE" in cli("review", "--pool", "1", user=REVIEWER).output
    sender = cli("pool", "show", "1", user=OFFICER).output
    assert "why" in sender and "matcher" in sender
    reads = cli("audit", "log", "--action", "person.read", user=SUPERVISOR).output
    assert "rita" in reads and '"view": "minimized"' in reads
    stranger = cli("review", "--pool", "1", user="ruth")
    assert stranger.exit_code == 1  # another state's pool: refused, nothing of it shown
    assert "F-A1" not in stranger.output and "Ana Example" not in stranger.output
    neither = cli("review", user=REVIEWER)
    assert neither.exit_code == 2
    assert "give a review file to apply, or --pool to read" in neither.output


def test_a_reimport_keeps_the_stay_says_so_and_only_a_supervisor_lifts_it(
    cli: Cli, tmp_path: Path
) -> None:
    """Issue 13, finding 1 from the command line: the sender's old case file, imported again,
    no longer erases a stay recorded in Accord; the import says what it kept and what it did to
    the family's open item; the stay ends by a supervisor's reasoned act alone."""
    ids = proposed(cli)
    assert cli("item", "accept", str(ids["F-A1"]), user=REVIEWER).exit_code == 0
    assert cli("case", "change", "A1", "stay", user=OFFICER).exit_code == 0
    old_file = tmp_path / "again.jsonl"
    old_file.write_text(json.dumps(single("A1", languages=["es", "en"])) + "\n")
    again = cli("people", "import", str(old_file), user=OFFICER)
    assert again.exit_code == 0, again.output
    assert "1 protective facts kept that the file leaves out" in again.output
    assert "A1: court stay of removal" in again.output
    explained = cli("explain", "A1", "--agreement", AGREEMENT, user=OFFICER)
    assert ": blocked" in explained.output and "court stay of removal" in explained.output
    by_officer = cli(
        "case", "lift", "A1", "stay", "--reason", "the stay was set aside", user=OFFICER
    )
    assert by_officer.exit_code == 1 and "an officer may not use people.lift" in by_officer.output
    lifted = cli(
        "case", "lift", "A1", "stay", "--reason", "the stay was set aside", user=SUPERVISOR
    )
    assert lifted.exit_code == 0, lifted.output
    assert "A1: stay lifted" in lifted.output
    explained = cli("explain", "A1", "--agreement", AGREEMENT, user=OFFICER)
    assert f"against {AGREEMENT} on" in explained.output and ": eligible" in explained.output


def test_an_officers_file_with_an_s8_assessment_is_refused_and_a_supervisor_assesses(
    cli: Cli, tmp_path: Path
) -> None:
    """Issue 13, finding 2: an assessment's `by` typed into a file lifted S8."""
    vulnerable = single(
        "V1",
        vulnerabilities=["elderly"],
        assessments=[
            {"rule": "S8", "by": "sam", "date": "2026-01-02", "reason": "typed in a file"}
        ],
    )
    file = tmp_path / "v.jsonl"
    file.write_text(json.dumps(vulnerable) + "\n")
    refused = cli("people", "import", str(file), user=OFFICER)
    assert refused.exit_code == 2
    assert "v.jsonl:1 assessments" in refused.output and "nothing was written" in refused.output
    plain = {k: v for k, v in vulnerable.items() if k != "assessments"}
    file.write_text(json.dumps(plain) + "\n")
    assert cli("people", "import", str(file), user=OFFICER).exit_code == 0
    assessed = cli("case", "assess", "V1", "--reason", "seen in person; fit", user=SUPERVISOR)
    assert assessed.exit_code == 0, assessed.output
    assert "V1: S8 assessed by sam on 2026-01-12" in assessed.output


def test_a_sender_only_check_in_note_stays_out_of_the_receivers_item_show(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: a check-in note is read by whom its author names (`--audience`, required); a
    note for the sender's staff never reaches the receiver's `item show`, a shared one does."""
    item = str(proposed(cli)["F-A1"])
    assert cli("item", "accept", item, user=REVIEWER).exit_code == 0
    assert cli("item", "notify", item, "A1", "--language", "es", user=OFFICER).exit_code == 0
    monkeypatch.setenv("ACCORD_NOW", "2026-01-23T09:00:00")
    assert cli("item", "clear", item, "--medical-fit-confirmed", user=SUPERVISOR).exit_code == 0
    assert cli("item", "schedule", item, "--on", "2026-01-26", user=OFFICER).exit_code == 0
    monkeypatch.setenv("ACCORD_NOW", "2026-01-26T09:00:00")
    assert cli("item", "transfer", item, user=REVIEWER).exit_code == 0
    monkeypatch.setenv("ACCORD_NOW", "2026-04-27T09:00:00")  # the 30 and 90-day ones are due
    unsaid = cli("item", "check-in", item, "30", "--note", "clinic booked", user=OFFICER)
    assert unsaid.exit_code == 2
    assert "Missing option '--audience'" in unsaid.output
    sender_only = ("item", "check-in", item, "30", "--note", "clinic booked")
    assert cli(*sender_only, "--audience", "sender", user=OFFICER).exit_code == 0
    shared = ("item", "check-in", item, "90", "--note", "housing adequate")
    assert cli(*shared, "--audience", "shared", user=MONITOR).exit_code == 0

    receiver = cli("item", "show", item, user=REVIEWER)
    assert receiver.exit_code == 0, receiver.output
    assert "clinic booked" not in receiver.output
    assert "30-day check-in recorded" in receiver.output
    assert "90-day check-in: housing adequate" in receiver.output
    sender = cli("item", "show", item, user=OFFICER)
    assert "30-day check-in: clinic booked (note for the sender's staff)" in sender.output
    assert "90-day check-in: housing adequate (shared note)" in sender.output
    assert "the sender's staff only" in sender.output
    assert "shared with the receiving state" in sender.output


def test_a_sender_only_incident_text_stays_out_of_the_agreements_history(cli: Cli) -> None:
    """Issue 14: the suspension's source, which the receiver and the monitors read in the
    agreement's status history, names the incident and not the sender's words; the lift's
    source gives no reason either. Both stay with the sender and in the audit log."""
    reported = cli(
        "incident", "report", AGREEMENT, "--kind", "ill_treatment",
        "--text", "beaten; sender keeps this", "--audience", "sender", user=OFFICER,
    )  # fmt: skip
    assert reported.exit_code == 0, reported.output
    lifted = cli(
        "incident", "lift", AGREEMENT, "--reason", "the ministry keeps this", user=SUPERVISOR
    )
    assert lifted.exit_code == 0, lifted.output
    for reader in (REVIEWER, MONITOR):
        shown = " ".join(cli("agreements", "show", AGREEMENT, user=reader).output.split())
        assert "ill treatment reported (incident 1)" in shown
        assert "suspension lifted by a supervisor of the sender" in shown
        assert "keeps this" not in shown
    log = cli("audit", "log", "--action", "incident.lifted", user=SUPERVISOR)
    assert "the ministry keeps this" in " ".join(log.output.split())
