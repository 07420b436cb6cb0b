"""Post-incident record: resolving a blocking error asks for cause/detection/resolution/prevention."""

from __future__ import annotations

import json

from opsctl import log_improvement, update_error
from opsctl.api.decisions import decide
from opsctl.escalation.tick import tick
from opsctl.reports.postmortem import postmortem
from opsctl.reports.stats import stats
from tests.escalation_support import announced, blocking, events, frozen, move  # noqa: F401
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def test_an_agent_may_resolve_without_a_postmortem_but_the_gap_is_recorded(frozen, announced, run_cli):
    blocking()
    code, out, _ = run_cli("update-error", "--error-id", "error-1", "--status", "resolved", "--solution", "new key",
                           "--json")
    assert code == 0
    assert json.loads(out)["postmortem_missing"] == ["cause", "detection", "prevention"]
    assert json.loads(events("postmortem_pending", 1)[0]["data"]) == {"missing": ["cause", "detection", "prevention"]}
    assert stats()["postmortems_pending"] == 1
    update_error("error-1", cause="free tier", detection="notify-error from the scraper", prevention="alert at 80%")
    assert stats()["postmortems_pending"] == 0


def test_warnings_need_no_postmortem(frozen, announced):
    blocking(impact="warning")
    assert "postmortem_missing" not in update_error("error-1", "resolved", solution="s")


def test_interactive_resolution_prompts_for_what_is_missing(frozen, announced, run_cli, monkeypatch):
    import sys

    import typer

    blocking()
    answers = iter(["free tier exhausted", "", "alert at 80%"])  # cause, detection (skipped), prevention
    asked = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(typer, "prompt", lambda text, **kw: asked.append(text) or next(answers))
    code, _, err = run_cli("update-error", "--error-id", "1", "--status", "resolved", "--solution", "new key")
    assert code == 0
    assert len(asked) == 3 and "Root cause" in asked[0]
    shown = postmortem("error-1")
    assert shown["missing"] == ["detection"]
    assert shown["error"]["cause"] == "free tier exhausted" and "postmortem pending (detection)" in err


def test_postmortem_markdown_has_the_sections_and_the_timeline(frozen, announced, run_cli, tmp_path):
    blocking(project="AU Research")
    move(minutes=5)
    tick()
    move(minutes=6)
    decide("error-1", "1", note="key from the vault")
    move(minutes=15)
    update_error("error-1", "resolved", solution="new key", cause="free tier", detection="scraper reported it",
                 prevention="alert at 80%")
    log_improvement("engineering", "limit", "Alert at 80%", targets=["error-1"])
    shown = postmortem("error-1")
    md = shown["markdown"]
    assert md.startswith("# Postmortem: error-1 — api_limit (Scraper API · AU Research)")
    for section, text in (("## Cause", "free tier"), ("## Detection", "scraper reported it"),
                          ("## Resolution", "new key"), ("## Prevention", "alert at 80%")):
        assert f"{section}\n\n{text}" in md
    assert "| Time to respond | 6m |" in md and "| Time to resolve | 15m |" in md
    assert "| Decision | 1. New API key — key from the vault |" in md
    timeline = md.split("## Timeline", 1)[1]
    order = ["reported", "escalated (no acknowledgement)", "decision", "status → acknowledged", "status → resolved"]
    positions = [timeline.index(step) for step in order]
    assert positions == sorted(positions)
    assert "imp-1: Alert at 80%" in md and shown["missing"] == []
    target = tmp_path / "pm.md"
    code, out, _ = run_cli("postmortem", "error-1", "--output", str(target), "--json")
    assert code == 0 and json.loads(out)["output"] == str(target)
    assert target.read_text(encoding="utf-8") == md


def test_postmortem_of_an_unknown_error(run_cli):
    code, _, err = run_cli("postmortem", "error-5")
    assert code == 2 and "error-5" in err
