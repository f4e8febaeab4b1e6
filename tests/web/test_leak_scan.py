"""The leak scan, generated from the route table (DESIGN §6): every operation of the OpenAPI
document and every page of the web application, called by the receiving state's reviewer and by
the agreement's monitor, reads and moves alike (refusals, error pages, htmx fragments, redirects
and their notes included), with every path parameter filled by every id of the world.

The world is played through the real services, mostly over the API, so that the sender has
written free text and protected values everywhere it can: protection and fear claims (imported,
raised in the workflow, interviewed, decided both ways), health needs without consent,
vulnerabilities and their S8 assessments, counsel, notices (one refused in a language not
understood, one not signed, one read by a named interpreter), withdrawals, court stays, new claims and appeals, a family cancelled by an import,
check-in notes, incidents, lifted suspensions, a supervisor's status change, a pool built with
pins and their reasons. The needles are those values (collected again from the database), the
days of the sender's steps a receiver must not be able to date, the sender's staff, and the
protected field names. No response a reviewer or monitor receives may hold one; the same scan
over the sender's own reads finds every one, so the scan is not blind. A PDF (a pool's dossier,
a notice's document) is compressed: it is scanned on the text it shows, every page's, and its
document information, and the scan is shown to find needles there too."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import shutil
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pypdf import PdfReader

from accord.access import PAGES, RULES, SEES_CLAIMS, Actor
from accord.cases.minimized import HEALTH_CONSENT
from accord.cases.service import replace_record, stored_people
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.proposals import repository
from accord.proposals.pools import PoolFamily, create_pool
from accord.records.countries import country_name
from accord.records.person import FearClaim
from accord.store import Store, open_store
from accord.web.app import PAGE_ROUTERS, create_app
from accord.web.auth import SESSION_COOKIE
from accord.web.pages import CSRF_COOKIE, LOGIN_COOKIE
from tests.conftest import _create_database, _drop_database
from tests.proposals.support import AGREEMENT, load_agreement
from tests.support import person
from tests.web.pages_support import Browser, signed_in
from tests.web.support import PASSWORD, World, sign_up
from tests.web.test_leaks import WITHHELD_FIELDS, WORDS

OFFICER = "officer.quennell"
SUPERVISOR = "supervisor.varnavas"
REVIEWER = "rita"
MONITOR = "mona"
USERS: dict[str, tuple[str, str]] = {
    OFFICER: ("officer", "US"),
    SUPERVISOR: ("supervisor", "US"),
    REVIEWER: ("reviewer", "XK"),
    MONITOR: ("monitor", "MON-XK"),
}
RECEIVERS = (MONITOR, REVIEWER)
"""The monitor goes first: it moves nothing but check-ins, so it meets the families still
waiting for the reviewer's decision."""
SENDERS = (OFFICER, SUPERVISOR)
SENDER_ONLY = (r"sender", r"internal", r"private")
"""How the choice that keeps a sender's text with the sender is spelled (an `audience`, or any
other choice the document asks for): the world's sender texts are all for the sender only."""

SCAN_AT = dt.datetime(2026, 8, 10, 9, tzinfo=dt.UTC)
MISSING_ID = 2**31 - 1

# --- The world ---------------------------------------------------------------------------------

SINGLES = (
    "PRO",  # proposed: the reviewer decides in the scan
    "PRO2",
    "BLK",  # proposed; a fear claim about XK recorded since: accepting it is refused
    "ACC",  # accepted, nothing served
    "NOT",  # notice refused in a language not understood, not signed, then read by an
    # interpreter: notified
    "REJ",  # rejected by the reviewer
    "REV",  # revoked by the reviewer
    "FCL",  # fear claim raised, interview set, pending
    "POS",  # fear claim upheld: blocked_protection
    "NEG",  # fear claim refused: reopening window
    "CLR",  # cleared by a supervisor
    "SCH",  # scheduled
    "CAL",  # scheduled, then a fear claim: the transfer called off
    "TRN",  # transferred; an officer's 30-day check-in
    "CLS",  # transferred, onward, every check-in, closed
    "WDR",  # withdrawn by the sender, with a reason
    "STY",  # a court stay: cancelled; the stay lifted later by a supervisor
    "NCL",  # a new protection claim: cancelled
    "APL",  # an appeal: cancelled
    "IMP",  # cancelled by an import that adds a vulnerability (S8)
    "IMP2",  # cancelled by an import that adds a member (S9)
    "B1",  # the builder's pool: pinned in with a reason
    "B2",
    "B3",  # the builder's pool: left out with a reason
)
FAMILY_OF_THREE = ("C-MUL1", "C-MUL2", "C-MUL3")
"""A head and a spouse who both claim fear (one refused while the other is pending), and a
child whose age is disputed."""
NATIONALITIES = ("VE", "CO", "HN", "GT", "NI", "CU", "PE", "EC")
PROTECTED_COUNTRIES = ("ER", "SO", "AF", "YE", "SY")
"""Countries the people are protected against or fear: none is anyone's nationality."""
VULNERABILITIES = (
    "torture_survivor",
    "trafficking_survivor",
    "sexual_violence_survivor",
    "serious_illness",
    "disability",
    "pregnancy",
    "single_parent",
    "elderly",
)
DISTINCT_PROTECTION_TYPES = ("withholding", "subsidiary")
"""Protection types whose names say nothing else (`refugee` or `asylum` name public things)."""
CONSENTED_NEED = "reading glasses, shared with consent"
"""The one health need a receiver may read: C-PRO consented."""
CONTROLS = (CONSENTED_NEED, "Scanlon00", "F-PRO")
"""What a reviewer may read of the families (a name, a family, the consented health need)."""
ASSESSOR = "Imelda Vantongeren"


def _day(year: int, offset: int) -> str:
    return (dt.date(year, 1, 1) + dt.timedelta(days=offset)).isoformat()


