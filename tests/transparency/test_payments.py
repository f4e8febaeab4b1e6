"""Payments recorded against an agreement, on SQLite and PostgreSQL: who records them, what is
refused, a retry that is one payment, amounts kept to the cent, the audit events, and
`accord payments record` / `accord payments list`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from accord.access import Actor
from accord.agreements.loader import parse_registry
from accord.agreements.service import load
from accord.audit.repository import list_events
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Conflict, Forbidden, NotFound
from accord.store import Store, open_store
from accord.transparency.payments import paid_total, payments, record_payment, visible_payments
from tests.support import Cli

PRICED, UNPRICED = "paid-xk", "unpriced-xk"
AGREEMENTS = """\
parties:
  - {code: US, name: United States}
  - {code: XK, name: Kosovo}
  - {code: MON-XK, name: "Independent monitor (synthetic)", kind: organisation}
  - {code: MON-OTHER, name: "Another monitor (synthetic)", kind: organisation}
agreements:
  - id: paid-xk
    title: "A priced agreement (synthetic)"
    sender: US
    receiver: XK
    kind: third_country_transfer
    status: in_force
    status_history:
      - {status: in_force, date: 2026-01-01, source: synthetic}
    money_per_person: {amount: "6000.00", currency: USD, source: synthetic}
    monitors: [MON-XK]
    sources:
      synthetic:
        publisher: Accord tests
        date: 2025-11-15
        statement: "Made up for the payments tests. Not a reported fact."
  - id: unpriced-xk
    title: "An agreement with no reported price (synthetic)"
    sender: US
    receiver: XK
    kind: third_country_transfer
    status: in_force
    monitors: [MON-OTHER]
