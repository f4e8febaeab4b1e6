"""A release published: its JSON document, a long CSV, one HTML page and a PDF, each from the
release alone (pure: a release in, bytes out) and deterministic (the same release gives the
same bytes; no wall-clock time anywhere, the document's day is its quarter's last).

Only what the release publishes is written: each figure's value or, when suppressed, why; the
sender's stored cells (every cell's true value and atoms) are never read here. The HTML and
the PDF are drawn from one view of the release (`_view`), so they say the same; the HTML's
charts are drawn from the shown figures only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any, Literal, cast

from jinja2 import Environment, PackageLoader

from accord.records.vocabulary import INCIDENT_KIND_NAMES
from accord.transparency.model import Quarter
from accord.transparency.release import (
    ALL,
    SPANS,
    Figure,
    MoneyRow,
    Release,
    Span,
    TableOut,
    WaitRow,
    cell_key,
)

SCHEMA_VERSION = "1"

Suppressed = Literal["suppressed"]
"""One mark for every figure not shown: which were small and which protect them is not told
(a reader who knew a figure was small would know it is at least 1)."""

SUPPRESSED = "x"
NOT_SHOWN = "—"

CSV_HEADER = (
    "period",
    "scope",
    "table",
    "row",
    "row_label",
    "column",
    "column_label",
    "span",
    "value",
    "suppressed",
)

MONEY_COLUMNS: tuple[tuple[str, str, tuple[Span, ...]], ...] = (
    ("price", "Price per person", ("period",)),
    ("due", "Due", SPANS),
    ("paid", "Paid", SPANS),
    ("outstanding", "Outstanding", ("cumulative",)),
)
"""The money rows' columns: the price stands at the quarter's end (span "period" only, as a
stock column), what is outstanding is cumulative only."""

WAIT_COLUMNS = (
    ("median_days", "Median days from notice to transfer"),
    ("families", "Families transferred"),
)

PDF_GROUPS = 7
"""At most this many columns (each with its spans) to one table in the PDF: wider tables are
continued below."""

KIND_NAMES: dict[str, str] = {str(k): v for k, v in INCIDENT_KIND_NAMES.items()}

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


# The JSON document.


def release_document(release: Release) -> dict[str, Any]:
    """The published document of a release (its `stored_cells` are never in it)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "period": release.period,
        "scope": release.scope,
        "threshold": release.threshold,
        "start": release.start,
        "end": release.end,
        "generated": release.end,
        "agreements": [json.loads(json.dumps(a, sort_keys=True)) for a in release.agreements],
        "tables": [_table_document(table) for table in release.tables],
        "money": [
            {
                "agreement": row.agreement,
                "currency": row.currency,
                "price": row.price,
                "price_source": row.price_source,
                "due": {span: row.due.get(span) for span in SPANS},
                "paid": {span: row.paid.get(span) for span in SPANS},
                "outstanding": row.outstanding,
                "suppressed": {span: _due_reason(release, row, span) for span in SPANS},
            }
            for row in release.money
        ],
        "waits": [
            {
                "row": wait.agreement,
                "span": wait.span,
                "median_days": wait.median_days,
                "families": wait.families,
                "suppressed": _wait_reason(release, wait),
            }
            for wait in release.waits
        ],
        "method": release.method,
        "counts": {"primary": release.primary, "secondary": release.secondary},
    }


def _table_document(table: TableOut) -> dict[str, Any]:
    return {
        "id": table.id,
        "title": table.title,
        "unit": table.unit,
        "columns": [
            {"id": c, "label": label, "stock": c in table.stock_columns}
            for c, label in table.columns
        ],
        "rows": [{"id": r, "label": label} for r, label in table.rows],
        "cells": [
            {
                "row": row,
                "column": column,
                "span": span,
                "value": figure.value,
                "suppressed": _reason(figure),
            }
            for row, column, span, figure in _cells(table)
        ],
    }


