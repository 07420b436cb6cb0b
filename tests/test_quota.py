"""`opsctl quota check|record|list` against loopback usage endpoints, with time moved by OPSCTL_NOW."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from tests.fakes.usage import UsageFake

from tests.ledger_support import stored_bytes

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

PY = sys.executable
HEADER = """# Integrations

| Service | API tier | Limits | Credential location | Usage monitoring | Backup option |
|---|---|---|---|---|---|
"""


@pytest.fixture
def usage(loopback_env):
    with UsageFake() as fake:
        yield fake
    assert not fake.errors


def inventory(tmp_path, rows: list[str], services: dict) -> None:
    block = json.dumps({"services": services})  # JSON is YAML
    (tmp_path / "integrations.md").write_text(HEADER + "\n".join(rows) + f"\n\n```yaml\n{block}\n```\n")


def row(service: str, backup: str = "Manual export") -> str:
    return f"| {service} | Free | 1000 requests/month | `KEY` in .env | opsctl quota | {backup} |"


def by_service(result: dict, kind: str = "usage") -> dict:
    return {r["service"]: r for r in result["results"] if r["kind"] == kind}


def errors(cli) -> dict:
    return {(e["type"], e["service"]): e for e in cli.json("errors", "list", "--status", "all")["errors"]}


def test_warns_at_80_blocks_at_100_and_forecasts(cli, tmp_path, usage):
    usage.set("/ok", {"usage": {"used": 100, "limit": 1000}})
    usage.set("/busy", {"usage": {"used": 600, "limit": 1000, "period_end": "2026-12-20T00:00:00Z"}})
    usage.set("/full", {"data": [{"count": 1000}], "max": 1000})
    inventory(tmp_path, [row("Geo API"), row("Scraper API", "Switch to the backup scraper"), row("Mail API")], {
        "Geo API": {"usage": {"type": "http", "url": usage.url + "/ok", "used": "usage.used", "limit": "usage.limit"}},
        "Scraper API": {"usage": {"type": "http", "url": usage.url + "/busy", "used": "usage.used",
                                  "limit": "usage.limit", "resets_at": "usage.period_end"}},
        "Mail API": {"usage": {"type": "http", "url": usage.url + "/full", "used": "data[0].count", "limit": "max"}},
    })
    day1 = cli.json("quota", "check", env={"OPSCTL_NOW": "2026-11-20T09:00:00Z"})
    assert by_service(day1)["Scraper API"]["status"] == "ok"
    usage.set("/busy", {"usage": {"used": 700, "limit": 1000, "period_end": "2026-12-20T00:00:00Z"}})
    cli.json("quota", "check", env={"OPSCTL_NOW": "2026-11-22T09:00:00Z"})
    usage.set("/busy", {"usage": {"used": 850, "limit": 1000, "period_end": "2026-12-20T00:00:00Z"}})
    result = cli.json("quota", "check", env={"OPSCTL_NOW": "2026-11-24T09:00:00Z"})

    found = by_service(result)
    assert (found["Geo API"]["status"], found["Geo API"]["percent"]) == ("ok", 10.0)
    assert (found["Scraper API"]["status"], found["Scraper API"]["percent"]) == ("warning", 85.0)
    assert found["Mail API"]["status"] == "blocking"
    # 600 -> 700 -> 850 over 4 days: 62.5/day, 150 left -> 26 Nov; the reset is 20 Dec
    assert found["Scraper API"]["forecast_text"] == "at this rate the limit is reached on 26 Nov, 23 days before reset"
    assert result["summary"] == {"checked": 3, "ok": 1, "warning": 1, "blocking": 1}

    ledger = errors(cli)
    warning = ledger[("api_limit_warning", "Scraper API")]
    assert warning["impact"] == "warning" and warning["status"] == "escalated"
    assert "850 of 1,000 used (85%)" in warning["details"]
    assert "at this rate the limit is reached on 26 Nov, 23 days before reset" in warning["details"]
    assert "Switch to the backup: Switch to the backup scraper" in warning["options"]
    blocking = ledger[("api_limit", "Mail API")]
    assert blocking["impact"] == "blocking" and "limit reached" in blocking["details"]

    usage.set("/busy", {"usage": {"used": 20, "limit": 1000}})  # the quota was reset
    cli.json("quota", "check", env={"OPSCTL_NOW": "2026-12-21T09:00:00Z"})
    resolved = cli.json("errors", "show", warning["id"])
    assert resolved["status"] == "resolved" and resolved["solution"].startswith("usage back to 2%")


def test_headers_and_command_sources_and_auth_from_env(cli, tmp_path, usage):
    usage.set("/ping", {"pong": True}, headers={"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "400",
                                                 "X-RateLimit-Reset": "1893456000"})
    usage.set("/usage", {"used": 10, "limit": 100})
    script = tmp_path / "usage.py"
    script.write_text("import json; print(json.dumps({'stats': {'sent': 90}, 'quota': 100}))")
    inventory(tmp_path, [row("Maps API"), row("SMS API"), row("Auth API")], {
        "Maps API": {"usage": {"type": "headers", "url": usage.url + "/ping", "auth_env": "MAPS_KEY"}},
        "SMS API": {"usage": {"type": "command", "command": [PY, str(script)], "used": "stats.sent", "limit": "quota"}},
        "Auth API": {"usage": {"type": "http", "url": usage.url + "/usage", "auth_env": "AUTH_KEY",
                               "auth_header": "X-Api-Key", "auth_scheme": ""}},
    })
    proc = cli("quota", "check", "--json", env={"MAPS_KEY": "maps-s3cret-value", "AUTH_KEY": "raw-s3cret"})
    assert proc.returncode == 0, proc.stderr
    found = by_service(json.loads(proc.stdout))
    assert (found["Maps API"]["used"], found["Maps API"]["limit"], found["Maps API"]["status"]) == (4600, 5000, "warning")
    assert found["Maps API"]["resets_at"].startswith("2030-01-01")
    assert (found["SMS API"]["percent"], found["SMS API"]["status"]) == (90.0, "warning")
    assert found["Auth API"]["status"] == "ok"
    sent = {r.path: r for r in usage.requests}
    assert sent["/ping"].header("authorization") == "Bearer maps-s3cret-value"
    assert sent["/usage"].header("x-api-key") == "raw-s3cret"
    assert "s3cret" not in proc.stdout + proc.stderr
    stored = stored_bytes(cli.cwd / "opsctl-home")
    assert b"s3cret" not in stored and b"Maps API" in stored  # the ledger (and its WAL) holds no secret


def test_broken_sources_fail_alone_naming_service_and_problem(cli, tmp_path, usage):
    usage.set("/good", {"used": 1, "limit": 10})
    usage.set("/html", "<html>Bad gateway</html>", status=200)
    usage.set("/slow", {"used": 1, "limit": 10})
    usage.hang_next("/slow", seconds=5)
    usage.set("/nolimit", {"used": 5})
    inventory(tmp_path, [row("Good API"), row("Html API"), row("Slow API"), row("Partial API"), row("Keyless API"),
                         row("Weird API")], {
        "Good API": {"usage": {"url": usage.url + "/good"}},
        "Html API": {"usage": {"url": usage.url + "/html"}},
        "Slow API": {"usage": {"url": usage.url + "/slow", "timeout": 0.5}},
        "Partial API": {"usage": {"url": usage.url + "/nolimit"}},
        "Keyless API": {"usage": {"url": usage.url + "/good", "auth_env": "MISSING_KEY"}},
        "Weird API": {"usage": {"type": "carrier-pigeon"}},
    })
    result = cli.json("quota", "check")
    found = by_service(result)
    assert found["Good API"]["status"] == "ok"
    assert found["Html API"]["status"] == "failed" and "not JSON" in found["Html API"]["problem"]
    assert found["Slow API"]["status"] == "failed" and "no answer within 0.5s" in found["Slow API"]["problem"]
    assert "need two of used, limit, remaining" in found["Partial API"]["problem"]
    assert "MISSING_KEY is not set" in found["Keyless API"]["problem"]
    assert "invalid usage type 'carrier-pigeon'" in found["Weird API"]["problem"]
    ledger = errors(cli)
    assert "quota check for Html API failed" in ledger[("system_error", "Html API")]["details"]
    assert ledger[("system_error", "Slow API")]["impact"] == "warning"
    usage.set("/html", {"used": 1, "limit": 10})
    again = by_service(cli.json("quota", "check", "--service", "Html API"))
    assert again["Html API"]["status"] == "ok" and again["Html API"]["resolved"]
    assert cli.json("quota", "list")["count"] == 6


def test_expiring_credentials_warn_then_block_then_resolve_when_renewed(cli, tmp_path):
    services = {"Scraper API": {"credential_expires": "2026-12-01"}, "Slack": {"credential_expires": "2027-06-01"}}
    inventory(tmp_path, [row("Scraper API"), row("Slack")], services)
    early = by_service(cli.json("quota", "check", env={"OPSCTL_NOW": "2026-11-01T00:00:00Z"}), "credential")
    assert early["Scraper API"]["status"] == "ok" and early["Slack"]["status"] == "ok"
    soon = by_service(cli.json("quota", "check", env={"OPSCTL_NOW": "2026-11-20T00:00:00Z"}), "credential")
    assert soon["Scraper API"]["status"] == "warning" and soon["Scraper API"]["days_left"] == 11
    error = errors(cli)[("auth_failure", "Scraper API")]
    assert error["impact"] == "warning" and "expires on 1 Dec (in 11 days)" in error["details"]
    gone = by_service(cli.json("quota", "check", env={"OPSCTL_NOW": "2026-12-02T00:00:00Z"}), "credential")
    assert gone["Scraper API"]["status"] == "blocking"
    assert errors(cli)[("auth_failure", "Scraper API")]["impact"] == "blocking"
    services["Scraper API"]["credential_expires"] = "2027-12-01"
    inventory(tmp_path, [row("Scraper API"), row("Slack")], services)
    renewed = by_service(cli.json("quota", "check", env={"OPSCTL_NOW": "2026-12-02T01:00:00Z"}), "credential")
    assert renewed["Scraper API"]["resolved"] == [error["id"]]


def test_record_by_hand_warns_then_blocks_superseding_the_warning(cli, tmp_path):
    inventory(tmp_path, [row("Scraper API")], {"Scraper API": {"warn_at": "75%"}})
    first = cli.json("quota", "record", "Scraper API", "--used", "760", "--limit", "1000")
    assert first["status"] == "warning"
    warning = first["error"]["id"]
    full = cli.json("quota", "record", "scraper api", "--remaining", "0", "--limit", "1000")
    assert full["status"] == "blocking" and full["service"] == "Scraper API"
    assert cli.json("errors", "show", warning)["status"] == "resolved"
    checked = by_service(cli.json("quota", "check"))
    assert checked["Scraper API"]["source"] == "manual" and checked["Scraper API"]["status"] == "blocking"


def test_record_rejects_bad_input_and_writes_nothing(cli):
    for args in (["--used", "5"], ["--used", "-1", "--limit", "5"], ["--used", "1", "--limit", "0"],
                 ["--used", "1", "--limit", "5", "--resets-at", "someday"]):
        proc = cli("quota", "record", "X", *args)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr
    assert cli.json("quota", "list")["quotas"] == []


def test_unparsable_inventory_row_is_reported_and_others_checked(cli, tmp_path, usage):
    usage.set("/good", {"used": 1, "limit": 10})
    (tmp_path / "integrations.md").write_text(HEADER + textwrap.dedent(f"""\
        | Good API | Free | 10/day | env | quota | none |
        | Broken API | Free | only three cells |
        | Other API | Free | 5/s | env | quota | CSV |

        ```yaml
        services:
          Good API: {{usage: {{url: "{usage.url}/good"}}}}
        ```
    """))
    result = cli.json("quota", "check")
    assert by_service(result)["Good API"]["status"] == "ok"
    [problem] = result["problems"]
    assert problem["line"] == 6 and problem["service"] == "Broken API"
    assert "expected 6 cells, found 3" in problem["problem"]
    error = errors(cli)[("system_error", "integrations.md")]
    assert "line 6" in error["details"]


def test_human_output_and_quiet(cli, tmp_path, usage):
    usage.set("/ok", {"used": 1, "limit": 10})
    usage.set("/hot", {"used": 9, "limit": 10})
    inventory(tmp_path, [row("Cool API"), row("Hot API")], {"Cool API": {"usage": {"url": usage.url + "/ok"}},
                                                             "Hot API": {"usage": {"url": usage.url + "/hot"}}})
    wide = {"COLUMNS": "200"}
    proc = cli("quota", "check", env=wide)
    assert proc.returncode == 0 and "Cool API" in proc.stdout and "Hot API" in proc.stdout
    assert "API limit warning" in proc.stderr or "api_limit_warning" in proc.stderr  # shown: no channel configured
    quiet = cli("quota", "check", "--quiet", env=wide)
    assert "Cool API" not in quiet.stdout and "Hot API" in quiet.stdout


def test_forecast_unit():
    from opsctl.quota.forecast import forecast

    rows = [{"used": u, "limit_value": 100, "at": f"2026-03-0{d}T00:00:00Z", "resets_at": None}
            for d, u in ((1, 10), (2, 20), (3, 30))]
    outlook = forecast(rows, "2026-04-01T00:00:00Z")
    assert round(outlook.rate_per_day) == 10
    assert outlook.exhausted_at.isoformat().startswith("2026-03-10")
    assert outlook.public()["days_before_reset"] == 22.0
    assert forecast(rows[:1]) is None
    assert forecast([dict(r, used=5) for r in rows]) is None  # flat usage: no date
    after_reset = rows + [{"used": 1, "limit_value": 100, "at": "2026-03-04T00:00:00Z", "resets_at": None}]
    assert forecast(after_reset) is None  # only one reading since the reset


def test_progress_bar_only_on_a_terminal(cli, tmp_path, usage):
    import os
    import pty

    from tests.conftest import REPO

    usage.set("/ok", {"used": 1, "limit": 10})
    inventory(tmp_path, [row("Cool API")], {"Cool API": {"usage": {"url": usage.url + "/ok"}}})
    piped = cli("quota", "check")
    assert "checking quotas" not in piped.stderr + piped.stdout
    pid, fd = pty.fork()
    if pid == 0:  # the child: opsctl on a terminal
        os.chdir(tmp_path)
        os.environ["PYTHONPATH"] = str(REPO)
        os.execv(sys.executable, [sys.executable, "-m", "opsctl", "quota", "check"])
    seen = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal closed: the child is done
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"checking quotas" in seen and b"Cool API" in seen
