"""Country names for the codes Accord stores: what a person reads beside a code.

Accord stores and exchanges ISO 3166-1 alpha-2 codes (`RW`); machines read those, and the
API's JSON and the exchange files keep them. A person reads the name too, by one convention:

- `country_label("RW")` is "Rwanda (RW)": the name with its code, wherever the code matters
  (tables, lists, documents, facts about a person or an agreement);
- `country_name("RW")` is "Rwanda": the name alone, only in headings and titles about an
  agreement's parties ("United States → Rwanda"), where the code is shown nearby or adds nothing.
  A country a person is protected against, or fears, is always shown by its label, so that
  nothing is named that its code would not also show.

The names are ISO 3166-1's, from `pycountry`: the common name where it gives one ("Venezuela",
"Syria", "South Korea") and the ISO short name otherwise ("United States", "Rwanda",
"El Salvador"), spoken the right way round where ISO inverts it ("Democratic Republic of the
Congo"). `XK`, a user-assigned code, is Kosovo, as the EU and the IMF use it (the
built-in scenario does too). Any other code, or a party's own code (`MON-XK`), is shown as it
is, with nothing beside it.

`pycountry` and its database are loaded on the first name asked for, not at import: the command
line starts without them."""

from __future__ import annotations

import functools
from collections.abc import Iterable

USER_ASSIGNED = {"XK": "Kosovo"}
"""Codes outside ISO 3166-1 (its user-assigned range) that Accord names all the same."""

UNINVERTED = {
    "CD": "Democratic Republic of the Congo",
    "FM": "Micronesia",
    "PS": "Palestine",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
}
"""The ISO short names written inverted ("Congo, The Democratic Republic of the") that pycountry
gives no common name for, as they are spoken: in a comma-separated list they would read as two."""


@functools.cache
def _names() -> dict[str, str]:
    """Every alpha-2 code's name, read once from pycountry's database."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        common = getattr(country, "common_name", None)
        names[country.alpha_2] = str(common or country.name)
    return names | UNINVERTED | USER_ASSIGNED


def country_name(code: str, fallback: str | None = None) -> str:
    """The country's name; for a code ISO 3166-1 does not name, `fallback` or the code itself."""
    key = code.strip().upper()
    if len(key) == 2 and key.isascii() and key.isalpha():
        name = _names().get(key)
        if name is not None:
            return name
    return fallback or code


def country_label(code: str, fallback: str | None = None) -> str:
    """The name with the code, "Rwanda (RW)"; the code alone when no name is known."""
    name = country_name(code, fallback)
    return code if name == code else f"{name} ({code})"


def countries_label(codes: Iterable[str], empty: str = "") -> str:
    """Several labels, comma-separated ("Mexico (MX), Spain (ES)"); `empty` when there is none."""
    return ", ".join(country_label(code) for code in codes) or empty
