"""People and their cases: the exchange schema, import, families."""