def record(case_id: str, family_id: str, n: int, **changes: Any) -> dict[str, Any]:
    """A person carrying every protected fact, each value distinct and found nowhere else, yet
    eligible under the demo agreement (nothing blocks XK; the S8 vulnerability is assessed)."""
    nationality = NATIONALITIES[n % len(NATIONALITIES)]
    asserted = _day(2023, 11 * n + 5)
    outcome = ("pending", "negative", "positive")[n % 3]
    claim: dict[str, Any] = {
        "country": PROTECTED_COUNTRIES[(n + 1) % len(PROTECTED_COUNTRIES)],
        "asserted": asserted,
        "outcome": outcome,
    }
    if outcome != "pending":
        claim["decided"] = _day(2023, 11 * n + 25)
    fields: dict[str, Any] = {
        "given_name": ("Ana", "Luis", "Marta", "Jorge", "Rosa", "Pablo")[n % 6],
        "family_name": f"Scanlon{n:02d}",
        "birth_date": _day(1980, 211 * n + 17),
        "nationalities": [nationality],
        "travel_document": {"type": "passport", "country": nationality, "expires": _day(2029, n)},
        "sender_status": "visa",
        "removal_order": {"status": "final", "date": _day(2020, 7 * n + 3)},
        "protection": [
            {
                "type": DISTINCT_PROTECTION_TYPES[n % 2],
                "status": ("granted", "denied")[n % 2],
                "against": PROTECTED_COUNTRIES[n % len(PROTECTED_COUNTRIES)],
                "date": _day(2022, 9 * n + 2),
            }
        ],
        "fear_claims": [claim],
        "convictions": [
            {
                "category": "fraud",
                "date": _day(2017, 13 * n + 4),
                "final": False,
                "jurisdiction": "US",
            }
        ],
        "detention_incidents": [{"date": _day(2016, n), "kind": "late return to the dormitory"}],
        "health_needs": [f"dialysis three times a week, ref H{n:02d}Q"],
        "counsel": {
            "name": f"Ysolde Marchetti {n:02d}",
            "contact": f"ymarchetti{n:02d}@law.example",
        },
        "vulnerabilities": [VULNERABILITIES[n % len(VULNERABILITIES)]],
        "assessments": [
            {
                "rule": "S8",
                "by": ASSESSOR,
                "date": _day(2025, 243 + n),
                "reason": f"individual assessment: fit to travel with support, ref A{n:02d}Z",
            }
        ],
        "medical_fit": True,
    }
    fields.update(changes)
    return person(case_id, family_id, **fields)


def people() -> list[dict[str, Any]]:
    records = [record(f"C-{s}", f"F-{s}", n) for n, s in enumerate(SINGLES)]
    n = len(records)
    records += [
        record("C-MUL1", "F-MUL", n),
        record("C-MUL2", "F-MUL", n + 1, relationship="spouse"),
        record(
            "C-MUL3",
            "F-MUL",
            n + 2,
            relationship="child",
            birth_date="2012-06-30",
            age_disputed=True,
            counsel=None,
        ),
    ]
    by_case = {r["case_id"]: r for r in records}
    by_case["C-PRO"].update(consents=[HEALTH_CONSENT], health_needs=[CONSENTED_NEED])
    by_case["C-IMP"].update(vulnerabilities=[], assessments=[])
    return records


ADDED_MEMBER = record(
    "C-IMP2B", "F-IMP2", 40, relationship="spouse", vulnerabilities=[], assessments=[]
)
"""The member an import adds to F-IMP2 after it was accepted (S9: not the family proposed)."""


@dataclass(frozen=True)
class Texts:
    """What the sender's staff write in the world, each found nowhere else."""

    withdrawal: str = "Withdrawn at the family's request pending a medical review, ref W7Q"
    check_in_30: str = "Officer visit: family asked about the appeal route, ref K30Q"
    check_in_180: str = "Officer visit: son unwell, doctor booked, ref K180Q"
    finding: str = "Officer finding: detention cells overcrowded, ref I1Q"
    ill_treatment: str = "Officer report: beaten during the transit leg, ref I2Q"
    lift_incident: str = "Assurances renewed after a site visit, ref L1Q"
    status_note: str = "Suspended pending a ministerial review of transfers, ref S1Q"
    status_publisher: str = "Sender ministry memo, ref P1Q"
    status_statement: str = "Internal memo on pausing transfers, ref M1Q"
    lift_status: str = "Ministerial review closed, transfers resume, ref L2Q"
    pin_in: str = "pinned in: the family waited longest, ref N1Q"
    pin_out: str = "left out: counsel asked for more time, ref N2Q"
    lift_stay: str = "Stay set aside by the district court, ref LF1Q"
    assessment: str = "Assessed able to travel with an escort, ref AS1Q"
    interpreter: str = "Interpreter Wenceslas Oduya, ref IN1Q"


TEXTS = Texts()
NOTICE_LANGUAGE = "x-zqvn"
"""A language no one speaks, in no template: a notice in it is refused (S6) and never recorded."""
HIDDEN_DAYS = {
    "2026-01-14": "the day notices were served",
    "2026-01-15": "the day fear claims were raised",
    "2026-01-16": "the day interviews were set",
    "2026-01-20": "the day of the fear interviews",
    "2026-01-22": "the day fear claims were refused",
    "2026-01-26": "the day a supervisor cleared families",
    "2026-02-06": "the end of a reopening window (and of a lifted stay, an assessment)",
}
"""Days on which only the sender's steps happened: nothing a receiver may see changes on them,
so no answer to a receiver may name one (non-interference, DESIGN §6)."""
MASKED = (
    "notified",
    "fear_claimed",
    "fear claimed",
    "reopening",
    "cleared",
    "blocked_protection",
    "blocked protection",
    "cancelled",
    "claim_fear",
    "fear_positive",
    "fear_negative",
    "withdrawal",
    "new_claim",
    "new claim",
    "case_file",
    "refused_to_sign",
    "refused to sign",
)
"""The real states, moves, reasons and notice outcomes a receiver sees only as neutral labels.
(A notice in a language not understood is refused, never recorded: no read can name it.)"""


