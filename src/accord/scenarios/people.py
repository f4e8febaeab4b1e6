"""A seeded synthetic population for the built-in demo and the benchmarks.

Every person here is synthetic: case ids are `SYN-0000001`, family ids `SYNF-000001`, names
are drawn from small generic lists per region, and counsel contacts are at example.org. The
same seed and reference date always give the same records and byte-identical files, because
only a private `random.Random(seed)` is used (no global random state, clock or uuid).

The mix is meant to exercise every safeguard on believable proportions, not to describe any
real caseload:

- families of 1 to 6 (mean about 2.5): many single adults, couples, parents with children,
  now and then a parent or sibling of the head; a few unaccompanied minors and age disputes,
  and some children turning 18 within weeks of the reference date;
- nationalities weighted toward the countries the reported agreements involve (Central and
  South America, the Caribbean, then Asia and Africa), a few dual nationals (some holding a
  receiver's nationality, e.g. XK or SV), a few stateless families, and US-born children
  (US citizens) in mixed-status families; languages follow nationality, often plus `en`;
- removal orders about 60 % final, 25 % pending, 15 % none; protection about 15 % pending and
  5 % granted against the country of nationality, some denied; fear claims about 4 % against a
  receiver (some negatives decided inside the 15-day reopening window); appeals about 5 %,
  stays about 2 %; convictions about 20 % across categories; vulnerabilities about 8 %, a few
  with a supervisor's S8 assessment; travel documents about 65 %, some expired; counsel for
  about 40 % of families.

Keys whose value is the schema default (empty list, false, null) are left out to keep files
small; every record still validates as a `PersonRecord`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from accord.bulk import collector_paused
from accord.scenarios.people_mix import (
    CONVICTION_CUM,
    CONVICTIONS,
    COUNSEL_OFFICES,
    COUNSEL_ROSTER,
    DETENTION_INCIDENTS,
    FAMILY_SIZES,
    FEAR_CLAIM_RECEIVERS,
    HEALTH_NEEDS,
    LONGEST_VALIDITY,
    OLDEST,
    ORIGIN_CUM,
    ORIGINS,
    RARE_VULNERABILITIES,
    RARE_VULNERABILITY_CUM,
    RARE_VULNERABILITY_RATE,
    S8_REASONS,
    SECOND_CUM,
    SECOND_NATIONALITIES,
    SIZE_CUM,
    SUPERVISORS,
    TRANSIT_JURISDICTIONS,
    Origin,
)

REFERENCE_DATE = dt.date(2026, 1, 15)
"""The day the population is generated for, fixed so the same seed gives the same file."""

SENDER = "US"

T = TypeVar("T")


_Member = tuple[str, str, int, int, bool]
"""Relationship, sex, birth date (as an ordinal), whole years on the day, age disputed."""


class _Family(NamedTuple):
    family_id: str
    origin: Origin
    surname: str
    nationalities: tuple[str, ...]
    """Shared by every member; empty for a stateless family."""
    languages: tuple[str, ...]
    second: tuple[str, str] | None
    """The head's second nationality and the language it brings, if the head is a dual national."""
    status: str
    removal: tuple[str, str | None]
    protection: list[dict[str, str]]
    """The head's claims; other members often share them."""
    counsel: dict[str, str] | None
    single_parent: bool
    """The head has children and no spouse or partner."""


