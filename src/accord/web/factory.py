"""The application for process managers (`uvicorn accord.web.factory:app --no-proxy-headers`,
several workers): its settings come from the environment (ACCORD_DATABASE_URL …). Each worker
imports this module, so each writes its own JSON-line logs, as a single `accord serve` does.
Accord reads the forwarded headers itself, from ACCORD_TRUSTED_PROXIES only: uvicorn must not
(`accord.web.security.SERVER_OPTIONS`)."""

from accord.config import Settings
from accord.web.app import create_app, freeze_startup_heap
from accord.web.logs import configure

configure()
app = create_app(Settings())
freeze_startup_heap()
