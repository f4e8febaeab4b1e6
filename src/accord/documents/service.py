"""Notice templates in the store: the shipped ones, loading a new one, approving one, and
finding the approved template a person can read.

The shipped templates are stored on first use, as they are: the English source approved with
its file's approval, every translation a draft. A translation becomes usable only when a
supervisor of the sender approves it, by name and with a note (a certified translation is a
person's act, never assumed); that, like every load, is an audit event.
"""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.access import RULES, Actor, may_use
from accord.audit.service import Entry, record
from accord.clock import Clock
from accord.documents.templates import NoticeTemplate, parse
from accord.errors import Conflict, Forbidden, NotFound
from accord.models import NoticeTemplateRecord

SHIPPED_BY = "Accord (shipped)"


@cache
def shipped_templates() -> list[NoticeTemplate]:
    """The templates in the package, each checked as any loaded template is (once a process:
    the package's files do not change under it)."""
    folder = files("accord.documents").joinpath("shipped")
    return [
        parse(entry.read_text(encoding="utf-8"), name=f"shipped/{entry.name}")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    ]


def _insert(session: Session, template: NoticeTemplate, by: str, at: dt.datetime) -> None:
    spec = template.spec
    approval = spec.approval if by == SHIPPED_BY and spec.status == "approved" else None
    row = NoticeTemplateRecord(
        language=spec.language,
        version=spec.version,
        source=template.source,
        sha256=template.sha256,
        status="approved" if approval is not None else "draft",
        loaded_by=by,
        loaded_at=at,
        approved_by=approval.by if approval is not None else None,
        approved_at=(
            dt.datetime.combine(approval.date, dt.time(), dt.UTC) if approval is not None else None
        ),
        approval_note=approval.note if approval is not None else None,
    )
    session.add(row)
    session.flush()
    record(
        session,
        by,
        Entry(
            "template.loaded",
            "notice_template",
            str(row.id),
            {
                "language": row.language,
                "version": row.version,
                "sha256": row.sha256,
                "status": row.status,
            },
        ),
        at=at,
    )


def ensure_shipped(session: Session, clock: Clock) -> None:
    """Store every shipped template not stored yet (one savepoint each: a concurrent first use
    stores it once)."""
    stored = {
        (language, version)
        for language, version in session.execute(
            select(NoticeTemplateRecord.language, NoticeTemplateRecord.version)
        )
    }
    for template in shipped_templates():
        if (template.spec.language, template.spec.version) in stored:
            continue
        try:
            with session.begin_nested():
                _insert(session, template, SHIPPED_BY, clock.now())
        except IntegrityError:
            continue


def _staff(actor: Actor, rule: str, may: str) -> None:
    if not may_use(actor.role, rule):
        allowed = " or ".join(sorted(RULES[rule].roles))
        raise Forbidden(f"{actor.name} ({actor.role}) may not {may}; a {allowed} may")


def list_templates(session: Session, actor: Actor, clock: Clock) -> list[NoticeTemplateRecord]:
    _staff(actor, "templates.list", "read the notice templates")
    ensure_shipped(session, clock)
    return list(
        session.scalars(
            select(NoticeTemplateRecord).order_by(
                NoticeTemplateRecord.language, NoticeTemplateRecord.version
            )
        )
    )


def get_template(session: Session, language: str, version: int) -> NoticeTemplateRecord:
    row = session.scalar(
        select(NoticeTemplateRecord).where(
            NoticeTemplateRecord.language == language, NoticeTemplateRecord.version == version
        )
    )
    if row is None:
        raise NotFound(f"no notice template {language} v{version}")
    return row


def load_template(
    session: Session, source: str, name: str, actor: Actor, clock: Clock
) -> tuple[NoticeTemplateRecord, bool]:
    """Store a checked template as a draft (whatever status its file claims); the same text
    again changes nothing. Returns the row and whether it is new."""
    _staff(actor, "templates.load", "load notice templates")
    template = parse(source, name=name)
    ensure_shipped(session, clock)
    spec = template.spec
    existing = session.scalar(
        select(NoticeTemplateRecord).where(
            NoticeTemplateRecord.language == spec.language,
            NoticeTemplateRecord.version == spec.version,
        )
    )
    if existing is not None:
        if existing.sha256 == template.sha256:
            return existing, False
        raise Conflict(
            f"{name}: notice template {template.key} is already loaded with another text; a"
            " changed text is a new version (served notices keep the text they were typeset"
            " from)"
        )
    _insert(session, template, actor.name, clock.now())
    return get_template(session, spec.language, spec.version), True


def approve_template(
    session: Session, language: str, version: int, note: str, actor: Actor, clock: Clock
) -> NoticeTemplateRecord:
    """A supervisor approves a template for service, by name, with a note (who certified the
    translation, and when)."""
    _staff(actor, "templates.approve", "approve notice templates")
    ensure_shipped(session, clock)
    if not note.strip():
        raise Conflict("an approval says why: who certified the translation, and when")
    row = get_template(session, language, version)
    if row.status == "approved":
        raise Conflict(
            f"notice template {language} v{version} was approved by {row.approved_by}"
            f" on {row.approved_at:%Y-%m-%d}"
        )
    row.status = "approved"
    row.approved_by = actor.name
    row.approved_at = clock.now()
    row.approval_note = note.strip()
    record(
        session,
        actor.name,
        Entry(
            "template.approved",
            "notice_template",
            str(row.id),
            {"language": language, "version": version, "sha256": row.sha256, "note": note.strip()},
        ),
        at=clock.now(),
    )
    return row


def approved_template(
    session: Session, language: str, clock: Clock
) -> tuple[NoticeTemplateRecord, NoticeTemplate] | None:
    """The newest approved template in `language`, checked again as it is read."""
    ensure_shipped(session, clock)
    row = session.scalar(
        select(NoticeTemplateRecord)
        .where(NoticeTemplateRecord.language == language, NoticeTemplateRecord.status == "approved")
        .order_by(NoticeTemplateRecord.version.desc())
        .limit(1)
    )
    if row is None:
        return None
    return row, _checked(row.source, f"template {row.language} v{row.version}")


@lru_cache(maxsize=256)
def _checked(source: str, name: str) -> NoticeTemplate:
    """A stored template read and checked once per process (its text never changes)."""
    return parse(source, name=name)


def approved_languages(session: Session, clock: Clock) -> list[str]:
    ensure_shipped(session, clock)
    return sorted(
        set(
            session.scalars(
                select(NoticeTemplateRecord.language).where(
                    NoticeTemplateRecord.status == "approved"
                )
            )
        )
    )


def template_text(session: Session, template_id: int) -> NoticeTemplate:
    row = session.get(NoticeTemplateRecord, template_id)
    if row is None:
        raise NotFound(f"no notice template {template_id}")
    return _checked(row.source, f"template {row.language} v{row.version}")
