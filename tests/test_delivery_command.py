"""The real `opsctl` command sends Slack, Notion and the hook at once (one thread each) and records each.

These once covered the forking sender (removed in 0.2.0: it did not pay, see bench/bench_delivery.py);
they still check that the real command delivers every channel exactly once and records it.
"""

from __future__ import annotations

from tests.delivery_support import hook, notion_env, outbox_rows, pages_in, slack_env  # noqa: F401

NOTIFY = ("notify-error", "--type", "api_limit", "--service", "Scraper API", "--details", "1000/1000",
          "--impact", "blocking", "--options", "New API key", "Upgrade")


def _statuses(result: dict) -> dict:
    return {d["channel"]: d["status"] for d in result["deliveries"]}


def test_real_command_delivers_every_channel_exactly_once(slack_env, notion_env, hook, cli):
    result = cli.json(*NOTIFY)
    assert _statuses(result) == {"slack": "sent", "notion": "sent", "notify_user": "sent"}
    assert len(slack_env.messages) == 1 and len(pages_in(notion_env, "errors")) == 1
    assert {row["channel"]: row["status"] for row in outbox_rows()} == {
        "slack": "sent", "notion": "sent", "notify_user": "sent"}
    resolved = cli.json("update-error", "--error-id", result["id"], "--status", "resolved")
    assert _statuses(resolved) == {"slack": "sent", "notion": "sent", "notify_user": "sent"}
    [page] = pages_in(notion_env, "errors")
    assert notion_env.prop(page["id"], "Status") == "resolved"
    assert len(slack_env.messages[0].updates) == 1


def test_a_child_retries_429_and_reports_a_bad_token(slack_env, notion_env, hook, cli, monkeypatch):
    notion_env.fail_next("pages.create", status=429, retry_after=0)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong-token-000000")
    result = cli.json(*NOTIFY)
    statuses = _statuses(result)
    scraper_pages = [p for p in pages_in(notion_env, "errors") if notion_env.prop(p["id"], "Service") == "Scraper API"]
    assert statuses["notion"] == "sent" and len(scraper_pages) == 1  # the other page: Slack's dead letter
    assert statuses["slack"] == "failed"
    slack = next(d for d in result["deliveries"] if d["channel"] == "slack")
    assert "SLACK_BOT_TOKEN" in slack["error"] and "xoxb-wrong" not in slack["error"]
