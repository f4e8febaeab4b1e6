"""The adversarial simulation (issue 13): random users of every role drive the real services
against a real database, and an independent oracle, written from DESIGN §4 alone, judges every
move that takes a family closer to transfer. Nothing here is imported by `src/`."""
