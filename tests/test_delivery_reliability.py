"""Bounded Retry-After, one channel never stopping another, redirects of a POST (issue 8 §3)."""

from __future__ import annotations

import pytest

from opsctl import clock, notify_error
from opsctl.channels.http import retry_after
from tests.delivery_support import T0, blocking, deliveries, later, notion_env, outbox_rows, slack_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


@pytest.mark.parametrize("value, seconds", [
    ("30", 30.0), ("31536000", 3600.0), ("1e20", 3600.0), ("inf", 3600.0), ("-5", 0.0), ("nan", None),
    ("soon", None), ("", None), ("Mon, 02 Mar 2026 09:01:00 GMT", 60.0), ("Fri, 31 Dec 9999 23:59:59 GMT", 3600.0),
])
def test_retry_after_is_parsed_safely_and_capped_at_an_hour(value, seconds):
    clock.set_now(T0)
    assert retry_after(value) == seconds


@pytest.mark.parametrize("header", ["1e20", "inf", "31536000"])
def test_a_huge_retry_after_neither_crashes_nor_parks_the_channel_nor_stops_the_others(
        slack_env, fake_hook, monkeypatch, header):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_URL", fake_hook.hook_url)
    clock.set_now(T0)
    slack_env.fail_next("chat.postMessage", status=429, headers={"Retry-After": header}, times=5)
    result = notify_error(**blocking())
    assert deliveries(result) == {"slack": "queued", "notify_user": "sent"}
    assert len(fake_hook.received) == 1
    [row] = [r for r in outbox_rows() if r["channel"] == "slack"]
    assert row["status"] == "queued" and row["next_attempt_at"] <= later(hours=1, minutes=1)


def test_a_malformed_2xx_body_is_transient_not_dead(fake_hook, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_CHANNEL", "#general")
    monkeypatch.setenv("SLACK_API_URL", fake_hook.url + "/api/")  # answers 200 with a body Slack never sends
    fake_hook.respond(200, "{truncated")
    clock.set_now(T0)
    result = notify_error(**blocking())
    assert deliveries(result) == {"slack": "queued"}
    assert outbox_rows()[0]["status"] == "queued"


def test_a_307_is_followed_with_the_body(fake_hook, monkeypatch):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_URL", fake_hook.hook_url)
    fake_hook.fail_next("*", status=307, headers={"Location": fake_hook.url + "/moved"}, body="")
    clock.set_now(T0)
    result = notify_error(**blocking())
    assert deliveries(result) == {"notify_user": "sent"}
    [got] = fake_hook.received
    assert got.path.endswith("/moved") and got.method == "POST" and got.body["service"] == "Scraper API"


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_redirect_that_would_drop_the_body_is_a_failure_not_sent(fake_hook, monkeypatch, status):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_URL", fake_hook.hook_url)
    fake_hook.fail_next("*", status=status, headers={"Location": fake_hook.url + "/elsewhere"}, body="", times=3)
    clock.set_now(T0)
    result = notify_error(**blocking())
    [entry] = result["deliveries"]
    assert entry["status"] == "failed" and "redirect" in entry["error"]
    assert fake_hook.received == []  # never turned into a GET


def test_a_server_that_answers_after_the_timeout_is_sent_at_most_twice_and_notion_once(
        slack_env, monkeypatch):
    import time

    from opsctl.api.outbox import deliver
    from opsctl.context import Context
    from tests.delivery_support import notion_env, pages_in, write_config  # noqa: F401

    write_config("outbox: {timeout: 1}\n")
    clock.set_now(T0)
    slack_env.hang_next("chat.postMessage", seconds=1.5)  # processes the post after opsctl gave up
    result = notify_error(**blocking())
    assert deliveries(result) == {"slack": "queued"}  # not re-posted within the run: the outcome is unknown
    end = time.monotonic() + 30
    while len(slack_env.messages) < 1 and time.monotonic() < end:
        time.sleep(0.02)  # polling a condition (the fake finishing the request), not waiting for time
    clock.set_now(T0.replace(minute=30))
    deliver(ctx=Context())
    assert len(slack_env.messages) == 2  # the one duplicate of a truly unknown outcome, never more
    assert outbox_rows()[0]["status"] == "sent"


def test_notion_looks_the_page_up_before_a_retry_creates_one(notion_env, monkeypatch):
    import time

    from opsctl.api.outbox import deliver
    from opsctl.context import Context
    from tests.delivery_support import pages_in, write_config

    write_config("outbox: {timeout: 1}\n")
    clock.set_now(T0)
    notion_env.hang_next("pages.create", seconds=1.5)
    result = notify_error(**blocking())
    assert deliveries(result) == {"notion": "queued"}
    end = time.monotonic() + 30
    while not pages_in(notion_env, "errors") and time.monotonic() < end:
        time.sleep(0.02)  # polling a condition, not waiting for time
    clock.set_now(T0.replace(minute=30))
    deliver(ctx=Context())
    assert len(pages_in(notion_env, "errors")) == 1 and outbox_rows()[0]["status"] == "sent"
