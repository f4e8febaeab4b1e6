"""No request answers 500, and none that is refused writes anything: generated from the route
table. Every path and query parameter of every route (API and pages), and every field of every
page form, is sent junk: words, markup, ids past the database's integers, days past the
calendar's end, digits that are not ASCII, controls. Each answer must be a clean refusal (or a
success); a refusal must leave the audit log, the workflow's events and the ledger as they were.

The forms are the pages' own: read from the pages the seeded users see (with the values they
carry), and every page form route is posted every field any form has, so a route whose form
the seeded world does not show is still sent junk in each field it could read."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from accord.access import PAGES, PUBLIC_PAGES, PUBLIC_ROUTES, RULES
from accord.db import unit_of_work
from accord.models import AuditEvent, ItemEvent, LedgerEntry
from accord.web.pages import HERE
from accord.workflow.moves import BY_NAME as MOVES_BY_NAME
from tests.web.pages_support import Browser, signed_in
from tests.web.support import BY_ROLE, World

MOVE_PATH = re.compile(r"""{{\s*move_path\(\s*['"](\w+)['"]\s*,[^}]*}}""")

JUNK = (
    "x",
    "<b>x</b>",
    "99999999999999999999999",
    "-1",
    "0",
    "²",
    "٣٠",
    "9999-12-31",
    "0000-00-00",
    "1e309",
    "a\u202eb",
    "a\x00b",
    "not " * 490 + "age >= 18",
)
"""Values no route should take for granted: each one answered 500 somewhere once."""
TEMPLATES = HERE / "templates"
GOOD = {
    "reason_code": "other",
    "reason_text": "a reason given in full",
    "reason": "a reason given in full",
    "kind": "other",
    "text": "a finding",
    "decision": "accept",
    "agreement_id": "demo-xk-year",
    "criterion_id": "r1",
    "expr": "age >= 18",
    "case_id": "A1",
    "language": "es",
    "days": "30",
    "outcome": "remained",
    "audience": "shared",
}
"""Good values for the fields junk is not sent in, so that the junk meets a form that would
otherwise be taken (a move made, then the junk read after it)."""
PREFERRED = ("supervisor", "officer", "reviewer", "admin", "monitor")
SKIPPED_PAGES = frozenset({"pages.logout"})
"""Signing out would end the session the rest of the test uses."""
WRITES_WHEN_REFUSED = frozenset({"session.login", "pages.login"})
"""A refused sign-in is kept and audited, by design (docs/api.md)."""


def caller_for(rule_name: str) -> str:
    """A user the route's rule allows, so that the junk reaches the route's own checks."""
    roles = RULES[rule_name].roles
    role = next(r for r in PREFERRED if r in roles)
    return BY_ROLE[role]


def counts(world: World) -> tuple[int, ...]:
    """The newest key of each append-only record (audit, item events, ledger): any row written
    raises one. A key lookup, where counting rows scanned tables that grow with every audited
    read."""
    with unit_of_work(world.store.sessions) as session:
        return tuple(
            session.execute(select(func.coalesce(func.max(key), 0))).scalar_one()
            for key in (AuditEvent.seq, ItemEvent.id, LedgerEntry.id)
        )


@dataclass(frozen=True)
class Call:
    """One request: as whom, where, with what."""

    route: str
    user: str
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] | None = None
    htmx: bool = False

    def __str__(self) -> str:
        sent = {**self.query, **(self.form or {})}
        return f"{self.method} {self.path} {sent}{' (htmx)' if self.htmx else ''}"


@dataclass
class Checker:
    world: World
    browsers: dict[str, Browser]
    wrong: list[str] = field(default_factory=list)
    sent: int = 0

    def send(self, call: Call) -> Any:
        if call.path.startswith("/api/"):
            body = {} if call.method == "POST" else None
            return self.world.client.request(
                call.method,
                call.path,
                params=call.query,
                headers=self.world.as_(call.user),
                json=body,
            )
        browser = self.browsers[call.user]
        if call.method == "GET":
            return browser.get(call.path, params=call.query, follow_redirects=False)
        if call.htmx:
            return browser.htmx(call.path, call.form)
        return browser.post(call.path, call.form, params=call.query)

    def check(self, call: Call) -> None:
        before = counts(self.world)
        status = self.send(call).status_code
        self.sent += 1
        if status >= 500:
            self.wrong.append(f"{call} -> {status}")
        elif status >= 400 and call.route not in WRITES_WHEN_REFUSED:
            after = counts(self.world)
            if after != before:
                self.wrong.append(f"{call} -> {status}, but wrote {before} -> {after}")


def valid_values(world: World) -> dict[str, str]:
    return {
        "item_id": str(world.items["F-A1"]),
        "pool_id": str(world.pool),
        "agreement_id": "demo-xk-year",
        "case_id": "A1",
        "username": "olga",
        "token_id": "999999",
        "notice_id": str(world.notices["A2"]),
        "release_id": "1",
        "name": "report-2026-Q1-all.csv",
    }


def routes(world: World) -> Iterator[tuple[str, APIRoute, str, str]]:
    """Every route with its full path, a method and the rule it stands on (public ones aside)."""
    for path, route in flattened(world.client.app.routes):  # type: ignore[attr-defined]
        name = str(route.name)
        rule = name if name in RULES else PAGES.get(name)
        if rule is None or name in PUBLIC_ROUTES | PUBLIC_PAGES | SKIPPED_PAGES:
            continue
        for method in sorted(route.methods or ()):
            yield path, route, method, rule


def flattened(table: Sequence[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """The route table's routes with their full paths, through included routers."""
    for route in table:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # a router included under a prefix
            inner = prefix + route.include_context.prefix
            yield from flattened(route.original_router.routes, inner)


def query_names(dependant: Dependant) -> list[str]:
    """The query parameters a route reads, its dependencies' included."""
    names = [str(q.alias) for q in dependant.query_params]
    for sub in dependant.dependencies:
        names += query_names(sub)
    return names


def fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: quote(values[m.group(1)], safe=""), path)


class Forms(HTMLParser):
    """The forms of a page: where each posts, and its fields with the values they carry."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self.by_id: dict[str, str] = {}
        self.current: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and (a.get("method", "").lower() == "post" or "hx-post" in a):
            self.current = a.get("hx-post") or a.get("action") or ""
            self.forms.setdefault(self.current, {})
            if "id" in a:
                self.by_id[a["id"]] = self.current
            return
        target = self.by_id.get(a.get("form", ""), self.current)
        if target is None or "name" not in a:
            return
        fields = self.forms[target]
        if tag in ("input", "button"):
            if a.get("type") in ("checkbox", "radio") and a["name"] in fields:
                return
            fields.setdefault(a["name"], a.get("value", ""))
        elif tag == "select":
            fields.setdefault(a["name"], "")
        elif tag == "textarea":
            self.textarea = a["name"]
            fields.setdefault(a["name"], "")

    def handle_data(self, data: str) -> None:
        if self.textarea and self.current:
            self.forms[self.current][self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None


def page_forms(world: World, browsers: dict[str, Browser]) -> dict[str, dict[str, str]]:
    """Every form the pages can show, by the path it posts to: each template's forms (whatever
    state would show them), with the values the seeded users' pages give their fields."""
    forms: dict[str, dict[str, str]] = {}
    for template in sorted(TEMPLATES.glob("*.html")):
        parser = Forms()
        parser.feed(re.sub(r"{%.*?%}", "", template.read_text()))
        for action, fields in parser.forms.items():
            # A move's form posts where its declaration says: `move_path("clear", item.id)`.
            path = re.sub(MOVE_PATH, lambda m: MOVES_BY_NAME[m.group(1)].path("{}"), action)
            path = re.sub(r"{{.*?}}", "{}", path)
            forms.setdefault(path, {}).update(dict.fromkeys(fields, ""))
    items = [f"/items/{i}" for i in world.items.values()]
    seen = {
        "sam": ["/", "/agreements/demo-xk-year", "/pools/new?agreement=demo-xk-year", *items],
        "olga": ["/review", f"/pools/{world.pool}", "/people", "/people/A1", "/monitoring"],
        "rita": ["/review", f"/pools/{world.pool}", *items, "/monitoring"],
        "mona": ["/monitoring"],
        "ada": ["/audit"],
    }
    for user, paths in seen.items():
        for path in paths:
            parser = Forms()
            parser.feed(browsers[user].get(path).text)
            for action, fields in parser.forms.items():
                forms.setdefault(action, {}).update(fields)
    forms.pop("/logout", None)
    return forms


def fields_for(template: str, forms: dict[str, dict[str, str]]) -> dict[str, str] | None:
    """The fields of every form that posts to a route (its ids written any way), with the
    values a page gave them where one did; None when no form posts there."""
    route = re.compile(re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template)))
    fields: dict[str, str] | None = None
    for action, found in sorted(forms.items(), key=lambda f: "{}" not in f[0]):
        if route.fullmatch(action.replace("{}", "0")):
            fields = fields or {}
            fields |= {k: v for k, v in found.items() if v or k not in fields}
    return fields


