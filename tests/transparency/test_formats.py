"""A release published as JSON, CSV, HTML and PDF (no database): every format lists the same
figures, the totals add up wherever none of their parts is suppressed, a suppressed figure has
no value anywhere it could be read as that figure, the stored cells are in none of them, the
page is self-contained and escaped, and the same release (or its stored document) gives the
same bytes."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from pypdf import PdfReader

from accord.documents.typeset import FontsMissing
from accord.transparency.formats import (
    CSV_HEADER,
    SUPPRESSED,
    manifest,
    release_document,
    release_from_document,
    render_all,
    to_csv,
    to_html,
    to_json,
    to_pdf,
)
from accord.transparency.model import (
    AgreementFacts,
    Fact,
    Money,
    PaymentLine,
    PledgeLine,
    Quarter,
    ReportInput,
    Stock,
    Suspension,
    Waiting,
)
from accord.transparency.release import ALL, Release, build
from tests.conftest import IN_CI

QUARTER = Quarter(2026, 2)
Q1, Q2 = dt.date(2026, 2, 10), dt.date(2026, 5, 12)
ONE, TWO = "a-one", "b-two"
TITLE_ONE = 'Pilot <b>one</b> & "partners" (synthetic)'
"""A title with markup and quotes in it: shown as text in every format, never as markup."""
TITLE = "Transparency report 2026-Q2"
PRICE = Decimal("1500.00")
MARKUP_PLEDGE = "a cap on people, figure not reported: #pagebreak() *all* $x$ [sic] <tag>"
"""Typst's markup in a value: printed as it is, never evaluated."""


def _facts() -> list[Fact]:
    found: list[Fact] = []

    def add(agreement: str, day: dt.date, measure: str, category: str, value: int) -> None:
        found.append(Fact(agreement, day, measure, category, value, f"test {len(found)}"))

    for day, proposed, accepted, transferred in ((Q1, 20, 12, 10), (Q2, 15, 9, 8)):
        add(ONE, day, "families_proposed", "all", proposed)
        add(ONE, day, "families_accepted", "all", accepted)
        add(ONE, day, "families_transferred", "all", transferred)
        add(ONE, day, "people_proposed", "all", 3 * proposed)
        add(ONE, day, "people_accepted", "all", 3 * accepted)
    for category, value in (("SY", 12), ("AF", 9), ("ER", 2)):
        add(ONE, Q1, "people_transferred", category, value)
    for category, value in (("SY", 10), ("AF", 7), ("ER", 1)):
        add(ONE, Q2, "people_transferred", category, value)
    add(ONE, Q1, "families_rejected", "criteria", 6)
    add(ONE, Q1, "families_rejected", "capacity", 2)
    add(ONE, Q2, "families_rejected", "criteria", 5)
    add(ONE, Q2, "families_revoked", "documents", 1)
    add(ONE, Q2, "families_cancelled", "all", 6)
    add(ONE, Q1, "families_onward", "remained", 6)
    add(ONE, Q2, "families_onward", "remained", 7)
    add(ONE, Q2, "families_onward", "moved_on", 5)
    add(ONE, Q2, "checkins", "due", 8)
    add(ONE, Q2, "checkins", "done", 6)
    add(ONE, Q2, "incidents", "ill_treatment", 1)
    add(TWO, Q2, "families_proposed", "all", 9)
    add(TWO, Q2, "families_accepted", "all", 7)
    add(TWO, Q2, "families_transferred", "all", 6)
    add(TWO, Q2, "people_proposed", "all", 30)
    add(TWO, Q2, "people_accepted", "all", 22)
    add(TWO, Q2, "people_transferred", "SY", 3)
    add(TWO, Q2, "people_transferred", "AF", 16)
    add(TWO, Q2, "families_rejected", "other", 2)
    add(TWO, Q2, "families_rejected", "criteria", 7)
    add(TWO, Q2, "families_onward", "remained", 6)
    add(TWO, Q2, "families_onward", "returned_home", 8)
    add(TWO, Q2, "incidents", "onward_removal", 5)
    add(TWO, Q2, "checkins", "due", 6)
    add(TWO, Q2, "checkins", "done", 6)
    return found


