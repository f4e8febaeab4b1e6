"""/api/v1 a pool's dossier: the PDF of what the caller reads of the pool (for a receiver, the
minimized records of every family), built from the same read model as `pools.get` and refused
exactly as it is: a pool the caller may not read is not found."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from accord.db import unit_of_work
from accord.proposals.dossier import MEDIA_TYPE, dossier_inputs, download_headers, typeset_dossier
from accord.web.auth import Caller, authorize
from accord.web.paths import PoolId
from accord.web.problems import responses
from accord.web.state import state_of

router = APIRouter(tags=["pools and items"], dependencies=[Depends(authorize)])


@router.get(
    "/pools/{pool_id}/dossier.pdf",
    name="pools.dossier",
    summary="One pool's dossier, as PDF",
    description="The pool as the caller reads it, printable: its agreement, and for each family"
    " its state and every member's record through the minimized view (DESIGN §6). The same"
    " pool gives the same bytes while nothing the caller may read of it changes.",
    response_class=Response,
    responses={
        200: {
            "description": "The dossier (a PDF document)",
            "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        **responses(401, 403, 404, 409),
    },
)
def get_dossier(
    request: Request, pool_id: PoolId, caller: Annotated[Caller, Depends(authorize)]
) -> Response:
    # The inputs are read (and the reads audited) in one unit of work; the PDF is typeset once
    # it has committed, so the audit chain's head is not held while a document is made.
    with unit_of_work(state_of(request).store.sessions) as session:
        inputs = dossier_inputs(session, pool_id, caller.actor)
    return Response(
        typeset_dossier(inputs), media_type=MEDIA_TYPE, headers=download_headers(pool_id)
    )
