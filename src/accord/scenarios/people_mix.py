"""What the synthetic population is drawn from: names per region, the countries of origin with
their languages and weights, second nationalities, family sizes, conviction categories with
their sentences, vulnerabilities, health needs, supervisors and counsel.

Tables of data only; `accord.scenarios.people` draws from them. Weights are relative; each
table's running totals (`*_CUM`) are what a draw bisects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Names:
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]


HISPANIC = Names(
    male=("José", "Luis", "Carlos", "Juan", "Miguel", "Jorge", "Pedro", "Andrés", "Daniel"),
    female=("María", "Ana", "Carmen", "Rosa", "Lucía", "Gabriela", "Daniela", "Sofía", "Isabel"),
    family=(
        "García",
        "Hernández",
        "López",
        "Martínez",
        "González",
        "Pérez",
        "Rodríguez",
        "Ramírez",
        "Flores",
        "Torres",
        "Díaz",
        "Morales",
    ),
)
HAITIAN = Names(
    male=("Jean", "Pierre", "Jacques", "Wilson", "Stanley", "Emmanuel", "Frantz", "Ricardo"),
    female=("Marie", "Rose", "Nadège", "Guerline", "Widline", "Fabienne", "Mirlande", "Esther"),
    family=("Joseph", "Jean-Baptiste", "Pierre", "Louis", "Charles", "Etienne", "Désir"),
)
AFGHAN = Names(
    male=("Ahmad", "Mohammad", "Abdul", "Hamid", "Farid", "Naveed", "Rahim", "Zabihullah"),
    female=("Fatima", "Maryam", "Zahra", "Nadia", "Freshta", "Shabnam", "Laila", "Mariam"),
    family=("Ahmadi", "Rahimi", "Karimi", "Hakimi", "Noori", "Sultani", "Safi", "Popal"),
)
CHINESE = Names(
    male=("Wei", "Jun", "Hao", "Lei", "Ming", "Qiang", "Yong", "Jie"),
    female=("Li", "Fang", "Mei", "Ying", "Xiu", "Hui", "Jing", "Yan"),
    family=("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao"),
)
INDIAN = Names(
    male=("Rahul", "Amit", "Sandeep", "Vikram", "Arjun", "Manpreet", "Gurpreet", "Harjit"),
    female=("Priya", "Pooja", "Anjali", "Simran", "Neha", "Kavita", "Harpreet", "Sunita"),
    family=("Singh", "Patel", "Sharma", "Kumar", "Gill", "Sandhu", "Shah", "Mehta"),
)
RUSSIAN = Names(
    male=("Aleksandr", "Dmitry", "Sergey", "Andrey", "Ivan", "Mikhail", "Nikolai", "Pavel"),
    female=("Anna", "Elena", "Olga", "Natalia", "Irina", "Tatiana", "Svetlana", "Yulia"),
    family=("Kovalenko", "Shevchenko", "Bondarenko", "Kravchenko", "Tkachenko", "Melnik"),
)
UZBEK = Names(
    male=("Aziz", "Bekzod", "Jasur", "Sardor", "Rustam", "Dilshod", "Otabek", "Sherzod"),
    female=("Dilnoza", "Malika", "Nodira", "Gulnora", "Madina", "Shahnoza", "Zarina", "Feruza"),
    family=("Yusupov", "Rakhimov", "Karimov", "Tursunov", "Aliev", "Nazarov", "Saidov"),
)
ERITREAN = Names(
    male=("Tesfay", "Yonas", "Dawit", "Mehari", "Samuel", "Filmon", "Robel", "Berhane"),
    female=("Helen", "Senait", "Selam", "Rahel", "Tsega", "Winta", "Saba", "Freweini"),
    family=("Tesfamariam", "Ghebremedhin", "Haile", "Kidane", "Tekle", "Berhe", "Woldu"),
)
ETHIOPIAN = Names(
    male=("Abebe", "Getachew", "Solomon", "Tadesse", "Bereket", "Yohannes", "Mulugeta"),
    female=("Almaz", "Tigist", "Hiwot", "Meron", "Selamawit", "Bethlehem", "Tsion", "Mahlet"),
    family=("Tesfaye", "Bekele", "Alemu", "Girma", "Kebede", "Wolde", "Ayele"),
)
SOMALI = Names(
    male=("Abdi", "Mohamed", "Ahmed", "Hassan", "Abdirahman", "Omar", "Ali", "Yusuf"),
    female=("Hodan", "Amina", "Fadumo", "Hawa", "Sahra", "Ifrah", "Nasra", "Ladan"),
    family=("Warsame", "Farah", "Jama", "Abdi", "Hassan", "Osman", "Hussein", "Nur"),
)
WEST_AFRICAN = Names(
    male=("Kwame", "Kofi", "Emmanuel", "Chinedu", "Oluwaseun", "Ibrahim", "Samuel", "Yaw"),
    female=("Ama", "Akosua", "Grace", "Ngozi", "Funmilayo", "Blessing", "Abena", "Esther"),
    family=("Mensah", "Owusu", "Boateng", "Okafor", "Adeyemi", "Okonkwo", "Asante", "Bello"),
)
FRANCOPHONE_AFRICAN = Names(
    male=("Mamadou", "Ousmane", "Moussa", "Cheikh", "Ibrahima", "Jean-Paul", "Serge"),
    female=("Aminata", "Fatou", "Awa", "Mariama", "Aïssatou", "Brigitte", "Clarisse", "Ndeye"),
    family=("Diallo", "Ndiaye", "Diop", "Sow", "Fall", "Mbarga", "Ngono", "Tchatchoua"),
)


@dataclass(frozen=True, slots=True)
class Origin:
    code: str
    weight: float
    languages: tuple[str, ...]
    """The main language first; the others are added now and then."""
    names: Names


ORIGINS = (
    Origin("VE", 15, ("es",), HISPANIC),
    Origin("HN", 11, ("es",), HISPANIC),
    Origin("GT", 11, ("es",), HISPANIC),
    Origin("MX", 12, ("es",), HISPANIC),
    Origin("SV", 6, ("es",), HISPANIC),
    Origin("CU", 6, ("es",), HISPANIC),
    Origin("NI", 4, ("es",), HISPANIC),
    Origin("CO", 5, ("es",), HISPANIC),
    Origin("HT", 5, ("ht", "fr"), HAITIAN),
    Origin("EC", 5, ("es",), HISPANIC),
    Origin("AF", 2, ("ps", "fa"), AFGHAN),
    Origin("CN", 3, ("zh",), CHINESE),
    Origin("IN", 3, ("hi", "pa"), INDIAN),
    Origin("RU", 2, ("ru",), RUSSIAN),
    Origin("UZ", 2, ("uz", "ru"), UZBEK),
    Origin("ER", 1, ("ti", "ar"), ERITREAN),
    Origin("SO", 1, ("so", "ar"), SOMALI),
    Origin("GH", 1.5, ("en", "ak"), WEST_AFRICAN),
    Origin("NG", 1.5, ("en", "yo", "ha"), WEST_AFRICAN),
    Origin("SN", 1, ("fr", "wo"), FRANCOPHONE_AFRICAN),
    Origin("CM", 1, ("fr", "en"), FRANCOPHONE_AFRICAN),
    Origin("ET", 1, ("am", "om"), ETHIOPIAN),
)

SECOND_NATIONALITIES: tuple[tuple[str, float, str], ...] = (
    ("ES", 4, "es"),
    ("IT", 2, "it"),
    ("CO", 2, "es"),
    ("MX", 2, "es"),
    ("PT", 1, "pt"),
    ("XK", 1.5, "sq"),
    ("SV", 1.5, "es"),
    ("TR", 1, "tr"),
)
"""Second nationality of a dual national, with a language it brings; XK and SV are receivers."""

FEAR_CLAIM_RECEIVERS = ("XK", "RW", "SV", "UG", "GH", "SZ", "UZ")

FAMILY_SIZES = ((1, 38), (2, 20), (3, 16), (4, 14), (5, 8), (6, 4))

CONVICTIONS: tuple[tuple[str, float, int, int], ...] = (
    ("immigration", 24, 0, 12),
    ("traffic", 20, 0, 3),
    ("drugs", 15, 0, 60),
    ("property", 12, 0, 24),
    ("public_order", 10, 0, 6),
    ("fraud", 8, 0, 36),
    ("violent", 8, 6, 120),
    ("sexual", 2, 12, 180),
    ("other", 3, 0, 12),
    ("terrorism", 0.3, 60, 300),
)
"""Category, weight, and the range of sentence months."""

TRANSIT_JURISDICTIONS = ("MX", "GT", "CO", "PA")

DETENTION_INCIDENTS = (
    "disciplinary infraction",
    "fight with another detainee",
    "possession of contraband",
    "refusal to comply with an order",
    "damage to property",
)

RARE_VULNERABILITY_RATE = 0.048
RARE_VULNERABILITIES = (
    ("torture_survivor", 12),
    ("trafficking_survivor", 6),
    ("sexual_violence_survivor", 8),
    ("serious_illness", 12),
    ("disability", 10),
)
"""Vulnerabilities any adult may have (one of them, at the rate above), with their weights."""

OLDEST = 110
"""No one is older; birth dates are drawn from a table this long."""
LONGEST_VALIDITY = 3650
"""Days a valid travel document may still run."""

HEALTH_NEEDS = (
    "daily medication",
    "wheelchair access",
    "regular dialysis",
    "insulin and refrigeration",
    "hearing aid batteries",
    "follow-up appointment with a specialist",
)

SUPERVISORS = ("R. Whitfield", "M. Okafor", "L. Brennan", "S. Nakamura", "D. Castellanos")

S8_REASONS = (
    "Treating physician confirms the condition is stable and care continues on arrival.",
    "Travels with adult family members who provide day-to-day care; escort arranged.",
    "Receiving state confirmed access to the needed treatment in writing.",
    "Assessed in person; the vulnerability does not make transfer unsafe for this person.",
)

COUNSEL_ROSTER = 150
COUNSEL_OFFICES = ("Legal Aid Clinic", "Immigrant Defense Project", "Law Office", "Legal Services")


def cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    cumulative = []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return cumulative


ORIGIN_CUM = cumulative([o.weight for o in ORIGINS])
SECOND_CUM = cumulative([w for _, w, _ in SECOND_NATIONALITIES])
SIZE_CUM = cumulative([w for _, w in FAMILY_SIZES])
CONVICTION_CUM = cumulative([w for _, w, _, _ in CONVICTIONS])
RARE_VULNERABILITY_CUM = cumulative([w for _, w in RARE_VULNERABILITIES])
