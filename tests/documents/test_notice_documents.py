"""Serving notice produces the document (S6), on SQLite and PostgreSQL: typeset from the
approved template in a language the person understands, with the receiver named in that
language and the last day to raise a fear; its SHA-256 kept with the notice and its audit
event, and the same bytes typeset again. Each refusal writes nothing."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from accord.audit.service import verify
from accord.clock import SetClock
from accord.db import unit_of_work
from accord.documents import service as templates
from accord.documents.notice import NoticeFacts, notice_inputs
from accord.documents.templates import parse
from accord.documents.typeset import default_typesetter
from accord.errors import Conflict, InvalidInput
from accord.models import AuditEvent, NoticeRecord, NoticeTemplateRecord
from accord.proposals.notices import notice_copy, record_notice
from accord.store import Store
from tests.conftest import IN_CI
from tests.proposals.support import (
    OFFICER,
    START,
    SUPERVISOR,
    accept,
    import_records,
    load_agreement,
    propose,
    run,
)
from tests.support import person

BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def clock() -> SetClock:
    return SetClock.on(START)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def accepted(store: Store, tmp_path: Path, clock: SetClock, **record: object) -> int:
    """One adult, proposed and accepted today."""
    import_records(store, tmp_path, [person("P1", **record)])
    [item] = propose(store, clock, ["F-P1"])
    accept(store, clock, item)
    return item


def written(store: Store) -> tuple[int, int]:
    """Notices stored, and `notice.recorded` audit events."""
    with unit_of_work(store.sessions) as session:
        notices = session.scalar(select(func.count()).select_from(NoticeRecord)) or 0
        events = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "notice.recorded")
        )
        return notices, events or 0


def test_a_notice_served_in_spanish_names_the_person_the_receiver_and_the_last_day(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    item = accepted(store, tmp_path, clock, given_name="María José", family_name="Pérez")
    served = run(store, record_notice, item, "P1", "person", "es", True, OFFICER, clock)
    assert served.outcome == "served" and served.moved is not None
    reader = PdfReader(io.BytesIO(served.document.pdf))
    assert reader.trailer["/Root"]["/Lang"] == "es"
    text = text_of(served.document.pdf)
    assert "María José Pérez" in text and "P1" in text
    assert "Kosovo" in text
    # Served on 12 January; ten whole days after it, the day of service not counted.
    assert "22 de enero de 2026 (2026-01-22)" in text
    assert "12 de enero de 2026 (2026-01-12)" in text
    assert "olga" in text  # the officer to tell
    with unit_of_work(store.sessions) as session:
        notice = session.get(NoticeRecord, served.notice_id)
        assert notice is not None
        assert notice.document_sha256 == served.document.sha256
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "notice.recorded")
        ).all()
        assert event.data["document_sha256"] == served.document.sha256
        assert event.data["notice"] == served.notice_id
        assert verify(session).ok


def test_the_same_notice_typeset_again_gives_the_same_bytes(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    item = accepted(store, tmp_path, clock)
    served = run(store, record_notice, item, "P1", "person", "es", True, OFFICER, clock)
    with unit_of_work(store.sessions) as session:
        first, second = (
            notice_copy(session, served.notice_id),
            notice_copy(session, served.notice_id),
        )
    assert first.matches and second.matches
    assert first.document.pdf == second.document.pdf == served.document.pdf


def test_a_notice_in_russian_names_kosovo_in_russian(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    item = accepted(store, tmp_path, clock, languages=["ru"], nationalities=["RU"])
    served = run(store, record_notice, item, "P1", "person", "ru", True, OFFICER, clock)
    text = text_of(served.document.pdf)
    assert "Косово" in text
    assert "22 января 2026" in text and "(2026-01-22)" in text
    assert PdfReader(io.BytesIO(served.document.pdf)).trailer["/Root"]["/Lang"] == "ru"


def test_a_language_the_person_does_not_understand_is_refused_and_writes_nothing(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    item = accepted(store, tmp_path, clock, languages=["es"])
    before = written(store)
    with pytest.raises(Conflict) as info:
        run(store, record_notice, item, "P1", "person", "en", True, OFFICER, clock)
    assert (
        "notice (S6): P1 is not recorded as understanding 'en' (recorded: es)" in info.value.detail
    )
    assert "serve it in es, which P1 reads" in info.value.detail
    assert written(store) == before


def test_no_approved_template_in_the_persons_language_is_refused_and_offers_the_interpreter(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """Arabic is a draft in the test databases: no service in it; the refusal offers an
    approved template read by a named interpreter, which is then valid service, recorded."""
    load_agreement(store)
    item = accepted(store, tmp_path, clock, languages=["ar"], nationalities=["SO"])
    before = written(store)
    with pytest.raises(Conflict) as info:
        run(store, record_notice, item, "P1", "person", "ar", True, OFFICER, clock)
    detail = info.value.detail
    assert "notice (S6): no approved notice template in 'ar'" in detail
    assert "may be read to P1 by a named interpreter into ar" in detail
    assert written(store) == before
    served = run(
        store,
        record_notice,
        item,
        "P1",
        "person",
        "en",
        True,
        OFFICER,
        clock,
        interpreter="K. Haddad",
        read_in="ar",
    )
    assert served.outcome == "served"
    text = text_of(served.document.pdf)
    assert "This notice was read to you in Arabic by K. Haddad, interpreter" in text
    with unit_of_work(store.sessions) as session:
        notice = session.get(NoticeRecord, served.notice_id)
        assert notice is not None and (notice.interpreter, notice.read_in) == ("K. Haddad", "ar")


def test_a_template_with_a_bad_placeholder_is_not_loaded(store: Store, clock: SetClock) -> None:
    source = (
        files("accord.documents")
        .joinpath("shipped", "notice-en-1.yaml")
        .read_text("utf-8")
        .replace("version: 1", "version: 2")
        .replace("{officer}", "{oficer}", 1)
    )
    with unit_of_work(store.sessions) as session:
        before = session.scalar(select(func.count()).select_from(NoticeTemplateRecord))
    with pytest.raises(InvalidInput) as info, unit_of_work(store.sessions) as session:
        templates.load_template(session, source, "en-2.yaml", SUPERVISOR, clock)
    assert "unknown placeholder {oficer}" in str(info.value)
    assert re.search(r"line \d+, column \d+ \(text\.body\.1\)", str(info.value))
    with unit_of_work(store.sessions) as session:
        assert session.scalar(select(func.count()).select_from(NoticeTemplateRecord)) == before


def test_a_loaded_template_is_a_draft_until_a_supervisor_approves_it(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """Loading never approves (whatever the file claims); the approval is named, noted and
    audited; an officer may not approve."""
    source = (
        files("accord.documents")
        .joinpath("shipped", "notice-en-1.yaml")
        .read_text("utf-8")
        .replace("version: 1", "version: 2")
    )
    with unit_of_work(store.sessions) as session:
        row, new = templates.load_template(session, source, "en-2.yaml", SUPERVISOR, clock)
        assert new and row.status == "draft"
    with pytest.raises(Exception, match="may not approve"), unit_of_work(store.sessions) as s:
        templates.approve_template(s, "en", 2, "certified", OFFICER, clock)
    with unit_of_work(store.sessions) as session:
        row = templates.approve_template(
            session, "en", 2, "certified by A. Translator on 2026-01-10", SUPERVISOR, clock
        )
        assert (row.status, row.approved_by) == ("approved", "sam")
        approved = templates.approved_template(session, "en", clock)
        assert approved is not None and approved[0].version == 2
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "template.approved")
            .order_by(AuditEvent.seq.desc())
        ).first()
        assert event is not None and event.data["note"].startswith("certified by A. Translator")


def test_counsel_receives_a_copy_marked_as_counsels(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    item = accepted(
        store, tmp_path, clock, counsel={"name": "Lee Counsel", "contact": "lee@example.org"}
    )
    person_copy = run(store, record_notice, item, "P1", "person", "es", True, OFFICER, clock)
    assert "Lee Counsel (lee@example.org)" in text_of(person_copy.document.pdf)
    counsel = run(store, record_notice, item, "P1", "counsel", "en", True, OFFICER, clock)
    text = text_of(counsel.document.pdf)
    assert text.startswith("Copy for counsel: Lee Counsel")
    assert counsel.moved is not None and counsel.moved.to_state == "notified"


def test_an_arabic_notice_reads_in_logical_order() -> None:
    """Typeset right to left, and read back (poppler's pdftotext, as viewers search and copy)
    in the order it is written: the heading and the receiver's name as in the template."""
    if shutil.which("pdftotext") is None:
        if IN_CI:
            pytest.fail("pdftotext (Debian's poppler-utils) is missing under CI")
        pytest.skip("pdftotext (Debian's poppler-utils) is not installed: make fonts")
    source = files("accord.documents").joinpath("shipped", "notice-ar-1.yaml").read_text("utf-8")
    template = parse(source)
    facts = NoticeFacts("أمينة يوسف", "C-0042", "XK", "US-XK", START, START, 10, "J. Officer")
    inputs = notice_inputs(template, facts)
    pdf = default_typesetter().render("notice", inputs).pdf
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == "ar"
    extracted = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    plain = BIDI_CONTROLS.sub("", extracted)
    assert inputs["title"] in plain
    assert "كوسوفو" in plain
    assert "أمينة يوسف" in plain
    first_words = " ".join(inputs["paragraphs"][1].split()[:4])
    assert first_words in " ".join(plain.split())


def test_a_language_read_in_without_the_interpreter_who_read_it_is_refused(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    item = accepted(store, tmp_path, clock, languages=["es"])
    before = written(store)
    with pytest.raises(Conflict, match="recorded with the interpreter who read it"):
        run(store, record_notice, item, "P1", "person", "es", True, OFFICER, clock, read_in="fr")
    assert written(store) == before
