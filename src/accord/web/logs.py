"""Structured logs: one JSON object per line on standard error, for the server's own events
and its access log. Nothing personal goes in: routes are templates, errors are named by type
and place, never by message (a message may quote a record, and a validation error quotes the
value it refused). The server's own error logger writes through the same lines, so an
exception it reports is named by its type, without its message or traceback."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "at": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        message = record.getMessage()
        try:
            fields = json.loads(message)
        except ValueError:
            fields = None
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["message"] = message
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__  # never its message or traceback
        return json.dumps(line, ensure_ascii=False)


SERVER_LOGGER = "uvicorn.error"
"""The server's own log: its start and stop, and any error that reached it."""


def configure(level: int = logging.INFO) -> None:
    """Accord's loggers, and the server's error log, write JSON lines to standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    for name in ("accord", SERVER_LOGGER):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
