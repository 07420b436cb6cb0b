"""From a reading to errors: 80 % warns, 100 % blocks, back under 80 % resolves; expiring credentials warn.

    quota:                    # opsctl.yaml, all optional
      warn_at: 0.8            # api_limit_warning (impact warning)
      block_at: 1.0           # api_limit (impact blocking)
      credential_warn_days: 14
Per service, `warn_at` / `block_at` / `credential_warn_days` in the integrations.md YAML block win.

Credentials (a `credential_expires:` date per service) raise `auth_failure`: impact warning from
14 days before the date, blocking once it has passed — the same type an agent reports when a key
is rejected, so both land on one error. A renewed date resolves only the error opsctl raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import clock
from ..errors import InvalidInput
from ..jobs import incidents
from .forecast import Forecast, day


@dataclass
class Thresholds:
    warn_at: float = 0.8
    block_at: float = 1.0
    credential_warn_days: float = 14


def thresholds(section: dict | None, service: dict | None = None) -> Thresholds:
    found = Thresholds()
    for source in (section or {}, service or {}):
        for key in ("warn_at", "block_at", "credential_warn_days"):
            if key in source:
                value = source[key]
                if isinstance(value, str) and value.strip().endswith("%"):
                    value = float(value.strip()[:-1]) / 100
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise InvalidInput(f"quota {key} must be a number (0.8 or '80%'), got {source[key]!r}")
                setattr(found, key, float(value))
    if found.warn_at > found.block_at:
        raise InvalidInput(f"quota warn_at ({found.warn_at}) must not be above block_at ({found.block_at})")
    return found


def judge_usage(ctx, service: str, reading: dict, limits: Thresholds, *, forecast: Forecast | None = None,
                backup: str = "") -> dict:
    """Raise or resolve api_limit_warning / api_limit for one reading; the outcome for the summary."""
    used, limit = float(reading["used"]), float(reading["limit_value"])
    share = used / limit
    level = "blocking" if share >= limits.block_at else "warning" if share >= limits.warn_at else "ok"
    source = f"quota:{service}"
    outcome = {"level": level, "percent": round(share * 100, 1), "error": None, "resolved": []}
    numbers = f"{_n(used)} of {_n(limit)} used ({share:.0%})"
    if level == "ok":
        for kind in ("api_limit", "api_limit_warning"):
            _resolve(ctx, outcome, kind, service, source, f"usage back to {share:.0%} ({_n(used)}/{_n(limit)})")
        return outcome
    now = clock.now()
    reset = reading.get("resets_at") or (forecast.resets_at and clock.to_iso(forecast.resets_at) if forecast else None)
    reset_text = f"the reset on {day(clock.parse_iso(reset), now)}" if reset else "the reset"
    if level == "blocking":
        details = f"{service}: limit reached — {numbers}."
        options = ["Upgrade the plan or buy more quota", "Use another API key or account", f"Wait for {reset_text}"]
        kind, impact = "api_limit", "blocking"
    else:
        said = forecast.text(now) if forecast else "not enough readings yet to forecast the exhaustion date"
        details = f"{service}: {numbers}, warning at {limits.warn_at:.0%}; {said}."
        options = ["Upgrade the plan before the limit is reached", f"Slow usage down until {reset_text}"]
        kind, impact = "api_limit_warning", "warning"
    if backup:
        options.append(f"Switch to the backup: {backup}")
    error = incidents.raise_error(ctx, kind, service, details, impact, options, source=source)
    outcome["error"] = incidents.brief(error)
    outcome["details"] = details
    other = "api_limit_warning" if kind == "api_limit" else "api_limit"
    _resolve(ctx, outcome, other, service, source,
             f"superseded by {error['id']} (limit reached)" if kind == "api_limit" else f"usage back to {share:.0%}")
    return outcome


def judge_credential(ctx, service: str, expires: str, limits: Thresholds, *, backup: str = "") -> dict:
    """auth_failure (warning) within credential_warn_days of the expiry date, blocking after it."""
    try:
        moment = clock.parse_iso(str(expires))
    except ValueError:
        raise InvalidInput(f"credential_expires {expires!r} is not a date like 2026-12-31") from None
    now = clock.now()
    days = (moment - now).total_seconds() / 86400
    source = f"credential:{service}"
    outcome = {"expires": clock.to_iso(moment), "days_left": round(days, 1), "level": "ok", "error": None,
               "resolved": []}
    if days > limits.credential_warn_days:
        _resolve(ctx, outcome, "auth_failure", service, source, f"credential renewed: now expires {day(moment, now)}")
        return outcome
    expired = days <= 0
    outcome["level"] = "blocking" if expired else "warning"
    when = day(moment, now)
    details = (f"{service}: the credential expired on {when}." if expired else
               f"{service}: the credential expires on {when} (in {max(1, round(days))} days).")
    options = ["Renew the credential and update credential_expires in integrations.md",
               "Rotate to a new key now"] + ([f"Switch to the backup: {backup}"] if backup else [])
    error = incidents.raise_error(ctx, "auth_failure", service, details, outcome["level"], options, source=source)
    outcome["error"] = incidents.brief(error)
    outcome["details"] = details
    return outcome


def judge_failure(ctx, service: str, problem: str, ok: bool) -> dict:
    """A usage source that fails is an error of its own (system_error, warning); the next good check resolves it."""
    source = f"quota-check:{service}"
    outcome = {"error": None, "resolved": []}
    if ok:
        _resolve(ctx, outcome, "system_error", service, source, "the usage check works again")
        return outcome
    options = ["Fix the usage source in integrations.md",
               f'Record usage by hand: opsctl quota record "{service}" --used N --limit M']
    error = incidents.raise_error(ctx, "system_error", service, f"quota check for {service} failed: {problem}",
                                  "warning", options, source=source)
    outcome["error"] = incidents.brief(error)
    return outcome


def _resolve(ctx, outcome: dict, kind: str, service: str, source: str, solution: str) -> None:
    if resolved := incidents.resolve_own(ctx, kind, service, source=source, solution=solution):
        outcome["resolved"].append(resolved)


def _n(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
