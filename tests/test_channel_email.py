"""The email channel against a real SMTP server (aiosmtpd) and a SendGrid API fake, both on loopback."""

from __future__ import annotations

import pytest
from pathlib import Path

from opsctl import notify_error, update_error
from tests.fakes.sendgrid import SendGridFake
from tests.fakes.smtp import SmtpFake, LoopbackCA
from tests.people_support import BLOCKING, deliveries, no_mail_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


@pytest.fixture
def ca(tmp_path):
    return LoopbackCA(tmp_path / "ca")


def _smtp_env(monkeypatch, url, ca=None):
    monkeypatch.setenv("OPSCTL_SMTP_URL", url)
    monkeypatch.setenv("ALERT_EMAIL_FROM", "opsctl@ops.example.com")
    monkeypatch.setenv("ALERT_EMAIL_TO", "oncall@example.com, lead@example.com")
    if ca:
        monkeypatch.setenv("OPSCTL_SMTP_CA_FILE", str(ca.cert))


def test_a_real_email_with_both_parts_and_threading(monkeypatch, ca):
    with SmtpFake(starttls=True, ca=ca, user="ops", password="s3cr3t-pw") as smtp:
        _smtp_env(monkeypatch, f"smtp://ops:s3cr3t-pw@127.0.0.1:{smtp.port}", ca)
        result = notify_error(**BLOCKING)
        assert deliveries(result) == {"email": "sent"}
        update_error(result["id"], "acknowledged")
        update_error(result["id"], "resolved", solution="User provided new API key token=abcdef0123456789")

    first, ack, resolved = smtp.messages
    assert first["Subject"] == f"[P0] api_limit · Scraper API — {result['id']}"
    assert first["From"] == "opsctl@ops.example.com"
    assert smtp.sessions[0]["to"] == ["oncall@example.com", "lead@example.com"]
    assert first.get_content_type() == "multipart/alternative"
    text = first.get_body(("plain",)).get_content().replace("\r\n", "\n")
    page = first.get_body(("html",)).get_content()
    assert "1. New API key\n2. Upgrade account\n3. Switch to alternative scraper" in text
    assert "Recommendation: Option 1 (fastest)" in text and "Your decision?" in text
    assert "<ol><li>New API key</li><li>Upgrade account</li>" in page and "Your decision?" in page
    root = first["Message-ID"]
    assert root == f"<{result['id']}@ops.example.com>" and first["In-Reply-To"] is None
    for later in (ack, resolved):  # every update threads under the first email
        assert later["In-Reply-To"] == root and later["References"] == root
        assert later["Message-ID"] != root
    assert ack["Subject"].startswith("Update: [P0] api_limit")
    # STARTTLS was offered, so it was used, and the login happened over TLS
    assert all(s["tls"] and s["login"] for s in smtp.sessions) and smtp.logins == ["ops"] * 3
    body = resolved.get_body(("plain",)).get_content()
    assert "abcdef0123456789" not in body  # scrubbed


def test_smtps_is_tls_from_the_first_byte(monkeypatch, ca):
    with SmtpFake(implicit_tls=True, ca=ca, user="ops", password="pw") as smtp:
        _smtp_env(monkeypatch, f"smtps://ops:pw@127.0.0.1:{smtp.port}", ca)
        assert deliveries(notify_error(**BLOCKING)) == {"email": "sent"}
    assert smtp.sessions[0]["tls"] and smtp.messages[0]["Subject"].startswith("[P0] api_limit")


def test_plain_smtp_without_starttls_still_delivers(monkeypatch):
    with SmtpFake() as smtp:
        _smtp_env(monkeypatch, f"smtp://127.0.0.1:{smtp.port}")
        assert deliveries(notify_error(**BLOCKING)) == {"email": "sent"}
    assert smtp.sessions[0]["tls"] is False


def test_smtp_4xx_is_retried_later_and_5xx_is_permanent(monkeypatch):
    from opsctl.context import Context

    Path("opsctl.yaml").write_text("outbox: {tries: 1}\n")  # one try each: the outcome, not the backoff
    with SmtpFake() as smtp:
        _smtp_env(monkeypatch, f"smtp://127.0.0.1:{smtp.port}")
        smtp.fail_rcpt = "450 4.2.1 Mailbox busy, try later"
        [entry] = notify_error(**BLOCKING)["deliveries"]
        assert entry["status"] == "queued" and "450" in entry["error"]
        smtp.fail_rcpt = "550 5.1.1 No such user"
        [entry] = notify_error(**dict(BLOCKING, service="Other API"))["deliveries"]
        assert entry["status"] == "failed" and "550" in entry["error"]
    statuses = [r["status"] for r in Context().conn.execute(
        "SELECT status FROM deliveries WHERE channel = 'email' ORDER BY id")]
    assert statuses[:2] == ["queued", "dead"]


