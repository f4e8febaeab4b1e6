"""Non-interference, the property that defines the receiver's boundary (DESIGN §6, issue 14).

Hypothesis builds pairs of worlds that agree on everything a receiving state or a monitor may
know — the families and their minimized records, which were proposed, what the receiver did,
the days a family left the pool, a transfer was scheduled, called off or happened — and differ
in everything they may not: protection and fear claims with their dates and outcomes, the
interviews, health without consent, vulnerabilities and their assessments, counsel, notices and
their outcomes, and the cause, reason and text of every sender-side hold or cancellation (a
withdrawal, a stay, an appeal, a new claim, changed case records, an upheld fear claim). Both
worlds run on the real migrations, services and application; the same reviewer and monitor
requests are played on both — API reads, pages, and the receiver's own moves at the end — and
every answer must be equal once ids and tokens are normalised. A PDF (the pool's dossier) is
compared on its bytes: typesetting is deterministic (no creation date, no random id), so equal
bytes are equal text, layout and metadata, which is stronger than the text alone and spares
reading every PDF back (its text is read only to explain a difference).

Runs on SQLite: the property is the application's; the databases are exercised elsewhere.
`NONINTERFERENCE_EXAMPLES` world pairs per run (CI: see its value below).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from accord.cases.reader import Row
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.proposals import case_facts, fear_claims, movement, notices, pools, repository, service
from accord.proposals.case_facts import import_case_files
from accord.proposals.pools import PoolFamily
from accord.records.person import PersonRecord
from accord.store import open_store
from accord.web.app import create_app
from tests.proposals.support import (
    AGREEMENT,
    OFFICER,
    REVIEWER,
    START,
    SUPERVISOR,
    load_agreement,
)
from tests.support import person
from tests.web.pages_support import login_token
from tests.web.support import PASSWORD, sign_up

NONINTERFERENCE_EXAMPLES = int(os.environ.get("ACCORD_NONINTERFERENCE_EXAMPLES", "200"))
"""World pairs per run: 200 by default (CI included), each world of one to four families;
raise it for a longer search (`ACCORD_NONINTERFERENCE_EXAMPLES=2000`)."""

SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None
"""Where the worlds' database files live: memory where the system has it (each world commits
a few dozen times, and the files are thrown away)."""

END = 50
"""The day (after START) the receiver and the monitor look, and act."""

FATES = ("rejected", "proposed", "held", "withdrawn", "scheduled", "transferred", "called_off")
"""What a receiver can see happen to a family: the low part of a world."""


@dataclass(frozen=True)
class Low:
    """One family as the receiver may know it."""

    child: bool
    fate: str
    day: int
    """The day it was withdrawn (for `withdrawn`)."""


@dataclass(frozen=True)
class High:
    """One family's protected facts and the sender's hidden steps."""

    counsel: bool
    health: bool
    protected_elsewhere: bool
    vulnerable: bool
    refused_notice: bool
    withdrawal: str
    """How it leaves: withdraw, stay, appeal, new_claim, case_file, fear_upheld."""
    path: str
    """How it reaches a schedule: plain, or through a refused fear claim."""
    hold: str
    """What stays hidden while it sits accepted: nothing, notice, claim, refused."""
    reason: str


low_family = st.builds(
    Low,
    child=st.booleans(),
    fate=st.sampled_from(FATES),
    day=st.integers(4, 30),
)
high_family = st.builds(
    High,
    counsel=st.booleans(),
    health=st.booleans(),
    protected_elsewhere=st.booleans(),
    vulnerable=st.booleans(),
    refused_notice=st.booleans(),
    withdrawal=st.sampled_from(
        ["withdraw", "stay", "appeal", "new_claim", "case_file", "fear_upheld"]
    ),
    path=st.sampled_from(["plain", "fear"]),
    hold=st.sampled_from(["nothing", "notice", "claim", "refused"]),
    reason=st.text(alphabet="abcdefghij klmnop", min_size=3, max_size=30),
)


@st.composite
def world_pairs(draw: st.DrawFn) -> tuple[list[Low], list[High], list[High]]:
    lows = draw(st.lists(low_family, min_size=1, max_size=4))
    return (
        lows,
        draw(st.lists(high_family, min_size=len(lows), max_size=len(lows))),
        draw(st.lists(high_family, min_size=len(lows), max_size=len(lows))),
    )


# --- One world --------------------------------------------------------------------------------


def records(n: int, low: Low, high: High) -> list[dict[str, Any]]:
    """The family's case records: what the receiver may see is the same in every world."""
    protected: dict[str, Any] = {"medical_fit": True}
    if high.counsel:
        protected["counsel"] = {"name": f"Counsel {n}", "contact": f"c{n}@example.org"}
    if high.health:
        protected["health_needs"] = ["insulin-dependent diabetes"]
    if high.protected_elsewhere:
        protected["protection"] = [
            {"type": "withholding", "status": "granted", "against": "ER", "date": "2024-05-01"}
        ]
    if high.vulnerable:
        protected["vulnerabilities"] = ["torture_survivor"]
        protected["assessments"] = [
            {"rule": "S8", "by": "sam", "date": "2025-12-01", "reason": "seen; fit to travel"}
        ]
    family = f"F-{n}"
    people = [person(f"H{n}", family, **protected)]
    if low.child:
        people.append(
            person(f"C{n}", family, relationship="child", birth_date="2016-03-01", medical_fit=True)
        )
    return people


