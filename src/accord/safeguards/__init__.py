"""The legal safeguards S1–S16: data (id, rule, sources, where checked) and pure predicates."""
