"""Benchmark: the written notices (S6) of a pool of 75 families, served through the real code.

A fresh SQLite database (built by the migrations) holds the workflow demo agreement
(demo-xk-year, its caps raised so that 75 families fit), the synthetic population of
`accord.scenarios` (seed 1), and every shipped notice template, the drafts approved by a
supervisor with a note saying it is a synthetic approval. The first 75 families that pass
screening are proposed in one pool and accepted by the receiver. Then, timed, notice is served
with `accord.proposals.notices.record_notice` on every adult member (in the first language
their record says they read) and on the counsel of every member with counsel on record (in
English), each in its own transaction: the document typeset with Typst from the approved
template, hashed, stored with the notice and its audit event, the family notified once
everyone is served. What is measured:

- the serving pass: number of documents, total seconds, per-document ms (median, p95, max);
- the named baseline, in the same run: the first document alone, cold (the typesetter made and
  its fonts loaded on first use), against the warm median of the rest;
- typesetting alone: each served notice typeset again from its stored inputs, warm, and its
  SHA-256 checked against the one recorded (the same bytes, or the run fails);
- the documents' bytes, and the process's peak resident memory (getrusage);
- where the serving time goes: the time inside `accord.documents.service.ensure_shipped`
  (each call reads and checks every shipped template file again), measured by a timer put
  around that function for the serving pass (what it does is unchanged).

Setting up the database is timed but not counted. Exits 1 when a document is not a served PDF,
is typeset again to other bytes, or a family is not notified at the end; a missed target is
reported, not an error.

    .venv/bin/python bench/documents.py                  # 75 families
    .venv/bin/python bench/documents.py --families 20    # a smaller pool

Target: the 75 families' notices served in under 10 s on a machine of two cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.access import Actor
from accord.agreements.loader import load_registry_file
from accord.agreements.service import load, stored_agreement
from accord.cases.reader import read_people
from accord.cases.service import import_people, stored_people
from accord.cases.writer import write_people
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.documents import service as templates
from accord.documents.typeset import LANGUAGE_SCRIPTS, Typesetter, default_typesetter
from accord.models import NoticeRecord
from accord.proposals import notices, repository
from accord.proposals.pools import PoolFamily, create_pool
from accord.proposals.service import move
from accord.records.agreement import CapIn
from accord.scenarios import workflow_agreement_path
from accord.scenarios.people import REFERENCE_DATE, generate_people
from accord.store import Store, open_store
from accord.workflow.guards import Recipient, family_eligible, notice_recipients
from support import cpu_model

AGREEMENT = "demo-xk-year"
FAMILIES = 75
TARGET_S = 10.0
POPULATION = 1_000
"""People generated: about 400 families, of which the first FAMILIES eligible are taken."""
SEED = 1
DAY = dt.date(2026, 1, 19)
"""The day of proposal, acceptance and service: a Monday inside the agreement's term."""
IMPORTED = SetClock.on(dt.date(2026, 1, 12), 8)
OFFICER = Actor("olga", "officer", "US")
SUPERVISOR = Actor("sam", "supervisor", "US")
REVIEWER = Actor("rita", "reviewer", "XK")
APPROVAL = "synthetic approval for the benchmark: no certified translator has reviewed these drafts"
COUNSEL_LANGUAGE = "en"


@dataclass(frozen=True)
class Document:
    notice_id: int
    case_id: str
    recipient: str
    language: str
    seconds: float
    """The whole service: record_notice in its transaction, committed."""
    typeset: float
    """Of which getting the typesetter (made on first use) and typesetting."""
    size: int
    sha256: str


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]  # nearest rank


