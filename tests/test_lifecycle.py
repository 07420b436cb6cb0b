"""Status transitions, reopening as a regression, and de-duplication rules (library level)."""

from __future__ import annotations

import pytest

import opsctl
from opsctl import clock
from opsctl.errors import InvalidInput

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def test_forbidden_transition_names_allowed_ones():
    error = opsctl.track_error("api_limit", "Scraper API", impact="blocking")
    opsctl.update_error(error["id"], "resolved")
    with pytest.raises(InvalidInput, match="resolved; it can move to open, not acknowledged"):
        opsctl.update_error(error["id"], "acknowledged")


def test_explicit_reopen_counts_as_regression():
    error = opsctl.track_error("api_limit", "Scraper API")
    opsctl.update_error(error["id"], "resolved")
    reopened = opsctl.update_error(error["id"], "open")
    assert reopened["status"] == "open" and reopened["regressions"] == 1
    assert reopened["resolved_at"] is None


def test_report_of_resolved_fingerprint_reopens_same_error():
    first = opsctl.notify_error("auth_failure", "Gmail", "token expired", "warning", ["Re-auth"])
    opsctl.update_error(first["id"], "resolved", solution="re-authorised")
    again = opsctl.notify_error("auth_failure", "Gmail", "token expired again", "warning", ["Re-auth"])
    assert again["id"] == first["id"]
    assert again["regression"] is True and again["regressions"] == 1
    assert again["status"] == "escalated" and again["occurrences"] == 2


def test_reopen_refused_when_another_error_is_open_for_same_fingerprint():
    first = opsctl.track_error("system_error", "ETL")
    opsctl.update_error(first["id"], "false_positive")
    second = opsctl.track_error("system_error", "ETL")
    assert second["id"] != first["id"]
    with pytest.raises(InvalidInput, match="already open"):
        opsctl.update_error(first["id"], "open")


def test_reopening_a_request_is_refused_while_another_for_the_tool_is_pending():
    from opsctl.api.requests import decide_request, request_integration, show_request

    first = request_integration("Airtable API", "client data")
    decide_request(first["id"], "reject")
    second = request_integration("airtable api", "asked again after the no")
    assert second["id"] != first["id"]
    with pytest.raises(InvalidInput, match=f"{second['id']} is already pending for Airtable API"):
        decide_request(first["id"], "reopen")
    assert show_request(first["id"])["status"] == "rejected"  # nothing changed
    decide_request(second["id"], "reject")
    assert decide_request(first["id"], "reopen")["status"] == "pending"


def test_user_response_and_resolution_timestamps():
    with clock.freeze("2026-11-26T09:00:00Z"):
        error = opsctl.notify_error("api_limit", "X", "d", "blocking", ["a"])
    with clock.freeze("2026-11-26T09:03:00Z"):
        acked = opsctl.update_error(error["id"], "acknowledged")
    with clock.freeze("2026-11-26T09:20:00Z"):
        done = opsctl.update_error(error["id"], "resolved", solution="new key")
    assert acked["notified_at"].startswith("2026-11-26T09:00:00")
    assert acked["acknowledged_at"].startswith("2026-11-26T09:03:00")
    assert done["resolution_seconds"] == 20 * 60


def test_same_fingerprint_in_another_project_is_another_error():
    a = opsctl.track_error("api_limit", "Scraper API", project="A")
    b = opsctl.track_error("api_limit", "Scraper API", project="B")
    assert a["id"] != b["id"]


def test_tracking_a_duplicate_moves_status_forward_only():
    opsctl.track_error("api_limit", "S", status="acknowledged")
    again = opsctl.track_error("api_limit", "S", status="open")
    assert again["status"] == "acknowledged" and again["deduplicated"] is True


def test_update_documents_without_status_change():
    error = opsctl.track_error("api_limit", "S")
    opsctl.update_error(error["id"], "resolved")
    documented = opsctl.update_error(error["id"], prevention="alert at 80%")
    assert documented["status"] == "resolved" and documented["prevention"] == "alert at 80%"
