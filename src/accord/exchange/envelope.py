"""Messages between two deployments: canonical, signed by the sender, encrypted to the
recipient, chained per channel (docs/exchange.md).

A message is a JSON document (`Message.document`) canonicalised by RFC 8785, signed as a
compact JWS with the sending party's Ed25519 key (EdDSA, named `Ed25519` as RFC 9864 has it),
and the JWS is encrypted as a compact JWE to the recipient's X25519 key (`ECDH-ES+A256KW`,
`A256GCM`). Opening one checks, in order, and refuses with the reason at the first that fails:
that it decrypts with one of our keys, that its signature is by a key the sender's party holds
and has not revoked, that the document is well formed and canonical, that it is for us and from
the party whose key signed it. What remains is the channel's order (`admit`): the next sequence
number with the previous message's hash applies, an earlier one is a replay, a later one is
held until the gap fills, and one that names another predecessor is refused.

Pure: keys come in as JWKs and lookups, nothing here reads a database or a file.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import rfc8785
from joserfc import jwe, jws
from joserfc.jwk import OKPKey

FORMAT = "accord-exchange/1"
SIGNING = "Ed25519"
KEY_WRAP, CONTENT = "ECDH-ES+A256KW", "A256GCM"
GENESIS = "0" * 64
"""The previous hash of a channel's first message."""

Kind = Literal[
    "pool.proposed",
    "decision",
    "family.withdrawn",
    "transfer.scheduled",
    "arrival",
    "onward.outcome",
    "check_in",
    "incident",
    "ledger.statement",
    "refusal",
]
KINDS: tuple[Kind, ...] = get_args(Kind)
"""Every step that crosses the border, and the sender's refusal of a received one."""
FIELDS = ("format", "id", "kind", "from", "to", "agreement", "seq", "prev", "sent_at", "body")


class Refused(Exception):
    """A message not taken, and why (the reason is audited and shown; nothing else is
    written)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Message:
    """One step of one channel: (sender, recipient, agreement)."""

    kind: Kind
    sender: str
    recipient: str
    agreement: str
    seq: int
    prev: str
    body: Mapping[str, Any]
    sent_at: dt.datetime
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def channel(self) -> tuple[str, str, str]:
        return (self.sender, self.recipient, self.agreement)

    def document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "kind": self.kind,
            "from": self.sender,
            "to": self.recipient,
            "agreement": self.agreement,
            "seq": self.seq,
            "prev": self.prev,
            "sent_at": self.sent_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "body": dict(self.body),
        }

    def canonical(self) -> bytes:
        """RFC 8785: the same document is always the same bytes."""
        return rfc8785.dumps(self.document())

    def digest(self) -> str:
        """What the channel's next message names as its `prev`."""
        return hashlib.sha256(self.canonical()).hexdigest()


def key_id(key: OKPKey) -> str:
    """A key's id: its RFC 7638 thumbprint, the same wherever the public key is read."""
    return str(key.thumbprint())


def seal(message: Message, signing_key: OKPKey, recipient_key: OKPKey) -> str:
    """The message as it travels: a JWE (to the recipient) of a JWS (by the sender)."""
    signed = jws.serialize_compact(
        {"alg": SIGNING, "kid": key_id(signing_key)},
        message.canonical(),
        signing_key,
        algorithms=[SIGNING],
    )
    return jwe.encrypt_compact(
        {"alg": KEY_WRAP, "enc": CONTENT, "kid": key_id(recipient_key)},
        signed.encode(),
        recipient_key,
        algorithms=[KEY_WRAP, CONTENT],
    )


@dataclass(frozen=True)
class PeerKey:
    """A signing key a peer registered: whose it is, and whether it may still sign."""

    party: str
    key: OKPKey
    revoked: bool = False


def unseal(
    token: str,
    own_keys: Mapping[str, OKPKey],
    peer_key: Callable[[str], PeerKey | None],
    own_party: str,
) -> Message:
    """Open a message addressed to us, or refuse it (`Refused`) with the first reason."""
    return open_signed(token, own_keys, peer_key, own_party)[0]