def seed(store: Store, families: int) -> tuple[list[int], int]:
    """The agreement, the population, every template approved, one pool of `families` eligible
    families accepted. Returns the item ids and the number of people in them."""
    registry = load_registry_file(workflow_agreement_path())
    spec = registry.agreements[0].model_copy(
        update={
            "caps": [
                CapIn(kind="persons_per_period", limit=100_000, period="P1Y", anchor="term_start"),
                CapIn(kind="present_at_once", limit=100_000),
            ]
        }
    )
    with unit_of_work(store.sessions) as session:
        load(session, registry.model_copy(update={"agreements": [spec]}), "bench")
    with tempfile.TemporaryDirectory(prefix="accord-bench-documents-") as scratch:
        path = Path(scratch) / "people.jsonl"
        write_people(generate_people(POPULATION, SEED, on=REFERENCE_DATE), path)
        rows = read_people(path)
    with unit_of_work(store.sessions) as session:
        import_people(
            session,
            rows,
            source="synthetic population",
            actor="bench",
            role="supervisor",
            at=IMPORTED.now(),
        )
    clock = SetClock.on(DAY)
    with unit_of_work(store.sessions) as session:
        agreement = stored_agreement(session, AGREEMENT)
        by_family: dict[str, int] = {}
        for person in stored_people(session):
            by_family[person.family_id] = by_family.get(person.family_id, 0) + 1
        chosen: list[str] = []
        people = 0
        for family_id in sorted(by_family):
            members = stored_people(session, family_id=family_id)
            if not family_eligible(agreement, members, DAY):
                chosen.append(family_id)
                people += len(members)
            if len(chosen) == families:
                break
        if len(chosen) < families:
            raise SystemExit(f"only {len(chosen)} eligible families in {POPULATION:,} people")
        proposal = create_pool(
            session,
            AGREEMENT,
            [PoolFamily(f) for f in chosen],
            OFFICER,
            clock,
            method="screening",
            pool_limit=people,
        )
        items = [i.id for i in repository.items(session, proposal_id=proposal.id)]
    for item in items:
        with unit_of_work(store.sessions) as session:
            move(session, item, "accept", REVIEWER, clock)
    with unit_of_work(store.sessions) as session:
        for row in templates.list_templates(session, SUPERVISOR, clock):
            if row.status == "draft":
                templates.approve_template(
                    session, row.language, row.version, APPROVAL, SUPERVISOR, clock
                )
    return items, people


@dataclass
class Timer:
    """Seconds spent in one function, and its calls, while it is wrapped."""

    seconds: float = 0.0
    calls: int = 0


@contextmanager
def timed(owner: Any, name: str) -> Iterator[Timer]:
    """Time every call of `owner.name` (a module's global or a class's method, looked up by
    name at each call) while inside; the function itself is called as it is."""
    original = getattr(owner, name)
    timer = Timer()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timer.seconds += time.perf_counter() - started
            timer.calls += 1

    setattr(owner, name, wrapper)
    try:
        yield timer
    finally:
        setattr(owner, name, original)


def plan_notices(store: Store, items: list[int]) -> list[tuple[int, str, Recipient, str]]:
    """(item, case, recipient, language) of every notice the families need: every adult in the
    first language they read with an approved template, counsel in English."""
    with unit_of_work(store.sessions) as session:
        approved = set(templates.approved_languages(session, SetClock.on(DAY)))
        plan: list[tuple[int, str, Recipient, str]] = []
        for item_id in items:
            item = repository.get_item(session, item_id)
            assert item is not None
            members = {m.case_id: m for m in stored_people(session, family_id=item.family_id)}
            for case_id, recipient in notice_recipients(list(members.values()), DAY):
                languages = [lang for lang in members[case_id].languages if lang in approved]
                if recipient == "counsel":
                    plan.append((item_id, case_id, recipient, COUNSEL_LANGUAGE))
                elif languages:
                    plan.append((item_id, case_id, recipient, languages[0]))
                else:
                    raise SystemExit(f"{case_id} reads no language with an approved template")
    return plan


def serve_all(
    store: Store, plan: list[tuple[int, str, Recipient, str]]
) -> tuple[list[Document], Timer]:
    """Every notice of the plan served, each in its own transaction, timed one by one: the
    whole service and, inside it, the typesetting and `ensure_shipped`."""
    clock = SetClock.on(DAY, 10)
    documents = []
    with (
        timed(notices, "default_typesetter") as making,
        timed(Typesetter, "render") as rendering,
        timed(templates, "ensure_shipped") as shipped,
    ):
        for item_id, case_id, recipient, language in plan:
            typeset_before = making.seconds + rendering.seconds
            started = time.perf_counter()
            with unit_of_work(store.sessions) as session:
                served = notices.record_notice(
                    session, item_id, case_id, recipient, language, True, OFFICER, clock
                )
            seconds = time.perf_counter() - started
            pdf = served.document.pdf
            if not pdf.startswith(b"%PDF") or served.outcome != "served":
                raise SystemExit(f"notice {served.notice_id}: {served.outcome}, not a PDF served")
            documents.append(
                Document(
                    served.notice_id,
                    case_id,
                    recipient,
                    language,
                    seconds,
                    making.seconds + rendering.seconds - typeset_before,
                    len(pdf),
                    hashlib.sha256(pdf).hexdigest(),
                )
            )
    return documents, shipped


def not_notified(store: Store, items: list[int]) -> list[str]:
    with unit_of_work(store.sessions) as session:
        states = [repository.get_item(session, i) for i in items]
        return [f"{s.id} {s.state}" for s in states if s is not None and s.state != "notified"]


