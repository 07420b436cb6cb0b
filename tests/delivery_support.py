"""Shared helpers for the delivery / channel tests (issue 3): env for the fakes, a hook script."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from opsctl.channels.notion_schema import ERRORS_PROPERTIES, IMPROVEMENTS_PROPERTIES, REQUESTS_PROPERTIES

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ISO = "%Y-%m-%dT%H:%M:%SZ"

HOOK = r'''
import json, os, sys, time
mode, out = sys.argv[1], sys.argv[2]
data = sys.stdin.read()
if mode == "hang":
    open(out + ".pid", "w").write(str(os.getpid()))
    time.sleep(60)
if mode == "garbage":
    sys.stdout.write("\x00\xff not json {{{ \n" * 50)
    sys.stderr.write("warning: weird\n")
with open(out, "a") as f:
    f.write(json.dumps({"payload": json.loads(data), "event": os.environ.get("OPSCTL_EVENT"),
                        "delivery": os.environ.get("OPSCTL_DELIVERY_ID")}) + "\n")
if mode == "fail":
    sys.stderr.write("token=abcdef123456 hook broke\n")
    sys.exit(3)
'''


def iso(moment: datetime) -> str:
    return moment.strftime(ISO)


def later(**delta) -> str:
    return iso(T0 + timedelta(**delta))


class Hook:
    """A notify_user command: `python hook.py MODE OUT`; `calls()` reads what it received."""

    def __init__(self, folder: Path):
        self.script = folder / "hook.py"
        self.script.write_text(HOOK, encoding="utf-8")
        self.out = folder / "hook-calls.jsonl"

    def command(self, mode: str = "ok") -> str:
        python = f'"{sys.executable}" "{self.script}" {mode} "{self.out}"'
        if mode == "hang":  # the pid is written by sh within milliseconds, however slowly Python starts
            return f"""sh -c 'echo $$ > "{self.out}.pid"; exec {python}'"""
        return python

    def calls(self) -> list[dict]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def hook(tmp_path, monkeypatch) -> Hook:
    made = Hook(tmp_path)
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_CMD", made.command())
    return made


def props(spec: dict) -> dict:
    return {name: {kind: {}} for name, kind in spec.items()}


@pytest.fixture
def slack_env(fake_slack, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("SLACK_CHANNEL", "#general")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    return fake_slack


@pytest.fixture
def notion_env(fake_notion, monkeypatch):
    dbs = {name: fake_notion.add_database(title, props(spec))
           for name, title, spec in (("errors", "Errors", ERRORS_PROPERTIES),
                                     ("requests", "Requests", REQUESTS_PROPERTIES),
                                     ("improvements", "Improvements", IMPROVEMENTS_PROPERTIES))}
    monkeypatch.setenv("NOTION_TOKEN", fake_notion.token)
    monkeypatch.setenv("NOTION_API_URL", fake_notion.url)
    monkeypatch.setenv("NOTION_ERRORS_DATABASE_ID", dbs["errors"]["id"].replace("-", ""))
    monkeypatch.setenv("NOTION_REQUESTS_DATABASE_ID", dbs["requests"]["id"])
    monkeypatch.setenv("NOTION_IMPROVEMENTS_DATABASE_ID", dbs["improvements"]["id"])
    fake_notion.dbs = dbs
    return fake_notion


def pages_in(fake_notion, db_name: str) -> list[dict]:
    db = fake_notion.dbs[db_name]
    source = db["data_sources"][0]["id"]
    return [p for p in fake_notion.pages.values() if p["parent"].get("data_source_id") == source]


def write_config(text: str) -> None:
    Path("opsctl.yaml").write_text(text, encoding="utf-8")  # tests run in their own tmp cwd


def deliveries(result: dict) -> dict:
    return {d["channel"]: d["status"] for d in result["deliveries"]}


def blocking(**overrides) -> dict:
    args = dict(type="api_limit", service="Scraper API", details="Free tier limit reached (1000/1000 requests)",
                impact="blocking", options=["New API key", "Upgrade account", "Switch to alternative scraper"],
                project="AU Real Estate Research")
    args.update(overrides)
    return args


def outbox_rows(status: str | None = None) -> list[dict]:
    from opsctl.api.outbox import list_deliveries

    return list_deliveries(status=status, limit=None)


NOTIFY_ARGS = ["notify-error", "--type", "api_limit", "--service", "Scraper API", "--details",
               "Free tier limit reached (1000/1000 requests)", "--impact", "blocking", "--options", "New API key",
               "Upgrade account", "--project", "AU Real Estate Research"]