def release_from_document(document: Mapping[str, Any]) -> Release:
    """The release a published document was made from, as far as it was published (no stored
    cells): rendering it again gives the same bytes."""
    if document.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(
            f"not a release document of schema version {SCHEMA_VERSION}:"
            f" {document.get('schema_version')!r}"
        )
    tables = []
    for table in document["tables"]:
        figures: dict[str, Figure] = {}
        for cell in table["cells"]:
            key = cell_key(table["id"], cell["row"], cell["column"], _span(cell["span"]))
            status = _status(cell["suppressed"])
            value = cell["value"]
            if (status == "shown") != isinstance(value, int):
                raise ValueError(f"cell {key}: a value goes with no suppression, and only then")
            figures[key] = Figure(key, value, status)
        tables.append(
            TableOut(
                str(table["id"]),
                str(table["title"]),
                str(table["unit"]),
                [(str(c["id"]), str(c["label"])) for c in table["columns"]],
                [(str(r["id"]), str(r["label"])) for r in table["rows"]],
                figures,
                frozenset(str(c["id"]) for c in table["columns"] if c["stock"]),
            )
        )
    return Release(
        period=str(document["period"]),
        scope=str(document["scope"]),
        threshold=int(document["threshold"]),
        start=str(document["start"]),
        end=str(document["end"]),
        agreements=[json.loads(json.dumps(a)) for a in document["agreements"]],
        tables=tables,
        money=[
            MoneyRow(
                str(row["agreement"]),
                str(row["currency"]),
                row["price"],
                str(row["price_source"]),
                {span: row["due"][span] for span in SPANS},
                {span: row["paid"][span] for span in SPANS},
                row["outstanding"],
            )
            for row in document["money"]
        ],
        waits=[
            WaitRow(
                str(wait["row"]),
                _span(wait["span"]),
                None if wait["median_days"] is None else float(wait["median_days"]),
                wait["families"],
            )
            for wait in document["waits"]
        ],
        method=str(document["method"]),
        secondary=int(document["counts"]["secondary"]),
        primary=int(document["counts"]["primary"]),
    )


def _status(suppressed: Any) -> Literal["shown", "suppressed"]:
    if suppressed is None:
        return "shown"
    if suppressed != "suppressed":
        raise ValueError(f"unknown suppression {suppressed!r}")
    return "suppressed"


def _span(text: Any) -> Span:
    if text not in SPANS:
        raise ValueError(f"unknown span {text!r}")
    return cast(Span, text)


def _cells(table: TableOut) -> list[tuple[str, str, Span, Figure]]:
    """Every figure of a table in order: by row, column, then span (a stock column has only
    the period's)."""
    return [
        (row, column, span, table.figure(row, column, span))
        for row, _ in table.rows
        for column, _ in table.columns
        for span in _spans_of(table, column)
    ]


def _spans_of(table: TableOut, column: str) -> tuple[Span, ...]:
    return ("period",) if column in table.stock_columns else SPANS


def _reason(figure: Figure) -> Suppressed | None:
    return None if figure.status == "shown" else figure.status


def _table(release: Release, table_id: str) -> TableOut | None:
    return next((t for t in release.tables if t.id == table_id), None)


def _due_reason(release: Release, row: MoneyRow, span: Span) -> Suppressed | None:
    """Why what is due is not shown: the people it is owed for are suppressed (None when it is
    shown, or when no price was reported)."""
    people = _table(release, "people")
    if row.due.get(span) is not None or row.price is None or people is None:
        return None
    return _reason(people.figure(row.agreement, "transferred", span))


def _wait_reason(release: Release, wait: WaitRow) -> Suppressed | None:
    """Why a median wait is not shown: the families transferred are suppressed, or too few
    (None when it is shown, or when no family was transferred)."""
    families = _table(release, "families")
    if wait.median_days is not None or families is None:
        return None
    figure = families.figure(wait.agreement, "transferred", wait.span)
    if figure.value is None:
        return _reason(figure)
    return "suppressed" if figure.value > 0 else None


