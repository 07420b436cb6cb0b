"""decide / ack / wait: the user's answer, first-class, and an agent blocking on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from opsctl import update_error
from opsctl.api.decisions import acknowledge, decide, wait_for
from opsctl.api.requests import request_integration
from opsctl.errors import InvalidInput
from tests.conftest import REPO
from tests.escalation_support import announced, blocking, events, frozen, move, row  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def test_decide_records_the_option_acknowledges_and_announces_an_update(frozen, announced):
    blocking()
    move(minutes=3)
    result = decide("error-1", "2", note="upgrade today")
    assert (result["decision"], result["option"], result["status"]) == (2, "Upgrade account", "acknowledged")
    assert row(1)["acknowledged_at"] == "2026-03-02T09:03:00.000000Z"
    assert row(1)["decision_note"] == "upgrade today" and row(1)["next_escalation_at"] is None
    update = announced[-1]
    assert update["purpose"] == "decision" and update["event_id"] == events("decided", 1)[0]["id"]
    assert update["notification"].facts["Decision"] == "2. Upgrade account"
    assert json.loads(events("decided", 1)[0]["data"]) == {"option": 2, "choice": "Upgrade account"}


def test_decide_accepts_the_option_text(frozen, announced):
    blocking()
    assert decide("1", "new api KEY")["decision"] == 1


def test_an_invalid_option_names_the_valid_ones_and_writes_nothing(frozen, announced, run_cli):
    blocking()
    before = len(events("decided")) + len(events("status"))
    code, out, err = run_cli("decide", "error-1", "7")
    assert code == 2
    assert "valid: 1 (New API key), 2 (Upgrade account)" in err and err.count("\n") == 1
    assert len(events("decided")) + len(events("status")) == before and row(1)["decision"] is None


def test_nothing_to_decide_on_a_resolved_error(frozen, announced, run_cli):
    blocking()
    update_error("error-1", "resolved", solution="s")
    code, _, err = run_cli("decide", "error-1", "1")
    assert code == 2 and "resolved" in err


def test_decide_routes_requests_to_approve_reject_defer(frozen, announced):
    request_integration("Airtable API", "Client needs data in Airtable")
    result = decide("req-1", "defer", until="7d", note="after the migration")
    assert (result["subject"], result["status"]) == ("request", "deferred")
    assert result["until"] == "2026-03-09T09:00:00.000000Z"
    assert announced[-1]["purpose"] == "update" and announced[-1]["subject"] == "request"
    with pytest.raises(InvalidInput, match="valid: approve, reject, defer"):
        decide("req-1", "2")


def test_ack_stops_escalation_and_is_idempotent(frozen, announced, run_cli):
    blocking()
    assert acknowledge("error-1")["changed"] is True
    assert acknowledge("error-1")["changed"] is False
    assert announced.purposes() == ["notify", "update"]
    assert row(1)["next_escalation_at"] is None
    update_error("error-1", "resolved", solution="s")
    code, _, err = run_cli("ack", "error-1")
    assert code == 2 and "resolved" in err


class FakeTime:
    """An injectable clock + sleep: waiting costs no real time."""

    def __init__(self, on_sleep=None):
        self.now, self.sleeps, self.on_sleep = 1000.0, [], on_sleep

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))


def test_wait_returns_the_decision_made_while_it_polls(frozen, announced):
    blocking()
    fake = FakeTime(on_sleep=lambda n: n == 3 and decide("error-1", "2", note="go"))
    result = wait_for("error-1", timeout=600, interval=5, sleep=fake.sleep, clock=fake.clock)
    assert result["outcome"] == "decided" and result["answered"] is True
    assert (result["decision"], result["option"], result["note"]) == (2, "Upgrade account", "go")
    assert fake.sleeps == [5, 5, 5] and result["waited_seconds"] == 15


def test_wait_times_out_without_waiting_for_real(frozen):
    blocking()
    fake = FakeTime()
    result = wait_for("error-1", timeout=12, interval=5, sleep=fake.sleep, clock=fake.clock)
    assert result["outcome"] == "timed_out" and result["answered"] is False
    assert fake.sleeps == [5, 5, 2]  # never past the deadline


def test_wait_for_resolution_ignores_an_acknowledgement(frozen, announced):
    blocking()
    acknowledge("error-1")
    assert wait_for("error-1", timeout=0, wait_for="answer")["outcome"] == "acknowledged"
    assert wait_for("error-1", timeout=0, wait_for="resolution")["outcome"] == "timed_out"
    update_error("error-1", "resolved", solution="s")
    assert wait_for("error-1", timeout=0, wait_for="resolution")["outcome"] == "resolved"


def test_wait_cli_exit_codes(frozen, announced, run_cli):
    blocking()
    code, out, _ = run_cli("wait", "error-1", "--timeout", "0", "--json")
    assert code == 3 and json.loads(out)["outcome"] == "timed_out"
    decide("error-1", "1")
    code, out, _ = run_cli("wait", "error-1", "--timeout", "0", "--json")
    assert code == 0 and json.loads(out)["option"] == "New API key"
    code, _, err = run_cli("wait", "error-99", "--timeout", "0")
    assert code == 2 and "error-99" in err


def test_wait_on_a_request(frozen, announced):
    request_integration("Airtable API", "Client needs data")
    assert wait_for("req-1", timeout=0)["outcome"] == "timed_out"
    decide("req-1", "approve")
    result = wait_for("req-1", timeout=0)
    assert (result["outcome"], result["decision"]) == ("approved", "approved")


def test_a_real_wait_process_returns_when_another_process_decides(tmp_path):
    blocking()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    waiting = subprocess.Popen([sys.executable, "-m", "opsctl", "wait", "error-1", "--timeout", "60s",
                                "--interval", "0.05", "--json"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert "waiting for an answer on error-1" in waiting.stderr.readline()  # it is polling now
    decided = subprocess.run([sys.executable, "-m", "opsctl", "decide", "error-1", "2", "--json"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert decided.returncode == 0, decided.stderr
    out, _ = waiting.communicate(timeout=60)
    assert waiting.returncode == 0
    answer = json.loads(out)
    assert (answer["outcome"], answer["decision"], answer["option"]) == ("decided", 2, "Upgrade account")
