"""The five runbook commands, flag for flag as CONTRACT.md spells them."""

import sys
from typing import Annotated, Optional

import typer

from .output import JsonFlag, deliveries_line, emit_json, show_notification

# Registered one by one through opsctl/cli/registry.py, so a call builds only its own command.
# No `from __future__ import annotations` here: typer would have to eval every annotation string.

def notify_error(
    type: Annotated[str, typer.Option("--type", help="api_limit, api_limit_warning, integration_missing, auth_failure, system_error")],
    service: Annotated[str, typer.Option(help="The service that failed, e.g. 'Scraper API'.")],
    details: Annotated[str, typer.Option(help="What happened (secrets are scrubbed); '-' reads it from stdin.")] = "",
    impact: Annotated[str, typer.Option(help="blocking (critical, P0, P1), warning (non-blocking, degraded, P2), info (minor, P3)")] = "blocking",
    options: Annotated[Optional[list[str]], typer.Option("--options", help="The choices for the user: --options A B C (or repeat the flag).")] = None,
    project: Annotated[Optional[str], typer.Option(help="The project this blocks.")] = None,
    recommendation: Annotated[Optional[str], typer.Option(help="Which option you recommend and why.")] = None,
    json_out: JsonFlag = False,
):
    """Record an error and notify the user with numbered options.

    A report matching an open error (same type, service and project) is absorbed:
    occurrences goes up and nobody is notified twice.

    Example: opsctl notify-error --type api_limit --service "Scraper API" --details "1000/1000 requests"
    --impact blocking --options "New API key" "Upgrade account"
    """
    from ..api.errors import notify_error as run

    report = dict(type=type, service=service, details=_stdin_if_dash(details), impact=impact, options=options,
                  project=project, recommendation=recommendation)
    result = _spooled("notify-error", report, lambda: run(**report))
    if json_out:
        emit_json(result)
        return
    if not result["deduplicated"]:
        show_notification(result["notification"])
    _say_error(result)


def track_error(
    error_type: Annotated[str, typer.Option("--error-type", help="api_limit, api_limit_warning, integration_missing, auth_failure, system_error")],
    service: Annotated[str, typer.Option(help="The service concerned.")],
    project: Annotated[Optional[str], typer.Option(help="The project concerned.")] = None,
    impact: Annotated[str, typer.Option(help="blocking, warning or info (or an alias).")] = "warning",
    status: Annotated[str, typer.Option(help="open, escalated or acknowledged.")] = "open",
    details: Annotated[str, typer.Option(help="What happened; '-' reads it from stdin.")] = "",
    json_out: JsonFlag = False,
):
    """Record an error in the ledger without notifying anyone.

    Example: opsctl track-error --error-type api_limit --service "Scraper API" --impact blocking --status escalated
    """
    from ..api.errors import track_error as run

    report = dict(error_type=error_type, service=service, project=project, impact=impact, status=status,
                  details=_stdin_if_dash(details))
    result = _spooled("track-error", report, lambda: run(**report))
    if json_out:
        emit_json(result)
        return
    _say_error(result, deliveries=False)


def update_error(
    error_id: Annotated[str, typer.Option("--error-id", help="error-123 or 123.")],
    status: Annotated[Optional[str], typer.Option(help="open, escalated, acknowledged, resolved, false_positive")] = None,
    solution: Annotated[Optional[str], typer.Option(help="What fixed it.")] = None,
    resolution_time: Annotated[Optional[str], typer.Option(help="15min, 2h, 1h30m, 90s (default: from the ledger).")] = None,
    cause: Annotated[Optional[str], typer.Option(help="Root cause.")] = None,
    detection: Annotated[Optional[str], typer.Option(help="How it was detected.")] = None,
    prevention: Annotated[Optional[str], typer.Option(help="What stops it happening again.")] = None,
    note: Annotated[Optional[str], typer.Option(help="A note for the history.")] = None,
    json_out: JsonFlag = False,
):
    """Change an error's status and document it (cause, detection, resolution, prevention).

    Example: opsctl update-error --error-id error-123 --status resolved --solution "New API key" --resolution-time 15min
    """
    from ..api.errors import update_error as run

    if status and status.strip().lower() == "resolved" and not json_out and sys.stdin.isatty():
        answers = _ask_postmortem(error_id, solution=solution, cause=cause, detection=detection, prevention=prevention)
        solution, cause, detection, prevention = (answers.get(k) for k in ("solution", "cause", "detection", "prevention"))
    result = run(error_id, status, solution=solution, resolution_time=resolution_time, cause=cause,
                 detection=detection, prevention=prevention, note=note)
    if json_out:
        emit_json(result)
        return
    _say_error(result, deliveries=bool(result["deliveries"]))
    if result.get("postmortem_missing"):
        typer.echo(f"postmortem pending ({', '.join(result['postmortem_missing'])}): add them later with "
                   f"update-error --error-id {result['id']} --cause … --detection … --prevention …", err=True)