# Canonical JSON and the CSV.


def _canonical_json(document: Any) -> bytes:
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def to_json(release: Release) -> bytes:
    """The document as canonical JSON: sorted keys, UTF-8, two-space indent, final newline."""
    return _canonical_json(release_document(release))


def to_csv(release: Release) -> bytes:
    """Every figure in long format, one line each: the tables' cells, then the money
    (`table=money`) and the waiting times (`table=waits`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    lead = (release.period, release.scope)
    for table in release.tables:
        rows, columns = dict(table.rows), dict(table.columns)
        for row, column, span, figure in _cells(table):
            writer.writerow(
                (
                    *lead,
                    table.id,
                    row,
                    rows[row],
                    column,
                    columns[column],
                    span,
                    "" if figure.value is None else figure.value,
                    _reason(figure) or "",
                )
            )
    titles = _titles(release)
    for money in release.money:
        for column, label, spans in MONEY_COLUMNS:
            for span in spans:
                value, reason = _money_value(release, money, column, span)
                writer.writerow(
                    (
                        *lead,
                        "money",
                        money.agreement,
                        titles.get(money.agreement, money.agreement),
                        column,
                        f"{label} ({money.currency})",
                        span,
                        value or "",
                        reason or "",
                    )
                )
    for wait in release.waits:
        reason = _wait_reason(release, wait)
        values = {"median_days": _number(wait.median_days), "families": wait.families}
        for column, label in WAIT_COLUMNS:
            writer.writerow(
                (
                    *lead,
                    "waits",
                    wait.agreement,
                    titles.get(wait.agreement, wait.agreement),
                    column,
                    label,
                    wait.span,
                    "" if values[column] is None else values[column],
                    reason or "",
                )
            )
    return buffer.getvalue().encode()


def _money_value(
    release: Release, money: MoneyRow, column: str, span: Span
) -> tuple[str | None, Suppressed | None]:
    if column == "price":
        return money.price, None
    if column == "due":
        return money.due.get(span), _due_reason(release, money, span)
    if column == "paid":
        return money.paid.get(span), None
    return money.outstanding, _due_reason(release, money, "cumulative")


def _titles(release: Release) -> dict[str, str]:
    """Each row's label: the agreements' titles, and the row of all of them."""
    titles = {str(a["id"]): str(a["title"]) for a in release.agreements}
    for table in release.tables:
        titles.update(table.rows)
    return titles


def _number(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if value.is_integer() else str(value)


# The view the HTML and the PDF are drawn from.


def _explain(status: str, threshold: int) -> str:
    return (
        f"Not shown: a count from 1 to {threshold - 1}, or a figure from which one could be"
        " worked out."
    )


def _symbol(status: str) -> str:
    return SUPPRESSED


def _figure_cell(figure: Figure, threshold: int, kind: str = "cell") -> dict[str, Any]:
    if figure.value is not None:
        return {"text": f"{figure.value:,}", "title": "", "status": "shown", "kind": kind}
    return {
        "text": _symbol(figure.status),
        "title": _explain(figure.status, threshold),
        "status": figure.status,
        "kind": kind,
    }


def _amount(text: str | None, currency: str) -> str:
    if text is None:
        return NOT_SHOWN
    amount = Decimal(text)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(Decimal("0.01"))
    return f"{currency} {amount:,f}"


def _grid_table(release: Release, table: TableOut) -> dict[str, Any]:
    groups = [
        {"label": label, "spans": [_span_label(table, column, s) for s in _spans_of(table, column)]}
        for column, label in table.columns
    ]
    rows = []
    for row, label in table.rows:
        cells = []
        for column, _ in table.columns:
            for span in _spans_of(table, column):
                cell = _figure_cell(table.figure(row, column, span), release.threshold)
                cell["key"] = cell_key(table.id, row, column, span)
                cells.append(cell)
        rows.append({"label": label, "total": row == ALL, "cells": cells})
    return {
        "id": table.id,
        "title": table.title,
        "note": f"Counts of {table.unit}.",
        "corner": "Agreement",
        "groups": groups,
        "rows": rows,
    }


def _span_label(table: TableOut, column: str, span: Span) -> str:
    if column in table.stock_columns:
        return "End of quarter"
    return "Quarter" if span == "period" else "Cumulative"


def _money_grid(release: Release) -> dict[str, Any]:
    people = _table(release, "people")
    titles = _titles(release)
    rows = []
    for money in release.money:
        cells: list[dict[str, Any]] = [
            {
                "text": _amount(money.price, money.currency)
                if money.price is not None
                else "not reported",
                "title": f"Source: {money.price_source}" if money.price_source else "",
                "status": "shown" if money.price is not None else "none",
                "kind": "money",
                "key": f"{money.agreement}/price/period",
            }
        ]
        for span in SPANS:
            if people is None:  # pragma: no cover - every release has its people table
                continue
            cell = _figure_cell(
                people.figure(money.agreement, "transferred", span), release.threshold, "ref"
            )
            cell["key"] = cell_key("people", money.agreement, "transferred", span)
            cells.append(cell)
        for column, _, spans in MONEY_COLUMNS[1:]:
            for span in spans:
                value, reason = _money_value(release, money, column, span)
                if value is not None:
                    title = ""
                elif reason is not None:
                    title = (
                        "Not shown: it would give back the people transferred, who are not"
                        f" shown ({_symbol(reason)})."
                    )
                else:
                    title = "No price per person was reported."
                cells.append(
                    {
                        "text": _amount(value, money.currency),
                        "title": title,
                        "status": "shown" if value is not None else (reason or "none"),
                        "kind": "money",
                        "key": f"{money.agreement}/{column}/{span}",
                    }
                )
        rows.append(
            {"label": titles.get(money.agreement, money.agreement), "total": False, "cells": cells}
        )
    return {
        "id": "money",
        "title": "Money: price per person × people transferred = due; paid; outstanding",
        "note": (
            "What is due is the reported price per person times the people transferred;"
            " outstanding is what is due to date less what was paid to date."
        ),
        "corner": "Agreement",
        "groups": [
            {"label": "Price per person", "spans": ["End of quarter"]},
            {"label": "People transferred", "spans": ["Quarter", "Cumulative"]},
            {"label": "Due", "spans": ["Quarter", "Cumulative"]},
            {"label": "Paid", "spans": ["Quarter", "Cumulative"]},
            {"label": "Outstanding", "spans": ["Cumulative"]},
        ],
        "rows": rows,
    }


def _waits_grid(release: Release) -> dict[str, Any]:
    titles = _titles(release)
    by_row: dict[str, dict[str, WaitRow]] = {}
    for wait in release.waits:
        by_row.setdefault(wait.agreement, {})[wait.span] = wait
    rows = []
    for row, spans in by_row.items():
        cells = []
        for column, _ in WAIT_COLUMNS:
            for span in SPANS:
                found = spans.get(span)
                value: str | None = None
                reason: Suppressed | None = None
                if found is not None:
                    reason = _wait_reason(release, found)
                    if column == "median_days":
                        value = _number(found.median_days)
                    elif found.families is not None:
                        value = f"{found.families:,}"
                if value is not None:
                    title = ""
                elif reason is not None:
                    title = (
                        f"Not shown: the families transferred are fewer than {release.threshold}"
                        " or not shown."
                    )
                else:
                    title = "No family transferred."
                cells.append(
                    {
                        "text": NOT_SHOWN if value is None else value,
                        "title": title,
                        "status": "shown" if value is not None else (reason or "none"),
                        "kind": "wait",
                        "key": f"{row}/{column}/{span}",
                    }
                )
        rows.append({"label": titles.get(row, row), "total": row == ALL, "cells": cells})
    return {
        "id": "waits",
        "title": "Waiting times: days from the last valid notice to the transfer",
        "note": (
            f"The median over the families transferred, shown only over {release.threshold}"
            " families or more."
        ),
        "corner": "Agreement",
        "groups": [
            {"label": label, "spans": ["Quarter", "Cumulative"]} for _, label in WAIT_COLUMNS
        ],
        "rows": rows,
    }


def _agreement_view(agreement: Mapping[str, Any]) -> dict[str, Any]:
    suspensions = []
    for suspension in agreement.get("suspensions", []):
        kind = str(suspension["kind"])
        name = KIND_NAMES.get(kind, kind.replace("_", " "))
        until = suspension.get("until")
        suspensions.append(
            f"Suspended from {suspension['since']} to {until} ({name})"
            if until
            else f"Suspended since {suspension['since']}, still at the end of the quarter ({name})"
        )
    price = agreement.get("price_per_person")
    return {
        "id": str(agreement["id"]),
        "title": str(agreement["title"]),
        "facts": [
            ["Sender", str(agreement["sender"])],
            ["Receiver", str(agreement["receiver"])],
            ["Status", str(agreement["status"]).replace("_", " ")],
            [
                "Price per person",
                (
                    _amount(str(price["amount"]), str(price["currency"]))
                    + (
                        f" (source: {agreement['price_source']})"
                        if agreement.get("price_source")
                        else " (no source recorded)"
                    )
                )
                if price
                else "not reported",
            ],
        ],
        "pledge": [
            {
                "text": str(line["text"]),
                "source": str(line["source"]) if line["source"] else "no source recorded",
            }
            for line in agreement.get("pledge", [])
        ],
        "suspensions": suspensions,
        "payments": [
            f"{payment['day']}: {_amount(str(payment['amount']), str(payment['currency']))}"
            for payment in agreement.get("payments", [])
        ],
    }


def _view(release: Release) -> dict[str, Any]:
    """Everything the HTML page and the PDF say, as plain data (the charts apart)."""
    threshold = release.threshold
    quarter = Quarter.parse(release.period)
    scope = (
        "All agreements"
        if release.scope == ALL
        else _titles(release).get(release.scope, release.scope)
    )
    title = f"Transparency report {release.period}"
    return {
        "title": title,
        "lang": "en",
        "rtl": False,
        "footer": f"{title} · {scope} · counts as of {release.end}",
        "facts": [
            ["Period", f"{release.period}: {quarter.start} to {release.end}"],
            ["Scope", scope],
            ["Cumulative figures", f"from {release.start} to {release.end}"],
            ["Counts as of", release.end],
        ],
        "reading": [
            (
                "Each table counts families, people, check-ins or incidents under each"
                " agreement, with their total when there are several: for the quarter"
                f" ({quarter.start} to {release.end}) and cumulatively ({release.start} to"
                f" {release.end}). A count at the end of the quarter (people present at once)"
                " has one figure."
            ),
            (
                f"Small counts are not published. Counts from 1 to {threshold - 1} are"
                f" suppressed, and so are further figures from which a small count could be"
                f" worked out (totals, other figures, earlier releases); each is shown as"
                f" “{SUPPRESSED}”, the same mark for both, so that a mark says nothing of its"
                f" count. Money owed for people who are not shown, and a"
                f" median wait over fewer than {threshold} families, are shown as"
                f" “{NOT_SHOWN}”. A zero is a true zero."
            ),
            (
                "Pledges are given as they were reported, with their source: “figure not"
                " reported” where a cap was announced without a figure, “reported as a floor”"
                " where only a minimum was given, and “no cap reported” where none was."
            ),
        ],
        "legend": [
            [SUPPRESSED, _explain("suppressed", threshold)],
            [NOT_SHOWN, "Not shown (money or a waiting time), or nothing to show."],
        ],
        "method": release.method,
        "counts": (
            f"In this release {release.primary} figures are suppressed as small counts and"
            f" {release.secondary} further figures to protect them."
        ),
        "agreements": [_agreement_view(a) for a in release.agreements],
        "tables": [_grid_table(release, t) for t in release.tables],
        "money": _money_grid(release) if release.money else None,
        "waits": _waits_grid(release),
    }


# The HTML page.

BAR_WIDTH = 360.0
LABEL_WIDTH = 230.0
LINE = 20


def _bars(
    title: str, description: str, groups: list[tuple[str | None, list[tuple[str, Figure]]]]
) -> dict[str, Any]:
    """A horizontal bar chart of the shown figures (a suppressed one is its symbol, with no
    bar): lines of label, bar and value, under optional group headings."""
    shown = [f.value for _, bars in groups for _, f in bars if f.value is not None]
    largest = max([*shown, 1])
    lines, y = [], 0
    for heading, bars in groups:
        if heading is not None:
            lines.append({"heading": heading, "y": y + 14})
            y += LINE
        for label, figure in bars:
            width = 0.0 if figure.value is None else BAR_WIDTH * figure.value / largest
            lines.append(
                {
                    "heading": None,
                    "label": label,
                    "y": y,
                    "text_y": y + 14,
                    "width": f"{width:.1f}",
                    "value_x": f"{LABEL_WIDTH + width + 6:.1f}",
                    "value": f"{figure.value:,}"
                    if figure.value is not None
                    else _symbol(figure.status),
                    "shown": figure.value is not None,
                }
            )
            y += LINE
    return {
        "title": title,
        "description": description,
        "lines": lines,
        "height": max(y, LINE),
        "width": f"{LABEL_WIDTH + BAR_WIDTH + 60:.0f}",
        "label_width": f"{LABEL_WIDTH - 8:.0f}",
        "bar_x": f"{LABEL_WIDTH:.0f}",
    }


def _charts(release: Release) -> list[dict[str, Any]]:
    charts = []
    families = _table(release, "families")
    if families is not None:
        groups: list[tuple[str | None, list[tuple[str, Figure]]]] = []
        for row, label in families.rows:
            if row == ALL:
                continue
            bars = [
                (column_label, families.figure(row, column, "cumulative"))
                for column, column_label in families.columns
            ]
            if any(f.value != 0 for _, f in bars):
                groups.append((label, bars))
        if groups:
            charts.append(
                _bars(
                    "Families through the workflow, cumulative, by agreement",
                    "Bars for the figures shown in the table of families; a suppressed"
                    " figure has its symbol and no bar.",
                    groups,
                )
            )
    nationality = _table(release, "nationality")
    if nationality is not None and nationality.rows:
        row, label = next(
            ((r, lbl) for r, lbl in nationality.rows if r == ALL), nationality.rows[0]
        )
        bars = [
            (column_label, nationality.figure(row, column, "cumulative"))
            for column, column_label in nationality.columns
            if column != "total"
        ]
        if bars:
            charts.append(
                _bars(
                    f"People transferred by nationality, cumulative ({label})",
                    "Bars for the figures shown in the table of nationalities; a suppressed"
                    " figure has its symbol and no bar.",
                    [(None, bars)],
                )
            )
    return charts


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("accord.transparency"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def to_html(release: Release) -> bytes:
    """One self-contained page: inline style, no script, nothing fetched; every text escaped."""
    template = _environment().get_template("report.html")
    return template.render(view=_view(release), charts=_charts(release)).encode()


# The PDF.


def _pdf_parts(grid: dict[str, Any]) -> list[dict[str, Any]]:
    """A table split by columns so that each part fits the page's width."""
    groups = grid["groups"]
    if len(groups) <= PDF_GROUPS:
        return [grid]
    parts, first_cell = [], 0
    for start in range(0, len(groups), PDF_GROUPS):
        chunk = groups[start : start + PDF_GROUPS]
        width = sum(len(g["spans"]) for g in chunk)
        parts.append(
            {
                **grid,
                "title": grid["title"] if start == 0 else f"{grid['title']} (continued)",
                "groups": chunk,
                "rows": [
                    {**row, "cells": row["cells"][first_cell : first_cell + width]}
                    for row in grid["rows"]
                ],
            }
        )
        first_cell += width
    return parts