def signed_in_browsers(world: World) -> dict[str, Browser]:
    return {user: signed_in(world, user) for user in BY_ROLE.values()}


def test_no_junk_in_a_path_or_a_query_answers_500_or_writes(world: World) -> None:
    checker = Checker(world, signed_in_browsers(world))
    valid = valid_values(world)
    for template, route, method, rule in routes(world):
        user = caller_for(rule)
        params = re.findall(r"{(\w+)}", template)
        queries = query_names(route.dependant)
        form = None if template.startswith("/api/") or method == "GET" else {}
        for junk in JUNK:
            for param in params:
                path = fill(template, {**valid, param: junk})
                checker.check(Call(route.name, user, method, path, form=form))
            for query in queries:
                path = fill(template, valid)
                checker.check(Call(route.name, user, method, path, {query: junk}, form))
    assert checker.sent > 500
    assert checker.wrong == [], "\n".join(checker.wrong)


def test_no_junk_in_a_page_form_answers_500_or_writes(world: World) -> None:
    checker = Checker(world, signed_in_browsers(world))
    forms = page_forms(world, checker.browsers)
    assert f"/items/{world.items['F-A1']}/revoke" in forms  # the pages were read
    row_fields = {"pool_id": str(world.pool), "back": f"/pools/{world.pool}"}
    valid = valid_values(world)
    posted: set[str] = set()
    for template, route, method, rule in routes(world):
        if method != "POST" or template.startswith("/api/"):
            continue
        if template.startswith("/received"):
            continue  # a receiving deployment's forms: tests/exchange/test_pages.py sends them junk
        path = fill(template, valid)
        fields = fields_for(template, forms)
        assert fields is not None, f"no form posts to {template}"
        if template.startswith("/items/"):  # a review row's form carries its place too
            fields = {**row_fields, **fields}
        posted.add(str(route.name))
        user = caller_for(rule)
        fields = {**fields, **{k: v for k, v in GOOD.items() if k in fields}}
        for name in sorted(set(fields) - {"csrf_token"}):
            for junk in JUNK:
                for htmx in (False, True):
                    data = {**fields, name: junk}
                    checker.check(Call(route.name, user, method, path, form=data, htmx=htmx))
    assert {"pages.what_if", "pages.pool_decide", "pages.items.revoke"} <= posted
    assert checker.wrong == [], "\n".join(checker.wrong)
