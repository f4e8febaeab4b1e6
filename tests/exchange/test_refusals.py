"""What a receiving deployment must not take, taken through its real inbox: a token altered by
one character, a message signed by a key it never registered or has revoked, one sealed for or
addressed to another party, a replay, and a proposed pool carrying what the minimized view does
not allow. Each is refused (or, a replay, answered) and leaves every table as it was but the
audit trail, which gains exactly its one event. A message ahead of its predecessor is held and
applied, in order, when the gap fills; and acceptances the sender's cap cannot hold are refused
by the sender's workflow and undone at the receiver by a signed refusal."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.db import Base, unit_of_work
from accord.exchange import keys, peers, receiver
from accord.exchange.envelope import GENESIS, Kind, Message, key_id, seal
from accord.models import AuditEvent, ExchangeMessage, ReceivedItem, ReceivedPerson
from accord.records.agreement import CapIn
from tests.exchange.support import RECEIVER, SENDER, Pair, Side, register
from tests.proposals.support import (
    AGREEMENT,
    REVIEWER,
    ledger,
    load_agreement,
    propose,
    state,
)

# --- What a side holds ---------------------------------------------------------------------------

AUDIT_CHAIN = frozenset({"audit_events", "audit_head"})
"""The audit trail: its events grow by one per message answered, and its head moves with them."""


@dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    """Rows of every table."""
    rows: dict[str, list[tuple[Any, ...]]]
    """Every row of every table but the audit trail's, in key order."""


def snapshot(side: Side) -> Snapshot:
    tables = Base.metadata.sorted_tables
    with unit_of_work(side.store.sessions) as session:
        counts = {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in tables}
        rows = {
            t.name: [
                tuple(row) for row in session.execute(select(t).order_by(*t.primary_key.columns))
            ]
            for t in tables
            if t.name not in AUDIT_CHAIN
        }
    return Snapshot(counts, rows)


def newest_event(side: Side) -> AuditEvent:
    with unit_of_work(side.store.sessions) as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        session.expunge(event)
        return event


def only_audited(side: Side, before: Snapshot, action: str = "exchange.refused") -> AuditEvent:
    """Nothing changed at `side` since `before` but one more audit event, `action`; that event."""
    after = snapshot(side)
    grown = {
        name: after.counts[name] - count
        for name, count in before.counts.items()
        if after.counts[name] != count
    }
    assert grown == {"audit_events": 1}
    assert after.rows == before.rows
    event = newest_event(side)
    assert event.action == action
    return event


def events(side: Side, action: str) -> list[AuditEvent]:
    with unit_of_work(side.store.sessions) as session:
        found = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )
        session.expunge_all()
        return found


def received(side: Side) -> dict[int, ReceivedItem]:
    with unit_of_work(side.store.sessions) as session:
        items = list(session.scalars(select(ReceivedItem)))
        session.expunge_all()
        return {i.item_id: i for i in items}


def inbox(side: Side) -> dict[int, tuple[str, str]]:
    """The messages `side` stored as received: seq → (message id, state)."""
    with unit_of_work(side.store.sessions) as session:
        rows = session.scalars(select(ExchangeMessage).where(ExchangeMessage.direction == "in"))
        return {r.seq: (r.message_id, r.state) for r in rows}


def sent(side: Side, kind: str) -> list[ExchangeMessage]:
    with unit_of_work(side.store.sessions) as session:
        rows = list(
            session.scalars(
                select(ExchangeMessage)
                .where(ExchangeMessage.direction == "out", ExchangeMessage.kind == kind)
                .order_by(ExchangeMessage.seq)
            )
        )
        session.expunge_all()
        return rows


# --- Messages made by hand ---------------------------------------------------------------------


def pool_out(two: Pair) -> tuple[list[int], list[str]]:
    """F-A1 and F-A2 proposed and synced: their items, and the sealed pool and statement."""
    items = propose(two.sender.store, two.clock, ["F-A1", "F-A2"])
    two.sender.sync(two.clock)
    return items, two.sender.outbox()


def pool_body(two: Pair) -> dict[str, Any]:
    """The body of the pool the sender sent (a copy to alter)."""
    [pool] = sent(two.sender, "pool.proposed")
    return copy.deepcopy(dict(pool.body))


def message(two: Pair, body: dict[str, Any], **changes: Any) -> Message:
    """A channel's first message from the sender to the receiver, unless `changes` say else."""
    fields: dict[str, Any] = {
        "kind": "pool.proposed",
        "sender": SENDER,
        "recipient": RECEIVER,
        "agreement": AGREEMENT,
        "seq": 1,
        "prev": GENESIS,
        "body": body,
        "sent_at": two.clock.now(),
    }
    return Message(**(fields | changes))


