"""Rules that need time: `for:` (the condition held on every run in the window) and `cooldown:`.

    alerts:
      - name: error_rate_high
        condition: "error_rate > 0.5"
        for: 5m          # alert only when every run of the last 5 minutes matched
        cooldown: 5m     # and not again within 5 minutes of the last alert

Like Prometheus' `for`, the window starts at the first matching run after the last one that did
not match: one failing run after a good one is "pending", not an alert. Every run's result for a
rule with `for:` is kept in the ledger (`rule_samples`), and the last alert per rule
(`rule_alerts`). A rule whose error is still open is not held back by its cooldown (the repeat is
absorbed as a duplicate anyway, and holding it back would read as "no longer matches").

`decide()` is pure; `opsctl rules test` drives it with made-up samples.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def pending_since(samples: list[tuple[datetime, bool]]) -> datetime | None:
    """When the current unbroken run of matching samples began (None: the last one did not match)."""
    since = None
    for at, held in sorted(samples):
        since = (since or at) if held else None
    return since


def decide(rule, samples: list[tuple[datetime, bool]], at: datetime, last_alert: datetime | None,
           still_open: bool = False) -> bool:
    """Does `rule` alert at `at`, given its samples up to and including `at`?"""
    since = pending_since(samples)
    if since is None:
        return False
    if rule.for_seconds and (at - since).total_seconds() < rule.for_seconds:
        return False
    if rule.cooldown_seconds and last_alert is not None and not still_open:
        return (at - last_alert).total_seconds() >= rule.cooldown_seconds
    return True


def gate(ctx, rules: list, alerts: list, facts: dict, *, scope: str) -> list:
    """The alerts of this run that pass their rules' `for:` and `cooldown:`; records what it saw."""
    from ..clock import now, parse_iso, to_iso
    from ..ledger import lock, rules_table, transaction

    at = now()
    matched = {a.rule for a in alerts}
    timed = {r.name: r for r in rules if r.for_seconds or r.cooldown_seconds}
    passed = []
    with transaction(ctx.conn):
        lock(ctx.conn, f"opsctl:rules:{scope}")  # runs of one job on many hosts read and write `cooldown:` in turn
        for rule in timed.values():
            if rule.for_seconds or rule.name in matched:
                rules_table.add_sample(ctx.conn, rule.name, scope, to_iso(at), rule.name in matched)
        for alert in alerts:
            rule = timed.get(alert.rule)
            if rule is None:
                passed.append(alert)
                continue
            window = max(rule.for_seconds, 1.0) * 2 + 3600
            samples = [(parse_iso(s["at"]), bool(s["held"]))
                       for s in rules_table.samples(ctx.conn, rule.name, scope, to_iso(at - timedelta(seconds=window)))]
            last = rules_table.last_alert(ctx.conn, rule.name, scope)
            still_open = rules_table.open_error(ctx.conn, f"run:{scope}:{rule.name}")
            if decide(rule, samples or [(at, True)], at, parse_iso(last) if last else None, still_open):
                rules_table.set_last_alert(ctx.conn, rule.name, scope, to_iso(at))
                passed.append(alert)
        rules_table.prune(ctx.conn, to_iso(at - timedelta(days=2)))
    return passed
