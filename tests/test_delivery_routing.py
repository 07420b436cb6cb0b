"""Routing from opsctl.yaml, quiet hours, the channel registry (entry points) and `opsctl channels`."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import pytest

from opsctl import clock, notify_error, request_integration
from opsctl.messages.model import Notification
from opsctl.routing import route
from tests.delivery_support import blocking, deliveries, hook, outbox_rows, slack_env, write_config  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


class Fake:
    def __init__(self, channel, name="webhook", **options):
        self.channel, self.name, self.options = channel, name, options

    def accepts(self, subject, purpose):
        return True


def _names(routes) -> list[str]:
    return [r.channel.channel for r in routes]


def _note(**kw) -> Notification:
    return Notification(**dict(dict(id="error-1", kind="error", title="t", type="api_limit", service="Scraper API",
                                    impact="blocking"), **kw))


AT = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def test_without_config_every_channel_gets_everything_and_slack_mentions_channel_for_blocking():
    channels = [Fake("slack", "slack"), Fake("hook", "notify_user")]
    routes = route({}, channels, _note(), subject="error", purpose="notify", at=AT)
    assert _names(routes) == ["slack", "hook"]
    assert [r.mention for r in routes] == ["<!channel>", None]
    assert route({}, channels, _note(impact="warning"), subject="error", purpose="notify", at=AT)[0].mention is None
    assert route({}, channels, _note(), subject="error", purpose="update", at=AT)[0].mention is None


def test_channel_filters_and_first_matching_rule():
    channels = [Fake("slack", "slack", impacts=["blocking", "warning"]), Fake("notion", "notion"),
                Fake("sms", purposes=["escalation"])]
    config = {"routing": {"rules": [{"when": {"type": "auth_failure"}, "channels": ["slack", "sms"]},
                                    {"when": {"impact": "info"}, "channels": ["notion"]}]}}
    pick = lambda **kw: _names(route(config, channels, _note(**{k: v for k, v in kw.items() if k != "purpose"}),  # noqa: E731
                                     subject="error", purpose=kw.get("purpose", "notify"), at=AT))
    assert pick() == ["slack", "notion"]
    assert pick(impact="info") == ["notion"]
    assert pick(type="auth_failure") == ["slack"]
    assert pick(type="auth_failure", purpose="escalation") == ["slack", "sms"]
    assert _names(route(config, channels, _note(), subject="error", purpose="notify", at=AT, only=["notion"])) == ["notion"]


def test_a_dead_channel_alarm_never_goes_to_that_channel():
    channels = [Fake("slack", "slack"), Fake("hook", "notify_user")]
    alarm = _note(type="system_error", service="opsctl channel: slack")
    assert _names(route({}, channels, alarm, subject="error", purpose="notify", at=AT)) == ["hook"]


def test_quiet_hours_hold_non_blocking_notices_until_the_window_ends():
    channels = [Fake("slack", "slack")]
    config = {"routing": {"quiet": {"hours": "22:00-07:00", "timezone": "Europe/London"}}}
    night = datetime(2026, 1, 10, 23, 30, tzinfo=timezone.utc)  # London is on UTC in January
    [held] = route(config, channels, _note(impact="warning"), subject="error", purpose="notify", at=night)
    assert held.defer_until.astimezone(timezone.utc) == datetime(2026, 1, 11, 7, 0, tzinfo=timezone.utc)
    [urgent] = route(config, channels, _note(), subject="error", purpose="notify", at=night)
    assert urgent.defer_until is None
    [day] = route(config, channels, _note(impact="warning"), subject="error", purpose="notify", at=AT)
    assert day.defer_until is None


def test_quiet_hours_queue_the_delivery_and_deliver_sends_it_in_the_morning(slack_env):
    write_config('routing:\n  quiet: {hours: "22:00-07:00"}\n')
    clock.set_now("2026-01-10T23:30:00Z")
    result = notify_error(**blocking(impact="warning"))
    assert result["deliveries"] == [{"channel": "slack", "status": "queued", "until": "2026-01-11T07:00:00.000000Z"}]
    from opsctl.context import Context
    from opsctl.delivery import drain

    assert drain(Context())["sent"] == 0 and slack_env.messages == []
    clock.set_now("2026-01-11T07:00:01Z")
    assert drain(Context())["sent"] == 1


def test_bad_routing_config_is_a_clear_failure(slack_env, run_cli):
    write_config("routing:\n  rules:\n    - when: {colour: red}\n      channels: [slack]\n")
    code, _, err = run_cli("notify-error", "--type", "api_limit", "--service", "X")
    assert code == 1 and "unknown field 'colour'" in err
    write_config("outbox: {budget: soon}\n")
    code, _, err = run_cli("notify-error", "--type", "api_limit", "--service", "Y")
    assert code == 1 and "outbox.budget must be a number" in err


def test_request_routing_skips_channels_without_a_database(slack_env, hook):
    result = request_integration("Airtable API", "Client needs data")
    assert deliveries(result) == {"notify_user": "sent", "slack": "sent"}
    assert "Approve" in hook.calls()[0]["payload"]["message"]


PLUGIN = '''
from opsctl.channels import Channel, Sent, Setting

SENT = []

class PagerChannel(Channel):
    name = "pager"
    settings = {"number": Setting("PAGER_NUMBER")}
    requires = (("number",),)

    def send(self, out, *, timeout):
        SENT.append((self.values["number"], out.notification.id, out.purpose))
        return Sent(remote_id="page-1")
'''


def test_a_third_party_channel_comes_in_through_the_entry_point_group(tmp_path, monkeypatch, run_cli):
    site = tmp_path / "site"
    dist = site / "opsctl_pager-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "opsctl_pager.py").write_text(PLUGIN, encoding="utf-8")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: opsctl-pager\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[opsctl.channels]\npager = opsctl_pager:PagerChannel\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "opsctl_pager", raising=False)  # a fresh plugin (and SENT) per run
    monkeypatch.setenv("ONCALL_PHONE", "+61 400 000 000")
    write_config("channels:\n  oncall:\n    type: pager\n    number_env: ONCALL_PHONE\n")
    result = notify_error(**blocking())
    assert deliveries(result) == {"oncall": "sent"}
    import opsctl_pager

    assert opsctl_pager.SENT == [("+61 400 000 000", "error-1", "notify")]
    code, out, _ = run_cli("channels", "list", "--json")
    assert json.loads(out)["channels"][0]["type"] == "pager"
    write_config("channels:\n  oncall:\n    type: beeper\n")
    code, _, err = run_cli("channels", "list")
    assert code == 1 and "unknown channel type 'beeper'" in err and "pager" in err


def test_channels_list_masks_secrets(slack_env, monkeypatch, run_cli):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-99999-secret-token-value")
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_URL", "https://relay.example/hook?key=abc123secret")
    monkeypatch.setenv("OPSCTL_WEBHOOK_SECRET", "hmac-secret-value")
    write_config("channels:\n  sms: {type: webhook}\n")
    for args in (("channels", "list"), ("channels", "list", "--json")):
        code, out, err = run_cli(*args)
        assert code == 0
        for secret in ("secret-token-value", "abc123secret", "hmac-secret-value"):
            assert secret not in out + err
    shown = {c["channel"]: c for c in json.loads(run_cli("channels", "list", "--json")[1])["channels"]}
    assert shown["slack"]["settings"]["token"] == "set (SLACK_BOT_TOKEN)"
    assert shown["slack"]["settings"]["channel"] == "#general"
    assert shown["sms"]["ready"] is False and "channels.sms.url" in shown["sms"]["missing"]


def test_channels_test_reports_each_channel(slack_env, hook, monkeypatch, run_cli):
    write_config("channels:\n  sms: {type: webhook}\n")
    code, out, _ = run_cli("channels", "test", "--json")
    results = {r["channel"]: r for r in json.loads(out)["channels"]}
    assert code == 0 and results["slack"]["status"] == "ok" and "as opsbot" in results["slack"]["detail"]
    assert results["notify_user"]["status"] == "ok" and results["sms"]["status"] == "skipped"
    assert "opsctl test message" in slack_env.messages[0].text
    assert outbox_rows() == []  # tests go straight out, not through the outbox
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong-token-1234567")
    code, out, _ = run_cli("channels", "test", "slack", "--json")
    assert code == 1 and "Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in out and "wrong-token" not in out
    code, _, err = run_cli("channels", "test", "nope")
    assert code == 2 and "no channel 'nope'" in err


@pytest.mark.parametrize("quiet", [{"other": 1}, {"hours": "22-7"}, {"hours": "22:00-07:00", "timezone": "Mars/Olympus"}])
def test_bad_quiet_settings_say_what_to_write(quiet):
    from opsctl.errors import OperationalFailure

    with pytest.raises(OperationalFailure, match="routing.quiet"):
        route({"routing": {"quiet": quiet}}, [Fake("slack", "slack")], _note(impact="info"), subject="error",
              purpose="notify", at=AT)