def sealed(two: Pair, message: Message, signing: keys.OwnKeys | None = None) -> str:
    """Signed by the sender's keys (or `signing`), encrypted to the receiver's."""
    signer = (signing or two.sender.own).signing
    return seal(message, signer, two.receiver.own.encryption)


def flip(token: str, part: int, at: int | None = None) -> str:
    """The token with one character of one of its parts changed (the middle one by default)."""
    parts = token.split(".")
    text = parts[part]
    at = len(text) // 2 if at is None else at
    parts[part] = text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]
    return ".".join(parts)


# --- Refused -----------------------------------------------------------------------------------

UNREADABLE = (
    "does not decrypt: altered, or not a message",
    "not encrypted to any key of ours (unknown or retired key id)",
    "not a message: its header does not read",
)
"""What an altered JWE header can come to: JSON no more, another key id, or another AAD."""


def test_a_token_with_one_character_changed_is_refused_and_writes_nothing(two: Pair) -> None:
    items, (pool, _) = pool_out(two)
    header, encrypted_key, iv, ciphertext, tag = range(5)
    assert len(pool.split(".")) == 5
    altered = [(part, flip(pool, part)) for part in (ciphertext, encrypted_key, iv, tag)]
    altered += [(header, flip(pool, header, at)) for at in range(0, len(pool.split(".")[0]), 9)]
    altered.append((header, flip(pool, header)))
    for part, token in altered:
        assert token != pool
        before = snapshot(two.receiver)
        got = two.receiver.receive(token, two.clock)
        assert (got.outcome, got.message_id, got.kind) == ("refused", None, None)
        if part == header:
            assert got.detail in UNREADABLE
        else:
            assert got.detail == "does not decrypt: altered, or not a message"
        event = only_audited(two.receiver, before)
        assert (event.entity_id, event.data) == ("(unopened)", {"reason": got.detail})
    assert received(two.receiver) == {}

    assert two.receiver.receive(pool, two.clock).outcome == "applied"
    assert set(received(two.receiver)) == set(items)


def test_a_message_signed_by_a_key_never_registered_is_refused(two: Pair, tmp_path: Path) -> None:
    """A third party's keys, speaking in the sender's name: sealed correctly to the receiver,
    the document well formed, the signing key unknown there."""
    pool_out(two)
    stranger = keys.init(tmp_path / "stranger-keys.json", SENDER, two.clock.now())
    forged = message(two, pool_body(two))
    before = snapshot(two.receiver)

    got = two.receiver.receive(sealed(two, forged, stranger), two.clock)

    kid = key_id(stranger.signing)
    assert (got.outcome, got.detail) == ("refused", f"signed by an unknown key ({kid[:16]}…)")
    only_audited(two.receiver, before)
    assert two.receiver.receive(sealed(two, forged), two.clock).outcome == "applied"


def test_a_message_signed_by_a_rotated_out_and_revoked_key_is_refused(
    two: Pair, tmp_path: Path
) -> None:
    pool_out(two)
    old = two.sender.own
    new = keys.rotate(two.sender.keys_file, two.clock.now())
    assert key_id(new.signing) != key_id(old.signing)
    register(two.receiver, new, tmp_path, two.clock)
    with unit_of_work(two.receiver.store.sessions) as session:
        peers.revoke_key(session, key_id(old.signing), "ada", two.clock.now())
    forged = message(two, pool_body(two))
    before = snapshot(two.receiver)

    got = two.receiver.receive(sealed(two, forged, old), two.clock)

    kid = key_id(old.signing)
    assert (got.outcome, got.detail) == ("refused", f"signed by a key US revoked ({kid[:16]}…)")
    only_audited(two.receiver, before)
    assert two.receiver.receive(sealed(two, forged, new), two.clock).outcome == "applied"


def test_a_message_sealed_for_or_addressed_to_another_party_is_refused(
    two: Pair, tmp_path: Path
) -> None:
    pool_out(two)
    body = pool_body(two)
    third = keys.init(tmp_path / "al-keys.json", "AL", two.clock.now())
    cases = [
        (
            seal(message(two, body), two.sender.own.signing, third.encryption),
            "not encrypted to any key of ours (unknown or retired key id)",
        ),
        (sealed(two, message(two, body, recipient="AL")), "addressed to AL, not to us (XK)"),
        (
            sealed(two, message(two, body, sender="AL")),
            "says it is from AL but is signed by US's key",
        ),
    ]
    for token, reason in cases:
        before = snapshot(two.receiver)
        got = two.receiver.receive(token, two.clock)
        assert (got.outcome, got.detail) == ("refused", reason)
        only_audited(two.receiver, before)
    assert received(two.receiver) == {}


