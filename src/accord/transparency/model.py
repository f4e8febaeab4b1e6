"""What a transparency report is made of: the period, the facts it counts (each traceable to
the ledger rows and decisions behind it), and the agreements' reported pledges and money."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from accord.errors import InvalidInput, Problem


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        following = (
            dt.date(self.year + 1, 1, 1)
            if self.number == 4
            else dt.date(self.year, 3 * self.number + 1, 1)
        )
        return following - dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = re.fullmatch(r"(\d{4})-Q([1-4])", text.strip())
        if match is None:
            raise InvalidInput(
                "--period", [Problem("period", f"{text!r} is not a quarter such as 2026-Q2")]
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing counted: on `day`, under `agreement`, `value` of `measure` in `category`,
    recorded by `source` (a ledger row, an item's decision, a check-in, an incident)."""

    agreement: str
    day: dt.date
    measure: str
    category: str
    value: int
    source: str


@dataclass(frozen=True, slots=True)
class Stock:
    """A count at a moment (people present at once on a quarter's last day)."""

    agreement: str
    quarter: Quarter
    measure: str
    value: int
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Waiting:
    """Days from the last valid notice to the transfer, for one family transferred."""

    agreement: str
    day: dt.date
    days: int
    source: str


@dataclass(frozen=True, slots=True)
class PledgeLine:
    text: str
    source: str
    """Who reported it and when (the registry's source), or "" when none is recorded."""


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class PaymentLine:
    day: dt.date
    amount: Decimal
    currency: str
    reference: str


@dataclass(frozen=True, slots=True)
class Suspension:
    since: dt.date
    until: dt.date | None
    kind: str


@dataclass(frozen=True)
class AgreementFacts:
    id: str
    title: str
    sender: str
    receiver: str
    status: str
    pledge: list[PledgeLine]
    price: Money | None
    price_source: str
    payments: list[PaymentLine] = field(default_factory=list)
    suspensions: list[Suspension] = field(default_factory=list)


@dataclass(frozen=True)
class ReportInput:
    """Everything a report counts, up to the end of its period."""

    quarter: Quarter
    agreements: list[AgreementFacts]
    facts: list[Fact]
    stocks: list[Stock]
    waits: list[Waiting]
