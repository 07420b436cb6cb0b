"""integrations.md: parsed with markdown-it-py, edited in place, reviewed against the ledger."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from opsctl.inventory.document import parse
from tests.conftest import REPO
from tests.cli_support import incli  # noqa: F401 - the in-process CLI fixture
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

DOC = textwrap.dedent("""\
    # Integrations

    Notes a person wrote, kept as they are.

    | Service | API tier | Limits | Credential location | Usage monitoring | Backup option |
    |---|---|---|---|---|---|
    | Scraper API | Free | 1000 req/month | `SCRAPER_KEY` in .env | opsctl quota (http) | **Manual** browsing |
    | Geo \\| Maps | Pro | 5/s | vault | none | - |
    | Broken row | only | three |
    |  | empty | service | name | here | x |
    no pipes on this line
    | Scraper API | again | x | x | x | x |

    ```yaml
    services:
      Scraper API:
        usage: {type: manual}
        credential_expires: 2026-12-31
      Ghost API: {}
    ```

    Trailing prose.
""")


def test_parse_table_yaml_and_problems():
    inventory = parse(DOC, Path("integrations.md"))
    names = [i.service for i in inventory.integrations]
    assert names == ["Scraper API", "Geo | Maps"]
    scraper = inventory.integrations[0]
    assert scraper.credential == "SCRAPER_KEY in .env" and scraper.backup == "Manual browsing"
    assert scraper.line == 7 and scraper.config["usage"] == {"type": "manual"}
    assert scraper.public()["credential_expires"] == "2026-12-31"
    problems = {(p["line"], p["service"]): p["problem"] for p in inventory.problems}
    assert "expected 6 cells, found 3" in problems[(9, "Broken row")]
    assert "the Service cell is empty" in problems[(10, None)]
    assert "a line without |" in problems[(11, None)]
    assert "listed twice (first on line 7)" in problems[(12, "Scraper API")]
    assert "no row in the table" in problems[(None, "Ghost API")]


def test_yaml_error_and_missing_table_are_reported():
    bad = parse("# I\n\n| Service |\n|---|\n| A |\n\n```yaml\nservices: [unclosed\n```\n", Path("i.md"))
    assert [i.service for i in bad.integrations] == ["A"]
    assert any("invalid YAML" in p["problem"] and p["line"] for p in bad.problems)
    assert any("no API tier" in p["problem"] for p in bad.problems)  # columns the runbook asks for
    none = parse("# Nothing here\n", Path("i.md"))
    assert "no table with a Service column" in none.problems[0]["problem"]


def test_add_appends_one_row_and_keeps_the_rest(incli, tmp_path):
    path = tmp_path / "integrations.md"
    path.write_text(DOC)
    added = incli.json("integrations", "add", "--service", "Airtable API", "--tier", "Free", "--limits", "5 req/s",
                     "--credential", "AIRTABLE_TOKEN in .env", "--monitoring", "none yet", "--backup", "CSV | email")
    assert added["line"] == 13
    lines = path.read_text().splitlines()
    assert lines[12] == "| Airtable API | Free | 5 req/s | AIRTABLE_TOKEN in .env | none yet | CSV \\| email |"
    assert lines[:12] + lines[13:] == DOC.splitlines()  # nothing else changed
    assert parse(path.read_text(), path).find("airtable api").backup == "CSV | email"
    dup = incli("integrations", "add", "--service", "scraper api")
    assert dup.returncode == 2 and "already in" in dup.stderr


def test_add_creates_the_document_and_marks_the_request_integrated(incli, isolated_home):
    request = incli.json("request-integration", "--tool", "Airtable API", "--purpose", "Client data", "--urgency", "high")
    from opsctl.api.requests import decide_request

    decide_request(request["id"], "approve")
    added = incli.json("integrations", "add", "--service", "Airtable API", "--backup", "CSV", "--request", request["id"])
    assert added["file"] == str(isolated_home / "integrations.md")
    assert added["request"] == {"id": request["id"], "status": "integrated"}
    listed = incli.json("integrations", "list")
    assert [i["service"] for i in listed["integrations"]] == ["Airtable API"] and listed["problems"] == []


def test_concurrent_adds_both_land(cli, tmp_path):
    (tmp_path / "integrations.md").write_text(DOC)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-m", "opsctl", "integrations", "add", "--service", f"API {n}"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in range(4)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    services = [i["service"] for i in cli.json("integrations", "list")["integrations"]]
    assert sorted(services[2:]) == ["API 0", "API 1", "API 2", "API 3"]


def test_check_flags_missing_monitoring_backup_and_unused(incli, tmp_path):
    (tmp_path / "integrations.md").write_text(textwrap.dedent("""\
        | Service | API tier | Limits | Credential location | Usage monitoring | Backup option |
        |---|---|---|---|---|---|
        | Busy API | Free | 10/s | env | opsctl quota | CSV |
        | Quiet API | Free | 10/s | env | opsctl quota | CSV |
        | Bare API | Free | 10/s | env | none | n/a |
        | Job API | Free | 10/s | env | opsctl quota | CSV |
    """))
    (tmp_path / "opsctl.yaml").write_text("jobs:\n  nightly-sync: {uses: [Job API]}\n")
    start, later = {"OPSCTL_NOW": "2026-10-01T00:00:00Z"}, {"OPSCTL_NOW": "2026-11-15T00:00:00Z"}
    incli.json("track-error", "--error-type", "api_limit", "--service", "Busy API", env=start)
    incli.json("track-error", "--error-type", "api_limit", "--service", "busy api", env=later)
    incli.json("track-error", "--error-type", "auth_failure", "--service", "Quiet API", env=start)
    assert incli("run", "nightly-sync", "--", sys.executable, "-c", "pass", env=later).returncode == 0
    result = incli.json("integrations", "check", env={"OPSCTL_NOW": "2026-11-20T00:00:00Z"})
    flags = {i["service"]: i["flags"] for i in result["integrations"]}
    assert flags["Busy API"] == [] and flags["Job API"] == []
    assert flags["Quiet API"] == ["unused for 30 days"]
    assert flags["Bare API"] == ["no usage monitoring", "no backup option", "unused for 30 days"]
    assert result["flagged"] == 2
    human = incli("integrations", "check", env={"OPSCTL_NOW": "2026-11-20T00:00:00Z", "COLUMNS": "200"})
    assert "Bare API" in human.stdout and "Busy API" not in human.stdout


def test_a_new_row_is_not_unused(incli):
    incli.json("integrations", "add", "--service", "New API", "--monitoring", "quota", "--backup", "CSV",
             env={"OPSCTL_NOW": "2026-11-01T00:00:00Z"})
    soon = incli.json("integrations", "check", env={"OPSCTL_NOW": "2026-11-20T00:00:00Z"})
    assert soon["integrations"][0]["flags"] == []
    late = incli.json("integrations", "check", env={"OPSCTL_NOW": "2026-12-20T00:00:00Z"})
    assert late["integrations"][0]["flags"] == ["unused for 30 days"]


def test_repo_inventory_reads_cleanly():
    path = REPO / "integrations.md"
    inventory = parse(path.read_text(), path)
    assert inventory.problems == []
    assert {"Slack", "Notion", "notify_user hook", "Webhooks"} <= {i.service for i in inventory.integrations}
    assert all(i.monitoring and i.backup for i in inventory.integrations)