def test_a_replayed_message_is_answered_and_changes_nothing(two: Pair) -> None:
    items, (pool, statement) = pool_out(two)
    first = two.receiver.receive(pool, two.clock)
    assert first.outcome == "applied"
    before = snapshot(two.receiver)

    again = two.receiver.receive(pool, two.clock)

    assert (again.outcome, again.message_id, again.detail) == (
        "replay",
        first.message_id,
        "already applied",
    )
    event = only_audited(two.receiver, before, "exchange.replayed")
    assert event.entity_id == first.message_id
    assert event.data["state"] == "applied" and event.data["seq"] == 1

    # The first message again under a new id (by the sender's own key): an earlier number.
    assert two.receiver.receive(statement, two.clock).outcome == "applied"
    before = snapshot(two.receiver)
    renumbered = two.receiver.receive(sealed(two, message(two, pool_body(two))), two.clock)
    assert (renumbered.outcome, renumbered.detail) == (
        "replay",
        "an earlier number, applied already",
    )
    only_audited(two.receiver, before, "exchange.replayed")
    assert set(received(two.receiver)) == set(items)
    assert [state for _, state in inbox(two.receiver).values()] == ["applied", "applied"]


def test_messages_ahead_of_their_predecessor_are_held_then_applied_in_order(two: Pair) -> None:
    """Pool 1 and statement 2, then a later pool 3 (and its statement 4), arriving 3, 2, 1, 4."""
    [a1] = propose(two.sender.store, two.clock, ["F-A1"])
    two.sender.sync(two.clock)
    [a2] = propose(two.sender.store, two.clock, ["F-A2"])
    two.sender.sync(two.clock)
    one, two_, three, four = two.sender.outbox()

    got3 = two.receiver.receive(three, two.clock)
    got2 = two.receiver.receive(two_, two.clock)
    assert [(g.kind, g.outcome, g.detail) for g in (got3, got2)] == [
        ("pool.proposed", "held", "waiting for message 1 of its channel"),
        ("ledger.statement", "held", "waiting for message 1 of its channel"),
    ]
    assert inbox(two.receiver) == {3: (got3.message_id, "held"), 2: (got2.message_id, "held")}
    assert received(two.receiver) == {}
    assert two.receiver.receive(three, two.clock).detail == "already held"

    got1 = two.receiver.receive(one, two.clock)
    assert (got1.kind, got1.outcome) == ("pool.proposed", "applied")
    assert got1.applied == (got2.message_id, got3.message_id)
    assert set(received(two.receiver)) == {a1, a2}
    assert two.receiver.receive(four, two.clock).outcome == "applied"

    assert {seq: state for seq, (_, state) in inbox(two.receiver).items()} == {
        1: "applied",
        2: "applied",
        3: "applied",
        4: "applied",
    }
    held = events(two.receiver, "exchange.held")
    assert [(e.entity_id, e.data["seq"], e.data["waiting_for"]) for e in held] == [
        (got3.message_id, 3, 1),
        (got2.message_id, 2, 1),
    ]
    applied = events(two.receiver, "exchange.applied")
    assert [e.data["seq"] for e in applied] == [1, 2, 3, 4]
    assert [e.entity_id for e in applied[:3]] == [
        got1.message_id,
        got2.message_id,
        got3.message_id,
    ]


def _with_member(field: str, value: Any) -> Any:
    def change(body: dict[str, Any]) -> None:
        body["families"][0]["members"][0][field] = value

    return change


PROTECTED = [
    ("families.0.members.0.sender_status", _with_member("sender_status", "none")),
    (
        "families.0.members.0.removal_order",
        _with_member("removal_order", {"status": "final", "date": "2025-06-01"}),
    ),
    ("scores", lambda body: body.update(scores={"F-A1": 0.93, "F-A2": 0.41})),
]


