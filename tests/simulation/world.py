"""A synthetic world for the adversarial simulation: parties, users, agreements and families as
plain exchange-format data (DESIGN §7), and the changes a case file may undergo between imports.

Pure data and a seeded `random.Random`: no Accord code, so that the oracle may read the same
world without depending on what it judges. The same seed gives the same world, which is what
lets a finding be replayed and shrunk.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]

SENDERS = ("US", "GB")
RECEIVERS = ("XK", "RW", "UG", "SV", "GH", "AL", "SZ", "UZ", "PY", "CR")
MONITORS = ("MON-A", "MON-B")
ORIGINS: dict[str, tuple[str, ...]] = {
    "VE": ("es",),
    "CU": ("es",),
    "NI": ("es",),
    "HN": ("es",),
    "CO": ("es",),
    "HT": ("ht", "fr"),
    "AF": ("ps", "fa"),
    "ER": ("ti", "ar"),
    "IR": ("fa",),
}
"""Countries of origin and the languages their nationals are recorded as understanding."""
ALL_LANGUAGES = ("es", "en", "fr", "ht", "ps", "fa", "ti", "ar", "ru", "uk")
KINDS = ("third_country_transfer", "own_nationals_return", "custody", "resettlement", "relocation")
CLAUSES = ("admission", "asylum_access", "monitor_access", "complaints_route", "no_onward_removal")
VULNERABILITIES = (
    "pregnancy",
    "torture_survivor",
    "trafficking_survivor",
    "sexual_violence_survivor",
    "serious_illness",
    "disability",
    "elderly",
    "single_parent",
)
START = dt.date(2026, 1, 12)
"""The first day of every world: inside the synthetic agreements' terms."""
LAST = dt.date(2027, 3, 31)
"""The clock is not moved past this day; the world is seeded again before."""
GIVEN = ("Ana", "Luis", "Marie", "Jean", "Ahmad", "Sara", "Yonas", "Mina", "Omar", "Lea")
FAMILY = ("Perez", "Joseph", "Karimi", "Tesfay", "Lopez", "Noor", "Diaz", "Haile")


@dataclass(frozen=True, slots=True)
class User:
    """An operator: one role, of one party (None: an officer or supervisor of every sender)."""

    name: str
    role: str
    party: str | None


def roster() -> tuple[User, ...]:
    """Every user of every world: the right ones for each agreement, and many wrong ones."""
    users = [User("admin.any", "admin", None), User("admin.us", "admin", "US")]
    for party in SENDERS:
        code = party.lower()
        users += [User(f"officer.{code}", "officer", party)]
        users += [User(f"supervisor.{code}", "supervisor", party)]
        users += [User(f"reviewer.{code}", "reviewer", party)]
    users += [User("officer.any", "officer", None), User("supervisor.any", "supervisor", None)]
    users += [User("supervisor.xk", "supervisor", "XK"), User("officer.rw", "officer", "RW")]
    users += [User(f"reviewer.{r.lower()}", "reviewer", r) for r in RECEIVERS]
    users += [User(f"monitor.{m.lower()}", "monitor", m) for m in MONITORS]
    users += [User("monitor.xk", "monitor", "XK"), User("reviewer.none", "reviewer", None)]
    return tuple(users)


def _day(value: dt.date) -> str:
    return value.isoformat()


