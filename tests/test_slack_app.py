"""The Slack app for real: slack-bolt in an `opsctl slack listen` process, over the Socket Mode fake."""

from __future__ import annotations

import json

from opsctl import notify_error
from opsctl.api.errors import show_error
from tests.delivery_support import blocking
from tests.slack_support import listener, socket_slack  # noqa: F401
from tests.support import wait_for
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def _buttons(message) -> dict:
    return {e["action_id"]: e for b in message.blocks if b["type"] == "actions" for e in b["elements"]}


def _settled(fake, message, by="by <@"):
    return wait_for(lambda: by in json.dumps(message.blocks) and not any(b["type"] == "actions" for b in message.blocks))


def test_an_error_notification_carries_one_button_per_option_plus_ack_and_resolve(socket_slack):
    notify_error(**blocking())
    buttons = _buttons(socket_slack.messages[0])
    assert [b["text"]["text"] for b in buttons.values()] == [
        "1. New API key", "2. Upgrade account", "3. Switch to alternative scraper", "Acknowledge", "Resolve"]
    assert "opsctl:decide:error-1:2" in buttons and buttons["opsctl:decide:error-1:2"]["value"] == "opsctl:decide:error-1:2"


def test_many_long_options_stay_within_block_kit_limits(socket_slack):
    notify_error(**blocking(options=[f"Option {n} " + "x" * 100 for n in range(30)]))
    message = socket_slack.messages[0]
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert len(actions) == 2 and all(len(b["elements"]) <= 25 for b in actions)
    assert all(len(e["text"]["text"]) <= 75 for b in actions for e in b["elements"])
    assert len(message.blocks) <= 50


def test_decide_button_records_the_slack_user_and_updates_the_message(socket_slack, listener, fake_hook,
                                                                      monkeypatch):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_URL", fake_hook.url + "/hook")
    listener(env={"OPSCTL_NOTIFY_USER_URL": fake_hook.url + "/hook"})
    notify_error(**blocking())
    message = socket_slack.messages[0]
    envelope = socket_slack.click(message, "opsctl:decide:error-1:2", user="U0ALICE")
    wait_for(lambda: envelope in socket_slack.acks)
    assert socket_slack.acks[envelope] < 3
    _settled(socket_slack, message)
    error = show_error("error-1")
    assert error["decision"] == 2 and error["status"] == "acknowledged"
    decided = [e for e in error["history"] if e["action"] == "decided"]
    assert decided[0]["actor"] == "slack:U0ALICE"
    assert "Decided by <@U0ALICE>" in json.dumps(message.blocks) and "option 2 (Upgrade account)" in json.dumps(
        message.blocks)
    wait_for(lambda: any("decision" in json.dumps(r.body or {}).lower() or "Upgrade account" in json.dumps(r.body or {})
                         for r in fake_hook.requests[1:]))


def test_a_second_click_changes_nothing_and_tells_the_clicker(socket_slack, listener):
    listener()
    notify_error(**blocking())
    message = socket_slack.messages[0]
    stale = json.loads(json.dumps(message.blocks))
    socket_slack.click(message, "opsctl:decide:error-1:1", user="U0ALICE")
    _settled(socket_slack, message)
    message.blocks = stale  # Bob still sees the old buttons
    socket_slack.click(message, "opsctl:decide:error-1:3", user="U0BOB")
    wait_for(lambda: socket_slack.ephemerals)
    note = socket_slack.ephemerals[0]
    assert note["user"] == "U0BOB" and "already decided by <@U0ALICE>" in note["text"]
    assert show_error("error-1")["decision"] == 1


def test_acknowledge_and_resolve_buttons(socket_slack, listener):
    listener()
    notify_error(**blocking())
    message = socket_slack.messages[0]
    stale = json.loads(json.dumps(message.blocks))
    socket_slack.click(message, "opsctl:ack:error-1", user="U0ALICE")
    wait_for(lambda: show_error("error-1")["status"] == "acknowledged")
    _settled(socket_slack, message)
    assert "Acknowledged by <@U0ALICE>" in json.dumps(message.blocks)
    message.blocks = stale
    socket_slack.click(message, "opsctl:resolve:error-1", user="U0ALICE")
    wait_for(lambda: show_error("error-1")["status"] == "resolved")
    resolved = [e for e in show_error("error-1")["history"] if e.get("to_status") == "resolved"]
    assert resolved[0]["actor"] == "slack:U0ALICE"


def test_request_buttons_approve_and_defer(socket_slack, listener):
    from opsctl.api.requests import request_integration, show_request

    listener()
    request_integration("Airtable API", "Client needs data in Airtable", urgency="high")
    request_integration("Zapier", "Glue", urgency="low")
    first, second = socket_slack.messages[0], socket_slack.messages[1]
    assert {"opsctl:request:req-1:approve", "opsctl:request:req-1:reject", "opsctl:defer:req-1:7d",
            "opsctl:defer:req-1:date"} <= set(_buttons(first))
    socket_slack.click(first, "opsctl:request:req-1:approve")
    wait_for(lambda: show_request("req-1")["status"] == "approved")
    socket_slack.click(second, "opsctl:defer:req-2:date", selected_date="2030-01-15")
    wait_for(lambda: show_request("req-2")["status"] == "deferred")
    assert show_request("req-2")["until"].startswith("2030-01-15")


