"""The `accord` command.

Every command is named here with its help line and where it lives, and its module is imported
only when it runs (`cli_support.LazyGroup`): `accord --help` imports no database, solver or web
code. `--db` is declared once, on the root, and given to every command (`cli_support`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from accord import __version__
from accord.cli_support import (
    DbOption,
    Lazy,
    LazyGroup,
    current_settings,
    database_url,
    err,
    new_app,
    out,
    without_database,
)

COMMANDS = {
    "login": Lazy(
        "accord.accounts.cli:login_command",
        "Sign in as USERNAME for 12 hours: every command then acts as this account.",
    ),
    "logout": Lazy(
        "accord.accounts.cli:logout_command",
        "Sign out: revoke the token `accord login` kept and remove the token file.",
    ),
    "whoami": Lazy(
        "accord.accounts.cli:whoami_command",
        "Who this command line acts as: user, role, party, and when the sign-in ends.",
    ),
    "screen": Lazy(
        "accord.proposals.screening_cli:screen_command",
        "Screen every person against agreements: who may be proposed, and exactly why not.",
    ),
    "explain": Lazy(
        "accord.proposals.screening_cli:explain_command",
        "Every rule checked for one person against one agreement, in plain words, with sources.",
    ),
    "whatif": Lazy(
        "accord.proposals.screening_cli:whatif_command",
        "How many people and families a draft agreement would admit, and what would block the"
        " rest.",
    ),
    "match": Lazy(
        "accord.proposals.matching_cli:match_command",
        "Screen, then choose the best proposal pools, on files alone (no database).",
    ),
    "propose": Lazy(
        "accord.proposals.matching_cli:propose_command",
        "Propose pools for agreements in force from the stored people.",
    ),
    "review": Lazy(
        "accord.proposals.cli:review_command",
        "A receiver's review: read a pool's waiting families, or apply a decisions file.",
    ),
    "demo": Lazy(
        "accord.cli:demo",
        "The built-in scenario end to end: reported arrangements, a synthetic pool, a summary,"
        "\nthen a year of the workflow under a synthetic Kosovo-style agreement, and its published"
        "\ntransparency report.",
    ),
    "serve": Lazy(
        "accord.cli:serve",
        "Serve the web application (/) and the JSON API (/api/v1, OpenAPI at"
        "\n/api/v1/openapi.json) on the database.",
    ),
    "version": Lazy("accord.cli:version", "Print Accord's version. Needs no sign-in."),
    "agreements": Lazy(
        "accord.agreements.cli:app",
        "The agreement registry: agreements, their status, caps and sources.",
    ),
    "people": Lazy("accord.cases.cli:app", "People and their cases."),
    "audit": Lazy("accord.audit.cli:app", "The audit log: append-only and hash-chained."),
    "scenario": Lazy(
        "accord.scenarios.cli:app",
        "The built-in scenario: reported arrangements and a synthetic population.",
    ),
    "pool": Lazy(
        "accord.proposals.cli:pool_app",
        "Proposal pools: the matcher's pool for an agreement in force, and its items.",
    ),
    "item": Lazy(
        "accord.proposals.cli:item_app",
        "One family's way through the workflow: each command is one move, by the signed-in"
        " account.",
    ),
    "case": Lazy(
        "accord.cases.cli:case_app",
        "Changes to a case that stop a transfer (a court stay, a new claim, an appeal), and a"
        " supervisor's acts that end one or assess a vulnerability.",
    ),
    "templates": Lazy(
        "accord.documents.cli:app",
        "Notice templates, one per language and version: drafts until a supervisor approves one.",
    ),
    "incident": Lazy(
        "accord.monitoring.cli:incident_app",
        "Incidents under an agreement; onward removal or ill-treatment suspends it.",
    ),
    "payments": Lazy(
        "accord.transparency.payments_cli:app",
        "Payments recorded against an agreement (audited).",
    ),
    "retention": Lazy(
        "accord.operations.retention_cli:app",
        "The retention schedule: personal data goes when its purpose ends.",
    ),
    "report": Lazy(
        "accord.transparency.cli:app",
        "The transparency report: per agreement and in total, for a quarter and cumulatively,"
        " small counts suppressed.",
    ),
    "keys": Lazy(
        "accord.exchange.cli:app",
        "This deployment's own keys for the exchange with its peers (kept in a file).",
    ),
    "peers": Lazy(
        "accord.exchange.cli:peers_app",
        "The peers this deployment exchanges messages with, and their public keys.",
    ),
    "exchange": Lazy(
        "accord.exchange.cli:exchange_app",
        "The channels to the peers: queue what changed, deliver it (HTTPS or files), take in what"
        " came, and reconcile the ledgers.",
    ),
    "received": Lazy(
        "accord.exchange.cli:received_app",
        "The families peers proposed to this deployment's party, and our reviewers' steps on them"
        " (sent to the sender).",
    ),
    "ledger": Lazy(
        "accord.agreements.cli:ledger_app",
        "The quota ledger (S13): what each cap holds and every row.",
    ),
    "users": Lazy(
        "accord.accounts.cli:app", "Users and their API tokens, managed by a signed-in admin."
    ),
    "db": Lazy("accord.cli:db_app", "The database schema."),
}
"""The root's commands, in the order `accord --help` lists them."""