def open_signed(
    token: str,
    own_keys: Mapping[str, OKPKey],
    peer_key: Callable[[str], PeerKey | None],
    own_party: str,
) -> tuple[Message, str]:
    """`unseal`, and the sender's signed message (the compact JWS) inside: what the recipient
    keeps, so it can show anyone with the sender's public key what was sent, and by whom."""
    try:
        header = _header(token, "message")
        own = own_keys.get(str(header.get("kid", "")))
        if own is None:
            raise Refused("not encrypted to any key of ours (unknown or retired key id)")
        opened = jwe.decrypt_compact(token, own, algorithms=[KEY_WRAP, CONTENT])
        signed = (opened.plaintext or b"").decode()
    except Refused:
        raise
    except Exception:
        # A hostile header reaches every corner of the library (an altered curve name is a
        # KeyError in it): whatever fails to open is refused, never a server error.
        raise Refused("does not decrypt: altered, or not a message") from None
    kid = str(_header(signed, "signature").get("kid", ""))
    signer = peer_key(kid)
    if signer is None:
        raise Refused(f"signed by an unknown key ({kid[:16]}…)")
    if signer.revoked:
        raise Refused(f"signed by a key {signer.party} revoked ({kid[:16]}…)")
    try:
        verified = jws.deserialize_compact(signed, signer.key, algorithms=[SIGNING])
    except Exception:  # as above: whatever fails to verify is refused
        raise Refused("its signature does not verify: altered, or not signed by that key") from None
    message = _message(verified.payload)
    if message.recipient != own_party:
        raise Refused(f"addressed to {message.recipient}, not to us ({own_party})")
    if message.sender != signer.party:
        raise Refused(f"says it is from {message.sender} but is signed by {signer.party}'s key")
    return message, signed


def _header(token: str, what: str) -> dict[str, Any]:
    try:
        part = token.split(".")[0]
        padded = part + "=" * (-len(part) % 4)
        header = json.loads(_b64url(padded))
    except (ValueError, IndexError):
        raise Refused(f"not a {what}: its header does not read") from None
    if not isinstance(header, dict):
        raise Refused(f"not a {what}: its header does not read")
    return header


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def _message(payload: bytes) -> Message:
    try:
        document = json.loads(payload)
    except ValueError:
        raise Refused("the signed document is not JSON") from None
    if not isinstance(document, dict) or set(document) != set(FIELDS):
        keys = sorted(document) if isinstance(document, dict) else []
        raise Refused(f"the document's fields are not the format's: {keys}")
    if document["format"] != FORMAT:
        raise Refused(f"format {document['format']!r}: this deployment reads {FORMAT}")
    if rfc8785.dumps(document) != payload:
        raise Refused("the signed document is not canonical (RFC 8785)")
    if document["kind"] not in KINDS:
        raise Refused(f"unknown kind {document['kind']!r}")
    if not isinstance(document["seq"], int) or document["seq"] < 1:
        raise Refused("its sequence number is not a whole number from 1")
    if not isinstance(document["body"], dict):
        raise Refused("its body is not an object")
    try:
        sent_at = dt.datetime.fromisoformat(str(document["sent_at"]))
    except ValueError:
        raise Refused("its sending time does not read") from None
    return Message(
        kind=document["kind"],
        sender=str(document["from"]),
        recipient=str(document["to"]),
        agreement=str(document["agreement"]),
        seq=document["seq"],
        prev=str(document["prev"]),
        body=document["body"],
        sent_at=sent_at,
        id=str(document["id"]),
    )


Admission = Literal["apply", "hold", "replay"]


def admit(message: Message, last_seq: int, last_hash: str) -> Admission:
    """Where a message stands on its channel, given the last one applied (0 and `GENESIS`
    before any): the next one applies if it names the last one's hash; an earlier one is a
    replay; a later one waits for the gap to fill. Refused if it names another predecessor."""
    if message.seq <= last_seq:
        return "replay"
    if message.seq > last_seq + 1:
        return "hold"
    if message.prev != last_hash:
        raise Refused(
            f"message {message.seq} names another predecessor than message {last_seq}:"
            " the channel was altered or a message was replaced"
        )
    return "apply"
