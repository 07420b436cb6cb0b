"""`errors list --json --limit 0` streams each error's JSON as SQLite renders it: the same object,
key for key and in the same order, as `to_public` (what `errors list --json` and `list_errors` give)."""

from __future__ import annotations

import json

import pytest

from opsctl import list_errors, notify_error, track_error, update_error
from opsctl.api.decisions import acknowledge
from opsctl.api.listing import iter_errors, iter_errors_json
from opsctl.context import ensure
from opsctl.ledger import errors_table, transaction

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


@pytest.fixture
def varied():
    """Errors whose fields take every kind of value the JSON carries."""
    notify_error("api_limit", "Scraper API", "1000/1000 \"quoted\" \\ tab\there\nnewline", "P1",
                 ["New key", "Upgrade — ünïcode ✓", "引号"], project="AU Research",
                 recommendation="Upgrade")  # error-1: priority P1, options, text to escape
    track_error("system_error", "Cron box", details="", impact="info")  # error-2: no project, no options
    notify_error("auth_failure", "Gmail", "401", "warning")  # error-3
    acknowledge("error-3")
    update_error("error-3", "resolved", solution="re-auth", cause="expired", detection="alert",
                 prevention="rotate", resolution_time="1h30m")
    notify_error("integration_missing", "Airtable", "none", "blocking")  # error-4
    ctx = ensure(None)
    with transaction(ctx.conn):  # values no command writes today, but the columns allow
        errors_table.update(ctx.conn, 4, {"flapping": 1, "decision": 2, "decision_note": "go",
                                          "resolution_seconds": 1234.567891, "snoozed_until": "2030-01-01T00:00:00Z"})
    return 4


def test_streamed_json_is_to_public_key_for_key(varied):
    expected = list(iter_errors())
    texts = list(iter_errors_json())
    assert len(texts) == len(expected) == varied
    for text, error in zip(texts, expected):
        parsed = json.loads(text)
        assert list(parsed) == list(error)  # same keys, same order
        assert parsed == error
    assert {e["id"]: e["flapping"] for e in expected}["error-4"] is True
    assert {e["id"]: e["options"] for e in expected}["error-1"][2] == "引号"


def test_streamed_json_applies_the_filters(varied):
    for filters in ({"status": "unresolved"}, {"status": "resolved"}, {"type": "api_limit"},
                    {"service": "gmail"}, {"project": "au research"}, {"impact_": "info"}, {"since": "1d"},
                    {"limit": 2}):
        assert [json.loads(t) for t in iter_errors_json(**filters)] == list(iter_errors(**filters)), filters


def test_cli_stream_matches_the_list(varied, run_cli):
    code, out, _ = run_cli("errors", "list", "--json", "--limit", "0")
    parsed = json.loads(out)
    assert code == 0 and parsed["count"] == varied and parsed["truncated"] is False
    assert parsed["errors"] == list_errors(limit=0)["errors"]
