"""Publishing a transparency release, reading the published ones, and tracing a figure back to
the ledger rows and decisions behind it.

A release is computed once per quarter, scope and threshold, and stored as published: asking
again gives the same document and so the same bytes. Its suppression is checked against every
release published before it (any quarter, any scope), so no difference of two releases gives
back a small count. Publishing is an audit event carrying the manifest's SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import RULES, Actor, may_use
from accord.agreements.views import visible_agreement
from accord.audit.service import Entry, record
from accord.clock import Clock, today
from accord.errors import Conflict, Forbidden, NotFound
from accord.models import ReportRelease
from accord.transparency import formats
from accord.transparency.facts import report_input
from accord.transparency.model import Fact, Quarter
from accord.transparency.release import ALL, SPANS, TABLES, Release, build


@dataclass(frozen=True)
class Published:
    release: Release
    files: dict[str, bytes]
    manifest: bytes
    new: bool

    @property
    def manifest_sha256(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()


def _allowed(actor: Actor, rule: str, may: str) -> None:
    if not may_use(actor.role, rule):
        allowed = " or ".join(sorted(RULES[rule].roles))
        raise Forbidden(f"{actor.name} ({actor.role}) may not {may}; a {allowed} may")


def _stored(session: Session, period: str, scope: str, threshold: int) -> ReportRelease | None:
    return session.scalar(
        select(ReportRelease).where(
            ReportRelease.period == period,
            ReportRelease.scope == scope,
            ReportRelease.threshold == threshold,
        )
    )


def _from_document(document: str, *, new: bool) -> Published:
    """A release as published: read back from its stored document and rendered once, so the
    first publication and every later one give the same bytes."""
    release = formats.release_from_document(json.loads(document))
    files = formats.render_all(release)
    return Published(release, files, formats.manifest(files), new=new)


def publish(
    session: Session,
    quarter: Quarter,
    actor: Actor,
    clock: Clock,
    *,
    threshold: int,
    agreement_id: str | None = None,
) -> Published:
    """The release of `quarter` (of one agreement, or of all): computed and stored the first
    time, the stored one after; only once the quarter has ended."""
    _allowed(actor, "reports.publish", "publish a transparency report")
    if agreement_id is not None:
        visible_agreement(session, actor, agreement_id)
    if quarter.end > today(clock):
        raise Conflict(f"{quarter} ends on {quarter.end}: a quarter is published once it has ended")
    scope = agreement_id or ALL
    stored = _stored(session, str(quarter), scope, threshold)
    if stored is not None:
        return _from_document(stored.document, new=False)
    earlier = [
        {"period": f"{r.period}/{r.scope}/{r.threshold}", "cells": json.loads(r.cells)}
        for r in session.scalars(select(ReportRelease).order_by(ReportRelease.id))
    ]
    built = build(
        report_input(session, quarter, agreement_id), threshold, scope=scope, earlier=earlier
    )
    document = formats.to_json(built).decode()
    done = _from_document(document, new=True)
    release, files, digest = done.release, done.files, done.manifest_sha256
    session.add(
        ReportRelease(
            period=str(quarter),
            scope=scope,
            threshold=threshold,
            document=document,
            cells=json.dumps(built.stored_cells, sort_keys=True, separators=(",", ":")),
            manifest_sha256=digest,
            published_by=actor.name,
            published_at=clock.now(),
        )
    )
    record(
        session,
        actor.name,
        Entry(
            "report.published",
            "report",
            f"{quarter}/{scope}",
            {
                "threshold": threshold,
                "manifest_sha256": digest,
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
                "suppressed": {"small": release.primary, "secondary": release.secondary},
            },
        ),
        at=clock.now(),
    )
    return done


def releases(session: Session, actor: Actor) -> list[ReportRelease]:
    """The releases published, newest first (what monitors and the public may read)."""
    _allowed(actor, "reports.read", "read the transparency reports")
    return list(
        session.scalars(
            select(ReportRelease).order_by(ReportRelease.period.desc(), ReportRelease.id.desc())
        )
    )


def published(session: Session, release_id: int, actor: Actor) -> Published:
    _allowed(actor, "reports.read", "read the transparency reports")
    stored = session.get(ReportRelease, release_id)
    if stored is None:
        raise NotFound(f"no transparency release {release_id}")
    return _from_document(stored.document, new=False)


@dataclass(frozen=True)
class Explanation:
    cell: str
    published: str
    """The value as published, or why it was not."""
    facts: list[Fact]
    stock_sources: list[str]


def explain(
    session: Session,
    quarter: Quarter,
    cell: str,
    actor: Actor,
    *,
    threshold: int,
    agreement_id: str | None = None,
) -> Explanation:
    """Every ledger row and decision behind one figure (`table/row/column/span`): for the
    sender's staff, who may trace a published number to the individual records."""
    _allowed(actor, "reports.explain", "trace a report's figures to their records")
    parts = cell.split("/")
    if len(parts) != 4 or parts[3] not in SPANS:
        raise NotFound(f"{cell!r} is not a cell: table/row/column/span, span period or cumulative")
    table_id, row, column_id, span = parts
    spec = next((t for t in TABLES if t.id == table_id), None)
    if spec is None:
        raise NotFound(f"no table {table_id!r}: {', '.join(t.id for t in TABLES)}")
    data = report_input(session, quarter, agreement_id)
    agreements = {a.id for a in data.agreements}
    if row != ALL and row not in agreements:
        raise NotFound(f"no agreement {row!r} in this report")
    if spec.categories_of:
        measure, category = spec.categories_of, (None if column_id == "total" else column_id)
        stock = False
    else:
        found = next((c for c in spec.columns if c.id == column_id), None)
        if found is None:
            raise NotFound(
                f"no column {column_id!r} in {table_id}: {', '.join(c.id for c in spec.columns)}"
            )
        measure, category, stock = found.measure, found.category, found.stock
    start = quarter.start if span == "period" else dt.date.min
    members = agreements if row == ALL else {row}
    facts = [
        f
        for f in data.facts
        if f.agreement in members
        and f.measure == measure
        and (category is None or f.category == category)
        and start <= f.day <= quarter.end
    ]
    stock_sources = [
        source
        for s in data.stocks
        if stock and s.agreement in members and s.quarter == quarter
        for source in s.sources
    ]
    stored = _stored(session, str(quarter), agreement_id or ALL, threshold)
    shown = "not published yet"
    if stored is not None:
        document: dict[str, Any] = json.loads(stored.document)
        for table in document["tables"]:
            if table["id"] != table_id:
                continue
            for figure in table["cells"]:
                if (figure["row"], figure["column"], figure["span"]) == (row, column_id, span):
                    shown = (
                        str(figure["value"])
                        if figure["suppressed"] is None
                        else f"suppressed ({figure['suppressed']})"
                    )
    return Explanation(cell, shown, facts, stock_sources)