class _Generator:
    """Draws families; all randomness comes from one `random.Random` through `random()`.

    Drawing only with `random()` keeps the output stable across Python versions and is much
    faster than `randint` or `choices`, which matters at 100,000 people.
    """

    def __init__(self, rng: random.Random, on: dt.date) -> None:
        self.random = rng.random
        self.today = on.toordinal()
        self.birth_ranges = [
            (_years_before(on, age + 1).toordinal() + 1, _years_before(on, age).toordinal())
            for age in range(OLDEST + 1)
        ]
        """For each age, the first and last birth ordinal giving exactly that age on the day."""
        self.first_day = self.birth_ranges[-1][0]
        self.iso_days = _iso_days(self.first_day, self.today + LONGEST_VALIDITY)
        """Every day a record can name, as ISO text, indexed from `first_day`."""
        self.counsel_roster = [self.counsel() for _ in range(COUNSEL_ROSTER)]
        """The lawyers and clinics families draw on; many represent several families."""

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return low + int(self.random() * (high - low + 1))

    def choice(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def weighted(self, items: Sequence[T], cumulative: Sequence[float]) -> T:
        return items[bisect.bisect(cumulative, self.random() * cumulative[-1])]

    def iso(self, day: int) -> str:
        return self.iso_days[day - self.first_day]

    def days_ago(self, low: int, high: int) -> str:
        return self.iso_days[
            self.today - self.first_day - low - int(self.random() * (high - low + 1))
        ]

    def member(self, relationship: str, sex: str, age: int, *, disputed: bool = False) -> _Member:
        earliest, latest = self.birth_ranges[age]
        return (
            relationship,
            sex,
            earliest + int(self.random() * (latest - earliest + 1)),
            age,
            disputed,
        )

    # -- a family

    def family(self, number: int, first_case: int, room: int) -> list[dict[str, Any]]:
        random = self.random
        plan = self.plan_members()[:room]
        relationships = {member[0] for member in plan}
        origin = self.weighted(ORIGINS, ORIGIN_CUM)
        stateless = random() < 0.015
        languages = [origin.languages[0]]
        languages += (extra for extra in origin.languages[1:] if random() < 0.35)
        second = None
        if not stateless and random() < 0.03:
            code, _, language = self.weighted(SECOND_NATIONALITIES, SECOND_CUM)
            second = (code, language) if code != origin.code else None
        family = _Family(
            family_id=f"SYNF-{number:06d}",
            origin=origin,
            surname=self.choice(origin.names.family),
            nationalities=() if stateless else (origin.code,),
            languages=tuple(languages),
            second=second,
            status=self.family_status(),
            removal=self.removal_order(),
            protection=self.protection(origin.code),
            counsel=self.choice(self.counsel_roster) if random() < 0.4 else None,
            single_parent="child" in relationships
            and "spouse" not in relationships
            and "partner" not in relationships,
        )
        return [
            self.person(f"SYN-{first_case + offset:07d}", member, family)
            for offset, member in enumerate(plan)
        ]

    def plan_members(self) -> list[_Member]:
        random = self.random
        size = self.weighted(FAMILY_SIZES, SIZE_CUM)[0]
        head_sex = "M" if random() < 0.6 else "F"
        if size == 1:
            return [self.single(head_sex)]
        head_age = self.between(24, 50) if size > 2 else self.between(19, 60)
        members = [self.member("head", head_sex, head_age)]
        youngest_parent = head_age
        if random() < 0.8:
            relationship = "partner" if random() < 0.1 else "spouse"
            partner_age = max(18, head_age + self.between(-8, 6))
            youngest_parent = min(head_age, partner_age)
            partner_sex = ("F" if head_sex == "M" else "M") if random() < 0.97 else head_sex
            members.append(self.member(relationship, partner_sex, partner_age))
        parents = 0
        while len(members) < size:
            draw = random()
            if draw < 0.05 and parents < 2 and head_age <= 55:
                parents += 1
                sex = "F" if parents == 1 or random() < 0.5 else "M"
                members.append(self.member("parent", sex, head_age + self.between(19, 35)))
            elif draw < 0.1:
                sex = "M" if random() < 0.5 else "F"
                members.append(
                    self.member("sibling", sex, max(12, head_age + self.between(-10, 10)))
                )
            else:
                members.append(self.child(youngest_parent))
        return members

    def single(self, sex: str) -> _Member:
        draw = self.random()
        if draw < 0.04:
            return self.member("head", sex, self.between(13, 17))
        if draw < 0.065:
            return self.member("head", sex, self.between(16, 20), disputed=True)
        return self.member("head", sex, min(self.between(18, 45), self.between(18, 75)))

    def child(self, youngest_parent: int) -> _Member:
        random = self.random
        sex = "M" if random() < 0.5 else "F"
        oldest = youngest_parent - 17
        if oldest >= 19 and random() < 0.05:
            eighteenth_birthday = self.birth_ranges[18][1]
            birth = eighteenth_birthday + self.between(-21, 21)
            return "child", sex, birth, 18 if birth <= eighteenth_birthday else 17, False
        return self.member(
            "child", sex, self.between(0, min(oldest, 17 if random() < 0.85 else 26))
        )

    def family_status(self) -> str:
        draw = self.random()
        return "none" if draw < 0.87 else "visa" if draw < 0.965 else "lpr"

    def removal_order(self) -> tuple[str, str | None]:
        draw = self.random()
        if draw < 0.6:
            return "final", self.days_ago(20, 2500)
        if draw < 0.85:
            return "pending", self.days_ago(20, 1500)
        return "none", None

    def counsel(self) -> dict[str, str]:
        names = self.choice(ORIGINS).names
        given = self.choice(names.female if self.random() < 0.5 else names.male)
        lawyer = f"{given} {self.choice(names.family)}"
        if self.random() < 0.5:
            return {"name": lawyer, "contact": f"+1-202-555-01{self.between(0, 99):02d}"}
        office = self.choice(COUNSEL_OFFICES)
        handle = f"office{self.between(1, 999):03d}"
        return {"name": f"{lawyer}, {office}", "contact": f"{handle}@example.org"}

    # -- a person

    def person(self, case_id: str, member: _Member, family: _Family) -> dict[str, Any]:
        """One record, its keys in the schema's order, defaults left out."""
        random = self.random
        relationship, sex, birth, age, disputed = member
        names = family.origin.names
        adult = age >= 18
        is_head = relationship == "head"

        nationalities = list(family.nationalities)
        languages = list(family.languages)
        inherits = relationship == "child" and family.second is not None and random() < 0.5
        if is_head or inherits:
            second = family.second
        elif adult and nationalities and random() < 0.03:
            code, _, language = self.weighted(SECOND_NATIONALITIES, SECOND_CUM)
            second = (code, language) if code != nationalities[0] else None
        else:
            second = None
        if second is not None:
            nationalities.append(second[0])
            if second[1] not in languages:
                languages.append(second[1])
        status = family.status
        if relationship == "child" and age < 12 and status == "none" and random() < 0.15:
            status = "citizen"
            nationalities.append(SENDER)
        elif status == "lpr" and not adult and random() < 0.4:
            status = "none"
        if "en" not in languages and (status == "citizen" or random() < 0.3):
            languages.append("en")

        given_names = names.female if sex == "F" else names.male
        record: dict[str, Any] = {
            "case_id": case_id,
            "family_id": family.family_id,
            "relationship": relationship,
            "given_name": given_names[int(random() * len(given_names))],
            "family_name": family.surname,
        }
        if random() < 0.04:
            record["aliases"] = [f"{self.choice(given_names)} {self.choice(names.family)}"]
        record["birth_date"] = self.iso_days[birth - self.first_day]
        if adult and random() < 0.002:
            sex = "X"
        record["sex"] = sex
        if nationalities:
            record["nationalities"] = nationalities
        record["languages"] = languages
        record["sender_status"] = status

        removal_status, removal_date = family.removal
        if status == "citizen" or (status == "lpr" and random() < 0.7):
            removal_status = "none"
        elif random() < 0.1:
            removal_status, removal_date = self.removal_order()
        if removal_status != "none":
            record["removal_order"] = {"status": removal_status, "date": removal_date}

        if status != "citizen":
            if is_head or random() < 0.6:
                protection = (
                    [dict(entry) for entry in family.protection] if family.protection else []
                )
            else:
                protection = self.protection(family.origin.code)
            if protection:
                record["protection"] = protection
            if random() < 0.04:
                record["fear_claims"] = [self.fear_claim()]
            if removal_status != "none" and random() < 0.06:
                record["appeal_pending"] = True
            if removal_status == "final" and random() < 0.035:
                record["stay_of_removal"] = True

        if adult:
            if random() < 0.3:
                record["convictions"] = self.convictions(age, nationalities)
            if random() < 0.03:
                record["detention_incidents"] = [
                    {"date": self.days_ago(10, 1000), "kind": self.choice(DETENTION_INCIDENTS)}
                ]

        vulnerabilities = self.vulnerabilities(
            sex, age, single_parent=is_head and family.single_parent
        )
        if vulnerabilities:
            record["vulnerabilities"] = vulnerabilities
        if disputed:
            record["age_disputed"] = True

        seriously_ill = "serious_illness" in vulnerabilities or "disability" in vulnerabilities
        fitness = random()
        if fitness < (0.3 if seriously_ill else 0.06):
            record["medical_fit"] = False
        elif fitness < 0.88:
            record["medical_fit"] = True
        has_health_needs = random() < (0.6 if seriously_ill else 0.03)
        if has_health_needs:
            record["health_needs"] = [self.choice(HEALTH_NEEDS)]
        if nationalities and random() < 0.65:
            record["travel_document"] = self.travel_document(nationalities, birth)
        if family.counsel is not None:
            record["counsel"] = dict(family.counsel)
        if random() < (0.5 if has_health_needs else 0.04):
            record["consents"] = ["share_health_needs"]
        if vulnerabilities and random() < 0.25:
            record["assessments"] = [
                {
                    "rule": "S8",
                    "by": self.choice(SUPERVISORS),
                    "date": self.days_ago(0, 300),
                    "reason": self.choice(S8_REASONS),
                }
            ]
        return record

    def protection(self, against: str) -> list[dict[str, str]]:
        draw = self.random()
        if draw < 0.15:
            kind = "asylum" if draw < 0.09 else "withholding" if draw < 0.13 else "cat"
            status = "pending"
        elif draw < 0.2:
            kind = "withholding" if draw < 0.172 else "cat" if draw < 0.185 else "temporary"
            status = "granted"
        elif draw < 0.28:
            kind = "asylum" if draw < 0.26 else "withholding"
            status = "denied"
        elif draw < 0.29:
            kind, status = "asylum", "withdrawn"
        else:
            return []
        return [
            {"type": kind, "status": status, "against": against, "date": self.days_ago(30, 2500)}
        ]

    def fear_claim(self) -> dict[str, str]:
        country = self.choice(FEAR_CLAIM_RECEIVERS)
        draw = self.random()
        if draw < 0.4:
            return {"country": country, "asserted": self.days_ago(1, 120), "outcome": "pending"}
        decided = self.today - self.between(0, 90)
        asserted = decided - self.between(1, 45)
        return {
            "country": country,
            "asserted": self.iso(asserted),
            "outcome": "positive" if draw < 0.6 else "negative",
            "decided": self.iso(decided),
        }

    def convictions(self, age: int, nationalities: list[str]) -> list[dict[str, Any]]:
        random = self.random
        draw = random()
        count = 1 if draw < 0.65 else 2 if draw < 0.9 else 3
        oldest_days = max(31, min((age - 16) * 365, 20 * 365))
        convictions = []
        for _ in range(count):
            category, _, shortest, longest = self.weighted(CONVICTIONS, CONVICTION_CUM)
            conviction: dict[str, Any] = {
                "category": category,
                "date": self.days_ago(30, oldest_days),
                "final": random() < 0.85,
            }
            if random() < 0.85:
                conviction["sentence_months"] = self.between(shortest, longest)
            place = random()
            if place < 0.85 or (place < 0.93 and not nationalities):
                conviction["jurisdiction"] = SENDER
            elif place < 0.93:
                conviction["jurisdiction"] = self.choice(nationalities)
            else:
                conviction["jurisdiction"] = self.choice(TRANSIT_JURISDICTIONS)
            convictions.append(conviction)
        convictions.sort(key=lambda conviction: str(conviction["date"]))
        return convictions

    def vulnerabilities(self, sex: str, age: int, *, single_parent: bool) -> list[str]:
        random = self.random
        if age < 18:
            return ["disability"] if random() < 0.01 else []
        found = []
        if sex == "F" and age <= 45 and random() < 0.035:
            found.append("pregnancy")
        if random() < RARE_VULNERABILITY_RATE:
            found.append(self.weighted(RARE_VULNERABILITIES, RARE_VULNERABILITY_CUM)[0])
        if age >= 65 and random() < 0.6:
            found.append("elderly")
        if single_parent and random() < 0.7:
            found.append("single_parent")
        return found

    def travel_document(self, nationalities: list[str], birth: int) -> dict[str, str]:
        draw = self.random()
        if draw < 0.8:
            kind = "passport"
        elif draw < 0.9:
            kind = "travel_document"
        elif draw < 0.97:
            kind = "identity_card"
        else:
            kind = "laissez_passer"
        days_old = self.today - birth
        if days_old > 60 and self.random() < 0.3:
            expires = self.today - self.between(1, min(1500, days_old - 30))
        else:
            expires = self.today + self.between(1, LONGEST_VALIDITY)
        return {"type": kind, "country": self.choice(nationalities), "expires": self.iso(expires)}


@lru_cache(maxsize=4)
def _iso_days(first: int, last: int) -> tuple[str, ...]:
    return tuple(dt.date.fromordinal(day).isoformat() for day in range(first, last + 1))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def generate_people(count: int, seed: int, *, on: dt.date = REFERENCE_DATE) -> list[dict[str, Any]]:
    """Exactly `count` people (families cut to fit), JSON-ready dicts in the exchange schema."""
    if count < 0:
        raise ValueError("count must not be negative")
    generator = _Generator(random.Random(seed), on)
    people: list[dict[str, Any]] = []
    family_number = 0
    with collector_paused():
        while len(people) < count:
            family_number += 1
            people += generator.family(family_number, len(people) + 1, count - len(people))
    return people
