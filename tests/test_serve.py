"""`opsctl serve` over real HTTP: every endpoint, token rules, bad bodies, concurrency, SIGTERM."""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
import subprocess
import threading

from tests.serve_support import TOKEN, served, start  # noqa: F401 - fixture
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

REPORT = {"type": "api_limit", "service": "Scraper API", "details": "Free tier limit reached (1000/1000)",
          "impact": "blocking", "options": ["New API key", "Upgrade account"], "project": "AU Research"}


def _errors(cli) -> list[dict]:
    return cli.json("errors", "list", "--status", "all")["errors"]


def test_health_and_status_on_an_empty_ledger(served):
    health = served.get("/api/health")
    assert health.status == 200
    body = health.json()
    assert body["status"] == "healthy" and body["version"]
    assert body["services"]["ledger"]["status"] == "up"
    assert body["queue"] == {"pending": 0, "processing": 0, "failed": 0, "completed_last_hour": 0}
    assert body["errors"] == {"open": 0, "last_hour": 0, "critical_count": 0}
    assert body["checks"]["ledger:responseTime"][0]["status"] == "pass"
    status = served.get("/api/status").json()
    assert status["status"] == "operational" and status["issues"] == []
    assert status["uptime"]["seconds"] >= 0 and status["uptime"]["formatted"].endswith("s")
    assert status["timestamp"] and status["recent_activity"] == []


def test_post_error_creates_then_absorbs_and_status_follows(served, cli):
    first = served.post("/api/errors", REPORT)
    assert first.status == 201, first.text
    created = first.json()
    assert created["id"] == "error-1" and created["deduplicated"] is False and created["occurrences"] == 1
    assert created["deliveries"] == [] and created["status"] == "escalated"
    again = served.post("/api/errors", REPORT)
    assert again.status == 200 and again.json()["deduplicated"] is True and again.json()["occurrences"] == 2
    shown = cli.json("errors", "show", "error-1")
    assert shown["occurrences"] == 2 and shown["project"] == "AU Research"
    assert {event["actor"] for event in shown["history"]} == {"http:127.0.0.1"}
    status = served.get("/api/status").json()
    assert status["status"] == "outage"
    assert status["issues"][0] | {} == status["issues"][0]
    issue = status["issues"][0]
    assert (issue["id"], issue["type"], issue["impact"], issue["service"]) == (
        "error-1", "api_limit", "blocking", "Scraper API")
    assert issue["message"].startswith("Free tier limit")
    assert status["recent_activity"][0]["id"] == "error-1"
    health = served.get("/api/health").json()
    assert health["errors"]["open"] == 1 and health["errors"]["critical_count"] == 1


def test_warning_dead_delivery_and_failing_probe_each_degrade(served, cli, isolated_home):
    cli.json("track-error", "--error-type", "api_limit_warning", "--service", "Maps", "--impact", "warning")
    assert served.get("/api/status").json()["status"] == "degraded"
    cli.json("update-error", "--error-id", "1", "--status", "resolved", "--solution", "raised the limit")
    assert served.get("/api/status").json()["status"] == "operational"
    from opsctl.ledger import connect
    from opsctl.settings import Settings

    conn = connect(Settings.load())  # the states other commands leave behind, on either backend
    conn.execute("INSERT INTO deliveries (subject, channel, purpose, status, created_at)"
                 " VALUES ('error', 'slack', 'notify', 'dead', '2026-01-01T00:00:00Z')")
    conn.commit()
    status = served.get("/api/status").json()
    assert status["status"] == "degraded" and status["issues"][0]["type"] == "delivery_dead"
    health = served.get("/api/health").json()
    assert health["status"] == "degraded" and health["queue"]["failed"] == 1
    assert health["services"]["slack"]["status"] == "degraded"
    conn.execute("DELETE FROM deliveries")
    conn.execute("INSERT INTO probe_state (name, status, consecutive_failures) VALUES ('homepage', 'failing', 1)")
    conn.commit()
    status = served.get("/api/status").json()
    assert status["status"] == "degraded" and status["issues"][0]["id"] == "probe-homepage"