class Schema:
    """The OpenAPI document: where each operation is, and bodies built from its schemas (the
    values wanted where the body has those fields, any other required field filled from its
    schema), so a field added or made required since is sent as the document says."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.operations = {
            op["operationId"]: (method.upper(), path, op)
            for path, methods in document["paths"].items()
            for method, op in methods.items()
        }

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.document["components"]["schemas"][name]
        return schema

    def body(
        self, name: str, wanted: dict[str, Any] | None = None, prefer: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        op = self.operations[name][2]
        if "requestBody" not in op:
            return None
        schema = self.resolve(op["requestBody"]["content"]["application/json"]["schema"])
        properties = schema.get("properties", {})
        body = {k: v for k, v in (wanted or {}).items() if k in properties}
        for required in schema.get("required", []):
            if required not in body:
                body[required] = self.example(properties[required], prefer)
        if "audience" in properties and "audience" not in body:  # chosen, never defaulted
            body["audience"] = self.example(properties["audience"], prefer)
        return body

    def example(self, schema: dict[str, Any], prefer: Sequence[str]) -> Any:
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf"):
            options = [s for s in schema.get(key, []) if self.resolve(s).get("type") != "null"]
            if options:
                return self.example(options[0], prefer)
        if "enum" in schema:
            values = schema["enum"]
            return next((v for v in values if any(re.search(p, str(v)) for p in prefer)), values[0])
        if "const" in schema:
            return schema["const"]
        if schema.get("examples"):
            return schema["examples"][0]
        kind = schema.get("type")
        if kind == "object":
            properties = schema.get("properties", {})
            return {k: self.example(properties[k], prefer) for k in schema.get("required", [])}
        if kind == "array":
            return [self.example(schema.get("items", {}), prefer)] * max(
                1, schema.get("minItems", 1)
            )
        if kind == "boolean":
            return True
        if kind in ("integer", "number"):
            return max(1, schema.get("minimum", 1))
        if schema.get("format") == "date":
            return SCAN_AT.date().isoformat()
        if schema.get("format") == "date-time":
            return (SCAN_AT + dt.timedelta(days=4)).isoformat()
        return "a scan of what is received".ljust(schema.get("minLength", 0), ".")


@dataclass
class Scene:
    """The running application on its own database, the clock it stands on, and each user's
    API token; the world is played through it."""

    client: TestClient
    store: Store
    clock: SetClock
    tokens: dict[str, str]
    schema: Schema

    def at(self, day: dt.date, hour: int = 10) -> None:
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
        assert moment >= self.clock.at, "the world is played forward"
        self.clock.at = moment

    def path(self, name: str, **ids: Any) -> tuple[str, str]:
        method, path, _ = self.schema.operations[name]
        return method, re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)

    def act(self, user: str, name: str, wanted: dict[str, Any] | None = None, **ids: Any) -> Any:
        """One operation as `user`, with the body the document asks for; it must succeed."""
        method, path = self.path(name, **ids)
        body = self.schema.body(name, wanted, SENDER_ONLY if user in SENDERS else ())
        answer = self.client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {self.tokens[user]}"}
        )
        assert answer.status_code < 300, f"{name} as {user}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    def refused(
        self, user: str, name: str, wanted: dict[str, Any] | None = None, **ids: Any
    ) -> str:
        """One operation as `user` that must be refused as a conflict (409): its detail."""
        method, path = self.path(name, **ids)
        body = self.schema.body(name, wanted, SENDER_ONLY if user in SENDERS else ())
        answer = self.client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {self.tokens[user]}"}
        )
        assert answer.status_code == 409, f"{name} as {user}: {answer.status_code} {answer.text}"
        return str(answer.json()["detail"])


def play(scene: Scene) -> None:
    """The sender, the receiver and the monitor at work from January to August."""
    at, act = scene.at, scene.act
    d = dt.date
    load_agreement(scene.store)
    at(d(2026, 1, 5))
    act(SUPERVISOR, "people.import", {"source": "case files", "records": people()})
    at(d(2026, 1, 12))
    with unit_of_work(scene.store.sessions) as session:
        proposal = create_pool(
            session,
            AGREEMENT,
            [PoolFamily(f"F-{s}") for s in SINGLES if s not in ("B1", "B2", "B3")]
            + [PoolFamily("F-MUL")],
            Actor(OFFICER, "officer", "US"),
            scene.clock,
            method="screening",
            pool_limit=75,
        )
        item = {i.family_id[2:]: i.id for i in repository.items(session, proposal_id=proposal.id)}
    at(d(2026, 1, 12), 12)
    with unit_of_work(scene.store.sessions) as session:  # on the file, not moved: S5 holds it
        [blocked] = stored_people(session, family_id="F-BLK")
        claim = FearClaim(country="XK", asserted=d(2025, 12, 29), outcome="pending")
        claims = [*blocked.fear_claims, claim]
        replace_record(session, blocked.model_copy(update={"fear_claims": claims}), scene.clock.at)

    at(d(2026, 1, 13), 11)
    accepted = ("ACC", "NOT", "REV", "FCL", "MUL", "POS", "NEG", "CLR", "SCH", "CAL", "TRN")
    for s in (*accepted, "CLS", "WDR", "NCL", "APL", "IMP"):
        act(REVIEWER, "items.accept", item_id=item[s])
    act(
        REVIEWER,
        "items.reject",
        {"reason_code": "criteria", "reason_text": "the receiver's own rejection"},
        item_id=item["REJ"],
    )

    at(d(2026, 1, 14))
    served = ("FCL", "POS", "NEG", "CLR", "SCH", "CAL", "TRN", "CLS", "APL")
    for recipient in ("person", "counsel"):  # no one reads it, no template is in it: refused
        wanted = {"case_id": "C-NOT", "recipient": recipient, "language": NOTICE_LANGUAGE}
        scene.refused(OFFICER, "items.notify", wanted | {"signed": True}, item_id=item["NOT"])
    for s, case, language, signed in (
        ("NOT", "C-NOT", "es", False),
        *((s, f"C-{s}", "es", True) for s in served),
        *(("MUL", c, "es", True) for c in FAMILY_OF_THREE[:2]),
    ):
        for recipient in ("person", "counsel"):
            wanted = {"case_id": case, "recipient": recipient, "language": language}
            act(OFFICER, "items.notify", wanted | {"signed": signed}, item_id=item[s])
    read = {"interpreter": TEXTS.interpreter, "read_in": "es", "signed": True}
    for recipient in ("person", "counsel"):  # the English template, read to C-NOT in Spanish
        wanted = {"case_id": "C-NOT", "recipient": recipient, "language": "en"}
        act(OFFICER, "items.notify", wanted | read, item_id=item["NOT"])
    with unit_of_work(scene.store.sessions) as session:  # the refusals wrote nothing
        languages = [n.language for n in repository.notices(session, item["NOT"])]
        assert languages == ["es", "es", "en", "en"], languages

    at(d(2026, 1, 15))
    for s, case in (("FCL", "C-FCL"), ("POS", "C-POS"), ("NEG", "C-NEG"), ("MUL", "C-MUL1")):
        act(OFFICER, "items.claim_fear", {"case_id": case}, item_id=item[s])
    act(OFFICER, "items.claim_fear", {"case_id": "C-MUL2"}, item_id=item["MUL"])
    at(d(2026, 1, 16))
    interview = "2026-01-20T13:47:00+00:00"
    for s, case in (("FCL", "C-FCL"), ("POS", "C-POS"), ("NEG", "C-NEG"), ("MUL", "C-MUL1")):
        act(OFFICER, "items.fear_interview", {"at": interview, "case_id": case}, item_id=item[s])
    at(d(2026, 1, 19), 11)
    act(
        REVIEWER,
        "items.revoke",
        {"reason_code": "capacity", "reason_text": "the receiver's own revocation"},
        item_id=item["REV"],
    )
    at(d(2026, 1, 21))
    act(OFFICER, "items.fear_outcome", {"outcome": "positive"}, item_id=item["POS"])
    at(d(2026, 1, 22))
    act(OFFICER, "items.fear_outcome", {"outcome": "negative"}, item_id=item["NEG"])
    act(
        OFFICER,
        "items.fear_outcome",
        {"outcome": "negative", "case_id": "C-MUL1"},
        item_id=item["MUL"],
    )
    at(d(2026, 1, 26))
    for s in ("CLR", "SCH", "CAL", "TRN", "CLS"):
        act(SUPERVISOR, "items.clear", {"medical_fit_confirmed": True}, item_id=item[s])
    at(d(2026, 1, 27))
    for s in ("SCH", "CAL", "TRN", "CLS"):
        act(OFFICER, "items.schedule", {"on": "2026-02-02"}, item_id=item[s])
    at(d(2026, 1, 28))
    act(OFFICER, "items.claim_fear", {"case_id": "C-CAL"}, item_id=item["CAL"])
    at(d(2026, 1, 29))
    act(OFFICER, "items.cancel", {"reason": TEXTS.withdrawal}, item_id=item["WDR"])
    at(d(2026, 1, 30))
    act(OFFICER, "people.case_change", {"change": "stay"}, case_id="C-STY")
    at(d(2026, 2, 2), 11)
    for s in ("TRN", "CLS"):
        act(REVIEWER, "items.transfer", item_id=item[s])
    at(d(2026, 2, 3))
    wanted = {"change": "new_claim", "against": "YE", "claim_type": "withholding"}
    act(OFFICER, "people.case_change", wanted, case_id="C-NCL")
    at(d(2026, 2, 4))
    act(OFFICER, "people.case_change", {"change": "appeal"}, case_id="C-APL")
    at(d(2026, 2, 5))
    [imp] = [r for r in people() if r["case_id"] == "C-IMP"]
    changed = [imp | {"vulnerabilities": ["trafficking_survivor"]}, ADDED_MEMBER]
    report = act(
        OFFICER, "people.import", {"source": "case files, second batch", "records": changed}
    )
    assert len([line for line in report["rechecked"] if "cancelled" in line]) == 2, report
    at(d(2026, 2, 6))
    act(SUPERVISOR, "people.lift", {"fact": "stay", "reason": TEXTS.lift_stay}, case_id="C-STY")
    act(SUPERVISOR, "people.assess", {"reason": TEXTS.assessment}, case_id="C-ACC")
    at(d(2026, 2, 10), 11)
    wanted = {"outcome": "remained", "detail": "residence permit issued"}
    act(REVIEWER, "items.onward", wanted, item_id=item["CLS"])
    at(d(2026, 3, 4))
    for s in ("TRN", "CLS"):
        act(OFFICER, "items.check_in", {"days": 30, "note": TEXTS.check_in_30}, item_id=item[s])
    at(d(2026, 5, 3))
    wanted = {"days": 90, "note": "the monitor's own visit"}
    act(MONITOR, "items.check_in", wanted, item_id=item["CLS"])

    at(d(2026, 6, 1))
    reports = "incidents.report"
    act(OFFICER, reports, {"kind": "other", "text": TEXTS.finding}, agreement_id=AGREEMENT)
    at(d(2026, 6, 2))
    wanted = {"kind": "ill_treatment", "text": TEXTS.ill_treatment}
    act(OFFICER, reports, wanted, agreement_id=AGREEMENT)
    at(d(2026, 6, 3))
    lift = "incidents.lift"
    act(SUPERVISOR, lift, {"reason": TEXTS.lift_incident}, agreement_id=AGREEMENT)
    at(d(2026, 6, 4))
    source = {"publisher": TEXTS.status_publisher, "statement": TEXTS.status_statement}
    wanted = {
        "status": "suspended",
        "date": "2026-06-04",
        "source_key": "ministry-memo",
        "source": source | {"date": "2026-06-04"},
        "note": TEXTS.status_note,
    }
    act(SUPERVISOR, "agreements.status", wanted, agreement_id=AGREEMENT)
    at(d(2026, 6, 5))
    act(SUPERVISOR, lift, {"reason": TEXTS.lift_status}, agreement_id=AGREEMENT)
    at(d(2026, 6, 8))
    wanted = {"kind": "other", "text": "the monitor's own finding"}
    act(MONITOR, reports, wanted, agreement_id=AGREEMENT)

    at(d(2026, 8, 1))
    wanted = {"days": 180, "note": TEXTS.check_in_180}
    act(OFFICER, "items.check_in", wanted, item_id=item["CLS"])
    at(d(2026, 8, 3))
    act(OFFICER, "items.close", item_id=item["CLS"])


def build_pool(world: World) -> None:
    """The builder's pool, with a family pinned in and one left out, each with its reason."""
    officer = signed_in(world, OFFICER)
    sent = officer.post(
        "/pools/new/send",
        {
            "agreement_id": AGREEMENT,
            "pinned_in": f"F-B1::{TEXTS.pin_in}",
            "pinned_out": f"F-B3::{TEXTS.pin_out}",
        },
    )
    assert sent.status_code == 303, sent.text