def test_a_wrong_smtp_password_is_permanent_and_not_shown(monkeypatch, ca):
    with SmtpFake(starttls=True, ca=ca, user="ops", password="right") as smtp:
        _smtp_env(monkeypatch, f"smtp://ops:wrong-pass-123@127.0.0.1:{smtp.port}", ca)
        [entry] = notify_error(**BLOCKING)["deliveries"]
    assert entry["status"] == "failed" and "wrong-pass-123" not in entry["error"]
    assert not smtp.messages


def test_sendgrid_v3_mail_send(monkeypatch):
    with SendGridFake(key="SG.test-key") as sg:
        monkeypatch.setenv("SENDGRID_API_KEY", "SG.test-key")
        monkeypatch.setenv("SENDGRID_API_URL", sg.url)
        monkeypatch.setenv("ALERT_EMAIL_FROM", "opsctl@ops.example.com")
        monkeypatch.setenv("ALERT_EMAIL_TO", "oncall@example.com")
        result = notify_error(**BLOCKING)
        assert deliveries(result) == {"email": "sent"}
        update_error(result["id"], "acknowledged")
        first, second = sg.received
    assert first.header("authorization") == "Bearer SG.test-key"
    body = first.body
    assert body["personalizations"] == [{"to": [{"email": "oncall@example.com"}]}]
    assert body["from"] == {"email": "opsctl@ops.example.com"}
    assert body["subject"] == f"[P0] api_limit · Scraper API — {result['id']}"
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert "Your decision?" in body["content"][0]["value"]
    root = body["headers"]["Message-ID"]
    assert second.body["headers"]["In-Reply-To"] == root


@pytest.mark.parametrize("status, outcome", [(429, "queued"), (503, "queued"), (400, "failed"), (401, "failed")])
def test_sendgrid_faults(monkeypatch, status, outcome):
    with SendGridFake(key="SG.test-key") as sg:
        monkeypatch.setenv("SENDGRID_API_KEY", "SG.test-key")
        monkeypatch.setenv("SENDGRID_API_URL", sg.url)
        monkeypatch.setenv("ALERT_EMAIL_FROM", "opsctl@ops.example.com")
        monkeypatch.setenv("ALERT_EMAIL_TO", "oncall@example.com")
        sg.fail_next("/v3/mail/send", status, retry_after=1 if status == 429 else None, times=5)
        [entry] = notify_error(**BLOCKING)["deliveries"]
    assert entry["status"] == outcome, entry
    assert "SG.test-key" not in entry["error"]


def test_sendgrid_refuses_a_wrong_key(monkeypatch):
    with SendGridFake(key="SG.right") as sg:
        monkeypatch.setenv("SENDGRID_API_KEY", "SG.wrong")
        monkeypatch.setenv("SENDGRID_API_URL", sg.url)
        monkeypatch.setenv("ALERT_EMAIL_FROM", "opsctl@ops.example.com")
        monkeypatch.setenv("ALERT_EMAIL_TO", "oncall@example.com")
        [entry] = notify_error(**BLOCKING)["deliveries"]
    assert entry["status"] == "failed" and "401" in entry["error"] and not sg.received


def test_the_priority_given_as_impact_is_kept_and_shown(monkeypatch):
    from opsctl.context import Context

    with SmtpFake() as smtp:
        _smtp_env(monkeypatch, f"smtp://127.0.0.1:{smtp.port}")
        result = notify_error(**dict(BLOCKING, impact="P1"))
        notify_error(**dict(BLOCKING, service="Quiet API", impact="P3"))
    assert result["impact"] == "blocking" and result["priority"] == "P1"
    assert smtp.messages[0]["Subject"] == f"[P1] api_limit · Scraper API — {result['id']}"
    assert "Impact: blocking (P1, immediate" in smtp.messages[0].get_body(("plain",)).get_content()
    assert smtp.messages[1]["Subject"].startswith("[P3] api_limit · Quiet API")
    rows = Context().conn.execute("SELECT priority FROM errors ORDER BY id").fetchall()
    assert [r["priority"] for r in rows] == ["P1", "P3"]