def agreement_spec(rng: random.Random, number: int) -> Record:
    """One synthetic agreement in the registry format, mostly complete and in force; some with
    a gap (a missing clause, an old safety assessment, a short term, not yet in force)."""
    sender = SENDERS[0] if number % 5 else SENDERS[1]
    receiver = RECEIVERS[number % len(RECEIVERS)]
    kind = rng.choices(KINDS, weights=(6, 1, 1, 1, 1))[0]
    status = rng.choices(("in_force", "signed", "suspended"), weights=(8, 1, 1))[0]
    history = [{"status": "signed", "date": "2025-11-15", "source": "synthetic"}]
    if status in ("in_force", "suspended"):
        history.append({"status": "in_force", "date": "2026-01-01", "source": "synthetic"})
    if status == "suspended":
        history.append({"status": "suspended", "date": "2026-01-02", "source": "synthetic"})
    has_term = rng.random() < 0.9
    term = None
    if has_term:
        end = rng.choice((dt.date(2026, 9, 30), dt.date(2026, 12, 31), dt.date(2027, 6, 30)))
        term = {"start": "2026-01-01", "end": _day(end), "source": "synthetic"}
    anchors = ("term_start", "calendar", "rolling") if has_term else ("calendar", "rolling")
    caps: list[Record] = [
        {
            "kind": "persons_per_period",
            "limit": rng.randint(4, 40),
            "period": rng.choice(("P1Y", "P6M", "P3M")),
            "anchor": rng.choice(anchors),
        }
    ]
    if rng.random() < 0.4:
        caps.append({"kind": "present_at_once", "limit": rng.randint(3, 20)})
    if rng.random() < 0.2:
        caps.append(
            {"kind": "families_per_period", "limit": rng.randint(2, 8), "period": "P1Y"}
            | {"anchor": "calendar"}
        )
    origins = sorted(ORIGINS)
    scope: Record | None = rng.choice(
        (
            None,
            None,
            {"include": sorted(rng.sample(origins, 4))},
            {"exclude": sorted({receiver, *rng.sample(origins, 1)})},
        )
    )
    instrument: Record = {clause: True for clause in CLAUSES} | {"return_clause": True}
    gap = rng.random()
    if gap < 0.1:
        instrument[rng.choice(CLAUSES[:4])] = False
    elif gap < 0.2:
        instrument["no_onward_removal"] = False  # S4: protection blocks under this instrument
    assessed = dt.date(2025, 12, 1) if rng.random() < 0.85 else dt.date(2025, 4, 1)
    instrument["safety_assessment_date"] = _day(assessed)
    spec: Record = {
        "id": f"a{number:02d}",
        "sender": sender,
        "receiver": receiver,
        "kind": kind,
        "status": status,
        "status_history": history,
        "caps": caps,
        "onward_return": rng.random() < 0.5,
        "instrument": instrument,
        "selection": {"mode": "pool", "pool_factor": 1.5, "reason_required": rng.random() < 0.7},
        "monitors": [rng.choice(MONITORS)],
        "notice_days": rng.choice((10, 10, 14, 21)),
        "sources": {
            "synthetic": {
                "publisher": "Adversarial simulation",
                "date": "2025-11-15",
                "statement": "A synthetic agreement; not a reported fact.",
            }
        },
    }
    if term is not None:
        spec["term"] = term
    if scope is not None:
        spec["nationality_scope"] = scope
    if rng.random() < 0.25:
        spec["criteria"] = [
            {
                "id": "public-order",
                "text": "No final conviction for a violent, sexual or terrorism offence.",
                "expr": "no conviction where category in {violent, sexual, terrorism}",
            }
        ]
    return spec


def _birth(rng: random.Random, first: int, last: int) -> str:
    return _day(dt.date(rng.randint(first, last), rng.randint(1, 12), rng.randint(1, 28)))


