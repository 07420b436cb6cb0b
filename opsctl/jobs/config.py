"""What opsctl.yaml says about one job (`jobs:`), the run machinery (`run:`) and the rules.

    run:                       # all optional
      log: ~/ops/runs.jsonl    # default <OPSCTL_HOME>/logs/runs.jsonl (env OPSCTL_RUN_LOG wins)
      locks: /var/lock/opsctl  # default <OPSCTL_HOME>/locks
      tail_lines: 50           # how much output an error carries
    jobs:
      nightly:
        schedule: "0 2 * * *"  # cron; `opsctl jobs` reports the job late after schedule + grace
        grace: 10m
        tz: Europe/Berlin      # the schedule's time zone (default UTC)
        timeout: 10m           # --timeout wins; default 300s
        kill_after: 5s         # TERM, then KILL this long after
        max_lock_age: 2h       # --max-lock-age wins; default 1h
        lock: true
        impact: blocking       # of the error a failed run raises
        project: AU Real Estate Research
        options: [Re-run it, Restore yesterday's data]
        uses: [Scraper API]    # integrations it uses (for `opsctl integrations check`)

A field with the wrong shape fails here, naming the job and the field; so does a rule.
"""

from __future__ import annotations

from pathlib import Path

from ..durations import parse_duration
from ..errors import ConfigInvalid, InvalidInput
from .plain import Plain

DEFAULT_TIMEOUT = 300.0
DEFAULT_MAX_LOCK_AGE = 3600.0
DEFAULT_KILL_AFTER = 5.0
_JOB_KEYS = {"schedule", "grace", "tz", "timeout", "kill_after", "max_lock_age", "lock", "impact", "project",
             "options", "uses", "description"}


class JobSettings(Plain):
    """One job's settings: the defaults below, then opsctl.yaml `jobs.NAME`, then the command line."""

    FIELDS = ("name", "timeout", "kill_after", "max_lock_age", "lock", "impact", "project", "options", "schedule",
              "grace", "tz", "uses")
    DEFAULTS = {"timeout": DEFAULT_TIMEOUT, "kill_after": DEFAULT_KILL_AFTER, "max_lock_age": DEFAULT_MAX_LOCK_AGE,
                "lock": True, "impact": "blocking", "project": None, "options": list, "schedule": None,
                "grace": 0.0, "tz": "UTC", "uses": list}


def job_settings(config: dict, name: str, source: Path | None = None) -> JobSettings:
    raw = (_section(config, "jobs", source) or {}).get(name) or {}
    where = f"{source or 'opsctl.yaml'}: jobs.{name}"
    if not isinstance(raw, dict):
        raise ConfigInvalid(f"{where}: expected a mapping of settings")
    if unknown := sorted(set(raw) - _JOB_KEYS):
        raise ConfigInvalid(f"{where}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(sorted(_JOB_KEYS))}")
    job = JobSettings(name)
    try:
        if "timeout" in raw:
            job.timeout = None if raw["timeout"] in (None, 0, "none") else seconds(raw["timeout"], "timeout")
        for key in ("kill_after", "max_lock_age", "grace"):
            if key in raw:
                setattr(job, key, seconds(raw[key], key))
        if "lock" in raw:
            job.lock = bool(raw["lock"])
        if "impact" in raw:
            from ..vocab import impact

            job.impact = impact(str(raw["impact"]))
        for key in ("project", "schedule", "tz"):
            if raw.get(key) is not None:
                setattr(job, key, str(raw[key]))
        for key in ("options", "uses"):
            if key in raw:
                setattr(job, key, _strings(raw[key], key))
        if job.schedule:
            from .schedule import check_cron

            check_cron(job.schedule)
    except InvalidInput as exc:
        raise ConfigInvalid(f"{where}: {exc.message}") from None
    return job


def configured_jobs(config: dict, source: Path | None = None) -> dict[str, JobSettings]:
    return {name: job_settings(config, name, source) for name in (_section(config, "jobs", source) or {})}


def run_section(config: dict, source: Path | None = None) -> dict:
    return _section(config, "run", source) or {}


def load_rules(config: dict, source: Path | None = None) -> list:
    """The compiled `rules:` and `alerts:`; a broken rule fails here, naming the rule (exit 1: a broken config)."""
    raw, alerts = config.get("rules"), config.get("alerts")  # alerts: the job runbook's form
    if not raw and not alerts:
        return []
    for name, value in (("rules", raw), ("alerts", alerts)):
        if value and not isinstance(value, list):
            raise ConfigInvalid(f"{source or 'opsctl.yaml'}: {name}: expected a list of rules")
    from . import rules

    try:
        return rules.load_rules(raw, alerts)
    except InvalidInput as exc:
        raise ConfigInvalid(f"{source or 'opsctl.yaml'}: {exc.message}") from None


def seconds(value, what: str) -> float:
    if isinstance(value, bool):
        raise InvalidInput(f"invalid {what} {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise InvalidInput(f"invalid {what} {value!r}: must not be negative")
        return float(value)
    return parse_duration(str(value), what)


def _strings(value, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise InvalidInput(f"{what}: expected a list of text")
    return [str(v) for v in value]


def _section(config: dict, name: str, source: Path | None):
    value = config.get(name)
    if value is not None and not isinstance(value, dict):
        raise ConfigInvalid(f"{source or 'opsctl.yaml'}: {name}: expected a mapping")
    return value
