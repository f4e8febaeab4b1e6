"""Terminal views of the workflow: a move, a pool, one item's timeline, the ledger, the months."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from accord.agreements.render import cap_text
from accord.cases.minimized import MinimizedPerson
from accord.proposals.batch import Outcome
from accord.proposals.pools import MatchedPool
from accord.proposals.service import Moved
from accord.proposals.views import ItemView, LedgerView, Month, PoolView
from accord.records.countries import countries_label, country_label
from accord.workflow.audience import AUDIENCE_TEXT


def moved_text(moved: Moved) -> str:
    if moved.repeated:
        return f"item {moved.item_id}: {moved.action} was already applied; nothing changed"
    return f"item {moved.item_id}: {moved.action}, {moved.from_state} → {moved.to_state}"


def outcome_text(outcome: Outcome) -> str:
    head = f"item {outcome.item_id} {outcome.decision}"
    if not outcome.done:
        return f"{head}: [red]refused[/] {escape(outcome.refusal or '')}"
    if outcome.repeated:
        return f"{head}: already decided, nothing changed"
    return f"{head}: done"


def matched_pool_text(matched: MatchedPool) -> str:
    pool, proposal = matched.pool, matched.proposal
    people = sum(f.size for f in pool.families)
    return (
        f"pool {proposal.id} proposed to {proposal.agreement_id} on {proposal.proposed_on}:"
        f" {counted(len(pool.families), 'family', 'families')},"
        f" {counted(people, 'person', 'people')}, limit {pool.pool_limit}"
        f" ({escape(matched.limit_note)}); matcher {matched.quality}"
    )


def pool_table(view: PoolView, *, sender: bool) -> Table:
    """A pool's families and their states; the matcher's method, gap, scores and reasons, and
    who proposed the pool, only for the sender (its free text never crosses, DESIGN §6)."""
    proposal = view.proposal
    people = sum(i.size for i in view.items)
    by = ""
    if sender:
        quality = "" if proposal.gap is None else f", gap {proposal.gap:.4%}"
        by = f" by {escape(proposal.proposed_by)} ({proposal.method}{quality})"
    table = Table(
        title=f"Pool {proposal.id} to {proposal.agreement_id}, proposed on"
        f" {proposal.proposed_on}{by}:"
        f" {counted(len(view.items), 'family', 'families')},"
        f" {counted(people, 'person', 'people')}, limit {proposal.pool_limit}"
    )
    columns = ("item", "family", "people", "score", "state", "since", "why")
    for column in columns if sender else ("item", "family", "people", "state", "since"):
        table.add_column(column, justify="right" if column in ("item", "people") else "left")
    for item in view.items:
        cells = [str(item.id), item.family_id, str(item.size)]
        if sender:
            cells.append("" if item.score is None else f"{item.score:.2f}")
        cells += [view.states[item.id], view.since[item.id].isoformat()]
        if sender:
            cells.append(escape(item.why))
        table.add_row(*cells)
    return table


def _document(member: MinimizedPerson) -> str:
    doc = member.travel_document
    if doc is None:
        return "none"
    return f"{doc.type.replace('_', ' ')} {country_label(doc.country)} to {doc.expires}"


def members_table(title: str, members: Mapping[int, Sequence[MinimizedPerson]]) -> Table:
    """The members of each item's family through the minimized view (DESIGN §6): ids, names,
    birth date, sex, nationalities, languages, travel document, final convictions, detention
    conduct, and health needs only where the person consented to share them."""
    table = Table(title=title)
    for column in (
        "item",
        "case",
        "family",
        "relationship",
        "name",
        "born",
        "sex",
        "nationalities",
        "languages",
        "travel document",
        "final convictions",
        "detention incidents",
        "health needs",
    ):
        table.add_column(column, justify="right" if column == "item" else "left")
    for item_id, family in members.items():
        for m in family:
            name = f"{m.given_name} {m.family_name}"
            if m.aliases:
                name += f" (also {', '.join(m.aliases)})"
            table.add_row(
                str(item_id),
                escape(m.case_id),
                escape(m.family_id),
                m.relationship,
                escape(name),
                m.birth_date.isoformat(),
                m.sex,
                countries_label(m.nationalities, "stateless"),
                ", ".join(m.languages),
                _document(m),
                escape(
                    "; ".join(
                        f"{c.category} {c.date} ({country_label(c.jurisdiction)}"
                        + (f", {c.sentence_months} months)" if c.sentence_months else ")")
                        for c in m.convictions
                    )
                    or "none"
                ),
                escape("; ".join(f"{d.kind} {d.date}" for d in m.detention_incidents) or "none"),
                escape(", ".join(m.health_needs) or "-"),
            )
    return table


def item_renderable(view: ItemView) -> RenderableType:
    item = view.item
    lines = [
        f"[bold]item {item.id}[/]: family {item.family_id}"
        f" ({item.size} {'person' if item.size == 1 else 'people'}) in pool"
        f" {item.proposal_id} to {item.agreement_id}",
        f"state: [bold]{escape(view.state)}[/] since {view.since}",
    ]
    if item.reserved_on:
        lines.append(f"place reserved on {item.reserved_on}")
    for movement in view.movements:
        if movement.leg == "transfer":
            if movement.happened_on:
                happened = f", arrived {movement.happened_on}"
            elif movement.outcome:
                happened = f", {escape(movement.detail or movement.outcome)}"
            else:
                happened = ""
            lines.append(f"transfer scheduled for {movement.scheduled_for}{happened}")
        else:
            detail = f" ({escape(movement.detail)})" if movement.detail else ""
            lines.append(f"onward: {movement.outcome} on {movement.happened_on}{detail}")
    if view.next_moves:
        lines.append("next moves: " + ", ".join(view.next_moves))
    timeline = Table(title="Timeline")
    for column in ("day", "what", "who"):
        timeline.add_column(column)
    for entry in view.entries:
        timeline.add_row(entry.day.isoformat(), escape(entry.what), escape(entry.who))
    parts: list[RenderableType] = [Text.from_markup("\n".join(lines)), timeline]
    if view.check_ins:
        check_ins = Table(title="Monitoring check-ins")
        for column in ("after", "due", "done", "by", "note", "for"):
            check_ins.add_column(column)
        for c in view.check_ins:
            check_ins.add_row(
                f"{c.days} days",
                c.due_on.isoformat(),
                c.done_on.isoformat() if c.done_on else "pending",
                escape(c.by or ""),
                escape(c.note or ""),
                AUDIENCE_TEXT[c.audience] if c.audience and c.note else "",
            )
        parts.append(check_ins)
    return Group(*parts)


def caps_table(view: LedgerView) -> Table:
    table = Table(title=f"Ledger of {view.agreement.id} on {view.day}")
    for column in ("cap", "limit", "held", "left", "period"):
        table.add_column(column, justify="right" if column in ("limit", "held", "left") else "left")
    for h in view.caps:
        period = (
            f"{h.period[0]} to {h.period[1] - dt.timedelta(days=1)}"
            if h.period and h.cap.period
            else ("at any one time" if h.cap.kind == "present_at_once" else "the whole term")
        )
        table.add_row(
            cap_text(h.cap),
            "unknown" if h.cap.limit is None else f"{h.cap.limit:,}",
            f"{h.held:,}",
            "none (not a figure)" if h.left is None or h.cap.lower_bound else f"{h.left:,}",
            period,
        )
    return table


def ledger_rows_table(view: LedgerView) -> Table:
    table = Table(title=f"Ledger rows ({len(view.entries)})")
    for column in ("row", "day", "kind", "item", "people", "families", "period of"):
        table.add_column(column, justify="right" if column in ("row", "item", "people") else "left")
    for e in view.entries:
        table.add_row(
            str(e.id),
            e.day.isoformat(),
            e.kind,
            str(e.item_id),
            str(e.persons),
            str(e.families),
            e.reserved_on.isoformat(),
        )
    return table


def ledger_totals(view: LedgerView) -> str:
    """The rows in one line: people reserved, released, consumed (arrived) and departed."""
    people: Counter[str] = Counter()
    rows: Counter[str] = Counter()
    for e in view.entries:
        people[e.kind] += e.persons
        rows[e.kind] += 1
    parts = [
        f"{label} {counted(people[kind], 'person', 'people')}"
        f" ({counted(rows[kind], 'row', 'rows')})"
        for kind, label in (
            ("reserve", "reserved"),
            ("release", "released"),
            ("consume", "arrived"),
            ("depart", "left the receiver"),
        )
    ]
    return f"ledger rows: {', '.join(parts)}; present now {view.present}"


def _counts(counter: Counter[str], labels: dict[str, str] | None = None) -> str:
    return ", ".join(
        f"{(labels or {}).get(key, key.replace('_', ' '))} {count}"
        for key, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def counted(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _families(sizes: Sequence[int]) -> str:
    return (
        f"{counted(len(sizes), 'family', 'families')} ({counted(sum(sizes), 'person', 'people')})"
    )


def month_lines(month: Month, notes: Sequence[tuple[str, str]] = ()) -> list[str]:
    """One month of an agreement in a few lines; `notes` are (label, text), e.g. refusals."""
    lines = []
    for proposal_id, families, people, limit in month.pools:
        lines.append(
            f"proposed   pool {proposal_id}: {counted(families, 'family', 'families')},"
            f" {counted(people, 'person', 'people')} (limit {limit})"
        )
    decided = []
    if month.accepted:
        decided.append(f"accepted {_families(month.accepted)}")
    if month.rejected:
        decided.append(f"rejected {sum(month.rejected.values())}: {_counts(month.rejected)}")
    if month.revoked:
        decided.append(f"revoked {sum(month.revoked.values())}: {_counts(month.revoked)}")
    if decided:
        lines.append("receiver   " + "; ".join(decided))
    if month.notices:
        valid = month.notices["served"]
        invalid = Counter({k: v for k, v in month.notices.items() if k != "served"})
        text = f"notices    {valid} served"
        if invalid:
            text += f", {sum(invalid.values())} not service ({_counts(invalid)})"
        if month.notified:
            text += f"; {counted(month.notified, 'family', 'families')} fully notified"
        lines.append(text)
    if month.fear_raised or month.fear_decided:
        text = f"fear       {counted(month.fear_raised, 'claim', 'claims')} raised"
        if month.fear_decided:
            text += f"; decided: {_counts(month.fear_decided)}"
        lines.append(text)
    if month.cleared:
        lines.append(
            f"cleared    {counted(sum(month.cleared.values()), 'family', 'families')},"
            " one sign-off each"
            f" ({_counts(month.cleared)})"
        )
    if month.cancelled:
        lines.append(
            f"cancelled  {sum(month.cancelled.values())}: {_counts(month.cancelled)} (place released)"
        )
    transfers = [f"{month.scheduled} scheduled"] if month.scheduled else []
    if month.transferred:
        transfers.append(f"arrived {_families(month.transferred)}")
    if transfers:
        lines.append("transfers  " + "; ".join(transfers))
    if month.onward:
        lines.append(f"onward     {_counts(month.onward)}")
    if month.check_ins or month.closed:
        text = (
            "check-ins  "
            + ", ".join(f"{n} at {d} days" for d, n in sorted(month.check_ins.items()))
            if month.check_ins
            else "check-ins  none"
        )
        if month.closed:
            text += f"; {counted(month.closed, 'item', 'items')} closed"
        lines.append(text)
    lines += [f"incident   {text}" for text in month.incidents]
    return [escape(line) for line in lines] + [
        f"[yellow]{label:<10}[/] {escape(text)}" for label, text in notes
    ]
