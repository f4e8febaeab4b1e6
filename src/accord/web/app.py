"""`create_app(settings)`: the JSON API under /api/v1, with its OpenAPI document, and the web
application's pages at / (server-rendered, behind a session, on the same rules and reads).

Nothing happens at import time: the store is opened when the application starts and closed
when it stops. Every route but signing in and the health probe goes through the one gate in
`accord.web.auth` (the rules are in `accord.access`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from accord import __version__
from accord.accounts.api import public as session_router
from accord.accounts.api import router as accounts_router
from accord.agreements import pages as agreement_pages
from accord.agreements.api import router as agreements_router
from accord.audit import pages as audit_pages
from accord.audit.api import router as audit_router
from accord.cases import pages as people_pages
from accord.cases.api import router as people_router
from accord.clock import Clock, clock_for
from accord.config import Settings
from accord.exchange import api as exchange_api
from accord.exchange import pages as exchange_pages
from accord.exchange.worker import ExchangeLoop
from accord.monitoring import pages as monitoring_pages
from accord.monitoring.api import router as monitoring_router
from accord.proposals import dossier_pages
from accord.proposals import pages as proposal_pages
from accord.proposals.api import router as proposals_router
from accord.proposals.dossier_api import router as dossier_router
from accord.proposals.job_runner import runner_for
from accord.store import open_store
from accord.transparency import pages as transparency_pages
from accord.web import metrics, pages, probes, problems
from accord.web.problems import PROBLEM_JSON, SERVER_BOUND, ProblemDetails
from accord.web.security import MAX_BODY, Guard
from accord.web.state import AppState

API = "/api/v1"
PAGE_ROUTERS = (
    pages.router,
    agreement_pages.router,
    proposal_pages.router,
    dossier_pages.router,
    people_pages.router,
    monitoring_pages.router,
    exchange_pages.router,
    transparency_pages.router,
    audit_pages.router,
)
"""The web application's pages: each route's name is in `accord.access.PAGES` (or public)."""


class Health(BaseModel):
    status: str
    version: str


def _absent_not_null(parameter: dict[str, Any]) -> None:
    """An optional query or header parameter is left out, never sent as null: the document
    says so with `required: false` and the parameter's own type."""
    schema = parameter.get("schema", {})
    kinds = schema.get("anyOf", [])
    if not parameter.get("required") and {"type": "null"} in kinds:
        rest = [k for k in kinds if k != {"type": "null"}]
        if len(rest) == 1:
            del schema["anyOf"]
            schema.update(rest[0])


def _server_bounds(schemas: dict[str, Any], settings: Settings) -> None:
    """Each field bounded by a setting (`SERVER_BOUND`) gets this server's value as its
    maximum, so the document says what the server accepts."""
    for definition in schemas.values():
        for field in definition.get("properties", {}).values():
            setting = field.pop(SERVER_BOUND, None)
            if setting is not None:
                for kind in [field, *field.get("anyOf", [])]:
                    if "maximum" in kind:
                        kind["maximum"] = getattr(settings, setting)


def _problems_in_document(app: FastAPI, settings: Settings) -> None:
    """The document as the API answers: every error is a problem-details document
    (application/problem+json), the 422 of a malformed payload included; optional parameters
    are left out rather than null; bounds a setting decides are this server's."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            problem = {"$ref": "#/components/schemas/ProblemDetails"}
            for methods in schema["paths"].values():
                for operation in methods.values():
                    for parameter in operation.get("parameters", []):
                        _absent_not_null(parameter)
                    if "requestBody" in operation:
                        operation["responses"].setdefault(
                            "413", {"description": f"Request body over {MAX_BODY:,} bytes"}
                        )
                    for status, response in operation.get("responses", {}).items():
                        if status.isdigit() and int(status) >= 400:
                            response["content"] = {PROBLEM_JSON: {"schema": problem}}
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["ProblemDetails"] = ProblemDetails.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            for name, definition in components["ProblemDetails"].pop("$defs", {}).items():
                components[name] = definition
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
            _server_bounds(components, settings)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def freeze_startup_heap() -> None:
    """Leave what a server process built before its first request out of every later garbage
    collection. The libraries it imports (the matcher's solver and dataframes among them) hold
    some 180,000 objects; without this a full collection walks them all and stalls every request
    in flight for a sixth of a second. Called by the server's entry points only: tests build
    many applications in one process, and a frozen object is never collected."""
    gc.collect()
    gc.freeze()


def operation_id(route: APIRoute) -> str:
    """A route's operation id is its name, which is also its rule's name in `accord.access`."""
    return route.name


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """The application on the settings' database; `clock` stands time still for tests."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings)
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        now = clock or clock_for(settings.now)
        jobs = runner_for(store, now)
        app.state.accord = AppState(store, now, jobs)
        await jobs.resume()
        exchange = ExchangeLoop(store, now, settings.exchange_every)
        exchange.start()
        try:
            yield
        finally:
            await exchange.stop()
            await jobs.stop()
            store.close()

    app = FastAPI(
        title="Accord",
        version=__version__,
        summary="Transfer agreements end to end, with the legal safeguards as hard constraints.",
        description="Every route but `POST /api/v1/session`, `GET /api/v1/health` and the"
        " exchange's inbox (`POST /api/v1/exchange/inbox`, whose messages are signed) needs a"
        " signed-in browser session (cookie, plus `X-CSRF-Token` on state-changing requests)"
        " or an API token (`Authorization: Bearer acc_…`). A receiving state's reviewer reads"
        " only the pools proposed to its own state, through the minimized view. Errors are"
        " problem details (RFC 9457). POSTs accept an `Idempotency-Key`.",
        openapi_url=f"{API}/openapi.json",
        # No interactive page: it would load a third-party script that the pages' own CSP
        # (default-src 'self', no inline script) refuses; the document is the contract.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    problems.install(app, pages.error_page)
    app.add_exception_handler(pages.SignInFirst, pages.error_page)
    app.add_middleware(
        Guard,
        larger={f"{API}/exchange/inbox": exchange_api.INBOX_MAX_BODY},
        trusted_proxies=settings.trusted_proxies,
    )
    metrics.install(app)  # /metrics, and every request counted and timed (outermost)
    app.include_router(probes.router)  # /healthz, /readyz

    public = APIRouter(tags=["service"])

    @public.get("/health", name="health", summary="Liveness", response_model=Health)
    def health() -> Health:
        return Health(status="ok", version=__version__)

    _problems_in_document(app, settings)
    for router in (
        public,
        session_router,
        accounts_router,
        agreements_router,
        monitoring_router,
        people_router,
        proposals_router,
        dossier_router,
        audit_router,
        exchange_api.public,
        exchange_api.router,
    ):
        app.include_router(router, prefix=API)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static")
    return app
