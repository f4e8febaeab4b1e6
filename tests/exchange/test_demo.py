"""`accord demo --two-deployments`: part of the demo year across two deployments, every message
between them a signed, encrypted file, and the two ledgers reconciled at the end."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.support import Cli


def test_the_two_deployments_demo_carries_the_year_as_files_and_reconciles() -> None:
    started = time.perf_counter()
    result = Cli("unused")("demo", "--two-deployments", "--seed", "1", db=False)
    took = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    output = result.output
    flat = " ".join(output.split())
    assert took < 30, f"the demo took {took:.1f} s"

    # Two deployments, each its own database in a folder removed afterwards.
    folder = re.search(r"each its own database, in (\S+)", flat)
    assert folder is not None, output
    assert not Path(folder.group(1)).exists()
    assert "loaded in both registries" in flat
    assert "each registered the other's public set (xk.jwks.json, us.jwks.json)" in flat

    # The pool out, as files, applied at XK.
    assert "o.reyes proposed pool 1: 10 families" in flat
    assert re.search(
        r"US-XK-demo-xk-year-000001\.accord-message pool\.proposed applied: pool 1: 10 families"
        r" stored",
        flat,
    )

    # XK's decisions back, every one applied by the sender's workflow.
    assert "r.krasniqi accepted 9 families" in flat
    assert "rejected SYNF-" in flat and "(criteria: " in flat
    decisions = re.findall(
        r"XK-US-demo-xk-year-\d{6}\.accord-message decision (accept|reject) item \d+"
        r"(?: \(criteria\))? applied",
        flat,
    )
    assert sorted(decisions) == ["accept"] * 9 + ["reject"]
    assert "its own workflow applied XK's 10 decisions" in flat
    assert "accepted 9, rejected 1; none refused" in flat

    # The withdrawal, carried to XK.
    withdrawn = re.search(r"o\.reyes withdrew (SYNF-\d+) \(item (\d+), accepted by XK\)", flat)
    assert withdrawn is not None, output
    family, item = withdrawn.groups()
    assert f"family.withdrawn applied: item {item} withdrawn by the sender" in flat
    assert re.search(
        rf"│ +{item} │ {family} │ +\d+ │ cancelled +│ withdrawn by the sender +│ withdrawn by the"
        r" sender +│ yes +│",
        output,
    )

    # The statements both ways, the ledgers reconciled: equal.
    assert "Reconciled ledger of demo-xk-year" in flat
    assert "ledger.statement (10 families, " in flat
    assert re.search(r"US holds (\d+) people reserved and 0 transferred; XK states \1 and 0", flat)
    assert re.search(r"XK holds (\d+) people reserved and 0 transferred; US states \1 and 0", flat)
    assert "ledgers reconciled: equal" in flat
    assert "only ours" not in flat and "only theirs" not in flat
