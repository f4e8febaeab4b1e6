"""Structured logs: one JSON object per line on standard error, for the server's own events
and its access log. Nothing personal goes in: routes are templates, errors are named by type
and place, never by message (a message may quote a record)."""

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
        return json.dumps(line, ensure_ascii=False)


def configure(level: int = logging.INFO) -> None:
    """Accord's loggers write JSON lines to standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("accord")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
