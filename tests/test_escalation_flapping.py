"""Regressions and flapping: a problem that keeps coming back is marked and stops being re-announced."""

from __future__ import annotations

from opsctl import update_error
from tests.escalation_support import announced, blocking, events, frozen, move, row, write_config  # noqa: F401
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def _cycle(minute: int) -> dict:
    """Resolve error-1 and report the same problem again a minute later."""
    move(minutes=minute)
    update_error("error-1", "resolved", solution="retried", cause="c", detection="d", prevention="p")
    move(minutes=minute + 1)
    return blocking()


def test_an_error_that_keeps_reopening_is_marked_flapping_and_announced_once(frozen, announced):
    blocking()
    reopened = [_cycle(minute) for minute in (10, 20, 30, 40, 50)]
    assert [r["regression"] for r in reopened] == [True] * 5
    assert [r["id"] for r in reopened] == ["error-1"] * 5  # the same record, not a stranger
    assert row(1)["regressions"] == 5 and row(1)["flapping"] == 1
    notices = [c for c in announced.of("notify")]
    assert len(notices) == 1 + 3  # first report, two plain reopens, then the one "now flapping" notice
    assert "Flapping" in notices[-1]["notification"].facts
    assert reopened[3]["deliveries"] == [] and reopened[4]["deliveries"] == []
    assert len(events("flapping", 1)) == 1


def test_a_reopen_after_a_calm_spell_clears_the_mark_and_is_announced(frozen, announced):
    blocking()
    for minute in (10, 20, 30):
        _cycle(minute)
    assert row(1)["flapping"] == 1
    move(hours=30)
    update_error("error-1", "resolved", solution="s", cause="c", detection="d", prevention="p")
    move(hours=30, minutes=1)
    again = blocking()
    assert row(1)["flapping"] == 0 and again["deliveries"] == [{"channel": "fake", "status": "sent"}]
    assert len(events("settled", 1)) == 1


def test_thresholds_come_from_opsctl_yaml(frozen, announced):
    write_config("escalation:\n  flapping: {reopens: 2, window: 1h}\n")
    blocking()
    _cycle(10)
    assert row(1)["flapping"] == 0
    _cycle(20)
    assert row(1)["flapping"] == 1


def test_an_explicit_reopen_counts_too(frozen, announced):
    blocking()
    for minute in (10, 20, 30):
        move(minutes=minute)
        update_error("error-1", "resolved", solution="s", cause="c", detection="d", prevention="p")
        update_error("error-1", "open", note="it is back")
    assert row(1)["regressions"] == 3 and row(1)["flapping"] == 1
