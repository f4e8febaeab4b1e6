"""Typesetting: a document's inputs (plain JSON data) into PDF bytes, with Typst.

The Typst programs in `typst/` read their data through `sys.inputs` and show every value as
text, never as markup, so nothing a name or a template says can change the layout or run
code. Rendering is deterministic: the same inputs, program, Typst release and fonts give the
same bytes (no creation date, no random id), which is what makes a served notice provable.

Only the fonts in the configured folders are used (never the machine's others, nor Typst's
own), so a document looks and hashes the same on every machine with the same font packages:
Debian's `fonts-noto-core` and `fonts-wqy-microhei` (`make fonts` installs them).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from accord.errors import Conflict

DocumentKind = Literal["notice", "dossier", "report"]

DEFAULT_FONT_DIRS = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts/truetype/wqy")

LATIN = "Noto Sans"
SCRIPT_FONTS: dict[str, str] = {
    "Arab": "Noto Naskh Arabic",
    "Ethi": "Noto Sans Ethiopic",
    "Deva": "Noto Sans Devanagari",
    "Guru": "Noto Sans Gurmukhi",
    "Hans": "WenQuanYi Micro Hei",
}
"""The font for each script beyond Latin, Greek and Cyrillic (which Noto Sans covers)."""

LANGUAGE_SCRIPTS: dict[str, str] = {
    "ar": "Arab",
    "fa": "Arab",
    "ps": "Arab",
    "ur": "Arab",
    "am": "Ethi",
    "ti": "Ethi",
    "hi": "Deva",
    "pa": "Guru",
    "zh": "Hans",
}
"""Languages written in a script other than Latin or Cyrillic, by their usual script."""

RIGHT_TO_LEFT = frozenset({"Arab"})


class FontsMissing(Conflict):
    """The fonts a document needs are not installed: nothing can be served in that script."""


def fonts_for(language: str) -> list[str]:
    """The font families for a document in `language`: its script's first, then every other
    (names, places and codes in other scripts still print)."""
    own = SCRIPT_FONTS.get(LANGUAGE_SCRIPTS.get(language, ""), LATIN)
    return [own, *(f for f in (LATIN, *SCRIPT_FONTS.values()) if f != own)]


def is_right_to_left(language: str) -> bool:
    return LANGUAGE_SCRIPTS.get(language) in RIGHT_TO_LEFT


def canonical(inputs: dict[str, Any]) -> str:
    """The one serialization of a document's inputs that is typeset and stored."""
    return json.dumps(inputs, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    renderer: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


class Typesetter:
    """One Typst compiler with its fonts loaded, shared by the process (loading the fonts is
    the slow part); compiling is serialized, as the compiler is not shared between threads."""

    def __init__(self, font_dirs: Sequence[str]) -> None:
        import typst  # loaded on first use: the command line starts without it

        self._typst = typst
        present = [d for d in font_dirs if Path(d).is_dir()]
        self.fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=present
        )
        self.families = frozenset(self.fonts.families())
        self.missing = sorted({LATIN, *SCRIPT_FONTS.values()} - self.families)
        self._compiler = typst.Compiler(font_paths=self.fonts, ignore_system_fonts=True)
        self._lock = threading.Lock()
        listed = sorted(
            f"{info.family}/{info.style}/{info.weight}/{Path(info.path).name if info.path else ''}"
            f"/{Path(info.path).stat().st_size if info.path else 0}"
            for info in self.fonts.fonts()
            if info.family in {LATIN, *SCRIPT_FONTS.values()}
        )
        fingerprint = hashlib.sha256("\n".join(listed).encode()).hexdigest()[:12]
        self.renderer = f"typst {version('typst')}; fonts {fingerprint}"

    def render(
        self, kind: DocumentKind, inputs: dict[str, Any], *, fmt: Literal["pdf", "png"] = "pdf"
    ) -> Rendered:
        """Typeset one document; FontsMissing when a font its language needs is absent."""
        language = str(inputs.get("lang", "en"))
        needed = fonts_for(language)[0]
        if needed not in self.families or LATIN not in self.families:
            raise FontsMissing(
                f"no font for documents in {language!r} ({needed} is not installed in"
                f" {', '.join(DEFAULT_FONT_DIRS)}): install Debian's fonts-noto-core and"
                " fonts-wqy-microhei (make fonts), or set ACCORD_FONT_DIRS"
            )
        program = _program(kind)
        data = canonical(
            {**inputs, "fonts": [f for f in fonts_for(language) if f in self.families]}
        )
        with self._lock:
            output = self._compiler.compile(
                input=program,
                format=fmt,
                sys_inputs={"data": data},
                ppi=110 if fmt == "png" else None,
            )
        if isinstance(output, list):  # one image per page
            output = output[0]
        if output is None:
            raise AssertionError("the typesetter wrote no document")  # pragma: no cover
        return Rendered(bytes(output), self.renderer)


@cache
def _program(kind: DocumentKind) -> bytes:
    """The Typst program of a kind of document, read once a process."""
    return files("accord.documents").joinpath("typst", f"{kind}.typ").read_bytes()


def default_typesetter() -> Typesetter:
    """The process's typesetter, with the fonts of `ACCORD_FONT_DIRS` (folders separated by
    `:`) or Debian's."""
    configured = os.environ.get("ACCORD_FONT_DIRS")
    return typesetter(tuple(configured.split(":")) if configured else DEFAULT_FONT_DIRS)


@cache
def typesetter(font_dirs: tuple[str, ...] = DEFAULT_FONT_DIRS) -> Typesetter:
    return Typesetter(font_dirs)
