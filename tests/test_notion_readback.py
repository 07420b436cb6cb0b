"""Status edits made in Notion come back through `tick`, once, with the Notion user as the actor."""

from __future__ import annotations

from datetime import datetime, timezone

from opsctl import clock, notify_error, update_error
from opsctl.api.errors import show_error
from opsctl.escalation.tick import tick
from tests.delivery_support import blocking, notion_env  # noqa: F401
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

ALICE = "7f0e0000-0000-4000-8000-00000000a11c"


def _page(fake, error_id):
    return next(p for p in fake.pages.values()
                if "".join(t["plain_text"] for t in p["properties"].get("Error ID", {}).get("rich_text", [])) == error_id)


def test_a_status_edit_in_notion_is_applied_once_and_opsctl_edits_are_not_echoed(notion_env):
    fake = notion_env
    clock.set_now(datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    error = notify_error(**blocking())
    assert "notion_readback" in tick()  # the first poll starts the clock
    page = _page(fake, error["id"])
    fake.edit_by_person(page["id"], "2026-12-01T10:05:00.000Z", ALICE, Status="acknowledged")
    clock.set_now(datetime(2026, 12, 1, 10, 6, tzinfo=timezone.utc))
    assert tick()["notion_readback"]["applied"] == [{"id": error["id"], "status": "acknowledged"}]
    shown = show_error(error["id"])
    assert shown["status"] == "acknowledged"
    assert [e for e in shown["history"] if e.get("to_status") == "acknowledged"][0]["actor"] == f"notion:{ALICE}"
    assert tick()["notion_readback"]["applied"] == []  # exactly once
    query = fake.calls("data_sources.query")[-1].body
    assert query["filter"] == {"timestamp": "last_edited_time", "last_edited_time": {"after": "2026-12-01T10:05:00.000Z"}}
    fake.clock = "2026-12-01T10:07:00.000Z"  # opsctl's own write to the page is not read back
    update_error(error["id"], "resolved", solution="new key")
    assert tick()["notion_readback"]["applied"] == []
    assert show_error(error["id"])["status"] == "resolved"


def test_a_change_the_lifecycle_forbids_becomes_a_comment(notion_env):
    fake = notion_env
    clock.set_now(datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    error = notify_error(**blocking())
    update_error(error["id"], "resolved", solution="done")
    tick()
    page = _page(fake, error["id"])
    fake.edit_by_person(page["id"], "2026-12-01T10:05:00.000Z", ALICE, Status="escalated")
    result = tick()["notion_readback"]
    assert result["applied"] == [] and result["refused"][0]["status"] == "escalated"
    assert show_error(error["id"])["status"] == "resolved"
    [comment] = fake.comments
    assert comment["parent"]["page_id"] == page["id"] and "did not apply" in comment["rich_text"][0]["text"]["content"]
    assert fake.pages[page["id"]]["properties"]["Status"]["select"]["name"] == "resolved"