def test_someone_not_allowed_is_refused_privately_and_nothing_changes(socket_slack, listener, tmp_path):
    (tmp_path / "opsctl.yaml").write_text("slack:\n  allowed_users: [U0ALICE]\n  allowed_groups: [S0OPS]\n")
    socket_slack.usergroups["S0OPS"] = ["U0CAROL"]
    listener()
    notify_error(**blocking())
    message = socket_slack.messages[0]
    socket_slack.click(message, "opsctl:ack:error-1", user="U0MALLORY")
    wait_for(lambda: socket_slack.ephemerals)
    assert "not allowed" in socket_slack.ephemerals[0]["text"]
    socket_slack.slash("ack error-1", user="U0MALLORY")
    wait_for(lambda: socket_slack.responses)
    assert "not allowed" in socket_slack.responses[0]["text"]
    assert show_error("error-1")["status"] != "acknowledged" and not message.updates
    socket_slack.click(message, "opsctl:ack:error-1", user="U0CAROL")  # in the allowed group
    wait_for(lambda: show_error("error-1")["status"] == "acknowledged")


def test_slash_commands(socket_slack, listener, tmp_path):
    (tmp_path / "opsctl.yaml").write_text("slack:\n  command: /ops\n")
    listener()
    notify_error(**blocking())
    notify_error(**blocking(service="Mailer", impact="warning"))

    def ask(text):
        before = len(socket_slack.responses)
        envelope = socket_slack.slash(text, command="/ops")
        # the ack (websocket) and the reply (HTTP) travel separately: wait for both
        wait_for(lambda: len(socket_slack.responses) > before and envelope in socket_slack.acks)
        reply = socket_slack.responses[-1]
        assert reply["response_type"] == "ephemeral" and reply["blocks"]
        return reply["text"]

    assert ":red_circle: 1 blocking error open, 1 warning" in ask("status")
    listed = ask("errors --impact warning")
    assert "error-2" in listed and "error-1" not in listed
    assert "No runs recorded" in ask("logs nightly")
    assert "Acknowledged by <@U0ALICE>" in ask("ack 2")
    assert show_error("error-2")["status"] == "acknowledged"
    assert "Decided by <@U0ALICE>" in ask("decide error-1 3")
    assert show_error("error-1")["decision"] == 3
    assert "/ops help" in ask("help") and "/ops decide ID N" in ask("frobnicate")


def test_logs_lists_the_last_runs(socket_slack, listener, cli):
    assert cli("run", "nightly", "--", "true").returncode == 0
    listener()
    socket_slack.slash("logs")
    wait_for(lambda: socket_slack.responses)
    assert "nightly" in socket_slack.responses[0]["text"]


def test_reconnects_after_a_drop_and_a_disconnect_envelope(socket_slack, listener):
    listener(env={"OPSCTL_SLACK_PING": "1"})  # a dead socket is noticed after 4 missed pongs
    notify_error(**blocking())
    socket_slack.drop()
    wait_for(lambda: socket_slack.connections >= 2 and socket_slack.connected(), seconds=40)
    seen = socket_slack.connections
    socket_slack.disconnect("refresh_requested")
    wait_for(lambda: socket_slack.connections > seen and socket_slack.connected(), seconds=40)
    assert len(socket_slack.calls("apps.connections.open")) >= 3
    socket_slack.click(socket_slack.messages[0], "opsctl:ack:error-1")
    wait_for(lambda: show_error("error-1")["status"] == "acknowledged")


def test_sigterm_exits_zero_and_the_listener_is_recorded(socket_slack, listener):
    from opsctl.slack.check import listener_seen

    running = listener()
    wait_for(lambda: listener_seen() is not None)
    assert running.stop() == 0


def test_missing_app_token_is_a_clear_exit_2(cli, socket_slack, monkeypatch):
    monkeypatch.delenv("SLACK_APP_TOKEN")
    proc = cli("slack", "listen")
    assert proc.returncode == 2 and "SLACK_APP_TOKEN" in proc.stderr and "Traceback" not in proc.stderr


def test_app_token_check(socket_slack, monkeypatch):
    from opsctl.slack.check import app_token

    assert app_token()[0] is True
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-wrong")
    ok, detail = app_token()
    assert ok is False and "invalid_auth" in detail


def test_heartbeat_posts_one_status_line(socket_slack, cli):
    assert cli.json("heartbeat")["text"] == ":green_circle: All systems nominal"
    notify_error(**blocking(impact="warning"))
    result = cli.json("heartbeat")
    assert result["level"] == "orange" and ":orange_circle: 1 open warning" in result["text"]
    notify_error(**blocking(service="Other"))
    assert cli.json("heartbeat")["text"].startswith(":red_circle: 1 blocking error open")
    posted = [m.text for m in socket_slack.messages if m.text.startswith(":")]
    assert len(posted) == 3


def test_bad_slack_section_is_named(tmp_path, cli):
    (tmp_path / "opsctl.yaml").write_text("slack:\n  allowed: [U1]\n")
    proc = cli("heartbeat", "--dry-run")
    assert proc.returncode == 1 and "allowed_users" in proc.stderr
