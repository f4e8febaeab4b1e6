"""The pool page's dossier: the same PDF as `GET /api/v1/pools/{id}/dossier.pdf`, downloaded
from a signed-in browser; a pool the user may not read is not found, as on the pool's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.db import unit_of_work
from accord.proposals.dossier import MEDIA_TYPE, dossier_inputs, download_headers, typeset_dossier
from accord.web.pages import PageCaller
from accord.web.paths import PoolId
from accord.web.state import state_of

router = APIRouter(include_in_schema=False)


@router.get("/pools/{pool_id}/dossier.pdf", name="pages.pool_dossier")
def pool_dossier(request: Request, pool_id: PoolId, caller: PageCaller) -> Response:
    with unit_of_work(state_of(request).store.sessions) as session:
        inputs = dossier_inputs(session, pool_id, caller.actor)
    return Response(
        typeset_dossier(inputs), media_type=MEDIA_TYPE, headers=download_headers(pool_id)
    )