class Accord(LazyGroup):
    """The root: the commands of `COMMANDS`, each imported when it runs."""

    lazy = COMMANDS


app = new_app(
    "Accord runs transfer agreements between states, with the legal safeguards as hard"
    " constraints.\n\nEvery command that reads or writes the database acts as a signed-in account"
    " (`accord login USERNAME`, or ACCORD_TOKEN): the role and party are the account's.",
    cls=Accord,
)


@app.callback()
def accord(db: DbOption = None) -> None:
    """Declares the options given before the command (--db, kept for the command)."""


def command_tree() -> LazyGroup:
    """The root with every command loaded, for walking the whole tree."""
    root = typer.main.get_command(app)
    assert isinstance(root, LazyGroup)
    return root.load_all()


db_app = new_app("The database schema.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the schema to the newest revision (commands also do this unless
    ACCORD_AUTO_MIGRATE=false).

    Needs no sign-in: whoever may change the schema holds the database's own credentials."""
    from accord.db import make_engine, upgrade

    engine = make_engine(current_settings())
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    out.print("schema at the newest revision")


@db_app.command("backup")
def db_backup(
    file: Annotated[
        Path,
        typer.Option(
            "--out",
            help="The backup file to write (new: never replaced), its SHA-256 beside it"
            " (FILE.sha256).",
            dir_okay=False,
            show_default=False,
        ),
    ],
) -> None:
    """Back the whole database up into one file, safely while the server writes, and read it
    back (SQLite: the online backup API; PostgreSQL: pg_dump, of the server's version or
    newer). See docs/operations.md.

    Needs no sign-in: whoever backs the database up holds its own credentials."""
    from rich.markup import escape

    from accord.operations.backup import backup

    made = backup(current_settings(), file)
    out.print(f"backup written: {escape(str(made.path))} ({made.kind}, {made.size:,} bytes)")
    out.print(f"sha256 {made.sha256} (recorded in {escape(str(made.checksum_file))})")
    out.print(f"schema revision {made.revision}")
    out.print("rows: " + ", ".join(f"{t} {n:,}" for t, n in made.counts.items()))