def test_writes_need_the_right_token_and_change_nothing_without_it(served, cli):
    for token in (None, "wrong-token", TOKEN + "x", ""):
        reply = served.post("/api/errors", REPORT, token=token)
        assert reply.status == 401, (token, reply.text)
        assert reply.json()["code"] == "unauthorized" and reply.json()["ok"] is False
    assert served.post("/api/errors/1/decision", {"option": 1}, token="nope").status == 401
    assert served.post("/api/alertmanager", {"version": "4", "alerts": []}, token=None).status == 401
    assert _errors(cli) == []
    assert served.get("/api/status", token=None).status == 200  # reads are open on loopback


def test_without_a_token_configured_writes_are_refused(tmp_path, cli):
    server = start(tmp_path, token=None)
    try:
        assert server.post("/api/errors", REPORT, token="anything").status == 401
        assert server.get("/api/health").status == 200
    finally:
        assert server.stop() == 0
    assert _errors(cli) == []


def test_refuses_a_public_bind_without_a_token(cli):
    proc = cli("serve", "--host", "0.0.0.0", "--port", "0", "--json")
    assert proc.returncode == 2
    assert "OPSCTL_SERVE_TOKEN" in proc.stderr and "Traceback" not in proc.stderr
    failure = json.loads(proc.stdout)
    assert failure["ok"] is False and failure["exit_code"] == 2


def test_beyond_loopback_reads_need_the_token_too(tmp_path):
    server = start(tmp_path, host="0.0.0.0")
    try:
        assert server.get("/api/status", token=None).status == 401
        page = server.get("/admin/operations", token=None)
        assert page.status == 401 and page.headers["WWW-Authenticate"].startswith("Basic")
        assert server.get("/metrics", token="bad").status == 401
        assert server.get("/api/status").json()["status"] == "operational"
        basic = base64.b64encode(f"ops:{TOKEN}".encode()).decode()
        assert server.get("/admin/operations", token=None, headers={"Authorization": f"Basic {basic}"}).status == 200
    finally:
        assert server.stop() == 0


def test_bad_bodies_are_400_with_the_failure_object_and_write_nothing(served, cli):
    cases = [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({**REPORT, "service": 123}).encode(), "service must be a string"),
        (json.dumps({**REPORT, "options": "one"}).encode(), "options must be a list"),
        (json.dumps({**REPORT, "impact": "apocalyptic"}).encode(), "blocking"),
        (json.dumps({**REPORT, "type": "oops"}).encode(), "api_limit"),
        (json.dumps({**REPORT, "colour": "red"}).encode(), "unknown field"),
        (json.dumps({"type": "api_limit"}).encode(), "missing service"),
        ("\udcff".encode("utf-8", "surrogatepass"), "not valid JSON"),
    ]
    for raw, message in cases:
        reply = served.post("/api/errors", raw=raw)
        assert reply.status == 400, (raw, reply.text)
        body = reply.json()
        assert body["ok"] is False and body["code"] == "invalid_input" and body["exit_code"] == 2
        assert message in body["error"], (raw, body)
    assert _errors(cli) == []


def test_a_ten_megabyte_body_is_413(served, cli):
    reply = served.post("/api/errors", raw=b"{" + b" " * (10 * 1024 * 1024) + b"}")
    assert reply.status == 413 and reply.json()["code"] == "payload_too_large"
    assert served.get("/api/health").status == 200  # and the server is still fine
    assert _errors(cli) == []


def test_unknown_paths_and_methods_are_json_errors(served):
    missing = served.get("/api/nothing")
    assert missing.status == 404 and missing.json()["code"] == "not_found"
    wrong = served.request("DELETE", "/api/status")
    assert wrong.status == 405 and wrong.json()["code"] == "method_not_allowed"
    with socket.create_connection((served.host, served.port), timeout=10) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):  # until the server closes the connection
            answer += chunk
        answer = answer.decode()
    assert answer.startswith("HTTP/1.0 400") and '"ok": false' in answer


def test_decision_endpoint_records_like_opsctl_decide(served, cli):
    served.post("/api/errors", REPORT)
    reply = served.post("/api/errors/error-1/decision", {"option": 2, "note": "upgrade today"})
    assert reply.status == 200, reply.text
    body = reply.json()
    assert body["decision"] == 2 and body["option"] == "Upgrade account" and body["status"] == "acknowledged"
    shown = cli.json("errors", "show", "1")
    assert shown["decision"] == 2 and shown["status"] == "acknowledged"
    by_text = served.post("/api/errors/1/decision", {"option": "new api key"})
    assert by_text.status == 200 and by_text.json()["decision"] == 1
    bad = served.post("/api/errors/1/decision", {"option": 7})
    assert bad.status == 400 and "1 (New API key), 2 (Upgrade account)" in bad.json()["error"]
    assert served.post("/api/errors/1/decision", {"option": [1]}).status == 400
    missing = served.post("/api/errors/error-99/decision", {"option": 1})
    assert missing.status == 404 and missing.json()["code"] == "not_found"
    assert cli.json("errors", "show", "1")["decision"] == 1


