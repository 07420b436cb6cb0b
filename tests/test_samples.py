"""Evidence is kept: the first details of an error survive repeats; each report keeps its own."""

from __future__ import annotations

import opsctl
from opsctl import clock
from opsctl.api.errors import show_error
from opsctl.ledger import samples_table
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def test_repeat_reports_keep_the_first_details_and_sample_each():
    clock.set_now("2026-05-01T10:00:00Z")
    first = opsctl.notify_error("api_limit", "Scraper", "a person says: 1000/1000 requests", "warning")
    for n in range(1, 25):
        clock.set_now(f"2026-05-01T10:{n:02d}:00Z")
        opsctl.notify_error("api_limit", "Scraper", f"quota check {n}: 100 %", "warning")
    shown = show_error(first["id"])
    assert shown["details"] == "a person says: 1000/1000 requests"
    assert shown["latest_details"] == "quota check 24: 100 %"
    assert len(shown["samples"]) == samples_table.KEEP
    assert shown["samples"][-1] == {"at": "2026-05-01T10:24:00.000000Z", "details": "quota check 24: 100 %",
                                    "source": "notify-error"}
    assert shown["samples"][0]["details"] == "quota check 5: 100 %"


def test_errors_show_prints_first_and_latest(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    opsctl.notify_error("api_limit", "Scraper", "first evidence", "info")
    opsctl.notify_error("api_limit", "Scraper", "later evidence", "info")
    code, out, err = run_cli("errors", "show", "1")
    assert code == 0, err
    assert "first evidence" in out and "later evidence" in out
