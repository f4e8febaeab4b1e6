"""`accord payments …`: payments recorded against an agreement (audited)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.cli_support import DAY_FORMATS, acting, new_app, out
from accord.transparency import payments as ledger

app = new_app("Payments recorded against an agreement (audited).")


def _amount(text: str) -> Decimal:
    """An amount as written (`120000.00`), read as a Decimal: never through a float."""
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not an amount such as 120000.00") from None


@app.command("record")
def record_command(
    agreement: Annotated[str, typer.Argument(metavar="AGREEMENT")],
    amount: Annotated[
        Decimal,
        typer.Option(
            parser=_amount,
            metavar="AMOUNT",
            help="The amount paid, with at most two decimals (e.g. 120000.00).",
        ),
    ],
    currency: Annotated[str, typer.Option(help="Its ISO 4217 currency code (e.g. USD).")],
    on: Annotated[
        dt.datetime,
        typer.Option("--on", formats=DAY_FORMATS, help="The day it was paid (not after today)."),
    ],
    reference: Annotated[
        str, typer.Option(help="The payer's reference: it identifies the payment.")
    ],
    note: Annotated[str | None, typer.Option(help="A note on the payment.")] = None,
    payer: Annotated[
        str | None, typer.Option(help="The party that paid (default: the agreement's sender).")
    ] = None,
    payee: Annotated[
        str | None,
        typer.Option(help="The party paid (default: the agreement's receiver)."),
    ] = None,
) -> None:
    """Record a payment under an agreement. A supervisor of the sender.

    Recording the same reference again with the same facts changes nothing; with other facts
    it is refused."""
    with acting(ledger.RECORD_RULE) as (session, clock, who):
        payment = ledger.record_payment(
            session,
            agreement,
            amount,
            currency,
            on.date(),
            reference,
            who,
            clock,
            note=note,
            payer=payer,
            payee=payee,
        )
        number, paid, money = payment.id, payment.paid_on, f"{payment.amount:,.2f}"
        parties = f"{payment.payer} to {payment.payee}"
    out.print(
        f"payment {number} under {escape(agreement)}: {money} {escape(currency)}"
        f" paid on {paid.isoformat()} by {escape(parties)} ({escape(reference.strip())})"
    )


@app.command("list")
def list_command(
    agreement: Annotated[
        str | None, typer.Option(help="Only the payments under this agreement.")
    ] = None,
) -> None:
    """The payments recorded, by the day paid, and what they total by agreement and currency.

    Officers, supervisors and monitors, of the agreements in scope of them."""
    with acting(ledger.LIST_RULE) as (session, _clock, who):
        rows = ledger.visible_payments(session, who, agreement)
        table = Table(title="Payments", title_justify="left")
        for column in ("agreement", "paid on", "amount", "currency", "payer", "payee"):
            table.add_column(column, justify="right" if column == "amount" else "left")
        for column in ("reference", "recorded by", "note"):
            table.add_column(column)
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for row in rows:
            totals[row.agreement_id, row.currency] += row.amount
            table.add_row(
                escape(row.agreement_id),
                row.paid_on.isoformat(),
                f"{row.amount:,.2f}",
                row.currency,
                escape(row.payer),
                escape(row.payee),
                escape(row.reference),
                escape(row.recorded_by),
                escape(row.note or ""),
            )
    if not rows:
        out.print("no payments recorded" + (f" under {escape(agreement)}" if agreement else ""))
        return
    out.print(table)
    for (agreement_id, currency), total in sorted(totals.items()):
        out.print(f"{escape(agreement_id)}: {total:,.2f} {currency} paid")