# --- Needles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Needle:
    """A value a receiver must never read, and what it is. A word (a code, a field name) is
    matched whole and as written; anything else anywhere, in any case."""

    text: str
    what: str
    word: bool = False
    only_for: str | None = None
    """A needle for this user alone (a person's name: a reviewer reads it, a monitor never)."""

    def pattern(self) -> re.Pattern[str]:
        boundary = r"A-Za-z0-9_\-"
        if self.word:
            return re.compile(rf"(?<![{boundary}]){re.escape(self.text)}(?![{boundary}])")
        return re.compile(re.escape(self.text.lower()))


SHARED_TEXTS = frozenset({"status_publisher", "status_statement"})
"""The source a status change cites is the registry's record of a reported fact, shared with
every party to the agreement (its publisher and statement; docs/api.md): not a needle. The
sender's note on the change is, and stays one."""


def needles(store: Store) -> list[Needle]:
    """The sender's free texts and protected values, as written and as stored."""
    found: dict[str, Needle] = {}

    def add(text: str | None, what: str, *, word: bool = False, only: str | None = None) -> None:
        if text and text not in found:
            found[text] = Needle(text, what, word, only)

    for name, text in asdict(TEXTS).items():
        if name in SHARED_TEXTS:
            continue
        add(text, f"sender text: {name.replace('_', ' ')}")
        add(text.rsplit(", ", 1)[-1], f"sender text: {name.replace('_', ' ')} (its reference)")
    for day, what in HIDDEN_DAYS.items():
        add(day, what)
    add(ASSESSOR, "an S8 assessor")
    for user in SENDERS:
        add(user, "a sender's staff")
    for word in MASKED:
        add(word, "a real state, move, reason or notice outcome", word=True)
    for name in WITHHELD_FIELDS:
        add(name, "a withheld field", word=True)
    for word in WORDS:
        add(word, "a protected subject")
    with unit_of_work(store.sessions) as session:
        for event in repository.events_of_agreement(session, AGREEMENT):
            if event.role in SEES_CLAIMS:
                add(event.reason_text, f"the sender's reason for {event.action}")
        for incident in repository.incidents(session, AGREEMENT):
            if incident.reported_by in SENDERS and not getattr(incident, "shared", False):
                add(incident.text, "a sender's incident text")
            add(incident.lift_reason, "a supervisor's reason to lift a suspension")
        for i in repository.items(session, agreement_id=AGREEMENT):
            for check_in in repository.check_ins(session, i.id):
                if check_in.by in SENDERS and not getattr(check_in, "shared", False):
                    add(check_in.note, "a sender's check-in note")
        for p in stored_people(session):
            add(p.family_name, f"the name of {p.case_id} (a monitor reads no one)", only=MONITOR)
            for counsel in filter(None, [p.counsel]):
                add(counsel.name, f"counsel of {p.case_id}")
                add(counsel.contact, f"counsel's contact of {p.case_id}")
            if HEALTH_CONSENT not in p.consents:
                for need in p.health_needs:
                    add(need, f"a health need of {p.case_id}, without consent")
            for a in p.assessments:
                add(a.reason, f"an S8 assessment of {p.case_id}")
                add(a.by, f"an S8 assessor of {p.case_id}")
                add(a.date.isoformat(), f"the day of an S8 assessment of {p.case_id}")
            for v in p.vulnerabilities:
                add(v, f"a vulnerability of {p.case_id}")
                add(v.replace("_", " "), f"a vulnerability of {p.case_id}")
            for entry in p.protection:
                if entry.type in DISTINCT_PROTECTION_TYPES:
                    add(entry.type, f"a protection claim's type ({p.case_id})", word=True)
                add(entry.against, f"a protection claim's country ({p.case_id})", word=True)
                # Its name too: a page names a country beside its code (records.countries).
                add(country_name(entry.against), f"a protection claim's country ({p.case_id})")
                if entry.date and entry.date.year < SCAN_AT.year:
                    add(entry.date.isoformat(), f"a protection claim's day ({p.case_id})")
            for fear in p.fear_claims:
                if fear.country != "XK":
                    add(fear.country, f"a fear claim's country ({p.case_id})", word=True)
                    add(country_name(fear.country), f"a fear claim's country ({p.case_id})")
                for day in (fear.asserted, fear.decided):  # the workflow's own are dated above
                    if day and day.year < SCAN_AT.year:
                        add(day.isoformat(), f"a fear claim's day ({p.case_id})")
            if p.removal_order.date:
                add(p.removal_order.date.isoformat(), f"the removal order of {p.case_id}")
            for conviction in p.convictions:
                if not conviction.final:
                    add(conviction.date.isoformat(), f"a conviction not final ({p.case_id})")
    return list(found.values())


