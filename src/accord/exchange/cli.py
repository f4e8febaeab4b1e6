"""`accord keys …`: this deployment's own signing and encryption keys (a file, never the
database)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from accord.cli_support import current_settings, new_app, out, without_database
from accord.clock import clock_for
from accord.exchange import keys

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
