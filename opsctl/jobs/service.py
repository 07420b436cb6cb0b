"""`opsctl run` as a library call: lock, supervise, record, alert, resolve.

    from opsctl.jobs.service import run_job
    outcome = run_job("nightly", ["./job.sh"], timeout=600)
    outcome["status"], outcome["exit_code"]   # SUCCESS 0 / ERROR n / TIMEOUT 124 / SKIPPED 75

Only what a healthy run needs is imported up front (no notify machinery, no
YAML unless a config file exists): `opsctl run NAME -- true` must stay cheap.
"""

from __future__ import annotations

from pathlib import Path

from .. import clock
from ..context import Context, ensure
from ..errors import ExitCode, InvalidInput, OperationalFailure, OpsctlError
from ..ledger import runs_table
from . import incidents, markers, runlog, supervise
from . import lock as locks
from .config import JobSettings, job_settings, load_rules, run_section, seconds

LOG_ENV = "OPSCTL_RUN_LOG"


def run_job(name: str, args: list[str], *, timeout=None, lock: bool | None = None, max_lock_age=None,
            ctx: Context | None = None, stdout=None, stderr=None) -> dict:
    """Run `args` as job `name`; returns the outcome (also written to the ledger and the run log).

    timeout / max_lock_age: seconds or "10m" (None: opsctl.yaml `jobs.NAME`, else 300s / 1h; 0: no timeout).
    lock: None follows the config (default on). stdout/stderr: binary streams for the job's output.
    """
    locks.check_job_name(name)
    if not args:
        raise InvalidInput(f"no command given; use: opsctl run {name} -- COMMAND ARGS…")
    ctx = ctx if ctx is not None else _context()
    _record_lost_runs(ctx)
    job, rules, section = _settings(ctx, name)
    if timeout is not None:
        value = seconds(timeout, "--timeout")
        job.timeout = value or None
    if max_lock_age is not None:
        job.max_lock_age = seconds(max_lock_age, "--max-lock-age")
    if job.timeout:  # a run still inside its own timeout is never "hung"
        job.max_lock_age = max(job.max_lock_age, job.timeout + job.kill_after + 60)
    home = ctx.settings.home
    log_path = Path(ctx.settings.get(LOG_ENV) or section.get("log") or home / "logs" / "runs.jsonl").expanduser()
    held = None
    if job.lock if lock is None else lock:
        held = locks.acquire(name, Path(section.get("locks") or home / "locks").expanduser(), job.max_lock_age)
        if not held.acquired:
            return _skipped(ctx, job, held, log_path)
    marker = markers.start(home, name, args)
    try:
        result = supervise.run(name, args, timeout=job.timeout, grace=job.kill_after,
                               tail_lines=int(section.get("tail_lines", 50)), stdout=stdout, stderr=stderr,
                               keep_fds=[held.fd] if held else ())
        return _finish(ctx, job, rules, result, held.took_over_from if held else None, log_path)
    finally:
        markers.finish(marker)
        if held is not None:
            held.release()


def _context() -> Context:
    """The run goes ahead even with a broken .env: the real environment is used, stderr says why."""
    try:
        return Context()
    except OpsctlError as exc:
        import os
        import sys

        from ..settings import Settings

        print(f"opsctl: {exc.message} (running with the environment only)", file=sys.stderr)
        return Context(Settings(env=dict(os.environ)))


def _record_lost_runs(ctx: Context) -> None:
    """Runs whose supervisor died (a leftover "started" marker, its pid gone) are recorded as lost."""
    found = markers.lost(ctx.settings.home)
    for path, record in found:
        payload = {"job": str(record.get("job")), "status": "ERROR", "exit_code": -9,
                   "started_at": record.get("started_at"), "finished_at": None, "duration_seconds": None,
                   "tail": "", "metrics": {}, "message": f"lost: its supervisor (opsctl pid {record.get('pid')}) "
                   "died during the run; the job was killed with it"}
        try:
            record_spooled_run(ctx, payload)
        except Exception:  # noqa: BLE001 - the ledger is unavailable: the marker stays for the next run
            return
        markers.finish(path)


def record_spooled_run(ctx: Context, payload: dict) -> int:
    """Record a run that could not be recorded at the time (spooled, or lost with its supervisor)."""
    from ..ledger import transaction

    with transaction(ctx.conn):
        run_id = runs_table.insert(ctx.conn, **{k: payload.get(k) for k in (
            "job", "status", "exit_code", "started_at", "finished_at", "duration_seconds", "tail", "metrics",
            "message")})
    if payload.get("status") != "SUCCESS":
        job = payload["job"]
        details = f"{job}: {payload.get('message') or 'exit code ' + str(payload.get('exit_code'))}"
        if payload.get("tail"):
            details += "\n\nLast output:\n" + payload["tail"]
        error = incidents.raise_error(ctx, "system_error", job, details, "warning",
                                      [f"Look at its runs: opsctl jobs show {job}", f"Re-run it: opsctl run {job} -- …"],
                                      source=f"run:{job}")
        _link(ctx, run_id, error["id"])
    return run_id