def family_records(rng: random.Random, number: int) -> list[Record]:
    """One family: a head, perhaps a spouse, children (some minors, some about to turn 18),
    perhaps another relative; now and then an unaccompanied minor alone."""
    family_id = f"F{number:03d}"
    origin = rng.choice(sorted(ORIGINS))
    nationalities = [origin]
    roll = rng.random()
    if roll < 0.08:
        nationalities.append(rng.choice(RECEIVERS))  # a national of a receiving state too
    elif roll < 0.12:
        nationalities.append(rng.choice(sorted(set(ORIGINS) - {origin})))
    elif roll < 0.13:
        nationalities.append(rng.choice(SENDERS))  # S1
    elif roll < 0.15:
        nationalities = []  # stateless
    languages = list(ORIGINS[origin]) + (["en"] if rng.random() < 0.3 else [])
    shape: list[tuple[str, str]]
    if rng.random() < 0.03:
        shape = [("child", _birth(rng, 2010, 2014))]
    else:
        shape = [("head", _birth(rng, 1958, 2000))]
        if rng.random() < 0.5:
            shape.append(("spouse", _birth(rng, 1960, 2002)))
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            shape.append(("child", _birth(rng, 2006, 2020)))
        if rng.random() < 0.1:
            shape.append(("other_relative", _birth(rng, 1945, 1990)))
    surname = rng.choice(FAMILY)
    records = []
    for index, (relationship, born) in enumerate(shape):
        record: Record = {
            "case_id": f"{family_id}-{index}",
            "family_id": family_id,
            "relationship": relationship,
            "given_name": rng.choice(GIVEN),
            "family_name": surname,
            "birth_date": born,
            "sex": rng.choice("FMX"),
            "nationalities": list(nationalities),
            "languages": list(languages),
            "sender_status": rng.choices(("none", "visa", "lpr", "citizen"), (92, 5, 2, 1))[0],
            "removal_order": rng.choices(
                (
                    {"status": "final", "date": "2025-06-01"},
                    {"status": "pending", "date": "2025-09-01"},
                    {"status": "none"},
                ),
                (90, 5, 5),
            )[0],
            "medical_fit": rng.choices((True, None, False), (92, 4, 4))[0],
        }
        if relationship == "head" and rng.random() < 0.2:
            record["counsel"] = {"name": "Counsel " + rng.choice(FAMILY)}
        if rng.random() < 0.08:
            add_fact(rng, record, START)
        records.append(record)
    return records


@dataclass
class World:
    """The agreements, and the people as the sender's case management system holds them (the
    file an import reads): what the simulation changes, never what Accord derived from it."""

    seed: str
    agreements: list[Record]
    people: dict[str, Record] = field(default_factory=dict)

    @classmethod
    def make(cls, seed: str, *, agreements: int = 20, families: int = 200) -> World:
        rng = random.Random(f"world:{seed}")
        world = cls(seed, [agreement_spec(rng, n) for n in range(agreements)])
        for number in range(families):
            for record in family_records(rng, number):
                world.people[record["case_id"]] = record
        return world

    def registry(self) -> Record:
        parties = [{"code": code, "name": f"State {code}"} for code in (*SENDERS, *RECEIVERS)]
        parties += [{"code": m, "name": f"Monitor {m}", "kind": "organisation"} for m in MONITORS]
        return {"parties": parties, "agreements": self.agreements}

    def families(self) -> dict[str, list[Record]]:
        found: dict[str, list[Record]] = {}
        for record in self.people.values():
            found.setdefault(record["family_id"], []).append(record)
        return found

    def apply(self, records: list[Record]) -> None:
        """An import went through: the file now holds these records."""
        for record in records:
            self.people[record["case_id"]] = copy.deepcopy(record)


# --- Changes to a case file between imports ---------------------------------------------------


def add_fact(rng: random.Random, record: Record, today: dt.date) -> str:
    """Put one protective fact on a record (in place); returns what was added."""
    others = sorted({*RECEIVERS, *ORIGINS})
    countries = [*record["nationalities"], *rng.sample(others, 2)]
    fact = rng.choice(
        (
            "protection",
            "protection",
            "fear",
            "fear",
            "fear",
            "stay",
            "appeal",
            "vulnerable",
            "vulnerable",
            "unfit",
            "unfit",
            "age_disputed",
        )
    )
    if fact == "protection":
        entry = {
            "type": rng.choice(("asylum", "refugee", "withholding", "cat", "temporary")),
            "status": rng.choice(("pending", "pending", "granted", "denied")),
            "against": rng.choice(countries),
            "date": _day(today - dt.timedelta(days=rng.randint(0, 400))),
        }
        record["protection"] = [*record.get("protection", []), entry]
    elif fact == "fear":
        outcome = rng.choice(("pending", "positive", "negative", "negative"))
        asserted = today - dt.timedelta(days=rng.randint(0, 60))
        claim: Record = {"country": rng.choice(countries), "asserted": _day(asserted)}
        claim["outcome"] = outcome
        if outcome != "pending":
            claim["decided"] = _day(asserted + dt.timedelta(days=rng.randint(0, 30)))
        record["fear_claims"] = [*record.get("fear_claims", []), claim]
    elif fact == "stay":
        record["stay_of_removal"] = True
    elif fact == "appeal":
        record["appeal_pending"] = True
    elif fact == "vulnerable":
        kinds = sorted({*record.get("vulnerabilities", []), rng.choice(VULNERABILITIES)})
        record["vulnerabilities"] = kinds
        if rng.random() < 0.5:  # an assessment in the file, by whoever the file says
            record["assessments"] = [
                {
                    "rule": "S8",
                    "by": rng.choice(("Officer Smith", "supervisor.us", "J. Doe")),
                    "date": _day(today - dt.timedelta(days=rng.randint(0, 30))),
                    "reason": "assessed individually; fit to be moved",
                }
            ]
    elif fact == "unfit":
        record["medical_fit"] = False
    else:
        record["age_disputed"] = True
    return fact


