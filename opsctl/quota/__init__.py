"""API quotas and credentials, checked before they block: sources, readings, forecast, judgement.

- `sources`: where numbers come from (HTTP JSON, rate-limit headers, a command, by hand)
- the `quota_readings` table: `opsctl/ledger/quota_table.py`
- `forecast`: when the quota runs out at the current rate
- `judge`: thresholds and credential expiry -> errors (raise / resolve)
- `check`: `opsctl quota check`, all services at once; `record`: `quota record` / `quota list`
"""
