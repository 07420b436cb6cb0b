"""Rich markup in user text is shown literally, never interpreted (and never crashes a view)."""

from __future__ import annotations

import pytest

DETAILS = "GET [/api/users] returned 500"


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # no folding inside table cells


@pytest.fixture
def made(run_cli):
    code, out, err = run_cli("notify-error", "--type", "system_error", "--service", "[bold]x[/bold]",
                             "--details", DETAILS, "--impact", "warning", "--project", "[red]p[/red]")
    assert code == 0, err
    return run_cli


@pytest.mark.parametrize("args", [("errors", "show", "1"), ("errors", "list"), ("stats",)])
def test_markup_in_stored_text_renders_literally(made, args):
    code, out, err = made(*args)
    assert code == 0, err
    assert "MarkupError" not in err
    assert "[bold]x[/bold]" in out
    if args[:2] == ("errors", "show"):
        assert DETAILS in out


def test_requests_and_improvements_render_literally(run_cli):
    code, _, err = run_cli("request-integration", "--tool", "[/tool]", "--purpose", "[bold]p[/bold]", "--urgency", "high")
    assert code == 0, err
    code, out, err = run_cli("requests", "show", "1")
    assert code == 0, err
    assert "[/tool]" in out and "[bold]p[/bold]" in out
    code, out, err = run_cli("requests", "list")
    assert code == 0, err