@pytest.mark.parametrize(("field", "change"), PROTECTED, ids=[f for f, _ in PROTECTED])
def test_a_pool_carrying_a_field_the_minimized_view_does_not_allow_is_refused_whole(
    two: Pair, field: str, change: Any
) -> None:
    """Signed by the sender's real keys and sealed to the receiver: the channel is sound, the
    body is not the format's, and not one family or person of it is stored."""
    items, _ = pool_out(two)
    body = pool_body(two)
    change(body)
    before = snapshot(two.receiver)

    got = two.receiver.receive(sealed(two, message(two, body, kind="pool.proposed")), two.clock)

    assert got.outcome == "refused"
    assert got.detail == (
        f"its pool.proposed body is not the format's ({field}: Extra inputs are not permitted)"
    )
    only_audited(two.receiver, before)
    with unit_of_work(two.receiver.store.sessions) as session:
        assert session.scalar(select(func.count()).select_from(ReceivedItem)) == 0
        assert session.scalar(select(func.count()).select_from(ReceivedPerson)) == 0

    clean = two.receiver.receive(sealed(two, message(two, pool_body(two))), two.clock)
    assert clean.outcome == "applied"
    assert set(received(two.receiver)) == set(items)


def test_a_pool_its_applier_refuses_halfway_leaves_nothing_of_what_it_wrote(two: Pair) -> None:
    """The body is the format's, but its second family names the first one's item again: the
    applier has written the first family when it refuses, and the refusal takes it back."""
    items, _ = pool_out(two)
    body = pool_body(two)
    first, second = body["families"]
    second["item"] = first["item"]
    before = snapshot(two.receiver)

    got = two.receiver.receive(sealed(two, message(two, body)), two.clock)

    assert (got.outcome, got.detail) == (
        "refused",
        f"item {first['item']} was proposed already, in pool {body['pool']}",
    )
    event = only_audited(two.receiver, before)
    assert (event.entity_id, event.data["seq"], event.data["reason"]) == (
        got.message_id,
        1,
        got.detail,
    )
    assert two.receiver.receive(sealed(two, message(two, pool_body(two))), two.clock).outcome == (
        "applied"
    )
    assert set(received(two.receiver)) == set(items)


def test_acceptances_beyond_the_cap_are_refused_by_the_sender_and_undone_at_the_receiver(
    two: Pair,
) -> None:
    """A cap of one person, two single people proposed; the receiver's reviewer accepts both
    before the sender hears of either. The sender's workflow reserves the first and refuses the
    second, signed, and the refusal puts the receiver's record of it back to proposed."""
    one = CapIn(kind="persons_per_period", limit=1, period="P1Y", anchor="term_start")
    for side in (two.sender, two.receiver):
        load_agreement(side.store, caps=[one])
    a1, a2 = propose(two.sender.store, two.clock, ["F-A1", "F-A2"])
    assert [o.outcome for o in two.to_receiver()] == ["applied", "applied"]
    got = received(two.receiver)
    decisions = []
    for item in (a1, a2):
        with unit_of_work(two.receiver.store.sessions) as session:
            decisions.append(
                receiver.decide(
                    session, two.receiver.own, got[item].id, "accept", REVIEWER, two.clock.now()
                )
            )
    assert {i.state for i in received(two.receiver).values()} == {"accepted"}

    back = two.to_sender()

    kinds: list[Kind] = ["decision", "decision", "ledger.statement"]
    assert [(o.kind, o.outcome) for o in back] == [(k, "applied") for k in kinds]
    assert [o.message_id for o in back[:2]] == decisions
    assert back[0].detail == "applied"
    assert back[1].detail.startswith(f"refused by the workflow: cannot accept item {a2} ")
    assert "S13: cap of 1 people per P1Y holds 1" in back[1].detail
    with unit_of_work(two.sender.store.sessions) as session:
        outcome = session.scalars(
            select(ExchangeMessage.outcome).where(
                ExchangeMessage.direction == "in", ExchangeMessage.message_id == decisions[1]
            )
        ).one()
    assert outcome == back[1].detail
    assert (state(two.sender.store, a1), state(two.sender.store, a2)) == ("accepted", "proposed")
    assert ledger(two.sender.store) == [(a1, "reserve", 1)]
    [refusal] = sent(two.sender, "refusal")
    reason = back[1].detail.removeprefix("refused by the workflow: ")
    assert refusal.body == {"refused": decisions[1], "item": a2, "reason": reason}

    answers = two.to_receiver()

    assert [(o.kind, o.outcome) for o in answers] == [
        ("refusal", "applied"),
        ("ledger.statement", "applied"),
    ]
    after = received(two.receiver)
    assert (after[a1].state, after[a1].decision, after[a1].refusal) == ("accepted", "accept", None)
    assert (after[a2].state, after[a2].decision) == ("proposed", None)
    assert after[a2].refusal == f"decision refused by US: {reason}"
