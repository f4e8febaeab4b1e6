"""The web application in a real browser, the way its users work in it: an officer builds and
sends a pool; the receiving state's reviewer reads it through the minimized view, accepts two
families and rejects one with a reason; a reviewer of another state sees nothing of it; the
officer serves notices; a supervisor clears one family; the dashboard reflects every step.
A screenshot of each screen is written to build/screenshots/<test name>/."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.db import unit_of_work
from accord.documents.notice import NoticeFacts, notice_inputs
from accord.documents.templates import LABELS, parse
from accord.documents.typeset import default_typesetter
from accord.models import NoticeRecord
from accord.store import open_store
from accord.workflow.guards import fear_claim_deadline
from tests.e2e.support import DemoServer, Screenshots, demo_database_url
from tests.web.test_leaks import leaks

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

AGREEMENT = "demo-xk-year"


def sign_in(
    browser: Browser, server: DemoServer, role: str, party: str | None = None, start: str = "/"
) -> Page:
    """A fresh browser profile signed in through the sign-in form, sent there from `start`."""
    login = server.login(role, party)  # type: ignore[arg-type]
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(start)
    assert "/login" in page.url  # every page is behind the sign-in
    page.get_by_label("User name").fill(login.username)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:2000]
    return page


def attention_of(page: Page) -> str:
    page.goto("/")
    card = page.locator(f'section[data-agreement="{AGREEMENT}"]')
    return card.inner_text()


def reserved(card_text: str) -> int:
    found = re.search(r"(\d+) used · (\d+) reserved · (\d+) left of 50", card_text)
    assert found, card_text
    return int(found.group(2))


@dataclass(frozen=True)
class Member:
    name: str
    languages: list[str]


def members_of(page: Page) -> dict[str, Member]:
    """The item page's members by case id: the name shown, the languages they speak."""
    rows = page.locator("#h-members").locator("xpath=..").locator("li")
    found = {}
    for name, details in rows.evaluate_all(
        "lis => lis.map(li => [li.querySelector('a').innerText,"
        " li.querySelector('.muted').innerText])"
    ):
        case_id = details.split(" · ")[0].strip()
        spoken = re.search(r"speaks (.+)$", details)
        languages = [] if spoken is None else [s.strip() for s in spoken.group(1).split(",")]
        found[case_id] = Member(name.strip(), [lang for lang in languages if lang != "—"])
    return found


@dataclass(frozen=True)
class Notice:
    notice_id: int
    case_id: str
    recipient: str
    language: str
    href: str
    short_hash: str


def notices_of(page: Page) -> list[Notice]:
    """The notices table of the item page: each notice with its document's link and hash."""
    rows = page.locator("#h-notices").locator("xpath=..").locator("table").first
    found = []
    for cells, href, code in rows.locator("tbody tr").evaluate_all(
        """trs => trs.map(tr => [
            [...tr.querySelectorAll('td')].map(td => td.innerText.trim()),
            tr.querySelector('a[download]')?.getAttribute('href') ?? '',
            tr.querySelector('code')?.innerText.trim() ?? '',
        ])"""
    ):
        notice_id = re.search(r"/notices/(\d+)\.pdf$", href)
        assert notice_id, (cells, href)
        found.append(
            Notice(int(notice_id.group(1)), cells[0], cells[1], cells[3].split(",")[0], href, code)
        )
    return found


@contextmanager
def stored(url: str) -> Iterator[Session]:
    """A read of the demo server's database, beside the server."""
    store = open_store(Settings(database_url=url, auto_migrate=False))
    try:
        with unit_of_work(store.sessions) as session:
            yield session
    finally:
        store.close()


