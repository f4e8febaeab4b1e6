"""The HTTP side: the JSON API under /api/v1 (and, later, the pages), built by `create_app`."""