def typeset_again(store: Store, documents: list[Document]) -> list[float]:
    """Each served notice typeset again from its stored inputs (warm): the seconds each took;
    the run fails if any bytes differ from those served."""
    typesetter = default_typesetter()
    timings = []
    with unit_of_work(store.sessions) as session:
        for document in documents:
            notice = session.get(NoticeRecord, document.notice_id)
            assert notice is not None and notice.document_inputs is not None
            inputs = dict(notice.document_inputs)
            started = time.perf_counter()
            again = typesetter.render("notice", inputs)
            timings.append(time.perf_counter() - started)
            if again.sha256 != document.sha256 or notice.document_sha256 != document.sha256:
                raise SystemExit(f"notice {document.notice_id}: typeset again, other bytes")
    return timings


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=FAMILIES, help="families in the pool")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="accord-bench-documents-") as scratch:
        store = open_store(Settings(database_url=f"sqlite:///{scratch}/bench.db"))
        try:
            started = time.perf_counter()
            items, people = seed(store, args.families)
            plan = plan_notices(store, items)
            setup = time.perf_counter() - started
            rss_setup = peak_rss_mib()
            cpu_before = cpu_seconds()
            started = time.perf_counter()
            documents, shipped = serve_all(store, plan)
            total = time.perf_counter() - started
            cpu = cpu_seconds() - cpu_before
            rss_served = peak_rss_mib()
            left = not_notified(store, items)
            again = typeset_again(store, documents)
        finally:
            store.close()
    load_after = os.getloadavg()[0]

    if left:
        print(f"items not notified after service: {', '.join(left)}", file=sys.stderr)
        return 1
    cold, rest = documents[0], documents[1:]
    seconds = [d.seconds for d in documents]
    sizes = [d.size for d in documents]
    languages = Counter(d.language for d in documents)
    scripts = Counter(LANGUAGE_SCRIPTS.get(d.language, "Latn") for d in documents)
    counsel = sum(1 for d in documents if d.recipient == "counsel")
    warm_whole = statistics.median(d.seconds for d in rest)
    warm_typeset = statistics.median(d.typeset for d in rest)
    typeset_total = sum(d.typeset for d in documents)

    print(f"# Notice documents: {args.families} families, {people} people\n")
    print(
        f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()};"
        f" {default_typesetter().renderer}; load average {load_before:.1f} before,"
        f" {load_after:.1f} after\n"
    )
    print("| measure | value |")
    print("| --- | --- |")
    print(
        f"| documents | {len(documents)} ({len(documents) - counsel} adults,"
        f" {counsel} counsel copies) in {len(languages)} languages |"
    )
    print("| languages | " + ", ".join(f"{k} {n}" for k, n in languages.most_common()) + " |")
    print("| scripts | " + ", ".join(f"{k} {n}" for k, n in scripts.most_common()) + " |")
    print(
        f"| served, total | {total:.2f} s ({len(documents) / total:,.1f} documents/s;"
        f" {cpu:.2f} s of CPU) |"
    )
    print(f"| per document, median | {ms(statistics.median(seconds))} |")
    print(f"| per document, p95 | {ms(percentile(seconds, 95))} |")
    print(f"| per document, max | {ms(max(seconds))} |")
    print(f"| of the total, typesetting | {typeset_total:.2f} s ({typeset_total / total:.0%}) |")
    print(
        f"| of the total, ensure_shipped | {shipped.seconds:.2f} s"
        f" ({shipped.seconds / total:.0%}; {shipped.calls} calls, each reading and checking"
        f" all {len(templates.shipped_templates())} shipped template files) |"
    )
    print(
        f"| typeset again from stored inputs, median / p95 | {ms(statistics.median(again))} /"
        f" {ms(percentile(again, 95))}; every hash as served |"
    )
    print(
        f"| bytes | {sum(sizes):,} in all; per document median {statistics.median(sizes):,.0f},"
        f" min {min(sizes):,}, max {max(sizes):,} |"
    )
    combined = hashlib.sha256("".join(d.sha256 for d in documents).encode()).hexdigest()
    print(f"| the documents' hashes, hashed in order | {combined[:16]} |")
    print(f"| peak resident memory | {rss_served:,.0f} MiB ({rss_setup:,.0f} MiB after setup) |")
    print(f"| setup (not counted) | {setup:.2f} s |")
    print()
    print("| baseline | whole service | of which typesetting |")
    print("| --- | --- | --- |")
    print(
        f"| cold: the first document ({cold.language}, {cold.recipient}), typesetter made and"
        f" fonts loaded | {ms(cold.seconds)} | {ms(cold.typeset)} |"
    )
    print(
        f"| warm: the other {len(rest)}, median | {ms(warm_whole)} | {ms(warm_typeset)}"
        f" (cold is {cold.typeset / warm_typeset:.1f}x) |"
    )
    print()
    met = "met" if total < TARGET_S else "not met"
    print(f"target: under {TARGET_S:.0f} s: {met} ({total:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
