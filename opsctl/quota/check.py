"""`opsctl quota check`: read every usage source at once, record, judge, summarise.

Fetching runs concurrently in worker threads (network and child processes
only, each bounded by its own timeout); the ledger writes and the errors happen
in the calling thread as results arrive. A source that fails — malformed
answer, timeout, missing credential — is a failed check naming the service and
the problem; the other services are still checked.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field
from datetime import timedelta

from .. import clock
from ..context import Context, ensure
from ..errors import InvalidInput
from ..jobs import incidents
from ..ledger import quota_table
from . import judge, sources
from .forecast import forecast as predict

FORECAST_DAYS = 90  # readings older than this do not shape the forecast
MAX_WORKERS = 64


@dataclass
class Task:
    service: str
    spec: dict | None = None
    settings: dict = field(default_factory=dict)
    backup: str = ""
    problem: str | None = None


def check_quotas(*, services: list[str] | None = None, progress=None, ctx: Context | None = None) -> dict:
    """Check every service with a usage source (or just `services`); progress(done, total, result) if given."""
    from ..inventory import load

    ctx = ensure(ctx)
    section = ctx.config.get("quota") or {}
    inventory = load(ctx)
    tasks = _plan(ctx, inventory, services)
    timeout = float(section.get("timeout", sources.DEFAULT_TIMEOUT))
    results, fetchable = [], [t for t in tasks if t.spec and t.spec["type"] != "manual" and not t.problem]
    total = len(tasks)

    def done(result: dict) -> None:
        results.append(result)
        if progress:
            progress(len(results), total, result)

    for task in tasks:
        if task not in fetchable:
            done(_settle_local(ctx, task, section))
    if fetchable:
        env = ctx.settings.get
        workers = max(1, min(int(section.get("workers", MAX_WORKERS)), len(fetchable)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="quota")
        futures = {pool.submit(_timed, sources.read, t.spec, env, timeout): t for t in fetchable}
        longest = max(float(t.spec.get("timeout") or timeout) for t in fetchable)
        try:
            for future in as_completed(futures, timeout=longest + 5):
                task = futures.pop(future)
                reading, problem, elapsed = future.result()
                done(settle(ctx, task, section, reading=reading, problem=problem, elapsed_ms=elapsed))
        except FuturesTimeout:
            for task in futures.values():
                done(settle(ctx, task, section, problem=f"the check did not finish within {longest + 5:g}s"))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    results.extend(_credentials(ctx, inventory, section, services))
    results.sort(key=lambda r: (r["service"].lower(), r["kind"]))
    problems = _inventory_problems(ctx, inventory)
    return {"file": str(inventory.path), "checked_at": clock.now_iso(), "results": results,
            "problems": problems, "summary": _count(results)}


def _plan(ctx: Context, inventory, services: list[str] | None) -> list[Task]:
    wanted = {s.lower() for s in services} if services else None
    tasks, seen = [], set()
    for row in inventory.integrations:
        if wanted is not None and row.service.lower() not in wanted:
            continue
        if not row.config.get("usage"):
            continue  # readings recorded by hand still get checked (below)
        seen.add(row.service.lower())
        task = Task(row.service, settings=row.config, backup=_backup(row.backup))
        try:
            task.spec = sources.check_spec(row.config["usage"])
            from ..trust import refuse

            if task.spec["type"] == "command" and refuse(inventory.path, "a usage command"):
                task.spec, task.problem = None, f"usage command of {row.service} refused: {inventory.path} is not trusted"
        except InvalidInput as exc:
            task.problem = f"invalid usage source in {inventory.path.name} (line {row.line}): {exc.message}"
        tasks.append(task)
    for service in quota_table.recorded_services(ctx.conn):  # recorded by hand, not (yet) in the inventory
        if service.lower() not in seen and (wanted is None or service.lower() in wanted):
            row = inventory.find(service)
            tasks.append(Task(row.service, {"type": "manual"}, row.config, _backup(row.backup)) if row
                         else Task(service, spec={"type": "manual"}))
    return tasks


def _timed(read, spec, env, timeout):
    import time

    began = time.monotonic()
    try:
        return read(spec, env, timeout), None, _ms(began)
    except sources.CheckFailed as exc:
        return None, str(exc), _ms(began)
    except Exception as exc:  # noqa: BLE001 - one broken source never stops the others
        return None, f"{type(exc).__name__}: {exc}", _ms(began)


def _settle_local(ctx: Context, task: Task, section: dict) -> dict:
    """Manual sources and broken specs: nothing to fetch."""
    if task.problem:
        return settle(ctx, task, section, problem=task.problem)
    last = quota_table.last_good(ctx.conn, task.service)
    if last is None:
        return dict(_base(task), status="no data",
                    problem=f"no reading yet: opsctl quota record \"{task.service}\" --used N --limit M")
    return _judge(ctx, task, section, last, dict(_base(task), recorded_at=last["at"]))


def settle(ctx: Context, task: Task, section: dict, *, reading: sources.Reading | None = None,
           problem: str | None = None, elapsed_ms: float | None = None) -> dict:
    """Record one fetched reading (or the failure) and judge it."""
    from ..ledger import transaction
    from ..scrub import scrub

    at = clock.now_iso()
    result = dict(_base(task), elapsed_ms=elapsed_ms)
    problem = scrub(problem) if problem else None
    with transaction(ctx.conn):
        if reading is None:
            quota_table.insert(ctx.conn, task.service, at=at, source=(task.spec or {}).get("type", "?"), problem=problem)
        else:
            quota_table.insert(ctx.conn, task.service, at=at, source=reading.source, used=reading.used,
                               limit=reading.limit, remaining=reading.remaining, resets_at=reading.resets_at)
    failure = judge.judge_failure(ctx, task.service, problem or "", ok=reading is not None)
    if reading is None:
        return dict(result, status="failed", problem=problem, error=failure["error"], resolved=failure["resolved"])
    row = {"used": reading.used, "limit_value": reading.limit, "remaining": reading.remaining,
           "resets_at": reading.resets_at, "at": at}
    judged = _judge(ctx, task, section, row, result)
    judged["resolved"] = failure["resolved"] + judged["resolved"]
    return judged


def _judge(ctx: Context, task: Task, section: dict, row: dict, result: dict) -> dict:
    limits = judge.thresholds(section, task.settings)
    since = clock.to_iso(clock.now() - timedelta(days=FORECAST_DAYS))
    seen = quota_table.history(ctx.conn, task.service, since)
    if not seen or seen[-1]["at"] != row["at"]:
        seen.append(row)
    outlook = predict(seen, row.get("resets_at"))
    verdict = judge.judge_usage(ctx, task.service, row, limits, forecast=outlook, backup=task.backup)
    return dict(result, status=verdict["level"], used=row["used"], limit=row["limit_value"],
                remaining=row["remaining"], percent=verdict["percent"], resets_at=row.get("resets_at"),
                forecast=outlook.public() if outlook else None,
                forecast_text=outlook.text(clock.now()) if outlook else None,
                error=verdict["error"], resolved=verdict["resolved"])


def _credentials(ctx: Context, inventory, section: dict, services: list[str] | None) -> list[dict]:
    found = []
    for row in inventory.integrations:
        expires = row.config.get("credential_expires")
        if not expires or (services and row.service.lower() not in {s.lower() for s in services}):
            continue
        base = {"service": row.service, "kind": "credential", "source": "credential_expires"}
        try:
            verdict = judge.judge_credential(ctx, row.service, str(expires), judge.thresholds(section, row.config),
                                             backup=_backup(row.backup))
        except InvalidInput as exc:
            found.append(dict(base, status="failed", problem=exc.message, error=None, resolved=[]))
            continue
        found.append(dict(base, status=verdict["level"], expires=verdict["expires"], days_left=verdict["days_left"],
                          error=verdict["error"], resolved=verdict["resolved"], problem=None))
    return found


def _inventory_problems(ctx: Context, inventory) -> list[dict]:
    """Unreadable rows: one error for the document, resolved when it reads cleanly again."""
    name = inventory.path.name
    if not inventory.problems:
        incidents.resolve_own(ctx, "system_error", name, source="inventory", solution=f"{name} reads cleanly again")
        return []
    lines = [f"line {p['line']}: {p['problem']}" if p["line"] else p["problem"] for p in inventory.problems]
    error = incidents.raise_error(ctx, "system_error", name, f"{name} has rows opsctl cannot read:\n" + "\n".join(lines),
                                  "warning", [f"Fix the rows in {inventory.path}", "Check with: opsctl integrations list"],
                                  source="inventory")
    return [dict(p, error=error["id"]) for p in inventory.problems]


def _base(task: Task) -> dict:
    return {"service": task.service, "kind": "usage", "source": (task.spec or {}).get("type"), "status": None,
            "problem": None, "error": None, "resolved": []}


def _backup(cell: str) -> str:
    from ..inventory.review import stated

    return stated(cell)


def _count(results: list[dict]) -> dict:
    counts = {"checked": len(results)}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    return counts


def _ms(began: float) -> float:
    import time

    return round((time.monotonic() - began) * 1000, 1)
