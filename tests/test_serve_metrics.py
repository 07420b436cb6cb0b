"""/metrics and `opsctl metrics --textfile`: Prometheus text that promtool accepts without a warning."""

from __future__ import annotations

import os
import sqlite3
import subprocess

from tests.serve_support import PROMTOOL, REPORT_FOR_METRICS, served  # noqa: F401 - fixture

WEIRD = 'Quota "A"\\B\nC'


def _promtool(text: str) -> subprocess.CompletedProcess:
    assert PROMTOOL.exists(), f"promtool missing at {PROMTOOL}: run .ci/run (it installs it)"
    return subprocess.run([str(PROMTOOL), "check", "metrics"], input=text, capture_output=True, text=True)


def _populate(served, cli, home):
    assert served.post("/api/errors", REPORT_FOR_METRICS).status == 201
    cli.json("track-error", "--error-type", "auth_failure", "--service", "CRM", "--impact", "warning")
    cli.json("update-error", "--error-id", "2", "--status", "resolved", "--resolution-time", "2h")
    assert cli("run", "nightly", "--", "python3", "-c", "print('{\"rows\": 10, \"valid_pct\": 97.5}')").returncode == 0
    assert cli("run", "nightly", "--", "python3", "-c", "raise SystemExit(3)").returncode == 3
    cli.json("quota", "record", WEIRD, "--used", "850", "--limit", "1000")
    conn = sqlite3.connect(home / "ledger.db")
    conn.execute("INSERT INTO probe_state (name, status, consecutive_failures, last_latency_ms)"
                 " VALUES ('homepage', 'up', 0, 123.0)")
    conn.execute("INSERT INTO deliveries (subject, channel, purpose, status, created_at)"
                 " VALUES ('error', 'slack', 'notify', 'queued', '2026-01-01T00:00:00Z')")
    conn.commit()


def test_metrics_pass_promtool_without_a_warning(served, cli, isolated_home):
    _populate(served, cli, isolated_home)
    reply = served.get("/metrics")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = reply.text
    checked = _promtool(text)
    assert checked.returncode == 0 and checked.stdout == "" and checked.stderr == "", checked.stdout + checked.stderr
    # open: the HTTP report and the failed job's error (blocking), the quota at 85% (warning)
    for line in ('opsctl_errors_open{impact="blocking"} 2', 'opsctl_errors_open{impact="warning"} 1',
                 'opsctl_errors_open{impact="info"} 0', 'opsctl_errors_reported_total{type="system_error"} 1',
                 'opsctl_errors_reported_total{type="api_limit"} 1', 'opsctl_errors_reported_total{type="auth_failure"} 1',
                 'opsctl_error_resolution_seconds_bucket{le="3600"} 0',
                 'opsctl_error_resolution_seconds_bucket{le="14400"} 1', "opsctl_error_resolution_seconds_sum 7200",
                 'opsctl_job_runs_total{job="nightly",status="success"} 1',
                 'opsctl_job_runs_total{job="nightly",status="error"} 1',
                 'opsctl_job_metric{job="nightly",metric="valid_pct"} 97.5',
                 'opsctl_probe_up{probe="homepage"} 1', 'opsctl_probe_latency_seconds{probe="homepage"} 0.123',
                 'opsctl_outbox_pending{channel="slack"} 1',
                 'opsctl_quota_used_ratio{service="Quota \\"A\\"\\\\B\\nC"} 0.85'):
        assert line in text, line
    assert "# TYPE opsctl_errors_open gauge" in text and "# TYPE opsctl_error_resolution_seconds histogram" in text
    assert "opsctl_job_last_success_timestamp_seconds{job=\"nightly\"}" in text
    assert "opsctl_build_info{" in text and "opsctl_outbox_oldest_pending_age_seconds{channel=\"slack\"}" in text
    assert "Free tier" not in text and "error-1" not in text  # no error text or ids in labels


def test_a_bad_metric_name_is_caught_by_the_same_check():
    # the check itself is real: promtool flags a gauge named like a counter
    checked = _promtool("# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n")
    assert "_total" in checked.stdout + checked.stderr


def test_textfile_is_written_atomically_and_matches(served, cli, isolated_home, tmp_path):
    _populate(served, cli, isolated_home)
    target = tmp_path / "collector" / "opsctl.prom"
    target.parent.mkdir()
    target.write_text("old content\n")
    result = cli.json("metrics", "--textfile", str(target))
    assert result["ok"] is True and result["textfile"] == str(target) and result["families"] >= 10
    text = target.read_text()
    assert _promtool(text).returncode == 0 and _promtool(text).stdout == ""
    assert 'opsctl_errors_open{impact="blocking"} 2' in text
    assert os.listdir(target.parent) == ["opsctl.prom"]  # no temporary file left behind
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    printed = cli("metrics")
    assert printed.returncode == 0 and 'opsctl_errors_open{impact="blocking"} 2' in printed.stdout


def test_textfile_bad_targets_exit_2(cli, tmp_path):
    missing = cli("metrics", "--textfile", str(tmp_path / "nope" / "x.prom"), "--json")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    folder = cli("metrics", "--textfile", str(tmp_path), "--json")
    assert folder.returncode == 2 and "is a folder" in folder.stderr


def test_counters_follow_new_rows_and_count_every_resolution(served, cli):
    def scrape() -> str:
        return served.get("/metrics").text

    report = dict(REPORT_FOR_METRICS, impact="warning")
    served.post("/api/errors", report)
    cli.json("update-error", "--error-id", "1", "--status", "resolved", "--resolution-time", "90s")
    assert "opsctl_error_resolution_seconds_count 1" in scrape()
    served.post("/api/errors", report)  # the same problem again: a regression of error-1
    served.post("/api/errors", dict(report, service="Other API"))
    cli.json("update-error", "--error-id", "1", "--status", "resolved", "--resolution-time", "30s")
    text = scrape()
    assert 'opsctl_errors_reported_total{type="api_limit"} 2' in text  # two error records
    assert "opsctl_error_resolution_seconds_count 2" in text and "opsctl_error_resolution_seconds_sum 120" in text
    assert 'opsctl_error_resolution_seconds_bucket{le="60"} 1' in text
    assert 'opsctl_error_resolution_seconds_bucket{le="300"} 2' in text
    assert cli("metrics").stdout.count("opsctl_error_resolution_seconds_count 2") == 1  # same totals without serve
