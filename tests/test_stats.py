"""stats, digest and `improvements show`: the runbook's metrics, computed from the ledger."""

from __future__ import annotations

import json

import pytest

from opsctl import log_improvement, notify_error, update_error
from opsctl.api.decisions import acknowledge
from opsctl.api.requests import decide_request, request_integration
from opsctl.reports.digest import digest
from opsctl.reports.effectiveness import show_improvement
from opsctl.reports.stats import stats
from tests.escalation_support import announced, frozen, move  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


@pytest.fixture
def ledger(frozen, announced):
    """A small ledger whose every figure is known (times relative to T0)."""
    move(days=-40)
    notify_error("api_limit", "Old API", "long ago", "blocking")  # error-1: outside a 30-day window
    move(minutes=0)
    for _ in range(3):  # error-2: reported three times
        notify_error("api_limit", "Scraper API", "limit", "blocking", ["Key", "Upgrade"], project="AU Research")
    move(minutes=2)
    acknowledge("error-2")  # answered in 2 minutes: deadline met
    move(minutes=10)
    update_error("error-2", "resolved", solution="new key")  # 600 s, postmortem pending
    move(hours=1)
    notify_error("auth_failure", "Gmail", "401", "blocking")  # error-3
    move(hours=1, minutes=20)
    acknowledge("error-3")  # 20 minutes: deadline missed
    move(hours=2)
    update_error("error-3", "resolved", solution="re-auth", cause="expired", detection="alert",
                 prevention="rotate")  # 3600 s
    notify_error("api_limit", "Scraper API", "80%", "warning", project="Other")  # error-4 at T0+2h
    move(hours=2, minutes=30)
    update_error("error-4", "resolved", solution="waited")  # 1800 s, answered by resolution: met
    move(hours=3)
    notify_error("system_error", "Cron", "crash", "warning")  # error-5: never answered, missed by T0+10h
    move(hours=9, minutes=59)
    notify_error("system_error", "Cron two", "crash", "blocking")  # error-6: still inside its 5 minutes
    notify_error("integration_missing", "Airtable", "no client", "info")  # error-7
    request_integration("Airtable API", "client data")
    request_integration("Notion API", "pages")
    decide_request("req-2", "approve")
    move(hours=10)


def test_stats_figures(ledger):
    report = stats(since="30d")
    assert report["totals"]["errors"] == 6 and report["totals"]["occurrences"] == 8
    assert {r["type"]: r["errors"] for r in report["by_type"]} == {
        "api_limit": 2, "system_error": 2, "auth_failure": 1, "integration_missing": 1}
    assert report["by_service"][0] == {"service": "Scraper API", "errors": 2, "occurrences": 4}
    assert {r["project"]: r["errors"] for r in report["by_project"]} == {None: 4, "AU Research": 1, "Other": 1}
    assert report["most_common"][0] == {"type": "api_limit", "service": "Scraper API", "project": "AU Research",
                                        "errors": 1, "occurrences": 3}
    assert report["resolution_seconds"] == {"count": 3, "median": 1800.0, "p90": 3600.0}
    assert report["response_seconds"]["count"] == 2
    assert report["response_seconds"]["median"] == pytest.approx(120, abs=0.01)
    assert report["response_seconds"]["p90"] == pytest.approx(1200, abs=0.01)
    assert {k: (v["met"], v["missed"], v["pending"]) for k, v in report["deadlines"].items()} == {
        "blocking": (1, 1, 1), "warning": (1, 1, 0)}
    assert report["backlog"]["open"] == 4  # error-1 from 40 days ago is still open too
    assert report["backlog"]["by_impact"] == {"blocking": 2, "warning": 1, "info": 1}
    assert report["backlog"]["oldest"][0]["id"] == "error-1"  # the backlog is not windowed
    assert report["postmortems_pending"] == 1
    assert report["requests"] == {"pending": 1, "approved": 1}
    assert sum(day["errors"] for day in report["per_day"]) == 6 and len(report["per_day"]) == 31


def test_priority_targets(frozen, announced):
    """P0-P3 beside the tiers: a given priority counts under its own target, the rest under their impact's."""
    notify_error("api_limit", "A", "x", "P1")  # error-1, P1: answered in 20 minutes, within 30
    notify_error("api_limit", "B", "x", "P1")  # error-2, P1: answered in 40 minutes, late
    notify_error("api_limit", "C", "x", "blocking")  # error-3, P0 by default: 2 minutes, within 5
    notify_error("system_error", "D", "x", "warning")  # error-4, P2 by default: 3 hours, late
    notify_error("system_error", "E", "x", "P2")  # error-5, P2: never answered
    move(minutes=2)
    acknowledge("error-3")
    move(minutes=20)
    acknowledge("error-1")
    move(minutes=40)
    acknowledge("error-2")
    move(hours=3)
    acknowledge("error-4")
    rows = {d["priority"]: (d["errors"], d["answered"], d["within_target"]) for d in
            stats(since="1d")["priority_deadlines"]}
    assert rows == {"P0": (1, 1, 1), "P1": (2, 2, 1), "P2": (2, 1, 0), "P3": (0, 0, 0)}
    assert stats(since="1d")["false_positives_by_rule"] == []
    update_error("error-5", "false_positive")
    assert stats(since="1d")["false_positives_by_rule"] == [{"rule": "notify-error", "false_positives": 1}]


