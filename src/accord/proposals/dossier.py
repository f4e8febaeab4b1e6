"""The dossier of a pool: a printable PDF of what its reader sees of it, the receiving state's
minimized records of every family first of all (DESIGN §6).

Built from exactly the read model the pool's JSON and page are built from: the pool as
`views.pool_view` lets the actor read it (any other pool is not found, in the same words),
each family's state and its day as `views.pool_seen` shows them to the actor, and the members
through `views.family_members` (the minimized view `accord.cases.minimized`, each read in the
audit log). Nothing here reads a person's record, an item's row or the agreement's other
fields on its own. The inputs are plain JSON data that the Typst program
(`accord/documents/typst/dossier.typ`) shows as text, never as markup.

Typesetting takes a while and runs one document at a time: a request builds the inputs in its
unit of work and typesets them once that has committed (`typeset_dossier`), so the audit
chain's head is never held while a PDF is made; `render_dossier` does both for callers that
hold a session anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from accord.access import Actor
from accord.agreements.views import agreement_seen
from accord.cases.minimized import MinimizedPerson
from accord.documents.typeset import default_typesetter
from accord.proposals import views
from accord.records.countries import country_label

LANGUAGE = "en"
MEDIA_TYPE = "application/pdf"
NONE = "—"
"""What a cell without a value shows."""


def _words(code: str) -> str:
    return code.replace("_", " ")


def _countries(codes: Iterable[str]) -> str:
    return ", ".join(country_label(c) for c in codes) or NONE


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else NONE


def member_fields(member: MinimizedPerson) -> dict[str, str]:
    """One member's minimized record as the dossier prints it, a text per field; health needs
    are empty unless the person consented to share them (the view leaves them out)."""
    document = member.travel_document
    return {
        "case_id": member.case_id,
        "name": f"{member.given_name} {member.family_name}",
        "aliases": ", ".join(member.aliases),
        "relationship": _words(member.relationship),
        "birth_date": member.birth_date.isoformat(),
        "sex": member.sex,
        "nationalities": _countries(member.nationalities),
        "languages": ", ".join(member.languages) or NONE,
        "travel_document": (
            f"{_words(document.type)}, {country_label(document.country)},"
            f" expires {document.expires.isoformat()}"
            if document is not None
            else NONE
        ),
        "convictions": "; ".join(
            f"{_words(c.category)}, {c.date.isoformat()}, {country_label(c.jurisdiction)}"
            + (f", {c.sentence_months} months" if c.sentence_months is not None else "")
            for c in member.convictions
        )
        or NONE,
        "detention_incidents": "; ".join(
            f"{d.date.isoformat()}: {d.kind}" for d in member.detention_incidents
        )
        or NONE,
        "health_needs": "; ".join(member.health_needs),
    }


def dossier_inputs(session: Session, pool_id: int, actor: Actor) -> dict[str, Any]:
    """The dossier's data, as the actor may read the pool: its agreement, its id and day, and
    per family the state the actor sees and every member's minimized record. A pool the actor
    may not read is not found, exactly as `views.pool_view` says for the pool's JSON."""
    view = views.pool_view(session, pool_id, actor)
    pool = views.pool_seen(view.proposal, view.items, actor)
    agreement = agreement_seen(session, actor, pool.agreement_id)
    members = views.family_members(session, view.items, actor)
    facts = [
        ["Agreement", agreement.id],
        ["Title", agreement.title or NONE],
        ["Sending state", country_label(agreement.sender)],
        ["Receiving state", country_label(agreement.receiver)],
        ["Pool", str(pool.id)],
        ["Proposed on", _day(pool.proposed_on)],
        ["Families", str(pool.families)],
        ["People", str(pool.people)],
        ["Pool limit", str(pool.pool_limit)],
        [
            "View",
            "the receiving state's (minimized records)"
            if pool.view == "receiver"
            else "the sending state's staff (minimized records; states as the sender knows them)",
        ],
    ]
    if pool.method is not None:
        facts.append(["Method", pool.method])
    if pool.gap is not None:
        facts.append(["Certified gap", f"{pool.gap * 100:.4f} %"])
    families = []
    for item in pool.items:
        family: dict[str, Any] = {
            "item_id": item.id,
            "family_id": item.family_id,
            "size": item.size,
            "state": item.state,
            "state_since": _day(item.state_since),
            "members": [member_fields(m) for m in members.get(item.id, [])],
        }
        if item.score is not None:
            family["score"] = f"{item.score:.3f}"
        if item.why:
            family["why"] = item.why
        families.append(family)
    title = f"Dossier of pool {pool.id} · {agreement.id}"
    return {
        "lang": LANGUAGE,
        "rtl": False,
        "title": title,
        "facts": facts,
        "families": families,
        "footer": f"Accord · pool {pool.id} · agreement {agreement.id}",
    }


def download_headers(pool_id: int) -> dict[str, str]:
    """How a dossier is served: a download named for its pool."""
    return {"Content-Disposition": f'attachment; filename="pool-{pool_id}-dossier.pdf"'}


def typeset_dossier(inputs: dict[str, Any]) -> bytes:
    """The dossier's PDF: the same inputs give the same bytes."""
    return default_typesetter().render("dossier", inputs).pdf


def render_dossier(session: Session, pool_id: int, actor: Actor) -> bytes:
    """The dossier of a pool as the actor may read it, as PDF bytes."""
    return typeset_dossier(dossier_inputs(session, pool_id, actor))