PROTECTIVE_KEYS = (
    "protection",
    "fear_claims",
    "stay_of_removal",
    "appeal_pending",
    "vulnerabilities",
    "assessments",
    "age_disputed",
)


def clean(record: Record) -> None:
    """The file forgets every protective fact of the person (in place): the attack a later
    import must not be able to make."""
    for key in PROTECTIVE_KEYS:
        record.pop(key, None)
    record["medical_fit"] = True


def change(
    rng: random.Random, world: World, today: dt.date, family_id: str | None = None
) -> tuple[str, list[Record]]:
    """One random change to the file, about the given family when it can be: the label and
    every record that changed (copies)."""
    families = world.families()
    ids = sorted(families)
    chosen_id = family_id if family_id in families else rng.choice(ids)
    weights = (30, 25, 10, 8, 10, 7, 10) if family_id is None else (45, 20, 10, 5, 5, 5, 10)
    kind = rng.choices(
        ("add", "clean", "swap_children", "move_member", "nationality", "counsel", "fit"),
        weights,
    )[0]
    if kind in ("add", "clean", "nationality", "counsel", "fit"):
        family = families[chosen_id]
        chosen = [copy.deepcopy(r) for r in rng.sample(family, rng.randint(1, len(family)))]
        for record in chosen:
            if kind == "add":
                add_fact(rng, record, today)
            elif kind == "clean":
                clean(record)
            elif kind == "fit":
                record["medical_fit"] = True
            elif kind == "counsel":
                record["counsel"] = {"name": "Counsel " + rng.choice(FAMILY)}
            else:
                pool = sorted({*ORIGINS, *RECEIVERS, *SENDERS})
                record["nationalities"] = sorted(rng.sample(pool, rng.choice((0, 1, 1, 2))))
                if rng.random() < 0.5:
                    record["languages"] = sorted(rng.sample(ALL_LANGUAGES, rng.randint(1, 2)))
        return kind, chosen
    if kind == "swap_children":
        with_children = [f for f in ids if any(r["relationship"] == "child" for r in families[f])]
        by_size: dict[int, list[str]] = {}
        for family_id in with_children:
            by_size.setdefault(len(families[family_id]), []).append(family_id)
        sizes = [size for size, found in by_size.items() if len(found) > 1]
        if not sizes:
            return kind, []
        size = len(families[chosen_id])
        if chosen_id in by_size.get(size, []) and size in sizes:
            second = rng.choice([f for f in by_size[size] if f != chosen_id])
            first = chosen_id
        else:
            first, second = rng.sample(by_size[rng.choice(sorted(sizes))], 2)
        one = copy.deepcopy(
            rng.choice([r for r in families[first] if r["relationship"] == "child"])
        )
        two = copy.deepcopy(
            rng.choice([r for r in families[second] if r["relationship"] == "child"])
        )
        one["family_id"], two["family_id"] = second, first
        return kind, [one, two]
    movable = [r for f in ids for r in families[f] if r["relationship"] != "head"]
    mine = [r for r in families[chosen_id] if r["relationship"] != "head"]
    if not movable:
        return kind, []
    moved = copy.deepcopy(rng.choice(mine or movable))
    moved["family_id"] = rng.choice([f for f in ids if f != moved["family_id"]])
    return kind, [moved]
