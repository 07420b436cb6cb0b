"""Cron jobs under supervision (`opsctl run`, `opsctl jobs`). Import the submodules.

Library, ledger-independent: `lock` (overlap lock), `supervise` (process group, timeout, signals,
tail, metrics), `rules` (alert rules), `schedule` (lateness), `runlog` (the JSON run log).
With the ledger: `service` (run_job: the glue), `report` (jobs list/show/check), `incidents`
(raise / auto-resolve the errors checks find; also used by quota and probes), `config` (the `jobs:` /
`run:` sections). The `runs` table's queries are in `opsctl/ledger/runs_table.py`.
"""