# --- The routes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    """The operation id, or the page's route name."""
    rule: str
    """The access rule it stands on (a page's is its API operation's)."""
    method: str
    path: str
    page: bool


def api_routes(schema: Schema) -> list[Route]:
    return [
        Route(name, name, method, path, page=False)
        for name, (method, path, _) in sorted(schema.operations.items())
    ]


def page_routes() -> list[Route]:
    return sorted(
        (
            Route(str(route.name), PAGES[str(route.name)], method, route.path, page=True)
            for router in PAGE_ROUTERS
            for route in router.routes
            if isinstance(route, APIRoute) and route.name in PAGES
            for method in sorted(route.methods or ())
        ),
        key=lambda r: r.name,
    )


def allowed(route: Route, user: str) -> bool:
    rule = RULES.get(route.rule)
    return rule is None or USERS[user][0] in rule.roles  # no rule: public


# --- The scan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    user: str
    route: str
    method: str
    path: str
    status: int
    needle: Needle
    pdf: bool = False
    """Found in a PDF's text."""

    def __str__(self) -> str:
        return (
            f"{self.user}: {self.method} {self.path} ({self.route}) -> {self.status}:"
            f" {self.needle.text!r} ({self.needle.what})"
        )


@dataclass
class Scan:
    needles: list[Needle]
    patterns: list[tuple[Needle, re.Pattern[str]]] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    calls: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    """User -> (route name, method) called."""
    statuses: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    """(user, route name) -> every status answered."""
    controls: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """User -> the things it may read (`CONTROLS`) it did read: the scan reaches the data."""
    pdfs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """User -> the routes that answered it a PDF, read on its text."""
    pdf_controls: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """User -> the things it may read (`CONTROLS`) it read in a PDF's text."""

    def __post_init__(self) -> None:
        self.patterns = [(n, n.pattern()) for n in self.needles]

    def leaks(self) -> list[str]:
        """Each leak once: who, the request, the status, the needle and what it is."""
        return sorted({str(h) for h in self.hits})

    def look(
        self,
        user: str,
        route: Route,
        path: str,
        response: Any,
        sent: Any = None,
        secrets: Sequence[str] = (),
    ) -> None:
        """Scan one answer. A needle the request itself carried (a route named `items.claim_fear`, a
        path ending in `/assessments`, the caller's own words) tells the caller nothing."""
        text = received(response, secrets)
        lowered = text.lower()
        asked = "\n".join([route.name, path, *_strings(sent)])
        self.calls[user].add((route.name, route.method))
        self.statuses[(user, route.name)].append(response.status_code)
        self.controls[user] |= {c for c in CONTROLS if c in text}
        if is_pdf(response):
            self.pdfs[user].add(route.name)
            self.pdf_controls[user] |= {c for c in CONTROLS if c in text}
        for needle, pattern in self.patterns:
            if needle.only_for not in (None, user):
                continue
            if pattern.search(asked if needle.word else asked.lower()):
                continue
            if pattern.search(text if needle.word else lowered):
                self.hits.append(
                    Hit(
                        user,
                        route.name,
                        route.method,
                        path,
                        response.status_code,
                        needle,
                        is_pdf(response),
                    )
                )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


