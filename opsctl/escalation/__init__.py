"""Escalation: timers from the response tiers, `opsctl tick`, auto-fix before escalating, flapping.

- `policy`: the `escalation:` and `remediation:` sections of opsctl.yaml, with defaults.
- `timers`: when the next escalation/reminder of an error is due (stored in `next_escalation_at`).
- `tick`: what `opsctl tick` does: drain the outbox, escalate, remind, resurface deferred requests.
- `remediation`: run the configured fix before the user is bothered.
- `flapping`: an error that keeps reopening stops being re-announced.
"""
