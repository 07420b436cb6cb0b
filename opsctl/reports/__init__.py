"""What the ledger teaches: stats, the digest, postmortems, whether improvements worked.

Every figure is an SQL aggregate over an indexed range (see migration m004_escalation), so a
ledger of a million errors answers `opsctl stats --since 30d` in well under a second.
"""
