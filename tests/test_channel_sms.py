"""The SMS channel against a Twilio API fake on loopback: form, basic auth, faults, status polled by tick."""

from __future__ import annotations

import pytest

from opsctl import clock, notify_error
from opsctl.escalation.tick import tick
from tests.fakes.twilio import TwilioFake
from tests.people_support import BLOCKING, deliveries, no_mail_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

SID = "AC" + "1" * 32


@pytest.fixture
def twilio(monkeypatch):
    with TwilioFake(sid=SID, token="tw-secret-token") as fake:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tw-secret-token")
        monkeypatch.setenv("TWILIO_FROM", "+15550123")
        monkeypatch.setenv("TWILIO_API_URL", fake.url)
        monkeypatch.setenv("ALERT_SMS_TO", "+15550100")
        yield fake


def test_a_blocking_error_is_texted_with_basic_auth_and_a_short_form(twilio):
    result = notify_error(**dict(BLOCKING, details="x" * 2000))
    assert deliveries(result) == {"sms": "sent"}
    [request] = twilio.calls("Messages.json")
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert "x-www-form-urlencoded" in request.header("content-type")
    assert set(request.body) == {"To", "From", "Body"}
    assert request.body["To"] == "+15550100" and request.body["From"] == "+15550123"
    body = request.body["Body"]
    assert len(body) <= 320
    assert body.startswith(f"[P0] api_limit on Scraper API — {result['id']}.")
    assert body.endswith(f"Reply via Slack or run: opsctl decide {result['id']} N")


def test_warnings_are_not_texted_by_default(twilio):
    result = notify_error(**dict(BLOCKING, impact="warning"))
    assert deliveries(result) == {} and not twilio.calls("Messages.json")


@pytest.mark.parametrize("status, outcome", [(429, "queued"), (500, "queued"), (400, "failed"), (401, "failed")])
def test_twilio_faults(twilio, status, outcome):
    twilio.fail_next("Messages.json", status, times=5)
    [entry] = notify_error(**BLOCKING)["deliveries"]
    assert entry["status"] == outcome, entry
    assert "tw-secret-token" not in entry["error"]


def test_a_wrong_token_is_refused_like_twilio_does(twilio, monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "wrong")
    [entry] = notify_error(**BLOCKING)["deliveries"]
    assert entry["status"] == "failed" and "20003" in entry["error"] and not twilio.sent


def test_tick_polls_the_status_and_a_failed_text_becomes_visible(twilio):
    from opsctl.api.errors import show_error

    clock.set_now("2026-03-02T09:00:00Z")
    result = notify_error(**BLOCKING)
    [sent] = twilio.sent
    clock.set_now("2026-03-02T09:00:30Z")
    assert [c["status"] for c in tick()["sms"]] == ["queued"]  # first look: Twilio has it queued
    twilio.set_status(sent["sid"], "failed", error_code=30003)
    clock.set_now("2026-03-02T09:01:00Z")
    done = tick()
    assert done["sms"] == [{"sid": sent["sid"], "status": "failed", "error_id": result["id"]}]
    history = show_error(result["id"])["history"]
    assert any(e["action"] == "sms_failed" and "30003" in (e["data"] or {}).get("error", "") for e in history)
    from opsctl import list_errors

    channel_errors = [e for e in list_errors()["errors"] if e["service"] == "opsctl channel: sms"]
    assert len(channel_errors) == 1 and sent["sid"] in channel_errors[0]["details"]
    clock.set_now("2026-03-02T09:02:00Z")
    assert tick()["sms"] == []  # reported once
    assert [c.method for c in twilio.calls("Message")] == ["GET", "GET"]  # a final status is not asked again


def test_a_text_sent_on_a_retry_is_tracked_even_after_a_newer_one(twilio):
    from opsctl.delivery import drain

    clock.set_now("2026-03-02T09:00:00Z")
    twilio.fail_next("Messages.json", 500, times=5)
    first = notify_error(**BLOCKING)  # its text waits in the outbox
    assert deliveries(first) == {"sms": "queued"}
    second = notify_error(**dict(BLOCKING, service="Billing API"))
    assert deliveries(second) == {"sms": "sent"}
    clock.set_now("2026-03-02T09:00:30Z")
    assert [c["error_id"] for c in tick()["sms"]] == [second["id"]]  # the newer delivery is tracked first

    clock.set_now("2026-03-02T09:10:00Z")  # past the backoff: the older delivery goes out now
    from opsctl.context import Context

    assert drain(Context())["sent"] == 1
    retried = twilio.sent[-1]
    twilio.set_status(retried["sid"], "undelivered", error_code=30005)
    clock.set_now("2026-03-02T09:10:30Z")
    changes = tick()["sms"]
    assert {"sid": retried["sid"], "status": "undelivered", "error_id": first["id"]} in changes
