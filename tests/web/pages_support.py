"""Signing in to the web pages as a browser does: the sign-in form, its cookies, the CSRF
token every form carries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.web.support import PASSWORD, World


@dataclass
class Browser:
    """One user's browser: its own cookie jar on the running application."""

    client: TestClient
    user: str

    @property
    def csrf(self) -> str:
        return str(self.client.cookies.get("accord_csrf") or "")

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """A form posted with the session's CSRF token, as every page's forms carry it."""
        fields = {"csrf_token": self.csrf, **(data or {})}
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(path, data=fields, **kwargs)

    def htmx(self, path: str, data: dict[str, Any] | None = None) -> Any:
        """What htmx sends: the HX-Request header and the CSRF token as a header."""
        headers = {"HX-Request": "true", "X-CSRF-Token": self.csrf}
        return self.client.post(path, data=data or {}, headers=headers, follow_redirects=False)


def login_token(page: str) -> str:
    found = re.search(r'name="login_token" value="([^"]+)"', page)
    assert found, "the sign-in form carries its token"
    return found.group(1)


def signed_in(world: World, user: str | None) -> Browser:
    """A new browser on the world's application, signed in as `user` (None: nobody)."""
    client = TestClient(world.client.app, base_url="https://testserver")
    if user is not None:
        form = client.get("/login")
        answer = client.post(
            "/login",
            data={"username": user, "password": PASSWORD, "login_token": login_token(form.text)},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
    return Browser(client, user or "nobody")
