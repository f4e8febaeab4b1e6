"""The probes a process manager or load balancer asks (docs/operations.md, "Watching it").

- `GET /healthz`: the process is alive and answers (200 `{"status": "ok"}`). It reads
  nothing and needs no thread, so a server whose threads are all busy is still alive.
- `GET /readyz`: the process can serve: its database answers `SELECT 1`, and the schema is
  at the revision this version needs (`accord.db.HEAD_REVISION`). 200 when both hold; 503
  otherwise, saying which failed. The checks have `READY_WITHIN` seconds: a database that
  does not answer in time is unreachable.

Both are public (`accord.access.PUBLIC_ROUTES`) and out of the OpenAPI document: they are
the deployment's, not the API's.
"""

from __future__ import annotations

import anyio
from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from accord.db import HEAD_REVISION, schema_revision
from accord.web.state import state_of

READY_WITHIN = 2.0
"""Seconds the readiness checks may take before the database counts as unreachable."""

router = APIRouter()


@router.get("/healthz", name="healthz", include_in_schema=False)
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _checks(engine: Engine) -> dict[str, str]:
    """The database's answer to `SELECT 1`, then its schema's revision against this version's."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError as exc:
        return {
            "database": "failed",
            "database_detail": f"unreachable ({type(exc).__name__})",
            "schema": "unknown",
        }
    revision = schema_revision(engine)
    if revision == HEAD_REVISION:
        return {"database": "ok", "schema": "ok"}
    return {
        "database": "ok",
        "schema": "failed",
        "schema_detail": f"at revision {revision or 'none'}; this version needs {HEAD_REVISION}"
        " (accord db upgrade)",
    }


@router.get("/readyz", name="readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    engine = state_of(request).store.engine
    checks: dict[str, str] = {
        "database": "failed",
        "database_detail": f"no answer within {READY_WITHIN:g} s",
        "schema": "unknown",
    }
    # Its own thread, abandoned when the time is up (a database that does not answer holds
    # it until the connection fails), and never waiting for one of the request threads.
    with anyio.move_on_after(READY_WITHIN):
        checks = await to_thread.run_sync(
            _checks, engine, abandon_on_cancel=True, limiter=anyio.CapacityLimiter(1)
        )
    failed = [name for name in ("database", "schema") if checks[name] == "failed"]
    ready = all(checks[name] == "ok" for name in ("database", "schema"))
    body = {"status": "ready" if ready else "unready", "failed": failed, **checks}
    return JSONResponse(body, status_code=200 if ready else 503)