@db_app.command("checkpoint")
def db_checkpoint() -> None:
    """SQLite: copy the write-ahead log into the database file and empty it, so no page an
    erasure or the retention schedule changed stays in the log's old frames (the erasing
    commands do this themselves; run it when they said a reader held the log). PostgreSQL: does
    nothing (see docs/operations.md on VACUUM).

    Needs no sign-in: whoever runs it holds the database's own credentials."""
    from accord.db import forget_deleted, make_engine

    engine = make_engine(current_settings())
    try:
        clean = forget_deleted(engine)
    finally:
        engine.dispose()
    if not clean:
        err.print("a reader holds the write-ahead log: try again when the server is quiet")
        raise typer.Exit(1)
    out.print("write-ahead log checkpointed and emptied")


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="The backup file.", dir_okay=False)],
    sha256: Annotated[
        str | None,
        typer.Option(
            help="The file's SHA-256 as recorded (default: the one in FILE.sha256, if any)."
        ),
    ] = None,
) -> None:
    """Restore a backup into an empty database (never into one with tables), then verify its
    audit chain. See docs/operations.md for the restore drill.

    Needs no sign-in: whoever restores the database holds its own credentials."""
    from rich.markup import escape

    from accord.operations.backup import restore

    done = restore(current_settings(), file, sha256=sha256)
    out.print(
        f"restored {escape(str(done.source))} ({done.kind}, {done.size:,} bytes)"
        f" into {escape(done.database)}"
    )
    out.print(f"sha256 {done.sha256}: {escape(done.checksum)}")
    out.print(f"audit chain verified: {done.audit.events:,} events, head {done.audit.head_hash}")
    out.print("rows: " + ", ".join(f"{t} {n:,}" for t, n in done.counts.items()))
    if done.behind:
        out.print(
            f"schema revision {done.revision}, older than this Accord's: run `accord db"
            " upgrade` on this database to bring it to the newest"
        )
    else:
        out.print(f"schema revision {done.revision} (the newest)")


def demo(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: a fresh temporary SQLite file)."),
    ] = None,
    count: Annotated[int, typer.Option(min=1, help="Synthetic people to generate.")] = 5000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic population.")] = 1,
    report_dir: Annotated[
        Path,
        typer.Option(help="Where the demo year's transparency report is written."),
    ] = Path("accord-demo-report"),
    two_deployments: Annotated[
        bool,
        typer.Option(
            "--two-deployments",
            help="Play part of the year across two deployments, the sender's and the"
            " receiver's, each with its own database and keys, exchanging signed, encrypted"
            " messages as files; print the reconciled ledger.",
        ),
    ] = False,
) -> None:
    """The built-in scenario end to end: reported arrangements, a synthetic pool, a summary,
    then a year of the workflow under a synthetic Kosovo-style agreement, and its published
    transparency report.

    Played by accounts the demo makes in its own database. Needs no sign-in."""
    if two_deployments:
        from accord.scenarios.exchange_demo import run_exchange_demo

        run_exchange_demo(out, seed=seed)
        return
    from accord.scenarios.demo import run_demo

    # Its own --db, for another default (a fresh file); `accord --db URL demo` is heard too.
    run_demo(out, db=db or database_url(), count=count, seed=seed, report_dir=report_dir.resolve())


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=256,
            help="Requests each worker works on at once, each with its own database"
            " connection (ACCORD_THREADS, default 8).",
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Seed a fresh demo database (a temporary SQLite file unless --db is given),"
            " stand the clock in the middle of the demo year, make one user per role and"
            " print their passwords.",
        ),
    ] = False,
) -> None:
    """Serve the web application (/) and the JSON API (/api/v1, OpenAPI at
    /api/v1/openapi.json) on the database.

    Needs no sign-in: each request signs in."""
    import uvicorn

    from accord.web.app import create_app, freeze_startup_heap
    from accord.web.logs import configure
    from accord.web.security import SERVER_OPTIONS

    db = database_url()
    configure()
    if threads is not None:
        os.environ["ACCORD_THREADS"] = str(threads)  # every worker reads its settings from it
    if demo:
        if workers != 1:
            raise typer.BadParameter("the demo runs one worker: its clock lives in the process")
        from accord.scenarios.demo_server import serve_demo

        serve_demo(out, db=db, host=host, port=port)
        return
    settings = current_settings()
    out.print(
        f"Accord on http://{host}:{port}/ (the API at /api/v1, described at /api/v1/openapi.json)"
    )
    if workers == 1:
        application = create_app(settings)
        freeze_startup_heap()
        uvicorn.run(application, host=host, port=port, log_level="warning", **SERVER_OPTIONS)
    else:
        if db:
            os.environ["ACCORD_DATABASE_URL"] = db  # the workers read their settings from it
        uvicorn.run(
            "accord.web.factory:app",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            env_file=None,
            **SERVER_OPTIONS,
        )


@without_database
def version() -> None:
    """Print Accord's version. Needs no sign-in."""
    out.print(__version__)


def main() -> None:
    app()
