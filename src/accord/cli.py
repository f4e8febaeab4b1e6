"""The `accord` command."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from accord import __version__
from accord.accounts.cli import app as users_app
from accord.accounts.cli import login_command, logout_command, whoami_command
from accord.agreements.cli import app as agreements_app
from accord.audit.cli import app as audit_app
from accord.cases.cli import app as people_app
from accord.cli_support import DbOption, new_app, out, settings_for
from accord.db import make_engine, upgrade
from accord.proposals.cli import (
    case_app,
    incident_app,
    item_app,
    ledger_app,
    pool_app,
    review_command,
)
from accord.proposals.matching_cli import match_command, propose_command
from accord.proposals.screening_cli import explain_command, screen_command, whatif_command
from accord.scenarios.cli import app as scenario_app

app = new_app(
    "Accord runs transfer agreements between states, with the legal safeguards as hard"
    " constraints.\n\nEvery command that reads or writes the database acts as a signed-in account"
    " (`accord login USERNAME`, or ACCORD_TOKEN): the role and party are the account's."
)
app.command("login")(login_command)
app.command("logout")(logout_command)
app.command("whoami")(whoami_command)
app.add_typer(agreements_app, name="agreements")
app.add_typer(people_app, name="people")
app.add_typer(audit_app, name="audit")
app.add_typer(scenario_app, name="scenario")
app.add_typer(pool_app, name="pool")
app.add_typer(item_app, name="item")
app.add_typer(case_app, name="case")
app.add_typer(incident_app, name="incident")
app.add_typer(ledger_app, name="ledger")
app.add_typer(users_app, name="users")

app.command("screen")(screen_command)
app.command("explain")(explain_command)
app.command("whatif")(whatif_command)
app.command("match")(match_command)
app.command("propose")(propose_command)
app.command("review")(review_command)

db_app = new_app("The database schema.")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Bring the schema to the newest revision (commands also do this unless
    ACCORD_AUTO_MIGRATE=false).

    Needs no sign-in: whoever may change the schema holds the database's own credentials."""
    engine = make_engine(settings_for(db))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    out.print("schema at the newest revision")


@app.command("demo")
def demo(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: a fresh temporary SQLite file)."),
    ] = None,
    count: Annotated[int, typer.Option(min=1, help="Synthetic people to generate.")] = 5000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic population.")] = 1,
) -> None:
    """The built-in scenario end to end: reported arrangements, a synthetic pool, a summary,
    then a year of the workflow under a synthetic Kosovo-style agreement.

    Played by accounts the demo makes in its own database. Needs no sign-in."""
    from accord.scenarios.demo import run_demo

    run_demo(out, db=db, count=count, seed=seed)


@app.command("serve")
def serve(
    db: DbOption = None,
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

    configure()
    if threads is not None:
        os.environ["ACCORD_THREADS"] = str(threads)  # every worker reads its settings from it
    if demo:
        if workers != 1:
            raise typer.BadParameter("the demo runs one worker: its clock lives in the process")
        from accord.scenarios.demo_server import serve_demo

        serve_demo(out, db=db, host=host, port=port)
        return
    settings = settings_for(db)
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


@app.command("version")
def version() -> None:
    """Print Accord's version. Needs no sign-in."""
    out.print(__version__)


def main() -> None:
    app()
