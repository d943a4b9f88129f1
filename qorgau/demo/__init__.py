"""Demo data: one organisation in West Kazakhstan, a user per role, the reference case and
about twenty synthetic cases. Everything is fictional and written through the case services.

`specs` describes cases as plain data, `reference_case` and `synthetic` build those
descriptions, and `loader` writes them (idempotently) through `qorgau.cases.services`.
"""
