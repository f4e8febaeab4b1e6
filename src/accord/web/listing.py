"""Paged, filtered lists on the web pages: the previous / next links that keep the filters, and
whether an htmx request wants the list's fragment alone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from accord.web.pages import is_htmx

PAGE_SIZE = 25


def pager(
    path: str, filters: dict[str, str], offset: int, shown: int, total: int
) -> dict[str, Any]:
    """Where a page of a list stands, and its previous and next links, keeping its filters."""
    kept = {k: v for k, v in filters.items() if v}

    def url(at: int) -> str:
        query = urlencode({**kept, **({"offset": str(at)} if at else {})})
        return f"{path}?{query}" if query else path

    return {
        "first": offset + 1 if shown else 0,
        "last": offset + shown,
        "total": total,
        "previous": url(max(0, offset - PAGE_SIZE)) if offset > 0 else None,
        "next": url(offset + PAGE_SIZE) if offset + shown < total else None,
    }


def fragment_only(request: Request) -> bool:
    """An htmx request for a part of the page; a history restore (a reload of a pushed URL the
    browser no longer holds) wants the whole page."""
    return is_htmx(request) and request.headers.get("HX-History-Restore-Request") != "true"
