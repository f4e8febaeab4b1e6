"""Country names beside codes (accord.records.countries): one convention, one source."""

from __future__ import annotations

import subprocess
import sys

import pytest

from accord.records.countries import countries_label, country_label, country_name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("US", "United States"),  # the ISO short name, not "United States of America"
        ("RW", "Rwanda"),
        ("UZ", "Uzbekistan"),
        ("SV", "El Salvador"),
        ("GB", "United Kingdom"),
        ("VE", "Venezuela"),  # the common name, not "Venezuela, Bolivarian Republic of"
        ("SY", "Syria"),
        ("CD", "Democratic Republic of the Congo"),  # ISO's inverted name, turned round
        ("XK", "Kosovo"),  # user-assigned in ISO 3166-1, named all the same
        ("rw", "Rwanda"),
    ],
)
def test_a_code_is_named(code: str, name: str) -> None:
    assert country_name(code) == name
    assert country_label(code) == f"{name} ({code})"


@pytest.mark.parametrize("code", ["ZZ", "QM", "MON-XK", "UKRW-MC", "stateless", "", "R1"])
def test_a_code_nobody_names_is_shown_as_it_is(code: str) -> None:
    assert country_name(code) == code
    assert country_label(code) == code


def test_a_party_iso_does_not_name_takes_the_name_it_is_given() -> None:
    committee = "Monitoring Committee (UK-Rwanda treaty, art. 15)"
    assert country_label("UKRW-MC", committee) == f"{committee} (UKRW-MC)"
    assert country_name("UKRW-MC", committee) == committee
    assert country_label("RW", "Republic of Rwanda") == "Rwanda (RW)", "ISO's name comes first"


def test_several_codes_and_none() -> None:
    assert countries_label(["MX", "ES"]) == "Mexico (MX), Spain (ES)"
    assert countries_label([], "stateless") == "stateless"
    assert countries_label([]) == ""


def test_no_name_is_written_inverted() -> None:
    """A list of labels is comma-separated: no inverted name ("Palestine, State of") may read
    as two. A comma is left only where it belongs to a name that lists places."""
    import pycountry

    with_comma = {c.alpha_2 for c in pycountry.countries if "," in country_name(c.alpha_2)}
    assert with_comma == {"BQ", "SH"}  # "Bonaire, Sint Eustatius and Saba", "Saint Helena, …"


def test_the_names_are_read_only_when_first_asked_for() -> None:
    """The command line and the web application start without pycountry's database."""
    code = (
        "import sys, accord.cli, accord.web.app, accord.scenarios.demo,"
        " accord.agreements.render, accord.records.countries as c;"
        " assert 'pycountry' not in sys.modules, 'imported at start';"
        " assert c.country_name('RW') == 'Rwanda' and 'pycountry' in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
