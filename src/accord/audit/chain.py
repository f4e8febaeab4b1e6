"""The hash chain, as pure functions over plain records.

Each link's hash covers its own content and the previous link's hash, so editing any row breaks
its own hash, deleting a row breaks the next row's link or the sequence, and deleting the tail
breaks the agreement with the stored head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""One encoder for every link: `json.dumps` with options builds a new encoder on each call."""


@dataclass(frozen=True, slots=True)
class Link:
    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Break:
    """The first place the chain does not hold, and why."""

    seq: int
    problem: str


def canonical_time(at: dt.datetime) -> str:
    """UTC, microseconds, no offset: the same text whatever the database handed back."""
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def link_hash(
    *,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    body = _CANONICAL.encode(
        [seq, canonical_time(at), actor, action, entity_type, entity_id, data, prev_hash]
    )
    return hashlib.sha256(body.encode()).hexdigest()


def first_break(links: Iterable[Link], head_seq: int | None, head_hash: str | None) -> Break | None:
    """Walk the chain in sequence order; return the first broken link, or None if it holds."""
    expected_seq, expected_prev = 1, GENESIS
    for link in links:
        if link.seq != expected_seq:
            return Break(expected_seq, f"row {expected_seq} is missing (next row is {link.seq})")
        if link.prev_hash != expected_prev:
            return Break(
                link.seq, "does not link to the row before it (a row was removed or edited)"
            )
        recomputed = link_hash(
            seq=link.seq,
            at=link.at,
            actor=link.actor,
            action=link.action,
            entity_type=link.entity_type,
            entity_id=link.entity_id,
            data=link.data,
            prev_hash=link.prev_hash,
        )
        if recomputed != link.hash:
            return Break(link.seq, "its content does not match its hash (the row was edited)")
        expected_seq, expected_prev = link.seq + 1, link.hash
    last_seq, recorded = expected_seq - 1, head_seq or 0
    if recorded > last_seq:
        return Break(
            last_seq + 1, f"row {last_seq + 1} is missing: the head records rows up to {recorded}"
        )
    if recorded < last_seq:
        return Break(
            recorded + 1,
            f"rows after {recorded} are not recorded by the head"
            " (the head was altered, or rows were added outside Accord)",
        )
    if (head_hash or GENESIS) != expected_prev:
        return Break(
            last_seq, f"the head's hash does not match row {last_seq} (the head was altered)"
        )
    return None