UNREAD_COOKIES = frozenset({SESSION_COOKIE, CSRF_COOKIE, LOGIN_COOKIE})


def is_pdf(response: Any) -> bool:
    return bool(response.content) and response.headers.get("content-type", "").startswith(
        "application/pdf"
    )


def pdf_text(body: bytes) -> str:
    """What a PDF shows, as text: every page's lines, run together once with a space and once
    without (a value wrapped inside a table's cell, at a space or after a hyphen, reads whole
    either way), and its document information (title, author, subject, keywords)."""
    reader = PdfReader(io.BytesIO(body))
    lines = [
        " ".join(line.split()) for page in reader.pages for line in page.extract_text().splitlines()
    ]
    info = [str(value) for value in (reader.metadata or {}).values()]
    return "\n".join([" ".join(lines), "".join(lines), *info])


def received(response: Any, secrets: Sequence[str]) -> str:
    """Everything the caller receives as text: the body (JSON read value by value, HTML
    unescaped, a PDF's text extracted), every header, and the cookies set (decoded), bar the
    session's own secrets."""
    parts: list[str] = []
    if "json" in response.headers.get("content-type", "") and response.content:
        parts += _strings(response.json())
    elif is_pdf(response):
        parts.append(pdf_text(response.content))
    else:
        parts.append(html.unescape(response.text))
    for name, value in response.headers.multi_items():
        if name.lower() != "set-cookie":
            parts.append(f"{name}: {value}")
            continue
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(value)
        for key, morsel in cookie.items():
            if key not in UNREAD_COOKIES:
                parts.append(f"{key}={morsel.value}")
    text = "\n".join(parts)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "")
    return text


@dataclass
class Caller:
    """One user's ways in: the API with its token, the pages with a signed-in browser."""

    user: str
    world: World
    browser: Browser
    scan: Scan

    def api(self, route: Route, path: str, body: Any = None, query: Any = None) -> Any:
        kwargs: dict[str, Any] = {"headers": self.world.as_(self.user), "params": query}
        if body is not None:
            kwargs["json"] = body
        client = self.world.client
        if route.name == "session.login":  # a session of its own, not on the token's client
            client = TestClient(client.app, base_url="https://testserver")
        answer = client.request(route.method, path, **kwargs)
        self.scan.look(self.user, route, path, answer, [body, query])
        if route.method == "GET":
            self._next_pages(route, path, answer, dict(query or {}))
        return answer

    def _next_pages(self, route: Route, path: str, answer: Any, query: dict[str, Any]) -> None:
        """A list's further pages, read to the end."""
        if answer.status_code != 200 or "json" not in answer.headers.get("content-type", ""):
            return
        page = answer.json()
        if not isinstance(page, dict) or not {"items", "total"} <= page.keys():
            return
        offset = int(query.get("offset", 0)) + len(page["items"])
        if page["items"] and offset < page["total"]:
            self.api(route, path, query=query | {"offset": offset, "limit": 200})

    def page(
        self, route: Route, path: str, form: dict[str, Any] | None = None, *, htmx: bool = False
    ) -> Any:
        b = self.browser
        if route.method == "GET":
            answer = b.get(path, params=form, follow_redirects=False)
        elif htmx:
            answer = b.htmx(path, form)
        else:
            answer = b.post(path, form)
        self.scan.look(self.user, route, path, answer, form, [b.csrf])
        where = answer.headers.get("location", "")
        if answer.status_code == 303 and where.startswith("/") and route.name != "pages.logout":
            shown = b.get(where, follow_redirects=False)  # the note the redirect carries
            self.scan.look(self.user, route, f"{path} -> {where}", shown, form, [b.csrf])
        return answer


@dataclass(frozen=True)
class Ids:
    """Every id of the world, by path parameter; ids that name nothing are answered too."""

    items: list[int]
    pools: dict[int, list[int]]
    """Pool -> its items."""
    cases: list[str]
    notices: dict[int, list[int]] = field(default_factory=dict)
    """Item -> its notices (a notice's document is asked for on its own item)."""

    def values(self, parameter: str, user: str) -> list[Any]:
        return {
            "item_id": [*self.items, MISSING_ID],
            "pool_id": [*self.pools, MISSING_ID],
            "agreement_id": [AGREEMENT, "no-such-agreement"],
            "case_id": [*self.cases, "no-such-case"],
            "username": [user],
            "token_id": [MISSING_ID],
            "notice_id": [*(n for found in self.notices.values() for n in found), MISSING_ID],
            "release_id": [MISSING_ID],  # no transparency release is published here
            "job_id": [MISSING_ID],  # no matcher job is queued here (the sender's alone)
            "received_id": [MISSING_ID],  # nothing is received from a peer here
            "name": ["report-2026-Q1-all.csv"],
        }[parameter]

    def fits(self, at: dict[str, Any]) -> bool:
        """Whether a combination of ids is worth asking: a notice on its own item (or one that
        names nothing), not on every other item too."""
        notice, item = at.get("notice_id", MISSING_ID), at.get("item_id", MISSING_ID)
        return MISSING_ID in (notice, item) or notice in self.notices.get(item, [])

    def pool_of(self, item_id: int) -> int | None:
        return next((p for p, items in self.pools.items() if item_id in items), None)


def world_ids(store: Store) -> Ids:
    with unit_of_work(store.sessions) as session:
        items = repository.items(session, agreement_id=AGREEMENT)
        pools: dict[int, list[int]] = defaultdict(list)
        for i in items:
            pools[i.proposal_id].append(i.id)
        cases = [p.case_id for p in stored_people(session)]
        notices = {i.id: [n.id for n in repository.notice_records(session, i.id)] for i in items}
    return Ids([i.id for i in items], dict(pools), cases, notices)


