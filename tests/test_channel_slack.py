"""Slack through the real slack-sdk against the loopback fake: Block Kit, threads, faults, limits."""

from __future__ import annotations

import json

from opsctl import notify_error, update_error
from opsctl.messages import slack_blocks
from opsctl.messages.model import Notification
from tests.delivery_support import blocking, deliveries, outbox_rows, slack_env  # noqa: F401
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def test_blocking_error_is_posted_with_blocks_mention_and_fallback(slack_env):
    result = notify_error(**blocking(recommendation="Option 1 (fastest)"))
    assert deliveries(result) == {"slack": "sent"}
    [message] = slack_env.messages
    assert message.channel == "C000GENERAL" and message.text.startswith("<!channel> 🚨 API limit reached")
    text = json.dumps(message.blocks, ensure_ascii=False)
    assert "<!channel>" in text and "1. New API key" in text and "3. Switch to alternative scraper" in text
    assert "opsctl decide error-1 N" in text and "Option 1 (fastest)" in text
    assert message.blocks[0]["type"] == "header"
    assert outbox_rows()[0]["remote_id"] == message.ts


def test_warning_has_no_mention_unless_configured(slack_env):
    notify_error(**blocking(impact="warning", service="A"))
    assert "<!" not in slack_env.messages[0].text
    from tests.delivery_support import write_config

    write_config("channels:\n  slack:\n    mention: {warning: '<!here>'}\n")
    notify_error(**blocking(impact="warning", service="B"))
    assert slack_env.messages[1].text.startswith("<!here>")


def test_status_change_updates_the_original_and_replies_in_thread(slack_env):
    first = notify_error(**blocking())
    original = slack_env.messages[0]
    result = update_error(first["id"], "resolved", solution="User provided new API key", resolution_time="15min")
    assert deliveries(result) == {"slack": "sent"}
    assert len(original.updates) == 1
    assert "resolved" in json.dumps(original.blocks, ensure_ascii=False)
    [reply] = slack_env.replies(original.ts)
    assert "is now *resolved*" in reply.text and "User provided new API key" in reply.text and "15m" in reply.text
    assert len(slack_env.messages) == 2  # the original and its thread reply, nothing else


def test_rate_limit_then_success_posts_exactly_one_message(slack_env):
    slack_env.fail_next("chat.postMessage", status=429, retry_after=1)
    result = notify_error(**blocking())
    assert deliveries(result) == {"slack": "sent"}
    assert len(slack_env.calls("chat.postMessage")) == 2 and len(slack_env.messages) == 1


def test_invalid_token_names_the_variable_and_never_shows_the_token(slack_env, monkeypatch, run_cli):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1234567890-wrongwrongwrong")
    code, out, err = run_cli("notify-error", "--type", "auth_failure", "--service", "CRM", "--json")
    assert code == 0
    [slack] = json.loads(out)["deliveries"]
    assert slack["status"] == "failed"
    assert "Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in slack["error"]
    assert "wrongwrong" not in out + err
    row = outbox_rows("dead")[0]
    assert "SLACK_BOT_TOKEN" in row["last_error"] and "wrongwrong" not in row["last_error"]
    assert len(slack_env.calls("chat.postMessage")) == 1  # a 4xx-class error is never retried


def test_unknown_channel_says_which_variable_to_fix(slack_env, monkeypatch):
    monkeypatch.setenv("SLACK_CHANNEL", "#nope")
    result = notify_error(**blocking())
    assert result["deliveries"][0]["status"] == "failed"
    assert "SLACK_CHANNEL=#nope (channel_not_found)" in result["deliveries"][0]["error"]


def test_incoming_webhook_posts_and_status_changes_post_again(fake_slack, monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", fake_slack.webhook_url)
    first = notify_error(**blocking())
    update_error(first["id"], "acknowledged")
    assert [m.via for m in fake_slack.messages] == ["webhook", "webhook"]
    assert "is now *acknowledged*" in json.dumps(fake_slack.messages[1].blocks, ensure_ascii=False)


def test_webhook_rejected_names_the_variable(fake_slack, monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", fake_slack.webhook_url)
    fake_slack.reject_auth = True
    result = notify_error(**blocking())
    assert "Slack rejected SLACK_WEBHOOK_URL (invalid_token)" in result["deliveries"][0]["error"]
    assert fake_slack.webhook_url not in json.dumps(result)


def test_ten_thousand_characters_stay_within_block_kit_limits(slack_env):
    details = ("Traceback line with <html> & stuff " * 400)[:10_000]
    options = [f"Option {n} " + "x" * 300 for n in range(1, 40)]
    result = notify_error(**blocking(details=details, options=options))
    assert deliveries(result) == {"slack": "sent"}
    [message] = slack_env.messages
    assert len(message.blocks) <= 50 and len(message.text) <= 3000
    for block in message.blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for item in block.get("fields", []):
            assert len(item["text"]) <= 2000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    assert "cut: " in json.dumps(message.blocks) and "opsctl errors show error-1" in json.dumps(message.blocks)


def test_renderer_escapes_user_text_and_keeps_mentions():
    note = Notification(id="error-9", kind="error", title="T", impact="blocking", details="a <@U123> & <!channel>")
    text, blocks = slack_blocks.render(note, mention="<!channel>")
    body = json.dumps(blocks)
    assert "&lt;@U123&gt; &amp; &lt;!channel&gt;" in body  # user text cannot ping anyone
    assert text.startswith("<!channel> ")
