"""Exchange messages: canonical (RFC 8785), signed by the sending party (Ed25519), encrypted to
the recipient (X25519), chained per channel. Every way a message can be wrong is refused with
its reason: a byte changed, a key unknown, revoked or rotated out, another party's message, a
sender that is not its signer, a replay, a gap, another predecessor."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc.jwk import OKPKey

from accord.exchange.envelope import (
    GENESIS,
    Message,
    PeerKey,
    Refused,
    admit,
    key_id,
    seal,
    unseal,
)

AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


class Party:
    def __init__(self, code: str) -> None:
        self.code = code
        self.signing = OKPKey.generate_key("Ed25519")
        self.encryption = OKPKey.generate_key("X25519")

    def public_signing(self) -> OKPKey:
        return OKPKey.import_key(self.signing.as_dict(private=False))

    def public_encryption(self) -> OKPKey:
        return OKPKey.import_key(self.encryption.as_dict(private=False))


US, XK, AL = Party("US"), Party("XK"), Party("AL")


def message(seq: int = 1, prev: str = GENESIS, **changes: object) -> Message:
    fields: dict[str, object] = {
        "kind": "decision",
        "sender": "XK",
        "recipient": "US",
        "agreement": "demo-xk-year",
        "seq": seq,
        "prev": prev,
        "body": {"item": 7, "decision": "accept", "note": "Prishtinë"},
        "sent_at": AT,
    }
    fields.update(changes)
    return Message(**fields)  # type: ignore[arg-type]


def peers(*revoked: Party) -> dict[str, PeerKey]:
    return {
        key_id(p.signing): PeerKey(p.code, p.public_signing(), revoked=p in revoked)
        for p in (XK, AL)
    }


def open_at_us(token: str, known: dict[str, PeerKey] | None = None) -> Message:
    keys = known if known is not None else peers()
    return unseal(token, {key_id(US.encryption): US.encryption}, keys.get, "US")


def test_a_sealed_message_opens_to_the_same_document() -> None:
    sent = message()
    token = seal(sent, XK.signing, US.public_encryption())
    assert "Prishtin" not in token  # encrypted, not merely signed
    opened = open_at_us(token)
    assert opened.document() == sent.document() and opened.digest() == sent.digest()
    assert sent.canonical() == rfc8785.dumps(sent.document())


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_byte_changed_is_refused(data: st.DataObject) -> None:
    token = seal(message(), XK.signing, US.public_encryption())
    at = data.draw(st.integers(0, len(token) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    swapped = data.draw(st.sampled_from([c for c in alphabet if c != token[at]]))
    changed = token[:at] + swapped + token[at + 1 :]
    with pytest.raises(Refused):
        open_at_us(changed)


def test_unknown_revoked_and_foreign_keys_are_refused() -> None:
    stranger = Party("XK")
    token = seal(message(), stranger.signing, US.public_encryption())
    with pytest.raises(Refused, match="signed by an unknown key"):
        open_at_us(token)
    token = seal(message(), XK.signing, US.public_encryption())
    with pytest.raises(Refused, match="signed by a key XK revoked"):
        open_at_us(token, peers(XK))
    to_another = seal(message(), XK.signing, AL.public_encryption())
    with pytest.raises(Refused, match="not encrypted to any key of ours"):
        open_at_us(to_another)


def test_a_key_rotated_out_no_longer_opens_what_is_sent_to_it() -> None:
    old = US.encryption
    token = seal(message(), XK.signing, OKPKey.import_key(old.as_dict(private=False)))
    newer = OKPKey.generate_key("X25519")
    with pytest.raises(Refused, match="not encrypted to any key of ours"):
        unseal(token, {key_id(newer): newer}, peers().get, "US")
    # kept among the keys that decrypt, the older generation still opens it
    both = {key_id(newer): newer, key_id(old): old}
    assert unseal(token, both, peers().get, "US").seq == 1


def test_another_partys_message_and_a_false_sender_are_refused() -> None:
    for_al = seal(message(recipient="AL"), XK.signing, US.public_encryption())
    with pytest.raises(Refused, match="addressed to AL, not to us"):
        open_at_us(for_al)
    posing = seal(message(sender="AL"), XK.signing, US.public_encryption())
    with pytest.raises(Refused, match="says it is from AL but is signed by XK's key"):
        open_at_us(posing)


def test_a_document_that_is_not_the_format_is_refused_even_when_signed() -> None:
    from joserfc import jwe, jws

    def signed(payload: bytes) -> str:
        inner = jws.serialize_compact(
            {"alg": "Ed25519", "kid": key_id(XK.signing)},
            payload,
            XK.signing,
            algorithms=["Ed25519"],
        )
        return jwe.encrypt_compact(
            {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": key_id(US.encryption)},
            inner.encode(),
            US.public_encryption(),
            algorithms=["ECDH-ES+A256KW", "A256GCM"],
        )

    document = message().document()
    with pytest.raises(Refused, match="not canonical"):
        open_at_us(signed(json.dumps(document, indent=1).encode()))
    with pytest.raises(Refused, match="fields are not the format's"):
        open_at_us(signed(rfc8785.dumps({**document, "extra": 1})))
    with pytest.raises(Refused, match="unknown kind"):
        open_at_us(signed(rfc8785.dumps({**document, "kind": "wire.transfer"})))
    with pytest.raises(Refused, match="not a message"):
        open_at_us("garbage")
    ours = key_id(US.encryption).encode()
    header = base64.urlsafe_b64encode(b'{"kid": "' + ours + b'"}').decode().rstrip("=")
    with pytest.raises(Refused, match="does not decrypt"):
        open_at_us(header + ".a.b.c.d")


def test_the_channel_applies_in_order_holds_a_gap_and_knows_a_replay() -> None:
    first = message(1)
    second = message(2, first.digest())
    third = message(3, second.digest())
    assert admit(first, 0, GENESIS) == "apply"
    assert admit(third, 1, first.digest()) == "hold"  # its predecessor has not arrived
    assert admit(second, 1, first.digest()) == "apply"
    assert admit(third, 2, second.digest()) == "apply"
    assert admit(first, 3, third.digest()) == "replay"
    forged = message(2, "f" * 64)
    with pytest.raises(Refused, match="names another predecessor"):
        admit(forged, 1, first.digest())