def report_input() -> ReportInput:
    agreements = [
        AgreementFacts(
            ONE,
            TITLE_ONE,
            "US",
            "XK",
            "in_force",
            [
                PledgeLine("up to 50 people per P1Y", "Ministry statement, 2025-11-15"),
                PledgeLine("more than 10 families (reported as a floor)", ""),
            ],
            Money(PRICE, "USD"),
            "Press reports, 2025-12-01",
            [
                PaymentLine(dt.date(2026, 3, 1), Decimal("10000.00"), "USD", "T-1"),
                PaymentLine(dt.date(2026, 5, 1), Decimal("2500.50"), "USD", "T-2"),
            ],
        ),
        AgreementFacts(
            TWO,
            "Second agreement (synthetic)",
            "US",
            "RW",
            "suspended",
            [PledgeLine(MARKUP_PLEDGE, "Press reports, 2025-09-01")],
            None,
            "",
            [],
            [Suspension(dt.date(2026, 6, 2), None, "ill_treatment")],
        ),
    ]
    stocks = [
        Stock(ONE, Quarter(2026, 1), "present", 25, ("ledger",)),
        Stock(ONE, QUARTER, "present", 40, ("ledger",)),
        Stock(TWO, QUARTER, "present", 13, ("ledger",)),
    ]
    waits = [
        *(Waiting(ONE, Q1, days, "w") for days in (20, 22, 25, 30, 31, 33, 35, 40, 41, 44)),
        *(Waiting(ONE, Q2, days, "w") for days in (18, 19, 21, 23, 24, 26, 27, 29)),
        *(Waiting(TWO, Q2, days, "w") for days in (50, 52, 55, 58, 60, 61)),
    ]
    return ReportInput(QUARTER, agreements, _facts(), stocks, waits)


@pytest.fixture(scope="module")
def release() -> Release:
    built = build(report_input(), 5)
    assert built.primary > 0
    assert built.secondary > 0
    return built


@pytest.fixture(scope="module")
def files(release: Release) -> dict[str, bytes]:
    try:
        return render_all(release)
    except FontsMissing as missing:
        if IN_CI:
            raise
        pytest.skip(f"{missing}")


def _file(files: dict[str, bytes], suffix: str) -> bytes:
    return next(content for name, content in files.items() if name.endswith(suffix))


# Reading each format back: figure key -> (value, suppressed).

Read = dict[str, tuple[int | None, str | None]]


def _expected(release: Release) -> Read:
    return {
        key: (figure.value, None if figure.status == "shown" else figure.status)
        for table in release.tables
        for key, figure in table.figures.items()
    }


def _from_json(content: bytes) -> Read:
    document = json.loads(content)
    return {
        f"{table['id']}/{c['row']}/{c['column']}/{c['span']}": (c["value"], c["suppressed"])
        for table in document["tables"]
        for c in table["cells"]
    }


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def _from_csv(content: bytes) -> Read:
    return {
        f"{r['table']}/{r['row']}/{r['column']}/{r['span']}": (
            int(r["value"]) if r["value"] else None,
            r["suppressed"] or None,
        )
        for r in _csv_rows(content)
        if r["table"] not in ("money", "waits")
    }


