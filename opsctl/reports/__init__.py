"""What the ledger teaches: stats, the digest, postmortems, whether improvements worked.

The figures come from SQL aggregates over indexed ranges, written in `opsctl/ledger/reports_queries.py`
(no SQL here), so a ledger of a million errors answers `opsctl stats --since 30d` in well under a second.
"""
