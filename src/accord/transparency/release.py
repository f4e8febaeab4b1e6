"""A release: the report's tables for one quarter (the quarter and everything up to it), with
small cells and the cells that would give them back suppressed.

Pure: the facts in, the release out. Each published figure is a *cell* that sums *atoms* (one
agreement, one quarter, one measure, one category); the period and cumulative columns, the
rows of each agreement and their total, and the earlier releases all share atoms, so the
audit (`accord.statistics.suppression`) sees every way one figure can be subtracted from
another.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from accord.records.vocabulary import INCIDENT_KIND_NAMES
from accord.statistics.suppression import Cell, protect
from accord.transparency.model import AgreementFacts, Quarter, ReportInput

Span = Literal["period", "cumulative"]
SPANS: tuple[Span, ...] = ("period", "cumulative")
ALL = "all"
"""The row of every agreement together."""

METHOD = (
    "Counts from 1 to {t_minus} are suppressed (primary). Further cells are suppressed"
    " (secondary) until, for every suppressed count of this release and of every earlier one,"
    " the least and greatest value consistent with everything published (totals, margins,"
    " period and cumulative figures, earlier releases) are at least {t} apart: each is found by"
    " a linear program (HiGHS), and while one is too narrow the smallest published cell binding"
    " it is suppressed too (LP-audited greedy secondary suppression). Money owed follows the"
    " people it is owed for; a median waiting time is shown only over {t} families or more."
)


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    measure: str
    category: str | None = None
    """None: every category of the measure (a total)."""
    stock: bool = False


@dataclass(frozen=True)
class TableSpec:
    id: str
    title: str
    unit: str
    columns: tuple[Column, ...]
    categories_of: str | None = None
    """A measure whose categories each get a column (with a total column), in sorted order."""
    labels: tuple[tuple[str, str], ...] = ()


REASONS = (
    ("criteria", "Criteria"),
    ("public_order", "Public order"),
    ("documents", "Documents"),
    ("capacity", "Capacity"),
    ("other", "Other"),
    ("none", "No reason recorded"),
)
ONWARD = (
    ("remained", "Remained"),
    ("returned_home", "Returned home"),
    ("moved_on", "Moved on"),
    ("absconded", "Absconded"),
    ("re_transferred", "Transferred again"),
)

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "families",
        "Families through the workflow",
        "families",
        (
            Column("proposed", "Proposed", "families_proposed"),
            Column("accepted", "Accepted", "families_accepted"),
            Column("rejected", "Rejected", "families_rejected"),
            Column("revoked", "Acceptance revoked", "families_revoked"),
            Column("cancelled", "Cancelled by the sender", "families_cancelled"),
            Column("transferred", "Transferred", "families_transferred"),
        ),
    ),
    TableSpec(
        "people",
        "People",
        "people",
        (
            Column("proposed", "Proposed", "people_proposed"),
            Column("accepted", "Accepted", "people_accepted"),
            Column("transferred", "Transferred", "people_transferred"),
            Column("present", "Present at once at the end", "present", stock=True),
        ),
    ),
    TableSpec(
        "rejections",
        "Families rejected, by reason",
        "families",
        (
            *tuple(Column(code, label, "families_rejected", code) for code, label in REASONS),
            Column("total", "All reasons", "families_rejected"),
        ),
    ),
    TableSpec(
        "onward",
        "Families after transfer, by onward outcome",
        "families",
        (
            *tuple(Column(code, label, "families_onward", code) for code, label in ONWARD),
            Column("total", "All outcomes", "families_onward"),
        ),
    ),
    TableSpec(
        "checkins",
        "Monitoring check-ins",
        "check-ins",
        (Column("due", "Due", "checkins", "due"), Column("done", "Done", "checkins", "done")),
    ),
    TableSpec(
        "incidents",
        "Incidents reported",
        "incidents",
        (
            *tuple(Column(k, str(v), "incidents", k) for k, v in INCIDENT_KIND_NAMES.items()),
            Column("total", "All incidents", "incidents"),
        ),
    ),
    TableSpec(
        "nationality",
        "People transferred, by nationality",
        "people",
        (),
        categories_of="people_transferred",
    ),
)


@dataclass(frozen=True)
class Figure:
    """One published cell: its value, or None with why."""

    key: str
    value: int | None
    status: Literal["shown", "suppressed"]


@dataclass(frozen=True)
class TableOut:
    id: str
    title: str
    unit: str
    columns: list[tuple[str, str]]
    rows: list[tuple[str, str]]
    figures: dict[str, Figure]
    stock_columns: frozenset[str] = frozenset()

    def figure(self, row: str, column: str, span: Span) -> Figure:
        return self.figures[cell_key(self.id, row, column, span)]


@dataclass(frozen=True)
class MoneyRow:
    agreement: str
    currency: str
    price: str | None
    price_source: str
    due: dict[str, str | None]
    """By span: price × people transferred, None when those people are suppressed."""
    paid: dict[str, str]
    outstanding: str | None
    """Due minus paid, cumulatively; None when what is due is not shown."""


@dataclass(frozen=True)
class WaitRow:
    agreement: str
    span: Span
    median_days: float | None
    families: int | None


@dataclass
class Release:
    period: str
    scope: str
    threshold: int
    start: str
    end: str
    agreements: list[dict[str, Any]]
    tables: list[TableOut]
    money: list[MoneyRow]
    waits: list[WaitRow]
    method: str
    secondary: int = 0
    primary: int = 0
    stored_cells: list[dict[str, Any]] = field(default_factory=list)
    """Every cell with its atoms and true value: kept by the sender, never published."""


def cell_key(table: str, row: str, column: str, span: Span) -> str:
    return f"{table}/{row}/{column}/{span}"


def _quarters(first: Quarter, last: Quarter) -> list[Quarter]:
    found, quarter = [], first
    while quarter <= last:
        found.append(quarter)
        quarter = (
            Quarter(quarter.year + 1, 1)
            if quarter.number == 4
            else Quarter(quarter.year, quarter.number + 1)
        )
    return found


def build(
    data: ReportInput,
    threshold: int,
    *,
    scope: str = ALL,
    earlier: Sequence[dict[str, Any]] = (),
) -> Release:
    """The release of `data.quarter`: every table, suppressed so that nothing small can be
    recovered from it together with the `earlier` releases' stored cells."""
    quarter = data.quarter
    atoms: dict[str, int] = defaultdict(int)
    categories: dict[str, set[str]] = defaultdict(set)
    first = quarter
    for fact in data.facts:
        q = Quarter.of(fact.day)
        first = min(first, q)
        atoms[f"{fact.agreement}/{q}/{fact.measure}/{fact.category}"] += fact.value
        categories[fact.measure].add(fact.category)
    for stock in data.stocks:
        first = min(first, stock.quarter)
        atoms[f"{stock.agreement}/{stock.quarter}/{stock.measure}/all"] = stock.value
    upto = _quarters(first, quarter)
    agreement_ids = [a.id for a in data.agreements]
    rows = [(a.id, a.title) for a in data.agreements]
    if len(rows) > 1:
        rows.append((ALL, "All agreements"))
    cells: list[Cell] = []
    figures_of: list[tuple[TableOut, list[str]]] = []
    index: dict[str, int] = {}

    def atom_ids(keys: list[str]) -> frozenset[int]:
        return frozenset(index.setdefault(k, len(index)) for k in keys)

    for stored in earlier:
        for cell in stored["cells"]:
            atom_ids(cell["atoms"])
    tables: list[TableOut] = []
    for spec in TABLES:
        columns = list(spec.columns)
        if spec.categories_of:
            columns = [
                Column(c, c, spec.categories_of, c) for c in sorted(categories[spec.categories_of])
            ] + [Column("total", "All", spec.categories_of)]
        keys: list[str] = []
        for row, _ in rows:
            members = agreement_ids if row == ALL else [row]
            for column in columns:
                for span in SPANS:
                    if column.stock and span == "cumulative":
                        continue
                    quarters = [quarter] if span == "period" or column.stock else upto
                    cats = (
                        ["all"]
                        if column.stock
                        else [column.category]
                        if column.category
                        else sorted(categories[column.measure])
                    )
                    atom_keys = [
                        f"{a}/{q}/{column.measure}/{c}"
                        for a in members
                        for q in quarters
                        for c in cats
                    ]
                    key = cell_key(spec.id, row, column.id, span)
                    value = sum(atoms.get(k, 0) for k in atom_keys)
                    total = row == ALL or (column.category is None and len(cats) > 1)
                    cells.append(Cell(key, atom_ids(atom_keys), value, total))
                    keys.append(key)
        table = TableOut(
            spec.id,
            spec.title,
            spec.unit,
            [(c.id, c.label) for c in columns],
            rows,
            {},
            frozenset(c.id for c in columns if c.stock),
        )
        tables.append(table)
        figures_of.append((table, keys))
    earlier_published = [
        Cell(f"{stored['period']}:{c['key']}", atom_ids(c["atoms"]), c["value"])
        for stored in earlier
        for c in stored["cells"]
        if c["published"]
    ]
    earlier_sensitive = [
        Cell(f"{stored['period']}:{c['key']}", atom_ids(c["atoms"]), c["value"])
        for stored in earlier
        for c in stored["cells"]
        if not c["published"] and 0 < c["value"] < threshold
    ]
    protection = protect(
        cells,
        len(index),
        threshold,
        earlier=earlier_published,
        earlier_sensitive=earlier_sensitive,
    )
    by_key = {c.key: c for c in cells}
    for table, keys in figures_of:
        for key in keys:
            cell = by_key[key]
            if key in protection.suppressed:
                table.figures[key] = Figure(key, None, "suppressed")
            else:
                table.figures[key] = Figure(key, cell.value, "shown")
    atom_names = {i: k for k, i in index.items()}
    stored_cells = [
        {
            "key": c.key,
            "atoms": sorted(atom_names[a] for a in c.atoms),
            "value": c.value,
            "published": c.key not in protection.suppressed,
        }
        for c in cells
    ]
    people = next(t for t in tables if t.id == "people")
    families = next(t for t in tables if t.id == "families")
    return Release(
        period=str(quarter),
        scope=scope,
        threshold=threshold,
        start=str(first.start),
        end=str(quarter.end),
        agreements=[_agreement_json(a) for a in data.agreements],
        tables=tables,
        money=_money(data.agreements, people, quarter),
        waits=_waits(data, families, quarter, threshold, rows),
        method=METHOD.format(t=threshold, t_minus=threshold - 1),
        secondary=len(protection.secondary),
        primary=len(protection.primary),
        stored_cells=stored_cells,
    )