Step = tuple[int, int, int, Callable[..., Any]]
"""(day, family, order within the day, the call on a session and a clock)."""


def steps(n: int, item: int, low: Low, high: High) -> list[Step]:
    """The sender's and receiver's moves for one family, each on its day."""
    head = f"H{n}"
    out: list[Step] = []

    def at(day: int, order: int, call: Callable[..., Any]) -> None:
        out.append((day, n, order, call))

    def notice(day: int) -> None:
        if high.refused_notice:  # the Russian template read to them in Spanish; not signed
            at(
                day,
                0,
                lambda s, c: notices.record_notice(
                    s,
                    item,
                    head,
                    "person",
                    "ru",
                    False,
                    OFFICER,
                    c,
                    interpreter="K. Haddad",
                    read_in="es",
                ),
            )
        if high.counsel:
            at(
                day,
                1,
                lambda s, c: notices.record_notice(
                    s, item, head, "counsel", "en", True, OFFICER, c
                ),
            )
        at(
            day,
            2,
            lambda s, c: notices.record_notice(s, item, head, "person", "es", True, OFFICER, c),
        )

    def claim(day: int, decide_on: int | None, outcome: str) -> None:
        at(day, 3, lambda s, c: fear_claims.claim_fear(s, item, head, OFFICER, c))
        at(
            day,
            4,
            lambda s, c: fear_claims.schedule_interview(
                s, item, c.now() + dt.timedelta(hours=72), OFFICER, c
            ),
        )
        if decide_on is not None:
            at(decide_on, 5, lambda s, c: fear_claims.decide_fear(s, item, outcome, OFFICER, c))

    def cleared_and_scheduled() -> None:
        notice(1)
        if high.path == "fear":
            claim(2, 5, "negative")
            clear_day = 21
        else:
            clear_day = 12
        at(
            clear_day,
            6,
            lambda s, c: movement.clear(s, item, SUPERVISOR, c, medical_confirmed=True),
        )
        at(
            40,
            7,
            lambda s, c: movement.schedule(s, item, START + dt.timedelta(days=45), OFFICER, c),
        )

    if low.fate in ("proposed", "rejected"):
        return out
    if low.fate == "held":
        if high.hold != "nothing":
            notice(1)
        if high.hold in ("claim", "refused"):
            claim(2, 5 if high.hold == "refused" else None, "negative")
    elif low.fate == "withdrawn":
        if high.withdrawal == "fear_upheld":
            claim(low.day - 3, low.day, "positive")
        elif high.withdrawal == "withdraw":
            at(low.day, 8, lambda s, c: service.withdraw(s, item, high.reason or "x", OFFICER, c))
        elif high.withdrawal == "case_file":
            changed = PersonRecord.model_validate(
                {**records(n, low, high)[0], "stay_of_removal": True}
            )
            at(
                low.day,
                8,
                lambda s, c: import_case_files(
                    s, [Row("file:1", changed)], source="file", actor=SUPERVISOR, clock=c
                ),
            )
        else:
            change = high.withdrawal
            against = "ER" if change == "new_claim" else None
            at(
                low.day,
                8,
                lambda s, c: case_facts.record_case_change(
                    s, head, change, OFFICER, c, against=against
                ),
            )
    else:
        cleared_and_scheduled()
        if low.fate == "transferred":
            at(45, 9, lambda s, c: movement.confirm_arrival(s, item, REVIEWER, c))
        if low.fate == "called_off":
            claim(42, 45 if high.path == "fear" else None, "negative")
    return out


