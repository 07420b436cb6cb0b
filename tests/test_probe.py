"""`opsctl probe` against loopback endpoints: thresholds raise and resolve; all unreachable is one offline."""

from __future__ import annotations

import json
import socket
import textwrap

import pytest

from tests.fakes.usage import UsageFake

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


@pytest.fixture
def health(loopback_env):
    with UsageFake() as fake:
        yield fake
    assert not fake.errors


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once it is closed: connection refused


def config(tmp_path, probes: str) -> None:
    (tmp_path / "opsctl.yaml").write_text("probes:\n" + textwrap.indent(textwrap.dedent(probes), "  "))


def probe(cli, *args) -> dict:
    return {p["name"]: p for p in cli.json("probe", *args)["probes"]}


def test_failures_threshold_raises_and_successes_threshold_resolves(cli, tmp_path, health):
    health.set("/health", {"status": "healthy"})
    health.set("/other", {"status": "healthy"})
    config(tmp_path, f"""
        - {{name: api, url: "{health.url}/health", when: 'status == "healthy"', failures: 3, successes: 2,
           service: Client API, impact: blocking}}
        - {{name: other, url: "{health.url}/other"}}
    """)
    assert probe(cli)["api"]["state"] == "up"
    health.set("/health", {"status": "down"}, status=503)
    states = [probe(cli)["api"] for _ in range(3)]
    assert [s["state"] for s in states] == ["failing", "failing", "down"]
    assert [s["error"] is None for s in states] == [True, True, False]
    assert "HTTP 503, expected 200" in states[2]["problem"]
    [error] = cli.json("errors", "list")["errors"]
    assert (error["type"], error["service"], error["impact"]) == ("system_error", "Client API", "blocking")
    assert "failed 3 checks in a row" in error["details"]
    assert probe(cli)["api"]["error"]["occurrences"] == 2  # still down: the same error, counted

    health.set("/health", {"status": "degraded"})  # answers, but the body condition fails
    degraded = probe(cli)["api"]
    assert degraded["state"] == "down" and 'condition not met: status == "healthy"' in degraded["problem"]

    health.set("/health", {"status": "healthy"})
    first = probe(cli)["api"]
    assert first["state"] == "recovering" and first["resolved"] == []
    second = probe(cli)["api"]
    assert second["state"] == "up" and second["resolved"] == [error["id"]]
    shown = cli.json("errors", "show", error["id"])
    assert shown["status"] == "resolved" and "answered 2 checks in a row" in shown["solution"]


def test_slow_answer_and_body_paths(cli, tmp_path, health):
    health.set("/slow", {"ok": True}, delay=0.3)
    health.set("/deep", {"checks": {"db": "ok", "queue": "stuck"}})
    config(tmp_path, f"""
        - {{name: slow, url: "{health.url}/slow", max_ms: 100, failures: 1}}
        - {{name: deep, url: "{health.url}/deep", when: 'body["checks"]["queue"] == "ok"', failures: 1}}
        - {{name: fine, url: "{health.url}/deep", when: 'checks.db == "ok" && status_code == 200'}}
    """)
    found = probe(cli)
    assert found["slow"]["state"] == "down" and "more than 100 ms" in found["slow"]["problem"]
    assert found["deep"]["state"] == "down"
    assert found["fine"]["state"] == "up"


def test_one_unreachable_probe_is_its_own_outage(cli, tmp_path, health):
    health.set("/ok", {})
    config(tmp_path, f"""
        - {{name: up, url: "{health.url}/ok"}}
        - {{name: gone, url: "http://127.0.0.1:{closed_port()}/", failures: 1}}
    """)
    found = probe(cli)
    assert found["gone"]["state"] == "down" and "connection refused" in found["gone"]["problem"]
    assert [e["service"] for e in cli.json("errors", "list")["errors"]] == ["gone"]


def test_nothing_reachable_records_one_offline_error_not_n_outages(cli, tmp_path, health):
    health.set("/ok", {})
    port_a, port_b = closed_port(), closed_port()
    config(tmp_path, f"""
        - {{name: a, url: "http://127.0.0.1:{port_a}/health", failures: 1}}
        - {{name: b, url: "http://127.0.0.1:{port_b}/health", failures: 1}}
        - {{name: c, url: "http://127.0.0.1:{port_b}/other", failures: 1}}
    """)
    for _ in range(2):
        result = cli.json("probe")
        assert result["offline"] is True
        assert {p["state"] for p in result["probes"]} == {"offline"}
        assert all(p["consecutive_failures"] == 0 for p in result["probes"])  # counters untouched
    [error] = cli.json("errors", "list")["errors"]
    assert error["service"] == "opsctl offline" and error["occurrences"] == 2
    assert error["details"].startswith("opsctl offline: none of the 3 probes got an answer")

    config(tmp_path, f"""
        - {{name: a, url: "{health.url}/ok", failures: 1}}
        - {{name: b, url: "http://127.0.0.1:{port_b}/health", failures: 1}}
    """)
    back = cli.json("probe")
    assert back["offline"] is False and back["offline_error"] == {"resolved": error["id"]}
    assert {p["name"]: p["state"] for p in back["probes"]} == {"a": "up", "b": "down"}


def test_timeout_counts_as_failure(cli, tmp_path, health):
    health.set("/hang", {})
    health.set("/ok", {})
    health.hang_next("/hang", seconds=5)
    config(tmp_path, f"""
        - {{name: hang, url: "{health.url}/hang", timeout: 0.3s, failures: 1}}
        - {{name: ok, url: "{health.url}/ok"}}
    """)
    found = probe(cli)
    assert found["hang"]["state"] == "down" and "no answer within 0.3s" in found["hang"]["problem"]


def test_broken_probe_config_is_rejected_naming_the_probe(cli, tmp_path):
    config(tmp_path, """
        - {name: api, url: "http://127.0.0.1:1/", when: 'status == = "x"'}
    """)
    proc = cli("probe")
    assert proc.returncode == 1 and "probe 'api'" in proc.stderr and "invalid expression" in proc.stderr
    config(tmp_path, """
        - {name: api, url: "http://127.0.0.1:1/", when: 'body.__class__'}
    """)
    assert "not allowed" in cli("probe").stderr
    config(tmp_path, """
        - {name: api, url: "ftp://x/"}
    """)
    assert "http:// or https://" in cli("probe").stderr
    config(tmp_path, """
        - {name: api, url: "http://x/", failures: 0}
    """)
    assert "failures must be a whole number" in cli("probe").stderr


def test_unknown_name_and_no_probes(cli, tmp_path, health):
    health.set("/ok", {})
    assert cli.json("probe")["probes"] == []
    config(tmp_path, f"""
        - {{name: api, url: "{health.url}/ok"}}
    """)
    assert cli("probe", "nope").returncode == 2
    only = cli.json("probe", "api")
    assert [p["name"] for p in only["probes"]] == ["api"]
    human = cli("probe", env={"COLUMNS": "200"})
    assert human.returncode == 0 and "api" in human.stdout and "up" in human.stdout
    quiet = cli("probe", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == ""
    assert json.loads(cli("probe", "--json").stdout)["summary"] == {"checked": 1, "up": 1}
