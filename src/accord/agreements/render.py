"""Plain-text views of agreements for the terminal: timeline with sources, caps, checklist."""

from __future__ import annotations

import datetime as dt

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from accord.records.agreement import AgreementIn, CapIn, SourceIn
from accord.records.countries import countries_label, country_label

CHECKLIST = (
    ("admission", "admission of the person"),
    ("no_onward_removal", "no onward removal"),
    ("return_clause", "return clause"),
    ("asylum_access", "access to an asylum procedure"),
    ("monitor_access", "access for monitors"),
    ("complaints_route", "a complaints route"),
)


def reported_date(date: dt.date | None, precision: str = "day") -> str:
    if date is None:
        return "date not reported"
    if precision == "year":
        return f"{date.year}"
    if precision == "month":
        return date.strftime("%b %Y")
    return date.isoformat()


def cap_text(cap: CapIn) -> str:
    if cap.limit is None:
        figure = "unknown"
    elif cap.lower_bound:
        figure = f"more than {cap.limit:,}"
    else:
        figure = f"up to {cap.limit:,}"
    noun = "families" if cap.kind == "families_per_period" else "people"
    if cap.kind == "present_at_once":
        scope = "present at once"
    elif cap.period:
        anchor = {"term_start": "from the term start", "calendar": "calendar", "rolling": "rolling"}
        scope = f"per {cap.period}" + (f" ({anchor[cap.anchor]})" if cap.anchor else "")
    else:
        scope = "over the term"
    return f"{figure} {noun} {scope}"


def caps_summary(agreement: AgreementIn) -> str:
    return "; ".join(cap_text(c) for c in agreement.caps) or "no cap reported"


def source_text(key: str | None, sources: dict[str, SourceIn]) -> str:
    if key is None:
        return "no source"
    source = sources.get(key)
    if source is None:
        return key
    return f"{source.publisher}, {reported_date(source.date, source.precision)}"


def agreements_table(agreements: list[AgreementIn]) -> Table:
    """One row an agreement, readable on an 80-column terminal: the id whole, each party by
    name beside its code on a line of its own, the status over the day it was reported."""
    table = Table(title="Agreements", show_lines=False)
    table.add_column("id", no_wrap=True)
    table.add_column("sender → receiver", min_width=18)
    table.add_column("status", max_width=14)
    table.add_column("kind; caps", overflow="fold")
    for agreement in agreements:
        last = agreement.status_history[-1] if agreement.status_history else None
        table.add_row(
            agreement.id,
            f"{country_label(agreement.sender)}\n→ {country_label(agreement.receiver)}",
            agreement.status.value.replace("_", " ")
            + (f"\nsince {reported_date(last.date, last.precision)}" if last else ""),
            escape(f"{agreement.kind.replace('_', ' ')}; {caps_summary(agreement)}"),
        )
    return table


def agreement_view(agreement: AgreementIn, party_names: dict[str, str]) -> RenderableType:
    # A state by its ISO name; a party ISO does not name, by the name the registry gives it.
    sender = country_label(agreement.sender, party_names.get(agreement.sender))
    receiver = country_label(agreement.receiver, party_names.get(agreement.receiver))
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("parties", f"{escape(sender)} → {escape(receiver)}")
    facts.add_row("kind", agreement.kind.replace("_", " "))
    facts.add_row("status", agreement.status.value.replace("_", " "))
    if agreement.term:
        term = agreement.term
        span = " – ".join(d.isoformat() if d else "?" for d in (term.start, term.end))
        text = span if (term.start or term.end) else ""
        if term.note:
            text = f"{text} ({term.note})" if text else term.note
        facts.add_row("term", escape(text))
    scope = agreement.nationality_scope
    if scope is None:
        facts.add_row("nationality scope", "everyone")
    elif scope.include is not None:
        facts.add_row("nationality scope", "only " + countries_label(scope.include))
    else:
        facts.add_row("nationality scope", "all but " + countries_label(scope.exclude or []))
    facts.add_row(
        "onward return", "yes, to the country of nationality" if agreement.onward_return else "no"
    )
    selection = agreement.selection
    facts.add_row(
        "selection",
        f"receiver selects from a pool of {selection.pool_factor.normalize():f}× the remaining cap"
        + ("; reasons required" if selection.reason_required else ""),
    )
    facts.add_row("notice", f"{agreement.notice_days} days before clearance")
    if agreement.money_per_person:
        money = agreement.money_per_person
        note = f" ({money.note})" if money.note else ""
        facts.add_row("money per person", escape(f"{money.amount:,.2f} {money.currency}{note}"))
    if agreement.monitors:
        facts.add_row("monitors", ", ".join(party_names.get(m, m) for m in agreement.monitors))
    for assurance in agreement.assurances:
        facts.add_row("assurance", escape(assurance.text))

    timeline = Table(title="Status timeline", expand=True)
    timeline.add_column("date")
    timeline.add_column("status")
    timeline.add_column("source")
    timeline.add_column("note")
    for event in agreement.status_history:
        timeline.add_row(
            reported_date(event.date, event.precision),
            event.status.value.replace("_", " "),
            escape(source_text(event.source, agreement.sources)),
            escape(event.note or ""),
        )

    caps = Table(title="Caps", expand=True)
    caps.add_column("cap")
    caps.add_column("note")
    caps.add_column("source")
    for cap in agreement.caps:
        caps.add_row(
            escape(cap_text(cap)),
            escape(cap.note or ""),
            escape(source_text(cap.source, agreement.sources)),
        )

    instrument = agreement.instrument
    checklist = Table(title="Instrument checklist", expand=True)
    checklist.add_column("clause")
    checklist.add_column("on record")
    for field, label in CHECKLIST:
        checklist.add_row(label, "yes" if getattr(instrument, field) else "[red]no[/]")
    checklist.add_row(
        "country-safety assessment",
        instrument.safety_assessment_date.isoformat()
        if instrument.safety_assessment_date
        else "[red]none[/]",
    )

    criteria = Table(title="Receiver criteria", expand=True)
    criteria.add_column("id")
    criteria.add_column("rule")
    criteria.add_column("expression")
    for criterion in agreement.criteria:
        criteria.add_row(criterion.id, escape(criterion.text), escape(criterion.expr))

    sources = Table(title="Sources", expand=True)
    sources.add_column("key")
    sources.add_column("publisher, date")
    sources.add_column("statement")
    for key, source in sorted(agreement.sources.items()):
        sources.add_row(key, escape(source_text(key, agreement.sources)), escape(source.statement))

    parts: list[RenderableType] = [facts, timeline]
    if agreement.caps:
        parts.append(caps)
    parts.append(checklist)
    if agreement.criteria:
        parts.append(criteria)
    if agreement.sources:
        parts.append(sources)
    return Panel(Group(*parts), title=f"[bold]{agreement.id}[/] {escape(agreement.title or '')}")