QUERIES = {
    "agreement_id": AGREEMENT,
    "agreement": AGREEMENT,
    "receiver": "XK",
    "status": "in_force",
    "pending": "true",
    "limit": 200,
}
"""Query parameters given a value, where a route takes them (a list's filters, its page size)."""


def query_variants(route: Route, schema: Schema) -> list[dict[str, Any]]:
    """The whole list (its largest page), then filtered, where the route filters; a
    parameter the route requires is always given."""
    required: set[str] = set()
    if route.page:
        names = {
            q.alias
            for r in PAGE_ROUTERS
            for a in r.routes
            if isinstance(a, APIRoute) and a.name == route.name
            for q in a.dependant.query_params
        }
    else:
        op = schema.operations[route.name][2]
        names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        required = {p["name"] for p in op.get("parameters", []) if p.get("required")}
    given = {k: v for k, v in QUERIES.items() if k in names}
    whole = {k: v for k, v in given.items() if k == "limit" or k in required}
    return [whole, given] if given != whole else [whole]


REASON = {"reason_code": "criteria", "reason_text": "documents do not match"}
RECEIVERS_OWN = {
    "items.reject": REASON,
    "items.revoke": {"reason_code": "other", "reason_text": "the receiver changed its plans"},
    "items.onward": {"outcome": "remained", "detail": "residence permit issued"},
    "incidents.report": {"kind": "other", "text": "a finding of the receiver's own"},
    "incidents.lift": {"reason": "a reason of the receiver's own"},
    "session.login": {"password": PASSWORD},
}
"""What a receiver writes: its own words, which it may read back."""
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "items.check_in": [
        {"days": d, "note": f"a visit of the receiver's own, {d} days"} for d in (30, 90, 180)
    ],
}
"""Moves made once per variant: a check-in for each day it may fall due."""


def bodies(schema: Schema, route: Route, user: str, ids: Ids, at: dict[str, Any]) -> list[Any]:
    """The bodies a route is called with: the document's, with the receiver's own words."""
    if route.rule == "pools.decide":  # every family of the pool, accepted, then rejected
        pool = ids.pools.get(at.get("pool_id", 0), [MISSING_ID])
        return [
            {"decisions": [{"item_id": i, "decision": "accept"} for i in pool]},
            {"decisions": [{"item_id": i, "decision": "reject"} | REASON for i in pool]},
        ]
    wanted = VARIANTS.get(route.rule, [RECEIVERS_OWN.get(route.rule, {}) | {"username": user}])
    if route.rule not in schema.operations:
        return [dict(w) for w in wanted]
    return [schema.body(route.rule, w) for w in wanted]


def as_form(route: Route, body: Any) -> dict[str, Any]:
    """A body as the page's form carries it (several decisions: the items ticked)."""
    if route.rule == "pools.decide":
        [first, *_] = body["decisions"]
        return {"item": [str(d["item_id"]) for d in body["decisions"]]} | {
            k: str(v) for k, v in first.items() if k != "item_id"
        }
    form: dict[str, Any] = {} if "{" in route.path else {"agreement_id": AGREEMENT}
    for key, value in (body or {}).items():
        if isinstance(value, bool):
            if value:
                form[key] = "on"
        elif isinstance(value, list):
            form[key] = [str(v) for v in value]
        elif isinstance(value, dict):
            form[key] = json.dumps(value)
        elif value is not None:
            form[key] = str(value)
    return form


@dataclass
class Scanner:
    """The scan of one user: reads, then moves, then reads again."""

    world: World
    schema: Schema
    ids: Ids
    scan: Scan
    routes: list[Route]

    def caller(self, user: str) -> Caller:
        return Caller(user, self.world, signed_in(self.world, user), self.scan)

    def paths(self, route: Route, user: str, every: bool) -> list[tuple[str, dict[str, Any]]]:
        """The route's path with each combination of ids (only the first when `every` is
        false: a route the role may not use is refused before any id is read)."""
        found: list[tuple[str, dict[str, Any]]] = [(route.path, {})]
        for parameter in re.findall(r"{(\w+)}", route.path):
            values = self.ids.values(parameter, user)
            found = [
                (path.replace("{" + parameter + "}", str(v)), ids | {parameter: v})
                for path, ids in found
                for v in (values if every else values[:1])
            ]
        return [(path, at) for path, at in found if not every or self.ids.fits(at)]

    def reads(self, caller: Caller, *, only: Callable[[Route], bool] | None = None) -> None:
        for route in self.routes:
            mine = allowed(route, caller.user)
            if route.method != "GET" or not (only is None or only(route)):
                continue
            for path, _ in self.paths(route, caller.user, mine):
                for query in query_variants(route, self.schema):
                    if route.page:
                        caller.page(route, path, query or None)
                    else:
                        caller.api(route, path, query=query or None)

    def call(self, caller: Caller, route: Route, path: str, at: dict[str, Any], way: str) -> None:
        """The route through one way in; a move with variants (each check-in's day) is made
        with each through the API, with one through the page (they are answered alike)."""
        found = bodies(self.schema, route, caller.user, self.ids, at)
        if way != "api" and route.rule in VARIANTS:
            found = [found[at.get("item_id", 0) % len(found)]]
        for body in found:
            if way == "api":
                caller.api(route, path, body)
                continue
            form = as_form(route, body)
            if way == "htmx" and (pool := self.ids.pool_of(at.get("item_id", 0))):
                form["pool_id"] = str(pool)
            caller.page(route, path, form, htmx=way == "htmx")

    def ways(self, rule: str) -> list[tuple[Route, str]]:
        """A move's ways in: its API operation, its page's form, and that page as htmx."""
        moves = [r for r in self.routes if r.rule == rule and "{item_id}" in r.path]
        return [(r, "api") for r in moves if not r.page and r.method != "GET"] + [
            (r, way) for r in moves if r.page and r.method == "POST" for way in ("page", "htmx")
        ]

    def item_moves(self, caller: Caller) -> None:
        """Every move on every item, through each way in turn: the first to make a move makes
        it, the others meet the state it left (and are refused), and the way that goes first
        changes from item to item, so each way meets items in every state."""
        moves = {r.rule for r in self.routes if r.method == "POST" and "{item_id}" in r.path}
        rules = sorted(moves, key=lambda r: (r == "items.revoke", r))
        for n, item_id in enumerate([*self.ids.items, MISSING_ID]):
            order = sorted(rules, key=lambda r: n % 2 == 1 and r == "items.accept")
            for m, rule in enumerate(order):
                ways = self.ways(rule)
                if n and not allowed(ways[0][0], caller.user):
                    continue  # refused by role, before any id is read: once is enough
                turn = (n + m) % len(ways)
                for route, way in ways[turn:] + ways[:turn]:
                    path = route.path.replace("{item_id}", str(item_id))
                    self.call(caller, route, path, {"item_id": item_id}, way)

    def other_writes(self, caller: Caller) -> None:
        """Every other route that writes, with every id: the pool's decisions, incidents,
        and the routes of other roles (refused)."""
        for route in self.routes:
            if route.method == "GET" or "{item_id}" in route.path:
                continue
            if route.rule == "session.logout":
                continue
            for path, at in self.paths(route, caller.user, allowed(route, caller.user)):
                self.call(caller, route, path, at, "page" if route.page else "api")

    def sign_out(self, caller: Caller) -> None:
        for route in self.routes:
            if route.rule == "session.logout":
                self.call(caller, route, route.path, {}, "page" if route.page else "api")

    def receiver(self, user: str) -> None:
        caller = self.caller(user)
        self.reads(caller)
        self.item_moves(caller)
        self.other_writes(caller)
        self.reads(caller)
        self.sign_out(caller)

    def senders(self) -> None:
        """What the sender's staff read: every read the officer may make, with every id, and
        those only a supervisor may make (the audit log, where the builder's pins are)."""
        self.reads(self.caller(OFFICER), only=lambda r: allowed(r, OFFICER))
        self.reads(
            self.caller(SUPERVISOR),
            only=lambda r: allowed(r, SUPERVISOR) and not allowed(r, OFFICER),
        )


