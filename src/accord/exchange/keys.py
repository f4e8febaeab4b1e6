"""This deployment's own keys, kept in a file outside the database (ACCORD_KEYS_FILE, only its
owner may read it; never logged): per generation an Ed25519 key that signs what we send and an
X25519 key that what is sent to us is encrypted to. Rotating adds a generation: the newest
signs and is the one peers encrypt to; the older ones still decrypt what was sent to them
before, and sign nothing. Peers learn the public halves from `public_set` (a JWK set).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import OKPKey

from accord.errors import Conflict, InvalidInput, Problem
from accord.exchange.envelope import key_id

__all__ = ["OwnKeys", "init", "key_id", "load", "rotate"]

FILE_FORMAT = "accord-keys/1"


@dataclass(frozen=True)
class OwnKeys:
    party: str
    signing: OKPKey
    """The newest generation's Ed25519 key: it signs everything we send."""
    encryption: OKPKey
    """The newest generation's X25519 key: peers encrypt to it."""
    decrypting: dict[str, OKPKey]
    """Every X25519 key we hold, by key id (older generations too)."""
    records: tuple[dict[str, Any], ...]

    def public_set(self) -> dict[str, Any]:
        """The JWK set a peer registers: the newest signing and encryption keys, public only,
        each with its id and use, and the party they speak for."""
        return {
            "party": self.party,
            "keys": [
                {**self.signing.as_dict(private=False), "kid": key_id(self.signing), "use": "sig"},
                {
                    **self.encryption.as_dict(private=False),
                    "kid": key_id(self.encryption),
                    "use": "enc",
                },
            ],
        }


def _generation(now: dt.datetime) -> list[dict[str, Any]]:
    made = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    return [
        {
            "use": "sig",
            "created": made,
            "jwk": OKPKey.generate_key("Ed25519").as_dict(private=True),
        },
        {"use": "enc", "created": made, "jwk": OKPKey.generate_key("X25519").as_dict(private=True)},
    ]


def _write(path: Path, party: str, records: list[dict[str, Any]]) -> None:
    """Written whole to a new file only its owner may read, then moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(path.name + ".new")
    handle = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w") as file:
        json.dump({"format": FILE_FORMAT, "party": party, "keys": records}, file, indent=1)
    os.replace(fresh, path)


def init(path: Path, party: str, now: dt.datetime) -> OwnKeys:
    """The first generation of keys for `party`; refused if the file exists (rotate instead:
    replacing keys would leave messages sent to the old ones unreadable)."""
    if path.exists():
        raise Conflict(f"{path} exists: rotate its keys (accord keys rotate), never replace them")
    if not party.isalpha() or not party.isupper() or not 2 <= len(party) <= 16:
        raise InvalidInput("the keys", [Problem("--party", f"{party!r}: a party code, e.g. US")])
    _write(path, party, _generation(now))
    return load(path)


def rotate(path: Path, now: dt.datetime) -> OwnKeys:
    """A new generation: the newest signs and receives; the older still decrypt."""
    stored = _read(path)
    _write(path, stored["party"], [*stored["keys"], *_generation(now)])
    return load(path)


def _read(path: Path) -> dict[str, Any]:
    try:
        stored = json.loads(path.read_text())
    except FileNotFoundError:
        raise InvalidInput(
            str(path), [Problem("file", "no keys here: create them with `accord keys init`")]
        ) from None
    except ValueError as exc:
        raise InvalidInput(str(path), [Problem("file", f"not a keys file: {exc}")]) from None
    if not isinstance(stored, dict) or stored.get("format") != FILE_FORMAT:
        raise InvalidInput(str(path), [Problem("format", f"not a {FILE_FORMAT} file")])
    return stored


def load(path: Path) -> OwnKeys:
    stored = _read(path)
    records = stored["keys"]
    signing = [OKPKey.import_key(r["jwk"]) for r in records if r["use"] == "sig"]
    encryption = [OKPKey.import_key(r["jwk"]) for r in records if r["use"] == "enc"]
    if not signing or not encryption:
        raise InvalidInput(str(path), [Problem("keys", "a signing and an encryption key needed")])
    return OwnKeys(
        stored["party"],
        signing[-1],
        encryption[-1],
        {key_id(k): k for k in encryption},
        tuple(records),
    )
