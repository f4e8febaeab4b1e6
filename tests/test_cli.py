"""The root command: `accord --help` lists every command without importing any (no database,
solver or web code), each command is loaded when it runs, and `--db` is declared once and taken
before or after the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from accord.cli import COMMANDS, command_tree
from tests.support import Cli

HEAVY = (
    "sqlalchemy",
    "alembic",
    "polars",
    "numpy",
    "scipy",
    "highspy",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "pydantic_settings",
    "lark",
    "yaml",
    "argon2",
    "accord.db",
    "accord.models",
    "accord.access",
    "accord.agreements.cli",
)
"""What `accord --help` must not import: the database, the solver, the web, the validation
libraries, and the commands' own modules."""

NO_DATABASE = {
    "version",
    "match",
    "scenario people",
    "scenario agreements",
    "keys init",
    "keys rotate",
    "keys export",
}
"""The commands that touch no database, and so take no --db (demo takes its own)."""


def test_the_help_lists_every_command_and_imports_none() -> None:
    script = f"""
import json, sys
from typer.testing import CliRunner
from accord.cli import app
shown = CliRunner().invoke(app, ["--help"], env={{"COLUMNS": "200"}})
print(json.dumps({{
    "exit": shown.exit_code,
    "output": shown.output,
    "imported": [m for m in {HEAVY!r} if m in sys.modules],
}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    assert result["exit"] == 0, result["output"]
    assert result["imported"] == []
    listed = [line.split()[1] for line in result["output"].splitlines() if line.startswith("│ ")]
    assert [name for name in listed if name in COMMANDS] == list(COMMANDS)
    assert "--db" in result["output"]


def test_each_help_line_of_the_root_is_its_commands_own() -> None:
    """The root declares the line it shows for each command: it is the command's first
    paragraph, as the command itself would show it."""
    root = command_tree()
    for name, entry in COMMANDS.items():
        own = root.commands[name]
        assert (own.short_help or own.help or "").split("\n\n")[0] == entry.help, name


def _leaves(command: Any, path: tuple[str, ...] = ()) -> dict[str, Any]:
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        return {" ".join(path): command}
    found: dict[str, Any] = {}
    for name, sub in subcommands.items():
        found |= _leaves(sub, (*path, name))
    return found


def test_every_command_on_the_database_takes_the_one_db_option() -> None:
    root = command_tree()
    [shared] = [p for p in root.params if p.name == "db"]
    for path, command in _leaves(root).items():
        options = [p for p in command.params if p.name == "db"]
        if path in NO_DATABASE:
            assert options == [], path
        elif path == "demo":
            [own] = options
            assert own is not shared and "temporary SQLite file" in (own.help or "")
        else:
            assert options == [shared], path


def test_db_is_taken_before_or_after_the_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    cli = Cli(url).signed_up()
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    after = cli("users", "list", user="ada")
    before = cli("--db", url, "users", "list", user="ada", db=False)
    assert after.exit_code == before.exit_code == 0, (after.output, before.output)
    assert "olga" in before.output
    assert before.output == after.output
    # After the command it overrides the one before: nothing is opened at the first.
    both = cli("--db", elsewhere, "users", "list", user="ada")
    assert both.output == after.output
    assert not (tmp_path / "elsewhere.db").exists()


def test_a_command_on_no_database_refuses_db_after_it_as_before() -> None:
    refused = Cli("unused")("version", "--db", "sqlite://", db=False)
    assert refused.exit_code == 2
    assert "No such option: --db" in refused.output
    shown = Cli("unused")("--db", "sqlite://", "version", db=False)
    assert shown.exit_code == 0
