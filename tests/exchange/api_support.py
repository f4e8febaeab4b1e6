"""One side of a `tests.exchange.support.Pair` served over HTTP: its application on its own
database and keys file, with users signed up there and each one's API token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.models import AuditEvent, ExchangeMessage, ReceivedItem, ReceivedPerson
from accord.web.app import create_app
from tests.exchange.support import Side
from tests.support import cheap_passwords
from tests.web.support import sign_up

RECEIVER_USERS: dict[str, tuple[str, str | None]] = {
    "rita": ("reviewer", "XK"),
    "ruth": ("reviewer", "AL"),
    "olga": ("officer", "US"),
    "ada": ("admin", None),
}
"""The receiver's deployment: its own reviewer, another state's, a sender's officer, an
admin."""


@dataclass
class Served:
    client: TestClient
    side: Side
    tokens: dict[str, str]

    def as_(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, path: str, user: str, **kwargs: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.as_(user), **kwargs)

    def post(self, path: str, user: str, json: Any = None) -> Any:
        return self.client.post(f"/api/v1{path}", headers=self.as_(user), json=json)

    def deliver(self, token: str, **kwargs: Any) -> Any:
        """A peer's post to the inbox: no sign-in, the sealed message as `application/jose`
        unless told otherwise."""
        kwargs.setdefault("headers", {"Content-Type": "application/jose"})
        if "json" not in kwargs and "content" not in kwargs:
            kwargs["content"] = token
        return self.client.post("/api/v1/exchange/inbox", **kwargs)


@contextmanager
def serving(
    side: Side,
    clock: SetClock,
    users: dict[str, tuple[str, str | None]] = RECEIVER_USERS,
    keys_file: Path | None = None,
) -> Iterator[Served]:
    """The side's application (its keys file unless `keys_file` says another), users signed up
    on its store (none when `users` is empty)."""
    with cheap_passwords():
        tokens = sign_up(side.store, clock, users) if users else {}
    settings = Settings(
        database_url=side.store.settings.database_url,
        keys_file=keys_file or side.keys_file,
    )
    app = create_app(settings, clock=clock)
    with TestClient(app, base_url="https://testserver") as client:
        yield Served(client, side, tokens)


def counts(side: Side) -> dict[str, int]:
    """Rows of what a message may write, and audit events by action."""
    with unit_of_work(side.store.sessions) as session:
        rows = {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (ExchangeMessage, ReceivedItem, ReceivedPerson)
        }
        events = session.execute(
            select(AuditEvent.action, func.count()).group_by(AuditEvent.action)
        ).all()
        return rows | {action: n for action, n in events}


def tampered(token: str) -> str:
    """The token with one character of its ciphertext changed."""
    header, key, iv, ciphertext, tag = token.strip().split(".")
    middle = len(ciphertext) // 2
    swapped = "B" if ciphertext[middle] == "A" else "A"
    return ".".join(
        [header, key, iv, ciphertext[:middle] + swapped + ciphertext[middle + 1 :], tag]
    )
