"""The Prometheus text exposition of the ledger (GET /metrics and `opsctl metrics --textfile`).

Names follow Prometheus' conventions so `promtool check metrics` has nothing to say: counters
end in `_total`, gauges never do, units are base units spelled out (`_seconds`, `_ratio`), and
every family has HELP and TYPE. Labels carry names only (impact, type, channel, job, probe,
service) — never error text or ids — and their values are escaped.
"""

from __future__ import annotations

import math
import platform
from datetime import datetime

from .. import __version__
from ..clock import now, parse_iso
from ..ledger import metrics_queries as q
from ..vocab import TIERS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Exposition:
    def __init__(self):
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str, samples) -> None:
        """samples: (labels dict, value) pairs, or (suffix, labels, value) triples for histograms."""
        self.lines.append(f"# HELP {name} {_escape_help(help_text)}")
        self.lines.append(f"# TYPE {name} {kind}")
        for sample in samples:
            suffix, labels, value = sample if len(sample) == 3 else ("", *sample)
            self.lines.append(f"{name}{suffix}{_labels(labels)} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def render(conn) -> str:
    moment = now()
    out = Exposition()
    out.family("opsctl_build_info", "gauge", "opsctl version and Python version; always 1.",
               [({"version": __version__, "python": platform.python_version()}, 1)])
    open_counts = q.open_by_impact(conn)
    out.family("opsctl_errors_open", "gauge", "Errors open now (open, escalated or acknowledged), by impact.",
               [({"impact": impact}, open_counts.get(impact, 0)) for impact in TIERS])
    out.family("opsctl_errors_reported_total", "counter",
               "Errors recorded in the ledger, by type (a repeat of an open error is absorbed into it).",
               [({"type": kind}, n) for kind, n in q.totals_by_type(conn).items()])
    buckets, count, total = q.resolution_histogram(conn)
    samples = [("_bucket", {"le": _number(le)}, n) for le, n in buckets]
    samples += [("_bucket", {"le": "+Inf"}, count), ("_sum", {}, total), ("_count", {}, count)]
    out.family("opsctl_error_resolution_seconds", "histogram", "Time from an error opening to its resolution.",
               samples)
    outbox = q.outbox_by_channel(conn)
    out.family("opsctl_outbox_pending", "gauge", "Notifications waiting to be sent (queued or sending), by channel.",
               [({"channel": e["channel"]}, e["pending"]) for e in outbox])
    out.family("opsctl_outbox_dead", "gauge", "Notifications that gave up (dead letters), by channel.",
               [({"channel": e["channel"]}, e["dead"]) for e in outbox])
    out.family("opsctl_outbox_oldest_pending_age_seconds", "gauge",
               "Age of the oldest notification still waiting, by channel.",
               [({"channel": e["channel"]}, _age(moment, e["oldest_pending_at"])) for e in outbox
                if e["oldest_pending_at"]])
    out.family("opsctl_job_runs_total", "counter", "Runs of each job recorded by `opsctl run`, by final status.",
               [({"job": r["job"], "status": r["status"].lower()}, r["n"]) for r in q.runs_by_job_status(conn)])
    latest = q.job_latest(conn)
    out.family("opsctl_job_last_success_timestamp_seconds", "gauge",
               "When each job last finished successfully (Unix time).",
               [({"job": j["job"]}, parse_iso(j["last_success_at"]).timestamp()) for j in latest
                if j["last_success_at"]])
    out.family("opsctl_job_last_duration_seconds", "gauge", "How long each job's newest run took.",
               [({"job": j["job"]}, j["duration_seconds"]) for j in latest if j["duration_seconds"] is not None])
    from .stats import latest_metrics

    out.family("opsctl_job_metric", "gauge", "The newest value of each number a job reported in its runs.",
               [({"job": j["job"], "metric": name}, value) for j in latest
                for name, value in sorted(latest_metrics(conn, j["job"]).items())])
    probes = q.probes(conn)
    out.family("opsctl_probe_up", "gauge", "1 when the probe's newest check passed, else 0.",
               [({"probe": p["name"]}, 1 if p["status"] in ("up", "recovering") else 0) for p in probes])
    out.family("opsctl_probe_latency_seconds", "gauge", "Response time of each probe's newest check.",
               [({"probe": p["name"]}, p["last_latency_ms"] / 1000) for p in probes if p["last_latency_ms"] is not None])
    from .quotas import quotas

    found = quotas(conn)
    out.family("opsctl_quota_used_ratio", "gauge", "Share of each service's quota used at its newest reading (0-1).",
               [({"service": x["service"]}, x["used_ratio"]) for x in found if x["used_ratio"] is not None])
    out.family("opsctl_quota_exhausted_timestamp_seconds", "gauge",
               "When each quota runs out at the current rate (Unix time), where a forecast exists.",
               [({"service": x["service"]}, parse_iso(x["exhausted_at"]).timestamp()) for x in found
                if x["exhausted_at"]])
    return out.text()


def _age(moment: datetime, iso: str) -> float:
    return max(0.0, (moment - parse_iso(iso)).total_seconds())


def _labels(labels: dict) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape_value(str(value))}"' for key, value in labels.items()) + "}"


def _escape_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value) -> str:
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def metrics_view(app, request):
    from .routes import Response

    ctx = app.context(request)
    try:
        return Response(200, render(ctx.conn).encode("utf-8"), CONTENT_TYPE)
    finally:
        ctx.close()
