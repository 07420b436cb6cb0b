"""Kill trials: real `opsctl` processes killed with SIGKILL at seeded random moments.

Used by tests/test_kill.py (a few trials) and bench/kill_trials.py (hundreds). Each trial has its
own ledger (an SQLite file, or a fresh PostgreSQL database when `fresh_db` is given) and its own
service name; the first trial runs to the end unkilled and its duration spreads the kills of the
others over the command's whole life, however loaded the machine is. The fakes (Slack Web API, Notion, the notify_user URL) count
what really arrived. After the kill, recovery is what cron does: `opsctl tick` / `opsctl deliver`
once the dead process's claims have expired. Then, per channel: lost = notifications that never
arrived, duplicates = arrivals beyond the first.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from opsctl.channels.notion_schema import ERRORS_PROPERTIES, IMPROVEMENTS_PROPERTIES, REQUESTS_PROPERTIES

REPO = Path(__file__).resolve().parent.parent
T0 = "2026-03-02T09:00:00Z"
DUE = "2026-03-02T09:06:00Z"  # a blocking error's first escalation is due 5 minutes after the notice
LATER = "2026-03-02T09:09:00Z"  # past the lease of any claim the killed process held (lease: 35 s)
MUCH_LATER = "2026-03-02T09:11:00Z"
CHANNELS = ("slack", "notion", "notify_user")


@dataclass
class Fakes:
    slack: object
    notion: object
    hook: object
    env: dict = field(default_factory=dict)

    def stop(self) -> None:
        for fake in (self.slack, self.notion, self.hook):
            fake.stop()


def start_fakes() -> Fakes:
    from tests.fakes import HookFake, NotionFake, SlackFake

    slack, notion, hook = SlackFake(), NotionFake(), HookFake()
    dbs = {name: notion.add_database(title, {k: {v: {}} for k, v in spec.items()})
           for name, title, spec in (("errors", "Errors", ERRORS_PROPERTIES), ("requests", "Requests", REQUESTS_PROPERTIES),
                                     ("improvements", "Improvements", IMPROVEMENTS_PROPERTIES))}
    env = {"SLACK_BOT_TOKEN": slack.token, "SLACK_CHANNEL": "#general", "SLACK_API_URL": slack.api_url,
           "NOTION_TOKEN": notion.token, "NOTION_API_URL": notion.url,
           "NOTION_ERRORS_DATABASE_ID": dbs["errors"]["id"], "NOTION_REQUESTS_DATABASE_ID": dbs["requests"]["id"],
           "NOTION_IMPROVEMENTS_DATABASE_ID": dbs["improvements"]["id"], "OPSCTL_NOTIFY_USER_URL": hook.hook_url,
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    return Fakes(slack, notion, hook, env)


def _base_env(fakes: Fakes, home: Path, at: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    env.update(fakes.env, PYTHONPATH=str(REPO), OPSCTL_HOME=str(home), OPSCTL_NOW=at)
    db = (home / "db-url").read_text() if (home / "db-url").exists() else None
    if db:
        env["OPSCTL_DB"] = db
    return env


def opsctl(fakes: Fakes, home: Path, at: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "opsctl", *args], env=_base_env(fakes, home, at), cwd=home,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def notify_args(service: str) -> list[str]:
    return ["notify-error", "--type", "api_limit", "--service", service, "--details", "limit reached",
            "--impact", "blocking", "--options", "New API key", "Upgrade account"]


def _run(proc: subprocess.Popen) -> None:
    proc.wait(timeout=120)


def _kill_at(proc: subprocess.Popen, delay: float | None) -> bool:
    """SIGKILL after `delay` seconds (of the process's life; None: never); True when it was still running."""
    try:
        proc.wait(timeout=120 if delay is None else delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def _hook_calls(fakes: Fakes, service: str, purpose: str) -> int:
    return sum(1 for body in fakes.hook.bodies if isinstance(body, dict) and body.get("service") == service
               and body.get("purpose") == purpose)


def _slack_top(fakes: Fakes, service: str) -> list:
    return [m for m in fakes.slack.messages if m.thread_ts is None and service in json.dumps(m.blocks)]


def _notion_pages(fakes: Fakes, service: str) -> int:
    return sum(1 for p in fakes.notion.pages.values() if service in json.dumps(p["properties"]))


def counts(fakes: Fakes, service: str, command: str) -> dict[str, int]:
    """How many times each channel got the notification this trial is about."""
    if command == "tick":  # the escalation: a Slack thread reply, a hook call; Notion updates its one page
        tops = _slack_top(fakes, service)
        replies = sum(len(fakes.slack.replies(m.ts)) for m in tops)
        return {"slack": replies, "notion": _notion_pages(fakes, service),
                "notify_user": _hook_calls(fakes, service, "escalation")}
    return {"slack": len(_slack_top(fakes, service)), "notion": _notion_pages(fakes, service),
            "notify_user": _hook_calls(fakes, service, "notify")}


def trial(fakes: Fakes, folder: Path, command: str, seed: int, max_delay: float | None, db: str | None = None) -> dict:
    """One seeded trial (max_delay None: not killed); returns {"killed": bool, "seconds": …, channel: count, …}."""
    rng = random.Random(seed)
    home = folder / f"{command}-{seed}"
    home.mkdir(parents=True)
    if db:
        (home / "db-url").write_text(db)
    service = f"svc-{command}-{seed}"
    delay = None if max_delay is None else rng.uniform(0.0, max_delay)
    started = time.monotonic()
    if command == "notify-error":
        killed = _kill_at(opsctl(fakes, home, T0, *notify_args(service)), delay)
        _run(opsctl(fakes, home, T0, "tick"))
    elif command == "deliver":
        fakes.slack.fail_next("chat.postMessage", status=503, times=3)  # the first notice is left for deliver
        fakes.notion.fail_next("pages.create", status=503, times=3)
        fakes.hook.fail_next("*", status=503, times=3)
        _run(opsctl(fakes, home, T0, *notify_args(service)))
        fakes.slack.clear_faults(), fakes.notion.clear_faults(), fakes.hook.clear_faults()
        killed = _kill_at(opsctl(fakes, home, LATER, "deliver"), delay)
    elif command == "tick":
        _run(opsctl(fakes, home, T0, *notify_args(service)))
        killed = _kill_at(opsctl(fakes, home, DUE, "tick"), delay)
        _run(opsctl(fakes, home, DUE, "tick"))  # the next minute's cron (the timer was claimed or not)
    else:
        raise ValueError(command)
    seconds = time.monotonic() - started
    _run(opsctl(fakes, home, MUCH_LATER if command != "tick" else LATER, "deliver"))  # claims of the dead: taken over
    if command == "tick":
        _run(opsctl(fakes, home, MUCH_LATER, "deliver"))
    return {"killed": killed, "seconds": seconds, "recorded": _recorded(home, db), **counts(fakes, service, command)}


def _recorded(home: Path, db: str | None) -> bool:
    """Did the error reach the ledger? (A process killed before its commit reported nothing: exit ≠ 0.)"""
    import sqlite3

    if db:
        import psycopg

        with psycopg.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM errors").fetchone()[0] > 0
    path = home / "ledger.db"
    if not path.exists():
        return False
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM errors").fetchone()[0] > 0
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def summarize(results: list[dict]) -> dict:
    out = {"trials": len(results), "killed_while_running": sum(r["killed"] for r in results),
           "recorded": sum(r["recorded"] for r in results)}
    for channel in CHANNELS:
        out[f"{channel}_lost"] = sum(1 for r in results if r["recorded"] and r[channel] == 0)
        out[f"{channel}_duplicates"] = sum(max(0, r[channel] - 1) for r in results)
    return out


def run_trials(command: str, trials: int, *, seed: int = 1, max_delay: float | None = None, folder: Path,
               fresh_db=None) -> dict:
    """`trials` trials; kills fall within `max_delay` seconds, by default 1.2 × the unkilled first trial's
    duration (the first trial covers the part of the command before the kill: it must record)."""
    fakes = start_fakes()
    try:
        first = trial(fakes, folder, command, seed * 100_000, None, fresh_db() if fresh_db else None)
        spread = max_delay if max_delay is not None else 1.2 * first["seconds"]
        results = [first] + [trial(fakes, folder, command, seed * 100_000 + n, spread, fresh_db() if fresh_db else None)
                             for n in range(1, trials)]
    finally:
        fakes.stop()
    return summarize(results)


def now_ms() -> float:
    return time.monotonic() * 1000
