"""`accord templates …` and `accord item notify` / `notice-copy` from the command line, on
SQLite and PostgreSQL, as signed-in accounts: a draft loaded, a faulty one refused with its
place, approved by a supervisor; a notice served, its document typeset again, the same hash."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from accord.documents.service import shipped_templates
from accord.scenarios import workflow_agreement_path
from tests.documents.test_notice_documents import text_of
from tests.proposals.support import AGREEMENT, single
from tests.proposals.test_cli import items
from tests.support import Cli

OFFICER, SUPERVISOR, REVIEWER = "olga", "sam", "rita"


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("ACCORD_NOW", "2026-01-12T09:00:00")
    cli = Cli(database_url).signed_up()
    loaded = cli("agreements", "load", str(workflow_agreement_path()), user=SUPERVISOR)
    assert loaded.exit_code == 0, loaded.output
    people = tmp_path / "people.jsonl"
    records = [single("A1", given_name="Rosa", family_name="Quispe", languages=["es", "qu"])]
    people.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert cli("people", "import", str(people), user=OFFICER).exit_code == 0
    return cli


def test_templates_are_listed_loaded_as_drafts_and_approved_by_a_supervisor(
    cli: Cli, tmp_path: Path
) -> None:
    listed = cli("templates", "list", user=OFFICER)
    assert listed.exit_code == 0, listed.output
    assert re.search(r"en\s+│\s+1\s+│ approved │ Accord notice review", listed.output)
    assert re.search(r"ar\s+│\s+1\s+│ draft", listed.output)  # left a draft for the tests
    english = next(t for t in shipped_templates() if t.spec.language == "en").source
    bad = tmp_path / "notice-de-1.yaml"
    bad.write_text(english.replace("language: en", "language: de").replace("{name}:", "{nme}:"))
    refused = cli("templates", "load", str(bad), user=SUPERVISOR)
    assert refused.exit_code == 2  # bad input
    assert re.search(
        r"line \d+, column \d+ \(text\.body\.0\): unknown placeholder \{nme\}", refused.output
    )
    good = tmp_path / "notice-de-2.yaml"
    good.write_text(english.replace("language: en", "language: de"))
    assert cli("templates", "load", str(good), user=OFFICER).exit_code == 1  # a supervisor's
    loaded = cli("templates", "load", str(good), user=SUPERVISOR)
    assert loaded.exit_code == 0, loaded.output
    assert "de v1 loaded as a draft" in loaded.output
    assert (
        "de v1 already loaded, unchanged"
        in cli("templates", "load", str(good), user=SUPERVISOR).output
    )
    no_note = cli("templates", "approve", "de", "1", "--note", " ", user=SUPERVISOR)
    assert no_note.exit_code == 1
    approved = cli(
        "templates",
        "approve",
        "de",
        "1",
        "--note",
        "certified by B. Weber, 2026-01-10",
        user=SUPERVISOR,
    )
    assert approved.exit_code == 0, approved.output
    assert "notice template de v1 approved by sam" in approved.output


def test_a_notice_served_is_typeset_again_with_the_same_hash(cli: Cli, tmp_path: Path) -> None:
    proposed = cli("pool", "propose", "--agreement", AGREEMENT, user=OFFICER)
    assert proposed.exit_code == 0, proposed.output
    [(number, _)] = items(cli.database_url).values()
    number = str(number)
    assert cli("item", "accept", number, user=REVIEWER).exit_code == 0
    refused = cli("item", "notify", number, "A1", "--language", "qu", user=OFFICER)
    assert refused.exit_code == 1
    assert "no approved notice template in 'qu'" in refused.output
    assert "serve it in es, which A1 reads" in refused.output
    served = cli("item", "notify", number, "A1", "--language", "es", user=OFFICER)
    assert served.exit_code == 0, served.output
    digest = re.search(r"document: notice (\d+), sha256 ([0-9a-f]{64})", served.output)
    assert digest is not None, served.output
    out = tmp_path / "copy.pdf"
    copy = cli("item", "notice-copy", number, "A1", "--out", str(out), user=OFFICER)
    assert copy.exit_code == 0, copy.output
    assert f"recorded sha256 {digest.group(2)}" in copy.output
    assert f"typeset   sha256 {digest.group(2)}: matches" in copy.output
    assert hashlib.sha256(out.read_bytes()).hexdigest() == digest.group(2)
    assert "Rosa Quispe" in text_of(out.read_bytes())
    assert PdfReader(out).trailer["/Root"]["/Lang"] == "es"
    reviewer = cli("item", "notice-copy", number, "A1", user=REVIEWER)
    assert reviewer.exit_code == 1  # a receiver reads no notice
