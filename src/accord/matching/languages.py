"""Official languages of receiving states, for the shared-language scoring factor.

Keys are ISO 3166-1 alpha-2 codes, values ISO 639-1 codes, the language used most in public
life first. A person's `languages` are ISO 639-1 codes too, so sharing one is a set test.

Only languages that have an ISO 639-1 code can be listed: Karakalpak (Uzbekistan) and
Montenegrin, for example, have none and are left out. Languages official only in some
municipalities (Turkish, Bosnian and Romani in Kosovo) are left out too. A country that is not
here has languages "not on file", which scores nothing rather than guessing.

The receivers of the built-in scenario (`accord/scenarios/arrangements.yaml`), each checked
against its constitution or language law:

- XK Kosovo: Albanian and Serbian (Constitution, art. 5);
- RW Rwanda: Kinyarwanda, English, French (Constitution 2003 rev. 2015, art. 8) and Swahili
  (official language law of 2017);
- UZ Uzbekistan: Uzbek (Constitution, art. 4; Russian is widely used but not official);
- SV El Salvador: Spanish (Constitution, art. 62);
- SZ Eswatini: siSwati and English (Constitution 2005, s. 3);
- UG Uganda: English and Swahili (Constitution, art. 6 as amended in 2005);
- GH Ghana: English;
- AL Albania: Albanian (Constitution, art. 14).

The scenario's senders follow (US: English, by Executive Order 14224 of 2025; GB: English, de
facto; IT: Italian), then common countries of nationality and other possible receivers.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

OFFICIAL_LANGUAGES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # Receivers in the built-in scenario, then its senders.
        "XK": ("sq", "sr"),
        "RW": ("rw", "en", "fr", "sw"),
        "UZ": ("uz",),
        "SV": ("es",),
        "SZ": ("ss", "en"),
        "UG": ("en", "sw"),
        "GH": ("en",),
        "AL": ("sq",),
        "IT": ("it",),
        "GB": ("en",),
        "US": ("en",),
        # The Americas.
        "AR": ("es",),
        "BO": ("es", "qu", "ay", "gn"),
        "BR": ("pt",),
        "BZ": ("en",),
        "CA": ("en", "fr"),
        "CL": ("es",),
        "CO": ("es",),
        "CR": ("es",),
        "CU": ("es",),
        "DO": ("es",),
        "EC": ("es",),
        "GT": ("es",),
        "GY": ("en",),
        "HN": ("es",),
        "HT": ("ht", "fr"),
        "JM": ("en",),
        "MX": ("es",),
        "NI": ("es",),
        "PA": ("es",),
        "PE": ("es", "qu", "ay"),
        "PY": ("es", "gn"),
        "TT": ("en",),
        "UY": ("es",),
        "VE": ("es",),
        # Europe.
        "AT": ("de",),
        "BA": ("bs", "hr", "sr"),
        "BE": ("nl", "fr", "de"),
        "BG": ("bg",),
        "CH": ("de", "fr", "it", "rm"),
        "CY": ("el", "tr"),
        "CZ": ("cs",),
        "DE": ("de",),
        "DK": ("da",),
        "EE": ("et",),
        "ES": ("es",),
        "FI": ("fi", "sv"),
        "FR": ("fr",),
        "GR": ("el",),
        "HR": ("hr",),
        "HU": ("hu",),
        "IE": ("ga", "en"),
        "IS": ("is",),
        "LT": ("lt",),
        "LU": ("lb", "fr", "de"),
        "LV": ("lv",),
        "MD": ("ro",),
        "MK": ("mk", "sq"),
        "MT": ("mt", "en"),
        "NL": ("nl",),
        "NO": ("no",),
        "PL": ("pl",),
        "PT": ("pt",),
        "RO": ("ro",),
        "RS": ("sr",),
        "SE": ("sv",),
        "SI": ("sl",),
        "SK": ("sk",),
        "TR": ("tr",),
        "UA": ("uk",),
        # Asia.
        "AF": ("ps", "fa"),
        "AM": ("hy",),
        "AZ": ("az",),
        "BD": ("bn",),
        "CN": ("zh",),
        "GE": ("ka",),
        "ID": ("id",),
        "IN": ("hi", "en"),
        "IQ": ("ar", "ku"),
        "IR": ("fa",),
        "JO": ("ar",),
        "JP": ("ja",),
        "KG": ("ky", "ru"),
        "KH": ("km",),
        "KR": ("ko",),
        "KZ": ("kk", "ru"),
        "LB": ("ar",),
        "LK": ("si", "ta"),
        "MN": ("mn",),
        "MY": ("ms",),
        "NP": ("ne",),
        "PH": ("tl", "en"),
        "PK": ("ur", "en"),
        "RU": ("ru",),
        "SA": ("ar",),
        "SY": ("ar",),
        "TH": ("th",),
        "TJ": ("tg",),
        "TM": ("tk",),
        "VN": ("vi",),
        "YE": ("ar",),
        # Africa.
        "AO": ("pt",),
        "CD": ("fr",),
        "CM": ("fr", "en"),
        "CV": ("pt",),
        "DZ": ("ar",),
        "EG": ("ar",),
        "ER": ("ti", "ar", "en"),
        "ET": ("am",),
        "KE": ("sw", "en"),
        "LR": ("en",),
        "MA": ("ar",),
        "MZ": ("pt",),
        "NG": ("en",),
        "SD": ("ar", "en"),
        "SL": ("en",),
        "SN": ("fr",),
        "SO": ("so", "ar"),
        "SS": ("en",),
        "TN": ("ar",),
        "TZ": ("sw", "en"),
        "ZA": ("en", "af", "zu", "xh", "st", "tn", "ts", "ss", "ve", "nr"),
        "ZM": ("en",),
        "ZW": ("en", "sn", "nd"),
    }
)
"""Eritrea has no de jure official language; Tigrinya, Arabic and English are its working
languages and are listed as such."""


def official_languages(country: str) -> tuple[str, ...] | None:
    """The country's official languages, or None when they are not on file."""
    return OFFICIAL_LANGUAGES.get(country)
