"""Who runs a command: the command line signs in as a real account, as the API does.

`accord login` checks the password through `service.authenticate` (the same rate limits and
audit as the API's sign-in), issues a short-lived read-and-write API token named for the host,
and writes it to a file only its owner may read (`Settings.token_file`). Every command that
reads or writes the store then acts as that token's user: `ACCORD_TOKEN` when set (a script's
token from `accord users token issue`), else the token file. The role and the party come from
the account, never from an option.

Credential times are the system's: ACCORD_NOW stands the workflow's clock, and must not make
an expired token live again (nor a fresh one expired).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from accord.accounts import repository, service
from accord.accounts.service import Principal, Unauthorized
from accord.clock import Clock, SystemClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import AccordError

CLI_TOKEN_LIFETIME = dt.timedelta(hours=12)
"""As long as a browser session may last: a working day, then sign in again."""
CLI_SCOPES = ("read", "write")
LOGIN_HINT = "run `accord login USERNAME`, or set ACCORD_TOKEN to an API token"

Source = Literal["ACCORD_TOKEN", "token file"]


class NotSignedIn(Unauthorized):
    """No live credential on the command line: sign in with `accord login`."""

    title = "Not signed in"


class UnsafeTokenFile(AccordError):
    """A token file someone else could read or swap is not trusted with anyone's account."""

    status_code = 401
    title = "Token file refused"


def credential_clock() -> Clock:
    """The clock sign-ins and tokens are judged by: the system's, whatever ACCORD_NOW says."""
    return SystemClock()


def token_path(settings: Settings) -> Path:
    return settings.token_file.expanduser()


# --- The token file -----------------------------------------------------------------------


def _loose(mode: int) -> bool:
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


def read_token_file(path: Path, *, checked: bool = True) -> str | None:
    """The token in the file, or None when there is no file (or it is empty).

    Refused when the file is not the current user's or group or others may read or write it:
    the token signs its holder in. `checked=False` reads it anyway, to revoke it (logout).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnsafeTokenFile(f"cannot read the token file {path}: {exc.strerror}") from None
    if checked and sys.platform != "win32":
        if info.st_uid != os.getuid():
            raise UnsafeTokenFile(
                f"the token file {path} belongs to another user: refused; {LOGIN_HINT}"
            )
        if _loose(info.st_mode):
            raise UnsafeTokenFile(
                f"the token file {path} may be read by group or others"
                f" (mode {stat.S_IMODE(info.st_mode):04o}): refused; remove it and sign in"
                " again (`accord login` writes it for its owner only), or `chmod 600` it"
            )
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UnsafeTokenFile(f"cannot read the token file {path}: {exc.strerror}") from None
    return text or None


def write_token_file(path: Path, token: str) -> None:
    """Write the token for its owner only (0600, in a 0700 directory when it makes one),
    replacing any earlier file at once: no moment where a half-written token is read."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        folder.chmod(0o700)
    if sys.platform != "win32":
        info = folder.stat()
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise UnsafeTokenFile(
                f"{folder} may be written by others: choose ACCORD_TOKEN_FILE in a folder"
                " only you may write"
            )
    partial = folder / f".{path.name}.{os.getpid()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(partial, flags, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.chmod(partial, 0o600)  # whatever the umask left
            handle.write(token + "\n")
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise


def remove_token_file(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


# --- Who acts ------------------------------------------------------------------------------


def env_token(settings: Settings) -> str | None:
    """The token in ACCORD_TOKEN, when one is given."""
    token = settings.token.get_secret_value().strip() if settings.token is not None else ""
    return token or None


def presented_token(settings: Settings) -> tuple[str, Source] | None:
    """The token the command line acts with, and where it came from: ACCORD_TOKEN first, else
    the token file; None when there is neither."""
    token = env_token(settings)
    if token is not None:
        return token, "ACCORD_TOKEN"
    token = read_token_file(token_path(settings))
    return (token, "token file") if token is not None else None


def principal(session: Session, settings: Settings) -> Principal:
    """Who is signed in on this command line; `NotSignedIn` (nothing written) when no token is
    given or it is unknown, expired or revoked, or its user is deactivated."""
    found = presented_token(settings)
    if found is None:
        raise NotSignedIn(f"not signed in: {LOGIN_HINT}")
    token, source = found
    signed_in = service.token_principal(session, token, credential_clock())
    if signed_in is None:
        raise NotSignedIn(
            f"the token in {source} is unknown, expired or revoked (or its user deactivated):"
            f" {LOGIN_HINT}"
        )
    return signed_in


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """A sign-in of the command line: who, and until when."""

    username: str
    role: str
    party: str | None
    token_name: str
    expires_at: dt.datetime
    path: Path


def host_name() -> str:
    return (socket.gethostname() or "unknown host")[:60]


def login(
    sessions: sessionmaker[Session], settings: Settings, username: str, password: str
) -> LoggedIn:
    """Sign in with the password and keep a new token in the token file. The attempt is
    recorded and limited like the API's (`service.authenticate`, no address); a token the file
    held before is revoked when it is still live."""
    clock = credential_clock()
    user = service.authenticate(sessions, username, password, None, clock)
    path = token_path(settings)
    name = f"cli on {host_name()}"
    with unit_of_work(sessions) as session:
        earlier = read_token_file(path, checked=False)
        if earlier is not None:
            _revoke_if_live(session, earlier, clock, by=user.username)
        token = service.issue_token(
            session,
            user.username,
            name,
            CLI_SCOPES,
            CLI_TOKEN_LIFETIME,
            clock,
            actor=user.username,
        )
        write_token_file(path, token)
    return LoggedIn(
        user.username, user.role, user.party, name, clock.now() + CLI_TOKEN_LIFETIME, path
    )


def _revoke_if_live(
    session: Session, token: str, clock: Clock, *, by: str | None = None
) -> Principal | None:
    """Revoke the token when it is live; the act is `by`'s, else its holder's (who proves who
    they are by holding it)."""
    holder = service.token_principal(session, token, clock)
    if holder is not None:
        service.revoke_token(session, holder.credential_id, clock, actor=by or holder.name)
    return holder


@dataclass(frozen=True, slots=True)
class SignedOut:
    username: str | None
    """Whose live token was revoked; None when the file held none."""
    removed: Path | None
    """The token file, when it was removed."""


def logout(sessions: sessionmaker[Session], settings: Settings) -> SignedOut:
    """Revoke the token `accord login` kept and remove the token file; a file with loose
    permissions too, since it may have been read. A token in ACCORD_TOKEN is left alone: an
    admin issued it for a script, and revokes it with `accord users token revoke`."""
    path = token_path(settings)
    token = read_token_file(path, checked=False)
    holder = None
    if token is not None:
        with unit_of_work(sessions) as session:
            holder = _revoke_if_live(session, token, credential_clock())
    removed = path if remove_token_file(path) else None
    return SignedOut(holder.name if holder else None, removed)


def token_of(session: Session, signed_in: Principal) -> tuple[str, dt.datetime]:
    """The name and expiry of the token a principal signed in with."""
    token = repository.get_token(session, signed_in.credential_id)
    if token is None or signed_in.via != "token":
        raise NotSignedIn(f"not signed in: {LOGIN_HINT}")
    return token.name, token.expires_at