@dataclass
class Base:
    """A migrated database with the demo agreement and the test accounts, copied per world."""

    path: Path
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def base(sqlite_template: Path, cheap_argon2: None) -> Iterator[Base]:
    folder = Path(tempfile.mkdtemp(prefix="accord-ni-", dir=SCRATCH))
    path = folder / "base.db"
    shutil.copyfile(sqlite_template, path)
    store = open_store(Settings(database_url=f"sqlite:///{path}"))
    clock = SetClock.on(START - dt.timedelta(days=30))
    try:
        load_agreement(store)
        tokens = sign_up(store, clock)
    finally:
        store.close()
    yield Base(path, tokens)
    shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def world(base: Base, lows: list[Low], highs: list[High]) -> Iterator[tuple[TestClient, SetClock]]:
    """One world played to day END, with the application running on it."""
    folder = Path(tempfile.mkdtemp(prefix="accord-w-", dir=SCRATCH))
    path = folder / "accord.db"
    shutil.copyfile(base.path, path)
    settings_ = Settings(database_url=f"sqlite:///{path}", auto_migrate=False)  # a migrated copy
    store = open_store(settings_)
    clock = SetClock.on(START)
    try:
        with unit_of_work(store.sessions) as session:
            rows = [
                Row(f"people:{n}", PersonRecord.model_validate(r))
                for n, (low, high) in enumerate(zip(lows, highs, strict=True))
                for r in records(n, low, high)
            ]
            import_case_files(session, rows, source="people", actor=SUPERVISOR, clock=clock)
        with unit_of_work(store.sessions) as session:
            pool = pools.create_pool(
                session,
                AGREEMENT,
                [PoolFamily(f"F-{n}") for n in range(len(lows))],
                OFFICER,
                clock,
                method="screening",
                pool_limit=75,
            )
            items = {
                int(i.family_id.removeprefix("F-")): i.id
                for i in repository.items(session, proposal_id=pool.id)
            }
        for n, low in enumerate(lows):
            with unit_of_work(store.sessions) as session:
                if low.fate == "rejected":
                    service.move(
                        session,
                        items[n],
                        "reject",
                        REVIEWER,
                        clock,
                        reason_code="criteria",
                        reason_text="our own reason",
                    )
                elif low.fate != "proposed":
                    service.move(session, items[n], "accept", REVIEWER, clock)
        plan = sorted(
            (
                step
                for n, (low, high) in enumerate(zip(lows, highs, strict=True))
                for step in steps(n, items[n], low, high)
            ),
            key=lambda s: (s[0], s[1], s[2]),
        )
        for day, _, _, call in plan:
            moment = SetClock.on(START + dt.timedelta(days=day)).now()
            if moment > clock.now():
                clock.at = moment
            with unit_of_work(store.sessions) as session:
                call(session, clock)
        clock.at = SetClock.on(START + dt.timedelta(days=END)).now()
        app = create_app(settings_, clock=clock)
        with TestClient(app, base_url="https://testserver") as client:
            yield client, clock
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


# --- What the receiver and the monitor receive ------------------------------------------------

_TOKENS = re.compile(r'(name="(?:csrf_token|login_token)" value=")[^"]+|("X-CSRF-Token": ")[^"]+')


_PDF = "%PDF-"


def normalised(response: Any) -> tuple[int, str]:
    if response.headers.get("content-type", "").startswith("application/pdf"):
        return response.status_code, _PDF + response.content.hex()
    text = response.text
    text = _TOKENS.sub(lambda m: (m.group(1) or m.group(2)) + "…", text)
    return response.status_code, text


