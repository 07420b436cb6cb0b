"""The five runbook commands, flag for flag as CONTRACT.md spells them, as real processes."""

from __future__ import annotations
from tests.cli_support import incli  # noqa: F401 - the in-process CLI fixture
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

NOTIFY = ["notify-error", "--type", "api_limit", "--service", "Scraper API",
          "--details", "Free tier limit reached (1000/1000 requests)", "--impact", "blocking",
          "--options", "New API key", "Upgrade account", "Switch to alternative scraper",
          "--project", "AU Real Estate Research", "--recommendation", "Option 1 (fastest)"]


def test_notify_error_json_contract(incli):
    out = incli.json(*NOTIFY)
    assert out["id"] == "error-1"
    assert out["status"] == "escalated"
    assert out["occurrences"] == 1
    assert out["deduplicated"] is False
    assert out["deliveries"] == []
    assert out["options"] == ["New API key", "Upgrade account", "Switch to alternative scraper"]
    note = out["notification"]
    assert note["id"] == "error-1" and note["type"] == "api_limit" and note["impact"] == "blocking"
    assert note["options"] == out["options"]
    message = note["message"]
    for expected in ("api_limit", "Scraper API", "blocking", "Free tier limit reached",
                     "1. New API key", "3. Switch to alternative scraper", "Option 1 (fastest)", "Your decision?"):
        assert expected in message


def test_notify_error_human_output_shows_the_notification(incli):
    proc = incli(*NOTIFY)
    assert proc.returncode == 0, proc.stderr
    assert "error-1" in proc.stdout
    assert "New API key" in proc.stderr and "Your decision?" in proc.stderr


def test_options_repeated_form_equals_multi_value_form(incli):
    out = incli.json("notify-error", "--type", "auth_failure", "--service", "Gmail", "--impact", "warning",
                   "--options", "Re-auth", "--options", "Disable")
    assert out["options"] == ["Re-auth", "Disable"]


def test_duplicate_is_absorbed_and_raises_impact(incli):
    first = incli.json("notify-error", "--type", "api_limit", "--service", "Scraper API", "--impact", "warning")
    second = incli.json("notify-error", "--type", "api_limit", "--service", "scraper  api", "--impact", "P0")
    assert second["id"] == first["id"]
    assert second["deduplicated"] is True and second["occurrences"] == 2
    assert second["impact"] == "blocking"
    third = incli.json("notify-error", "--type", "api_limit", "--service", "Scraper API", "--impact", "info")
    assert third["impact"] == "blocking" and third["occurrences"] == 3


def test_track_error_then_update_and_list(incli):
    tracked = incli.json("track-error", "--error-type", "api_limit", "--service", "Scraper API",
                       "--project", "AU Real Estate Research", "--impact", "blocking", "--status", "escalated")
    assert tracked["status"] == "escalated" and tracked["deduplicated"] is False
    updated = incli.json("update-error", "--error-id", tracked["id"], "--status", "resolved",
                       "--solution", "User provided new API key", "--resolution-time", "15min",
                       "--cause", "free tier", "--prevention", "alert at 80%")
    assert updated["status"] == "resolved"
    assert updated["resolution_seconds"] == 900
    assert updated["solution"] == "User provided new API key"
    listed = incli.json("errors", "list")
    assert [e["id"] for e in listed["errors"]] == [tracked["id"]]
    for field in ("id", "type", "service", "project", "impact", "status", "occurrences", "first_seen", "last_seen"):
        assert field in listed["errors"][0]
    shown = incli.json("errors", "show", "1")
    assert [h["to_status"] for h in shown["history"] if h["to_status"]] == ["escalated", "resolved"]


def test_resolution_time_computed_from_ledger(incli):
    start = {"OPSCTL_NOW": "2026-11-26T10:00:00Z"}
    later = {"OPSCTL_NOW": "2026-11-26T10:42:00Z"}
    created = incli.json("track-error", "--error-type", "system_error", "--service", "ETL", env=start)
    resolved = incli.json("update-error", "--error-id", created["id"], "--status", "resolved", env=later)
    assert resolved["resolution_seconds"] == 42 * 60


def test_request_integration_and_decide(incli):
    req = incli.json("request-integration", "--tool", "Airtable API", "--purpose", "Client needs data in Airtable",
                   "--alternatives", "Currently manual CSV export", "--urgency", "high",
                   "--cost", "Free (included in client's plan)")
    assert req["id"] == "req-1" and req["status"] == "pending"
    again = incli.json("request-integration", "--tool", "airtable api", "--purpose", "again", "--urgency", "low")
    assert again["id"] == "req-1" and again["deduplicated"] is True and again["asks"] == 2
    deferred = incli.json("requests", "decide", "req-1", "defer", "--until", "2026-12-15", "--note", "after launch")
    assert deferred["status"] == "deferred" and deferred["until"].startswith("2026-12-15")
    approved = incli.json("requests", "decide", "1", "approve")
    assert approved["status"] == "approved"
    listed = incli.json("requests", "list", "--status", "approved")
    assert [r["id"] for r in listed["requests"]] == ["req-1"]
    shown = incli.json("requests", "show", "req-1")
    assert [h["to_status"] for h in shown["history"]] == ["pending", None, "deferred", "approved"]


def test_log_improvement_and_list(incli):
    for service in ("A", "B", "C"):  # error-3 must exist to be a target
        incli.json("track-error", "--error-type", "api_limit", "--service", service)
    imp = incli.json("log-improvement", "--department", "engineering-team", "--operation", "Handled API limit error",
                   "--improvement", "Added proactive limit monitoring (alert at 80%)",
                   "--impact", "Future errors caught before blocking work", "--category", "automation",
                   "--targets", "error-3", "api_limit")
    assert imp["id"] == "imp-1" and imp["category"] == "automation"
    assert imp["targets"] == ["error-3", "api_limit"]
    listed = incli.json("improvements", "list")
    assert listed["improvements"][0]["improvement"] == "Added proactive limit monitoring (alert at 80%)"


def test_every_command_json_is_one_object(incli):
    incli.json(*NOTIFY)
    for args in (["errors", "list"], ["errors", "show", "error-1"], ["requests", "list"], ["improvements", "list"]):
        proc = incli(*args, "--json")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.count("\n") == 1 and proc.stdout.startswith("{")


def test_errors_list_filters(incli):
    incli.json("track-error", "--error-type", "api_limit", "--service", "A", "--project", "P1")
    incli.json("track-error", "--error-type", "auth_failure", "--service", "B", "--project", "P2")
    incli.json("update-error", "--error-id", "2", "--status", "resolved")
    assert [e["service"] for e in incli.json("errors", "list", "--status", "open")["errors"]] == ["A"]
    assert [e["service"] for e in incli.json("errors", "list", "--type", "auth_failure")["errors"]] == ["B"]
    assert [e["service"] for e in incli.json("errors", "list", "--project", "p2")["errors"]] == ["B"]
    assert len(incli.json("errors", "list", "--since", "1h")["errors"]) == 2
    assert incli.json("errors", "list", "--since", "1h", env={"OPSCTL_NOW": "2030-01-01T00:00:00Z"})["errors"] == []


def test_python_module_and_console_script_agree(cli):
    proc = cli("--help")
    assert proc.returncode == 0
    for command in ("notify-error", "request-integration", "track-error", "update-error", "log-improvement"):
        assert command in proc.stdout