def _agreement_json(agreement: AgreementFacts) -> dict[str, Any]:
    return {
        "id": agreement.id,
        "title": agreement.title,
        "sender": agreement.sender,
        "receiver": agreement.receiver,
        "status": agreement.status,
        "pledge": [{"text": p.text, "source": p.source} for p in agreement.pledge],
        "price_per_person": (
            {"amount": str(agreement.price.amount), "currency": agreement.price.currency}
            if agreement.price
            else None
        ),
        "price_source": agreement.price_source,
        "payments": [
            {"day": str(p.day), "amount": str(p.amount), "currency": p.currency}
            for p in agreement.payments
        ],
        "suspensions": [
            {"since": str(s.since), "until": str(s.until) if s.until else None, "kind": s.kind}
            for s in agreement.suspensions
        ],
    }


def _money(agreements: list[AgreementFacts], people: TableOut, quarter: Quarter) -> list[MoneyRow]:
    """What is owed for the people transferred at the reported price, what was paid, and what
    is outstanding: shown only where the people it is owed for are shown."""
    rows: list[MoneyRow] = []
    for agreement in agreements:
        if agreement.price is None and not agreement.payments:
            continue
        currency = agreement.price.currency if agreement.price else agreement.payments[0].currency
        due: dict[str, str | None] = {}
        for span in SPANS:
            figure = people.figure(agreement.id, "transferred", span)
            due[span] = (
                str(agreement.price.amount * figure.value)
                if agreement.price is not None and figure.value is not None
                else None
            )
        paid_period = sum(
            (p.amount for p in agreement.payments if p.day >= quarter.start), Decimal(0)
        )
        paid_total = sum((p.amount for p in agreement.payments), Decimal(0))
        outstanding = (
            str(Decimal(due["cumulative"]) - paid_total) if due["cumulative"] is not None else None
        )
        rows.append(
            MoneyRow(
                agreement.id,
                currency,
                str(agreement.price.amount) if agreement.price else None,
                agreement.price_source,
                due,
                {"period": str(paid_period), "cumulative": str(paid_total)},
                outstanding,
            )
        )
    return rows


def _waits(
    data: ReportInput,
    families: TableOut,
    quarter: Quarter,
    threshold: int,
    rows: list[tuple[str, str]],
) -> list[WaitRow]:
    """The median days from the last valid notice to transfer, over the families transferred;
    shown only when their count is shown and at least the threshold."""
    found: list[WaitRow] = []
    for row, _ in rows:
        for span in SPANS:
            days = [
                w.days
                for w in data.waits
                if (row == ALL or w.agreement == row)
                and w.day <= quarter.end
                and (span == "cumulative" or w.day >= quarter.start)
            ]
            count = families.figure(row, "transferred", span)
            shown = count.value is not None and len(days) >= threshold
            found.append(
                WaitRow(
                    row,
                    span,
                    float(statistics.median(days)) if shown else None,
                    count.value if shown else None,
                )
            )
    return found
