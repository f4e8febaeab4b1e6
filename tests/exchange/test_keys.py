"""This deployment's own keys: made once in a file only its owner may read, rotated by adding
a generation (the newest signs and receives, the older still decrypt), exported as a public JWK
set with no private half."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from joserfc.jwk import OKPKey
from typer.testing import CliRunner

from accord.cli import app
from accord.errors import Conflict, InvalidInput
from accord.exchange import keys
from accord.exchange.envelope import GENESIS, Message, PeerKey, seal, unseal

AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_keys_are_made_once_in_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    made = keys.init(path, "US", AT)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert made.party == "US" and made.signing.as_dict()["crv"] == "Ed25519"
    assert made.encryption.as_dict()["crv"] == "X25519"
    with pytest.raises(Conflict, match="rotate its keys"):
        keys.init(path, "US", AT)
    with pytest.raises(InvalidInput, match="--party"):
        keys.init(tmp_path / "other.json", "us; drop", AT)


def test_the_public_set_has_no_private_half(tmp_path: Path) -> None:
    made = keys.init(tmp_path / "keys.json", "US", AT)
    public = made.public_set()
    assert public["party"] == "US"
    assert {k["use"] for k in public["keys"]} == {"sig", "enc"}
    assert all("d" not in k for k in public["keys"])
    assert {k["kid"] for k in public["keys"]} == {
        keys.key_id(made.signing),
        keys.key_id(made.encryption),
    }


def test_rotation_signs_with_the_new_and_still_opens_what_was_sent_to_the_old(
    tmp_path: Path,
) -> None:
    path = tmp_path / "keys.json"
    before = keys.init(path, "US", AT)
    peer = OKPKey.generate_key("Ed25519")
    sent_before = seal(
        Message("decision", "XK", "US", "demo-xk-year", 1, GENESIS, {}, AT),
        peer,
        OKPKey.import_key(before.encryption.as_dict(private=False)),
    )
    after = keys.rotate(path, AT + dt.timedelta(days=90))
    assert keys.key_id(after.signing) != keys.key_id(before.signing)
    assert keys.key_id(after.encryption) != keys.key_id(before.encryption)
    assert len(after.decrypting) == 2
    lookup = {keys.key_id(peer): PeerKey("XK", OKPKey.import_key(peer.as_dict(private=False)))}
    assert unseal(sent_before, after.decrypting, lookup.get, "US").seq == 1


def test_the_commands_make_rotate_and_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys.json"
    monkeypatch.setenv("ACCORD_KEYS_FILE", str(path))
    runner = CliRunner()
    made = runner.invoke(app, ["keys", "init", "--party", "US"])
    assert made.exit_code == 0, made.output
    assert "keys for US written" in made.output
    again = runner.invoke(app, ["keys", "init", "--party", "US"])
    assert again.exit_code == 1 and "rotate its keys" in again.output
    exported = runner.invoke(app, ["keys", "export"])
    public = json.loads(exported.output)
    assert public["party"] == "US" and all("d" not in k for k in public["keys"])
    rotated = runner.invoke(app, ["keys", "rotate"])
    assert rotated.exit_code == 0 and "new signing key" in rotated.output
    assert json.loads(runner.invoke(app, ["keys", "export"]).output) != public
