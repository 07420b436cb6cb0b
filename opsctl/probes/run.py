"""`opsctl probe`: check every probe at once, then move each one's state and raise or resolve.

A probe's error is raised after `failures` consecutive failed checks and
resolved after `successes` consecutive good ones (state in `probe_state`), so
one blip neither pages anyone nor closes an outage early. When not a single
probe (of two or more) gets an answer, the problem is this machine's network,
not N services: one "opsctl offline" error is recorded instead, the probes'
counters stay as they were, and it resolves when anything answers again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .. import clock
from ..context import Context, ensure
from ..jobs import incidents
from ..jobs.rules import holds
from ..ledger import lock, probe_state_table, transaction
from .config import Probe, load_probes
from .http import Failure, fetch

OFFLINE = "opsctl offline"


def run_probes(*, names: list[str] | None = None, ctx: Context | None = None) -> dict:
    ctx = ensure(ctx)
    probes = load_probes(ctx.config, ctx.settings.config_path)
    if names:
        unknown = sorted(set(names) - {p.name for p in probes})
        if unknown:
            from ..errors import InvalidInput

            raise InvalidInput(f"no probe named {', '.join(unknown)}; configured: {', '.join(p.name for p in probes) or 'none'}")
        probes = [p for p in probes if p.name in names]
    if not probes:
        return {"probes": [], "offline": False, "offline_error": None, "summary": {"checked": 0}}
    env = ctx.settings.get
    with ThreadPoolExecutor(max_workers=min(32, len(probes)), thread_name_prefix="probe") as pool:
        checks = list(pool.map(lambda p: check(p, env), probes))
    offline = len(probes) >= 2 and not any(c["reachable"] for c in checks)
    results = [_advance(ctx, probe, found, offline) for probe, found in zip(probes, checks, strict=True)]
    offline_error = _offline(ctx, offline, checks)
    summary = {"checked": len(results)}
    for result in results:
        summary[result["state"]] = summary.get(result["state"], 0) + 1
    return {"probes": results, "offline": offline, "offline_error": offline_error, "summary": summary}


def check(probe: Probe, env) -> dict:
    """One HTTP check (worker thread; no ledger here): ok, the numbers, and what went wrong."""
    headers = {}
    if probe.auth_env:
        secret = env(probe.auth_env)
        if not secret:
            return _found(False, True, None, None, f"{probe.auth_env} is not set")
        headers[probe.auth_header] = f"{probe.auth_scheme} {secret}".strip()
    try:
        response = fetch(probe.url, method=probe.method, headers=headers, timeout=probe.timeout)
    except Failure as failure:
        return _found(False, failure.reachable, None, failure.elapsed_ms, failure.problem)
    problems = []
    if response.status not in probe.expect_status:
        problems.append(f"HTTP {response.status}, expected {'/'.join(map(str, probe.expect_status))}")
    if probe.max_ms is not None and response.elapsed_ms > probe.max_ms:
        problems.append(f"took {response.elapsed_ms:.0f} ms, more than {probe.max_ms:.0f} ms")
    if probe.when and not problems:
        try:
            body = response.json()
        except ValueError as exc:
            problems.append(str(exc))
        else:
            names = dict(body) if isinstance(body, dict) else {}
            names.update(body=body, status_code=response.status, response_ms=response.elapsed_ms)
            if not holds(probe.when, probe.tree, names):
                problems.append(f"condition not met: {probe.when}")
    return _found(not problems, True, response.status, response.elapsed_ms, "; ".join(problems) or None)


def _found(ok: bool, reachable: bool, status, latency, problem) -> dict:
    return {"ok": ok, "reachable": reachable, "status_code": status, "latency_ms": latency, "problem": problem}


def _advance(ctx: Context, probe: Probe, found: dict, offline: bool) -> dict:
    at = clock.now_iso()
    with transaction(ctx.conn):
        lock(ctx.conn, f"opsctl:probe:{probe.name}")  # checks of one probe on many hosts count in turn
        state = probe_state_table.get(ctx.conn, probe.name) or {
            "name": probe.name, "status": "unknown", "consecutive_failures": 0, "consecutive_successes": 0,
            "error_id": None}
        if not offline:  # offline: this machine's fault, the probe's counters do not move
            if found["ok"]:
                state["consecutive_successes"] += 1
                state["consecutive_failures"] = 0
            else:
                state["consecutive_failures"] += 1
                state["consecutive_successes"] = 0
        state.update(last_checked_at=at, last_error=found["problem"], last_latency_ms=found["latency_ms"])
        probe_state_table.save(ctx.conn, state)
    result = {"name": probe.name, "url": probe.url, "service": probe.service, **found, "error": None, "resolved": []}
    if not offline:
        _raise_or_resolve(ctx, probe, state, result)
    state["status"] = _status(state, probe, offline)
    probe_state_table.mark(ctx.conn, probe.name, status=state["status"], error_id=state["error_id"])
    result.update(state=state["status"], consecutive_failures=state["consecutive_failures"],
                  consecutive_successes=state["consecutive_successes"],
                  error_id=f"error-{state['error_id']}" if state["error_id"] else None)
    return result


def _raise_or_resolve(ctx: Context, probe: Probe, state: dict, result: dict) -> None:
    source = f"probe:{probe.name}"
    if not result["ok"] and state["consecutive_failures"] >= probe.failures:
        details = (f"{probe.name} ({probe.url}) failed {state['consecutive_failures']} checks in a row: "
                   f"{result['problem']}")
        error = incidents.raise_error(ctx, "system_error", probe.service, details, probe.impact,
                                      probe.options or [f"Check {probe.service} (its status page, its logs)",
                                                        "Switch to the backup option in integrations.md",
                                                        "Acknowledge and wait for it to recover"],
                                      source=source, project=probe.project)
        result["error"] = incidents.brief(error)
        state["error_id"] = int(error["id"].split("-")[-1])
    elif result["ok"] and state["error_id"] and state["consecutive_successes"] >= probe.successes:
        solution = f"{probe.name} answered {state['consecutive_successes']} checks in a row"
        resolved = incidents.resolve_own(ctx, "system_error", probe.service, source=source, solution=solution,
                                         project=probe.project)
        if resolved:
            result["resolved"].append(resolved)
        state["error_id"] = None


def _status(state: dict, probe: Probe, offline: bool) -> str:
    if offline:
        return "offline"
    if state["error_id"]:
        return "down" if state["consecutive_failures"] else "recovering"
    return "failing" if state["consecutive_failures"] else "up"


def _offline(ctx: Context, offline: bool, checks: list[dict]) -> dict | None:
    if not offline:
        resolved = incidents.resolve_own(ctx, "system_error", OFFLINE, source="probe:offline",
                                         solution="probes get answers again")
        return {"resolved": resolved} if resolved else None
    problems = sorted({c["problem"] for c in checks if c["problem"]})
    details = (f"opsctl offline: none of the {len(checks)} probes got an answer ({'; '.join(problems)}). "
               "The services were not marked down: the problem is likely this machine's network.")
    error = incidents.raise_error(ctx, "system_error", OFFLINE, details, "warning",
                                  ["Check this machine's network and DNS", "Check the proxy settings",
                                   "Ignore: the probes resume when the network is back"], source="probe:offline")
    return incidents.brief(error)