def _pdf_table(grid: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "title": part["title"],
            "note": part["note"],
            "corner": part["corner"],
            "groups": part["groups"],
            "rows": [
                {
                    "label": row["label"],
                    "total": row["total"],
                    "cells": [cell["text"] for cell in row["cells"]],
                }
                for row in part["rows"]
            ],
        }
        for part in _pdf_parts(grid)
    ]


def pdf_inputs(release: Release) -> dict[str, Any]:
    """The typesetter's inputs for a release's PDF (plain JSON, shown as text only)."""
    view = _view(release)
    return {
        **{k: view[k] for k in ("title", "lang", "rtl", "footer", "facts", "reading", "legend")},
        "method": view["method"],
        "counts": view["counts"],
        "agreements": view["agreements"],
        "tables": [part for grid in view["tables"] for part in _pdf_table(grid)],
        "money": _pdf_table(view["money"]) if view["money"] else [],
        "waits": _pdf_table(view["waits"]),
    }


def to_pdf(release: Release) -> bytes:
    """The release typeset (A4 landscape) by the project's typesetter."""
    from accord.documents.typeset import default_typesetter

    return default_typesetter().render("report", pdf_inputs(release)).pdf


# All of them, and their manifest.


def file_stem(release: Release) -> str:
    return _stem(release.period, release.scope)


