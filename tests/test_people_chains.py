"""People and escalation chains, driven by an injected clock; email to a real SMTP server, Slack to its fake."""

from __future__ import annotations

import json

import pytest

from opsctl import clock, notify_error
from opsctl.api.decisions import acknowledge
from opsctl.escalation.tick import tick
from tests.delivery_support import slack_env  # noqa: F401
from tests.fakes.smtp import SmtpFake
from tests.people_support import BLOCKING, no_mail_env, write_config  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

CONFIG = """
people:
  oncall: {email: oncall@example.com, phone: "+15550100", slack: U0ONCALL}
  cto:    {email: cto@example.com, phone: "+15550199"}
escalation:
  blocking:
    chain:
      - {after: 0m, notify: [oncall]}
      - {after: 15m, notify: [cto]}     # if nobody answered within 15 minutes of the first notice
"""


@pytest.fixture
def smtp(monkeypatch):
    with SmtpFake() as fake:
        monkeypatch.setenv("OPSCTL_SMTP_URL", f"smtp://127.0.0.1:{fake.port}")
        monkeypatch.setenv("ALERT_EMAIL_FROM", "opsctl@ops.example.com")
        monkeypatch.setenv("ALERT_EMAIL_TO", "team@example.com")
        yield fake


def at(minutes: float) -> None:
    clock.set_now(f"2026-03-02T09:{int(minutes):02d}:{int(minutes * 60) % 60:02d}Z")


def test_each_step_fires_once_to_exactly_its_people(smtp, slack_env):
    write_config(CONFIG)
    at(0)
    result = notify_error(**BLOCKING)
    assert smtp.sessions[-1]["to"] == ["team@example.com"]  # the first notice: no one named yet
    at(0.5)
    [step] = tick()["chains"]
    assert step["steps"] == [1] and {d["channel"]: d["status"] for d in step["deliveries"]} == {
        "email": "sent", "slack": "sent"}
    assert smtp.sessions[-1]["to"] == ["oncall@example.com"]
    assert "<@U0ONCALL>" in slack_env.messages[-1].text  # the Slack message mentions the person
    for minute in (1, 5, 14.5):
        at(minute)
        assert tick()["chains"] == []  # once, and not before its time
    at(15)
    [step] = tick()["chains"]
    assert step["steps"] == [2]
    assert smtp.sessions[-1]["to"] == ["cto@example.com"]
    assert smtp.messages[-1]["Subject"].startswith("Escalation: [P0] api_limit · Scraper API")
    assert smtp.messages[-1]["In-Reply-To"] == f"<{result['id']}@ops.example.com>"
    at(40)
    assert tick()["chains"] == []  # the chain is done
    assert len(smtp.messages) == 3


def test_an_answer_stops_the_chain(smtp):
    write_config(CONFIG)
    at(0)
    notify_error(**BLOCKING)
    at(1)
    tick()
    acknowledge("error-1")
    at(20)
    assert tick()["chains"] == []
    assert [s["to"] for s in smtp.sessions] == [["team@example.com"], ["oncall@example.com"],
                                                ["team@example.com"]]  # the last one: the acknowledgement


def test_a_late_tick_sends_one_catch_up_for_every_due_step(smtp):
    write_config(CONFIG)
    at(0)
    notify_error(**BLOCKING)
    at(45)  # cron was down for 45 minutes
    [step] = tick()["chains"]
    assert step["steps"] == [1, 2] and step["catch_up"]
    assert smtp.sessions[-1]["to"] == ["oncall@example.com", "cto@example.com"]  # one email, both people
    assert "one notice for all of them" in smtp.messages[-1].get_body(("plain",)).get_content()
    assert len(smtp.messages) == 2
    at(50)
    assert tick()["chains"] == []


def test_two_ticks_racing_claim_a_step_once():
    from opsctl.context import Context
    from opsctl.ledger import people_table, transaction

    write_config(CONFIG)
    at(0)
    notify_error(**BLOCKING)
    first, second = Context(), Context()
    with transaction(first.conn):
        won = people_table.claim_chain_steps(first.conn, 1, 0, 1, "2026-03-02T09:01:00Z")
    with transaction(second.conn):
        lost = people_table.claim_chain_steps(second.conn, 1, 0, 1, "2026-03-02T09:01:00Z")
    assert (won, lost) == (True, False)


def test_sms_goes_to_the_people_of_a_blocking_step(monkeypatch):
    from tests.fakes.twilio import TwilioFake

    write_config(CONFIG)
    with TwilioFake() as twilio:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", twilio.sid)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", twilio.token)
        monkeypatch.setenv("TWILIO_FROM", "+15550123")
        monkeypatch.setenv("TWILIO_API_URL", twilio.url)
        at(0)
        notify_error(**BLOCKING)  # no ALERT_SMS_TO and no one named yet: not texted
        at(16)
        tick()
    assert [m["to"] for m in twilio.sent] == ["+15550100", "+15550199"]


def test_chains_replace_the_timers_only_where_configured(smtp):
    write_config(CONFIG)
    at(0)
    notify_error(**dict(BLOCKING, impact="warning"))  # warning: no chain, the 4 h reminder stays
    from opsctl.context import Context

    row = Context().conn.execute("SELECT next_escalation_at FROM errors WHERE id = 1").fetchone()
    assert row["next_escalation_at"] == "2026-03-02T13:00:00.000000Z"
    notify_error(**dict(BLOCKING, service="Other API"))
    row = Context().conn.execute("SELECT next_escalation_at FROM errors WHERE id = 2").fetchone()
    assert row["next_escalation_at"] is None  # blocking has a chain


def test_an_unknown_person_is_a_clear_config_error(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text(CONFIG.replace("notify: [cto]", "notify: [ceo]"))
    proc = cli("channels", "list", "--json")
    assert proc.returncode == 1
    message = json.loads(proc.stdout)["error"]
    assert "escalation.blocking.chain[2].notify: unknown person or channel 'ceo'" in message
    assert "people: cto, oncall" in message
    assert "Traceback" not in proc.stderr


def test_a_bad_phone_number_names_the_form(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text(CONFIG.replace('"+15550199"', '"555-0199"'))
    proc = cli("channels", "list")
    assert proc.returncode == 1 and "people.cto.phone" in proc.stderr and "+15550100" in proc.stderr


def test_cron_processes_with_an_injected_clock(smtp, cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text(CONFIG)
    env = {"OPSCTL_NOW": "2026-03-02T09:00:00Z"}
    out = cli.json("notify-error", "--type", "api_limit", "--service", "Scraper API", "--details", "limit",
                   "--impact", "P0", "--options", "New key", "Upgrade", env=env)
    assert out["priority"] == "P0"
    dry = cli.json("tick", "--dry-run", env={"OPSCTL_NOW": "2026-03-02T09:20:00Z"})
    assert dry["chains"] == [{"id": out["id"], "steps": [1, 2], "catch_up": True}]
    assert len(smtp.messages) == 1  # a dry run sends nothing
    done = cli.json("tick", env={"OPSCTL_NOW": "2026-03-02T09:20:00Z"})
    assert [c["steps"] for c in done["chains"]] == [[1, 2]]
    assert cli.json("tick", env={"OPSCTL_NOW": "2026-03-02T09:21:00Z"})["chains"] == []
    assert smtp.sessions[-1]["to"] == ["oncall@example.com", "cto@example.com"] and len(smtp.messages) == 2
