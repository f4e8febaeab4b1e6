"""The exchange's commands: peers registered and their keys revoked by an admin; a channel run
as files (export, import) and over HTTPS (deliver, with its retries), a changed byte refused;
the receiver's reviewer deciding through `accord received`; the ledgers reconciled."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import Result

from accord.db import unit_of_work
from accord.exchange import keys, service
from accord.models import AuditEvent, ExchangeMessage, PeerKey
from accord.records.agreement import CapIn
from accord.store import Store
from tests.exchange.support import RECEIVER, SENDER, Pair, register
from tests.proposals.support import (
    AGREEMENT,
    START,
    load_agreement,
    propose,
    state,
)
from tests.support import Cli, cheap_passwords


@pytest.fixture(autouse=True)
def cheap_argon2() -> Iterator[None]:
    with cheap_passwords():
        yield


@pytest.fixture(autouse=True)
def on_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command acts on the pair's day, inside the agreement's term."""
    monkeypatch.setenv("ACCORD_NOW", f"{START.isoformat()}T09:00:00")


class Deployments:
    """The pair, and `accord …` on each side, with its own database, accounts and keys."""

    def __init__(
        self, two: Pair, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.two = two
        self.tmp = tmp_path
        self.monkeypatch = monkeypatch
        self.clis = {
            SENDER: Cli(database_url).signed_up(),
            RECEIVER: Cli(f"sqlite:///{tmp_path / 'receiver.db'}").signed_up(),
        }
        self.sides = {SENDER: two.sender, RECEIVER: two.receiver}

    def run(self, party: str, *args: str, user: str = "ada") -> Result:
        self.monkeypatch.setenv("ACCORD_KEYS_FILE", str(self.sides[party].keys_file))
        return self.clis[party](*args, user=user)

    def export(self, party: str, to: str, folder: str) -> list[Path]:
        done = self.run(party, "exchange", "export", "--to", to, "--out", str(self.tmp / folder))
        assert done.exit_code == 0, done.output
        return sorted((self.tmp / folder).iterdir())

    def import_(self, party: str, files: list[Path]) -> Result:
        return self.run(party, "exchange", "import", *(str(f) for f in files))


@pytest.fixture
def sides(
    two: Pair, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Deployments:
    return Deployments(two, database_url, tmp_path, monkeypatch)


def received_id(sides: Deployments, family: str) -> str:
    listed = sides.run(RECEIVER, "received", "list", user="rita")
    assert listed.exit_code == 0, listed.output
    [line] = [line for line in listed.output.splitlines() if f" {family} " in line]
    return line.split("│")[1].strip()


def changed_byte(path: Path, into: Path) -> Path:
    token = path.read_text().strip()
    middle = len(token) // 2
    into.write_text(token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :])
    return into


# --- Peers ------------------------------------------------------------------------------------


def test_an_admin_registers_a_peer_lists_it_and_revokes_a_key(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    load_agreement(store)
    cli = Cli(database_url).signed_up()
    xk = keys.init(tmp_path / "xk-keys.json", "XK", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    jwks = tmp_path / "xk.jwks.json"
    jwks.write_text(json.dumps(xk.public_set()))
    signing = keys.key_id(xk.signing)

    officer = cli("peers", "add", "XK", "--keys", str(jwks), user="olga")
    assert officer.exit_code == 1 and "an officer may not use" in officer.output
    plain = cli("peers", "add", "XK", "--keys", str(jwks), "--url", "http://xk.example", user="ada")
    assert plain.exit_code == 2 and "an https:// base URL" in plain.output
    added = cli(
        "peers", "add", "XK", "--keys", str(jwks), "--url", "https://xk.example/", user="ada"
    )
    assert added.exit_code == 0, added.output
    assert "peer XK: 2 key(s) added; reached by https://xk.example" in added.output
    assert signing in added.output
    again = cli("peers", "add", "XK", "--keys", str(jwks), user="ada")
    assert "0 key(s) added" in again.output  # the same keys: nothing new, the URL kept

    listed = cli("peers", "list", user="ada")
    assert listed.exit_code == 0, listed.output
    assert "https://xk.example" in listed.output and signing in listed.output

    revoked = cli("peers", "revoke-key", signing, user="ada")
    assert revoked.exit_code == 0, revoked.output
    assert f"XK's sig key {signing} revoked 2026-01-12T09:00:00" in revoked.output
    with unit_of_work(store.sessions) as session:
        key = session.get(PeerKey, signing)
        assert key is not None and key.revoked_by == "ada"
        actions = [
            e.action
            for e in session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "peer"))
        ]
    assert actions == ["peer.keys_added", "peer.keys_added", "peer.key_revoked"]
    unknown = cli("peers", "revoke-key", "nope", user="ada")
    assert unknown.exit_code == 1 and "no peer key nope" in unknown.output


# --- Files ------------------------------------------------------------------------------------


def test_files_carry_a_pool_out_and_a_decision_back_and_a_changed_byte_is_refused(
    sides: Deployments, two: Pair
) -> None:
    a1, a2 = propose(two.sender.store, two.clock, ["F-A1", "F-A2"])
    out = sides.export(SENDER, RECEIVER, "to-xk")
    assert [f.name for f in out] == [
        f"US-XK-{AGREEMENT}-000001.accord-message",
        f"US-XK-{AGREEMENT}-000002.accord-message",
    ]
    # One byte changed: refused whole, exit 1, and nothing of it stored.
    tampered = changed_byte(out[0], sides.tmp / "tampered.accord-message")
    refused = sides.import_(RECEIVER, [tampered])
    assert refused.exit_code == 1
    assert "tampered.accord-message: refused: does not decrypt" in refused.output
    with unit_of_work(two.receiver.store.sessions) as session:
        assert session.scalars(select(ExchangeMessage)).all() == []

    taken = sides.import_(RECEIVER, out)
    assert taken.exit_code == 0, taken.output
    assert "000001.accord-message: pool.proposed applied: pool" in taken.output
    assert "000002.accord-message: ledger.statement applied" in taken.output
    again = sides.import_(RECEIVER, out[:1])
    assert again.exit_code == 0 and "replay" in again.output

    officer = sides.run(RECEIVER, "received", "list", user="olga")
    assert officer.exit_code == 1
    first, second = received_id(sides, "F-A1"), received_id(sides, "F-A2")
    members = sides.run(RECEIVER, "received", "list", "--members", user="rita")
    assert "A1 Ana Example, born 1990-04-02, F, VE, speaks es" in members.output
    with unit_of_work(sides.sides[RECEIVER].store.sessions) as session:
        read = session.scalars(
            select(AuditEvent.entity_id).where(
                AuditEvent.action == "person.read", AuditEvent.actor == "rita"
            )
        ).all()
    assert sorted(read) == ["A1", "A2"]  # each member read is audited, as in the API and pages
    accepted = sides.run(RECEIVER, "received", "decide", first, "accept", user="rita")
    assert accepted.exit_code == 0, accepted.output
    assert f"received family {first}: accept; sent to the sender" in accepted.output
    unreasoned = sides.run(RECEIVER, "received", "decide", second, "reject", user="rita")
    assert unreasoned.exit_code == 1 and "needs a reason code and a reason" in unreasoned.output
    rejected = sides.run(
        RECEIVER,
        "received",
        "decide",
        second,
        "reject",
        "--reason-code",
        "criteria",
        "--reason",
        "not within the criteria",
        user="rita",
    )
    assert rejected.exit_code == 0, rejected.output

    back = sides.export(RECEIVER, SENDER, "to-us")
    assert len(back) == 3  # two decisions and the receiver's statement
    applied = sides.import_(SENDER, back)
    assert applied.exit_code == 0, applied.output
    assert applied.output.count(": decision applied: applied") == 2
    assert state(two.sender.store, a1) == "accepted"
    assert state(two.sender.store, a2) == "rejected"

    # The sender's statement carried back: both sides reconcile equal.
    sides.import_(RECEIVER, sides.export(SENDER, RECEIVER, "to-xk-2"))
    for party, who in ((SENDER, "sam"), (RECEIVER, "rita")):
        agreed = sides.run(party, "exchange", "reconcile", "--agreement", AGREEMENT, user=who)
        assert agreed.exit_code == 0, agreed.output
        assert "the ledgers agree" in agreed.output
    status = sides.run(SENDER, "exchange", "status")
    assert status.exit_code == 0, status.output
    assert "delivered" in status.output and "applied" in status.output


def test_reconcile_lists_a_refused_acceptance_until_the_refusal_is_carried(
    sides: Deployments, two: Pair
) -> None:
    load_agreement(
        two.sender.store,
        caps=[CapIn(kind="persons_per_period", limit=1, period="P1Y", anchor="term_start")],
    )
    a1, a2 = propose(two.sender.store, two.clock, ["F-A1", "F-A2"])
    sides.import_(RECEIVER, sides.export(SENDER, RECEIVER, "pool"))
    for family in ("F-A1", "F-A2"):
        done = sides.run(
            RECEIVER, "received", "decide", received_id(sides, family), "accept", user="rita"
        )
        assert done.exit_code == 0, done.output
    sides.import_(SENDER, sides.export(RECEIVER, SENDER, "decisions"))
    assert (state(two.sender.store, a1), state(two.sender.store, a2)) == ("accepted", "proposed")

    differs = sides.run(SENDER, "exchange", "reconcile", "--agreement", AGREEMENT, user="sam")
    assert differs.exit_code == 1
    assert f"item {a2} (family F-A2): ours proposed, 1 persons; theirs accepted" in differs.output
    assert "in decision #2" in differs.output and "refused by the workflow" in differs.output
    assert "out refusal #" in differs.output
    document = json.loads(
        sides.run(
            SENDER, "exchange", "reconcile", "--agreement", AGREEMENT, "--json", user="sam"
        ).output
    )
    assert document["equal"] is False and document["side"] == "sender"
    assert document["ours"]["reserved_persons"] == 1
    assert document["theirs"]["reserved_persons"] == 2
    [gap] = document["differences"]
    assert gap["item"] == a2 and gap["gap"] == "state"
    assert [m["kind"] for m in gap["messages"]] == ["pool.proposed", "decision", "refusal"]
    elsewhere = sides.run(SENDER, "exchange", "reconcile", "--agreement", AGREEMENT, user="ruth")
    assert elsewhere.exit_code == 1 and f"no agreement {AGREEMENT!r}" in elsewhere.output

    sides.import_(RECEIVER, sides.export(SENDER, RECEIVER, "refusal"))
    listed = sides.run(RECEIVER, "received", "list", user="rita")
    assert "decision refused by US" in listed.output and "S13" in listed.output
    agreed = sides.run(RECEIVER, "exchange", "reconcile", "--agreement", AGREEMENT, user="rita")
    assert agreed.exit_code == 0, agreed.output


# --- HTTPS ------------------------------------------------------------------------------------


def test_deliver_posts_each_message_retries_after_a_failure_and_the_inbox_applies_it(
    sides: Deployments, two: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(two.sender, two.receiver.own, sides.tmp, two.clock, url="https://xk.example")
    propose(two.sender.store, two.clock, ["F-A1"])
    posted: list[httpx.Request] = []
    reachable = False

    def inbox(request: httpx.Request) -> httpx.Response:
        if not reachable:
            raise httpx.ConnectError("connection refused", request=request)
        posted.append(request)
        received = two.receiver.receive(request.content.decode(), two.clock)
        return httpx.Response(
            422 if received.outcome == "refused" else 200, json={"outcome": received.outcome}
        )

    monkeypatch.setattr(
        service,
        "client",
        lambda ca_bundle: httpx.Client(transport=httpx.MockTransport(inbox), timeout=30.0),
    )
    queued = sides.run(SENDER, "exchange", "sync")
    assert queued.exit_code == 0 and "2 message(s) queued" in queued.output
    assert "pool.proposed to XK, demo-xk-year #1" in queued.output

    failed = sides.run(SENDER, "exchange", "deliver")
    assert failed.exit_code == 1
    assert "0 delivered; 2 waiting" in failed.output and "could not reach XK" in failed.output
    status = sides.run(SENDER, "exchange", "status")
    assert "waiting to be delivered:" in status.output
    assert "pool.proposed to XK, demo-xk-year #1" in status.output
    assert (
        "1 attempt(s), next " in status.output and "last error: could not reach XK" in status.output
    )
    held_back = sides.run(SENDER, "exchange", "deliver")  # within the backoff: nothing goes
    assert held_back.exit_code == 0 and "0 delivered; 2 waiting" in held_back.output

    reachable = True
    with unit_of_work(two.sender.store.sessions) as session:  # the backoff's 2 s have passed
        for row in session.scalars(select(ExchangeMessage)):
            row.next_attempt_at = None
    done = sides.run(SENDER, "exchange", "deliver")
    assert done.exit_code == 0, done.output
    assert "2 delivered; 0 waiting" in done.output
    assert [r.url.path for r in posted] == ["/api/v1/exchange/inbox"] * 2
    assert {r.headers["content-type"] for r in posted} == {"application/jose"}
    with unit_of_work(two.receiver.store.sessions) as session:
        applied = session.scalars(
            select(ExchangeMessage.kind).where(ExchangeMessage.state == "applied")
        ).all()
    assert sorted(applied) == ["ledger.statement", "pool.proposed"]


def test_the_inbox_refusals_show_in_the_status(sides: Deployments, two: Pair) -> None:
    propose(two.sender.store, two.clock, ["F-A1"])
    [first, _] = sides.export(SENDER, RECEIVER, "to-xk")
    sides.import_(RECEIVER, [changed_byte(first, sides.tmp / "bad.accord-message")])
    status = sides.run(RECEIVER, "exchange", "status", user="ada")
    assert status.exit_code == 0, status.output
    assert "refused by our inbox (latest):" in status.output
    assert "does not decrypt" in status.output
    officer = sides.run(RECEIVER, "exchange", "status", user="olga")
    assert officer.exit_code == 1