def test_the_window_moves_with_since(ledger):
    assert stats(since="60d")["totals"]["errors"] == 7
    assert stats(since="5h")["totals"]["errors"] == 2


def test_stats_cli_json_and_rich(ledger, run_cli):
    code, out, _ = run_cli("stats", "--since", "30d", "--json")
    assert code == 0 and json.loads(out)["totals"]["errors"] == 6
    code, out, _ = run_cli("stats", "--format", "table")
    assert code == 0
    for expected in ("By type", "Tier deadlines", "Most common issues", "Open backlog", "█", "median 30m"):
        assert expected in out
    code, out, _ = run_cli("stats")  # piped: the tables as tab-separated rows with a header, never wrapped
    assert code == 0 and "type\terrors\toccurrences\t\n" in out and "By type" not in out
    assert "Scraper API\t2\t4\t" in out
    code, _, err = run_cli("stats", "--since", "soon")
    assert code == 2 and "--since" in err


def test_digest_lists_info_errors_and_is_announced(ledger, announced):
    result = digest("day")
    assert "error-7" in result["markdown"] and "Info (waiting for this digest)" in result["markdown"]
    assert "Still open" in result["markdown"] and "- error-1 blocking" in result["markdown"]
    assert "## Postmortem pending\n\n- error-2 blocking" in result["markdown"]
    assert "\n- **Resolved:** 3 ·" in result["markdown"] and "\n- **Open backlog:** 4 " in result["markdown"]
    assert "- integration_missing · Airtable: 1 occurrence (1 error)" in result["markdown"]
    call = announced[-1]
    assert call["purpose"] == "digest" and call["notification"].kind == "digest"
    assert call["subject"] == "digest" and call["event_id"]
    week = digest("week", send=False)
    assert "error-2" in week["markdown"] and week["deliveries"] == [] and announced[-1] is call


def test_digest_cli(ledger, announced, run_cli):
    code, out, _ = run_cli("digest", "--period", "week", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["period"] == "week"
    assert all(c["purpose"] != "digest" for c in announced)
    code, out, _ = run_cli("digest", "--dry-run")  # piped: the markdown itself, not Rich's rendering
    assert code == 0 and out.startswith("# Daily ops digest") and "\n- **New:** 6 incidents of 6 errors" in out
    code, _, err = run_cli("digest", "--period", "month")
    assert code == 2 and "valid: day, week" in err


def test_a_reopen_is_a_new_incident(frozen, announced):
    """Opened and resolved 7 times in 20 days: 1 error, 7 incidents, each on its own day."""
    move(days=-20)
    for n in range(7):
        move(days=-20 + 3 * n)
        notify_error("api_limit", "Flaky API", "limit", "warning")
        move(days=-20 + 3 * n, hours=1)
        update_error("error-1", "resolved", solution="waited")
    move(days=0)
    report = stats(since="30d")
    assert report["totals"]["errors"] == 1 and report["totals"]["incidents"] == 7
    busy = [d for d in report["per_day"] if d["incidents"]]
    assert len(busy) == 7 and all(d == {"day": d["day"], "incidents": 1, "errors": 1} for d in busy)
    assert busy[0]["day"] < busy[-1]["day"]  # per_day is not empty before the last reopen
    assert "- **New:** 2 incidents of 1 error (0 blocking, 1 warning" in digest("week", send=False)["markdown"]


def _maps_error(day: int) -> None:
    move(days=day)
    notify_error("api_limit", "Maps API", "limit", "blocking")
    move(days=day, hours=1)
    update_error("error-1", "resolved", solution="waited")


def test_an_improvement_that_worked(frozen, announced):
    for day in range(-10, 0, 2):
        _maps_error(day)
    move(days=0)
    log_improvement("engineering", "Maps limit", "Alert at 80%", targets=["Maps API"])
    move(days=10)
    shown = show_improvement("imp-1")
    assert shown["before"]["occurrences"] == 5 and shown["after"]["occurrences"] == 0
    assert shown["before"]["median_resolution_seconds"] == 3600
    assert shown["verdict"] == "worked" and shown["window_seconds"] == 10 * 86400


def test_an_improvement_that_did_not_work(frozen, announced, run_cli):
    _maps_error(-3)
    move(days=0)
    log_improvement("engineering", "Maps limit", "Cache results", targets=["error-1"])
    for day in (1, 2):
        _maps_error(day)
    move(days=3)
    shown = show_improvement("imp-1")
    assert (shown["before"]["occurrences"], shown["after"]["occurrences"]) == (1, 2)
    assert shown["verdict"] == "did_not_work"
    code, out, _ = run_cli("improvements", "show", "imp-1")
    assert code == 0 and "did not work" in out and "before" in out


def test_too_early_to_tell(frozen, announced):
    log_improvement("engineering", "x", "y", targets=["api_limit"])
    move(hours=3)
    assert show_improvement("imp-1")["verdict"] == "too_early"