def _stem(period: str, scope: str) -> str:
    for part in (period, scope):
        if not _SAFE_NAME.fullmatch(part):
            raise ValueError(f"{part!r} cannot be part of a file name")
    return f"report-{period}-{scope}"


FILE_KINDS = ("html", "csv", "json", "pdf")
"""The formats of a release's files, in the order `render_all` gives them."""


def file_names(period: str, scope: str) -> list[str]:
    """The names `render_all` gives the files of the release of `period` and `scope`, known
    without rendering them (for a list of published releases)."""
    stem = _stem(period, scope)
    return [f"{stem}.{kind}" for kind in FILE_KINDS]


def page_view(release: Release) -> dict[str, Any]:
    """What the HTML page shows, as plain data (`view`, with its `charts`): for a page that
    shows the release inside a site's own frame (`accord.transparency.pages`)."""
    return {"view": _view(release), "charts": _charts(release)}


def render_all(release: Release) -> dict[str, bytes]:
    """The four files of a release, by name."""
    stem = file_stem(release)
    return {
        f"{stem}.html": to_html(release),
        f"{stem}.csv": to_csv(release),
        f"{stem}.json": to_json(release),
        f"{stem}.pdf": to_pdf(release),
    }


def manifest(files: Mapping[str, bytes]) -> bytes:
    """Each file's name, SHA-256 and size, with the period and scope of the one release
    document among them (canonical JSON, deterministic)."""
    documents = [
        json.loads(content)
        for name, content in files.items()
        if name.startswith("report-") and name.endswith(".json")
    ]
    if len(documents) != 1:
        raise ValueError(f"expected one report-*.json among the files, found {len(documents)}")
    document = documents[0]
    return _canonical_json(
        {
            "schema_version": SCHEMA_VERSION,
            "period": document["period"],
            "scope": document["scope"],
            "files": [
                {
                    "name": name,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "size": len(content),
                }
                for name, content in sorted(files.items())
            ],
        }
    )