def _settings(ctx: Context, name: str) -> tuple[JobSettings, list, dict]:
    try:
        config, source = ctx.config, ctx.settings.config_path
        return job_settings(config, name, source), load_rules(config, source), run_section(config, source)
    except OperationalFailure as exc:
        _report_config_problem(ctx, exc.message)
        raise


def _report_config_problem(ctx: Context, message: str) -> None:
    """A broken job or rule refuses the run; say so in the ledger too, or cron would fail silently."""
    try:
        incidents.raise_error(ctx, "system_error", "opsctl config", message, "blocking",
                              ["Fix opsctl.yaml (see the details)", "Check it with: opsctl jobs list"],
                              source="config")
    except Exception:  # noqa: BLE001 - the config is broken beyond what notify can read; the exit code says it
        pass


def _finish(ctx: Context, job: JobSettings, rules: list, result, took_over: dict | None, log_path: Path) -> dict:
    alerts = _evaluate(rules, result.facts())
    if any(r.for_seconds or r.cooldown_seconds for r in rules):  # `for:` / `cooldown:` (issue 12)
        from .rule_timing import gate

        alerts = gate(ctx, rules, alerts, result.facts(), scope=job.name)
    outcome = {
        "run_id": None, "job": job.name, "status": result.status, "exit_code": result.exit_code,
        "started_at": clock.to_iso(result.started_at), "finished_at": clock.to_iso(result.finished_at),
        "duration_seconds": result.duration_seconds, "message": result.message, "metrics": result.metrics,
        "alerts": [{"rule": a.rule, "severity": a.severity, "message": a.message} for a in alerts],
        "error": None, "raised": [], "resolved": [], "took_over_from": took_over, "log": str(log_path),
        "problem": None,
    }
    try:
        outcome["run_id"] = _record(ctx, job.name, result, took_over)
        _alert(ctx, job, rules, result, alerts, outcome)
    except Exception as exc:  # noqa: BLE001 - the ledger is broken: the spool, the run log and the exit code tell
        outcome["problem"] = _spool_run(ctx, job, result, exc, recorded=outcome["run_id"] is not None)
    _log(log_path, runlog.from_result(result), outcome)
    return outcome


