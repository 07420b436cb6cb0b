"""Notion through the real notion-client against the loopback fake (API 2025-09-03)."""

from __future__ import annotations

import json

from opsctl import log_improvement, notify_error, request_integration, update_error
from opsctl.messages import notion_blocks
from opsctl.messages.model import Notification
from tests.delivery_support import blocking, deliveries, notion_env, outbox_rows, pages_in  # noqa: F401
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def _texts(blocks: list) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_error_becomes_a_page_with_properties_and_a_red_callout(notion_env):
    result = notify_error(**blocking(recommendation="Option 1"))
    assert deliveries(result) == {"notion": "sent"}
    [page] = pages_in(notion_env, "errors")
    prop = lambda name: notion_env.prop(page["id"], name)  # noqa: E731
    assert prop("Title") == "API limit reached: Scraper API" and prop("Error ID") == "error-1"
    assert (prop("Type"), prop("Service"), prop("Project")) == ("api_limit", "Scraper API", "AU Real Estate Research")
    assert (prop("Impact"), prop("Status"), prop("Occurrences")) == ("blocking", "escalated", 1)
    assert prop("Occurred") == result["first_seen"] and prop("Resolved") is None
    [callout] = notion_env.children(page["id"])
    assert callout["type"] == "callout" and callout["callout"]["color"] == "red_background"
    assert "Free tier limit reached" in _texts(callout) and "blocking" in _texts(callout)
    options = [b for b in notion_env.children(callout["id"]) if b["type"] == "numbered_list_item"]
    assert [o["numbered_list_item"]["rich_text"][0]["text"]["content"] for o in options] == [
        "New API key", "Upgrade account", "Switch to alternative scraper"]


def test_data_source_is_resolved_once_and_cached(notion_env):
    notify_error(**blocking(service="A"))
    notify_error(**blocking(service="B"))
    assert len(notion_env.calls("databases.retrieve")) == 1
    assert len(notion_env.calls("data_sources.retrieve")) == 1
    assert len(pages_in(notion_env, "errors")) == 2
    from opsctl.context import Context

    keys = [r["key"] for r in Context().conn.execute("SELECT key FROM kv WHERE key LIKE 'notion:%'")]
    assert keys == ["notion:db:" + notion_env.dbs["errors"]["id"].replace("-", "")]


def test_status_change_updates_page_properties(notion_env):
    first = notify_error(**blocking())
    update_error(first["id"], "acknowledged")
    result = update_error(first["id"], "resolved", solution="User provided new API key", resolution_time="15min")
    assert deliveries(result) == {"notion": "sent"}
    [page] = pages_in(notion_env, "errors")
    assert notion_env.prop(page["id"], "Status") == "resolved"
    assert notion_env.prop(page["id"], "Resolution time") == "15m"
    assert notion_env.prop(page["id"], "Solution") == "User provided new API key"
    assert notion_env.prop(page["id"], "Resolved") == result["resolved_at"]
    assert len(notion_env.calls("pages.create")) == 1 and len(notion_env.calls("pages.update")) == 2


def test_a_retry_after_a_lost_answer_finds_the_page_instead_of_making_another(notion_env):
    from opsctl.context import Context

    first = notify_error(**blocking())
    Context().conn.execute("DELETE FROM remote_refs")  # as if the process died before remembering the page
    update_error(first["id"], "resolved")
    assert len(pages_in(notion_env, "errors")) == 1
    assert notion_env.prop(pages_in(notion_env, "errors")[0]["id"], "Status") == "resolved"


def test_stale_cached_schema_is_asked_again(notion_env):
    from opsctl.context import Context

    notify_error(**blocking(service="A"))
    import json

    conn = Context().conn
    for row in conn.execute("SELECT key, value FROM kv WHERE key LIKE 'notion:%'").fetchall():
        cached = json.loads(row["value"])
        cached["data_source_id"] = "00000000-0000-0000-0000-000000000000"  # the schema moved under us
        conn.execute("UPDATE kv SET value = ? WHERE key = ?", (json.dumps(cached), row["key"]))
    result = notify_error(**blocking(service="B"))
    assert deliveries(result) == {"notion": "sent"} and len(pages_in(notion_env, "errors")) == 2


def test_requests_and_improvements_go_to_their_databases(notion_env):
    request = request_integration("Airtable API", "Client needs data in Airtable", urgency="high",
                                  alternatives="Manual CSV export", cost="Free")
    assert deliveries(request) == {"notion": "sent"}
    [page] = pages_in(notion_env, "requests")
    assert notion_env.prop(page["id"], "Title") == "Airtable API"
    assert (notion_env.prop(page["id"], "Urgency"), notion_env.prop(page["id"], "Status")) == ("high", "pending")
    log_improvement("engineering-team", "Handled API limit error", "Alert at 80%", impact="Caught early",
                    category="monitoring")
    [page] = pages_in(notion_env, "improvements")
    assert notion_env.prop(page["id"], "Category") == "monitoring"
    assert notion_env.prop(page["id"], "Improvement ID") == "imp-1"