"""
"""Two agreements of US with XK: one reporting USD 6,000.00 per person, one reporting no price."""

TODAY = dt.date(2026, 4, 1)
CLOCK = SetClock.on(TODAY)
SUPERVISOR = Actor("sam", "supervisor", "US")
OFFICER = Actor("olga", "officer", "US")
REVIEWER = Actor("rita", "reviewer", "XK")
RECEIVERS_SUPERVISOR = Actor("xena", "supervisor", "XK")
FOREIGN_SUPERVISOR = Actor("sid", "supervisor", "AL")
MONITOR = Actor("mona", "monitor", "MON-XK")


@pytest.fixture
def priced(store: Store) -> Store:
    """The store with the two agreements."""
    with unit_of_work(store.sessions) as session:
        load(session, parse_registry(AGREEMENTS, "payments.yaml"), "test")
    return store


def pay(store: Store, amount: str = "120000.00", **given: Any) -> dict[str, Any]:
    """One payment recorded in its own transaction (by the sender's supervisor unless `actor`),
    as its stored columns."""
    args: dict[str, Any] = {
        "agreement_id": PRICED,
        "currency": "USD",
        "paid_on": dt.date(2026, 3, 31),
        "reference": "TREAS-2026-0042",
        "actor": SUPERVISOR,
        "clock": CLOCK,
    }
    args.update(given)
    with unit_of_work(store.sessions) as session:
        payment = record_payment(session, amount=Decimal(amount), **args)
        return {
            column: getattr(payment, column)
            for column in (
                "id",
                "agreement_id",
                "paid_on",
                "amount",
                "currency",
                "payer",
                "payee",
                "reference",
                "note",
                "recorded_by",
            )
        }


def stored(store: Store, agreement_id: str | None = None) -> list[tuple[Any, ...]]:
    with unit_of_work(store.sessions) as session:
        return [
            (p.agreement_id, p.paid_on, p.amount, p.currency, p.reference)
            for p in payments(session, agreement_id)
        ]


def recorded_events(store: Store) -> list[tuple[str, str, dict[str, Any]]]:
    with unit_of_work(store.sessions) as session:
        return [
            (e.actor, e.entity_id, e.data)
            for e in reversed(list_events(session, action="payment.recorded"))
        ]


def test_a_payment_is_recorded_and_listed_by_the_day_paid(priced: Store) -> None:
    later = pay(priced, "120000.00", note="first instalment")
    earlier = pay(priced, "30000.50", paid_on=dt.date(2026, 2, 27), reference="TREAS-2026-0007")
    assert later == {
        "id": later["id"],
        "agreement_id": PRICED,
        "paid_on": dt.date(2026, 3, 31),
        "amount": Decimal("120000.00"),
        "currency": "USD",
        "payer": "US",
        "payee": "XK",
        "reference": "TREAS-2026-0042",
        "note": "first instalment",
        "recorded_by": "sam",
    }
    assert earlier["id"] > later["id"]
    assert stored(priced) == [
        (PRICED, dt.date(2026, 2, 27), Decimal("30000.50"), "USD", "TREAS-2026-0007"),
        (PRICED, dt.date(2026, 3, 31), Decimal("120000.00"), "USD", "TREAS-2026-0042"),
    ]
    assert stored(priced, UNPRICED) == []
    with unit_of_work(priced.sessions) as session:
        assert paid_total(session, PRICED, dt.date(2026, 3, 30)) == {"USD": Decimal("30000.50")}
        assert paid_total(session, PRICED, TODAY) == {"USD": Decimal("150000.50")}
        assert paid_total(session, PRICED, dt.date(2026, 1, 1)) == {}


def test_a_payment_recorded_is_an_audit_event(priced: Store) -> None:
    payment = pay(priced, "120000.00", payer="US", payee="XK")
    assert recorded_events(priced) == [
        (
            "sam",
            PRICED,
            {
                "payment": payment["id"],
                "amount": "120000.00",
                "currency": "USD",
                "paid_on": "2026-03-31",
                "reference": "TREAS-2026-0042",
                "payer": "US",
                "payee": "XK",
            },
        )
    ]


def test_a_retry_with_the_same_reference_is_one_payment(priced: Store) -> None:
    first = pay(priced, "120000.00", note="first instalment")
    again = pay(priced, "120000.000", reference=" TREAS-2026-0042 ", note="first instalment")
    assert again == first
    assert len(stored(priced)) == 1
    assert len(recorded_events(priced)) == 1
    # the same reference under another agreement is another payment
    other = pay(priced, "120000.00", agreement_id=UNPRICED, note="first instalment")
    assert other["id"] != first["id"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"amount": "120000.01"}, "amount"),
        ({"paid_on": dt.date(2026, 3, 30)}, "paid_on"),
        ({"payee": "MON-XK"}, "payee"),
        ({"note": "a note added later"}, "note"),
    ],
)
def test_a_retry_that_changes_the_payment_is_refused(
    priced: Store, change: dict[str, Any], named: str
) -> None:
    pay(priced, "120000.00")
    with pytest.raises(Conflict, match=f"TREAS-2026-0042.*another {named}"):
        pay(priced, **change)
    assert stored(priced) == [
        (PRICED, dt.date(2026, 3, 31), Decimal("120000.00"), "USD", "TREAS-2026-0042")
    ]
    assert len(recorded_events(priced)) == 1


@pytest.mark.parametrize(
    ("actor", "error", "words"),
    [
        (OFFICER, Forbidden, "olga \\(officer\\) may not record payments"),
        (REVIEWER, Forbidden, "rita \\(reviewer\\) may not record payments"),
        (MONITOR, Forbidden, "mona \\(monitor\\) may not record payments"),
        (RECEIVERS_SUPERVISOR, Forbidden, "xena acts for XK, not for US"),
        (FOREIGN_SUPERVISOR, Forbidden, "sid acts for AL, not for US"),
    ],
)
def test_only_a_supervisor_of_the_sender_records_a_payment(
    priced: Store, actor: Actor, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        pay(priced, actor=actor)
    assert stored(priced) == []
    assert recorded_events(priced) == []


def test_a_payment_under_no_agreement_is_not_found(priced: Store) -> None:
    with pytest.raises(NotFound, match="no agreement 'nowhere'"):
        pay(priced, agreement_id="nowhere")


def test_a_payment_in_another_currency_than_the_price_is_refused(priced: Store) -> None:
    with pytest.raises(Conflict, match="price per person in USD: a payment in EUR"):
        pay(priced, currency="EUR")
    assert stored(priced) == []
    # an agreement that reports no price takes any currency
    assert pay(priced, "5000.00", agreement_id=UNPRICED, currency="EUR")["currency"] == "EUR"
    with pytest.raises(Conflict, match="not an ISO 4217 code"):
        pay(priced, agreement_id=UNPRICED, currency="usd", reference="R-2")


def test_a_payment_on_a_day_to_come_is_refused(priced: Store) -> None:
    with pytest.raises(Conflict, match="paid on 2026-04-02, after today"):
        pay(priced, paid_on=TODAY + dt.timedelta(days=1))
    assert pay(priced, paid_on=TODAY)["paid_on"] == TODAY


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "more than zero"),
        ("0.00", "more than zero"),
        ("-10.00", "more than zero"),
        ("NaN", "more than zero"),
        ("12.345", "at most two decimals"),
        ("1000000000000.00", "at most 999,999,999,999.99"),
    ],
)
def test_an_amount_is_positive_in_cents(priced: Store, amount: str, words: str) -> None:
    with pytest.raises(Conflict, match=words):
        pay(priced, amount)
    assert stored(priced) == []


def test_an_amount_is_never_a_float(priced: Store) -> None:
    with unit_of_work(priced.sessions) as session, pytest.raises(TypeError, match="never a float"):
        record_payment(
            session,
            PRICED,
            120000.0,  # type: ignore[arg-type]
            "USD",
            TODAY,
            "TREAS-2026-0042",
            SUPERVISOR,
            CLOCK,
        )


def test_the_parties_are_in_the_registry_and_differ(priced: Store) -> None:
    with pytest.raises(Conflict, match="the payer 'ZZ' is no party"):
        pay(priced, payer="ZZ")
    with pytest.raises(Conflict, match="not from XK to itself"):
        pay(priced, payer="XK")
    with pytest.raises(Conflict, match="reference of 1 to 128"):
        pay(priced, reference="  ")
    with pytest.raises(Conflict, match="control and text-direction"):
        pay(priced, reference="TREAS\u202e-1")


AMOUNTS = ("0.01", "0.10", "0.29", "6000.10", "120000.07", "1234567890.12", "999999999999.99")


def test_amounts_keep_their_cents_exactly(priced: Store) -> None:
    """Stored and read back (in another transaction), each amount is the same Decimal, to the
    cent, and they add up exactly."""
    for number, amount in enumerate(AMOUNTS):
        pay(priced, amount, reference=f"R-{number}")
    store = open_store(Settings(database_url=priced.settings.database_url))
    try:
        with unit_of_work(store.sessions) as session:
            read = [p.amount for p in sorted(payments(session, PRICED), key=lambda p: p.id)]
            total = paid_total(session, PRICED, TODAY)
    finally:
        store.close()
    assert all(isinstance(a, Decimal) for a in read)
    assert [str(a) for a in read] == list(AMOUNTS)
    assert total == {"USD": sum((Decimal(a) for a in AMOUNTS), Decimal("0"))}
    assert str(total["USD"]) == "1001234693890.68"


def test_payments_are_read_by_the_parties_in_scope(priced: Store) -> None:
    pay(priced)
    pay(priced, "7.00", agreement_id=UNPRICED, reference="R-2")
    with unit_of_work(priced.sessions) as session:
        assert [p.agreement_id for p in visible_payments(session, OFFICER)] == [PRICED, UNPRICED]
        assert [p.agreement_id for p in visible_payments(session, MONITOR)] == [PRICED]
        with pytest.raises(NotFound, match="no agreement 'unpriced-xk'"):
            visible_payments(session, MONITOR, UNPRICED)
        with pytest.raises(NotFound):
            visible_payments(session, FOREIGN_SUPERVISOR, PRICED)
        with pytest.raises(Forbidden, match="may not read payments"):
            visible_payments(session, REVIEWER, PRICED)


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The two agreements loaded by the sender's supervisor, on 2026-04-01 by ACCORD_NOW."""
    monkeypatch.setenv("ACCORD_NOW", "2026-04-01T09:00:00")
    cli = Cli(database_url).signed_up()
    path = tmp_path / "agreements.yaml"
    path.write_text(AGREEMENTS)
    loaded = cli("agreements", "load", str(path), user="sam")
    assert loaded.exit_code == 0, loaded.output
    return cli


RECORD = (
    "payments",
    "record",
    PRICED,
    "--amount",
    "120000.00",
    "--currency",
    "USD",
    "--on",
    "2026-03-31",
    "--reference",
    "TREAS-2026-0042",
)


def test_the_commands_record_and_list_payments(cli: Cli) -> None:
    recorded = cli(*RECORD, "--note", "first instalment", user="sam")
    assert recorded.exit_code == 0, recorded.output
    assert "120,000.00 USD paid on 2026-03-31 by US to XK (TREAS-2026-0042)" in recorded.output
    again = cli(*RECORD, "--note", "first instalment", user="sam")
    assert again.exit_code == 0, again.output
    assert again.output == recorded.output  # a retry is the same payment
    cents = cli(
        *RECORD[:4],
        "0.10",
        *RECORD[5:8],
        "2026-02-28",
        *RECORD[9:-1],
        "TREAS-2026-0043",
        user="sam",
    )
    assert cents.exit_code == 0, cents.output
    for user in ("olga", "sam", "mona"):
        listed = cli("payments", "list", "--agreement", PRICED, user=user)
        assert listed.exit_code == 0, listed.output
        lines = listed.output.splitlines()
        rows = [line for line in lines if "TREAS-2026-004" in line]
        assert [("0.10" in r, "120,000.00" in r) for r in rows] == [(True, False), (False, True)]
        assert "first instalment" in rows[1]
        assert f"{PRICED}: 120,000.10 USD paid" in listed.output
    nothing = cli("payments", "list", "--agreement", UNPRICED, user="olga")
    assert nothing.exit_code == 0, nothing.output
    assert f"no payments recorded under {UNPRICED}" in nothing.output


def test_the_commands_refuse_what_the_domain_refuses(cli: Cli) -> None:
    officer = cli(*RECORD, user="olga")
    assert officer.exit_code == 1
    assert "an officer may not use payments.record" in officer.output
    reviewer = cli(*RECORD, user="rita")
    assert reviewer.exit_code == 1
    assert "a reviewer may not use payments.record" in reviewer.output
    foreign = cli(*RECORD, user="sid")
    assert foreign.exit_code == 1
    assert "sid acts for AL, not for US" in foreign.output
    listing = cli("payments", "list", user="rita")
    assert listing.exit_code == 1
    assert "a reviewer may not use payments.list" in listing.output
    euros = cli(*RECORD[:6], "EUR", *RECORD[7:], user="sam")
    assert euros.exit_code == 1
    assert "price per person in USD: a payment in EUR" in euros.output
    future = cli(*RECORD[:8], "2026-04-02", *RECORD[9:], user="sam")
    assert future.exit_code == 1
    assert "after today" in future.output
    not_a_number = cli(*RECORD[:4], "1.2.3", *RECORD[5:], user="sam")
    assert not_a_number.exit_code == 2
    assert "is not an amount" in not_a_number.output
    listed = cli("payments", "list", user="sam")
    assert listed.exit_code == 0, listed.output
    assert "no payments recorded" in listed.output