def _ask_postmortem(error_id: str, **given) -> dict:
    """Resolving a blocking error at a terminal: ask for what the postmortem still lacks (Enter skips)."""
    from ..reports.postmortem import missing

    questions = {"cause": "Root cause", "detection": "How was it detected", "solution": "What resolved it",
                 "prevention": "What prevents it next time"}
    for field in missing(error_id, {k: v for k, v in given.items() if v}):
        given[field] = typer.prompt(f"{questions[field]}? (Enter to skip)", default="", show_default=False) or None
    return given


def request_integration(
    tool: Annotated[str, typer.Option(help="The tool or API needed, e.g. 'Airtable API'.")],
    purpose: Annotated[str, typer.Option(help="Why it is needed.")],
    alternatives: Annotated[Optional[str], typer.Option(help="What is done today instead.")] = None,
    urgency: Annotated[str, typer.Option(help="low, medium, high, critical")] = "medium",
    cost: Annotated[Optional[str], typer.Option(help="What it costs.")] = None,
    json_out: JsonFlag = False,
):
    """Ask the user for a new integration (approve / reject / defer).

    Example: opsctl request-integration --tool "Airtable API" --purpose "Client needs data in Airtable" --urgency high
    """
    from ..api.requests import request_integration as run

    result = run(tool, purpose, alternatives=alternatives, urgency=urgency, cost=cost)
    if json_out:
        emit_json(result)
        return
    if not result["deduplicated"]:
        show_notification(result["notification"])
    again = f" (asked {result['asks']} times)" if result["deduplicated"] else ""
    typer.echo(f"{result['id']} {result['status']}{again} — {deliveries_line(result['deliveries'])}")


def log_improvement(
    department: Annotated[str, typer.Option(help="Who made it, e.g. engineering-team.")],
    operation: Annotated[str, typer.Option(help="The operation it came from.")],
    improvement: Annotated[str, typer.Option(help="What was improved.")],
    impact: Annotated[Optional[str], typer.Option(help="The expected effect.")] = None,
    category: Annotated[str, typer.Option(help="automation, monitoring, documentation, process, reliability, performance, security, cost, tooling, other")] = "automation",
    targets: Annotated[Optional[list[str]], typer.Option("--targets", help="Errors it should prevent: error ids, a type or a service.")] = None,
    json_out: JsonFlag = False,
):
    """Record an improvement, optionally linked to the errors it should prevent.

    Example: opsctl log-improvement --department engineering-team --operation "Handled API limit error"
    --improvement "Alert at 80%" --impact "Caught before blocking" --category automation
    """
    from ..api.improvements import log_improvement as run

    result = run(department, operation, improvement, impact=impact, category=category, targets=targets)
    if json_out:
        emit_json(result)
        return
    typer.echo(f"{result['id']} logged ({result['category']})")


def _say_error(result: dict, deliveries: bool = True) -> None:
    if result["deduplicated"]:
        what = f"absorbed into {result['id']} (occurrences: {result['occurrences']})"
    elif result.get("regression"):
        what = f"{result['id']} came back: reopened as a regression (#{result['regressions']})"
    else:
        what = f"{result['id']} {result['status']}"
    tail = f" — {deliveries_line(result['deliveries'])}" if deliveries and not result["deduplicated"] else ""
    typer.echo(what + tail)


def _spooled(kind: str, report: dict, call):
    """The ledger unavailable: the report waits in the spool (exit 1, code ledger_unavailable)."""
    from ..settings import Settings
    from ..spool import guarded

    return guarded(Settings.load().home, kind, report, call)


def _stdin_if_dash(value: str) -> str:
    """`--details -` reads the text from stdin (for payloads beyond the OS argument limit)."""
    if value != "-":
        return value
    import sys

    from ..errors import InvalidInput

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream (in-process callers)
        return sys.stdin.read()
    try:
        return stream.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"--details -: stdin is not valid UTF-8 (byte {exc.start}); send UTF-8 text") from None