def picture(screenshot: Screenshots, name: str, png: bytes) -> Path:
    """A document's first page, as a PNG beside the test's screenshots."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    screenshot.folder.mkdir(parents=True, exist_ok=True)
    path = screenshot.folder / f"{name}.png"
    path.write_bytes(png)
    return path


def test_a_pool_from_proposal_to_clearance(
    browser: Browser,
    demo_server: DemoServer,
    screenshot: Screenshots,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from playwright.sync_api import expect

    # --- The officer builds and sends a pool ---------------------------------------------------
    officer = sign_in(browser, demo_server, "officer")
    before = attention_of(officer)
    reserved_before = reserved(before)
    screenshot(officer, "officer-dashboard")
    officer.goto(f"/agreements/{AGREEMENT}")
    expect(officer.get_by_role("heading", name="Status timeline")).to_be_visible()
    officer.wait_for_function("document.querySelectorAll('canvas[data-drawn]').length >= 3")
    screenshot(officer, "agreement")
    officer.get_by_role("link", name="Build a proposal for this agreement").click()
    officer.get_by_role("button", name="Run the matcher").click()
    proposal = officer.locator("table.proposal tbody tr")
    expect(proposal.first).to_be_visible(timeout=30_000)  # the matcher runs in the request
    families = proposal.evaluate_all("rows => rows.map(r => r.dataset.family)")
    assert len(families) >= 4, families
    expect(officer.locator("table.proposal")).to_contain_text("score")
    screenshot(officer, "builder-preview")
    left_out = families[-1]
    officer.get_by_label(f"leave out {left_out}", exact=True).check()
    officer.get_by_label(f"reason to leave out {left_out}").fill("asked to wait for counsel")
    officer.get_by_role("button", name="Run again with these changes").click()
    # the matcher runs again within the request (a second on a quiet machine, several on a
    # loaded one): the default five seconds are not the matcher's bound
    expect(officer.locator(f'table.proposal tr[data-family="{left_out}"]')).to_have_count(
        0, timeout=30_000
    )
    expect(officer.locator("#proposal")).to_contain_text("Left out by hand")
    officer.get_by_role("button", name=re.compile("Send the pool to Kosovo")).click()
    expect(officer.locator(".flash.ok")).to_contain_text("sent to Kosovo (XK) for review")
    pool_url = officer.url
    pool_id = int(pool_url.rstrip("/").rsplit("/", 1)[1])
    screenshot(officer, "pool-sent")
    after_sending = attention_of(officer)
    assert f"waiting for review in pool {pool_id}" in after_sending

    # --- The receiving state's reviewer decides, family by family -------------------------------
    reviewer = sign_in(browser, demo_server, "reviewer", "XK", start="/review")
    assert reviewer.url.endswith("/review")
    expect(reviewer.get_by_role("link", name=f"pool {pool_id}")).to_be_visible()
    screenshot(reviewer, "review-queue")
    reviewer.get_by_role("link", name=f"pool {pool_id}").click()
    expect(reviewer.locator("main")).to_contain_text("minimized view")
    assert leaks(reviewer.content()) == []
    screenshot(reviewer, "review-pool")
    rows = reviewer.locator("table.pool tbody tr")
    chosen = rows.evaluate_all("rows => rows.map(r => r.dataset.family)")[:3]
    for family in chosen[:2]:
        row = reviewer.locator(f'tr[data-family="{family}"]')
        row.locator('button[data-action="accept"]').click()
        expect(reviewer.locator(f'tr[data-family="{family}"]')).to_contain_text("accepted")
    rejected = reviewer.locator(f'tr[data-family="{chosen[2]}"]')
    rejected.get_by_label(f"reason for rejecting {chosen[2]}").select_option("public_order")
    rejected.get_by_label(f"reason text for {chosen[2]}").fill("a conviction under review")
    rejected.locator('button[data-action="reject"]').click()
    expect(reviewer.locator(f'tr[data-family="{chosen[2]}"]')).to_contain_text("rejected")
    assert leaks(reviewer.content()) == []
    screenshot(reviewer, "review-decided")
    reviewer_home = attention_of(reviewer)
    assert reserved(reviewer_home) > reserved_before

    # --- A reviewer of another state sees nothing of it ------------------------------------------
    stranger = sign_in(browser, demo_server, "reviewer", "SV")
    assert f"pool {pool_id}" not in stranger.locator("main").inner_text()
    stranger.goto(f"/pools/{pool_id}")
    body = stranger.locator("main").inner_text()
    assert any(word in body for word in ("Not allowed", "Not found")), body
    assert not any(family in body for family in chosen)
    stranger.goto("/")
    assert AGREEMENT not in stranger.locator("main").inner_text()
    screenshot(stranger, "other-state")

    # --- The officer serves notice on the first accepted family ----------------------------------
    officer.goto(pool_url)
    officer.get_by_role("link", name=chosen[0], exact=True).click()
    item_url = officer.url
    expect(officer.locator("main")).to_contain_text("accepted")
    item_id = int(item_url.rstrip("/").rsplit("/", 1)[1])
    people = members_of(officer)
    approved = officer.locator("#n-approved option").evaluate_all("os => os.map(o => o.value)")
    for recipient in ("person", "counsel"):
        for case_id, member in people.items():
            if "accepted" not in officer.locator("#item-state").inner_text():
                break
            form = officer.locator("#form-notice")
            form.locator("#n-case").select_option(case_id)
            form.locator("#n-to").select_option(recipient)
            readable = [lang for lang in member.languages if lang in approved]
            form.locator("#n-lang").fill(readable[0] if recipient == "person" else "en")
            form.get_by_role("button", name="Serve notice").click()
            expect(officer.locator(".flash")).to_be_visible()
    expect(officer.locator("#item-state")).to_contain_text("notified")
    screenshot(officer, "notice-served")

    # --- Each notice's document, downloaded as served: its hash the one recorded -----------------
    served = notices_of(officer)
    assert served and all(
        re.fullmatch(rf"/items/{item_id}/notices/\d+\.pdf", n.href) for n in served
    )
    links = officer.locator("#h-notices").locator("xpath=..").get_by_role("link", name="PDF")
    assert links.evaluate_all("ls => ls.every(l => l.hasAttribute('download'))")
    first = next(n for n in served if n.recipient == "person")
    with officer.expect_download() as downloading:
        officer.locator(f'a[href="{first.href}"]').click()
    pdf = Path(downloading.value.path()).read_bytes()
    digest = hashlib.sha256(pdf).hexdigest()
    assert pdf.startswith(b"%PDF")
    assert len(first.short_hash) == 12 and digest.startswith(first.short_hash)
    answer = officer.request.get(first.href)
    assert answer.ok and answer.headers["x-document-sha256"] == digest
    assert answer.body() == pdf
    text = "\n".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(pdf)).pages)
    assert people[first.case_id].name in text, text

    # --- Served notices as pictures: a Spanish one served here, an Arabic one made up ------------
    spanish = next((n for n in served if n.language == "es"), None)
    assert spanish is not None, f"no notice served in Spanish on family {chosen[0]}: {served}"
    with stored(demo_database_url(tmp_path_factory)) as session:
        record = session.get(NoticeRecord, spanish.notice_id)
        assert record is not None and record.document_inputs is not None
        inputs, recorded = dict(record.document_inputs), record.document_sha256
    typesetter = default_typesetter()
    assert typesetter.render("notice", inputs).sha256 == recorded  # the document served
    assert recorded is not None and recorded.startswith(spanish.short_hash)
    picture(screenshot, "notice-es", typesetter.render("notice", inputs, fmt="png").pdf)
    day = demo_server.clock.now().date()
    arabic = notice_inputs(
        parse(files("accord.documents").joinpath("shipped", "notice-ar-1.yaml").read_text("utf-8")),
        NoticeFacts(
            name="أمينة يوسف",
            case_id="SYN-AR-0001",
            receiver="XK",
            agreement=inputs["facts"][LABELS.index("agreement")][1],  # as served: its title
            served_on=day,
            last_day=fear_claim_deadline(day, 10),
            notice_days=10,
            officer=demo_server.login("officer").username,
            counsel=("ليلى حداد", "counsel@example.org"),
        ),
    )
    picture(screenshot, "notice-ar", typesetter.render("notice", arabic, fmt="png").pdf)
    assert f"notice period of family {chosen[0]}" not in attention_of(officer)  # 10 days out

    # --- Four days on, the dashboard says the notice period ends this week -----------------------
    demo_server.clock.advance(days=4)  # sessions idle that long end: sign in again
    supervisor = sign_in(browser, demo_server, "supervisor")
    assert f"notice period of family {chosen[0]} ends" in attention_of(supervisor)
    screenshot(supervisor, "dashboard-notice-due")

    # --- After the notice period, a supervisor clears that one family ----------------------------
    demo_server.clock.advance(days=7)
    supervisor = sign_in(browser, demo_server, "supervisor")
    supervisor.goto(item_url)
    supervisor.get_by_label(re.compile("medically fit to travel")).check()
    supervisor.get_by_role("button", name=f"Clear family {chosen[0]}").click()
    expect(supervisor.locator(".flash.ok")).to_contain_text("cleared")
    expect(supervisor.locator("#item-state")).to_contain_text("cleared")
    screenshot(supervisor, "cleared")
    supervisor.goto(f"/agreements/{AGREEMENT}")
    pools = supervisor.locator("#h-pools").locator("xpath=..").inner_text()
    assert f"pool {pool_id}" in pools and "cleared" in pools
    final = attention_of(supervisor)
    assert f"notice period of family {chosen[0]}" not in final
    screenshot(supervisor, "dashboard-after")