@dataclass(frozen=True)
class Result:
    needles: list[Needle]
    receivers: Scan
    senders: Scan
    routes: list[Route]


@contextmanager
def database(request: pytest.FixtureRequest, tmp: Path) -> Iterator[str]:
    """A fresh database at the newest migration, a copy of the session's template."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp / "accord.db")
        yield f"sqlite:///{tmp / 'accord.db'}"
        return
    admin: str = request.getfixturevalue("postgres_admin_url")
    name = f"accord_scan_{uuid.uuid4().hex[:12]}"
    url = _create_database(admin, name, template=request.getfixturevalue("postgres_template"))
    try:
        yield url
    finally:
        _drop_database(admin, name)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def scanned(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Result]:
    """The world played, then scanned once per database: the sender's reads, then the
    reviewer's and the monitor's every route."""
    tmp = tmp_path_factory.mktemp("leak-scan")
    with database(request, tmp) as url:
        clock = SetClock.on(dt.date(2026, 1, 5))
        settings = Settings(database_url=url)
        store = open_store(settings)
        try:
            tokens = sign_up(store, clock, USERS)
            app = create_app(settings, clock=clock)
            with TestClient(app, base_url="https://testserver") as client:
                schema = Schema(client.get("/api/v1/openapi.json").json())
                play(Scene(client, store, clock, tokens, schema))
                world = World(client, store, clock, tokens, {}, 0)
                clock.at = SCAN_AT - dt.timedelta(hours=1)
                build_pool(world)
                clock.at = SCAN_AT
                found = needles(store)
                routes = [*api_routes(schema), *page_routes()]
                ids = world_ids(store)
                senders = Scan(found)
                scanner = Scanner(world, schema, ids, senders, routes)
                scanner.senders()
                receivers = Scan(found)
                scanner.scan = receivers
                for user in RECEIVERS:
                    scanner.receiver(user)
                yield Result(found, receivers, senders, routes)
        finally:
            store.close()


def test_no_answer_a_reviewer_or_monitor_receives_holds_a_needle(scanned: Result) -> None:
    leaks = scanned.receivers.leaks()
    assert leaks == [], f"{len(leaks)} leaks:\n" + "\n".join(leaks)


def test_the_scan_finds_every_needle_in_what_the_sender_reads(scanned: Result) -> None:
    """Not blind: each needle is found by the same scan in the sender's own reads."""
    seen = {h.needle for h in scanned.senders.hits}
    missed = [
        f"{n.text!r} ({n.what})" for n in scanned.needles if n not in seen and n.only_for is None
    ]
    assert missed == [], "needles the scan cannot find:\n" + "\n".join(missed)


DOSSIERS = ("pools.dossier", "pages.pool_dossier")
"""A pool's dossier, a PDF, through the API and the pages."""


def test_the_scan_reads_pdfs_and_finds_needles_in_them(scanned: Result) -> None:
    """Not blind to PDFs either: the sender's dossiers (which name the real states and the days
    a receiver must not read) are answered as PDFs, and the scan finds needles in their text;
    the reviewer's are PDFs too, and the scan reads the families' records in them."""
    for route in DOSSIERS:
        assert route in scanned.senders.pdfs[OFFICER], route
        assert route in scanned.receivers.pdfs[REVIEWER], route
    found = {(h.route, h.needle.what) for h in scanned.senders.hits if h.pdf}
    for route in DOSSIERS:  # the officer's dossier names the states as they are
        assert (route, "a real state, move, reason or notice outcome") in found, route
    assert scanned.receivers.pdf_controls[REVIEWER] == set(CONTROLS)


def test_every_route_and_page_is_called_by_the_reviewer_and_the_monitor(scanned: Result) -> None:
    every = {(r.name, r.method) for r in scanned.routes}
    for user in RECEIVERS:
        assert every - scanned.receivers.calls[user] == set(), user


def test_the_reviewer_reads_what_it_may_and_makes_its_moves(scanned: Result) -> None:
    """The scan reaches the families: a reviewer reads the minimized view (the one health need
    consented to included), and its moves are made, not only refused."""
    statuses = scanned.receivers.statuses
    assert scanned.receivers.controls[REVIEWER] == set(CONTROLS)
    assert {200} <= set(statuses[(REVIEWER, "items.get")]) & set(statuses[(REVIEWER, "pages.item")])
    for move in ("accept", "reject", "revoke", "transfer", "onward", "check_in"):
        made = {
            *statuses[(REVIEWER, f"items.{move}")],
            *statuses[(REVIEWER, f"pages.items.{move}")],
        }
        assert made & {200, 303}, move
    assert 409 in statuses[(REVIEWER, "items.accept")]  # a sender's safeguard, told as held
    made = {*statuses[(MONITOR, "items.check_in")], *statuses[(MONITOR, "pages.items.check_in")]}
    assert made & {200, 303}