def browser(client: TestClient, user: str) -> TestClient:
    pages = TestClient(client.app, base_url="https://testserver")
    form = pages.get("/login")
    answer = pages.post(
        "/login",
        data={"username": user, "password": PASSWORD, "login_token": login_token(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return pages


PAGES = {
    "rita": ("/", "/pools/1", "/pools/1/dossier.pdf", "/items/1", f"/agreements/{AGREEMENT}"),
    "mona": ("/", "/monitoring", f"/agreements/{AGREEMENT}"),
}
"""The pages each reads (the API reads cover every item; the pages render the same views)."""


def observe(
    client: TestClient, base: Base, lows: list[Low], *, with_pages: bool = True
) -> dict[str, tuple[int, str]]:
    """Everything the receiver's reviewer and the agreement's monitor read, then what the
    reviewer's own moves answer, in one fixed order (the pages, which render the same views
    as the API, are read in every third pair to keep the run short)."""
    seen: dict[str, tuple[int, str]] = {}
    api = "/api/v1"
    items = range(1, len(lows) + 1)
    for user in ("rita", "mona"):
        headers = {"Authorization": f"Bearer {base.tokens[user]}"}
        reads = [
            "/agreements",
            f"/agreements/{AGREEMENT}",
            f"/agreements/{AGREEMENT}/ledger",
            f"/agreements/{AGREEMENT}/aggregates",
            f"/agreements/{AGREEMENT}/check-ins",
            f"/agreements/{AGREEMENT}/incidents",
            "/pools",
            "/pools/1",
            "/pools/1/dossier.pdf",
            *(f"/items/{i}" for i in items),
        ]
        for path in reads:
            seen[f"{user} GET {path}"] = normalised(client.get(api + path, headers=headers))
        if with_pages:
            pages = browser(client, user)
            for path in PAGES[user]:
                seen[f"{user} page {path}"] = normalised(pages.get(path))
    headers = {"Authorization": f"Bearer {base.tokens['rita']}"}
    for i in items:  # the receiver's own moves: the same answers, refusals included
        for move, body in (
            ("arrival", None),
            ("revoke", {"reason_code": "other", "reason_text": "our own decision"}),
        ):
            answer = client.post(f"{api}/items/{i}/{move}", headers=headers, json=body)
            seen[f"rita POST /items/{i}/{move}"] = normalised(answer)
    for i in items:
        seen[f"rita GET /items/{i} after"] = normalised(
            client.get(f"{api}/items/{i}", headers=headers)
        )
    return seen


@settings(
    max_examples=NONINTERFERENCE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(world_pairs())
def test_two_worlds_that_differ_only_in_protected_facts_look_the_same_to_the_receiver(
    base: Base, pair: tuple[list[Low], list[High], list[High]]
) -> None:
    lows, one, other = pair
    pages = len(lows) % 3 == 1 or lows[0].fate in ("withdrawn", "called_off")
    with world(base, lows, one) as (client, _):
        first = observe(client, base, lows, with_pages=pages)
    with world(base, lows, other) as (client, _):
        second = observe(client, base, lows, with_pages=pages)
    differ = [name for name in first if first[name] != second[name]]
    assert differ == [], _explain(differ[0], first, second)


def pdf_text(seen: str) -> str:
    """The text a PDF kept by `normalised` shows (what the receiver reads of it)."""
    pages = PdfReader(io.BytesIO(bytes.fromhex(seen.removeprefix(_PDF)))).pages
    return "\f".join(page.extract_text() for page in pages)


def _explain(
    name: str, first: dict[str, tuple[int, str]], second: dict[str, tuple[int, str]]
) -> str:
    (status_a, a), (status_b, b) = first[name], second[name]
    if a.startswith(_PDF) and b.startswith(_PDF):
        a, b = pdf_text(a), pdf_text(b)
        if a == b:
            a = b = "(the same text; the PDFs differ in layout or metadata)"
    return f"{name}: {status_a} vs {status_b}\n--- one world\n{a[:3000]}\n--- the other\n{b[:3000]}"


def test_the_comparison_is_not_blind(base: Base) -> None:
    """The same observation tells two worlds apart when they differ in what the receiver may
    know (a family withdrawn on another day), and the sender's own reads tell protected facts
    apart: the equality above is earned."""
    lows = [Low(child=False, fate="withdrawn", day=10)]
    high = High(False, False, False, False, False, "withdraw", "plain", "nothing", "moved")
    with world(base, lows, [high]) as (client, _):
        first = observe(client, base, lows)
        officer = {"Authorization": f"Bearer {base.tokens['olga']}"}
        sender_one = client.get("/api/v1/items/1", headers=officer).text
    later = [Low(child=False, fate="withdrawn", day=11)]
    with world(base, later, [high]) as (client, _):
        seen = observe(client, base, later)
    assert seen != first
    dossier = "rita GET /pools/1/dossier.pdf"  # its text tells the day
    assert first[dossier][0] == 200 and "F-0" in pdf_text(first[dossier][1])
    assert pdf_text(seen[dossier][1]) != pdf_text(first[dossier][1])
    stayed = High(False, False, False, False, False, "stay", "plain", "nothing", "moved")
    with world(base, lows, [stayed]) as (client, _):
        assert observe(client, base, lows) == first
        assert client.get("/api/v1/items/1", headers=officer).text != sender_one
    assert json.loads(first["rita GET /items/1"][1])["state"] == "withdrawn by the sender"
