"""PostgreSQL-only behaviour: many hosts on one database, ledger info/copy, unreachable servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from opsctl.ledger import connect, lock, transaction
from tests.conftest import REPO
from tests.support import wait_for


def _env(home: Path, url: str) -> dict:
    return dict(os.environ, PYTHONPATH=str(REPO), OPSCTL_HOME=str(home), OPSCTL_DB=url)


def _opsctl(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "opsctl", *args, "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_forty_concurrent_reports_from_two_hosts_make_one_error(pg_server, tmp_path):
    url = pg_server.fresh()
    hosts = [_env(tmp_path / "host-a", url), _env(tmp_path / "host-b", url)]
    procs = [_opsctl("track-error", "--error-type", "api_limit", "--service", "Scraper API",
                     "--details", "limit", env=hosts[i % 2]) for i in range(40)]
    outs = [proc.communicate(timeout=120) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err for _, err in outs if err]
    ids = {json.loads(out)["id"] for out, _ in outs}
    assert ids == {"error-1"}
    conn = connect(url)
    row = conn.execute("SELECT count(*) AS n, max(occurrences) AS occ FROM errors").fetchone()
    assert (row["n"], row["occ"]) == (1, 40)


def _waiting_on_a_lock(conn, *, besides: int) -> int:
    """Backends of this database (other than `besides`) blocked on a lock right now."""
    return conn.execute("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock' AND pid <> ?", (besides,)).fetchone()["n"]


def _report(service: str) -> dict:
    return {"type": "api_limit", "service": service, "details": "held open", "impact": "warning", "options": [],
            "project": None, "recommendation": None, "source": "test"}


def test_a_report_is_not_held_up_by_a_write_to_another_error(pg_server, tmp_path):
    """No global writer lock: only writers of the SAME error take turns (its fingerprint, its row)."""
    from opsctl.ledger import errors_table

    url = pg_server.fresh()
    env = _env(tmp_path / "host-b", url)
    track = ["track-error", "--error-type", "api_limit", "--details", "x", "--service"]
    assert subprocess.run([sys.executable, "-m", "opsctl", *track, "svc-a"], env=env, timeout=60).returncode == 0
    holder, watcher = connect(url), connect(url)
    holder_pid = holder.raw.info.backend_pid
    with transaction(holder):  # host A is in the middle of recording a report about svc-a
        errors_table.record(holder, _report("svc-a"), at="2026-03-02T09:00:00Z", actor="host-a")
        other = _opsctl(*track, "svc-b", env=env)
        wait_for(lambda: other.poll() is not None or _waiting_on_a_lock(watcher, besides=holder_pid))
        assert other.poll() == 0, "a report about svc-b waited for a transaction about svc-a"
        assert json.loads(other.stdout.read())["id"] == "error-2"
        same = _opsctl(*track, "svc-a", env=env)
        wait_for(lambda: _waiting_on_a_lock(watcher, besides=holder_pid) or same.poll() is not None)
        assert same.poll() is None, "a second report about svc-a must wait for the first"
    out, err = same.communicate(timeout=60)
    assert same.returncode == 0, err
    assert json.loads(out)["id"] == "error-1" and json.loads(out)["occurrences"] == 3


def test_requests_for_one_tool_from_two_hosts_make_one_request(pg_server, tmp_path):
    url = pg_server.fresh()
    hosts = [_env(tmp_path / "host-a", url), _env(tmp_path / "host-b", url)]
    procs = [_opsctl("request-integration", "--tool", "Airtable API", "--purpose", "sync", env=hosts[i % 2])
             for i in range(20)]
    outs = [proc.communicate(timeout=120) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err for _, err in outs if err]
    assert {json.loads(out)["id"] for out, _ in outs} == {"req-1"}
    row = connect(url).execute("SELECT count(*) AS n, max(asks) AS asks FROM requests").fetchone()
    assert (row["n"], row["asks"]) == (1, 20)


def test_an_ask_for_a_tool_another_host_is_requesting_waits_and_is_counted(pg_server, tmp_path):
    from opsctl.ledger import requests_table

    url = pg_server.fresh()
    holder, watcher = connect(url), connect(url)
    ask = {"tool": "Airtable API", "purpose": "sync", "alternatives": None, "urgency": "high", "cost": None}
    with transaction(holder):  # host A has written req-1 and not committed yet
        requests_table.record(holder, ask, at="2026-03-02T09:00:00Z", actor="host-a")
        again = _opsctl("request-integration", "--tool", "airtable api", "--purpose", "sync",
                        env=_env(tmp_path / "host-b", url))
        wait_for(lambda: _waiting_on_a_lock(watcher, besides=holder.raw.info.backend_pid) or again.poll() is not None)
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert json.loads(out)["id"] == "req-1" and json.loads(out)["asks"] == 2


def test_a_report_of_a_problem_another_host_is_recording_is_folded_into_it(pg_server, tmp_path):
    from opsctl.ledger import errors_table

    url = pg_server.fresh()
    env = _env(tmp_path / "host-b", url)
    holder, watcher = connect(url), connect(url)
    with transaction(holder):  # host A has written error-1 and not committed yet
        errors_table.record(holder, _report("svc-a"), at="2026-03-02T09:00:00Z", actor="host-a")
        same = _opsctl("track-error", "--error-type", "api_limit", "--service", "SVC-A", "--details", "x", env=env)
        wait_for(lambda: _waiting_on_a_lock(watcher, besides=holder.raw.info.backend_pid) or same.poll() is not None)
    out, err = same.communicate(timeout=60)
    assert same.returncode == 0, err
    assert (json.loads(out)["id"], json.loads(out)["occurrences"]) == ("error-1", 2)
    new = subprocess.run([sys.executable, "-m", "opsctl", "track-error", "--error-type", "api_limit", "--service",
                          "svc-b", "--details", "x", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(new.stdout)["id"] == "error-2"  # the reports took turns: no id was used up by a clash


def test_a_transaction_undone_by_a_deadlock_runs_again(pg_server):
    from opsctl.ledger import kv_table, retrying

    conn = connect(pg_server.fresh())
    tries = []

    def work():
        tries.append(1)
        kv_table.put(conn, "k", str(len(tries)), at="2026-03-02T09:00:00Z")
        if len(tries) == 1:  # what the server says to the transaction it picks to break a deadlock
            conn.execute("DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$")
        return "done"

    assert retrying(conn, work) == "done"
    assert len(tries) == 2
    assert kv_table.get(conn, "k") == "2"


def test_metrics_count_a_row_that_commits_after_a_higher_id(pg_server):
    """Ids are handed out before COMMIT: error-1 may become visible after error-2 did."""
    import threading

    from opsctl.ledger import errors_table
    from opsctl.ledger.rollups import errors_by_type

    url = pg_server.fresh()
    first, second, reader = connect(url), connect(url), connect(url)
    with transaction(first):
        errors_table.record(first, _report("svc-a"), at="2026-03-02T09:00:00Z", actor="a")  # error-1, not committed
        with transaction(second):
            errors_table.record(second, _report("svc-b"), at="2026-03-02T09:00:00Z", actor="b")  # error-2
        seen = {}
        scrape = threading.Thread(target=lambda: seen.update(errors_by_type(reader)))
        scrape.start()
        wait_for(lambda: not scrape.is_alive() or _waiting_on_a_lock(second, besides=first.raw.info.backend_pid))
    scrape.join()
    assert seen["api_limit"] == 2
    assert errors_by_type(connect(url))["api_limit"] == 2


def test_wait_on_one_host_ends_when_decide_runs_on_the_other(pg_server, tmp_path):
    url = pg_server.fresh()
    a, b = _env(tmp_path / "host-a", url), _env(tmp_path / "host-b", url)
    made = subprocess.run([sys.executable, "-m", "opsctl", "notify-error", "--type", "api_limit", "--service", "X",
                           "--details", "d", "--impact", "blocking", "--options", "Key", "Upgrade", "--json"],
                          env=a, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    # a long poll interval: only the NOTIFY can end this wait promptly
    waiter = _opsctl("wait", "error-1", "--timeout", "120", "--interval", "100", env=a)
    conn = connect(url)
    wait_for(lambda: conn.execute("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'opsctl'"
                                          " AND state = 'idle' AND query LIKE 'SELECT * FROM errors WHERE id%'")
             .fetchone()["n"])
    decided = subprocess.run([sys.executable, "-m", "opsctl", "decide", "error-1", "2", "--json"],
                             env=b, capture_output=True, text=True, timeout=60)
    assert decided.returncode == 0, decided.stderr
    out, err = waiter.communicate(timeout=60)
    result = json.loads(out)
    assert result["answered"] is True and result["option"] == "Upgrade", err
    assert result["waited_seconds"] < 100


def test_ids_are_shared_by_all_hosts(pg_server, tmp_path):
    url = pg_server.fresh()
    for i, home in enumerate(("host-a", "host-b", "host-a")):
        proc = subprocess.run([sys.executable, "-m", "opsctl", "track-error", "--error-type", "system_error",
                               "--service", f"svc-{i}", "--details", "x", "--json"],
                              env=_env(tmp_path / home, url), capture_output=True, text=True, timeout=60)
        assert json.loads(proc.stdout)["id"] == f"error-{i + 1}"


def test_migrations_run_once_when_many_processes_open_a_new_database(pg_server, tmp_path):
    url = pg_server.empty()
    env = _env(tmp_path / "h", url)
    procs = [_opsctl("ledger", "info", env=env) for _ in range(8)]
    outs = [proc.communicate(timeout=120) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err for _, err in outs]
    conn = connect(url)
    names = [row["name"] for row in conn.execute("SELECT name FROM schema_migrations")]
    assert len(names) == len(set(names)) == json.loads(outs[0][0])["latest_schema_version"]


def test_ledger_info_masks_the_password(pg_server, cli):
    url = pg_server.fresh().replace("postgres@", "postgres:hunter2@")  # trust auth ignores it
    out = cli.json("ledger", "info", env={"OPSCTL_DB": url})
    assert out["backend"] == "postgresql"
    assert "hunter2" not in json.dumps(out) and ":***@" in out["where"]
    assert out["schema_version"] == out["latest_schema_version"]
    assert out["tables"]["errors"] == 0


def test_ledger_copy_keeps_ids_and_refuses_a_filled_target(pg_server, cli):
    for i in range(3):
        cli.json("track-error", "--error-type", "system_error", "--service", f"s{i}", "--details", "x")
    cli.json("request-integration", "--tool", "Airtable API", "--purpose", "p")
    url = pg_server.fresh()
    out = cli.json("ledger", "copy", "--to", url)
    assert out["copied"]["errors"] == 3 and out["copied"]["requests"] == 1
    pg = connect(url)
    assert [r["id"] for r in pg.execute("SELECT id FROM errors ORDER BY id")] == [1, 2, 3]
    # the identity sequence moved on: a new error on PostgreSQL is error-4
    new = cli.json("track-error", "--error-type", "api_limit", "--service", "new", "--details", "x",
                   env={"OPSCTL_DB": url})
    assert new["id"] == "error-4"
    again = cli("ledger", "copy", "--to", url, "--json")
    assert again.returncode == 1
    assert "not empty" in json.loads(again.stdout)["error"]


def test_unreachable_server_is_ledger_unavailable_without_the_password(cli):
    proc = cli("track-error", "--error-type", "api_limit", "--service", "x", "--details", "d", "--json",
               env={"OPSCTL_DB": "postgresql://ops:topsecret@127.0.0.1:9/none"})
    assert proc.returncode == 1
    body = json.loads(proc.stdout)
    assert "127.0.0.1:9" in body["error"]
    assert "topsecret" not in proc.stdout + proc.stderr


def test_lock_serialises_two_transactions(pg_server):
    url = pg_server.fresh()
    first, second = connect(url), connect(url)
    with transaction(first):
        lock(first, "tick")
        busy = second.raw.execute("SELECT pg_try_advisory_lock(hashtext('tick')) AS got").fetchone()["got"]
        assert busy is False
    assert second.raw.execute("SELECT pg_try_advisory_lock(hashtext('tick')) AS got").fetchone()["got"] is True


def test_dialect_keeps_literals_and_translates_placeholders():
    from opsctl.ledger import dialect

    assert dialect.query("SELECT '?%' , x FROM t WHERE a = ? AND b IS ? AND c LIKE 'a%'") == \
        "SELECT '?%%' , x FROM t WHERE a = %s AND b IS NOT DISTINCT FROM %s AND c LIKE 'a%%'"
    assert "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" in dialect.ddl("id INTEGER PRIMARY KEY AUTOINCREMENT")
    assert dialect.ddl("x REAL, y INTEGER") == "x DOUBLE PRECISION, y BIGINT"


START = "2026-03-02T09:00:00Z"
LATER = "2026-03-02T09:30:00Z"  # past the first escalation of a blocking error and every backoff


def _slack_host(home: Path, url: str, slack, at: str) -> dict:
    home.mkdir(parents=True, exist_ok=True)
    return dict(_env(home, url), SLACK_BOT_TOKEN=slack.token, SLACK_CHANNEL="#general", SLACK_API_URL=slack.api_url,
                OPSCTL_NOW=at)


def test_ticks_on_two_hosts_send_one_escalation(pg_server, tmp_path, fake_slack):
    url = pg_server.fresh()
    first = _slack_host(tmp_path / "host-a", url, fake_slack, START)
    services = ["Scraper API", "Geocoder", "Mailer"]
    for service in services:
        proc = _opsctl("notify-error", "--type", "api_limit", "--service", service, "--impact", "blocking",
                       "--details", "1000/1000", env=first)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert len(fake_slack.messages) == len(services)
    later = [_slack_host(tmp_path / name, url, fake_slack, LATER) for name in ("host-a", "host-b")]
    ticks = [_opsctl("tick", env=later[n % 2]) for n in range(6)]
    for tick in ticks:
        assert tick.wait(timeout=180) == 0, tick.stderr.read()
    for number in range(1, len(services) + 1):
        shown = _opsctl("errors", "show", f"error-{number}", env=later[1]).communicate(timeout=60)[0]
        assert json.loads(shown)["escalations"] == 1
    # each error: the notice, then one escalation
    assert len(fake_slack.messages) == 2 * len(services), [m.text for m in fake_slack.messages]


def test_delivers_on_two_hosts_send_each_message_once(pg_server, tmp_path, fake_slack):
    from collections import Counter

    url = pg_server.fresh()
    count = 10
    fake_slack.fail_next("chat.postMessage", status=500, times=count * 3)
    first = _slack_host(tmp_path / "host-a", url, fake_slack, START)
    for n in range(count):
        proc = _opsctl("notify-error", "--type", "api_limit", "--service", f"svc-{n}", env=first)
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert fake_slack.messages == []
    fake_slack.hang_next("chat.postMessage", seconds=0.1, times=count)  # slow Slack: the runs overlap
    hosts = [_slack_host(tmp_path / name, url, fake_slack, LATER) for name in ("host-a", "host-b")]
    runs = [_opsctl("deliver", env=hosts[n % 2]) for n in range(4)]
    sent = sum(json.loads(run.communicate(timeout=180)[0])["sent"] for run in runs)
    assert sent == count
    ids = Counter(json.dumps(m.blocks).split("*ID:*\\n")[1].split('"')[0] for m in fake_slack.messages)
    assert ids == Counter({f"error-{n}": 1 for n in range(1, count + 1)})


def test_deliver_passes_over_a_delivery_another_host_is_claiming(pg_server, tmp_path, fake_slack):
    url = pg_server.fresh()
    fake_slack.fail_next("chat.postMessage", status=500, times=2 * 3)
    first = _slack_host(tmp_path / "host-a", url, fake_slack, START)
    for service in ("svc-1", "svc-2"):
        proc = _opsctl("notify-error", "--type", "api_limit", "--service", service, env=first)
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert fake_slack.messages == []
    holder, watcher = connect(url), connect(url)
    later = _slack_host(tmp_path / "host-b", url, fake_slack, LATER)
    with transaction(holder):  # another host's claim has locked error-1's delivery
        holder.execute("SELECT id FROM deliveries WHERE subject_id = 1 FOR UPDATE")
        run = _opsctl("deliver", env=later)
        wait_for(lambda: run.poll() is not None or _waiting_on_a_lock(watcher, besides=holder.raw.info.backend_pid))
        assert run.poll() == 0, "deliver waited for a row another claim holds"
        assert json.loads(run.stdout.read())["sent"] == 1
    assert [json.dumps(m.blocks).count("error-2") > 0 for m in fake_slack.messages] == [True]
    again = _opsctl("deliver", env=later)
    assert json.loads(again.communicate(timeout=120)[0])["sent"] == 1
    assert len(fake_slack.messages) == 2