def _spool_run(ctx: Context, job: JobSettings, result, exc: BaseException, *, recorded: bool) -> str:
    from ..ledger.failures import classify
    from ..spool import write

    failure = classify(exc)
    said = failure.message if failure else (getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")
    if recorded:
        return f"the run was recorded but its alert could not be: {said}"
    where = write(ctx.settings.home, "run", {
        "job": job.name, "status": result.status, "exit_code": result.exit_code,
        "started_at": clock.to_iso(result.started_at), "finished_at": clock.to_iso(result.finished_at),
        "duration_seconds": result.duration_seconds, "tail": result.tail, "metrics": result.metrics,
        "message": result.message})
    kept = f"; kept in {where} for the next command to record" if where else ""
    return f"could not record the run: {said}{kept}"


def _evaluate(rules: list, facts: dict) -> list:
    if not rules:
        return []
    from .rules import evaluate

    return evaluate(rules, facts)


def _record(ctx: Context, name: str, result, took_over: dict | None) -> int:
    from ..ledger import transaction

    with transaction(ctx.conn):
        run_id = runs_table.insert(
            ctx.conn, job=name, status=result.status, exit_code=result.exit_code,
            started_at=clock.to_iso(result.started_at), finished_at=clock.to_iso(result.finished_at),
            duration_seconds=result.duration_seconds, tail=result.tail, metrics=result.metrics,
            message=result.message)
        if took_over:
            from ..ledger.events import add_event

            add_event(ctx.conn, "run", run_id, "lock_taken_over", at=clock.now_iso(), actor=ctx.actor,
                      note=f"the previous holder (pid {took_over.get('pid')}) died holding the lock",
                      data=took_over)
    return run_id


def _alert(ctx: Context, job: JobSettings, rules: list, result, alerts: list, outcome: dict) -> None:
    """Failure: one error for the job. Success: resolve the job's error; rule alerts are errors of their own."""
    name, run_id = job.name, outcome["run_id"]
    failed = result.status != "SUCCESS"
    if failed:
        impact = _worst([a.impact for a in alerts]) or job.impact
        details = "\n".join([a.message for a in alerts] + [_summary(result), "", "Last output:", result.tail or "(none)"])
        source = f"run:{name}:{alerts[0].rule}" if alerts else f"run:{name}"  # the rule that raised it
        error = incidents.raise_error(ctx, "system_error", name, details.strip(), impact, _options(job),
                                      source=source, project=job.project)
        outcome["error"] = incidents.brief(error)
        _link(ctx, run_id, error["id"])
    else:
        for alert in alerts:
            error = incidents.raise_error(ctx, "system_error", f"{name}/{alert.rule}", alert.message, alert.impact,
                                          _options(job), source=f"run:{name}:{alert.rule}", project=job.project)
            outcome["raised"].append(incidents.brief(error))
    if failed:
        return
    matched = {a.rule for a in alerts}
    sources = [f"run:{name}"] + [f"run:{name}:{rule.name}" for rule in rules if rule.name not in matched]
    for row in incidents.open_by_source(ctx.conn, sources):
        solution = (f"next run succeeded (run {run_id})" if row["source"] == f"run:{name}"
                    else f"rule no longer matches (run {run_id})")
        if resolved := incidents.resolve_id(ctx, row["id"], solution):
            outcome["resolved"].append(resolved)


def _skipped(ctx: Context, job: JobSettings, busy, log_path: Path) -> dict:
    holder = busy.held_by or {}
    since = f", started {holder['started_at']}" if holder.get("started_at") else ""
    message = f"skipped: the previous run (pid {holder.get('pid', '?')}{since}) still holds the lock"
    if busy.holder_alive is False:
        message += "; the opsctl that started it is gone but its job still runs"
    at = clock.now()
    result = supervise.RunResult(job.name, "SKIPPED", int(ExitCode.SKIPPED), at, at, 0.0, "", {}, message)
    outcome = {"run_id": None, "job": job.name, "status": "SKIPPED", "exit_code": int(ExitCode.SKIPPED),
               "started_at": clock.to_iso(at), "finished_at": clock.to_iso(at), "duration_seconds": 0.0,
               "message": message, "metrics": {}, "alerts": [], "error": None, "raised": [], "resolved": [],
               "took_over_from": None, "held_by": holder or None, "lock_age_seconds": busy.age_seconds,
               "log": str(log_path), "problem": None}
    try:
        outcome["run_id"] = _record(ctx, job.name, result, None)
        if busy.too_old:
            from ..durations import format_duration

            details = (f"{job.name} looks hung: its previous run (pid {holder.get('pid', '?')}) has held the lock "
                       f"for {format_duration(busy.age_seconds)}, longer than the {format_duration(job.max_lock_age)}"
                       f" allowed (max lock age); new runs are being skipped.")
            error = incidents.raise_error(
                ctx, "system_error", job.name, details, job.impact,
                [f"Kill the hung run (kill -TERM -{holder.get('pid', 'PID')})", "Let it finish and watch the next run",
                 f"Raise max_lock_age for jobs.{job.name}"], source=f"run:{job.name}", project=job.project)
            outcome["error"] = incidents.brief(error)
            _link(ctx, outcome["run_id"], error["id"])
    except Exception as exc:  # noqa: BLE001 - the skip is still the answer; the run log tells
        outcome["problem"] = f"could not record the run: {getattr(exc, 'message', None) or exc}"
    _log(log_path, runlog.from_result(result), outcome)
    return outcome


def _link(ctx: Context, run_id: int | None, error_id: str) -> None:
    if run_id is not None:
        runs_table.set_error(ctx.conn, run_id, int(error_id.split("-")[-1]))


def _log(path: Path, record: dict, outcome: dict) -> None:
    extras = {"run_id": outcome["run_id"], "message": outcome["message"] or None,
              "error_id": (outcome["error"] or {}).get("id"),
              "alerts": [a["rule"] for a in outcome["alerts"]] or None}
    for key, value in extras.items():
        if value is not None and key not in record:
            record[key] = value
    try:
        runlog.append(path, record)
    except OSError as exc:
        problem = f"cannot write the run log {path}: {exc.strerror or exc}; set run.log in opsctl.yaml or {LOG_ENV}"
        outcome["problem"] = f"{outcome['problem']}; {problem}" if outcome["problem"] else problem


def _summary(result) -> str:
    if result.status == "TIMEOUT":
        return f"{result.job} {result.message} and was killed (exit {result.exit_code})."
    return f"{result.job} failed: {result.message or f'exit code {result.exit_code}'}."


def _options(job: JobSettings) -> list[str]:
    return job.options or [f"Re-run it now: opsctl run {job.name} -- …", f"Look at its runs: opsctl jobs show {job.name}",
                           "Pause the job until it is fixed"]


def _worst(impacts: list[str]) -> str | None:
    order = {"blocking": 3, "warning": 2, "info": 1}
    return max(impacts, key=order.__getitem__) if impacts else None


def exit_code(outcome: dict) -> int:
    """The process exit code for `opsctl run`: always the job's own (124 timeout, 75 skipped); what opsctl
    could not record is said on stderr, kept in the spool and the run log."""
    return outcome["exit_code"]

