"""The register (一企一档): a file per applicant kept over time, on a database.

Applicants with a stable identity (`identity`), facts that are never overwritten, each with the period it
describes, its source and who recorded it (`facts`), the awards ledger (`ledger`), files imported through the
batch readers (`importer`), profiles built for a date and evaluated (`profiles`, `evaluation`). The tables are
in `tables`, their migrations in `migrations/` (shipped in the wheel), the connection in `database`.
"""