def test_the_dashboard_form_decides_without_javascript(served, cli):
    served.post("/api/errors", REPORT)
    form = f"token={TOKEN}&option=1".encode()
    reply = served.post("/api/errors/error-1/decision", raw=form, token=None,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 303 and reply.headers["Location"] == "/admin/errors/error-1"
    assert cli.json("errors", "show", "1")["decision"] == 1
    refused = served.post("/api/errors/error-1/decision", raw=b"token=wrong&option=2", token=None,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status == 401 and cli.json("errors", "show", "1")["decision"] == 1


def _alert(status: str, labels: dict, annotations: dict | None = None) -> dict:
    return {"status": status, "labels": labels, "annotations": annotations or {}, "fingerprint": "f" + labels["alertname"],
            "startsAt": "2026-12-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom/graph"}


def _webhook(status: str, alerts: list[dict]) -> dict:
    return {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": status, "receiver": "opsctl",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am", "alerts": alerts}


def test_alertmanager_firing_repeats_and_resolved(served, cli):
    firing = [_alert("firing", {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
                     {"summary": "5xx above 5%", "description": "checkout returns 502s"}),
              _alert("firing", {"alertname": "DiskFilling", "job": "node", "severity": "warning"}),
              _alert("firing", {"alertname": "Heartbeat", "severity": "none"})]
    reply = served.post("/api/alertmanager", _webhook("firing", firing))
    assert reply.status == 200, reply.text
    assert [a["action"] for a in reply.json()["alerts"]] == ["created", "created", "created"]
    errors = {e["service"]: e for e in _errors(cli)}
    assert errors["checkout"]["impact"] == "blocking" and errors["node"]["impact"] == "warning"
    assert errors["Heartbeat"]["impact"] == "info"
    shown = cli.json("errors", "show", errors["checkout"]["id"])
    assert "5xx above 5%" in shown["details"] and "checkout returns 502s" in shown["details"]
    repeat = served.post("/api/alertmanager", _webhook("firing", firing[:1]))
    assert repeat.json()["alerts"][0]["action"] == "absorbed"
    assert cli.json("errors", "show", errors["checkout"]["id"])["occurrences"] == 2
    resolved = served.post("/api/alertmanager", _webhook("resolved", [dict(firing[0], status="resolved")]))
    assert resolved.json()["alerts"][0]["action"] == "resolved"
    assert cli.json("errors", "show", errors["checkout"]["id"])["status"] == "resolved"
    assert len(_errors(cli)) == 3


def test_alertmanager_invalid_payload_writes_nothing(served, cli):
    good = _alert("firing", {"alertname": "A", "service": "s", "severity": "critical"})
    for payload in ({"version": "3", "alerts": [good]}, {"version": "4", "alerts": "x"},
                    {"version": "4", "alerts": [good, {"status": "firing", "labels": {}}]},
                    {"version": "4", "alerts": [good, dict(good, status="pending")]}):
        reply = served.post("/api/alertmanager", payload)
        assert reply.status == 400 and reply.json()["code"] == "invalid_input", reply.text
    assert _errors(cli) == []


def test_metrics_json_endpoints(served, cli):
    served.post("/api/errors", REPORT)
    cli.json("update-error", "--error-id", "1", "--status", "resolved", "--resolution-time", "10min")
    errors = served.get("/api/metrics/errors").json()
    assert errors["total_by_type"]["api_limit"] == 1 and errors["open"] == 0
    assert errors["resolution"]["count"] == 1 and errors["resolution"]["mean_seconds"] == 600
    assert {"le": 900.0, "count": 1} in errors["resolution"]["buckets"]
    proc = cli("run", "nightly", "--", "python3", "-c", "print('{\"rows\": 120, \"valid_pct\": 98.5}')")
    assert proc.returncode == 0, proc.stderr
    jobs = served.get("/api/metrics/jobs").json()["jobs"]
    assert jobs[0]["job"] == "nightly" and jobs[0]["success_rate"] == 1.0
    assert jobs[0]["metrics"] == {"rows": 120.0, "valid_pct": 98.5}
    system = served.get("/api/metrics/system").json()
    assert system["version"] and system["uptime_seconds"] >= 0 and system["ledger"]["backend"] == (
        "postgresql" if os.environ.get("OPSCTL_DB", "").startswith("postgresql") else "sqlite")


def test_badges(served, cli):
    assert "up" in served.get("/api/badge/checkout.svg").text
    cli.json("track-error", "--error-type", "system_error", "--service", "checkout", "--impact", "warning")
    badge = served.get("/api/badge/checkout.svg")
    assert badge.headers["Content-Type"].startswith("image/svg+xml") and ">degraded<" in badge.text
    cli.json("track-error", "--error-type", "api_limit", "--service", "Checkout", "--impact", "blocking")
    assert ">down<" in served.get("/api/badge/checkout.svg").text
    assert "<script" not in served.get("/api/badge/%3Cscript%3E.svg").text


def test_pages_escape_stored_strings_and_show_no_secrets(served, cli):
    hostile = '<script>alert("x")</script> token xoxb-1234567890-abcdefghij'
    served.post("/api/errors", {**REPORT, "service": "<img src=x onerror=alert(1)>", "details": hostile})
    page = served.get("/admin/operations")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text
    assert "xoxb-1234567890" not in page.text and TOKEN not in page.text
    assert '<meta http-equiv="refresh" content="30">' in page.text
    incident = served.get("/admin/errors/error-1")
    assert incident.status == 200 and "&lt;script&gt;" in incident.text and "<script>alert" not in incident.text
    assert served.get("/admin/errors/error-77").status == 404
    assert served.get("/admin/static/operations.css").headers["Content-Type"].startswith("text/css")


def test_incident_page_shows_timeline_and_postmortem(served, cli):
    served.post("/api/errors", REPORT)
    served.post("/api/errors/1/decision", {"option": 1, "note": "rotating the key"})
    cli.json("update-error", "--error-id", "1", "--status", "resolved", "--solution", "new key installed",
             "--cause", "free tier exhausted", "--detection", "notify-error", "--prevention", "alert at 80%")
    page = served.get("/admin/errors/error-1").text
    for text in ("created", "decided", "rotating the key", "resolved", "free tier exhausted", "alert at 80%",
                 "new key installed", "http:127.0.0.1"):
        assert text in page, text


def test_concurrent_requests_while_cli_processes_write(served, cli):
    failures: list = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            for path in ("/api/status", "/metrics", "/api/health", "/admin/operations"):
                reply = served.get(path)
                if reply.status != 200:
                    failures.append((path, reply.status, reply.text[:200]))

    readers = [threading.Thread(target=reader) for _ in range(6)]
    for thread in readers:
        thread.start()
    writers = [subprocess.Popen(
        ["bash", "-c", f"for i in 1 2 3 4 5; do {' '.join(cli_args)} --service svc-{n}-$i >/dev/null || exit 1; done"],
        env=_cli_env(cli)) for n in range(4) for cli_args in [_notify_args()]]
    posted = [served.post("/api/errors", {**REPORT, "service": f"http-{n}"}).status for n in range(10)]
    codes = [w.wait(timeout=120) for w in writers]
    stop.set()
    for thread in readers:
        thread.join()
    assert codes == [0, 0, 0, 0] and posted == [201] * 10
    assert failures == []
    assert len(_errors(cli)) == 30
    assert served.get("/api/status").json()["open_errors"] == 30


def _notify_args() -> list[str]:
    import shlex
    import sys

    return [shlex.quote(sys.executable), "-m", "opsctl", "notify-error", "--type", "system_error", "--impact", "info"]


def _cli_env(cli) -> dict:
    import os

    from tests.conftest import REPO

    return dict(os.environ, PYTHONPATH=str(REPO))


def test_a_silent_client_does_not_block_others(served):
    with socket.create_connection((served.host, served.port), timeout=10):
        assert served.get("/api/status").status == 200  # the idle connection holds one thread, not the server


def test_access_log_on_stderr(tmp_path):
    server = start(tmp_path)
    server.get("/api/status")
    server.get("/api/nothing")
    assert server.stop() == 0
    log = server.log()
    assert '"GET /api/status HTTP/1.1" 200' in log and '"GET /api/nothing HTTP/1.1" 404' in log
