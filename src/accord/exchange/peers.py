"""The peers this deployment exchanges with, and their public keys (a JWK set each exports with
`accord keys export`). A revoked key stays on record, so every later message signed with it is
refused by name rather than as unknown."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.service import Entry, record
from accord.errors import Conflict, InvalidInput, NotFound, Problem
from accord.exchange.envelope import PeerKey as Signer
from accord.exchange.envelope import key_id
from accord.models import Party, Peer, PeerKey

USES = {"sig": "Ed25519", "enc": "X25519"}


@dataclass(frozen=True)
class PeerKeys:
    party: str
    url: str | None
    keys: list[dict[str, Any]]
    """Each key: kid, use, added, revoked."""


def read_key_set(path: Path) -> tuple[str, list[OKPKey]]:
    """A peer's exported JWK set: its party and its public keys, or a clear error naming the
    file and the key."""
    source = str(path)
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise InvalidInput(source, [Problem("file", "no such file")]) from None
    except ValueError as exc:
        raise InvalidInput(source, [Problem("file", f"not JSON: {exc}")]) from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise InvalidInput(source, [Problem("keys", "not a JWK set ({'party', 'keys': [...]})")])
    party = document.get("party")
    if not isinstance(party, str) or not party:
        raise InvalidInput(source, [Problem("party", "the set names no party")])
    found: list[OKPKey] = []
    for number, jwk in enumerate(document["keys"]):
        place = f"keys[{number}]"
        if not isinstance(jwk, dict) or jwk.get("use") not in USES:
            raise InvalidInput(source, [Problem(place, "a key needs `use`: sig or enc")])
        if "d" in jwk:
            raise InvalidInput(source, [Problem(place, "a private key: export the public set")])
        try:
            key = OKPKey.import_key(jwk)
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidInput(source, [Problem(place, f"not an OKP key: {exc}")]) from None
        if key.as_dict().get("crv") != USES[jwk["use"]]:
            raise InvalidInput(
                source, [Problem(place, f"a {jwk['use']} key must be {USES[jwk['use']]}")]
            )
        found.append(key)
    return party, found


def add(
    session: Session,
    party: str,
    path: Path,
    url: str | None,
    actor: str,
    now: dt.datetime,
) -> list[str]:
    """Register a peer's keys (a new peer, or new keys of a known one after it rotated); the
    key ids added. The set must be the party's."""
    named, found = read_key_set(path)
    if named != party:
        raise InvalidInput(str(path), [Problem("party", f"the set is {named}'s, not {party}'s")])
    if session.get(Party, party) is None:
        raise NotFound(f"no party {party}: register the agreement that names it first")
    peer = session.get(Peer, party)
    if peer is None:
        peer = Peer(party=party, url=url, added_at=now, added_by=actor)
        session.add(peer)
    elif url is not None:
        peer.url = url
    session.flush()
    added = []
    for key in found:
        kid = key_id(key)
        held = session.get(PeerKey, kid)
        if held is not None:
            if held.party != party:
                raise Conflict(f"key {kid} is registered for {held.party}")
            continue
        use = "sig" if key.as_dict()["crv"] == "Ed25519" else "enc"
        session.add(
            PeerKey(kid=kid, party=party, use=use, jwk=key.as_dict(private=False), added_at=now)
        )
        added.append(kid)
    session.flush()
    record(
        session,
        actor,
        Entry("peer.keys_added", "peer", party, {"keys": added, "url": peer.url}),
        at=now,
    )
    return added


def revoke_key(session: Session, kid: str, actor: str, now: dt.datetime) -> PeerKey:
    key = session.get(PeerKey, kid)
    if key is None:
        raise NotFound(f"no peer key {kid}")
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by = now, actor
        session.flush()
        record(session, actor, Entry("peer.key_revoked", "peer", key.party, {"key": kid}), at=now)
    return key


def signer(session: Session, kid: str) -> Signer | None:
    """The peer key `kid` as the envelope checks a signature: whose, and whether revoked."""
    key = session.get(PeerKey, kid)
    if key is None or key.use != "sig":
        return None
    return Signer(key.party, OKPKey.import_key(key.jwk), key.revoked_at is not None)


def encryption_key(session: Session, party: str) -> OKPKey:
    """The peer's newest encryption key that is not revoked: what we send it is sealed to."""
    key = session.scalars(
        select(PeerKey)
        .where(PeerKey.party == party, PeerKey.use == "enc", PeerKey.revoked_at.is_(None))
        .order_by(PeerKey.added_at.desc(), PeerKey.kid)
    ).first()
    if key is None:
        raise Conflict(f"no encryption key for {party}: register its keys (accord peers add)")
    return OKPKey.import_key(key.jwk)


def peer(session: Session, party: str) -> Peer:
    found = session.get(Peer, party)
    if found is None:
        raise NotFound(f"no peer {party}: register it with `accord peers add`")
    return found


def listing(session: Session) -> list[PeerKeys]:
    result = []
    for one in session.scalars(select(Peer).order_by(Peer.party)):
        keys = session.scalars(
            select(PeerKey).where(PeerKey.party == one.party).order_by(PeerKey.added_at)
        )
        result.append(
            PeerKeys(
                one.party,
                one.url,
                [
                    {
                        "kid": k.kid,
                        "use": k.use,
                        "added": k.added_at.isoformat(timespec="seconds"),
                        "revoked": k.revoked_at.isoformat(timespec="seconds")
                        if k.revoked_at
                        else None,
                    }
                    for k in keys
                ],
            )
        )
    return result
