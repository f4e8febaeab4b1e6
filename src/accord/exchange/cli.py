"""`accord keys …`, `accord peers …`, `accord exchange …` and `accord received …`: this
deployment's own keys (a file, never the database), its peers and their public keys, the
channels to them (queued, delivered over HTTPS or as files, taken in, reconciled), and the
families proposed to our party with our reviewers' steps on them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import may_read
from accord.agreements.service import stored_agreement
from accord.cases.minimized import MinimizedPerson
from accord.cli_support import (
    SignedIn,
    current_settings,
    err,
    new_app,
    out,
    signed_in,
    without_database,
)
from accord.clock import SystemClock, clock_for
from accord.db import unit_of_work
from accord.errors import InvalidInput, Problem
from accord.exchange import channel, keys, peers, receiver, service
from accord.exchange.reconcile import Reconciliation, reconcile
from accord.exchange.views import received_items, received_seen, reviewer_keys
from accord.models import AuditEvent, ExchangeMessage
from accord.records.text import refused_character
from accord.records.vocabulary import IncidentKind, OnwardOutcome, RejectionCode

if TYPE_CHECKING:
    pass

app = new_app("This deployment's own keys for the exchange with its peers (kept in a file).")


@app.command("init")
@without_database
def init_command(
    party: Annotated[str, typer.Option(help="The party this deployment speaks for, e.g. US.")],
) -> None:
    """Create the first signing (Ed25519) and encryption (X25519) keys in ACCORD_KEYS_FILE (a
    new file only its owner may read); refused if it exists.

    Needs no sign-in: whoever holds the server's files holds its keys."""
    settings = current_settings()
    made = keys.init(settings.keys_file, party, clock_for(settings.now).now())
    out.print(f"keys for {escape(made.party)} written to {escape(str(settings.keys_file))}")
    out.print(
        f"signing key {keys.key_id(made.signing)}, encryption key {keys.key_id(made.encryption)}"
    )


@app.command("rotate")
@without_database
def rotate_command() -> None:
    """Add a new generation of keys: the new ones sign and receive from now on; the older ones
    still decrypt what was sent to them. Export the public keys to the peers after.

    Needs no sign-in: whoever holds the server's files holds its keys."""
    settings = current_settings()
    made = keys.rotate(settings.keys_file, clock_for(settings.now).now())
    out.print(
        f"new signing key {keys.key_id(made.signing)}, encryption key {keys.key_id(made.encryption)}"
    )


@app.command("export")
@without_database
def export_command() -> None:
    """Print the public keys as a JWK set, for the peers to register (never the private
    halves).

    Needs no sign-in: the public keys are public."""
    made = keys.load(current_settings().keys_file)
    typer.echo(json.dumps(made.public_set(), indent=1, sort_keys=True))


# --- `accord peers …` ---------------------------------------------------------------------------

PEERS_READ, PEERS_WRITE = "peers.list", "peers.manage"
"""The rules the peers' commands stand on (`accord.access`): registering or revoking who may
speak for another party is an admin's."""
EXCHANGE_RUN = "exchange.run"
"""Running the channels (sync, deliver, export, import), as the server's own loop does: an admin
or a supervisor."""
EXCHANGE_READ = "exchange.messages"
"""Reading the channels' state: an admin's or a supervisor's (kinds, numbers and errors; never
a body)."""
RECONCILE = "agreements.ledger"
"""Reconciling reads the ledger: the sender's staff, the receiver's reviewers, each for the
agreements of their party."""

peers_app = new_app("The peers this deployment exchanges messages with, and their public keys.")

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def _inbox_base(url: str | None) -> str | None:
    """A peer's base URL: HTTPS (plain HTTP only to this machine, for a test of two
    deployments side by side), with no query or fragment."""
    if url is None:
        return None
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)
    if not secure or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput(
            "the peer", [Problem("--url", f"{url!r}: an https:// base URL, e.g. https://accord.xk")]
        )
    return url.rstrip("/")


