"""The application for process managers (`uvicorn accord.web.factory:app`, several workers):
its settings come from the environment (ACCORD_DATABASE_URL …)."""

from accord.config import Settings
from accord.web.app import create_app

app = create_app(Settings())