def test_invalid_token_names_the_variable(notion_env, monkeypatch):
    monkeypatch.setenv("NOTION_TOKEN", "ntn_wrongwrongwrongwrongwrong")
    result = notify_error(**blocking())
    [entry] = result["deliveries"]
    assert entry["status"] == "failed" and "Notion rejected NOTION_TOKEN (unauthorized)" in entry["error"]
    assert "wrongwrong" not in json.dumps(result)


def test_unshared_database_says_so(notion_env, monkeypatch):
    monkeypatch.setenv("NOTION_ERRORS_DATABASE_ID", "0" * 32)
    [entry] = notify_error(**blocking())["deliveries"]
    assert entry["status"] == "failed" and "NOTION_ERRORS_DATABASE_ID" in entry["error"]
    assert "share that database with the integration" in entry["error"]


def test_rate_limit_then_success_makes_one_page(notion_env):
    notion_env.fail_next("pages.create", status=429, retry_after=1)
    result = notify_error(**blocking())
    assert deliveries(result) == {"notion": "sent"}
    assert len(pages_in(notion_env, "errors")) == 1


def test_ten_thousand_characters_fit_notion_limits(notion_env):
    details = "🚀 stack frame\n" * 700  # emoji count double in UTF-16
    result = notify_error(**blocking(details=details[:10_000]))
    assert deliveries(result) == {"notion": "sent"}  # the fake rejects anything over the limits
    [page] = pages_in(notion_env, "errors")
    callout = notion_env.children(page["id"])[0]["callout"]
    pieces = [item["text"]["content"] for item in callout["rich_text"]]
    assert max(notion_blocks.units(p) for p in pieces) <= 2000
    assert "".join(pieces).endswith(details[:10_000])


def test_many_blocks_are_appended_in_batches_of_one_hundred():
    note = Notification(id="error-1", kind="error", title="t", impact="blocking", details="d" * 500_000,
                        options=[f"o{n}" for n in range(200)])
    [callout] = notion_blocks.error_blocks(note)
    assert len(callout["callout"]["rich_text"]) <= 100
    assert all(notion_blocks.units(i["text"]["content"]) <= 2000 for i in callout["callout"]["rich_text"])
    assert len(callout["callout"]["children"]) <= 100
    assert [len(b) for b in notion_blocks.batches(list(range(250)))] == [100, 100, 50]


def test_notion_setup_creates_three_databases_and_prints_env_lines(fake_notion, monkeypatch, run_cli):
    monkeypatch.setenv("NOTION_TOKEN", fake_notion.token)
    monkeypatch.setenv("NOTION_API_URL", fake_notion.url)
    parent = fake_notion.add_page("Ops")
    code, out, err = run_cli("notion", "setup", "--parent-page", f"https://www.notion.so/Ops-{parent.replace('-', '')}")
    assert code == 0, err
    lines = dict(line.split("=", 1) for line in out.splitlines())
    assert set(lines) == {"NOTION_ERRORS_DATABASE_ID", "NOTION_REQUESTS_DATABASE_ID", "NOTION_IMPROVEMENTS_DATABASE_ID"}
    errors_db = fake_notion.databases[lines["NOTION_ERRORS_DATABASE_ID"]]
    schema = fake_notion.data_sources[errors_db["data_sources"][0]["id"]]["properties"]
    assert {"Error ID", "Type", "Service", "Project", "Impact", "Status", "Occurrences", "Occurred", "Resolved",
            "Resolution time"} <= set(schema)
    for name, value in lines.items():
        monkeypatch.setenv(name, value)
    notify_error(**blocking())
    assert len(fake_notion.calls("databases.retrieve")) == 0  # setup already cached the data sources
    assert len([p for p in fake_notion.pages.values() if p["parent"].get("database_id") == errors_db["id"]]) == 1
    assert outbox_rows()[0]["status"] == "sent"


def test_notion_setup_run_again_finds_its_databases(fake_notion, monkeypatch, run_cli):
    monkeypatch.setenv("NOTION_TOKEN", fake_notion.token)
    monkeypatch.setenv("NOTION_API_URL", fake_notion.url)
    parent = fake_notion.add_page("Ops")
    first = run_cli("notion", "setup", "--parent-page", parent)
    second = run_cli("notion", "setup", "--parent-page", parent)
    assert first[0] == second[0] == 0 and first[1] == second[1]
    assert len(fake_notion.calls("databases.create")) == 3
    lines = dict(line.split("=", 1) for line in first[1].splitlines())
    del fake_notion.databases[lines["NOTION_REQUESTS_DATABASE_ID"]]  # deleted in Notion: made again
    third = run_cli("notion", "setup", "--parent-page", parent)
    assert third[0] == 0 and len(fake_notion.calls("databases.create")) == 4
    again = dict(line.split("=", 1) for line in third[1].splitlines())
    assert again["NOTION_ERRORS_DATABASE_ID"] == lines["NOTION_ERRORS_DATABASE_ID"]
    assert again["NOTION_REQUESTS_DATABASE_ID"] != lines["NOTION_REQUESTS_DATABASE_ID"]
