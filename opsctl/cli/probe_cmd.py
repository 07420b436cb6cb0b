"""`opsctl probe`: HTTP health checks from opsctl.yaml, with failure/success thresholds."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .output import JsonFlag, emit_json, table

_STATE = {"up": "green", "failing": "yellow", "down": "bold red", "recovering": "cyan", "offline": "magenta"}


def probe(
    name: Annotated[Optional[list[str]], typer.Argument(help="Only these probes (default: all).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no table (for cron): only newly raised errors and the offline notice, on stderr.")] = False,
    json_out: JsonFlag = False,
):
    """Run the HTTP health checks in opsctl.yaml `probes:` (e.g. every minute from cron).

    A probe's error is raised after `failures` consecutive failures (default 3) and resolved
    after `successes` consecutive good checks (default 2). When no probe gets any answer, one
    "opsctl offline" error is recorded instead of an outage per service.
    Exit code 0 when the checks ran and were recorded.

    Example: opsctl probe --quiet
    """
    from ..probes.run import run_probes

    result = run_probes(names=name)
    if json_out:
        emit_json(result)
        return
    rows = result["probes"]
    if not quiet:
        table("Probes", ["probe", "state", "HTTP", "ms", "problem", "error"],
              [[p["name"], _styled(p["state"]), p["status_code"] or "",
                f"{p['latency_ms']:.0f}" if p["latency_ms"] is not None else "", p["problem"] or "",
                p["error_id"] or ""] for p in rows],
              empty="no probes configured: add a `probes:` section to opsctl.yaml (see docs/checks.md)")
    from .check_output import show_raised

    show_raised([p["error"] for p in result["probes"]] + [result["offline_error"] if result["offline"] else None])
    if result["offline"]:
        error = result["offline_error"] or {}
        typer.echo(f"opsctl offline: no probe got an answer ({error.get('id', '')})", err=True)


def _styled(state: str) -> str:
    style = _STATE.get(state)
    return f"[{style}]{state}[/{style}]" if style else state
