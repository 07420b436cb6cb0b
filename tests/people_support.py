"""Helpers for the people / email / SMS / silences / alert-rule tests (issue 12)."""

from __future__ import annotations

import pytest

CLEARED = ("OPSCTL_SMTP", "SENDGRID_", "ALERT_", "TWILIO_")

BLOCKING = dict(type="api_limit", service="Scraper API", details="Free tier limit reached (1000/1000 requests)",
                impact="blocking", options=["New API key", "Upgrade account", "Switch to alternative scraper"],
                project="AU Real Estate Research", recommendation="Option 1 (fastest)")


@pytest.fixture(autouse=True)
def no_mail_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith(CLEARED):
            monkeypatch.delenv(name)


def write_config(text: str) -> None:
    from pathlib import Path

    Path("opsctl.yaml").write_text(text, encoding="utf-8")


def deliveries(result: dict) -> dict:
    return {d["channel"]: d["status"] for d in result["deliveries"]}
