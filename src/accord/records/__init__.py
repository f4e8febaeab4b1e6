"""Plain records: the exchange schemas every layer works on (agreements, people, free text).

The bottom layer: it imports nothing of Accord's but itself and `accord.errors`, so the core
(rules, safeguards, screening, matching, workflow) can take these records without reaching
up into a feature folder."""
