"""Written notice (S6): each adult member and their counsel served, in a language they read,
a set number of days before any transfer; serving produces the document.

The document is typeset from the newest approved template in the language served, with the
facts of the day (the receiver named in that language, the last day to raise a fear, counsel,
the interpreter); its inputs, its template and the SHA-256 of its bytes are stored with the
notice and in its audit event, so the paper can be typeset again and proved the same. With no
approved template a person reads there is no service: the refusal says what can be done.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from accord.access import Actor
from accord.audit.service import Entry, record
from accord.clock import Clock, today
from accord.documents import service as templates
from accord.documents.notice import NoticeFacts, notice_inputs
from accord.documents.templates import NoticeTemplate
from accord.documents.typeset import Rendered, default_typesetter
from accord.errors import Conflict, NotFound
from accord.models import NoticeRecord
from accord.proposals import repository
from accord.proposals.service import Moved, _agreement, _authorize, _forward, _item, _members, move
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.workflow.guards import (
    Recipient,
    fear_claim_deadline,
    last_service,
    notice_outcome,
)
from accord.workflow.transitions import (
    BY_ACTION,
    HOLDS_RESERVATION,
    State,
)


@dataclass(frozen=True, slots=True)
class Served:
    """An attempt recorded: its outcome, the move it made, and the document handed over."""

    outcome: str
    moved: Moved | None
    notice_id: int
    document: Rendered


def _template_for(
    session: Session,
    person: PersonRecord,
    recipient: Recipient,
    language: str,
    interpreter: str | None,
    read_in: str | None,
    clock: Clock,
) -> tuple[int, NoticeTemplate]:
    """The approved template to serve with, or the refusal that says what can be done (the
    approved languages are looked up only for a refusal)."""
    if recipient == "person" and interpreter is None and language not in person.languages:
        raise Conflict(
            f"notice (S6): {person.case_id} is not recorded as understanding {language!r} (recorded:"
            f" {', '.join(person.languages) or 'none'}): no service in it; "
            + _alternative(person, templates.approved_languages(session, clock))
        )
    if read_in is not None and interpreter is None:
        raise Conflict(
            "notice (S6): a language read in is recorded with the interpreter who read it"
            " (interpreter)"
        )
    if recipient == "person" and interpreter is not None:
        if read_in is None:
            raise Conflict(
                "notice (S6): a notice read by an interpreter names the language it was read in"
            )
        if read_in not in person.languages:
            raise Conflict(
                f"notice (S6): {person.case_id} is not recorded as understanding {read_in!r} (recorded:"
                f" {', '.join(person.languages) or 'none'}): reading the notice in it is no"
                " service"
            )
    found = templates.approved_template(session, language, clock)
    if found is None:
        approved = templates.approved_languages(session, clock)
        raise Conflict(
            f"notice (S6): no approved notice template in {language!r}: no service in it (approved:"
            f" {', '.join(approved) or 'none'}); " + _alternative(person, approved)
        )
    row, template = found
    return row.id, template


def _alternative(person: PersonRecord, approved: list[str]) -> str:
    readable = [lang for lang in person.languages if lang in approved]
    if readable:
        return f"serve it in {', '.join(readable)}, which {person.case_id} reads"
    if approved:
        spoken = ", ".join(person.languages) or "a language they understand"
        return (
            f"an approved template ({', '.join(approved)}) may be read to {person.case_id} by a"
            f" named interpreter into {spoken} (interpreter, read_in), recorded on the notice"
        )
    return "a supervisor must approve a template first"


def notice_facts(
    person: PersonRecord,
    agreement: AgreementIn,
    notice: NoticeRecord,
    *,
    for_counsel: bool,
) -> NoticeFacts:
    counsel = (person.counsel.name, person.counsel.contact) if person.counsel else None
    return NoticeFacts(
        name=f"{person.given_name} {person.family_name}",
        case_id=person.case_id,
        receiver=agreement.receiver,
        agreement=agreement.title or agreement.id,
        served_on=notice.served_on,
        last_day=fear_claim_deadline(notice.served_on, agreement.notice_days),
        notice_days=max(10, agreement.notice_days),
        officer=notice.by,
        counsel=counsel,
        interpreter=notice.interpreter,
        read_in=notice.read_in,
        for_counsel=for_counsel,
    )


def record_notice(
    session: Session,
    item_id: int,
    case_id: str,
    recipient: Recipient,
    language: str,
    signed: bool,
    actor: Actor,
    clock: Clock,
    *,
    interpreter: str | None = None,
    read_in: str | None = None,
) -> Served:
    """Serve notice: typeset the document and record the attempt; when every adult and counsel
    is validly served, an accepted item becomes `notified`. Notice may be served while the item
    holds its place (a child who turns 18, counsel instructed later, a claim raised before
    notice): clearance, scheduling and transfer check the notice period again."""
    item = _item(session, item_id)
    # Lock the agreement now, before the notice's audit entry locks the chain: every move takes
    # item, agreement, then chain, and another order deadlocks against a concurrent move.
    agreement = _agreement(session, item.agreement_id, lock=True)
    _authorize(actor, BY_ACTION["notify"], agreement)
    if State(item.state) not in HOLDS_RESERVATION:
        raise Conflict(
            f"notice is served on items holding a place (accepted to scheduled);"
            f" item {item.id} is {item.state}"
        )
    members = _members(session, item)
    person = next((m for m in members if m.case_id == case_id), None)
    if person is None:
        raise NotFound(f"{case_id} is not a member of family {item.family_id}")
    if recipient == "counsel" and person.counsel is None:
        raise Conflict(f"{case_id} has no counsel on record")
    if recipient == "counsel":
        interpreter = read_in = None
    template_id, template = _template_for(
        session, person, recipient, language, interpreter, read_in, clock
    )
    _forward(session, item, clock.now())
    day = today(clock)
    outcome = notice_outcome(person, recipient, read_in or language, signed)
    notice = NoticeRecord(
        item_id=item.id,
        case_id=case_id,
        recipient=recipient,
        served_on=day,
        language=language,
        outcome=outcome,
        by=actor.name,
        template_id=template_id,
        interpreter=interpreter,
        read_in=read_in,
    )
    inputs = notice_inputs(
        template, notice_facts(person, agreement, notice, for_counsel=recipient == "counsel")
    )
    document = default_typesetter().render("notice", inputs)
    notice.document_inputs = inputs
    notice.document_sha256 = document.sha256
    notice.renderer = document.renderer
    session.add(notice)
    session.flush()
    record(
        session,
        actor.name,
        Entry(
            "notice.recorded",
            "proposal_item",
            str(item.id),
            {
                "case": case_id,
                "recipient": recipient,
                "language": language,
                "outcome": outcome,
                "notice": notice.id,
                "template": f"{template.key} {template.sha256}",
                "document_sha256": document.sha256,
                **({"interpreter": interpreter, "read_in": read_in} if interpreter else {}),
            },
        ),
        at=clock.now(),
    )
    session.flush()
    served = last_service(
        members, repository.notices(session, item.id), day, accepted_on=item.reserved_on
    )
    moved = None
    if item.state == State.ACCEPTED.value and served is not None:
        moved = move(session, item.id, "notify", actor, clock)
    return Served(outcome, moved, notice.id, document)


@dataclass(frozen=True, slots=True)
class Copy:
    """A served notice typeset again, beside what was recorded when it was served."""

    notice: NoticeRecord
    document: Rendered

    @property
    def matches(self) -> bool:
        return self.document.sha256 == self.notice.document_sha256


def served_document(session: Session, item_id: int, notice_id: int, actor: Actor) -> Copy:
    """A served notice's document for the sender's staff (to anyone else it does not exist),
    typeset again and refused if its bytes are no longer those served (a changed typesetter
    or fonts): what is handed out is always the document whose hash was recorded."""
    from accord.proposals import views

    found = [n for n in views.notice_documents(session, item_id, actor) if n.id == notice_id]
    if not found:
        raise NotFound(f"no notice document {notice_id} on item {item_id}")
    copy = notice_copy(session, notice_id)
    if not copy.matches:
        raise Conflict(
            f"notice {notice_id} typeset again does not match the document served (served by"
            f" {copy.notice.renderer}, now {copy.document.renderer}): restore that typesetter"
            " and fonts to reproduce it"
        )
    return copy


def notice_copy(session: Session, notice_id: int) -> Copy:
    """Typeset a served notice again from its stored template and inputs (the caller has
    checked the reader may read the item)."""
    notice = session.get(NoticeRecord, notice_id)
    if notice is None or notice.document_inputs is None or notice.template_id is None:
        raise NotFound(f"no notice document {notice_id}")
    templates.template_text(session, notice.template_id)  # still readable and checked
    document = default_typesetter().render("notice", dict(notice.document_inputs))
    return Copy(notice, document)
