"""Security headers on every response, a limit on request bodies, the client's address, and one
log line per request without personal data (the operation's name, never the path's values,
query or body).

The client's address limits sign-ins per address and is audited with each one, so it must not
be what the client says it is: `X-Forwarded-For` and `X-Forwarded-Proto` are read only from a
peer that is one of the deployment's own proxies (`ACCORD_TRUSTED_PROXIES`, none by default);
otherwise the peer is the client. The server must not read them on its own either
(`SERVER_OPTIONS`): uvicorn trusts them from 127.0.0.1 unless told not to.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 1_048_576
"""Bytes a request body may carry; a review batch of thousands of rows fits well within."""

SERVER_OPTIONS: Final[dict[str, Any]] = {"proxy_headers": False, "log_config": None}
"""What every entry point passes to `uvicorn.run`: the forwarded headers are Accord's to read
(`Guard`), from its trusted proxies only (`uvicorn accord.web.factory:app` takes
`--no-proxy-headers` for the same); and the server keeps the logging `accord.web.logs`
configured, whose lines name an error by its type only, rather than install its own, which
prints an error's message and traceback."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

HEADERS = {
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none';"
    " form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cache-control": "no-store",
}
HSTS = "max-age=63072000; includeSubDomains"

access_log = logging.getLogger("accord.access")


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


class Guard:
    """ASGI middleware: the client's address, body limit, headers, access log."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int = MAX_BODY,
        larger: Mapping[str, int] | None = None,
        trusted_proxies: Sequence[Network] = (),
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.larger = dict(larger or {})  # paths with a limit of their own: the exchange's inbox
        self.trusted_proxies = tuple(trusted_proxies)

    def _trusted(self, host: str) -> bool:
        address = _address(host)
        return address is not None and any(address in net for net in self.trusted_proxies)

    def _client_of(self, scope: Scope) -> None:
        """Replace the peer by the client a trusted proxy names: the nearest hop of
        `X-Forwarded-For` that is not itself a trusted proxy. A header from anyone else is
        ignored; so is a hop that is not an address (and every hop before it)."""
        peer = scope.get("client")
        if not peer or not self._trusted(peer[0]):
            return
        hops: list[str] = []
        proto = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                hops += [h.strip() for h in value.decode("latin-1").split(",")]
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").strip().lower()
        client = peer[0]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break
            client = str(address)
            if not self._trusted(client):
                break
        scope["client"] = (client, 0)
        if proto in ("http", "https"):
            scope["scheme"] = proto

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._client_of(scope)
        started = time.perf_counter()
        status = 500
        limit = self.larger.get(scope["path"], self.max_body)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, send, limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in HEADERS.items():
                    if key.encode() not in present:
                        headers.append((key.encode(), value.encode()))
                if scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", HSTS.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, limited, with_headers)
        except BodyTooLarge:
            status = 413
            await self._too_large(scope, send, limit)
        finally:
            route = scope.get("route")
            access_log.info(
                json.dumps(
                    {
                        "method": scope["method"],
                        "operation": getattr(route, "name", None) or "unmatched",
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                )
            )

    async def _too_large(self, scope: Scope, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Request too large",
                "status": 413,
                "detail": f"request bodies are limited to {limit:,} bytes",
                "instance": scope["path"],
                "problems": [],
            }
        ).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            *((k.encode(), v.encode()) for k, v in HEADERS.items()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    """A body that grew past the limit as it was read (a chunked one has no length to refuse
    up front). An HTTP exception, so that the framework's body reading passes it on as it is
    (any other error there becomes a 400 of an unreadable body) and it is answered as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit:,} bytes")
