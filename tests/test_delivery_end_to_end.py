"""Every runbook command with Slack, Notion and the notify_user hook configured against the fakes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.delivery_support import hook, notion_env, pages_in, slack_env  # noqa: F401
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def _run(run_cli, *args) -> dict:
    code, out, err = run_cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def _channels(result: dict) -> dict:
    return {d["channel"]: d["status"] for d in result["deliveries"]}


def test_the_runbook_reaches_every_channel(slack_env, notion_env, hook, run_cli, isolated_home):
    everything = {"slack": "sent", "notion": "sent", "notify_user": "sent"}
    error = _run(run_cli, "notify-error", "--type", "api_limit", "--service", "Scraper API", "--details",
                 "Free tier limit reached (1000/1000 requests)", "--impact", "blocking", "--options", "New API key",
                 "Upgrade account", "Switch to alternative scraper", "--project", "AU Real Estate Research",
                 "--recommendation", "Option 1 (fastest)")
    assert _channels(error) == everything
    assert hook.calls()[0]["payload"]["message"] == error["notification"]["message"]

    again = _run(run_cli, "notify-error", "--type", "api_limit", "--service", "Scraper API",
                 "--project", "AU Real Estate Research")
    assert again["deduplicated"] and again["deliveries"] == []

    request = _run(run_cli, "request-integration", "--tool", "Airtable API", "--purpose",
                   "Client needs data in Airtable", "--alternatives", "Currently manual CSV export", "--urgency",
                   "high", "--cost", "Free (included in client's plan)")
    assert _channels(request) == everything

    tracked = _run(run_cli, "track-error", "--error-type", "api_limit", "--service", "Other API", "--project",
                   "AU Real Estate Research", "--impact", "blocking", "--status", "escalated")
    assert tracked["deliveries"] == []  # tracking records; it does not notify

    resolved = _run(run_cli, "update-error", "--error-id", error["id"], "--status", "resolved", "--solution",
                    "User provided new API key", "--resolution-time", "15min")
    assert _channels(resolved) == everything
    original = slack_env.messages[0]
    assert len(original.updates) == 1 and "resolved" in json.dumps(original.blocks)
    assert "User provided new API key" in slack_env.replies(original.ts)[0].text
    [page] = pages_in(notion_env, "errors")
    assert notion_env.prop(page["id"], "Status") == "resolved"
    assert notion_env.prop(page["id"], "Resolution time") == "15m"
    assert hook.calls()[-1]["event"] == "update"

    improvement = _run(run_cli, "log-improvement", "--department", "engineering-team", "--operation",
                       "Handled API limit error", "--improvement", "Added proactive limit monitoring (alert at 80%)",
                       "--impact", "Future errors caught before blocking work", "--category", "automation")
    assert _channels(improvement) == {"notion": "sent"}  # improvements are a log, not a page to anyone
    assert len(pages_in(notion_env, "improvements")) == 1

    assert len(slack_env.messages) == 3  # error, its thread reply, the request — nothing twice
    ledger = b"".join(p.read_bytes() for p in Path(isolated_home).glob("ledger.db*"))
    for secret in (slack_env.token, notion_env.token):
        assert secret.encode() not in ledger
