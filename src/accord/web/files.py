"""Documents answered as files: a PDF with its name, its hash, and never cached."""

from __future__ import annotations

import hashlib

from fastapi.responses import Response


def pdf_response(pdf: bytes, filename: str) -> Response:
    """A PDF to download as `filename`, with the SHA-256 of its bytes in `X-Document-SHA256`
    (what a served notice's record holds), kept out of shared caches."""
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Document-SHA256": hashlib.sha256(pdf).hexdigest(),
        },
    )
