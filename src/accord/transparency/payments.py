"""Payments recorded against an agreement: what was paid, by whom to whom, and when.

An agreement may carry a reported price per person (`money_per_person`); the transparency
report sets the payments recorded here against it. A supervisor of the sender records each
payment, by the payer's reference: the same reference recorded again under the agreement, with
the same facts, is the same payment (a retry changes nothing); with other facts it is refused,
for a recorded payment is never rewritten. Every recording is an audit event.

Amounts are `Decimal`s with at most two decimals (cents), never floats. Applied inside the
caller's unit of work (never commits)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import Actor, may_use, party_refusal
from accord.agreements import repository as agreements
from accord.agreements.service import to_schema
from accord.agreements.views import visible_agreement, visible_agreements
from accord.audit.service import Entry, record
from accord.clock import Clock, today
from accord.errors import Conflict, Forbidden, NotFound
from accord.models import Payment
from accord.records.text import refused_character

RECORD_RULE = "payments.record"
LIST_RULE = "payments.list"

CENT = Decimal("0.01")
LARGEST = Decimal("999999999999.99")
"""The largest amount the column holds (14 digits, 2 of them after the point)."""
CURRENCY = re.compile(r"[A-Z]{3}")
REFERENCE_LENGTH = 128


def record_payment(
    session: Session,
    agreement_id: str,
    amount: Decimal,
    currency: str,
    paid_on: dt.date,
    reference: str,
    actor: Actor,
    clock: Clock,
    *,
    note: str | None = None,
    payer: str | None = None,
    payee: str | None = None,
) -> Payment:
    """Record a payment under an agreement (a supervisor of its sender), paid on a day not
    after today, in the currency of the agreement's reported price per person when it has one;
    the payer is the sender and the payee the receiver unless named. The same reference again
    with the same facts returns the payment recorded; with other facts it is refused."""
    if not may_use(actor.role, RECORD_RULE):
        raise Forbidden(
            f"{actor.name} ({actor.role}) may not record payments; a supervisor of the sender may"
        )
    stored = agreements.get_agreement(session, agreement_id, for_update=True)
    if stored is None:
        raise NotFound(f"no agreement {agreement_id!r}")
    agreement = to_schema(stored)
    refusal = party_refusal(actor, agreement)
    if refusal is not None:
        raise Forbidden(refusal)
    amount = _amount(amount)
    price = agreement.money_per_person
    if not CURRENCY.fullmatch(currency):
        raise Conflict(f"currency {currency!r} is not an ISO 4217 code such as USD")
    if price is not None and currency != price.currency:
        raise Conflict(
            f"agreement {agreement_id} reports its price per person in {price.currency}:"
            f" a payment in {currency} cannot be set against it"
        )
    if paid_on > today(clock):
        raise Conflict(f"a payment cannot be recorded as paid on {paid_on}, after today")
    reference = _text("reference", reference.strip())
    if not reference or len(reference) > REFERENCE_LENGTH:
        raise Conflict(f"a payment needs a reference of 1 to {REFERENCE_LENGTH} characters")
    if note is not None:
        note = _text("note", note.strip()) or None
    payer = payer or agreement.sender
    payee = payee or agreement.receiver
    known = agreements.party_codes(session)
    for role, code in (("payer", payer), ("payee", payee)):
        if code not in known:
            raise Conflict(f"the {role} {code!r} is no party in the registry")
    if payer == payee:
        raise Conflict(f"a payment is from one party to another, not from {payer} to itself")
    facts = {
        "amount": amount,
        "currency": currency,
        "paid_on": paid_on,
        "payer": payer,
        "payee": payee,
        "note": note,
    }
    existing = session.scalars(
        select(Payment).where(Payment.agreement_id == agreement_id, Payment.reference == reference)
    ).one_or_none()
    if existing is not None:
        changed = [name for name, value in facts.items() if getattr(existing, name) != value]
        if changed:
            raise Conflict(
                f"payment {reference!r} is recorded under {agreement_id} already, with another"
                f" {', '.join(changed)}: a recorded payment is not changed"
            )
        return existing
    payment = Payment(
        agreement_id=agreement_id,
        amount=amount,
        currency=currency,
        paid_on=paid_on,
        payer=payer,
        payee=payee,
        reference=reference,
        note=note,
        recorded_by=actor.name,
        recorded_at=clock.now(),
    )
    session.add(payment)
    session.flush()
    record(
        session,
        actor.name,
        Entry(
            "payment.recorded",
            "agreement",
            agreement_id,
            {
                "payment": payment.id,
                "amount": str(amount),
                "currency": currency,
                "paid_on": paid_on.isoformat(),
                "reference": reference,
                "payer": payer,
                "payee": payee,
            },
        ),
        at=clock.now(),
    )
    return payment


def _amount(amount: Decimal) -> Decimal:
    """The amount in cents exactly: positive, finite, at most two decimals, as the column holds."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"an amount is a Decimal, not {type(amount).__name__}: never a float")
    if not amount.is_finite() or amount <= 0:
        raise Conflict(f"a payment's amount is more than zero, not {amount}")
    if amount != amount.quantize(CENT):
        raise Conflict(f"an amount has at most two decimals (cents), not {amount}")
    if amount > LARGEST:
        raise Conflict(f"an amount is at most {LARGEST:,}, not {amount:,}")
    return amount.quantize(CENT)


def _text(field: str, text: str) -> str:
    described = refused_character(text)
    if described is not None:
        raise Conflict(
            f"the {field}: {described}: control and text-direction characters are not accepted"
        )
    return text


def payments(session: Session, agreement_id: str | None = None) -> list[Payment]:
    """The payments recorded, under one agreement or all, by the day paid (and as recorded)."""
    query = select(Payment).order_by(Payment.paid_on, Payment.id)
    if agreement_id is not None:
        query = query.where(Payment.agreement_id == agreement_id)
    return list(session.scalars(query))


def paid_total(session: Session, agreement_id: str, until: dt.date) -> dict[str, Decimal]:
    """What was paid under an agreement up to and including a day, by currency (in the order
    of the currencies' codes), summed exactly."""
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for payment in payments(session, agreement_id):
        if payment.paid_on <= until:
            totals[payment.currency] += payment.amount
    return {currency: totals[currency].quantize(CENT) for currency in sorted(totals)}


def visible_payments(
    session: Session, actor: Actor, agreement_id: str | None = None
) -> list[Payment]:
    """The payments an actor may read (officers, supervisors and monitors, of the agreements in
    scope of them): under one agreement (any other is not found), or under every agreement
    they see. Ordered as `payments`."""
    if not may_use(actor.role, LIST_RULE):
        raise Forbidden(f"{actor.name} ({actor.role}) may not read payments")
    if agreement_id is not None:
        return payments(session, visible_agreement(session, actor, agreement_id).id)
    seen = {agreement.id for agreement in visible_agreements(session, actor)}
    return [payment for payment in payments(session) if payment.agreement_id in seen]