class _Page(HTMLParser):
    """The cells of the page's tables by their data attribute, and the charts' value labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: dict[str, dict[str, str]] = {}
        self.charts: list[list[str]] = []
        self._cell: dict[str, str] | None = None
        self._value: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "td":
            keys = [f"{k}:{v}" for k, v in named.items() if k.startswith("data-")]
            if keys:
                cell = {"text": "", "title": "", "class": named.get("class", "")}
                self._cell = self.cells[keys[0]] = cell
        elif tag in ("abbr", "span") and self._cell is not None:
            self._cell["title"] = named.get("title", "")
        elif tag == "svg":
            self.charts.append([])
        elif tag == "text" and named.get("class") == "value":
            self._value = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None
        elif tag == "text" and self._value is not None:
            self.charts[-1].append("".join(self._value))
            self._value = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data
        if self._value is not None:
            self._value.append(data)


def _page(content: bytes) -> _Page:
    page = _Page()
    page.feed(content.decode())
    page.close()
    return page


def _from_html(content: bytes) -> Read:
    found: Read = {}
    for key, cell in _page(content).cells.items():
        if not key.startswith("data-cell:"):
            continue
        text = cell["text"]
        if text == SUPPRESSED:
            found[key.removeprefix("data-cell:")] = (None, "suppressed")
        else:
            found[key.removeprefix("data-cell:")] = (int(text.replace(",", "")), None)
    return found


def _reads(files: dict[str, bytes]) -> Iterator[tuple[str, Read]]:
    yield "json", _from_json(_file(files, ".json"))
    yield "csv", _from_csv(_file(files, ".csv"))
    yield "html", _from_html(_file(files, ".html"))


# The tests.


def test_every_format_lists_the_same_figures(release: Release, files: dict[str, bytes]) -> None:
    expected = _expected(release)
    assert {status for _, status in expected.values()} == {None, "suppressed"}
    assert release.primary and release.secondary  # both kinds, told apart nowhere
    for name, read in _reads(files):
        assert read == expected, name


def test_money_and_waits_are_the_same_in_every_format(
    release: Release, files: dict[str, bytes]
) -> None:
    document = json.loads(_file(files, ".json"))
    rows = _csv_rows(_file(files, ".csv"))
    cells = _page(_file(files, ".html")).cells
    [money] = release.money
    assert money.agreement == ONE
    assert money.price == str(PRICE)
    assert money.paid == {"period": "2500.50", "cumulative": "12500.50"}
    [stored] = document["money"]
    csv_money = {(r["column"], r["span"]): r for r in rows if r["table"] == "money"}
    assert set(csv_money) == {
        ("price", "period"),
        ("due", "period"),
        ("due", "cumulative"),
        ("paid", "period"),
        ("paid", "cumulative"),
        ("outstanding", "cumulative"),
    }
    people = next(t for t in release.tables if t.id == "people")
    for span in ("period", "cumulative"):
        figure = people.figure(ONE, "transferred", span)
        due = money.due[span]
        assert stored["due"][span] == due
        assert stored["paid"][span] == money.paid[span]
        assert csv_money["due", span]["value"] == (due or "")
        assert csv_money["paid", span]["value"] == money.paid[span]
        html_due = cells[f"data-money:{ONE}/due/{span}"]["text"]
        if figure.value is None:
            assert due is None
            assert html_due == "—"
            assert csv_money["due", span]["suppressed"] == figure.status
            assert stored["suppressed"][span] == figure.status
        else:
            assert due is not None
            assert Decimal(due) == PRICE * figure.value
            assert Decimal(html_due.removeprefix("USD ").replace(",", "")) == Decimal(due)
        paid = cells[f"data-money:{ONE}/paid/{span}"]["text"]
        assert Decimal(paid.removeprefix("USD ").replace(",", "")) == Decimal(money.paid[span])
    outstanding = money.outstanding
    assert stored["outstanding"] == outstanding
    assert csv_money["outstanding", "cumulative"]["value"] == (outstanding or "")
    if outstanding is not None:
        assert money.due["cumulative"] is not None
        assert Decimal(outstanding) == Decimal(money.due["cumulative"]) - Decimal("12500.50")

    csv_waits = {(r["row"], r["column"], r["span"]): r for r in rows if r["table"] == "waits"}
    assert len(document["waits"]) == len(release.waits) == 6
    for wait, stored_wait in zip(release.waits, document["waits"], strict=True):
        assert (stored_wait["row"], stored_wait["span"]) == (wait.agreement, wait.span)
        assert stored_wait["median_days"] == wait.median_days
        assert stored_wait["families"] == wait.families
        median = csv_waits[wait.agreement, "median_days", wait.span]["value"]
        families = csv_waits[wait.agreement, "families", wait.span]["value"]
        html = cells[f"data-wait:{wait.agreement}/median_days/{wait.span}"]["text"]
        if wait.median_days is None:
            assert (median, html) == ("", "—")
        else:
            assert float(median) == float(html) == wait.median_days
            assert int(families) == wait.families
    shown = [w for w in release.waits if w.median_days is not None]
    assert shown
    assert (
        next(w for w in shown if (w.agreement, w.span) == (ONE, "cumulative")).median_days == 26.5
    )
    assert cells[f"data-wait:{ONE}/median_days/cumulative"]["text"] == "26.5"


def test_totals_add_up_in_every_format_wherever_nothing_is_suppressed(
    release: Release, files: dict[str, bytes]
) -> None:
    checked = {"rows": 0, "columns": 0}
    for name, read in _reads(files):
        for table in release.tables:
            agreements = [r for r, _ in table.rows if r != ALL]
            categories = [c for c, _ in table.columns if c != "total"]
            for column, _ in table.columns:
                for span in ("period", "cumulative"):
                    total = read.get(f"{table.id}/{ALL}/{column}/{span}")
                    if total is None or total[0] is None:
                        continue
                    parts = [read[f"{table.id}/{r}/{column}/{span}"][0] for r in agreements]
                    if all(p is not None for p in parts):
                        assert total[0] == sum(p for p in parts if p is not None), (name, column)
                        checked["rows"] += 1
            if "total" not in dict(table.columns):
                continue
            for row, _ in table.rows:
                for span in ("period", "cumulative"):
                    total = read[f"{table.id}/{row}/total/{span}"]
                    parts = [read[f"{table.id}/{row}/{c}/{span}"][0] for c in categories]
                    if total[0] is not None and all(p is not None for p in parts):
                        assert total[0] == sum(p for p in parts if p is not None), (name, row)
                        checked["columns"] += 1
    assert checked["rows"] > 30
    assert checked["columns"] >= 12


def test_suppressed_figures_have_no_value_in_any_format(
    release: Release, files: dict[str, bytes]
) -> None:
    """Cell by cell: a suppressed figure's value is empty (CSV), null (JSON) or its symbol
    (HTML), never its true value; the money owed for suppressed people is not shown either."""
    truth = {c["key"]: c["value"] for c in release.stored_cells}
    suppressed = {k for k, (value, _) in _expected(release).items() if value is None}
    assert any(truth[k] > 0 for k in suppressed)

    document = json.loads(_file(files, ".json"))
    for table in document["tables"]:
        for cell in table["cells"]:
            key = f"{table['id']}/{cell['row']}/{cell['column']}/{cell['span']}"
            assert (key in suppressed) == (cell["suppressed"] is not None), key
            if key in suppressed:
                assert cell["value"] is None, key
                assert set(cell) == {"row", "column", "span", "value", "suppressed"}

    for row in _csv_rows(_file(files, ".csv")):
        if row["table"] in ("money", "waits"):
            if row["suppressed"]:
                assert row["value"] == "", row
            continue
        key = f"{row['table']}/{row['row']}/{row['column']}/{row['span']}"
        if key in suppressed:
            assert row["value"] == "", key
            assert row["suppressed"] == "suppressed"
            assert str(truth[key]) not in set(row.values()) - {row["row"], row["row_label"]}

    page = _page(_file(files, ".html"))
    for key in suppressed:
        cell = page.cells[f"data-cell:{key}"]
        assert cell["text"] == SUPPRESSED, key
        assert not re.search(r"\d", cell["text"])
        assert cell["title"].startswith("Not shown")
        assert cell["class"] == "suppressed"

    people = next(t for t in release.tables if t.id == "people")
    for span in ("period", "cumulative"):
        figure = people.figure(ONE, "transferred", span)
        if figure.value is None:
            true_due = str(PRICE * truth[f"people/{ONE}/transferred/{span}"])
            for content in files.values():
                assert true_due.encode() not in content
                assert f"{PRICE * truth[f'people/{ONE}/transferred/{span}']:,}".encode() not in (
                    content
                )


def test_the_stored_cells_are_in_no_format(release: Release, files: dict[str, bytes]) -> None:
    assert release.stored_cells
    for name, content in files.items():
        if name.endswith(".pdf"):
            text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
        else:
            text = content.decode()
        for word in ("atoms", "families_proposed", "people_transferred", "2026-Q1/"):
            assert word not in text, (name, word)
    assert "stored_cells" not in release_document(release)
    assert '"published":' not in json.dumps(release_document(release))


def test_the_page_is_self_contained_accessible_and_escaped(
    release: Release, files: dict[str, bytes]
) -> None:
    html = _file(files, ".html").decode()
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta charset="utf-8">' in html
    assert f"<title>{TITLE}</title>" in html
    assert "How to read this report" in html
    for forbidden in ("<script", "http", "<link", "src=", "url(", "@import", "<iframe"):
        assert forbidden not in html.lower(), forbidden
    assert "<b>one</b>" not in html
    assert "Pilot &lt;b&gt;one&lt;/b&gt; &amp; &#34;partners&#34; (synthetic)" in html
    assert '<th scope="row">' in html
    assert '<th scope="col"' in html
    assert '<th scope="colgroup"' in html
    assert html.count("<svg") == html.count("<title id=") == 2
    assert "Suspended since 2026-06-02" in html
    assert "Ill-treatment" in html
    assert "no source recorded" in html
    assert "reported as a floor" in html
    assert "*all* $x$ [sic] &lt;tag&gt;" in html
    assert "Ministry statement, 2025-11-15" in html
    assert release.method in html.replace("&#39;", "'")


def test_the_charts_draw_shown_figures_only(release: Release, files: dict[str, bytes]) -> None:
    families = next(t for t in release.tables if t.id == "families")
    nationality = next(t for t in release.tables if t.id == "nationality")

    def label(row: str, column: str, table: Any) -> str:
        figure = table.figure(row, column, "cumulative")
        if figure.value is None:
            return SUPPRESSED
        return f"{figure.value:,}"

    expected_families = [
        label(row, column, families) for row in (ONE, TWO) for column, _ in families.columns
    ]
    expected_nationality = [
        label(ALL, column, nationality) for column, _ in nationality.columns if column != "total"
    ]
    charts = _page(_file(files, ".html")).charts
    assert charts == [expected_families, expected_nationality]
    assert SUPPRESSED in expected_nationality
    html = _file(files, ".html").decode()
    bars = re.findall(r"<rect [^>]*>", html)
    shown = sum(1 for v in expected_families + expected_nationality if v[0].isdigit())
    assert len(bars) == shown


def test_the_csv_is_long_with_a_header_and_newlines(
    release: Release, files: dict[str, bytes]
) -> None:
    content = _file(files, ".csv")
    assert b"\r" not in content
    assert content.endswith(b"\n")
    assert content.decode().splitlines()[0] == ",".join(CSV_HEADER)
    rows = _csv_rows(content)
    assert {r["period"] for r in rows} == {"2026-Q2"}
    assert {r["scope"] for r in rows} == {ALL}
    cells = sum(len(t.figures) for t in release.tables)
    tables = [r for r in rows if r["table"] not in ("money", "waits")]
    assert len(tables) == cells
    assert [r["table"] for r in rows[len(tables) :]] == ["money"] * 6 + ["waits"] * 12
    assert any(r["row_label"] == TITLE_ONE for r in rows)


def test_the_json_is_canonical_and_dated_by_its_quarter(
    release: Release, files: dict[str, bytes]
) -> None:
    content = _file(files, ".json")
    document = json.loads(content)
    again = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert content == again.encode()
    assert document["schema_version"] == "1"
    assert (document["period"], document["scope"], document["threshold"]) == ("2026-Q2", ALL, 5)
    assert (document["start"], document["end"], document["generated"]) == (
        "2026-01-01",
        "2026-06-30",
        "2026-06-30",
    )
    assert document["counts"] == {"primary": release.primary, "secondary": release.secondary}
    assert document["agreements"] == release.agreements


def test_the_same_release_gives_the_same_bytes(release: Release, files: dict[str, bytes]) -> None:
    assert render_all(release) == files
    assert render_all(build(report_input(), 5)) == files


def test_the_stored_document_publishes_the_same_bytes_again(
    release: Release, files: dict[str, bytes]
) -> None:
    again = release_from_document(json.loads(_file(files, ".json")))
    assert again.stored_cells == []
    assert to_json(again) == _file(files, ".json")
    assert to_csv(again) == _file(files, ".csv")
    assert to_html(again) == _file(files, ".html")
    assert to_pdf(again) == _file(files, ".pdf")
    with pytest.raises(ValueError, match="schema version"):
        release_from_document({**json.loads(_file(files, ".json")), "schema_version": "2"})


def test_the_pdf_reads_as_the_report(release: Release, files: dict[str, bytes]) -> None:
    reader = PdfReader(io.BytesIO(_file(files, ".pdf")))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert reader.metadata is not None
    assert reader.metadata.title == TITLE
    assert TITLE in text
    assert TITLE_ONE in text
    families = next(t for t in release.tables if t.id == "families")
    proposed = families.figure(ALL, "proposed", "cumulative").value
    assert proposed is not None
    assert proposed >= 10
    assert f" {proposed} " in text
    assert "How to read this report" in text
    assert "Suspended since 2026-06-02" in text
    assert MARKUP_PLEDGE in text


def test_the_manifest_lists_each_file_with_its_hash(files: dict[str, bytes]) -> None:
    assert sorted(files) == [
        f"report-2026-Q2-{ALL}.{suffix}" for suffix in ("csv", "html", "json", "pdf")
    ]
    listed = manifest(files)
    assert listed == manifest(dict(reversed(list(files.items()))))
    document = json.loads(listed)
    assert (document["period"], document["scope"]) == ("2026-Q2", ALL)
    assert [f["name"] for f in document["files"]] == sorted(files)
    for entry in document["files"]:
        content = files[entry["name"]]
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["size"] == len(content)
