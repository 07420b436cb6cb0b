"""Auto-fix before escalation: the `remediation:` section of opsctl.yaml.

    remediation:
      refresh-scraper-token:            # a name for the history and the solution text
        type: auth_failure              # match on type, service, project (each optional, a value or a list)
        service: Scraper API
        command: ./bin/refresh-token --service scraper   # split with shlex, run without a shell
        timeout: 60s                    # default 30s; the whole process group is killed after it

Hooked into `notify_error`: a new incident (first notice) that matches a rule is claimed
(`remediation_status = 'running'`, a safety timer in `next_escalation_at`), the command runs
outside any ledger transaction, then success resolves the error with the remediation as the
solution and nobody is bothered; failure notifies the user with the (scrubbed) output attached.
If the process running the fix dies, the safety timer makes `opsctl tick` send the notice.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from datetime import timedelta

from ..clock import parse_iso, to_iso
from ..errors import OperationalFailure
from ..ledger import errors_table
from ..ledger.events import add_event

DEFAULT_TIMEOUT = 30.0
SAFETY_MARGIN = 60.0  # tick takes over this long after the fix's own timeout
OUTPUT_LIMIT = 2000
BUSY = object()  # another process is running the fix for this incident


@dataclass
class Rule:
    name: str
    argv: list[str]
    timeout: float = DEFAULT_TIMEOUT
    cwd: str | None = None
    match: dict = field(default_factory=dict)

    def shown(self) -> list[str]:
        """The command as stored and shown: secrets in its arguments scrubbed."""
        from ..scrub import scrub_all

        return scrub_all(self.argv)

    def matches(self, row) -> bool:
        for key, wanted in self.match.items():
            value = (row[key] or "").lower()
            if value not in [w.lower() for w in wanted]:
                return False
        return True


@dataclass
class Outcome:
    ok: bool
    exit_code: int | None
    output: str
    seconds: float
    timed_out: bool = False

    def summary(self, rule: Rule) -> str:
        if self.ok:
            return f"auto-fixed by remediation `{rule.name}` ({shlex.join(rule.shown())})"
        why = f"timed out after {rule.timeout:g}s" if self.timed_out else (
            "could not start" if self.exit_code is None else f"failed with exit code {self.exit_code}")
        return f"remediation `{rule.name}` {why}"

    def public(self, rule: Rule) -> dict:
        return {"name": rule.name, "command": rule.shown(), "ok": self.ok, "exit_code": self.exit_code,
                "timed_out": self.timed_out, "seconds": round(self.seconds, 3), "output": self.output}


def _rule(name: str, raw) -> Rule:
    from ..durations import parse_duration
    from ..errors import InvalidInput

    where = f"opsctl.yaml: remediation.{name}"
    if not isinstance(raw, dict) or not raw.get("command"):
        raise OperationalFailure(f"{where}: expected a mapping with a command (and type/service/project to match)")
    command = raw["command"]
    argv = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    match = {}
    for key in ("type", "service", "project"):
        if raw.get(key) is not None:
            value = raw[key]
            match[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if not match:
        raise OperationalFailure(f"{where}: name at least one of type, service, project to match")
    timeout = raw.get("timeout", DEFAULT_TIMEOUT)
    try:
        seconds = float(timeout) if isinstance(timeout, (int, float)) else parse_duration(str(timeout), "timeout")
    except InvalidInput as exc:
        raise OperationalFailure(f"{where}: {exc.message}") from None
    return Rule(name=str(raw.get("name", name)), argv=argv, timeout=seconds, cwd=raw.get("cwd"), match=match)


def rules(config: dict) -> list[Rule]:
    section = config.get("remediation") or {}
    if isinstance(section, dict):
        return [_rule(str(name), raw) for name, raw in section.items()]
    if isinstance(section, list):
        return [_rule(str((raw or {}).get("name", f"#{n}")) if isinstance(raw, dict) else f"#{n}", raw)
                for n, raw in enumerate(section, 1)]
    raise OperationalFailure("opsctl.yaml: remediation: expected a mapping of name -> {type, service, command}")


def claim(ctx, row, at: str):
    """Inside the recording transaction: the Rule to run now, BUSY, or None (notify as usual)."""
    if row["status"] != "open":
        return None
    if row["remediation_at"] and row["remediation_at"] >= row["opened_at"]:  # tried in this incident
        return BUSY if row["remediation_status"] == "running" else None
    if not ctx.config.get("remediation"):
        return None
    from ..trust import refuse

    if refuse(ctx.settings.config_path, "remediation"):  # notified as usual instead
        return None
    rule = next((r for r in rules(ctx.config) if r.matches(row)), None)
    if rule is None:
        return None
    safety = to_iso(parse_iso(at) + timedelta(seconds=rule.timeout + SAFETY_MARGIN))
    errors_table.start_remediation(ctx.conn, row["id"], at=at, safety_at=safety)
    add_event(ctx.conn, "error", row["id"], "remediation_started", at=at, actor=ctx.actor,
              data={"name": rule.name, "command": rule.shown()})
    return rule


def run(rule: Rule, row) -> Outcome:
    """Run the fix: no shell, its own process group, killed whole after the timeout."""
    from ..ids import format_id
    from ..scrub import scrub

    from ..childenv import child_env

    env = child_env(None, OPSCTL_ERROR_ID=format_id("error", row["id"]), OPSCTL_ERROR_TYPE=row["type"],
               OPSCTL_SERVICE=row["service"], OPSCTL_PROJECT=row["project"] or "")
    started = time.monotonic()
    try:
        proc = subprocess.Popen(rule.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, cwd=rule.cwd, env=env, start_new_session=True)
    except OSError as exc:
        return Outcome(False, None, scrub(f"{rule.argv[0]}: {exc.strerror or exc}"), time.monotonic() - started)
    timed_out = False
    try:
        output, _ = proc.communicate(timeout=rule.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
        output, _ = proc.communicate()
    text = scrub(output.decode("utf-8", "replace")).strip()
    if len(text) > OUTPUT_LIMIT:
        text = "…" + text[-OUTPUT_LIMIT:]
    ok = not timed_out and proc.returncode == 0
    return Outcome(ok, None if timed_out else proc.returncode, text, time.monotonic() - started, timed_out)


def record_outcome(ctx, row, rule: Rule, outcome: Outcome, at: str) -> None:
    errors_table.set_remediation_status(ctx.conn, row["id"], "succeeded" if outcome.ok else "failed")
    add_event(ctx.conn, "error", row["id"], "remediated" if outcome.ok else "remediation_failed", at=at,
              actor=ctx.actor, note=outcome.summary(rule), data=outcome.public(rule))


def failure_facts(rule: Rule, outcome: Outcome) -> dict:
    facts = {"Auto-fix": outcome.summary(rule)}
    if outcome.output:
        facts["Auto-fix output"] = outcome.output
    return facts
