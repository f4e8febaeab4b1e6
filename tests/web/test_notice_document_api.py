"""The notice document over HTTP: served through the API (its hash answered), fetched as a PDF
by the sender's staff (the same bytes, the hash in a header, the read audited); a receiver's or
a monitor's role reads no notice (403), and a missing one is not found."""

from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader
from sqlalchemy import select

from accord.db import unit_of_work
from accord.models import AuditEvent, NoticeRecord
from tests.web.support import World


def test_a_notice_served_through_the_api_is_fetched_as_the_same_pdf(world: World) -> None:
    item = world.items["F-A1"]
    served = world.post(f"/items/{item}/notify", "olga", json={"case_id": "A1", "language": "es"})
    assert served.status_code == 200, served.text
    answer = served.json()
    assert answer["outcome"] == "served"
    digest, notice = answer["document_sha256"], answer["notice_id"]
    got = world.get(f"/items/{item}/notices/{notice}.pdf", "olga")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-document-sha256"] == digest == hashlib.sha256(got.content).hexdigest()
    assert "attachment" in got.headers["content-disposition"]
    assert "A1" in PdfReader(io.BytesIO(got.content)).pages[0].extract_text()
    with unit_of_work(world.store.sessions) as session:
        stored = session.get(NoticeRecord, notice)
        assert stored is not None and stored.document_sha256 == digest
        reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.read"))
        assert any(e.data["notices"] == [notice] for e in reads)


def test_a_receiver_or_monitor_finds_no_notice_document(world: World) -> None:
    item = world.items["F-A1"]
    served = world.post(
        f"/items/{item}/notify", "olga", json={"case_id": "A1", "language": "es"}
    ).json()
    path = f"/items/{item}/notices/{served['notice_id']}.pdf"
    missing = world.get(f"/items/{item}/notices/999999.pdf", "olga")
    assert missing.status_code == 404
    for user in ("rita", "mona"):
        answer = world.get(path, user)
        assert answer.status_code == 403, (user, answer.status_code)  # no role of theirs reads one
        assert "%PDF" not in answer.text


def test_a_refused_service_answers_409_and_writes_nothing(world: World) -> None:
    item = world.items["F-A1"]
    with unit_of_work(world.store.sessions) as session:
        before = len(session.scalars(select(NoticeRecord)).all())
    refused = world.post(f"/items/{item}/notify", "olga", json={"case_id": "A1", "language": "ar"})
    assert refused.status_code == 409
    assert "not recorded as understanding 'ar'" in refused.json()["detail"]
    with unit_of_work(world.store.sessions) as session:
        assert len(session.scalars(select(NoticeRecord)).all()) == before
