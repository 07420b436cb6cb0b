"""Issue #3 delivery targets, measured side by side on loopback fakes.

  python bench/bench_delivery.py [--runs 15] [--processes 50] [--apprise VERSION ...]

1. `opsctl notify-error` delivering to Slack (Web API), Notion and the notify_user hook (a command)
   ≤ 0.5 × `apprise -b "…" json://127.0.0.1:PORT/` sending one notification to a loopback endpoint;
   medians of interleaved runs. Every opsctl run reports a distinct error (a repeat would be
   absorbed as a duplicate and send nothing) and must come back with all three channels `sent`.
2. N concurrent `notify-error` processes with distinct errors: all recorded, all delivered
   (inline or by one `opsctl deliver` afterwards), each message exactly once, no "database is locked".

The fakes are the test suite's (tests/fakes). apprise is the installed one (installed with pip if
missing); `--apprise 1.9.0 2.3.0` times those versions instead, each installed in its own folder,
side by side in the same run (apprise 2.x imports every plugin and is several times slower than
1.9: the version matters). opsctl runs from a compiled copy of the package, as `pip install`
leaves it (see harness.compiled_copy), like apprise and the channels' client libraries.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
from harness import compiled_copy, opsctl_command  # noqa: E402


def apprise_command() -> list[str]:
    script = Path(sys.executable).parent / "apprise"
    if not script.exists() and not shutil.which("apprise"):
        print("installing apprise for the baseline (pip install apprise)…", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "apprise"], check=True)
    return [str(script)] if script.exists() else [shutil.which("apprise")]


def apprise_version_command(version: str, work: Path) -> tuple[list[str], str]:
    """(argv, PYTHONPATH) of apprise==version installed in a folder of its own."""
    folder = work / f"apprise-{version}"
    if not (folder / "apprise").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--target",
                        str(folder), f"apprise=={version}"], check=True)
    return [sys.executable, "-c", "import sys; from apprise.cli import main; sys.exit(main())"], str(folder)


def start_fakes(work: Path):
    from opsctl.channels.notion_schema import ERRORS_PROPERTIES
    from tests.fakes import HookFake, NotionFake, SlackFake

    slack, notion, hook = SlackFake(), NotionFake(), HookFake()
    db = notion.add_database("Errors", {name: {kind: {}} for name, kind in ERRORS_PROPERTIES.items()})
    hook_log = work / "notify_user.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    env.update(
        OPSCTL_HOME=str(work / "home"), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
        SLACK_BOT_TOKEN=slack.token, SLACK_CHANNEL="#general", SLACK_API_URL=slack.api_url,
        NOTION_TOKEN=notion.token, NOTION_API_URL=notion.url, NOTION_ERRORS_DATABASE_ID=db["id"],
        OPSCTL_NOTIFY_USER_CMD=f"tee -a {hook_log}",  # a stand-in for the agent's hook: keeps what it gets
    )
    return slack, notion, hook, env, hook_log


OPSCTL: list[str] = []  # how opsctl is run: set by main() (a compiled copy), else the installed command


def notify_argv(n: int, tag: str = "bench") -> list[str]:
    return (OPSCTL or opsctl_command()) + ["notify-error", "--type", "api_limit", "--service", f"{tag}-service-{n}",
                               "--details", "Free tier limit reached (1000/1000 requests)", "--impact", "blocking",
                               "--options", "New API key", "Upgrade account", "Switch to alternative scraper",
                               "--json"]


def timed(argv: list[str], env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=env.get("OPSCTL_HOME", "/"))
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {argv}\n{proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def side_by_side(runs: int, env: dict, hook_url: str, baselines: dict[str, tuple[list[str], dict]]) -> dict:
    body = ["-b", "Scraper API: free tier limit reached (1000/1000 requests)", hook_url.replace("http://", "json://")]
    samples: dict[str, list[float]] = {name: [] for name in baselines} | {"opsctl": []}
    for n in range(runs + 2):  # two warm-up rounds
        for name, (argv, apprise_env) in baselines.items():
            took, _ = timed(argv + body, apprise_env)
            if n >= 2:
                samples[name].append(took)
        took, out = timed(notify_argv(n), env)
        statuses = {d["channel"]: d["status"] for d in json.loads(out)["deliveries"]}
        if statuses != {"slack": "sent", "notion": "sent", "notify_user": "sent"}:
            raise SystemExit(f"a delivery did not go through: {statuses}")
        if n >= 2:
            samples["opsctl"].append(took)
    return {name: statistics.median(values) for name, values in samples.items()}


def concurrent(count: int, env: dict, slack, notion) -> dict:
    before_msgs, before_pages = len(slack.messages), len(notion.pages)
    started = time.perf_counter()
    procs = [subprocess.Popen(notify_argv(n, "burst"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=env["OPSCTL_HOME"]) for n in range(count)]
    outs = [p.communicate() + (p.returncode,) for p in procs]
    wall = time.perf_counter() - started
    locked = sum("database is locked" in (out + err) for out, err, _ in outs)
    failed = sum(code != 0 for _, _, code in outs)
    inline = Counter(d["status"] for out, _, code in outs if code == 0 for d in json.loads(out)["deliveries"])
    from datetime import datetime, timedelta, timezone

    # what did not fit the budget on a saturated machine is queued; deliver it as cron would, later
    later = (datetime.now(timezone.utc) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    drained = json.loads(subprocess.run((OPSCTL or opsctl_command()) + ["deliver", "--json"], env=dict(env, OPSCTL_NOW=later),
                                        capture_output=True, text=True, cwd=env["OPSCTL_HOME"]).stdout)
    listed = json.loads(subprocess.run((OPSCTL or opsctl_command()) + ["errors", "list", "--limit", "0", "--json"], env=env, capture_output=True,
                                       text=True, cwd=env["OPSCTL_HOME"]).stdout)
    burst_ids = {e["id"] for e in listed["errors"] if e["service"].startswith("burst-")}
    slack_ids = Counter(json.dumps(m.blocks).split("*ID:*\\n")[1].split('"')[0]
                        for m in slack.messages[before_msgs:])
    return {"processes": count, "wall_seconds": round(wall, 2), "exit_nonzero": failed, "database_is_locked": locked,
            "recorded": len(burst_ids), "sent_inline": dict(inline), "sent_by_deliver": drained["sent"],
            "slack_messages": len(slack.messages) - before_msgs,
            "slack_duplicates": sum(c - 1 for c in slack_ids.values() if c > 1),
            "notion_pages": len(notion.pages) - before_pages}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--processes", type=int, default=50)
    parser.add_argument("--apprise", nargs="+", metavar="VERSION", help="apprise versions to time (default: the installed one)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="opsctl-bench-delivery-"))
    slack, notion, hook, env, hook_log = start_fakes(work)
    OPSCTL[:] = [sys.executable, "-m", "opsctl"]
    env["PYTHONPATH"] = str(compiled_copy(ROOT, work / "code"))
    (work / "home").mkdir(exist_ok=True)  # the working folder of every run (`-m opsctl` must not find this checkout)
    if args.apprise:
        baselines = {}
        for version in args.apprise:
            argv, path = apprise_version_command(version, work)
            baselines[f"apprise {version}"] = (argv, dict(env, PYTHONPATH=path))
    else:
        baselines = {"apprise": (apprise_command(), {k: v for k, v in env.items() if k != "PYTHONPATH"})}
    try:
        medians = side_by_side(args.runs, env, hook.hook_url, baselines)
        print("\n## opsctl notify-error → Slack + Notion + notify_user hook vs apprise → one json:// endpoint")
        ratio = 0.0
        for name in baselines:
            print(f"  {name + ' -b … json://…/hook':<46} median {medians[name] * 1000:8.1f} ms")
        for name in baselines:
            ratio = max(ratio, medians["opsctl"] / medians[name])
            print(f"  opsctl notify-error (3 channels, all sent)     median {medians['opsctl'] * 1000:8.1f} ms"
                  f"   {medians['opsctl'] / medians[name]:4.2f}× {name}  (target ≤ 0.5×: "
                  f"{'PASS' if medians['opsctl'] / medians[name] <= 0.5 else 'FAIL'})")
        calls = hook_log.read_text().count('"kind"')
        print(f"  runs: {args.runs} each, interleaved; notify_user hook calls: {calls}")
        burst = concurrent(args.processes, env, slack, notion)
        ok_burst = (burst["exit_nonzero"] == 0 and burst["database_is_locked"] == 0
                    and burst["recorded"] == args.processes and burst["slack_messages"] == args.processes
                    and burst["slack_duplicates"] == 0 and burst["notion_pages"] == args.processes)
        print(f"\n## {args.processes} concurrent notify-error processes, distinct errors")
        for key, value in burst.items():
            print(f"  {key:<20} {value}")
        print(f"  result               {'PASS' if ok_burst else 'FAIL'}")
        return 0 if ratio <= 0.5 and ok_burst else 1
    finally:
        for fake in (slack, notion, hook):
            fake.stop()


if __name__ == "__main__":
    raise SystemExit(main())