@peers_app.command("add")
def peers_add_command(
    party: Annotated[str, typer.Argument(metavar="PARTY", help="The peer's party code, e.g. XK.")],
    keys_file: Annotated[
        Path,
        typer.Option(
            "--keys",
            help="The peer's public keys, as its `accord keys export` printed them (FILE.jwks.json).",
            dir_okay=False,
            show_default=False,
        ),
    ],
    url: Annotated[
        str | None,
        typer.Option(
            help="The peer's base URL (https://…): messages are posted to its"
            " /api/v1/exchange/inbox. Without one, they travel as files.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Register a peer's public keys: a new peer, or the new keys of one that rotated (its
    older keys stay until revoked). An admin; audited."""
    with signed_in(PEERS_WRITE) as who, unit_of_work(who.store.sessions) as session:
        added = peers.add(session, party, keys_file, _inbox_base(url), who.name, who.clock.now())
        peer = peers.peer(session, party)
        where = peer.url or "files (no URL)"
    out.print(f"peer {escape(party)}: {len(added)} key(s) added; reached by {escape(where)}")
    for kid in added:
        out.print(f"  {kid}")


@peers_app.command("list")
def peers_list_command() -> None:
    """Every peer, how it is reached, and its keys (signing and encryption), revoked ones
    included. An admin."""
    with signed_in(PEERS_READ) as who, unit_of_work(who.store.sessions) as session:
        listed = peers.listing(session)
    if not listed:
        out.print("no peers: register one with `accord peers add PARTY --keys FILE`")
        return
    table = Table(title="Peers")
    for column in ("party", "reached by", "key id", "use", "added", "revoked"):
        table.add_column(column)
    for one in listed:
        for number, key in enumerate(one.keys or [{}]):
            table.add_row(
                escape(one.party) if number == 0 else "",
                escape(one.url or "files") if number == 0 else "",
                str(key.get("kid", "")),
                str(key.get("use", "")),
                str(key.get("added", "")),
                str(key.get("revoked") or ""),
            )
    out.print(table)


@peers_app.command("revoke-key")
def peers_revoke_key_command(
    kid: Annotated[str, typer.Argument(metavar="KID", help="The key's id (`accord peers list`).")],
) -> None:
    """Revoke a peer's key. A signing key: every message signed with it that arrives from now
    on is refused, by name (say so to the peer: it resends what it signed with the new key); an
    encryption key: nothing more is sealed to it. The key stays on record. An admin; audited."""
    with signed_in(PEERS_WRITE) as who, unit_of_work(who.store.sessions) as session:
        key = peers.revoke_key(session, kid, who.name, who.clock.now())
        party, use, when = key.party, key.use, key.revoked_at
    assert when is not None
    out.print(
        f"{escape(party)}'s {use} key {escape(kid)} revoked {when.isoformat(timespec='seconds')}"
    )


# --- `accord exchange …` ------------------------------------------------------------------------

exchange_app = new_app(
    "The channels to the peers: queue what changed, deliver it (HTTPS or files), take in what"
    " came, and reconcile the ledgers."
)


@exchange_app.command("sync")
def exchange_sync_command() -> None:
    """Queue, for every peer, what changed since it was last told: proposed pools, families
    withdrawn, transfers scheduled or called off, and each side's ledger statement. An admin."""
    with signed_in(EXCHANGE_RUN) as who:
        own = keys.load(who.store.settings.keys_file)
        queued = service.sync(who.store.sessions, own, who.clock.now())
        with unit_of_work(who.store.sessions) as session:
            lines = _described(session, queued)
    out.print(f"{len(queued)} message(s) queued")
    for line in lines:
        out.print(f"  {line}")


def _described(session: Session, message_ids: list[str]) -> list[str]:
    rows = session.scalars(
        select(ExchangeMessage)
        .where(ExchangeMessage.direction == "out", ExchangeMessage.message_id.in_(message_ids))
        .order_by(ExchangeMessage.id)
    )
    return [
        escape(f"{r.kind} to {r.recipient}, {r.agreement_id} #{r.seq} ({r.message_id})")
        for r in rows
    ]


@exchange_app.command("deliver")
def exchange_deliver_command(
    ca_bundle: Annotated[
        Path | None,
        typer.Option(
            "--ca-bundle",
            help="Verify the peers' TLS certificates against these authorities (a PEM file)"
            " instead of the system's (default: ACCORD_EXCHANGE_CA_BUNDLE).",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Post every message due in the outbox to its peer's inbox (POST /api/v1/exchange/inbox),
    each channel in order. At least once: a message the peer could not take is tried again,
    after 2 s, then twice as long each time, up to an hour. Exits 1 when any was not taken.
    An admin; run `accord exchange sync` first."""
    with signed_in(EXCHANGE_RUN) as who:
        own = keys.load(who.store.settings.keys_file)
        bundle = ca_bundle or who.store.settings.exchange_ca_bundle
        with service.client(bundle) as client:
            # The backoff is timed by the system's clock, whatever day the workflow stands on.
            done = service.deliver(
                who.store.sessions, own, service.https_post(client), SystemClock().now()
            )
    out.print(f"{done.delivered} delivered; {done.waiting} waiting in the outbox")
    for error in done.errors:
        err.print(f"[bold red]not delivered[/] {escape(error)}", soft_wrap=True)
    if done.errors:
        raise typer.Exit(1)


@exchange_app.command("export")
def exchange_export_command(
    to: Annotated[str, typer.Option(help="The peer the files are for, e.g. XK.")],
    folder: Annotated[
        Path,
        typer.Option(
            "--out", help="The folder to write the files to.", file_okay=False, show_default=False
        ),
    ],
) -> None:
    """Queue what changed, then write every message waiting for the peer as one file each
    (sealed: only the peer opens them), named in channel order; they count as delivered. An
    admin."""
    with signed_in(EXCHANGE_RUN) as who:
        own = keys.load(who.store.settings.keys_file)
        now = who.clock.now()
        service.sync(who.store.sessions, own, now)
        written = service.export_files(who.store.sessions, own, to, folder, now)
    out.print(f"{len(written)} file(s) for {escape(to)} written to {escape(str(folder))}")
    for path in written:
        out.print(f"  {escape(path.name)}")


@exchange_app.command("import")
def exchange_import_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE…",
            help="Message files, in their order.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
) -> None:
    """Take message files into the inbox, in the order given: each is applied, held until its
    predecessor comes, recognised as a replay, or refused (nothing of it written). Exits 1 when
    any was refused. An admin."""
    with signed_in(EXCHANGE_RUN) as who:
        own = keys.load(who.store.settings.keys_file)
        results = service.import_files(who.store.sessions, own, files, who.clock.now())
    for path, received in results:
        what = f"{received.kind} " if received.kind else ""
        line = f"{path.name}: {what}{received.outcome}: {received.detail}"
        if received.applied:
            line += f" (and {len(received.applied)} held message(s) it released)"
        if received.outcome == "refused":
            err.print(f"[bold red]refused[/] {escape(line)}", soft_wrap=True)
        else:
            out.print(escape(line), soft_wrap=True)
    if any(received.outcome == "refused" for _, received in results):
        raise typer.Exit(1)


@exchange_app.command("status")
def exchange_status_command() -> None:
    """The outbox and the inbox by state, the messages waiting (to be delivered, or for a
    predecessor), those a peer refused, and the latest refused by our inbox. An admin or a
    supervisor."""
    with signed_in(EXCHANGE_READ) as who, unit_of_work(who.store.sessions) as session:
        counts = channel.counts(session)
        waiting, held, refused, turned_away = _status(session)
    table = Table(title="Messages")
    for column in ("direction", "state", "messages"):
        table.add_column(column)
    for (direction, state), number in sorted(counts.items()):
        table.add_row(direction, state, str(number))
    out.print(table if counts else "no messages yet")
    for title, lines in (
        ("waiting to be delivered", waiting),
        ("held until their predecessor comes", held),
        ("refused by the peer", refused),
        ("refused by our inbox (latest)", turned_away),
    ):
        if lines:
            out.print(f"{title}:")
            for line in lines:
                out.print(f"  {escape(line)}", soft_wrap=True)


def _status(session: Session) -> tuple[list[str], list[str], list[str], list[str]]:
    def messages(direction: str, state: str) -> list[ExchangeMessage]:
        return list(
            session.scalars(
                select(ExchangeMessage)
                .where(ExchangeMessage.direction == direction, ExchangeMessage.state == state)
                .order_by(
                    ExchangeMessage.sender,
                    ExchangeMessage.recipient,
                    ExchangeMessage.agreement_id,
                    ExchangeMessage.seq,
                )
            )
        )

    waiting = [
        f"{m.kind} to {m.recipient}, {m.agreement_id} #{m.seq} ({m.message_id}):"
        f" {m.attempts} attempt(s)"
        + (f", next {m.next_attempt_at.isoformat(timespec='seconds')}" if m.next_attempt_at else "")
        + (f"; last error: {m.last_error}" if m.last_error else "")
        for m in messages("out", "queued")
    ]
    held = [
        f"{m.kind} from {m.sender}, {m.agreement_id} #{m.seq} ({m.message_id})"
        for m in messages("in", "held")
    ]
    refused = [
        f"{m.kind} to {m.recipient}, {m.agreement_id} #{m.seq} ({m.message_id}): {m.last_error}"
        for m in messages("out", "refused")
    ]
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "exchange.refused")
        .order_by(AuditEvent.seq.desc())
        .limit(10)
    )
    turned_away = [
        f"{e.at.isoformat(timespec='seconds')}: "
        + (
            f"{e.data.get('kind')} from {e.data.get('from')}, {e.data.get('agreement')}"
            f" #{e.data.get('seq')} ({e.entity_id}): "
            if "kind" in e.data
            else ""
        )
        + str(e.data.get("reason", ""))
        for e in events
    ]
    return waiting, held, refused, turned_away


@exchange_app.command("reconcile")
def exchange_reconcile_command(
    agreement: Annotated[str, typer.Option(help="The agreement, e.g. demo-xk-year.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the reconciliation as one JSON document.")
    ] = False,
) -> None:
    """Our ledger of the agreement against the peer's latest signed statement: the totals of
    each, and every family counted by one side only or in another state, with the messages that
    explain it. Exits 1 when they differ. The sender's staff and the receiver's reviewers."""
    with signed_in(RECONCILE) as who, unit_of_work(who.store.sessions) as session:
        may_read(who.actor, stored_agreement(session, agreement), f"no agreement {agreement!r}")
        own = keys.load(who.store.settings.keys_file)
        found = reconcile(session, own.party, agreement, who.clock.now())
    if as_json:
        typer.echo(json.dumps(found.document(), indent=1, sort_keys=True))
    else:
        _print_reconciliation(found)
    if not found.equal:
        raise typer.Exit(1)


def _print_reconciliation(found: Reconciliation) -> None:
    ours, theirs = found.ours, found.theirs
    table = Table(title=f"{found.agreement}: we are its {found.side}")
    table.add_column("")
    table.add_column(f"ours ({ours.party}, now)")
    stated = (
        f"as of {theirs.as_of.isoformat(timespec='seconds')}, message {theirs.message_id}"
        if theirs.as_of
        else "no statement received"
    )
    table.add_column(f"theirs ({theirs.party}, {stated})")
    table.add_row("families", str(len(ours.families)), str(len(theirs.families)))
    table.add_row("reserved persons", str(ours.reserved_persons), str(theirs.reserved_persons))
    table.add_row(
        "transferred persons", str(ours.transferred_persons), str(theirs.transferred_persons)
    )
    out.print(table)
    if found.equal:
        out.print("the ledgers agree")
        return
    out.print(f"{len(found.differences)} difference(s):")
    for gap in found.differences:
        mine = f"{gap.ours.state}, {gap.ours.persons} persons" if gap.ours else "not counted"
        other = f"{gap.theirs.state}, {gap.theirs.persons} persons" if gap.theirs else "not counted"
        out.print(
            escape(f"item {gap.item} (family {gap.family}): ours {mine}; theirs {other}"),
            soft_wrap=True,
        )
        for m in gap.messages:
            said = f": {m.outcome}" if m.outcome else ""
            line = f"  {m.direction} {m.kind} #{m.seq} {m.message_id} {m.state}{said}"
            out.print(escape(line), soft_wrap=True)
        if not gap.messages:
            out.print("  no message names it")


# --- `accord received …` ------------------------------------------------------------------------

received_app = new_app(
    "The families peers proposed to this deployment's party, and our reviewers' steps on them"
    " (sent to the sender)."
)

ReceivedArg = Annotated[
    int, typer.Argument(metavar="RECEIVED_ID", help="The received family's id (`received list`).")
]


def _own(who: SignedIn) -> keys.OwnKeys:
    """Our keys, for a reviewer of our own party, as the API and the pages ask
    (`accord.exchange.views.reviewer_keys`): the steps are sent in its name."""
    return reviewer_keys(who.store.settings.keys_file, who.actor)


@received_app.command("list")
def received_list_command(
    agreement: Annotated[
        str | None, typer.Option(help="Only the families of this agreement.", show_default=False)
    ] = None,
    members: Annotated[
        bool, typer.Option("--members", help="Each family's members (the minimized view).")
    ] = False,
) -> None:
    """Every family proposed to us, as the sender's messages and our own steps left it. A
    reviewer of our party."""
    with signed_in("received.list") as who:
        _own(who)
        with unit_of_work(who.store.sessions) as session:
            items = list(session.scalars(received_items(agreement)))
            people = (  # each member's read audited, as the API's and the pages' are
                {i.id: received_seen(session, i, who.actor).members for i in items}
                if members
                else {}
            )
            session.expunge_all()
    if not items:
        out.print("no families received")
        return
    table = Table(title="Received families")
    for column in ("id", "from", "agreement", "pool", "item", "family", "size", "state", "since"):
        table.add_column(column)
    for i in items:
        state = i.state + (f" ({i.scheduled_for.isoformat()})" if i.scheduled_for else "")
        table.add_row(
            str(i.id),
            escape(i.sender),
            escape(i.agreement_id),
            str(i.pool_id),
            str(i.item_id),
            escape(i.family_id),
            str(i.size),
            escape(state),
            i.since.isoformat(),
        )
    out.print(table)
    for i in items:
        if i.refusal:
            out.print(f"{i.id}: {escape(i.refusal)}", soft_wrap=True)
        for person in people.get(i.id, []):
            out.print(f"{i.id}: {escape(_member(person))}", soft_wrap=True)


def _member(person: MinimizedPerson) -> str:
    nationalities = "/".join(person.nationalities) or "stateless"
    return (
        f"{person.case_id} {person.given_name} {person.family_name},"
        f" born {person.birth_date}, {person.sex}, {nationalities},"
        f" speaks {', '.join(person.languages) or '?'}"
    )


def _text(option: str, value: str | None) -> str | None:
    """Free text as every other way in takes it (`accord.records.text.FreeText`): no control
    character or reordering one; it is sent to the sender as written."""
    described = refused_character(value) if value is not None else None
    if described is not None:
        raise InvalidInput("the step", [Problem(option, f"a character refused: {described}")])
    return value


def _step(
    rule: str,
    step: str,
    received_id: int,
    act: Callable[[Session, keys.OwnKeys, SignedIn], str],
) -> None:
    """One step of our reviewer's, standing on `rule`: recorded here and queued for the
    sender, in one transaction."""
    with signed_in(rule) as who:
        own = _own(who)
        with unit_of_work(who.store.sessions) as session:
            sent = act(session, own, who)
    out.print(f"received family {received_id}: {step}; sent to the sender as message {sent}")
    out.print("the sender's workflow applies it, or refuses it with its reason")


@received_app.command("decide")
def received_decide_command(
    received_id: ReceivedArg,
    decision: Annotated[
        Literal["accept", "reject", "revoke"], typer.Argument(metavar="accept|reject|revoke")
    ],
    reason_code: Annotated[
        RejectionCode | None,
        typer.Option(help="Why, as a code (a rejection or a revocation).", show_default=False),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(help="Why, in words (a rejection or a revocation).", show_default=False),
    ] = None,
) -> None:
    """Accept or reject a proposed family, or revoke an acceptance before the transfer (with
    a reason code and a reason). A reviewer of our party."""
    _step(
        "received.decide",
        decision,
        received_id,
        lambda session, own, who: receiver.decide(
            session,
            own,
            received_id,
            decision,
            who.actor,
            who.clock.now(),
            reason_code=reason_code,
            reason_text=_text("--reason", reason),
        ),
    )


@received_app.command("arrive")
def received_arrive_command(received_id: ReceivedArg) -> None:
    """Record that a scheduled family arrived, today. A reviewer of our party."""
    _step(
        "received.arrive",
        "arrived",
        received_id,
        lambda session, own, who: receiver.arrive(
            session, own, received_id, who.actor, who.clock.now()
        ),
    )


@received_app.command("onward")
def received_onward_command(
    received_id: ReceivedArg,
    outcome: Annotated[OnwardOutcome, typer.Argument(metavar="OUTCOME")],
    detail: Annotated[
        str | None, typer.Option(help="What happened, in words.", show_default=False)
    ] = None,
) -> None:
    """Record what became of a family after its arrival: remained, returned_home, moved_on,
    absconded or re_transferred. A reviewer of our party."""
    _step(
        "received.onward",
        f"onward {outcome}",
        received_id,
        lambda session, own, who: receiver.onward(
            session,
            own,
            received_id,
            outcome,
            who.actor,
            who.clock.now(),
            detail=_text("--detail", detail),
        ),
    )


@received_app.command("check-in")
def received_check_in_command(
    received_id: ReceivedArg,
    days: Annotated[int, typer.Argument(metavar="30|90|180", help="Which check-in.")],
    note: Annotated[
        str | None, typer.Option(help="What the check-in found, in words.", show_default=False)
    ] = None,
) -> None:
    """Record a monitoring check-in on a family that arrived (30, 90 or 180 days after its
    arrival). A reviewer of our party."""
    if days not in (30, 90, 180):
        raise InvalidInput("the check-in", [Problem("DAYS", f"{days}: 30, 90 or 180")])
    _step(
        "received.check_in",
        f"{days}-day check-in",
        received_id,
        lambda session, own, who: receiver.check_in(
            session,
            own,
            received_id,
            days,  # type: ignore[arg-type]
            who.actor,
            who.clock.now(),
            note=_text("--note", note),
        ),
    )


@received_app.command("incident")
def received_incident_command(
    agreement: Annotated[str, typer.Option(help="The agreement it happened under.")],
    kind: Annotated[IncidentKind, typer.Option(help="What happened.")],
    text: Annotated[str, typer.Option(help="What happened, in words.")],
) -> None:
    """Report an incident under an agreement we receive under; onward removal or ill-treatment
    suspends it at the sender at once (S15). A reviewer of our party."""
    with signed_in("received.incident") as who:
        own = _own(who)
        with unit_of_work(who.store.sessions) as session:
            sent = receiver.report_incident(
                session,
                own,
                agreement,
                kind,
                _text("--text", text) or "",
                who.actor,
                who.clock.now(),
            )
    out.print(f"incident ({kind}) under {escape(agreement)} sent to the sender as message {sent}")
